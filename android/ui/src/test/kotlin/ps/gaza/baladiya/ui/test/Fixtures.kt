package ps.gaza.baladiya.ui.test

import kotlinx.coroutines.runBlocking
import org.junit.rules.ExternalResource
import ps.gaza.baladiya.BaladiyaClient
import ps.gaza.baladiya.ReferenceServer
import java.nio.file.Files
import java.nio.file.Path

/*
 * Real data for the screens: the reference server (the Rust binary, with the sample catalogue, on a
 * free loopback port) and a BaladiyaClient on a temporary data directory synced from it.
 *
 * ReferenceServer comes from the kit's test fixtures (baladiya-kit's test-jar, class
 * ps.gaza.baladiya.ReferenceServer): url, dataDir, stopKeepingData(), restart(),
 * staffAction(serverId, json), putService(id, json), get(path), close(); its staff token is
 * ReferenceServer.STAFF_TOKEN.
 */

/** The Open311 key the demo server accepts. */
const val DEMO_API_KEY = "demo-app-key"

/**
 * A JUnit 4 rule owning one [ReferenceServer]: `@get:Rule val server = ReferenceServerRule()` for a
 * server per test, or as a `@ClassRule` (`companion object { @get:ClassRule @JvmStatic val server =
 * ReferenceServerRule() }`) for one per class.
 */
class ReferenceServerRule : ExternalResource() {
    private var started: ReferenceServer? = null

    val server: ReferenceServer get() = started ?: error("the reference server is not running (rule not applied?)")
    val url: String get() = server.url

    override fun before() {
        started = ReferenceServer()
    }

    override fun after() {
        started?.close()
        started = null
    }
}

/** A client on its own temporary data directory; [close] closes it and deletes the directory. */
class TestClient(val client: BaladiyaClient, val dataDir: Path) : AutoCloseable {
    override fun close() {
        client.close()
        dataDir.toFile().deleteRecursively()
    }
}

/**
 * Open a [BaladiyaClient] in [locale] (`ar` or `en`) on a fresh data directory against [serverUrl]
 * and, with [sync], bring the procedures guide, the news and the complaint categories down from
 * it, as the app does on its first start.
 */
fun openTestClient(serverUrl: String, locale: String = "ar", sync: Boolean = true): TestClient {
    val dataDir = Files.createTempDirectory("baladiya-ui-test-")
    val client = try {
        runBlocking { BaladiyaClient.open(dataDir.toString(), serverUrl, locale = locale, apiKey = DEMO_API_KEY) }
    } catch (e: Throwable) {
        dataDir.toFile().deleteRecursively()
        throw e
    }
    val opened = TestClient(client, dataDir)
    if (sync) {
        try {
            runBlocking { syncAll(client) }
        } catch (e: Throwable) {
            opened.close()
            throw e
        }
    }
    return opened
}

/** [openTestClient] against [server]. */
fun openTestClient(server: ReferenceServer, locale: String = "ar", sync: Boolean = true): TestClient =
    openTestClient(server.url, locale, sync)

/** The guide, the news and the complaint categories, fetched from the client's server. */
suspend fun syncAll(client: BaladiyaClient) {
    client.syncGuide()
    client.refreshNews()
    client.refreshComplaintCategories()
}
