package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasScrollAction
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollToNode
import androidx.compose.ui.test.performTextInput
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import ps.gaza.baladiya.ui.AppSurface
import ps.gaza.baladiya.ui.complaints.ComplaintDetail
import ps.gaza.baladiya.ui.complaints.ComplaintDetailModel
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.runScreenTest
import uniffi.baladiya_core.FollowUpState

/**
 * Issue 15.2 on the complaint detail screen: once the municipality closes the complaint, the
 * citizen answers "was it really solved?" with a choice, stars and a comment, then reopens it with
 * a reason; Arabic first, every control of the card labelled and at least 48 dp.
 */
@OptIn(ExperimentalTestApi::class)
class FeedbackReopenScreenTest {
    private fun detail(block: SkikoComposeUiTest.(ComplaintDetailModel) -> Unit) {
        runBlocking { fx.env.followLanguage("ar") }
        runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
            lateinit var vm: ComplaintDetailModel
            setContent {
                val scope = rememberCoroutineScope()
                vm = remember { ComplaintDetailModel(fx.env, scope, fx.complaintId) }
                AppSurface("ar", fx.platform) { ComplaintDetail(vm, onBack = {}, openEdit = {}) }
            }
            await("the closed complaint", 60_000) { vm.complaint.value?.canGiveFeedback == true }
            block(vm)
        }
    }

    /** What the outbox does on a phone when the flush the screen asked for runs. */
    private fun SkikoComposeUiTest.flushAndReload(vm: ComplaintDetailModel) {
        runBlocking { fx.app.client.flushComplaints() }
        vm.load()
        waitForIdle()
    }

    @Test
    fun theCitizenRatesTheFixThenReopensItWithAReason() = detail { vm ->
        val s = stringsFor("ar")
        onNode(hasScrollAction()).performScrollToNode(hasTestTag("feedback-card"))
        waitForIdle()
        assertCardAccessible()

        // The send button waits for both answers.
        onNode(hasScrollAction()).performScrollToNode(hasText(s.feedbackSend))
        onNodeWithText(s.feedbackSend).assertIsNotEnabled()
        onNode(hasScrollAction()).performScrollToNode(hasText(s.feedbackNo))
        onNodeWithText(s.feedbackNo).performClick()
        onNodeWithText(s.feedbackSend).assertIsNotEnabled()
        onNodeWithContentDescription(s.feedbackStar(2)).performClick()
        onNodeWithTag("feedback-comment").performTextInput("ما زال الماء يتسرب")
        onNode(hasScrollAction()).performScrollToNode(hasText(s.feedbackSend))
        onNodeWithText(s.feedbackSend).assertIsEnabled()
        val flushesBefore = fx.platform.flushes.size
        onNodeWithText(s.feedbackSend).performClick()
        await("written") { vm.complaint.value?.feedback != null }
        assertTrue("a flush is asked for", fx.platform.flushes.size > flushesBefore)
        val feedback = vm.complaint.value?.feedback!!
        assertEquals(false, feedback.resolved)
        assertEquals(2, feedback.rating.toInt())
        assertEquals("ما زال الماء يتسرب", feedback.comment)

        flushAndReload(vm)
        await("sent") { vm.complaint.value?.feedback?.state == FollowUpState.SENT }
        onNode(hasScrollAction()).performScrollToNode(hasTestTag("feedback-given"))
        val given = "${s.feedbackGiven(false, 2)} — ${s.followUpSent}"
        await("said") { onAllNodes(hasText(given), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty() }
        assertTrue("no second card", onAllNodes(hasText(s.feedbackTitle)).fetchSemanticsNodes().isEmpty())

        // Reopening needs a reason.
        onNode(hasScrollAction()).performScrollToNode(hasText(s.reopenSend))
        onNodeWithText(s.reopenSend).assertIsNotEnabled()
        val until = vm.complaint.value?.reopenUntil!!
        assertTrue(onAllNodes(hasText(s.reopenUntil(s.dateTime(until)))).fetchSemanticsNodes().isNotEmpty())
        onNodeWithTag("reopen-reason").performTextInput("عاد التسرب بعد يومين")
        onNodeWithText(s.reopenSend).assertIsEnabled()
        onNodeWithText(s.reopenSend).performClick()
        await("asked") { vm.complaint.value?.reopen != null }
        flushAndReload(vm)
        await("open again") { vm.complaint.value?.status == "open" }
        val c = vm.complaint.value!!
        assertEquals("routed", c.detailedStatus)
        assertTrue(c.updates.last().description.contains("عاد التسرب بعد يومين"))
        // Nothing more to say until it is closed again: the card is gone.
        await("card gone") { onAllNodes(hasTestTag("feedback-card")).fetchSemanticsNodes().isEmpty() }
    }

    /** Every control of the card a screen reader reaches says what it is and is at least 48 dp. */
    private fun SkikoComposeUiTest.assertCardAccessible() {
        val card = onNodeWithTag("feedback-card", useUnmergedTree = true).fetchSemanticsNode()
        val problems = mutableListOf<String>()
        for (n in card.descendants()) {
            if (n.config.getOrNull(SemanticsActions.OnClick) == null) continue
            val label = n.labelText()
            if (label.isBlank()) problems += "a control without a label at ${n.boundsInRoot}"
            val width = maxOf(n.touchBoundsInRoot.width, n.size.width.toFloat())
            val height = maxOf(n.touchBoundsInRoot.height, n.size.height.toFloat())
            if (width < 48 * 2 - 1 || height < 48 * 2 - 1) problems += "'$label' takes touches on ${width}x$height px"
        }
        val s = stringsFor("ar")
        for (n in 1..5) {
            if (card.descendants().none { it.labelText() == s.feedbackStar(n) }) problems += "star $n is not labelled"
        }
        if (card.descendants().none { it.config.getOrNull(SemanticsProperties.Heading) != null }) problems += "no heading"
        assertTrue(problems.joinToString("\n"), problems.isEmpty())
    }

    companion object {
        lateinit var fx: AppFixture

        @JvmStatic
        @BeforeClass
        fun start() {
            fx = AppFixture()
            // The municipality marks the fixture's complaint fixed; the phone learns it.
            runBlocking {
                val c = fx.app.client
                val serverId = c.complaint(fx.complaintId).serverId!!
                val (status, body) = fx.server.staffAction(serverId, """{"action":"status","detailed_status":"fixed"}""")
                check(status == 200) { "fixed: $status $body" }
                c.refreshComplaints()
            }
        }

        @JvmStatic
        @AfterClass
        fun stop() = fx.close()
    }
}
