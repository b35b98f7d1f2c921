package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import ps.gaza.baladiya.ui.AppSurface
import ps.gaza.baladiya.ui.common.ShownTime
import ps.gaza.baladiya.ui.complaints.ComplaintDetail
import ps.gaza.baladiya.ui.complaints.ComplaintDetailModel
import ps.gaza.baladiya.ui.complaints.ComplaintForm
import ps.gaza.baladiya.ui.complaints.ComplaintFormModel
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.assertGolden
import ps.gaza.baladiya.ui.test.capture
import ps.gaza.baladiya.ui.test.runScreenTest
import uniffi.baladiya_core.UploadProgress
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.util.TimeZone
import javax.imageio.ImageIO

/**
 * Issue 17 in the app: the citizen's choice for the photos (full quality, later on Wi-Fi), the
 * photos waiting for Wi-Fi on the detail and going once the phone is on one, and an upload's
 * progress as "sending photo 2 of 3 — 40%". Against the real reference server, which takes the
 * complaint's text first and its photos after, as resumable uploads.
 */
@OptIn(ExperimentalTestApi::class)
class PhotoDeliveryTest {
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

    @Test
    fun photosKeptForWifiWaitOnMobileDataAndGoOnWifi() = runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
        val s = stringsFor("ar")
        val client = fx.app.client
        client.setMetered(true)
        var detailOf by mutableStateOf<String?>(null)
        lateinit var form: ComplaintFormModel
        lateinit var detail: ComplaintDetailModel
        setContent {
            val scope = rememberCoroutineScope()
            AppSurface("ar", fx.platform) {
                val shown = detailOf
                if (shown == null) {
                    form = remember { ComplaintFormModel(fx.env, scope, null) }
                    ComplaintForm(form, onBack = {}, onFiled = {})
                } else {
                    detail = remember(shown) { ComplaintDetailModel(fx.env, scope, shown) }
                    ComplaintDetail(detail, onBack = {}, openEdit = {})
                }
            }
        }
        await("categories", 60_000) { form.form.value.categories.isNotEmpty() }
        form.selectCategory(form.form.value.categories.first { it.code == "water-leak" })
        await("questions", 60_000) { form.form.value.attributes.isNotEmpty() }
        form.setAnswer("severity", listOf("burst"))
        form.setDescription("تسرب من العداد أمام البيت منذ الصباح")
        form.locate()
        form.addPhoto(jpeg(1600, 1200))
        // The choices appear with the photo; the citizen taps the Wi-Fi one (the whole row is the switch).
        await("the photo choices", 10_000) { onAllNodes(hasText(s.complaintPhotosOnWifi)).fetchSemanticsNodes().isNotEmpty() }
        assertTrue(onAllNodes(hasText(s.complaintFullQuality)).fetchSemanticsNodes().isNotEmpty())
        onNodeWithText(s.complaintPhotosOnWifi).performScrollTo().performClick()
        await("the Wi-Fi choice", 5_000) { form.form.value.photosOnWifi }
        assertFalse(form.form.value.fullQuality)
        await("the location", 10_000) { form.form.value.location != null }
        form.submit()
        await("filed", 60_000) { form.filed.value != null }
        val localId = form.filed.value!!

        // On mobile data the complaint goes, its photo stays.
        val first = runBlocking { client.flushComplaints() }
        assertEquals(1, first.sent.size)
        assertEquals(0u, first.photosUploaded)
        val sent = runBlocking { client.complaint(localId) }
        assertTrue(sent.photosOnUnmeteredOnly)
        assertNotNull(sent.serverId)
        val serverId = sent.serverId!!
        assertFalse(fx.server.get("open311/v2/requests/$serverId.json").contains("media_url"))

        // Reproducible pixels: one time zone, every shown time the same instant.
        TimeZone.setDefault(TimeZone.getTimeZone("Asia/Gaza"))
        ShownTime.frozenAt = 1_795_000_000_000
        detailOf = localId
        await("photos waiting for Wi-Fi", 60_000) {
            onAllNodes(hasText(s.photosWaitingForWifi(1))).fetchSemanticsNodes().isNotEmpty()
        }
        assertTrue(onAllNodes(hasText(s.photosReceived(0, 1))).fetchSemanticsNodes().isNotEmpty())
        assertGolden("complaint_photos_wifi/ar_phone", capture(), ScreenshotTest.APP_TOLERANCE, masks = variesBounds())

