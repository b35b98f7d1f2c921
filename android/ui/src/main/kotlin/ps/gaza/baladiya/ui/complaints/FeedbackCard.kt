package ps.gaza.baladiya.ui.complaints

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Star
import androidx.compose.material3.Button
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.common.strings
import uniffi.baladiya_core.Complaint
import uniffi.baladiya_core.FollowUpState

/** Whether a closed complaint has anything to show here: feedback or reopening, offered or given. */
fun hasFollowUps(c: Complaint): Boolean = c.canGiveFeedback || c.feedback != null || c.canReopen || c.reopen != null

/**
 * After the municipality closed a complaint (issue 15.2): "was it really solved?" (yes or no, 1 to
 * 5 stars, a comment) while the core offers it, then what was said and where it is; and reopening
 * with a reason within 14 days of the closing. Every control has its own label for a screen
 * reader (the stars say "3 of 5 stars") and is at least 48 dp.
 */
@Composable
fun FeedbackCard(c: Complaint, onFeedback: (Boolean, Int, String) -> Unit, onReopen: (String) -> Unit) {
    val s = strings
    var resolved by rememberSaveable(c.closedDatetime) { mutableStateOf<Boolean?>(null) }
    var stars by rememberSaveable(c.closedDatetime) { mutableStateOf(0) }
    var comment by rememberSaveable(c.closedDatetime) { mutableStateOf("") }
    var reason by rememberSaveable(c.closedDatetime) { mutableStateOf("") }
    OutlinedCard(Modifier.fillMaxWidth().padding(vertical = 4.dp).testTag("feedback-card")) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            if (c.canGiveFeedback) {
                Text(s.feedbackTitle, fontWeight = FontWeight.Bold, modifier = Modifier.semantics { heading() })
                Column(Modifier.selectableGroup()) {
                    for ((value, label) in listOf(true to s.feedbackYes, false to s.feedbackNo)) {
                        Row(
                            Modifier.fillMaxWidth().heightIn(min = 48.dp)
                                .selectable(selected = resolved == value, role = Role.RadioButton) { resolved = value },
                            verticalAlignment = Alignment.CenterVertically,
                            horizontalArrangement = Arrangement.spacedBy(8.dp),
                        ) {
                            RadioButton(selected = resolved == value, onClick = null)
                            Text(label)
                        }
                    }
                }
                Text(s.feedbackStars, style = MaterialTheme.typography.labelLarge)
                Row(Modifier.selectableGroup(), verticalAlignment = Alignment.CenterVertically) {
                    for (n in 1..5) {
                        val label = s.feedbackStar(n)
                        Icon(
                            Icons.Filled.Star,
                            contentDescription = null,
                            tint = if (n <= stars) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.outlineVariant,
                            modifier = Modifier.size(48.dp)
                                .selectable(selected = stars == n, role = Role.RadioButton) { stars = n }
                                .semantics { contentDescription = label }
                                .padding(8.dp),
                        )
                    }
                }
                OutlinedTextField(
                    value = comment,
                    onValueChange = { comment = it },
                    label = { Text(s.feedbackComment) },
                    minLines = 2,
                    modifier = Modifier.fillMaxWidth().testTag("feedback-comment"),
                )
                val chosen = resolved
                Button(
                    onClick = { if (chosen != null) onFeedback(chosen, stars, comment) },
                    enabled = chosen != null && stars in 1..5,
                    modifier = Modifier.heightIn(min = 48.dp),
                ) { Text(s.feedbackSend) }
            }
            c.feedback?.let { f ->
                Text(
                    "${s.feedbackGiven(f.resolved, f.rating.toInt())} — ${followUpState(f.state, f.error)}",
                    modifier = Modifier.testTag("feedback-given"),
                )
            }
            if (c.canReopen) {
                Text(s.reopenTitle, fontWeight = FontWeight.Bold, modifier = Modifier.padding(top = 8.dp).semantics { heading() })
                c.reopenUntil?.let { Text(s.reopenUntil(s.dateTime(it)), style = MaterialTheme.typography.bodySmall) }
                OutlinedTextField(
                    value = reason,
                    onValueChange = { reason = it },
                    label = { Text(s.reopenReason) },
                    minLines = 2,
                    modifier = Modifier.fillMaxWidth().testTag("reopen-reason"),
                )
                OutlinedButton(
                    onClick = { onReopen(reason.trim()) },
                    enabled = reason.isNotBlank(),
                    modifier = Modifier.heightIn(min = 48.dp),
                ) { Text(s.reopenSend) }
            }
            c.reopen?.let { r ->
                Text("${s.reopenAsked(r.reason)} — ${followUpState(r.state, r.error)}", modifier = Modifier.testTag("reopen-asked"))
            }
        }
    }
}

@Composable
private fun followUpState(state: FollowUpState, error: String?): String = when (state) {
    FollowUpState.QUEUED -> strings.followUpQueued
    FollowUpState.SENT -> strings.followUpSent
    FollowUpState.REFUSED -> strings.followUpRefused(error.orEmpty())
}
