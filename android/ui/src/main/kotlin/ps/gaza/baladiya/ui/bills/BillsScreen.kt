package ps.gaza.baladiya.ui.bills

import androidx.compose.ui.platform.testTag
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ElevatedCard
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import ps.gaza.baladiya.ui.text.Bidi
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.LeftToRightDigits
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.InfoBanner
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.SectionTitle
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.isoDate
import ps.gaza.baladiya.ui.common.ltrInput
import ps.gaza.baladiya.ui.common.money
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.period
import ps.gaza.baladiya.ui.common.pick
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text
import uniffi.baladiya_wire.Bill
import uniffi.baladiya_core.BillLookup
import uniffi.baladiya_wire.PaymentStatus

@Composable
fun BillsScreen(vm: BillsModel) {
    val s by vm.state.collectAsState()
    val error by vm.error.collectAsState()
    var forgetting by rememberSaveable { mutableStateOf<String?>(null) }

    ScreenScaffold(title = strings.billsTitle) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            ErrorBanner(error, vm::dismissError)

            if (s.saved.isNotEmpty()) {
                SectionTitle(strings.billsSaved)
                s.saved.forEach { a ->
                    ListItem(
                        headlineContent = { Text(Bidi.ownDirection(a.nickname, strings.language)) },
                        supportingContent = {
                            Text(
                                strings.id(a.account) + (a.fetchedAt?.let { "  ·  " + strings.billsSavedCopy(strings.dateTime(it)) } ?: ""),
                            )
                        },
                        trailingContent = {
                            IconButton(onClick = { forgetting = a.account }) {
                                Icon(Icons.Filled.Delete, contentDescription = strings.billsForget)
                            }
                        },
                        modifier = Modifier.clickable { vm.pick(a) },
                    )
                }
                HorizontalDivider()
            }

            SectionTitle(strings.billsLookup)
            // Account and phone read left to right in both languages.
            OutlinedTextField(
                value = s.account,
                onValueChange = vm::setAccount,
                label = { Text(strings.billsAccount) },
                supportingText = { Text(strings.billsAccountHelp) },
                singleLine = true,
                textStyle = ltrInput(),
                visualTransformation = LeftToRightDigits,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                modifier = Modifier.fillMaxWidth().testTag("field-account"),
            )
            OutlinedTextField(
                value = s.verification,
                onValueChange = vm::setVerification,
                label = { Text(s.verificationInfo?.label?.text() ?: strings.billsPhone) },
                supportingText = { Text(strings.billsVerificationHelp) },
                singleLine = true,
                textStyle = ltrInput(),
                visualTransformation = LeftToRightDigits,
                keyboardOptions = KeyboardOptions(
                    keyboardType = if (s.verificationInfo?.kind == "national_id") KeyboardType.Number else KeyboardType.Phone,
                ),
                modifier = Modifier.fillMaxWidth().testTag("field-verification"),
            )
            Button(onClick = vm::lookup, enabled = !s.loading, modifier = Modifier.fillMaxWidth()) {
                if (s.loading) CircularProgressIndicator(Modifier.size(18.dp), strokeWidth = 2.dp)
                else Text(strings.billsShow)
            }
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(
                    value = s.nickname,
                    onValueChange = vm::setNickname,
                    label = { Text(strings.billsNickname) },
                    placeholder = { Text(strings.billsNicknameHint) },
                    singleLine = true,
                    modifier = Modifier.weight(1f).testTag("field-nickname"),
                )
                OutlinedButton(onClick = vm::save, enabled = !s.loading) { Text(strings.billsSave) }
            }

            s.result?.let { Statement(it, s.justSaved) }
        }
    }

    forgetting?.let { account ->
        AlertDialog(
            onDismissRequest = { forgetting = null },
            title = { Text(strings.billsForgetConfirm(strings.id(account))) },
            confirmButton = {
                TextButton(onClick = {
                    forgetting = null
                    vm.forget(account)
                }) { Text(strings.billsForget) }
            },
            dismissButton = { TextButton(onClick = { forgetting = null }) { Text(strings.keep) } },
        )
    }
}

