package ps.gaza.baladiya.app

import android.app.Application
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.launch
import ps.gaza.baladiya.BaladiyaClient
import ps.gaza.baladiya.app.sync.Notifier
import ps.gaza.baladiya.app.sync.SyncScheduler

/**
 * The process's one [BaladiyaClient]: opened here once (local store only, no network, a few
 * milliseconds), shared by the screens' view models and by the WorkManager workers, which run
 * in this same process and so go through this class too.
 */
class BaladiyaApp : Application() {

    /** Lives as long as the process; the client is never closed (the OS ends the process). */
    private val processScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    private lateinit var opening: Deferred<BaladiyaClient>

    override fun onCreate() {
        super.onCreate()
        // The app's language: search rows and complaint category names come in it (see
        // followLanguage for a switch while the process runs).
        val language = AppLocale.language(this)
        opening = processScope.async(Dispatchers.IO) {
            // TLS needs no set-up here: on Android the core verifies against Mozilla's bundled
            // root certificates (see android/README.md).
            BaladiyaClient.open(
                dataDir = filesDir.absolutePath,
                serverUrl = BuildConfig.SERVER_URL,
                locale = language,
                apiKey = BuildConfig.OPEN311_API_KEY,
            )
        }
        Notifier.createChannels(this)
        SyncScheduler.schedulePeriodic(this)
        // Complaints filed while offline leave as soon as there is a network, app open or not.
        SyncScheduler.flushWhenOnline(this)
        // Photos the citizen kept for Wi-Fi go only while the library knows the phone is on one.
        SyncScheduler.watchConnectivity(this) { metered ->
            processScope.launch { runCatching { client().setMetered(metered) } }
        }
    }

    /** The opened client; throws the library's error if the store could not be opened. */
    suspend fun client(): BaladiyaClient = opening.await()
}
