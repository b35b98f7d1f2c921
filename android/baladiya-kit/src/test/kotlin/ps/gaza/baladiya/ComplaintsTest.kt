package ps.gaza.baladiya

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_core.AttributeAnswer
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_core.ComplaintDraft
import uniffi.baladiya_core.ComplaintState
import uniffi.baladiya_core.Contact
import uniffi.baladiya_core.Datatype
import uniffi.baladiya_core.GeoPoint
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO

/** Complaints through the Kotlin facade, against the real reference server on loopback. */
class ComplaintsTest : ServerTest() {
    override suspend fun client() = client(DEMO_APP_KEY)

    private suspend fun client(apiKey: String?) =
        BaladiyaClient.open(appDir.toString(), server.url, apiKey = apiKey)

    @Test
    fun `filed offline with a photo, sent when the server is back, answered as a Flow event`() = runBlocking {
        client().use { c ->
            assertTrue(c.refreshComplaintCategories() >= 15)
            val leak = c.complaintCategories().single { it.code == "water-leak" }
            assertTrue(leak.hasAttributes)
            val severity = c.complaintDefinition("water-leak").single { it.code == "severity" }
            assertTrue(severity.required)
            assertEquals(Datatype.SINGLE_VALUE_LIST, severity.datatype)
            assertEquals(listOf("drip", "steady", "burst"), severity.values.map { it.key })
        }

        // The server goes away; the citizen files the complaint all the same.
        server.stopKeepingData()
        val localId = client().use { c ->
            val id = c.submitComplaint(leak("تسرب كبير أمام المدرسة"), listOf(jpeg(640, 480)))
            assertTrue(id.startsWith("BL-"), id)
            val queued = c.complaint(id)
            assertEquals(ComplaintState.QUEUED, queued.state)
            assertEquals(1u, queued.photoCount)
            assertNull(queued.serverId)

            val offline = c.flushComplaints()
            assertTrue(offline.sent.isEmpty())
            assertEquals(id, offline.retryLater?.localId)
            assertTrue(offline.retryLater!!.error.startsWith("offline"), offline.retryLater!!.error)
            assertEquals(1u, offline.remaining)
            val waiting = c.complaint(id)
            assertEquals(ComplaintState.QUEUED, waiting.state)
            assertEquals(1u, waiting.attempts)
            assertNotNull(waiting.nextAttemptAt)
            id
        } // The app is closed with the complaint in its outbox (SQLite).

        // The server comes back (same address, same data); the app starts again.
        server.restart()
        client().use { c ->
            val events = Channel<BaladiyaEvent>(Channel.UNLIMITED)
            val collector = record(c, events)

            val flushed = c.flushComplaints()
            assertEquals(listOf(localId), flushed.sent.map { it.localId })
            assertEquals(0u, flushed.remaining)
            val serverId = flushed.sent.single().serverId!!
            assertEquals(BaladiyaEvent.ComplaintSent(localId, serverId), withTimeout(10_000) { events.receive() })
            val sent = c.complaint(localId)
            assertEquals(ComplaintState.SENT, sent.state)
            assertEquals(serverId, sent.serverId)
            assertNotNull(sent.sentAt)
            // Sent once: another flush has nothing to send.
            assertTrue(c.flushComplaints().sent.isEmpty())
            // The photo reached the server (prepared as a JPEG).
            val public = server.get("open311/v2/requests/$serverId.json")
            assertTrue(Regex(""""media_url":"http[^"]+"""").containsMatchIn(public), public)

            val note = "الطاقم في الموقع"
            val (status, body) = server.staffAction(
                serverId,
                """{"action":"status","detailed_status":"in_progress","note":"$note"}""",
            )
            assertEquals(200, status, body)
            val report = c.refreshComplaints()
            assertEquals(1u, report.checked)
            assertEquals(1u, report.changed)

            val updated = withTimeout(10_000) { events.receive() }
            assertTrue(updated is BaladiyaEvent.ComplaintUpdated, updated.toString())
            updated as BaladiyaEvent.ComplaintUpdated
            assertEquals(localId, updated.localId)
            assertEquals(serverId, updated.serverId)
            assertEquals(note, updated.update.description)
            assertEquals("in_progress", updated.update.detailedStatus)

            val answered = c.complaint(localId)
            assertEquals("in_progress", answered.detailedStatus)
            assertEquals("open", answered.status)
            assertEquals(note, answered.updates.last().description)
            collector.cancel()
        }
    }

    @Test
    fun `a missing required attribute is a validation error naming the field`() = runBlocking {
        client().use { c ->
            c.refreshComplaintCategories()
            val missing = assertThrows<BaladiyaException> {
                runBlocking { c.submitComplaint(leak("تسرب", severity = null)) }
            }
            val validation = missing.error as ApiException.Validation
            assertEquals("attribute[severity]", validation.field)
            assertEquals("required", validation.reason)
            assertTrue(missing.message!!.contains("attribute[severity]"), missing.message)

            val unlisted = assertThrows<BaladiyaException> {
                runBlocking { c.submitComplaint(leak("تسرب", severity = "tsunami")) }
            }
            assertEquals("attribute[severity]", (unlisted.error as ApiException.Validation).field)

            val outside = assertThrows<BaladiyaException> {
                runBlocking { c.submitComplaint(leak("تسرب").copy(location = GeoPoint(31.70, 34.45))) }
            }
            assertEquals("location", (outside.error as ApiException.Validation).field)
            assertTrue(outside.message!!.contains("outside"), outside.message)

            val badPhoto = assertThrows<BaladiyaException> {
                runBlocking { c.submitComplaint(leak("تسرب"), listOf("not a picture".toByteArray())) }
            }
            assertEquals("photo", (badPhoto.error as ApiException.Validation).field)

            // Nothing was filed.
            assertTrue(c.complaints().isEmpty())
        }
    }

    @Test
    fun `cancel works while the complaint is on the phone, not once it is sent`() = runBlocking {
        client().use { c ->
            c.refreshComplaintCategories()
            val withdrawn = c.submitComplaint(leak("تسرب صغير"))
            c.cancelComplaint(withdrawn)
            assertEquals(ComplaintState.CANCELLED, c.complaint(withdrawn).state)

            val kept = c.submitComplaint(leak("تسرب في شارع الوحدة"))
            val report = c.flushComplaints()
            assertEquals(listOf(kept), report.sent.map { it.localId }, "the cancelled one is never sent")
            assertEquals(listOf(kept, withdrawn), c.complaints().map { it.localId }, "newest first")

            val tooLate = assertThrows<BaladiyaException> { runBlocking { c.cancelComplaint(kept) } }
            val validation = tooLate.error as ApiException.Validation
            assertEquals("local_id", validation.field)
            assertTrue(tooLate.message!!.contains("can no longer be cancelled"), tooLate.message)
            assertEquals(ComplaintState.SENT, c.complaint(kept).state)

            val unknown = assertThrows<BaladiyaException> { runBlocking { c.cancelComplaint("BL-NOPE") } }
            assertTrue(unknown.error is ApiException.NotFound, unknown.error.toString())
        }
    }

    @Test
    fun `a refused complaint needs attention until it is edited`() = runBlocking {
        // No categories cached (never online): only the checks that need no definition run here,
        // and the server has the last word.
        client().use { c ->
            val events = Channel<BaladiyaEvent>(Channel.UNLIMITED)
            val collector = record(c, events)
            val id = c.submitComplaint(leak("حفرة").copy(serviceCode = "no-such-category", attributes = emptyList()))

            val refused = c.flushComplaints()
            assertTrue(refused.sent.isEmpty())
            val reason = refused.needsAttention.single { it.localId == id }.reason
            assertTrue(reason.contains("service_code"), reason)
            assertEquals(BaladiyaEvent.ComplaintNeedsAttention(id, reason), withTimeout(10_000) { events.receive() })
            val waiting = c.complaint(id)
            assertEquals(ComplaintState.NEEDS_ATTENTION, waiting.state)
            assertEquals(reason, waiting.lastError)

            c.editComplaint(id, leak("تسرب بجانب الحفرة"))
            assertEquals(ComplaintState.QUEUED, c.complaint(id).state)
            val sent = c.flushComplaints().sent.single()
            assertEquals(id, sent.localId)
            assertEquals(BaladiyaEvent.ComplaintSent(id, sent.serverId), withTimeout(10_000) { events.receive() })
            val done = c.complaint(id)
            assertEquals(ComplaintState.SENT, done.state)
            assertEquals("water-leak", done.draft.serviceCode)

            val tooLate = assertThrows<BaladiyaException> { runBlocking { c.editComplaint(id, leak("تعديل")) } }
            assertEquals("local_id", (tooLate.error as ApiException.Validation).field)
            collector.cancel()
        }
    }

    @Test
    fun `a complaint refused for a wrong api key is resent unchanged with the right one`() = runBlocking {
        val id = client(apiKey = "not-our-key").use { c ->
            c.refreshComplaintCategories()
            val id = c.submitComplaint(leak("تسرب عند العداد"))
            val reason = c.flushComplaints().needsAttention.single { it.localId == id }.reason
            assertTrue(reason.contains("api_key"), reason)
            assertEquals(ComplaintState.NEEDS_ATTENTION, c.complaint(id).state)
            id
        }
        // The app, updated with its proper key, sends the same complaint again.
        client().use { c ->
            c.resendComplaint(id)
            val queued = c.complaint(id)
            assertEquals(ComplaintState.QUEUED, queued.state)
            assertEquals(0u, queued.attempts)
            assertEquals(listOf(id), c.flushComplaints().sent.map { it.localId })
            assertEquals("تسرب عند العداد", c.complaint(id).draft.description)

            val again = assertThrows<BaladiyaException> { runBlocking { c.resendComplaint(id) } }
            assertTrue(again.error is ApiException.Validation, again.error.toString())
        }
    }

    /**
     * Forward the client's events into [into]. Started on [Dispatchers.Unconfined], so the
     * collection (and with it the listener's registration) runs before this returns and no event
     * is missed.
     */
    private fun CoroutineScope.record(c: BaladiyaClient, into: Channel<BaladiyaEvent>): Job =
        launch(Dispatchers.Unconfined) {
            // A complaint's life only: upload progress (sent before and after a photo) is the
            // slow-link tests' subject.
            c.events.collect { if (it !is BaladiyaEvent.ComplaintProgress && it !is BaladiyaEvent.ComplaintPhotosSent) into.send(it) }
        }

    private companion object {
        const val DEMO_APP_KEY = "demo-app-key"

        fun leak(description: String, severity: String? = "steady") = ComplaintDraft(
            serviceCode = "water-leak",
            description = description,
            attributes = listOfNotNull(severity?.let { AttributeAnswer("severity", listOf(it)) }),
            location = GeoPoint(lat = 31.52, long = 34.45), // Gaza City
            address = null,
            contact = Contact(firstName = "سامي", lastName = null, phone = "٠٥٩٩١٢٣٤٥٦", email = null),
        )

        /** A real JPEG (a gradient), as a phone's camera would hand it over. */
        fun jpeg(width: Int, height: Int): ByteArray {
            val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
            for (y in 0 until height) {
                for (x in 0 until width) {
                    image.setRGB(x, y, ((x % 256) shl 16) or ((y % 256) shl 8) or ((x + y) % 256))
                }
            }
            return ByteArrayOutputStream().also { check(ImageIO.write(image, "jpg", it)) }.toByteArray()
        }
    }
}
