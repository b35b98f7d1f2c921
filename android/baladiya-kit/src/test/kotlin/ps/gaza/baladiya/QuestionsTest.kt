package ps.gaza.baladiya

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.baladiya_core.ComplaintDraft

/**
 * Questions (issue 15.1) through the Kotlin facade, against the real reference server: asked like
 * a complaint in the questions group, answered by a staff reply the app reads like a complaint's,
 * and, once published on a guide service, found by the guide search after a sync — offline too.
 */
class QuestionsTest : ServerTest() {
    override suspend fun client() = BaladiyaClient.open(appDir.toString(), server.url, apiKey = "demo-app-key")

    @Test
    fun `a question is asked and answered, and a published one is found in the guide`() = runBlocking {
        client().use { c ->
            c.syncGuide()
            c.refreshComplaintCategories()
            val kinds = c.complaintCategories().filter { it.code.startsWith("question-") }
            assertEquals(3, kinds.size, "$kinds")
            assertEquals(1, kinds.map { it.group }.distinct().size, "a group of their own")

            val id = c.submitComplaint(
                ComplaintDraft(
                    serviceCode = "question-general",
                    description = QUESTION,
                    attributes = emptyList(),
                    location = null,
                    address = "حي الرمال",
                    contact = null,
                ),
                emptyList(),
            )
            val serverId = c.flushComplaints().sent.single().serverId!!
            assertEquals(200, server.staffAction(serverId, """{"action":"reply","note":"$ANSWER"}""").first)
            c.refreshComplaints()
            assertTrue(c.complaint(id).updates.any { it.description == ANSWER }, "the answer reaches the app")

            suspend fun found() = c.searchGuide("رصف شارع الوحدة", 5).any { it.id == "clearance-certificate" }
            assertFalse(found(), "not in the guide before it is published")
            // Published on a service (what the editor's console page saves, through the staff API).
            val json = server.get("api/v1/guide")
            val service = Regex("""\{"id":"clearance-certificate".*?"version":\d+\}""").find(json)!!.value
            val faq = """"faqs":[{"question":{"ar":"$QUESTION","en":"$QUESTION"},"answer":{"ar":"$ANSWER","en":"$ANSWER"},"request_id":"$serverId"}],"""
            assertEquals(200, server.putService("clearance-certificate", service.replace("\"updated_at\":", faq + "\"updated_at\":")))
            assertEquals(1u, c.syncGuide().servicesUpdated)
            assertTrue(found(), "found by the guide search")
            val published = c.service("clearance-certificate").faqs.single()
            assertEquals(ANSWER, published.answer.ar)
            assertEquals(serverId, published.requestId)
        }
    }

    private companion object {
        const val QUESTION = "متى يبدأ مشروع رصف شارع الوحدة؟"
        const val ANSWER = "يبدأ الرصف في شهر آذار ويستمر ستة أسابيع."
    }
}
