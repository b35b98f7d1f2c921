package ps.gaza.baladiya

import java.nio.file.Files
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.baladiya_core.AttributeAnswer
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_core.ComplaintDraft
import uniffi.baladiya_core.ComplaintState
import uniffi.baladiya_core.GeoPoint
import uniffi.baladiya_core.NearbyCheck
import uniffi.baladiya_core.NearbyRequest
import uniffi.baladiya_core.NearbySkip

/**
 * "This is my problem too" (issue 15.3) through the Kotlin facade, against the real reference
 * server: citizen A reports a leak; citizen B, about to report it again 20 m away, finds it,
 * follows it instead, is counted once by the municipality, and hears its status change.
 */
class NearbyFollowTest : ServerTest() {
    override suspend fun client() = BaladiyaClient.open(appDir.toString(), server.url, apiKey = "demo-app-key")

    private val leak = GeoPoint(lat = 31.52, long = 34.45)

    /** 20 m north of the leak (0.00018° of latitude). */
    private val neighbour = GeoPoint(lat = 31.52018, long = 34.45)

    private fun found(check: NearbyCheck): List<NearbyRequest> = when (check) {
        is NearbyCheck.Found -> check.requests
        is NearbyCheck.Skipped -> throw AssertionError("skipped: ${check.reason}")
    }

    private fun publicFollowers(serverId: String): Int? {
        val body = server.get("open311/v2/requests/$serverId.json")
        return Regex(""""followers"\s*:\s*(\d+)""").find(body)?.groupValues?.get(1)?.toInt()
    }

    @Test
    fun `a second citizen finds the leak reported nearby, follows it and hears its status change`() = runBlocking {
        // Citizen A files the leak and it reaches the municipality.
        val serverId = client().use { a ->
            a.refreshComplaintCategories()
            val id = a.submitComplaint(
                ComplaintDraft(
                    serviceCode = "water-leak",
                    description = "تسرب مياه أمام المدرسة",
                    attributes = listOf(AttributeAnswer("severity", listOf("steady"))),
                    location = leak,
                    address = null,
                    contact = null,
                ),
            )
            val sent = a.flushComplaints().sent.single()
            assertEquals(id, sent.localId)
            // A's own request is on A's phone: not offered to A.
            assertTrue(found(a.nearbyRequests("water-leak", neighbour)).single().onThisPhone)
            sent.serverId!!
        }
        assertEquals(0, publicFollowers(serverId))

        // Citizen B: another phone (another data directory).
        val dirB = Files.createTempDirectory("baladiya-app-b-")
        try {
            BaladiyaClient.open(dirB.toString(), server.url, apiKey = "demo-app-key").use { b ->
                b.refreshComplaintCategories()
                val updates = Channel<BaladiyaEvent.ComplaintUpdated>(Channel.UNLIMITED)
                val collector = launch(Dispatchers.Unconfined) {
                    b.events.collect { if (it is BaladiyaEvent.ComplaintUpdated) updates.send(it) }
                }

                val near = found(b.nearbyRequests("water-leak", neighbour))
                assertEquals(1, near.size, near.toString())
                val request = near.single()
                assertEquals(serverId, request.serviceRequestId)
                assertEquals("water-leak", request.serviceCode)
                assertEquals("تسرب مياه أمام المدرسة", request.description)
                assertTrue(request.distanceM in 19u..21u, "${request.distanceM} m")
                assertEquals(0u, request.followers)
                assertFalse(request.onThisPhone)
                // Another kind of problem at the same spot: nothing to follow.
                assertTrue(found(b.nearbyRequests("sewage-overflow", neighbour)).isEmpty())

                // B follows it instead of filing: a row at once, no network needed.
                val followedId = b.followRequest(request)
                assertEquals(followedId, b.followRequest(request), "one row per request")
                val row = b.complaints().single()
                assertEquals(followedId, row.localId)
                assertTrue(row.followed)
                assertEquals(ComplaintState.SENT, row.state)
                assertEquals(serverId, row.serverId)
                assertNull(row.token)
                assertFalse(row.canGiveFeedback)
                assertFalse(row.canReopen)
                assertEquals(0, publicFollowers(serverId), "not counted before the refresh")

                // The refresh tells the municipality, which counts B once.
                b.refreshComplaints()
                assertEquals(1, publicFollowers(serverId))
                assertEquals(1u, b.complaint(followedId).followers)
                b.sendAndRefresh()
                assertEquals(1, publicFollowers(serverId), "counted once")
                // Now on B's phone: not offered again.
                assertTrue(found(b.nearbyRequests("water-leak", neighbour)).single().onThisPhone)

                // The municipality works on it: B hears it like a change to their own complaint.
                for (action in listOf(
                    """{"action":"route","department_id":"water"}""",
                    """{"action":"status","detailed_status":"in_progress","note":"الفريق في الطريق"}""",
                )) {
                    val (status, body) = server.staffAction(serverId, action)
                    assertEquals(200, status, body)
                }
                val report = b.refreshComplaints()
                assertTrue(report.newUpdates >= 1u, report.toString())
                val heard = withTimeout(10_000) {
                    var event = updates.receive()
                    while (event.update.description != "الفريق في الطريق") event = updates.receive()
                    event
                }
                assertEquals(followedId, heard.localId)
                assertEquals("in_progress", b.complaint(followedId).detailedStatus)
                collector.cancel()
            }
        } finally {
            dirB.toFile().deleteRecursively()
        }
    }

    @Test
    fun `without a point the nearby step is skipped, not an error`() = runBlocking {
        client().use { c ->
            assertEquals(NearbyCheck.Skipped(NearbySkip.NO_LOCATION), c.nearbyRequests("water-leak", null))
        }
    }
}
