package ps.gaza.baladiya.ui

import ps.gaza.baladiya.ui.notice.StoreNotice
import ps.gaza.baladiya.ui.notice.StoreNoticeModel
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxHeight
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Edit
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material.icons.filled.Search
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material3.Badge
import androidx.compose.material3.BadgedBox
import androidx.compose.material3.Icon
import androidx.compose.material3.LocalMinimumInteractiveComponentSize
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.NavigationRail
import androidx.compose.material3.NavigationRailItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.VerticalDivider
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.unit.LayoutDirection
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.CoroutineScope
import ps.gaza.baladiya.ui.bills.BillsModel
import ps.gaza.baladiya.ui.bills.BillsScreen
import ps.gaza.baladiya.ui.common.BaladiyaTheme
import ps.gaza.baladiya.ui.common.EmptyState
import ps.gaza.baladiya.ui.common.LocalOpenSettings
import ps.gaza.baladiya.ui.common.VARIES
import androidx.compose.ui.platform.testTag
import ps.gaza.baladiya.ui.common.LocalStrings
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.complaints.ComplaintDetailScreen
import ps.gaza.baladiya.ui.complaints.ComplaintFormScreen
import ps.gaza.baladiya.ui.complaints.ComplaintListScreen
import ps.gaza.baladiya.ui.complaints.ComplaintsModel
import ps.gaza.baladiya.ui.guide.GuideModel
import ps.gaza.baladiya.ui.guide.GuideScreen
import ps.gaza.baladiya.ui.guide.ServiceScreen
import ps.gaza.baladiya.ui.guide.ViolationScreen
import ps.gaza.baladiya.ui.guide.ViolationsScreen
import ps.gaza.baladiya.ui.news.NewsItemScreen
import ps.gaza.baladiya.ui.news.NewsListScreen
import ps.gaza.baladiya.ui.news.NewsModel
import ps.gaza.baladiya.ui.settings.SettingsModel
import ps.gaza.baladiya.ui.settings.SettingsScreen
import ps.gaza.baladiya.ui.text.ArStrings
import ps.gaza.baladiya.ui.text.EnStrings
import ps.gaza.baladiya.ui.text.Strings

/**
 * The tabs' models and the navigator: they outlive a screen (and, on Android, a rotation, held
 * by the Activity's ViewModel over its scope), so a tab keeps its state while another is shown.
 */
class AppModels(val env: AppEnv, scope: CoroutineScope) {
    val navigator = Navigator()
    val guide = GuideModel(env, scope)
    val complaints = ComplaintsModel(env, scope)
    val bills = BillsModel(env, scope)
    val news = NewsModel(env, scope)
    val settings = SettingsModel(env, scope)
    val storeNotice = StoreNoticeModel(env, scope)
}

fun stringsFor(language: String): Strings = if (language == "en") EnStrings else ArStrings

/** From this width (dp) the app shows a navigation rail and list and detail side by side. */
const val WIDE_DP = 600

/**
 * The whole app for one language: right to left in Arabic, left to right in English, the same on
 * a phone and in the JVM tests. A phone gets a bottom bar and one screen at a time; a tablet (or
 * a phone in landscape, 600 dp and wider) a navigation rail, with a list and its detail side by
 * side for the guide, complaints and news.
 */
@Composable
fun AppRoot(models: AppModels, language: String, dark: Boolean = false) {
    // The library answers in the shown language: search rows at once, complaint categories at
    // their next refresh (fetched again now when online).
    LaunchedEffect(language) { runCatching { models.env.followLanguage(language) } }
    AppSurface(language, models.env.platform, dark) {
        BoxWithConstraints(Modifier.fillMaxSize()) {
            if (maxWidth >= WIDE_DP.dp) WideLayout(models) else NarrowLayout(models)
        }
        StoreNotice(models.storeNotice)
    }
}

/** The language's texts and direction, the platform and the theme, around [content]. */
@Composable
fun AppSurface(language: String, platform: Platform, dark: Boolean = false, content: @Composable () -> Unit) {
    val direction = if (language == "ar") LayoutDirection.Rtl else LayoutDirection.Ltr
    CompositionLocalProvider(
        LocalStrings provides stringsFor(language),
        LocalLayoutDirection provides direction,
        LocalPlatform provides platform,
        // Touch targets of at least 48 dp, as on Android (the desktop default is smaller).
        LocalMinimumInteractiveComponentSize provides 48.dp,
    ) {
        BaladiyaTheme(dark = dark, content = content)
    }
}

private data class TabItem(val tab: Tab, val label: String, val icon: ImageVector)

@Composable
private fun tabItems(): List<TabItem> {
    val s = strings
    return listOf(
        TabItem(Tab.GUIDE, s.tabGuide, Icons.Filled.Search),
        TabItem(Tab.COMPLAINTS, s.tabComplaints, Icons.Filled.Edit),
        TabItem(Tab.BILLS, s.tabBills, Icons.Filled.Home),
        TabItem(Tab.NEWS, s.tabNews, Icons.Filled.Notifications),
        TabItem(Tab.SETTINGS, s.tabSettings, Icons.Filled.Settings),
    )
}

