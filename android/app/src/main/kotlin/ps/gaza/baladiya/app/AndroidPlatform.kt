package ps.gaza.baladiya.app

import android.Manifest
import android.content.ActivityNotFoundException
import android.content.ClipData
import android.content.ClipboardManager
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import android.os.Build
import android.text.format.DateFormat
import android.widget.Toast
import androidx.activity.ComponentActivity
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.core.content.ContextCompat
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import ps.gaza.baladiya.app.sync.SyncScheduler
import ps.gaza.baladiya.ui.NotifyKind
import ps.gaza.baladiya.ui.complaints.PhotoBytes
import ps.gaza.baladiya.ui.Platform
import ps.gaza.baladiya.ui.stringsFor
import uniffi.baladiya_core.GeoPoint
import java.io.ByteArrayOutputStream
import java.util.Calendar

/**
 * The shared screens' [Platform] on Android, bound to the one Activity: its result launchers are
 * registered when the Activity is created (as Android requires) and each suspending call waits
 * for its answer. Other apps are reached by intents that need no permission (ACTION_DIAL, VIEW).
 */
class AndroidPlatform(private val activity: ComponentActivity) : Platform {
    private var photoAnswer: CompletableDeferred<Uri?>? = null
    private var locationAnswer: CompletableDeferred<Boolean>? = null

    private val pickPhotoLauncher: ActivityResultLauncher<PickVisualMediaRequest> =
        activity.registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { photoAnswer?.complete(it) }
    private val locationLauncher: ActivityResultLauncher<Array<String>> =
        activity.registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
            locationAnswer?.complete(granted.values.any { it })
        }
    private val notificationLauncher: ActivityResultLauncher<String> =
        activity.registerForActivityResult(ActivityResultContracts.RequestPermission()) { }

    override val appVersion: String = BuildConfig.VERSION_NAME

    override fun dial(phone: String) = open(Intent(Intent.ACTION_DIAL, Uri.fromParts("tel", phone, null)))

    /** wa.me wants the international number in digits only (no +, no 00). */
    override fun whatsApp(number: String) =
        openUrl("https://wa.me/" + number.filter { it in '0'..'9' }.removePrefix("00"))

    override fun openUrl(url: String) = open(Intent(Intent.ACTION_VIEW, Uri.parse(url)))

    override fun copyToClipboard(label: String, text: String) {
        activity.getSystemService(ClipboardManager::class.java)?.setPrimaryClip(ClipData.newPlainText(label, text))
    }

    override suspend fun pickPhoto(): ByteArray? {
        val answer = CompletableDeferred<Uri?>().also { photoAnswer = it }
        pickPhotoLauncher.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
        val uri = answer.await() ?: return null
        return withContext(Dispatchers.IO) {
            val bytes = runCatching { activity.contentResolver.openInputStream(uri)?.use { it.readBytes() } }.getOrNull()
            bytes?.let(::asReadableByCore)
        }
    }

    /** JPEG and PNG as they are; anything else the platform decodes (HEIC, WebP) as a JPEG. */
    private fun asReadableByCore(bytes: ByteArray): ByteArray? {
        if (PhotoBytes.isReadableByCore(bytes)) return bytes
        val bitmap = BitmapFactory.decodeByteArray(bytes, 0, bytes.size) ?: return null
        return ByteArrayOutputStream().use { out ->
            bitmap.compress(Bitmap.CompressFormat.JPEG, 92, out)
            bitmap.recycle()
            out.toByteArray()
        }
    }

    override fun previewOf(bytes: ByteArray): ImageBitmap? {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        BitmapFactory.decodeByteArray(bytes, 0, bytes.size, bounds)
        var sample = 1
        while (bounds.outWidth / (sample * 2) >= PREVIEW_PX && bounds.outHeight / (sample * 2) >= PREVIEW_PX) sample *= 2
        val options = BitmapFactory.Options().apply { inSampleSize = sample }
        return BitmapFactory.decodeByteArray(bytes, 0, bytes.size, options)?.asImageBitmap()
    }

    override suspend fun currentLocation(): GeoPoint? {
        if (!hasLocationPermission(activity)) {
            val answer = CompletableDeferred<Boolean>().also { locationAnswer = it }
            locationLauncher.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
            if (!answer.await()) return null
        }
        return currentLocation(activity)
    }

    override suspend fun pickDateTime(): Long? {
        val answer = CompletableDeferred<Long?>()
        val now = Calendar.getInstance()
        android.app.DatePickerDialog(activity, { _, year, month, day ->
            android.app.TimePickerDialog(activity, { _, hour, minute ->
                answer.complete(Calendar.getInstance().apply { set(year, month, day, hour, minute, 0) }.timeInMillis)
            }, now.get(Calendar.HOUR_OF_DAY), now.get(Calendar.MINUTE), DateFormat.is24HourFormat(activity)).apply {
                setOnCancelListener { answer.complete(null) }
            }.show()
        }, now.get(Calendar.YEAR), now.get(Calendar.MONTH), now.get(Calendar.DAY_OF_MONTH)).apply {
            datePicker.maxDate = now.timeInMillis
            setOnCancelListener { answer.complete(null) }
        }.show()
        return answer.await()
    }

    override fun requestNotificationPermission() {
        if (Build.VERSION.SDK_INT >= 33 &&
            ContextCompat.checkSelfPermission(activity, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            notificationLauncher.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }

    override fun scheduleComplaintFlush(atMs: Long?) {
        if (atMs != null) SyncScheduler.flushAt(activity, atMs) else SyncScheduler.flushWhenOnline(activity)
    }

    override fun setLanguage(code: String?) = AppLocale.set(activity, code)

    override val languageChoice: String? get() = AppLocale.choice(activity)

    override fun notificationsEnabled(kind: NotifyKind) = AppPrefs.notificationsEnabled(activity, kind)

    override fun setNotificationsEnabled(kind: NotifyKind, on: Boolean) =
        AppPrefs.setNotificationsEnabled(activity, kind, on)

    /** Another app, or a short note when the phone has none for it. */
    private fun open(intent: Intent) {
        try {
            activity.startActivity(intent)
        } catch (e: ActivityNotFoundException) {
            val text = stringsFor(AppLocale.language(activity)).noAppForLink
            Toast.makeText(activity, text, Toast.LENGTH_SHORT).show()
        }
    }

    private companion object {
        const val PREVIEW_PX = 160
    }
}
