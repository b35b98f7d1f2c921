package ps.gaza.baladiya.app.sync

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.net.NetworkRequest
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import java.util.concurrent.TimeUnit

/**
 * When the core gets to use the network in the background. The core decides what to do and
 * when to retry; this only asks Android to wake the app at those times, with a network.
 */
object SyncScheduler {
    private const val PERIODIC = "baladiya-sync"
    private const val FLUSH = "baladiya-flush"
    private const val FLUSH_LATER = "baladiya-flush-later"
    private const val FLUSH_ON_WIFI = "baladiya-flush-wifi"

    private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

    /**
     * The background sync: about hourly, with a network, and not when the battery is low (in a
     * power cut the phone's charge matters more than fresh news). An unchanged run costs a few
     * hundred bytes (three 304s).
     */
    fun schedulePeriodic(context: Context) {
        val request = PeriodicWorkRequestBuilder<SyncWorker>(1, TimeUnit.HOURS, 20, TimeUnit.MINUTES)
            .setConstraints(
                Constraints.Builder()
                    .setRequiredNetworkType(NetworkType.CONNECTED)
                    .setRequiresBatteryNotLow(true)
                    .build(),
            )
            .build()
        WorkManager.getInstance(context).enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.UPDATE, request)
    }

    /**
     * Send the outbox as soon as there is a network (at once if there is one). Appended after a
     * flush already running, so a complaint filed meanwhile is not left for the next trigger; a
     * second flush with nothing queued costs nothing.
     */
    fun flushWhenOnline(context: Context) {
        val request = OneTimeWorkRequestBuilder<FlushWorker>().setConstraints(online).build()
        WorkManager.getInstance(context).enqueueUniqueWork(FLUSH, ExistingWorkPolicy.APPEND_OR_REPLACE, request)
    }

    /** Wake up for the outbox's next retry, at the time the core's backoff chose (unix ms). */
    fun flushAt(context: Context, atMs: Long) {
        val delay = (atMs - System.currentTimeMillis()).coerceAtLeast(0)
        val request = OneTimeWorkRequestBuilder<FlushWorker>()
            .setConstraints(online)
            .setInitialDelay(delay, TimeUnit.MILLISECONDS)
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(FLUSH_LATER, ExistingWorkPolicy.REPLACE, request)
    }

    /**
     * Photos the citizen kept for Wi-Fi: send the outbox once the phone is on a network that is
     * not metered, app open or not. Kept if already waiting: one such wake-up is enough.
     */
    fun flushOnWifi(context: Context) {
        val request = OneTimeWorkRequestBuilder<FlushWorker>()
            .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.UNMETERED).build())
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(FLUSH_ON_WIFI, ExistingWorkPolicy.KEEP, request)
    }

    /** Whether the network in use now is metered (mobile data); true when unsure. */
    fun isMetered(context: Context): Boolean =
        context.getSystemService(ConnectivityManager::class.java)?.isActiveNetworkMetered ?: true

    /**
     * While the process lives, a network coming back triggers a flush at once (WorkManager's own
     * constraint tracking can lag by minutes on some phones), and every change of network tells
     * [onMetered] whether the one in use is metered; a switch to Wi-Fi flushes too (photos kept
     * for it go then). Android calls back at registration too when a network is already up, which
     * sends anything left from before.
     */
    fun watchConnectivity(context: Context, onMetered: (Boolean) -> Unit) {
        val cm = context.getSystemService(ConnectivityManager::class.java) ?: return
        val request = NetworkRequest.Builder().addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET).build()
        val app = context.applicationContext
        try {
            cm.registerNetworkCallback(request, object : ConnectivityManager.NetworkCallback() {
                private var lastMetered: Boolean? = null

                // The callbacks are about one network among several; the active one decides.
                private fun check() {
                    val metered = cm.isActiveNetworkMetered
                    if (metered == lastMetered) return
                    lastMetered = metered
                    onMetered(metered)
                    if (!metered) flushWhenOnline(app)
                }

                override fun onAvailable(network: Network) {
                    flushWhenOnline(app)
                    check()
                }

                override fun onCapabilitiesChanged(network: Network, capabilities: NetworkCapabilities) = check()

                override fun onLost(network: Network) = check()
            })
        } catch (e: SecurityException) {
            // Some vendor builds throw here for no clear reason; the WorkManager constraint remains.
        } catch (e: RuntimeException) {
            // TooManyRequestsException (a hidden class) when the app holds too many callbacks.
        }
    }
}
