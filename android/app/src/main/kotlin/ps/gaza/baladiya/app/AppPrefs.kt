package ps.gaza.baladiya.app

import android.content.Context
import ps.gaza.baladiya.ui.NotifyKind

/** The citizen's choices kept on the phone (not personal data): which notices to show. */
object AppPrefs {
    private const val PREFS = "baladiya"

    private fun key(kind: NotifyKind) = "notify." + kind.name.lowercase()

    fun notificationsEnabled(context: Context, kind: NotifyKind): Boolean =
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).getBoolean(key(kind), true)

    fun setNotificationsEnabled(context: Context, kind: NotifyKind, on: Boolean) =
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).edit().putBoolean(key(kind), on).apply()
}
