package ps.gaza.baladiya.app.complaints

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.ui.ErrorBanner
import ps.gaza.baladiya.app.ui.InfoBanner
import ps.gaza.baladiya.app.ui.ScreenScaffold
import ps.gaza.baladiya.app.ui.SectionTitle
import ps.gaza.baladiya.app.ui.dateTime
import ps.gaza.baladiya.app.ui.ltr
import ps.gaza.baladiya.app.ui.rfc3339
import ps.gaza.baladiya.app.ui.statusLabel
import uniffi.baladiya_ffi.ComplaintState
import uniffi.baladiya_ffi.ComplaintUpdate

@Composable
fun ComplaintDetailScreen(
    onBack: () -> Unit,
    openEdit: (String) -> Unit,
    vm: ComplaintDetailViewModel = viewModel(factory = ComplaintDetailViewModel.Factory),
) {
    val complaint by vm.complaint.collectAsStateWithLifecycle()
    val categoryName by vm.categoryName.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    val context = LocalContext.current
    var confirmCancel by rememberSaveable { mutableStateOf(false) }

    ScreenScaffold(title = stringResource(R.string.complaint_title), onBack = onBack) { padding ->
        LazyColumn(
            Modifier.padding(padding).fillMaxSize(),
            contentPadding = PaddingValues(16.dp),
            verticalArrangement = Arrangement.spacedBy(4.dp),
        ) {
            item { ErrorBanner(error, vm::dismissError) }
            val c = complaint ?: return@LazyColumn
            item {
                Text(stringResource(R.string.complaint_tracking_number), style = MaterialTheme.typography.labelMedium)
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Text(ltr(c.localId), style = MaterialTheme.typography.headlineSmall, fontWeight = FontWeight.Bold)
                    TextButton(onClick = { copy(context, c.localId) }) { Text(stringResource(R.string.copy)) }
                }
                Row(verticalAlignment = Alignment.CenterVertically) { StateChip(c) }
            }
            when (c.state) {
                ComplaintState.NEEDS_ATTENTION -> item {
                    // The server's reason, in the server's words.
                    InfoBanner(stringResource(R.string.complaint_refused, c.lastError.orEmpty()))
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedButton(onClick = { openEdit(c.localId) }) { Text(stringResource(R.string.complaint_edit)) }
                        OutlinedButton(onClick = vm::resend) { Text(stringResource(R.string.complaint_resend)) }
                        TextButton(onClick = { confirmCancel = true }) { Text(stringResource(R.string.complaint_cancel)) }
                    }
                }
                ComplaintState.QUEUED -> item {
                    val next = c.nextAttemptAt
                    InfoBanner(
                        if (next != null && c.attempts > 0u) {
                            stringResource(R.string.complaint_waiting_retry, dateTime(next))
                        } else {
                            stringResource(R.string.complaint_waiting)
                        },
                    )
                    // Editing and cancelling are possible until an attempt could have reached the
                    // server; the core says so if it is too late.
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedButton(onClick = { openEdit(c.localId) }) { Text(stringResource(R.string.complaint_edit)) }
                        TextButton(onClick = { confirmCancel = true }) { Text(stringResource(R.string.complaint_cancel)) }
                    }
                }
                ComplaintState.SENT -> c.statusNotes?.takeIf { it.isNotBlank() }?.let { notes ->
                    item { InfoBanner(notes) }
                }
                ComplaintState.CANCELLED -> Unit
            }
            item {
                SectionTitle(stringResource(R.string.complaint_details))
                Text(categoryName ?: c.draft.serviceCode, fontWeight = FontWeight.Bold)
                Text(c.draft.description)
                c.draft.address?.let { Text(stringResource(R.string.complaint_address_value, it)) }
                c.draft.location?.let {
                    Text(stringResource(R.string.complaint_location_set, ltr("%.5f, %.5f".format(java.util.Locale.US, it.lat, it.long))))
                }
                val photos = c.photoCount.toInt()
                if (photos > 0) Text(pluralStringResource(R.plurals.photos_attached, photos, photos))
                Text(
                    stringResource(if (c.draft.contact == null) R.string.complaint_sent_anonymously else R.string.complaint_sent_with_contact),
                    style = MaterialTheme.typography.bodySmall,
                )
                Text(stringResource(R.string.complaint_created, dateTime(c.createdAt)), style = MaterialTheme.typography.bodySmall)
                c.sentAt?.let { Text(stringResource(R.string.complaint_sent_at, dateTime(it)), style = MaterialTheme.typography.bodySmall) }
            }
            if (c.updates.isNotEmpty()) {
                item { SectionTitle(stringResource(R.string.complaint_history)) }
                items(c.updates, key = { it.updateId }) { u -> UpdateCard(u) }
            }
        }
    }

    if (confirmCancel) {
        AlertDialog(
            onDismissRequest = { confirmCancel = false },
            title = { Text(stringResource(R.string.complaint_cancel_confirm)) },
            confirmButton = {
                TextButton(onClick = {
                    confirmCancel = false
                    vm.cancel()
                }) { Text(stringResource(R.string.complaint_cancel)) }
            },
            dismissButton = { TextButton(onClick = { confirmCancel = false }) { Text(stringResource(R.string.keep)) } },
        )
    }
}

/** One entry of the municipality's history: when, the status it set, and its note or reply. */
@Composable
private fun UpdateCard(u: ComplaintUpdate) {
    OutlinedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp)) {
            Text(rfc3339(u.updatedDatetime), style = MaterialTheme.typography.labelSmall)
            statusLabel(u.detailedStatus, u.status)?.let { Text(stringResource(it), fontWeight = FontWeight.Bold) }
            if (u.description.isNotBlank()) Text(u.description)
        }
    }
}
