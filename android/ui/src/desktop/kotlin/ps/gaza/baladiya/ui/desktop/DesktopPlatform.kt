package ps.gaza.baladiya.ui.desktop

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.toComposeImageBitmap
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.jetbrains.skia.Image
import ps.gaza.baladiya.ui.NotifyKind
import ps.gaza.baladiya.ui.Platform
import uniffi.baladiya_core.GeoPoint
import java.awt.Desktop
import java.awt.FileDialog
import java.awt.Frame
import java.awt.Toolkit
import java.awt.datatransfer.StringSelection
import java.io.File
import java.net.URI

/**
 * The shared screens' platform in a desktop window (the preview): links open in the browser,
 * the dialler and WhatsApp are printed (a desktop has neither), photos come from a file dialog,
 * and the location is Gaza City's municipality building (a desktop has no GPS). The language is
 * state the window follows.
 */
class DesktopPlatform(initialLanguage: String) : Platform {
    var shownLanguage by mutableStateOf(initialLanguage)
    private var choice: String? = initialLanguage
    private val notify = mutableMapOf<NotifyKind, Boolean>()

    override val appVersion = "0.1.0 (desktop preview)"

    override fun dial(phone: String) = println("dial: $phone")

    override fun whatsApp(number: String) = println("whatsapp: $number")

    override fun openUrl(url: String) {
        runCatching { if (Desktop.isDesktopSupported()) Desktop.getDesktop().browse(URI(url)) else println("open: $url") }
    }

    override fun copyToClipboard(label: String, text: String) {
        runCatching { Toolkit.getDefaultToolkit().systemClipboard.setContents(StringSelection(text), null) }
    }

    override suspend fun pickPhoto(): ByteArray? = withContext(Dispatchers.IO) {
        val dialog = FileDialog(null as Frame?, "Photo", FileDialog.LOAD)
        dialog.isVisible = true
        val name = dialog.file ?: return@withContext null
        runCatching { File(dialog.directory, name).readBytes() }.getOrNull()
    }

    override fun previewOf(bytes: ByteArray): ImageBitmap? =
        runCatching { Image.makeFromEncoded(bytes).toComposeImageBitmap() }.getOrNull()

    override suspend fun currentLocation(): GeoPoint = GeoPoint(lat = 31.5069, long = 34.4555)

    override suspend fun pickDateTime(): Long = System.currentTimeMillis()

    override fun requestNotificationPermission() = Unit

    override fun scheduleComplaintFlush(atMs: Long?) = Unit

    override fun setLanguage(code: String?) {
        choice = code
        shownLanguage = code ?: "ar"
    }

    override val languageChoice: String? get() = choice

    override fun notificationsEnabled(kind: NotifyKind) = notify[kind] ?: true

    override fun setNotificationsEnabled(kind: NotifyKind, on: Boolean) {
        notify[kind] = on
    }
}
