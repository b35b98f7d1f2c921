package ps.gaza.baladiya.ui.news

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.ScreenModel
import ps.gaza.baladiya.ui.common.bytes
import ps.gaza.baladiya.ui.common.id
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_wire.NewsItem
import uniffi.baladiya_core.StoredNews

/**
 * The news tab and the unread badge on it (one instance for the Activity). The latest 100 items
 * live on the phone with their read marks; a refresh is one conditional request (~130 bytes when
 * nothing changed), made once per app start and on request; the background sync does the rest.
 */
class NewsModel(env: AppEnv, scope: CoroutineScope) : ScreenModel(env, scope) {
    private val _news = MutableStateFlow<List<StoredNews>>(emptyList())
    val news: StateFlow<List<StoredNews>> = _news.asStateFlow()

    private val _unreadCount = MutableStateFlow(0)
    val unreadCount: StateFlow<Int> = _unreadCount.asStateFlow()

    private val _unreadOnly = MutableStateFlow(false)
    val unreadOnly: StateFlow<Boolean> = _unreadOnly.asStateFlow()

    private val _opened = MutableStateFlow<NewsItem?>(null)
    val opened: StateFlow<NewsItem?> = _opened.asStateFlow()

    /** The opened id is not on the phone (withdrawn, or older than the latest 100). */
    private val _openedMissing = MutableStateFlow(false)
    val openedMissing: StateFlow<Boolean> = _openedMissing.asStateFlow()

    private val _refreshing = MutableStateFlow(false)
    val refreshing: StateFlow<Boolean> = _refreshing.asStateFlow()

    init {
        reload()
        // The badge: the facade re-reads the count whenever it may have changed.
        launchWithClient { c -> c.observeUnreadNewsCount().collect { _unreadCount.value = it } }
        onEvents { event ->
            if (event is BaladiyaEvent.NewsArrived || event is BaladiyaEvent.SyncFinished) reload()
        }
        if (env.newsRefreshed.compareAndSet(false, true)) refresh(userAsked = false)
    }

    fun reload() = launchWithClient { c ->
        _news.value = c.news(unreadOnly = _unreadOnly.value)
    }

    fun setUnreadOnly(on: Boolean) {
        _unreadOnly.value = on
        reload()
    }

    /** Offline at start is not worth a word (the saved news is shown); a tap on refresh is. */
    fun refresh(userAsked: Boolean) {
        if (_refreshing.value) return
        _refreshing.value = true
        launchWithClient { c ->
            try {
                c.refreshNews()
            } catch (e: BaladiyaException) {
                val quiet = !userAsked && (e.error is ApiException.Offline || e.error is ApiException.Network)
                if (!quiet) fail(e)
            } finally {
                _refreshing.value = false
            }
            reload()
        }
    }

    /**
     * Open one item (from the list or a notification): read from the phone whatever the filter,
     * and marked read.
     */
    fun open(id: String) = launchWithClient { c ->
        val found = c.news(unreadOnly = false).firstOrNull { it.item.id == id }
        _opened.value = found?.item
        _openedMissing.value = found == null
        if (found != null && !found.read) {
            c.markNewsRead(id)
            reload()
        }
    }

    fun markAllRead() = launchWithClient { c ->
        c.markAllNewsRead()
        reload()
    }
}