/** A statement: what is due, the current bill line by line, 24 months of history, payments. */
@Composable
private fun Statement(lookup: BillLookup, justSaved: Boolean) {
    val st = lookup.statement
    val cur = st.currency
    if (lookup.stale) {
        InfoBanner(strings.billStale(strings.dateTime(lookup.fetchedAt)))
    } else {
        Text(
            if (justSaved) strings.billSavedFetched(strings.dateTime(lookup.fetchedAt)) else strings.billFetched(strings.dateTime(lookup.fetchedAt)),
            style = MaterialTheme.typography.labelSmall,
        )
    }
    ElevatedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(strings.billAccount(strings.id(st.account)), fontWeight = FontWeight.Bold)
            Text(Bidi.ownDirection(st.holderMasked, strings.language))
            Text(st.area.text() + "  ·  " + accountType(st.accountType))
            Text(strings.billTotalDue, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(top = 8.dp))
            Text(strings.money(st.totalDueMinor, cur), style = MaterialTheme.typography.headlineMedium, fontWeight = FontWeight.Bold)
            if (st.arrearsMinor > 0) Text(strings.billArrears(strings.money(st.arrearsMinor, cur)))
            Text(strings.billDueDate(strings.isoDate(st.current.dueDate)))
        }
    }

    SectionTitle(strings.billCurrent(strings.period(st.current.period)))
    CurrentBill(st.current, cur)

    if (st.history.isNotEmpty()) {
        SectionTitle(strings.billHistory)
        st.history.forEach { b ->
            Row(Modifier.fillMaxWidth().padding(vertical = 4.dp), verticalAlignment = Alignment.CenterVertically) {
                Text(strings.period(b.period), modifier = Modifier.weight(1.4f))
                Text(strings.cubicMeters(strings.number(b.consumptionM3)), modifier = Modifier.weight(1f))
                Text(strings.money(b.totalMinor, cur), modifier = Modifier.weight(1.2f))
                Text(paymentStatus(b.status), style = MaterialTheme.typography.bodySmall, modifier = Modifier.weight(1f))
            }
            HorizontalDivider()
        }
    }
    if (st.payments.isNotEmpty()) {
        SectionTitle(strings.billPayments)
        st.payments.forEach { p ->
            Row(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                Text(strings.isoDate(p.date), modifier = Modifier.weight(1f))
                Text(strings.money(p.amountMinor, cur), fontWeight = FontWeight.Bold)
            }
            Text(p.place.text(), style = MaterialTheme.typography.bodySmall)
        }
    }
    if (st.howToPay.isNotEmpty()) {
        SectionTitle(strings.billHowToPay)
        st.howToPay.forEach { Text("• " + it.text()) }
    }
}

@Composable
private fun CurrentBill(b: Bill, currency: String) {
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(paymentStatus(b.status), fontWeight = FontWeight.Bold, color = statusColor(b.status))
        Text(strings.billIssued(strings.isoDate(b.issuedOn)))
        Text(strings.billMeter(strings.number(b.meterPrevious), strings.number(b.meterCurrent)))
        Text(strings.billConsumption(strings.cubicMeters(strings.number(b.consumptionM3))))
        HorizontalDivider()
        b.lines.forEach { line ->
            Row(Modifier.fillMaxWidth()) {
                Column(Modifier.weight(1f)) {
                    Text(line.label.text())
                    val q = line.quantityM3
                    val rate = line.rateMinor
                    if (q != null && rate != null) {
                        Text(
                            strings.billLineDetail(strings.cubicMeters(strings.number(q)), strings.money(rate, currency)),
                            style = MaterialTheme.typography.bodySmall,
                        )
                    }
                }
                Text(strings.money(line.amountMinor, currency))
            }
        }
        HorizontalDivider()
        Row(Modifier.fillMaxWidth()) {
            Text(strings.billTotal, fontWeight = FontWeight.Bold, modifier = Modifier.weight(1f))
            Text(strings.money(b.totalMinor, currency), fontWeight = FontWeight.Bold)
        }
        if (b.paidMinor > 0) {
            Row(Modifier.fillMaxWidth()) {
                Text(strings.billPaid, modifier = Modifier.weight(1f))
                Text(strings.money(b.paidMinor, currency))
            }
        }
    }
}

@Composable
private fun statusColor(status: PaymentStatus) = when (status) {
    PaymentStatus.PAID -> MaterialTheme.colorScheme.primary
    PaymentStatus.PARTLY_PAID -> MaterialTheme.colorScheme.tertiary
    PaymentStatus.UNPAID -> MaterialTheme.colorScheme.error
}

@Composable
private fun paymentStatus(status: PaymentStatus): String = when (status) {
    PaymentStatus.PAID -> strings.billStatusPaid
    PaymentStatus.PARTLY_PAID -> strings.billStatusPartlyPaid
    PaymentStatus.UNPAID -> strings.billStatusUnpaid
}

@Composable
private fun accountType(type: String): String = when (type) {
    "household" -> strings.billTypeHousehold
    "commercial" -> strings.billTypeCommercial
    else -> type
}
