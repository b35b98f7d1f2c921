package ps.gaza.baladiya.app

import android.app.Activity
import android.app.LocaleManager
import android.content.Context
import android.content.res.Configuration
import android.content.res.Resources
import android.os.Build
import android.os.LocaleList
import java.util.Locale

/**
 * The app's language: Arabic by default, English on request.
 *
 * Resources follow Android's convention (`values/` English, `values-ar/` Arabic), so on its own
 * Android would show English to a phone set to, say, French. The app is Arabic first, so the
 * language is chosen here and applied to every Activity and worker context:
 *  1. Android 13+: the per-app language from system settings (listed through `localeConfig`);
 *  2. the choice made in the app (the language button on the guide screen, or Settings);
 *  3. English only if the phone itself is in English; Arabic otherwise.
 */
object AppLocale {
    private const val PREFS = "baladiya"
    private const val KEY = "language"

    fun language(context: Context): String {
        if (Build.VERSION.SDK_INT >= 33) {
            val chosen = context.getSystemService(LocaleManager::class.java)?.applicationLocales
            if (chosen != null && !chosen.isEmpty) return supported(chosen[0].language)
        }
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).getString(KEY, null)?.let { return supported(it) }
        return if (deviceLanguage() == "en") "en" else "ar"
    }

    /** A context whose resources, layout direction and formats are in the app's language. */
    fun wrap(base: Context): Context {
        val locale = Locale.forLanguageTag(language(base))
        val config = Configuration(base.resources.configuration)
        config.setLocale(locale)
        config.setLayoutDirection(locale)
        return base.createConfigurationContext(config)
    }

    /** The citizen's explicit choice ("ar" / "en"), or null when following the phone. */
    fun choice(context: Context): String? {
        if (Build.VERSION.SDK_INT >= 33) {
            val chosen = context.getSystemService(LocaleManager::class.java)?.applicationLocales
            if (chosen != null && !chosen.isEmpty) return supported(chosen[0].language)
        }
        return context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).getString(KEY, null)?.let(::supported)
    }

    /** Switch language (null: follow the phone again); the Activity is recreated in it. */
    fun set(activity: Activity, language: String?) {
        val prefs = activity.getSharedPreferences(PREFS, Context.MODE_PRIVATE).edit()
        if (language == null) prefs.remove(KEY) else prefs.putString(KEY, language)
        prefs.apply()
        if (Build.VERSION.SDK_INT >= 33) {
            // Recreates the app's activities itself and shows the choice in system settings.
            activity.getSystemService(LocaleManager::class.java)?.applicationLocales =
                if (language == null) LocaleList.getEmptyLocaleList() else LocaleList.forLanguageTags(language)
        } else {
            activity.recreate()
        }
    }

    private fun supported(language: String) = if (language == "en") "en" else "ar"

    @Suppress("DEPRECATION")
    private fun deviceLanguage(): String {
        val config = Resources.getSystem().configuration
        return if (Build.VERSION.SDK_INT >= 24) config.locales[0].language else config.locale.language
    }
}
