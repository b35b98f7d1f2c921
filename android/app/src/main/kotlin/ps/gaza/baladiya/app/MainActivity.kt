package ps.gaza.baladiya.app

import android.content.Context
import android.content.Intent
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.BackHandler
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.viewModels
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.launch
import ps.gaza.baladiya.ui.AppRoot
import ps.gaza.baladiya.ui.Screen

/**
 * The single Activity: the shared Compose screens (android/ui) over this Activity's platform
 * services. A notification opens it on a complaint or a news item.
 */
class MainActivity : ComponentActivity() {
    private val app: AppViewModel by viewModels { AppViewModel.Factory }

    override fun attachBaseContext(newBase: Context) {
        super.attachBaseContext(AppLocale.wrap(newBase))
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        // Result launchers must be registered before the Activity starts: done in the constructor.
        app.attach(AndroidPlatform(this))
        if (savedInstanceState == null) openFrom(intent)
        val language = AppLocale.language(this)
        // Created anew after a language switch: the library follows the language it is shown in.
        lifecycleScope.launch { runCatching { app.models.env.followLanguage(language) } }
        setContent {
            val navigator = app.models.navigator
            BackHandler(enabled = navigator.stack.size > 1) { navigator.back() }
            AppRoot(app.models, language, dark = isSystemInDarkTheme())
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        openFrom(intent)
    }

    private fun openFrom(intent: Intent?) {
        val nav = app.models.navigator
        intent?.getStringExtra(EXTRA_COMPLAINT)?.let { nav.open(Screen.Complaint(it)) }
        intent?.getStringExtra(EXTRA_NEWS)?.let { nav.open(Screen.NewsItem(it)) }
    }

    companion object {
        const val EXTRA_COMPLAINT = "ps.gaza.baladiya.COMPLAINT"
        const val EXTRA_NEWS = "ps.gaza.baladiya.NEWS"
    }
}