/** The tab's icon; the news tab's carries the unread count (read out as a sentence). */
@Composable
private fun TabIcon(item: TabItem, unread: Int) {
    if (item.tab == Tab.NEWS && unread > 0) {
        // The count depends on what the citizen (or a test suite) opened before: VARIES.
        BadgedBox(badge = { Badge(Modifier.testTag(VARIES)) { Text(strings.number(unread.toLong())) } }) {
            Icon(item.icon, contentDescription = strings.unreadNews(unread))
        }
    } else {
        // The label under it names it for screen readers.
        Icon(item.icon, contentDescription = null)
    }
}

@Composable
private fun NarrowLayout(models: AppModels) {
    val nav = models.navigator
    val unread by models.news.unreadCount.collectAsState()
    Scaffold(
        bottomBar = {
            NavigationBar {
                // Four tabs fit a phone in both languages at any font size; Settings is in the
                // top bar of each tab's first screen.
                tabItems().filter { it.tab != Tab.SETTINGS }.forEach { item ->
                    NavigationBarItem(
                        selected = nav.tab == item.tab,
                        onClick = { nav.openTab(item.tab) },
                        icon = { TabIcon(item, unread) },
                        label = { Text(item.label, maxLines = 1) },
                    )
                }
            }
        },
    ) { padding ->
        Box(Modifier.padding(bottom = padding.calculateBottomPadding())) {
            CompositionLocalProvider(LocalOpenSettings provides { nav.openTab(Tab.SETTINGS) }) {
                ScreenContent(models, nav.current, settingsBack = true)
            }
        }
    }
}

@Composable
private fun WideLayout(models: AppModels) {
    val nav = models.navigator
    val unread by models.news.unreadCount.collectAsState()
    Row(Modifier.fillMaxSize()) {
        NavigationRail {
            tabItems().forEach { item ->
                NavigationRailItem(
                    selected = nav.tab == item.tab,
                    onClick = { nav.openTab(item.tab) },
                    icon = { TabIcon(item, unread) },
                    label = { Text(item.label, maxLines = 1) },
                )
            }
        }
        val stack = nav.stack
        if (nav.tab in SPLIT_TABS) {
            // The list stays; the detail (or a hint to pick one) beside it.
            Box(Modifier.width(360.dp).fillMaxHeight()) { ScreenContent(models, stack.first()) }
            VerticalDivider()
            Box(Modifier.weight(1f).fillMaxHeight()) {
                if (stack.size > 1) ScreenContent(models, stack.last()) else EmptyState(strings.choosePlaceholder)
            }
        } else {
            Box(Modifier.weight(1f).fillMaxHeight()) { ScreenContent(models, stack.last()) }
        }
    }
}

private val SPLIT_TABS = setOf(Tab.GUIDE, Tab.COMPLAINTS, Tab.NEWS)

/** One screen of the app, by where the navigator is. */
@Composable
fun ScreenContent(models: AppModels, screen: Screen, settingsBack: Boolean = false) {
    val nav = models.navigator
    val env = models.env
    val back: () -> Unit = { nav.back() }
    when (screen) {
        Screen.Guide -> GuideScreen(
            vm = models.guide,
            openService = { nav.open(Screen.Service(it)) },
            openViolation = { nav.open(Screen.Violation(it)) },
            openViolations = { nav.open(Screen.Violations) },
        )
        is Screen.Service -> ServiceScreen(env, screen.id, onBack = back)
        is Screen.Violation -> ViolationScreen(env, screen.id, onBack = back)
        Screen.Violations -> ViolationsScreen(env, onBack = back)
        Screen.Complaints -> ComplaintListScreen(
            vm = models.complaints,
            openNew = { nav.open(Screen.NewComplaint) },
            openComplaint = { nav.open(Screen.Complaint(it)) },
        )
        Screen.NewComplaint -> ComplaintFormScreen(env, editing = null, onBack = back, onFiled = {
            nav.replace(Screen.Complaint(it))
            models.complaints.reload()
        }, onFollowed = {
            // Back to the list, where the followed request now is; the municipality counts it.
            nav.back()
            models.complaints.refreshQuietly()
        })
        is Screen.EditComplaint -> ComplaintFormScreen(env, editing = screen.localId, onBack = back, onFiled = { nav.back() })
        is Screen.Complaint -> ComplaintDetailScreen(env, screen.localId, onBack = back, openEdit = {
            nav.open(Screen.EditComplaint(it))
        })
        Screen.Bills -> BillsScreen(models.bills)
        Screen.News -> NewsListScreen(models.news, openItem = { nav.open(Screen.NewsItem(it)) })
        is Screen.NewsItem -> NewsItemScreen(models.news, screen.id, onBack = back)
        Screen.Settings -> SettingsScreen(models.settings, onBack = if (settingsBack) back else null)
    }
}
