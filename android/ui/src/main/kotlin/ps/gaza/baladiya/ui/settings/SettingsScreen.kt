package ps.gaza.baladiya.ui.settings

import androidx.compose.ui.text.style.TextAlign
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.VARIES
import ps.gaza.baladiya.ui.NotifyKind
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.InfoBanner
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.SectionTitle
import ps.gaza.baladiya.ui.common.bytes
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.text.Digits
import uniffi.baladiya_core.DataUsage

@Composable
fun SettingsScreen(vm: SettingsModel, onBack: (() -> Unit)? = null) {
    val s by vm.state.collectAsState()
    val error by vm.error.collectAsState()
    var confirmClear by remember { mutableStateOf(false) }
    val t = strings

    ScreenScaffold(title = t.settingsTitle, onBack = onBack) { padding ->
        Column(Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp)) {
            ErrorBanner(error, vm::dismissError)

            SectionTitle(t.settingsLanguage)
            Column(Modifier.selectableGroup()) {
                listOf(null to t.settingsLanguageSystem, "ar" to "العربية", "en" to "English").forEach { (code, label) ->
                    ChoiceRow(label, selected = s.languageChoice == code) { vm.setLanguage(code) }
                }
            }

            SectionTitle(t.settingsNotifications)
            SwitchRow(t.settingsNotifyComplaints, s.notify[NotifyKind.COMPLAINT_UPDATES] ?: true) {
                vm.setNotify(NotifyKind.COMPLAINT_UPDATES, it)
            }
            SwitchRow(t.settingsNotifyNews, s.notify[NotifyKind.IMPORTANT_NEWS] ?: true) {
                vm.setNotify(NotifyKind.IMPORTANT_NEWS, it)
            }

            SectionTitle(t.settingsDataUsed)
            // Two columns: this calendar month (what a data plan counts) and since installed.
            UsageRow("", t.settingsDataThisMonth, t.settingsDataSinceInstalled, header = true)
            s.usage.forEach { u ->
                val month = s.thisMonth.firstOrNull { it.feature == u.feature }
                UsageRow(t.featureName(u.feature), t.bytes(month.total()), t.bytes(u.total()))
            }
            UsageRow(t.settingsDataTotal, t.bytes(s.thisMonth.sumOf { it.total() }), t.bytes(s.usage.sumOf { it.total() }), header = true)

            SectionTitle(t.settingsSavedBills)
            Text(t.settingsSavedBillsCount(s.savedAccounts))
            s.cleared?.let { InfoBanner(t.settingsSavedBillsCleared) }
            OutlinedButton(
                onClick = { confirmClear = true },
                enabled = s.savedAccounts > 0,
                modifier = Modifier.padding(top = 8.dp).heightIn(min = 48.dp),
            ) { Text(t.settingsClearSavedBills) }

            SectionTitle(t.settingsAbout)
            Text(t.settingsVersion(Digits.localize(vm.version, t.language)))
        }
    }

    if (confirmClear) {
        AlertDialog(
            onDismissRequest = { confirmClear = false },
            title = { Text(t.settingsClearSavedBillsConfirm) },
            confirmButton = {
                TextButton(onClick = {
                    confirmClear = false
                    vm.clearSavedBills()
                }) { Text(t.settingsClearSavedBills) }
            },
            dismissButton = { TextButton(onClick = { confirmClear = false }) { Text(t.keep) } },
        )
    }
}

@Composable
private fun ChoiceRow(label: String, selected: Boolean, onSelect: () -> Unit) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = 48.dp).selectable(selected = selected, role = Role.RadioButton, onClick = onSelect),
        verticalAlignment = Alignment.CenterVertically,
        horizontalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        RadioButton(selected = selected, onClick = null)
        Text(label)
    }
}

@Composable
private fun SwitchRow(label: String, on: Boolean, onChange: (Boolean) -> Unit) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = 48.dp).toggleable(value = on, role = Role.Switch, onValueChange = onChange),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Text(label, modifier = Modifier.weight(1f))
        Switch(checked = on, onCheckedChange = null)
    }
}

private fun DataUsage?.total(): Long = this?.let { (it.bytesSent + it.bytesReceived).toLong() } ?: 0L

/**
 * One line of the data table: a label and two figures, end-aligned (the figures vary between
 * runs). A screen reader hears each line whole with its column names ("Guide: this month 12 KB,
 * since installed 3 MB"); the column heads alone say nothing.
 */
@Composable
private fun UsageRow(label: String, month: String, total: String, header: Boolean = false) {
    val t = strings
    val style = if (header) MaterialTheme.typography.titleSmall else MaterialTheme.typography.bodyMedium
    val spoken = Modifier.clearAndSetSemantics {
        if (label.isNotEmpty()) contentDescription = "$label: ${t.settingsDataThisMonth} $month، ${t.settingsDataSinceInstalled} $total"
    }
    Row(Modifier.fillMaxWidth().padding(vertical = 6.dp).then(spoken)) {
        Text(label, style = style, modifier = Modifier.weight(1f))
        // The column heads are fixed text; the figures vary between runs (masked in goldens).
        val figure = if (header && label.isEmpty()) Modifier else Modifier.testTag(VARIES)
        Text(month, style = style, textAlign = TextAlign.End, modifier = Modifier.widthIn(min = 96.dp).then(figure))
        Text(total, style = style, textAlign = TextAlign.End, modifier = Modifier.widthIn(min = 112.dp).then(figure))
    }
}
