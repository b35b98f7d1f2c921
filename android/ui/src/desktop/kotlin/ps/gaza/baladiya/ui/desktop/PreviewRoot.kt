package ps.gaza.baladiya.ui.desktop

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.unit.LayoutDirection
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.BaladiyaClient
import uniffi.baladiya_ffi.Lang
import uniffi.baladiya_ffi.Localized
import uniffi.baladiya_ffi.Service

/**
 * Stand-in for the app's root until the shared screens land (then Main.kt shows
 * `ps.gaza.baladiya.ui.BaladiyaApp(...)` instead): syncs the guide from the server and lists its
 * services, in the client's language and direction — enough to see the client, the server and the
 * fonts working in a real window.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun PreviewRoot(client: BaladiyaClient, serverUrl: String) {
    val arabic = client.language == Lang.AR
    var services by remember { mutableStateOf<List<Service>>(emptyList()) }
    var status by remember { mutableStateOf(if (arabic) "جارٍ المزامنة…" else "Syncing…") }
    var attempt by remember { mutableIntStateOf(0) }

    LaunchedEffect(attempt) {
        status = try {
            val report = client.syncGuide()
            services = client.services()
            if (arabic) "الدليل محدّث (الإصدار ${report.version})" else "Guide up to date (version ${report.version})"
        } catch (e: Exception) {
            services = runCatching { client.services() }.getOrDefault(emptyList())
            (if (arabic) "تعذّر الاتصال بالخادم: " else "Could not reach the server: ") + (e.message ?: e.toString())
        }
    }

    fun Localized.text() = if (arabic) ar else en

    MaterialTheme {
        CompositionLocalProvider(LocalLayoutDirection provides if (arabic) LayoutDirection.Rtl else LayoutDirection.Ltr) {
            Scaffold(
                topBar = { TopAppBar(title = { Text(if (arabic) "بلدية غزة — دليل الخدمات" else "Gaza Municipality — services") }) },
            ) { padding ->
                Column(Modifier.fillMaxSize().padding(padding)) {
                    Column(Modifier.padding(horizontal = 16.dp, vertical = 8.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text(status, style = MaterialTheme.typography.bodyMedium)
                        // A URL is an identifier: left to right inside an isolate, whatever the paragraph.
                        Text("\u2066$serverUrl\u2069", style = MaterialTheme.typography.bodySmall)
                        Button(onClick = { attempt++ }) { Text(if (arabic) "مزامنة" else "Sync") }
                    }
                    HorizontalDivider()
                    LazyColumn {
                        items(services, key = { it.id }) { service ->
                            ListItem(
                                headlineContent = { Text(service.title.text()) },
                                supportingContent = { Text(service.summary.text(), maxLines = 2) },
                            )
                        }
                    }
                }
            }
        }
    }
}
