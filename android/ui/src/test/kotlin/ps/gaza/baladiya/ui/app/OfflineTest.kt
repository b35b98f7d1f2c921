package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performScrollToNode
import androidx.compose.ui.test.performTextInput
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.ui.AppModels
import ps.gaza.baladiya.ui.AppRoot
import ps.gaza.baladiya.ui.Screen
import ps.gaza.baladiya.ui.Tab
import ps.gaza.baladiya.ui.common.ShownTime
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.assertGolden
import ps.gaza.baladiya.ui.test.capture
import ps.gaza.baladiya.ui.test.runScreenTest
import uniffi.baladiya_core.ComplaintState
import uniffi.baladiya_ffi.ApiException
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.util.TimeZone
import javax.imageio.ImageIO

/** The network comes and goes; what the citizen did is kept and reaches the municipality. */
@OptIn(ExperimentalTestApi::class)
class OfflineTest {
    private lateinit var fx: AppFixture

    @Before
    fun start() {
        fx = AppFixture()
    }

    @After
    fun stop() {
        ShownTime.frozenAt = null
        fx.close()
    }

    private fun app(block: SkikoComposeUiTest.(AppModels) -> Unit) = runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
        lateinit var models: AppModels
        setContent {
            val scope = rememberCoroutineScope()
            models = remember { AppModels(fx.env, scope) }
            AppRoot(models, "ar")
        }
        waitForIdle()
        block(models)
    }

    @Test
    fun aComplaintFiledOfflineWithAPhotoIsSentWhenTheServerReturns() = app { m ->
        val s = stringsFor("ar")
        fx.server.stopKeepingData()
        fx.platform.photo = jpeg(1200, 900)
        m.navigator.open(Screen.Complaints)
        m.navigator.open(Screen.NewComplaint)
        await("the form", 60_000) { onAllNodes(hasText(s.complaintChooseCategory)).fetchSemanticsNodes().isNotEmpty() }
        onNodeWithText(s.complaintChooseCategory).performClick()
        waitForIdle()
        // The categories were cached while online: the dialog lists them offline.
        val leak = runBlocking { fx.app.client.complaintCategories() }.first { it.code == "water-leak" }
        onNodeWithTag("category-list").performScrollToNode(hasText(leak.name))
        onNodeWithText(leak.name).performClick()
        val severity = runBlocking { fx.app.client.complaintDefinition("water-leak") }.first { it.code == "severity" }
        await("the questions", 60_000) { onAllNodes(hasText(severity.values.first().name)).fetchSemanticsNodes().isNotEmpty() }
        onNodeWithText(severity.values.last().name).performScrollTo().performClick()
        onNodeWithText(s.complaintDescription).performScrollTo().performTextInput("تسرب من العداد أمام البيت")
        onNodeWithText(s.complaintUseLocation).performScrollTo().performClick()
        onNodeWithText(s.complaintAddPhoto).performScrollTo().performClick()
        await("the photo's preview", 10_000) {
            onAllNodes(androidx.compose.ui.test.hasContentDescription(s.complaintPhotoN(1))).fetchSemanticsNodes().isNotEmpty()
        }
        onNodeWithText(s.complaintSubmit).performScrollTo().performClick()
        // Filed at once, offline: the tracking number is shown and the complaint waits in the outbox.
        await("filed", 60_000) { onAllNodes(hasText(s.complaintTrackingNumber)).fetchSemanticsNodes().isNotEmpty() }
        val queued = runBlocking { fx.app.client.complaints() }.first { it.state == ComplaintState.QUEUED }
        assertEquals(1u, queued.photoCount)
        onNodeWithText(s.ok).performClick()
        await("the detail", 60_000) { m.navigator.current == Screen.Complaint(queued.localId) }
        await("waiting to send", 60_000) { onAllNodes(hasText(s.complaintWaiting)).fetchSemanticsNodes().isNotEmpty() }

        // The refresh button while the server is still down: the library says it could not reach
        // it and when the outbox tries again; the list shows why and when, and a wake-up is set.
        m.navigator.back()
        await("the list", 60_000) { m.navigator.current == Screen.Complaints }
        fx.platform.flushes.clear()
        m.complaints.sendAndRefresh()
        await("unreachable", 60_000) { !m.complaints.sending.value && m.complaints.retryAt.value != null }
        val retryAt = m.complaints.retryAt.value!!
        assertTrue("the retry is ahead", retryAt > System.currentTimeMillis() - 1_000)
        assertEquals(listOf<Long?>(retryAt), fx.platform.flushes.toList())
        assertTrue((m.complaints.error.value as? BaladiyaException)?.error is ApiException.Offline)
        await("why and when, on the screen", 10_000) {
            onAllNodes(hasText(s.errorOffline)).fetchSemanticsNodes().isNotEmpty() &&
                onAllNodes(hasText(s.complaintsRetryAt(s.dateTime(retryAt)))).fetchSemanticsNodes().isNotEmpty()
        }

        // The server is back: the same button sends it, exactly once, and the notice goes.
        fx.server.restart()
        m.complaints.sendAndRefresh()
        await("sent", 30_000) {
            runBlocking { fx.app.client.complaint(queued.localId) }.state == ComplaintState.SENT
        }
        // The text goes first, the photo after it as an upload of its own, in the same flush.
        await("the photo sent", 30_000) { runBlocking { fx.app.client.complaint(queued.localId) }.photosUploaded == 1u }
        val sent = runBlocking { fx.app.client.complaint(queued.localId) }
        assertNotNull(sent.serverId)
        val public = fx.server.get("open311/v2/requests/${sent.serverId}.json")
        assertTrue(public, public.contains("media_url"))
        await("shown as received", 60_000) {
            onAllNodes(hasText(s.statusReceived)).fetchSemanticsNodes().isNotEmpty()
        }
        // The states above change while the refresh still runs: its report clears the notice.
        await("the refresh finished", 60_000) { !m.complaints.sending.value }
        assertEquals(null, m.complaints.retryAt.value)
        assertEquals(null, m.complaints.error.value)
    }

    @Test
    fun aBillTypedInArabicDigitsIsSavedThenShownStaleWithItsDateOffline() = app { m ->
        val s = stringsFor("ar")
        TimeZone.setDefault(TimeZone.getTimeZone("Asia/Gaza"))
        m.navigator.openTab(Tab.BILLS)
        waitForIdle()
        runBlocking { fx.app.client.forgetAllBillAccounts() }
        onNodeWithTag("field-account", useUnmergedTree = true).performTextInput("٢٠٨٧٣٣١٥")
        onNodeWithTag("field-verification", useUnmergedTree = true).performTextInput("٠٥٩٨ ٧٦٥ ٤٣٢")
        onNodeWithTag("field-nickname", useUnmergedTree = true).performTextInput("المخبز")
        onNodeWithText(s.billsSave).performClick()
        await("saved", 60_000) { m.bills.state.value.saved.any { it.account == "20873315" } }
        assertEquals(false, m.bills.state.value.result?.stale)

        fx.server.stopKeepingData()
        onNodeWithText(s.billsShow).performClick()
        await("the offline copy", 60_000) { m.bills.state.value.result?.stale == true }
        // The banner says it is the saved copy, and of when it was fetched.
        val fetched = m.bills.state.value.result!!.fetchedAt
        assertTrue(onAllNodes(hasText(s.billStale(s.dateTime(fetched)))).fetchSemanticsNodes().isNotEmpty())
        // The same pixels on every run: shown times frozen, the screen drawn again (away and back).
        ShownTime.frozenAt = 1_795_000_000_000
        m.navigator.openTab(Tab.NEWS)
        waitForIdle()
        m.navigator.openTab(Tab.BILLS)
        await("the frozen date", 10_000) {
            onAllNodes(hasText(s.billStale(s.dateTime(0)))).fetchSemanticsNodes().isNotEmpty()
        }
        assertGolden("bill_stale/ar_phone", capture())
    }

    private fun jpeg(width: Int, height: Int): ByteArray {
        val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until height) for (x in 0 until width) image.setRGB(x, y, (x * 255 / width shl 16) or (y * 255 / height shl 8) or 90)
        return ByteArrayOutputStream().also { ImageIO.write(image, "jpg", it) }.toByteArray()
    }
}

