package ps.gaza.baladiya.ui.desktop

import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.AppModels
import ps.gaza.baladiya.ui.AppRoot
import androidx.compose.ui.unit.DpSize
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.WindowPosition
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import ps.gaza.baladiya.BaladiyaClient
import java.awt.Rectangle
import java.awt.Robot
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.system.exitProcess

/*
 * The desktop host of the shared screens: one window, one BaladiyaClient on a temporary data
 * directory, talking to a server that is already running (scripts/preview-app.sh starts the demo
 * server and this). It starts no server itself.
 *
 * Environment:
 *   BALADIYA_SERVER_URL        the municipal server (default http://127.0.0.1:8080/)
 *   BALADIYA_LOCALE            ar (default) or en
 *   BALADIYA_WINDOW_SIZE       window size in dp, WIDTHxHEIGHT (default 400x820)
 *   BALADIYA_SCREENSHOT        a PNG path: save a picture of the window after
 *   BALADIYA_SCREENSHOT_DELAY_MS  (default 6000) and quit
 */

private const val DEFAULT_SERVER_URL = "http://127.0.0.1:8080/"
private const val DEMO_API_KEY = "demo-app-key"

fun main() {
    val serverUrl = System.getenv("BALADIYA_SERVER_URL")?.takeIf { it.isNotBlank() } ?: DEFAULT_SERVER_URL
    val locale = System.getenv("BALADIYA_LOCALE")?.takeIf { it == "ar" || it == "en" } ?: "ar"
    val (widthDp, heightDp) = System.getenv("BALADIYA_WINDOW_SIZE")
        ?.split('x')?.mapNotNull { it.trim().toIntOrNull() }?.takeIf { it.size == 2 }
        ?: listOf(400, 820)
    val screenshot = System.getenv("BALADIYA_SCREENSHOT")?.takeIf { it.isNotBlank() }?.let(::File)
    val screenshotDelayMs = System.getenv("BALADIYA_SCREENSHOT_DELAY_MS")?.toLongOrNull() ?: 6_000

    val dataDir = Files.createTempDirectory("baladiya-desktop-")
    val client = runBlocking {
        BaladiyaClient.open(dataDir.toString(), serverUrl, locale = locale, apiKey = DEMO_API_KEY)
    }
    var failed = false
    try {
        application {
            val state = rememberWindowState(
                size = DpSize(widthDp.dp, heightDp.dp),
                position = WindowPosition(0.dp, 0.dp),
            )
            Window(onCloseRequest = ::exitApplication, state = state, title = "بلدية غزة — Baladiya") {
                val scope = rememberCoroutineScope()
                val platform = remember { DesktopPlatform(locale) }
                val models = remember { AppModels(AppEnv(client = { client }, platform = platform), scope) }
                AppRoot(models, platform.shownLanguage)
                if (screenshot != null) {
                    LaunchedEffect(Unit) {
                        delay(screenshotDelayMs)
                        val bounds = window.bounds
                        failed = !withContext(Dispatchers.IO) { saveScreenshot(bounds, screenshot) }
                        exitApplication()
                    }
                }
            }
        }
    } finally {
        client.close()
        dataDir.toFile().deleteRecursively()
    }
    if (failed) exitProcess(1)
}

/** A picture of the screen area [bounds] (the window, under Xvfb or a desktop) as a PNG. */
private fun saveScreenshot(bounds: Rectangle, file: File): Boolean = try {
    val image = Robot().createScreenCapture(bounds)
    file.absoluteFile.parentFile?.mkdirs()
    ImageIO.write(image, "png", file).also { if (it) println("screenshot: $file (${bounds.width}x${bounds.height})") }
} catch (e: Exception) {
    System.err.println("screenshot failed: $e")
    false
}
