package ps.gaza.baladiya.ui.app

import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.toComposeImageBitmap
import org.jetbrains.skia.Image
import ps.gaza.baladiya.ui.NotifyKind
import ps.gaza.baladiya.ui.Platform
import uniffi.baladiya_core.GeoPoint
import java.util.concurrent.CopyOnWriteArrayList

/** The desktop test host's platform: records what the screens ask of the device, answers as told. */
class FakePlatform : Platform {
    val dialled = CopyOnWriteArrayList<String>()
    val opened = CopyOnWriteArrayList<String>()
    val flushes = CopyOnWriteArrayList<Long?>()
    var photo: ByteArray? = null
    var location: GeoPoint? = GeoPoint(31.5017, 34.4668)
    var chosenLanguage: String? = null
    private val notify = mutableMapOf<NotifyKind, Boolean>()

    override val appVersion = "0.1.0"
    override fun dial(phone: String) { dialled += phone }
    override fun whatsApp(number: String) { opened += "whatsapp:$number" }
    override fun openUrl(url: String) { opened += url }
    override fun copyToClipboard(label: String, text: String) = Unit
    override suspend fun pickPhoto(): ByteArray? = photo
    override fun previewOf(bytes: ByteArray): ImageBitmap? =
        runCatching { Image.makeFromEncoded(bytes).toComposeImageBitmap() }.getOrNull()
    override suspend fun currentLocation(): GeoPoint? = location
    override suspend fun pickDateTime(): Long? = null
    override fun requestNotificationPermission() = Unit
    override fun scheduleComplaintFlush(atMs: Long?) { flushes += atMs }
    override fun setLanguage(code: String?) { chosenLanguage = code }
    override val languageChoice: String? get() = chosenLanguage
    override fun notificationsEnabled(kind: NotifyKind) = notify[kind] ?: true
    override fun setNotificationsEnabled(kind: NotifyKind, on: Boolean) { notify[kind] = on }
}
