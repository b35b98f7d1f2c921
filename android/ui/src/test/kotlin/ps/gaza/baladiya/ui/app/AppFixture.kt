package ps.gaza.baladiya.ui.app

import kotlinx.coroutines.runBlocking
import ps.gaza.baladiya.ReferenceServer
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.test.TestClient
import ps.gaza.baladiya.ui.test.openTestClient
import uniffi.baladiya_core.AttributeAnswer
import uniffi.baladiya_core.ComplaintDraft
import uniffi.baladiya_core.Contact
import uniffi.baladiya_core.GeoPoint

/**
 * One reference server with the sample data and one app data directory synced from it, with a
 * complaint the municipality has verified, routed, started and answered (a note ending in a phone
 * number), and a saved bill: the state the screens are shown in.
 */
class AppFixture : AutoCloseable {
    val server = ReferenceServer()
    val app: TestClient = openTestClient(server)
    val platform = FakePlatform()
    val env = AppEnv(client = { app.client }, platform = platform)
    val complaintId: String

    init {
        complaintId = runBlocking {
            val c = app.client
            val id = c.submitComplaint(leakDraft(), emptyList())
            val serverId = c.flushComplaints().sent.single().serverId!!
            for (action in listOf(
                """{"action":"verify"}""",
                """{"action":"route","department_id":"water"}""",
                """{"action":"status","detailed_status":"in_progress","note":"$NOTE"}""",
                """{"action":"reply","note":"$REPLY"}""",
            )) {
                val (status, body) = server.staffAction(serverId, action)
                check(status == 200) { "staff action $action: $status $body" }
            }
            c.refreshComplaints()
            c.saveBillAccount(ACCOUNT, "البيت", PHONE)
            id
        }
    }

    override fun close() {
        app.close()
        server.close()
    }

    companion object {
        const val NOTE = "الطاقم في الموقع. للاستفسار: 08-2865000"
        const val REPLY = "أُصلح الخط الرئيسي وأعيد الضغط."
        const val ACCOUNT = "10561203"
        const val PHONE = "0567 654 321"

        fun leakDraft() = ComplaintDraft(
            serviceCode = "water-leak",
            description = "تسرب مياه كبير أمام مدرسة الرمال",
            attributes = listOf(
                AttributeAnswer("severity", listOf("burst")),
                AttributeAnswer("leak_point", listOf("main")),
                AttributeAnswer("meter_number", listOf("W-4471")),
            ),
            location = GeoPoint(lat = 31.52, long = 34.45),
            address = null,
            contact = Contact(firstName = "سامي", lastName = null, phone = "٠٥٩٩١٢٣٤٥٦", email = null),
        )
    }
}
