package ps.gaza.baladiya.app.sync

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.app.BaladiyaApp
import uniffi.baladiya_core.NotificationKind
import uniffi.baladiya_core.Notification as BaladiyaNotification

/**
 * The periodic background sync: one call into the core, which flushes what is due, refreshes the
 * citizen's complaints, the news and the guide within the budget and says what to notify.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as BaladiyaApp
        val client = try {
            app.client()
        } catch (e: BaladiyaException) {
            return Result.failure() // the store cannot be opened; the next period tries again
        }
        client.setMetered(SyncScheduler.isMetered(app))
        val summary = client.backgroundSync(budgetMs = BUDGET_MS)
        Notifier.show(app, client, summary.notifications)
        summary.flush?.retryLater?.let { SyncScheduler.flushAt(app, it.nextAttemptAt) }
        return Result.success()
    }

    companion object {
        /** Well inside WorkManager's 10 minutes and iOS's ~30 s, and kind to the battery. */
        const val BUDGET_MS = 8_000L
    }
}

/** Sends the outbox now (a network came back, a complaint was filed, a retry is due). */
class FlushWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as BaladiyaApp
        return try {
            val client = app.client()
            // This worker may run on Wi-Fi (the Wi-Fi wake-up) with no screen having told the library.
            val metered = SyncScheduler.isMetered(app)
            client.setMetered(metered)
            val report = client.flushComplaints()
            // Photos kept for Wi-Fi: wake up again on one.
            if (report.photosRemaining > 0u && metered) SyncScheduler.flushOnWifi(app)
            // A refusal needs the citizen (edit, resend or cancel): say so even with the app closed.
            val refused = report.needsAttention.map {
                BaladiyaNotification(
                    kind = NotificationKind.COMPLAINT_NEEDS_ATTENTION,
                    subjectId = it.localId,
                    text = it.reason,
                    detailedStatus = null,
                )
            }
            Notifier.show(app, client, refused)
            report.retryLater?.let { SyncScheduler.flushAt(app, it.nextAttemptAt) }
            Result.success()
        } catch (e: BaladiyaException) {
            Result.success() // nothing to retry here: the core keeps the outbox and its schedule
        }
    }
}
