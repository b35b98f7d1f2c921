package ps.gaza.baladiya.ui.complaints

import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.withStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
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
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.VARIES
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.LocalPlatform
import ps.gaza.baladiya.ui.common.coordinates
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.InfoBanner
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.SectionTitle
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.common.freeText
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.rfc3339
import ps.gaza.baladiya.ui.common.statusLabel
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text
import ps.gaza.baladiya.ui.common.uiLanguage
import ps.gaza.baladiya.ui.common.writtenText
import androidx.compose.material3.LinearProgressIndicator
import uniffi.baladiya_core.Complaint
import uniffi.baladiya_core.ComplaintState
import uniffi.baladiya_core.UploadProgress
import uniffi.baladiya_core.ComplaintUpdate

@Composable
fun ComplaintDetailScreen(env: AppEnv, localId: String, onBack: () -> Unit, openEdit: (String) -> Unit) {
    val modelScope = rememberCoroutineScope()
    val vm = remember(localId) { ComplaintDetailModel(env, modelScope, localId) }
    ComplaintDetail(vm, onBack, openEdit)
}

/**
 * One complaint: tracking number, where it is, what the citizen reported (answers included, so
 * they can check it) and what the municipality did. Notes and replies are the staff's free text:
 * their phone numbers read in order and open the dialler.
 */
@Composable
fun ComplaintDetail(vm: ComplaintDetailModel, onBack: () -> Unit, openEdit: (String) -> Unit) {
    val complaint by vm.complaint.collectAsState()
    val categoryName by vm.categoryName.collectAsState()
    val answers by vm.answers.collectAsState()
    val progress by vm.progress.collectAsState()
    val error by vm.error.collectAsState()
    val platform = LocalPlatform.current
    var confirmCancel by rememberSaveable { mutableStateOf(false) }

    ScreenScaffold(title = strings.complaintTitle, onBack = onBack) { padding ->
        LazyColumn(
            Modifier.padding(padding).fillMaxSize(),
            contentPadding = PaddingValues(16.dp),
            verticalArrangement = Arrangement.spacedBy(4.dp),
        ) {
            item { ErrorBanner(error, vm::dismissError) }
            val c = complaint ?: return@LazyColumn
            item {
                val numberLabel = if (c.followed) strings.complaintRequestNumber else strings.complaintTrackingNumber
                Text(numberLabel, style = MaterialTheme.typography.labelMedium)
                // The number on a line of its own (VARIES: drawn at random), the copy button below,
                // so a long number never pushes the button onto another line.
                Text(
                    strings.id(shownNumber(c)),
                    style = MaterialTheme.typography.headlineSmall,
                    fontWeight = FontWeight.Bold,
                    maxLines = 1,
                    modifier = Modifier.fillMaxWidth().testTag(VARIES),
                )
                TextButton(onClick = { platform.copyToClipboard(numberLabel, shownNumber(c)) }) { Text(strings.copy) }
                Row(verticalAlignment = Alignment.CenterVertically) { StateChip(c) }
            }
            when (c.state) {
                ComplaintState.NEEDS_ATTENTION -> item {
                    // The server's reason, in the server's words.
                    InfoBanner(strings.complaintRefused(c.lastError.orEmpty()))
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedButton(onClick = { openEdit(c.localId) }) { Text(strings.complaintEdit) }
                        OutlinedButton(onClick = vm::resend) { Text(strings.complaintResend) }
                        TextButton(onClick = { confirmCancel = true }) { Text(strings.complaintCancel) }
                    }
                }
                ComplaintState.QUEUED -> item {
                    val next = c.nextAttemptAt
                    InfoBanner(
                        if (next != null && c.attempts > 0u) {
                            strings.complaintWaitingRetry(strings.dateTime(next))
                        } else {
                            strings.complaintWaiting
                        },
                    )
                    // Editing and cancelling are possible until an attempt could have reached the
                    // server; the core says so if it is too late.
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedButton(onClick = { openEdit(c.localId) }) { Text(strings.complaintEdit) }
                        TextButton(onClick = { confirmCancel = true }) { Text(strings.complaintCancel) }
                    }
                }
                ComplaintState.SENT -> c.statusNotes?.takeIf { it.isNotBlank() }?.let { notes ->
                    item { InfoBanner(freeText(notes)) }
                }
                ComplaintState.CANCELLED -> Unit
            }
            if (c.photoCount > 0u && c.state != ComplaintState.CANCELLED) item { PhotoDelivery(c, progress) }
            // Someone else's request the citizen follows (issue 15.3): said so, with how many
            // follow it; not theirs to rate or reopen.
            if (c.followed) {
                item {
                    InfoBanner(strings.complaintFollowedNote, Modifier.testTag("followed-note"))
                    FollowingMark(c)
                }
            } else if (hasFollowUps(c)) {
                item { FeedbackCard(c, vm::giveFeedback, vm::reopen) }
            }
            item {
                SectionTitle(strings.complaintDetails)
                Text(categoryName ?: c.draft.serviceCode, fontWeight = FontWeight.Bold)
                Text(c.draft.description, style = writtenText())
                answers.forEach { a -> AnswerLine(a) }
                c.draft.address?.let { Text(strings.complaintAddressValue(it)) }
                c.draft.location?.let {
                    Text(strings.complaintLocationSet(strings.coordinates(it.lat, it.long)))
                }
                val photos = c.photoCount.toInt()
                if (photos > 0) Text(strings.photosAttached(photos))
                if (photos > 0 && c.serverId != null) {
                    Text(strings.photosReceived(c.photosUploaded.toInt(), photos), style = MaterialTheme.typography.bodySmall)
                }
                if (!c.followed) {
                    Text(
                        if (c.draft.contact == null) strings.complaintSentAnonymously else strings.complaintSentWithContact,
                        style = MaterialTheme.typography.bodySmall,
                    )
                    Text(strings.complaintCreated(strings.dateTime(c.createdAt)), style = MaterialTheme.typography.bodySmall)
                    c.sentAt?.let { Text(strings.complaintSentAt(strings.dateTime(it)), style = MaterialTheme.typography.bodySmall) }
                }
                c.expectedDatetime?.let { Text(strings.complaintExpected(strings.rfc3339(it)), style = MaterialTheme.typography.bodySmall) }
                if (c.overdue) OverdueMark()
            }
            if (c.updates.isNotEmpty()) {
                item { SectionTitle(strings.complaintHistory) }
                items(c.updates, key = { it.updateId }) { u -> UpdateCard(u) }
            }
        }
    }

    if (confirmCancel) {
        AlertDialog(
            onDismissRequest = { confirmCancel = false },
            title = { Text(strings.complaintCancelConfirm) },
            confirmButton = {
                TextButton(onClick = {
                    confirmCancel = false
                    vm.cancel()
                }) { Text(strings.complaintCancel) }
            },
            dismissButton = { TextButton(onClick = { confirmCancel = false }) { Text(strings.keep) } },
        )
    }
}

