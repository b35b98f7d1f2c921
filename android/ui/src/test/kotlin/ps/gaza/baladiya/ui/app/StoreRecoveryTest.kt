package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import ps.gaza.baladiya.BaladiyaClient
import ps.gaza.baladiya.ReferenceServer
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.AppModels
import ps.gaza.baladiya.ui.AppRoot
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.DEMO_API_KEY
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.openTestClient
import ps.gaza.baladiya.ui.test.runScreenTest
import uniffi.baladiya_core.ComplaintState
import java.io.RandomAccessFile

/**
 * Issue 10.10 in the app: a database found damaged at open is set aside and rebuilt by the
 * library, and the citizen is told once what was kept (an unsent complaint, a saved bill).
 */
@OptIn(ExperimentalTestApi::class)
class StoreRecoveryTest {
    @Test
    fun aDamagedDatabaseAtOpenIsRepairedAndTheCitizenToldWhatWasKept() {
        ReferenceServer().use { server ->
            val app = openTestClient(server)
            val dataDir = app.dataDir
            runBlocking {
                app.client.saveBillAccount(AppFixture.ACCOUNT, "البيت", AppFixture.PHONE)
                app.client.submitComplaint(AppFixture.leakDraft(), emptyList()) // not sent: still in the outbox
            }
            app.client.close()
            // The power went out mid-write: the file's header is garbage.
            RandomAccessFile(dataDir.resolve("baladiya.db").toFile(), "rw").use { f ->
                f.seek(0)
                f.write(ByteArray(100) { 0x5A })
            }
            val client = runBlocking {
                BaladiyaClient.open(dataDir.toString(), server.url, locale = "ar", apiKey = DEMO_API_KEY)
            }
            try {
                val recovery = client.storeRecoveries().single()
                assertTrue(recovery.atOpen)
                assertEquals(1u, recovery.unsentComplaintsRecovered)
                assertEquals(1u, recovery.billAccountsRecovered)
                val s = stringsFor("ar")
                val env = AppEnv(client = { client }, platform = FakePlatform())
                runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
                    setContent {
                        val scope = rememberCoroutineScope()
                        AppRoot(remember { AppModels(env, scope) }, "ar")
                    }
                    val said = s.storeRepaired(1, 1, recovery.complete)
                    await("the notice", 30_000) { onAllNodes(hasText(said)).fetchSemanticsNodes().isNotEmpty() }
                    assertTrue(onAllNodes(hasText(s.storeRepairedTitle)).fetchSemanticsNodes().isNotEmpty())
                    onNodeWithText(s.ok).performClick()
                    await("the notice gone", 10_000) { onAllNodes(hasText(said)).fetchSemanticsNodes().isEmpty() }
                }
                // What it said is true: the complaint waits to be sent, the bill account is there.
                val queued = runBlocking { client.complaints() }
                assertEquals(listOf(ComplaintState.QUEUED), queued.map { it.state })
                assertEquals(listOf(AppFixture.ACCOUNT), runBlocking { client.savedBillAccounts() }.map { it.account })
            } finally {
                client.close()
                dataDir.toFile().deleteRecursively()
            }
        }
    }
}
