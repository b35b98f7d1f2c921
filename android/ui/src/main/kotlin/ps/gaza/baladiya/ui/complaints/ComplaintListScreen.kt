package ps.gaza.baladiya.ui.complaints

import androidx.compose.foundation.layout.fillMaxWidth
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
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.previewText
import ps.gaza.baladiya.ui.common.VARIES
import ps.gaza.baladiya.ui.common.EmptyState
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.InfoBanner
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.stateLabel
import ps.gaza.baladiya.ui.common.statusLabel
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text
import uniffi.baladiya_core.Complaint
import uniffi.baladiya_core.ComplaintState

@Composable
fun ComplaintListScreen(vm: ComplaintsModel, openNew: () -> Unit, openComplaint: (String) -> Unit) {
    val complaints by vm.complaints.collectAsState()
    val names by vm.categoryNames.collectAsState()
    val sending by vm.sending.collectAsState()
    val retryAt by vm.retryAt.collectAsState()
    val error by vm.error.collectAsState()
    // Back from the form or a notification: read the list again (local, cheap).
    LaunchedEffect(Unit) { vm.reload() }

    val queued = complaints.count { it.state == ComplaintState.QUEUED }
    ScreenScaffold(
        title = strings.complaintsTitle,
        actions = {
            if (sending) {
                CircularProgressIndicator(Modifier.padding(12.dp).size(24.dp), strokeWidth = 2.dp)
            } else {
                IconButton(onClick = vm::sendAndRefresh) {
                    Icon(Icons.Filled.Refresh, contentDescription = strings.complaintsRefresh)
                }
            }
        },
    ) { padding ->
        Box(Modifier.padding(padding).fillMaxSize()) {
            LazyColumn(Modifier.fillMaxSize(), contentPadding = PaddingValues(bottom = 88.dp)) {
                item { ErrorBanner(error, vm::dismissError) }
                retryAt?.let { at ->
                    item { InfoBanner(strings.complaintsRetryAt(strings.dateTime(at))) }
                }
                if (queued > 0) {
                    item { InfoBanner(strings.complaintsQueued(queued)) }
                }
                if (complaints.isEmpty()) {
                    item { EmptyState(strings.complaintsEmpty) }
                } else {
                    item {
                        Text(
                            strings.complaintsCount(complaints.size),
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
                text = { Text(strings.complaintsNew) },
                modifier = Modifier.align(Alignment.BottomEnd).padding(16.dp),
            )
        }
    }
}

@Composable
private fun ComplaintRow(c: Complaint, categoryName: String?, onClick: () -> Unit) {
    ListItem(
        // A followed request goes by the municipality's number (its local one means nothing).
        overlineContent = { Text(strings.id(shownNumber(c)), modifier = Modifier.fillMaxWidth().testTag(VARIES)) },
        headlineContent = { Text(categoryName ?: c.draft.serviceCode) },
        supportingContent = {
            Column {
                Text(c.draft.description, maxLines = 1, overflow = TextOverflow.Ellipsis, modifier = Modifier.previewText())
                Text(strings.dateTime(c.createdAt), style = MaterialTheme.typography.bodySmall)
                if (c.followed) FollowingMark(c)
                if (c.overdue) OverdueMark()
            }
        },
        trailingContent = { StateChip(c) },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

/** The number to show for a complaint: the municipality's for a followed request, else the tracking number. */
fun shownNumber(c: Complaint): String = if (c.followed) c.serverId ?: c.localId else c.localId

/** "Following · 3 citizens follow this": a request reported by someone else that the citizen follows. */
@Composable
fun FollowingMark(c: Complaint) {
    val s = strings
    val text = listOfNotNull(s.complaintFollowing, c.followers?.let { s.nearbyFollowers(it.toInt()) }).joinToString(" · ")
    Text(
        text,
        style = MaterialTheme.typography.labelMedium,
        color = MaterialTheme.colorScheme.primary,
        modifier = Modifier.testTag("following-mark"),
    )
}

/** A sent complaint past the municipality's expected date and still open: said in words, in the error colour. */
@Composable
fun OverdueMark() {
    Text(strings.complaintOverdue, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.error)
}

/** Where the complaint is: on the phone, refused, or (once sent) the municipality's status. */
@Composable
fun StateChip(c: Complaint) {
    val label = if (c.state == ComplaintState.SENT) {
        strings.statusLabel(c.detailedStatus, c.status) ?: strings.stateLabel(c.state)
    } else {
        strings.stateLabel(c.state)
    }
    val attention = c.state == ComplaintState.NEEDS_ATTENTION
    AssistChip(
        onClick = {},
        label = { Text(label) },
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
