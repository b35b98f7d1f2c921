package ps.gaza.baladiya

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import java.nio.file.Files
import java.nio.file.Path

/** A test against a fresh reference server and a fresh app data directory for each case. */
abstract class ServerTest {
    protected lateinit var server: ReferenceServer
    protected lateinit var appDir: Path

    @BeforeEach
    fun startServer() {
        server = ReferenceServer()
        appDir = Files.createTempDirectory("baladiya-app-")
    }

    @AfterEach
    fun stopServer() {
        server.close()
        appDir.toFile().deleteRecursively()
    }

    /** The facade opened on this test's data directory, talking to this test's server. */
    protected open suspend fun client() = BaladiyaClient.open(appDir.toString(), server.url)
}
