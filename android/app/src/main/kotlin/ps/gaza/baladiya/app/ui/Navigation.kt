package ps.gaza.baladiya.app.ui

import android.net.Uri
import androidx.annotation.StringRes
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Edit
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.Badge
import androidx.compose.material3.BadgedBox
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.NavDestination.Companion.hierarchy
import androidx.navigation.NavGraph.Companion.findStartDestination
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.navigation
import androidx.navigation.compose.rememberNavController
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.bills.BillsScreen
import ps.gaza.baladiya.app.bills.BillsViewModel
import ps.gaza.baladiya.app.complaints.ComplaintDetailScreen
import ps.gaza.baladiya.app.complaints.ComplaintFormScreen
import ps.gaza.baladiya.app.complaints.ComplaintListScreen
import ps.gaza.baladiya.app.complaints.ComplaintsViewModel
import ps.gaza.baladiya.app.guide.GuideScreen
import ps.gaza.baladiya.app.guide.GuideViewModel
import ps.gaza.baladiya.app.guide.ServiceScreen
import ps.gaza.baladiya.app.guide.ViolationScreen
import ps.gaza.baladiya.app.guide.ViolationsScreen
import ps.gaza.baladiya.app.news.NewsItemScreen
import ps.gaza.baladiya.app.news.NewsListScreen
import ps.gaza.baladiya.app.news.NewsViewModel

/** Every route of the app; notifications use [complaint] and [newsItem]. */
object Routes {
    const val GUIDE = "guide"
    const val GUIDE_SEARCH = "guide/search"
    const val SERVICE = "guide/service/{id}"
    const val VIOLATION = "guide/violation/{id}"
    const val VIOLATIONS = "guide/violations"
    const val COMPLAINTS = "complaints"
    const val COMPLAINT_LIST = "complaints/list"
    const val COMPLAINT_NEW = "complaints/new"
    const val COMPLAINT_EDIT = "complaints/edit/{localId}"
    const val COMPLAINT = "complaints/detail/{localId}"
    const val BILLS = "bills"
    const val BILLS_MAIN = "bills/main"
    const val NEWS = "news"
    const val NEWS_LIST = "news/list"
    const val NEWS_ITEM = "news/item/{id}"

    fun service(id: String) = "guide/service/${Uri.encode(id)}"
    fun violation(id: String) = "guide/violation/${Uri.encode(id)}"
    fun complaint(localId: String) = "complaints/detail/${Uri.encode(localId)}"
    fun editComplaint(localId: String) = "complaints/edit/${Uri.encode(localId)}"
    fun newsItem(id: String) = "news/item/${Uri.encode(id)}"
}

private enum class Tab(val route: String, @param:StringRes val label: Int, val icon: ImageVector) {
    Guide(Routes.GUIDE, R.string.tab_guide, Icons.Filled.Search),
    Complaints(Routes.COMPLAINTS, R.string.tab_complaints, Icons.Filled.Edit),
    Bills(Routes.BILLS, R.string.tab_bills, Icons.Filled.Home),
    News(Routes.NEWS, R.string.tab_news, Icons.Filled.Notifications),
}

