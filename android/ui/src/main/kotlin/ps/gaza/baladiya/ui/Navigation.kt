package ps.gaza.baladiya.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import ps.gaza.baladiya.ui.common.id

/** Every place in the app. Notifications open [Complaint] and [NewsItem]. */
sealed interface Screen {
    data object Guide : Screen
    data class Service(val id: String) : Screen
    data class Violation(val id: String) : Screen
    data object Violations : Screen
    data object Complaints : Screen
    data object NewComplaint : Screen
    data class EditComplaint(val localId: String) : Screen
    data class Complaint(val localId: String) : Screen
    data object Bills : Screen
    data object News : Screen
    data class NewsItem(val id: String) : Screen
    data object Settings : Screen
}

enum class Tab(val root: Screen) {
    GUIDE(Screen.Guide),
    COMPLAINTS(Screen.Complaints),
    BILLS(Screen.Bills),
    NEWS(Screen.News),
    SETTINGS(Screen.Settings),
}

/**
 * Where the citizen is: one back stack per tab, kept while another tab is shown. Plain state, so
 * the Android app keeps it in a ViewModel across rotation and the tests drive it directly.
 */
class Navigator {
    var tab by mutableStateOf(Tab.GUIDE)
        private set

    /** Where Settings was opened from (a phone shows Settings from a top-bar button, not a tab). */
    private var before = Tab.GUIDE
    private val stacks = Tab.entries.associateWith { mutableStateListOf(it.root) }

    /** The shown tab's back stack, its root first. */
    val stack: List<Screen> get() = stacks.getValue(tab)

    val current: Screen get() = stack.last()

    fun openTab(t: Tab) {
        if (t == Tab.SETTINGS && tab != Tab.SETTINGS) before = tab
        tab = t
    }

    /** Open [screen] on top of its tab's stack (switching tab when it belongs to another). */
    fun open(screen: Screen) {
        val owner = tabOf(screen)
        openTab(owner)
        val s = stacks.getValue(owner)
        if (s.last() != screen) s.add(screen)
    }

    /** Replace the top of the stack (after filing: the form gives way to the complaint). */
    fun replace(screen: Screen) {
        val s = stacks.getValue(tab)
        if (s.size > 1) s.removeAt(s.lastIndex)
        open(screen)
    }

    /**
     * One step back within the tab; from Settings back to the tab it was opened from; false at
     * any other tab's root (the platform then leaves the app).
     */
    fun back(): Boolean {
        val s = stacks.getValue(tab)
        if (s.size <= 1 && tab == Tab.SETTINGS) {
            tab = before
            return true
        }
        if (s.size <= 1) return false
        s.removeAt(s.lastIndex)
        return true
    }

    private fun tabOf(screen: Screen): Tab = when (screen) {
        Screen.Guide, is Screen.Service, is Screen.Violation, Screen.Violations -> Tab.GUIDE
        Screen.Complaints, Screen.NewComplaint, is Screen.EditComplaint, is Screen.Complaint -> Tab.COMPLAINTS
        Screen.Bills -> Tab.BILLS
        Screen.News, is Screen.NewsItem -> Tab.NEWS
        Screen.Settings -> Tab.SETTINGS
    }
}
