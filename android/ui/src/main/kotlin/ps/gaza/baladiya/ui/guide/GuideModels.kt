package ps.gaza.baladiya.ui.guide

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.ScreenModel
import ps.gaza.baladiya.ui.common.bytes
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.text
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_wire.Category
import uniffi.baladiya_core.GuideHit
import uniffi.baladiya_wire.Localized
import uniffi.baladiya_wire.Service
import uniffi.baladiya_wire.Violation

/**
 * The guide tab: the search as typed and its page of hits, or (with no query) the services by
 * category. Everything is read from the phone; the guide is brought up to date once per app
 * start in the background (a 304 of ~130 bytes when nothing changed) and on request.
 */
class GuideModel(env: AppEnv, scope: CoroutineScope) : ScreenModel(env, scope) {
    private val _query = MutableStateFlow("")
    val query: StateFlow<String> = _query.asStateFlow()

    private val _hits = MutableStateFlow<List<GuideHit>>(emptyList())
    val hits: StateFlow<List<GuideHit>> = _hits.asStateFlow()

    /** The query [hits] answer (so "no results" never flashes for a query still running). */
    private val _hitsFor = MutableStateFlow("")
    val hitsFor: StateFlow<String> = _hitsFor.asStateFlow()

    private val _categories = MutableStateFlow<List<Category>>(emptyList())
    val categories: StateFlow<List<Category>> = _categories.asStateFlow()

    private val _category = MutableStateFlow<String?>(null)
    val category: StateFlow<String?> = _category.asStateFlow()

    private val _services = MutableStateFlow<List<Service>>(emptyList())
    val services: StateFlow<List<Service>> = _services.asStateFlow()

    /** Null before the guide was ever downloaded. */
    private val _version = MutableStateFlow<Long?>(null)
    val version: StateFlow<Long?> = _version.asStateFlow()

    private val _loaded = MutableStateFlow(false)
    val loaded: StateFlow<Boolean> = _loaded.asStateFlow()

    private val _syncing = MutableStateFlow(false)
    val syncing: StateFlow<Boolean> = _syncing.asStateFlow()

    private var searching: Job? = null

    /**
     * The screen tells the language its resources show (when it appears, and after a switch);
     * the rows are asked for again in it, which costs microseconds.
     */
    fun setLanguage(code: String) = launchWithClient {
        env.followLanguage(code)
        search(_query.value)
    }

    init {
        loadLocal()
        onEvents { event ->
            if (event is BaladiyaEvent.GuideSynced) {
                loadLocal()
                search(_query.value)
            }
        }
        if (env.guideSynced.compareAndSet(false, true)) sync(userAsked = false)
    }

    /** On every keystroke: the previous search is cancelled, only the latest lands. */
    fun onQueryChange(text: String) {
        _query.value = text
        search(text)
    }

    fun selectCategory(id: String?) {
        _category.value = id
        launchWithClient { c -> _services.value = c.services(id) }
    }

    /**
     * Bring the guide up to date. The automatic sync at start stays quiet when offline (the guide
     * on the phone is what the citizen reads anyway); a tap on refresh says why it failed.
     */
    fun sync(userAsked: Boolean) {
        if (_syncing.value) return
        launchWithClient { c ->
            _syncing.value = true
            try {
                c.syncGuide()
            } catch (e: BaladiyaException) {
                val quiet = !userAsked && (e.error is ApiException.Offline || e.error is ApiException.Network)
                if (!quiet) fail(e)
            } finally {
                _syncing.value = false
            }
            loadLocal()
        }
    }

    private fun search(text: String) {
        searching?.cancel()
        if (text.isBlank()) {
            _hits.value = emptyList()
            _hitsFor.value = text
            return
        }
        searching = launchWithClient { c ->
            _hits.value = c.searchGuide(text, limit = 20)
            _hitsFor.value = text
        }
    }

    private fun loadLocal() = launchWithClient { c ->
        _version.value = c.guideVersion()
        _categories.value = c.categories()
        _services.value = c.services(_category.value)
        _loaded.value = true
    }

}

/** One service in full, with its department's name. */
class ServiceModel(env: AppEnv, scope: CoroutineScope, private val id: String) : ScreenModel(env, scope) {

    private val _service = MutableStateFlow<Service?>(null)
    val service: StateFlow<Service?> = _service.asStateFlow()

    private val _department = MutableStateFlow<Localized?>(null)
    val department: StateFlow<Localized?> = _department.asStateFlow()

    init {
        launchWithClient { c ->
            val s = c.service(id)
            _service.value = s
            _department.value = c.departments().firstOrNull { it.id == s.departmentId }?.name
        }
    }

}

/** The violations guide: one violation (route with an id) or all of them. */
class ViolationsModel(env: AppEnv, scope: CoroutineScope, private val id: String?) : ScreenModel(env, scope) {

    private val _violations = MutableStateFlow<List<Violation>>(emptyList())
    val violations: StateFlow<List<Violation>> = _violations.asStateFlow()

    /** False until the first read from the phone has answered (an empty list then means none yet). */
    private val _loaded = MutableStateFlow(false)
    val loaded: StateFlow<Boolean> = _loaded.asStateFlow()

    init {
        load()
        // Opened before the guide's first sync finished: the list fills when it does.
        onEvents { event -> if (event is BaladiyaEvent.GuideSynced) load() }
    }

    private fun load() = launchWithClient { c ->
        _violations.value = if (id != null) listOf(c.violation(id)) else c.violations()
        _loaded.value = true
    }

}
