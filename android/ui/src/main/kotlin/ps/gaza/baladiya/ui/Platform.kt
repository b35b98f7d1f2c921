package ps.gaza.baladiya.ui

import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.graphics.ImageBitmap
import ps.gaza.baladiya.ui.common.bytes
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.text
import uniffi.baladiya_core.GeoPoint

/**
 * What the screens need from the device and cannot do in common Compose code: other apps
 * (dialler, WhatsApp, browser), the photo picker, location, date pickers, the clipboard,
 * notifications permission, background work and the language setting. The Android app
 * implements it over Android's APIs; the JVM tests and the desktop preview implement it too.
 */
interface Platform {
    /** The app's version as the store shows it. */
    val appVersion: String

    /** Open the dialler with [phone] filled in (ASCII digits, maybe a leading +); no call is placed. */
    fun dial(phone: String)

    /** A WhatsApp chat with [number] (international, digits). */
    fun whatsApp(number: String)

    fun openUrl(url: String)

    fun copyToClipboard(label: String, text: String)

    /** The system photo picker; the chosen image's bytes, or null when the citizen cancelled. */
    suspend fun pickPhoto(): ByteArray?

    /** A small preview of an image the citizen picked (the full bytes go to the core untouched). */
    fun previewOf(bytes: ByteArray): ImageBitmap?

    /** One location fix (asking for the permission first); null when none could be had. */
    suspend fun currentLocation(): GeoPoint?

    /** The platform's date then time pickers; unix ms, or null when cancelled. */
    suspend fun pickDateTime(): Long?

    /** Ask once for permission to post notifications (where the platform asks for it). */
    fun requestNotificationPermission()

    /** Send the outbox as soon as there is a network, app open or not; [atMs] not before then. */
    fun scheduleComplaintFlush(atMs: Long? = null)

    /** Switch the app's language ("ar", "en", or null to follow the system). */
    fun setLanguage(code: String?)

    /** The language choice in force: "ar", "en", or null when following the system. */
    val languageChoice: String?

    /** Whether local notifications of [kind] are wanted (on by default). */
    fun notificationsEnabled(kind: NotifyKind): Boolean

    fun setNotificationsEnabled(kind: NotifyKind, on: Boolean)
}

/** The kinds of notice a citizen can turn on or off in Settings. */
enum class NotifyKind { COMPLAINT_UPDATES, IMPORTANT_NEWS }

val LocalPlatform = staticCompositionLocalOf<Platform> { error("no Platform provided") }
