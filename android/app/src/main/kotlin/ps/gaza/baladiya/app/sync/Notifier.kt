package ps.gaza.baladiya.app.sync

import android.Manifest
import android.annotation.SuppressLint
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import ps.gaza.baladiya.BaladiyaClient
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.app.AppLocale
import ps.gaza.baladiya.app.MainActivity
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.AppPrefs
import ps.gaza.baladiya.ui.NotifyKind
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.statusLabel
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.complaints.shownNumber
import uniffi.baladiya_core.NotificationKind
import uniffi.baladiya_core.Notification as BaladiyaNotification

/** Local notifications for what the core says is worth one: answers, refusals, important news. */
object Notifier {
    private const val CHANNEL_COMPLAINTS = "complaints"
    private const val CHANNEL_NEWS = "news"

    fun createChannels(context: Context) {
        if (Build.VERSION.SDK_INT < 26) return
        val ctx = AppLocale.wrap(context)
        val manager = context.getSystemService(NotificationManager::class.java) ?: return
        manager.createNotificationChannels(
            listOf(
                NotificationChannel(CHANNEL_COMPLAINTS, ctx.getString(R.string.channel_complaints), NotificationManager.IMPORTANCE_DEFAULT)
                    .apply { description = ctx.getString(R.string.channel_complaints_description) },
                NotificationChannel(CHANNEL_NEWS, ctx.getString(R.string.channel_news), NotificationManager.IMPORTANCE_DEFAULT)
                    .apply { description = ctx.getString(R.string.channel_news_description) },
            ),
        )
    }

    @SuppressLint("MissingPermission") // POST_NOTIFICATIONS is checked just below
    suspend fun show(context: Context, client: BaladiyaClient, notifications: List<BaladiyaNotification>) {
        if (notifications.isEmpty()) return
        if (Build.VERSION.SDK_INT >= 33 &&
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            return
        }
        val ctx = AppLocale.wrap(context)
        val language = AppLocale.language(context)
        val strings = stringsFor(language)
        // The core words important news with the Arabic title; an English reader gets the English one.
        val englishTitles = if (language == "en" && notifications.any { it.kind == NotificationKind.IMPORTANT_NEWS }) {
            runCatching { client.news(unreadOnly = false).associate { it.item.id to it.item.title.en } }.getOrDefault(emptyMap())
        } else {
            emptyMap()
        }
        val manager = NotificationManagerCompat.from(ctx)
        for (n in notifications) {
            // Settings: the citizen may have turned a kind of notice off.
            val kind = if (n.kind == NotificationKind.IMPORTANT_NEWS) NotifyKind.IMPORTANT_NEWS else NotifyKind.COMPLAINT_UPDATES
            if (!AppPrefs.notificationsEnabled(context, kind)) continue
            val channel: String
            val title: String
            val body: String
            val extra: Pair<String, String>
            when (n.kind) {
                NotificationKind.COMPLAINT_UPDATE -> {
                    channel = CHANNEL_COMPLAINTS
                    val status = strings.statusLabel(n.detailedStatus, null)
                    // A request the citizen follows (issue 15.3) goes by the municipality's number, as in
                    // the list, and is not called their complaint.
                    val complaint = try {
                        client.complaint(n.subjectId)
                    } catch (e: BaladiyaException) {
                        null
                    }
                    val followed = complaint?.followed == true
                    val id = strings.id(complaint?.let { shownNumber(it) } ?: n.subjectId)
                    title = when {
                        status != null && followed -> ctx.getString(R.string.notify_followed_status, id, status)
                        status != null -> ctx.getString(R.string.notify_complaint_status, id, status)
                        followed -> ctx.getString(R.string.notify_followed_update, id)
                        else -> ctx.getString(R.string.notify_complaint_update, id)
                    }
                    body = n.text
                    extra = MainActivity.EXTRA_COMPLAINT to n.subjectId
                }
                NotificationKind.COMPLAINT_NEEDS_ATTENTION -> {
                    channel = CHANNEL_COMPLAINTS
                    title = ctx.getString(R.string.notify_complaint_refused, strings.id(n.subjectId))
                    body = n.text
                    extra = MainActivity.EXTRA_COMPLAINT to n.subjectId
                }
                NotificationKind.IMPORTANT_NEWS -> {
                    channel = CHANNEL_NEWS
                    title = ctx.getString(R.string.notify_important_news)
                    body = englishTitles[n.subjectId]?.takeIf { it.isNotBlank() } ?: n.text
                    extra = MainActivity.EXTRA_NEWS to n.subjectId
                }
            }
            val id = (n.kind.name + ":" + n.subjectId).hashCode()
            val open = Intent(ctx, MainActivity::class.java)
                .putExtra(extra.first, extra.second)
                .addFlags(Intent.FLAG_ACTIVITY_SINGLE_TOP or Intent.FLAG_ACTIVITY_CLEAR_TOP)
            val tap = PendingIntent.getActivity(ctx, id, open, PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT)
            val notification = NotificationCompat.Builder(ctx, channel)
                .setSmallIcon(R.drawable.ic_stat_baladiya)
                .setContentTitle(title)
                .setContentText(body)
                .setStyle(NotificationCompat.BigTextStyle().bigText(body))
                .setContentIntent(tap)
                .setAutoCancel(true)
                .setCategory(if (channel == CHANNEL_NEWS) NotificationCompat.CATEGORY_EVENT else NotificationCompat.CATEGORY_STATUS)
                .build()
            try {
                // One per complaint or news item: a newer update replaces the older one.
                manager.notify(id, notification)
            } catch (e: SecurityException) {
                return // permission withdrawn meanwhile
            }
        }
    }
}
