package ps.gaza.baladiya.app

import android.content.Context
import android.content.Intent
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.runtime.mutableStateOf
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.launch
import ps.gaza.baladiya.app.ui.BaladiyaNavigation
import ps.gaza.baladiya.app.ui.BaladiyaTheme

/** The single Activity: Compose, four tabs. A notification opens it on a given route. */
class MainActivity : ComponentActivity() {

    /** A route asked for by a notification tap, consumed by the navigation once shown. */
    private val requestedRoute = mutableStateOf<String?>(null)

    override fun attachBaseContext(newBase: Context) {
        super.attachBaseContext(AppLocale.wrap(newBase))
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        if (savedInstanceState == null) requestedRoute.value = intent?.getStringExtra(EXTRA_ROUTE)
        // Created anew after a language switch: the library follows the language it is shown in.
        lifecycleScope.launch {
            runCatching { (application as BaladiyaApp).followLanguage(AppLocale.language(this@MainActivity)) }
        }
        setContent {
            BaladiyaTheme {
                BaladiyaNavigation(
                    requestedRoute = requestedRoute.value,
                    onRouteShown = { requestedRoute.value = null },
                )
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        intent.getStringExtra(EXTRA_ROUTE)?.let { requestedRoute.value = it }
    }

    companion object {
        const val EXTRA_ROUTE = "ps.gaza.baladiya.ROUTE"
    }
}