@Composable
fun BaladiyaNavigation(requestedRoute: String?, onRouteShown: () -> Unit) {
    val nav = rememberNavController()
    // The tabs' view models belong to the Activity, so a tab keeps its state while another is
    // shown; detail screens get their own, scoped to their back-stack entry.
    val guide: GuideViewModel = viewModel(factory = GuideViewModel.Factory)
    val complaints: ComplaintsViewModel = viewModel(factory = ComplaintsViewModel.Factory)
    val bills: BillsViewModel = viewModel(factory = BillsViewModel.Factory)
    val news: NewsViewModel = viewModel(factory = NewsViewModel.Factory)
    val unread by news.unreadCount.collectAsStateWithLifecycle()
    val entry by nav.currentBackStackEntryAsState()

    LaunchedEffect(requestedRoute) {
        if (requestedRoute != null) {
            nav.navigate(requestedRoute) { launchSingleTop = true }
            onRouteShown()
        }
    }

    Scaffold(
        bottomBar = {
            NavigationBar {
                Tab.entries.forEach { tab ->
                    NavigationBarItem(
                        selected = entry?.destination?.hierarchy?.any { it.route == tab.route } == true,
                        onClick = { nav.openTab(tab.route) },
                        icon = {
                            if (tab == Tab.News && unread > 0) {
                                val description = pluralStringResource(R.plurals.unread_news, unread, unread)
                                BadgedBox(badge = { Badge { Text(number(unread.toLong())) } }) {
                                    Icon(tab.icon, contentDescription = description)
                                }
                            } else {
                                Icon(tab.icon, contentDescription = null)
                            }
                        },
                        label = { Text(stringResource(tab.label)) },
                    )
                }
            }
        },
    ) { padding ->
        NavHost(
            navController = nav,
            startDestination = Routes.GUIDE,
            // Only the bottom bar's room: each screen's own top bar handles the status bar.
            modifier = Modifier.padding(bottom = padding.calculateBottomPadding()),
        ) {
            navigation(startDestination = Routes.GUIDE_SEARCH, route = Routes.GUIDE) {
                composable(Routes.GUIDE_SEARCH) {
                    GuideScreen(
                        vm = guide,
                        openService = { nav.navigate(Routes.service(it)) },
                        openViolation = { nav.navigate(Routes.violation(it)) },
                        openViolations = { nav.navigate(Routes.VIOLATIONS) },
                    )
                }
                composable(Routes.SERVICE) { ServiceScreen(onBack = nav::navigateUp) }
                composable(Routes.VIOLATION) { ViolationScreen(onBack = nav::navigateUp) }
                composable(Routes.VIOLATIONS) { ViolationsScreen(onBack = nav::navigateUp) }
            }
            navigation(startDestination = Routes.COMPLAINT_LIST, route = Routes.COMPLAINTS) {
                composable(Routes.COMPLAINT_LIST) {
                    ComplaintListScreen(
                        vm = complaints,
                        openNew = { nav.navigate(Routes.COMPLAINT_NEW) },
                        openComplaint = { nav.navigate(Routes.complaint(it)) },
                    )
                }
                composable(Routes.COMPLAINT_NEW) {
                    ComplaintFormScreen(
                        onBack = nav::navigateUp,
                        onFiled = { localId ->
                            nav.navigate(Routes.complaint(localId)) { popUpTo(Routes.COMPLAINT_LIST) }
                        },
                    )
                }
                composable(Routes.COMPLAINT_EDIT) {
                    ComplaintFormScreen(onBack = nav::navigateUp, onFiled = { nav.navigateUp() })
                }
                composable(Routes.COMPLAINT) {
                    ComplaintDetailScreen(
                        onBack = nav::navigateUp,
                        openEdit = { nav.navigate(Routes.editComplaint(it)) },
                    )
                }
            }
            navigation(startDestination = Routes.BILLS_MAIN, route = Routes.BILLS) {
                composable(Routes.BILLS_MAIN) { BillsScreen(vm = bills) }
            }
            navigation(startDestination = Routes.NEWS_LIST, route = Routes.NEWS) {
                composable(Routes.NEWS_LIST) {
                    NewsListScreen(vm = news, openItem = { nav.navigate(Routes.newsItem(it)) })
                }
                composable(Routes.NEWS_ITEM) { entry ->
                    NewsItemScreen(vm = news, id = entry.arguments?.getString("id").orEmpty(), onBack = nav::navigateUp)
                }
            }
        }
    }
}

/** Bottom-bar navigation: one back stack per tab, restored when the tab is shown again. */
private fun NavHostController.openTab(route: String) = navigate(route) {
    popUpTo(graph.findStartDestination().id) { saveState = true }
    launchSingleTop = true
    restoreState = true
}
