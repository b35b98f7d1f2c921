package ps.gaza.baladiya.app.complaints

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.AssistChip
import androidx.compose.material3.AssistChipDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.ui.EmptyState
import ps.gaza.baladiya.app.ui.ErrorBanner
import ps.gaza.baladiya.app.ui.InfoBanner
import ps.gaza.baladiya.app.ui.ScreenScaffold
import ps.gaza.baladiya.app.ui.dateTime
import ps.gaza.baladiya.app.ui.ltr
import ps.gaza.baladiya.app.ui.stateLabel
import ps.gaza.baladiya.app.ui.statusLabel
import uniffi.baladiya_ffi.Complaint
import uniffi.baladiya_ffi.ComplaintState

@Composable
fun ComplaintListScreen(vm: ComplaintsViewModel, openNew: () -> Unit, openComplaint: (String) -> Unit) {
    val complaints by vm.complaints.collectAsStateWithLifecycle()
    val names by vm.categoryNames.collectAsStateWithLifecycle()
    val sending by vm.sending.collectAsStateWithLifecycle()
    val retryAt by vm.retryAt.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    // Back from the form or a notification: read the list again (local, cheap).
    LaunchedEffect(Unit) { vm.reload() }

    val queued = complaints.count { it.state == ComplaintState.QUEUED }
    ScreenScaffold(
        title = stringResource(R.string.complaints_title),
        actions = {
            if (sending) {
                CircularProgressIndicator(Modifier.padding(12.dp).size(24.dp), strokeWidth = 2.dp)
            } else {
                IconButton(onClick = vm::sendAndRefresh) {
                    Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.complaints_refresh))
                }
            }
        },
    ) { padding ->
        Box(Modifier.padding(padding).fillMaxSize()) {
            LazyColumn(Modifier.fillMaxSize(), contentPadding = PaddingValues(bottom = 88.dp)) {
                item { ErrorBanner(error, vm::dismissError) }
                retryAt?.let { at ->
                    item { InfoBanner(stringResource(R.string.complaints_retry_at, dateTime(at))) }
                }
                if (queued > 0) {
                    item { InfoBanner(pluralStringResource(R.plurals.complaints_queued, queued, queued)) }
                }
                if (complaints.isEmpty()) {
                    item { EmptyState(stringResource(R.string.complaints_empty)) }
                } else {
                    item {
                        Text(
                            pluralStringResource(R.plurals.complaints_count, complaints.size, complaints.size),
                            style = MaterialTheme.typography.labelLarge,
                            modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp),
                        )
                    }
                }
                items(complaints, key = { it.localId }) { c ->
                    ComplaintRow(c, names[c.draft.serviceCode]) { openComplaint(c.localId) }
                    HorizontalDivider()
                }
            }
            ExtendedFloatingActionButton(
                onClick = openNew,
                icon = { Icon(Icons.Filled.Add, contentDescription = null) },
                text = { Text(stringResource(R.string.complaints_new)) },
                modifier = Modifier.align(Alignment.BottomEnd).padding(16.dp),
            )
        }
    }
}

@Composable
private fun ComplaintRow(c: Complaint, categoryName: String?, onClick: () -> Unit) {
    ListItem(
        overlineContent = { Text(ltr(c.localId)) },
        headlineContent = { Text(categoryName ?: c.draft.serviceCode) },
        supportingContent = {
            Column {
                Text(c.draft.description, maxLines = 1, overflow = TextOverflow.Ellipsis)
                Text(dateTime(c.createdAt), style = MaterialTheme.typography.bodySmall)
            }
        },
        trailingContent = { StateChip(c) },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

/** Where the complaint is: on the phone, refused, or (once sent) the municipality's status. */
@Composable
fun StateChip(c: Complaint) {
    val label = if (c.state == ComplaintState.SENT) {
        statusLabel(c.detailedStatus, c.status) ?: stateLabel(c.state)
    } else {
        stateLabel(c.state)
    }
    val attention = c.state == ComplaintState.NEEDS_ATTENTION
    AssistChip(
        onClick = {},
        label = { Text(stringResource(label)) },
        colors = if (attention) {
            AssistChipDefaults.assistChipColors(
                containerColor = MaterialTheme.colorScheme.errorContainer,
                labelColor = MaterialTheme.colorScheme.onErrorContainer,
            )
        } else {
            AssistChipDefaults.assistChipColors(containerColor = Color.Transparent)
        },
    )
}