        // A progress report for this complaint reads as a sentence and a bar with its value.
        detail.showProgress(UploadProgress(localId, 2u, 3u, 40_000uL, 100_000uL, 140_000uL, 300_000uL))
        await("the progress", 10_000) {
            onAllNodes(hasText(s.sendingPhoto(2, 3, 40))).fetchSemanticsNodes().isNotEmpty()
        }
        assertGolden("complaint_upload_progress/ar_phone", capture(), ScreenshotTest.APP_TOLERANCE, masks = variesBounds())
        // The bar is a node of its own for a screen reader, with the whole upload's value.
        val bars = onAllNodes(SemanticsMatcher.keyIsDefined(SemanticsProperties.ProgressBarRangeInfo)).fetchSemanticsNodes()
        assertEquals(1, bars.size)
        assertEquals(140f / 300f, bars.single().config[SemanticsProperties.ProgressBarRangeInfo].current, 0.01f)
        // Another complaint's progress is not this one's; a finished upload is not "100%".
        detail.showProgress(UploadProgress("BL-OTHER", 1u, 1u, 5uL, 10uL, 5uL, 10uL))
        detail.showProgress(UploadProgress(localId, 3u, 3u, 100_000uL, 100_000uL, 300_000uL, 300_000uL))
        await("the progress gone", 10_000) { onAllNodes(hasText(s.sendingPhoto(3, 3, 100))).fetchSemanticsNodes().isEmpty() }
        assertEquals(null, detail.progress.value)

        // On Wi-Fi the platform says so; the next flush sends the photo and the detail follows.
        client.setMetered(false)
        val second = runBlocking { client.flushComplaints() }
        assertEquals(1u, second.photosUploaded)
        await("the photo received", 60_000) {
            onAllNodes(hasText(s.photosReceived(1, 1))).fetchSemanticsNodes().isNotEmpty()
        }
        assertTrue(onAllNodes(hasText(s.photosWaitingForWifi(1))).fetchSemanticsNodes().isEmpty())
        assertTrue(fx.server.get("open311/v2/requests/$serverId.json").contains("media_url"))
    }

    @Test
    fun fullQualityIsAskedForOnlyWhenTheCitizenChoosesIt() = runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
        val s = stringsFor("en")
        runBlocking { fx.env.followLanguage("en") }
        lateinit var form: ComplaintFormModel
        setContent {
            val scope = rememberCoroutineScope()
            form = remember { ComplaintFormModel(fx.env, scope, null) }
            AppSurface("en", fx.platform) { ComplaintForm(form, onBack = {}, onFiled = {}) }
        }
        await("categories", 60_000) { form.form.value.categories.isNotEmpty() }
        // No photo, no photo choices.
        assertTrue(onAllNodes(hasText(s.complaintFullQuality)).fetchSemanticsNodes().isEmpty())
        form.addPhoto(jpeg(800, 600))
        await("the photo choices", 10_000) { onAllNodes(hasText(s.complaintFullQuality)).fetchSemanticsNodes().isNotEmpty() }
        onNodeWithText(s.complaintFullQuality).performScrollTo().performClick()
        await("full quality on", 5_000) { form.form.value.fullQuality }
        form.removePhoto(0)
        await("the choices gone with the photo", 5_000) {
            onAllNodes(hasText(s.complaintFullQuality)).fetchSemanticsNodes().isEmpty()
        }
    }

    private fun jpeg(width: Int, height: Int): ByteArray {
        val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until height) for (x in 0 until width) image.setRGB(x, y, (x * 255 / width shl 16) or (y * 255 / height shl 8) or 90)
        return ByteArrayOutputStream().also { ImageIO.write(image, "jpg", it) }.toByteArray()
    }
}