/** One entry of the municipality's history: when, the status it set, and its note or reply. */
@Composable
private fun UpdateCard(u: ComplaintUpdate) {
    OutlinedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp)) {
            Text(strings.rfc3339(u.updatedDatetime), style = MaterialTheme.typography.labelSmall)
            strings.statusLabel(u.detailedStatus, u.status)?.let { Text(it, fontWeight = FontWeight.Bold) }
            if (u.description.isNotBlank()) Text(freeText(u.description), style = writtenText())
        }
    }
}

/** "Leak size: Large" — the question as the category words it, the citizen's answer. */
@Composable
private fun AnswerLine(a: AnswerRow) {
    val s = strings
    val shown = if (a.isDateTime) a.values.map { s.rfc3339(it) } else a.values
    val sep = if (s.language == "ar") "\u060C " else ", "
    Text(
        buildAnnotatedString {
            withStyle(SpanStyle(fontWeight = FontWeight.Bold)) { append(a.question.trimEnd(':', '\u061F', '?', ' ')) }
            append(": ")
            append(shown.joinToString(sep))
        },
        style = MaterialTheme.typography.bodyMedium,
        modifier = Modifier.padding(vertical = 2.dp).testTag("answer"),
    )
}

/**
 * Where the photos are: "sending photo 2 of 3 — 40%" with a bar for the whole upload while bytes
 * move, then what is still to send (waiting for Wi-Fi, or for the next attempt) and what the
 * server refused. Before the complaint itself is on the server its state banner says enough.
 */
@Composable
private fun PhotoDelivery(c: Complaint, progress: UploadProgress?) {
    if (progress != null) {
        val text = if (progress.photoIndex == 0u) {
            strings.sendingComplaintWithPhotos(percent(progress.bytesSent, progress.bytesTotal))
        } else {
            strings.sendingPhoto(
                progress.photoIndex.toInt(),
                progress.photoCount.toInt(),
                percent(progress.photoBytesSent, progress.photoBytesTotal),
            )
        }
        // A screen reader reads the sentence, then the bar (a node of its own) with its value.
        Column(
            Modifier.fillMaxWidth().padding(vertical = 4.dp).testTag("upload-progress"),
            verticalArrangement = Arrangement.spacedBy(4.dp),
        ) {
            Text(text)
            LinearProgressIndicator(
                progress = { fraction(progress.bytesSent, progress.bytesTotal) },
                modifier = Modifier.fillMaxWidth(),
            )
        }
        return
    }
    if (c.serverId == null) return
    val remaining = c.photoCount.toInt() - c.photosUploaded.toInt() - c.photosRefused.toInt()
    if (remaining > 0) {
        InfoBanner(
            if (c.photosOnUnmeteredOnly) strings.photosWaitingForWifi(remaining) else strings.photosStillToSend(remaining),
            Modifier.testTag("photos-waiting"),
        )
    }
    if (c.photosRefused > 0u) Text(strings.photosRefused(c.photosRefused.toInt()))
}

private fun fraction(sent: ULong, total: ULong): Float =
    if (total == 0uL) 0f else (sent.toDouble() / total.toDouble()).toFloat().coerceIn(0f, 1f)

/** Whole percent, rounded down: 100% only when every byte is sent. */
private fun percent(sent: ULong, total: ULong): Int = if (total == 0uL) 0 else (sent.coerceAtMost(total) * 100uL / total).toInt()
