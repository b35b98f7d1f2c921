package ps.gaza.baladiya.ui.settings

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.NotifyKind
import ps.gaza.baladiya.ui.ScreenModel
import ps.gaza.baladiya.ui.common.bytes
import uniffi.baladiya_core.DataUsage

/**
 * Settings: the language (Arabic, English, or the system's), which notices to show, what each
 * feature has cost in data (the core counts the bytes), clearing saved bills, the version.
 */
class SettingsModel(env: AppEnv, scope: CoroutineScope) : ScreenModel(env, scope) {
    data class State(
        val languageChoice: String? = null,
        val notify: Map<NotifyKind, Boolean> = emptyMap(),
        /** Since the app was installed, per feature. */
        val usage: List<DataUsage> = emptyList(),
        /** This calendar month, per feature (what a data plan counts). */
        val thisMonth: List<DataUsage> = emptyList(),
        val savedAccounts: Int = 0,
        /** How many saved bills the last "clear" removed (shown once). */
        val cleared: Int? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    val version: String get() = env.platform.appVersion

    init {
        reload()
    }

    fun reload() {
        val p = env.platform
        _state.update { s ->
            s.copy(languageChoice = p.languageChoice, notify = NotifyKind.entries.associateWith(p::notificationsEnabled))
        }
        launchWithClient { c ->
            // This month first: a sync may count bytes between the two reads, and read the other
            // way round this month could show more than the total since installation.
            val thisMonth = c.dataUsageByMonth(1u).firstOrNull()?.features.orEmpty()
            val usage = c.dataUsage()
            val saved = c.savedBillAccounts().size
            _state.update { it.copy(usage = usage, thisMonth = thisMonth, savedAccounts = saved) }
        }
    }

    fun setLanguage(code: String?) {
        env.platform.setLanguage(code)
        _state.update { it.copy(languageChoice = code) }
    }

    fun setNotify(kind: NotifyKind, on: Boolean) {
        env.platform.setNotificationsEnabled(kind, on)
        _state.update { it.copy(notify = it.notify + (kind to on)) }
    }

    fun clearSavedBills() = launchWithClient { c ->
        val n = c.forgetAllBillAccounts()
        _state.update { it.copy(savedAccounts = 0, cleared = n) }
    }
}
