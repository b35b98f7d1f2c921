package ps.gaza.baladiya.ui

import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import ps.gaza.baladiya.BaladiyaClient
import uniffi.baladiya_core.BaladiyaEvent

/**
 * What the screens' models share for the life of the app: the one [BaladiyaClient] (opened off
 * the main thread, so handed over as a suspending getter) and the [Platform] of the moment (on
 * Android the current Activity's, which a rotation replaces while the models live on).
 */
class AppEnv(val client: suspend () -> BaladiyaClient, private val platformOf: () -> Platform) {
    constructor(client: suspend () -> BaladiyaClient, platform: Platform) : this(client, { platform })

    val platform: Platform get() = platformOf()

    /** The guide is brought up to date once per app start, whichever screen asks first. */
    internal val guideSynced = AtomicBoolean(false)

    /** The same for the news. */
    internal val newsRefreshed = AtomicBoolean(false)

    /** The language the library answers in follows the screens' (search rows, categories). */
    suspend fun followLanguage(code: String) {
        val c = client()
        val lang = if (code == "en") uniffi.baladiya_core.Lang.EN else uniffi.baladiya_core.Lang.AR
        if (c.language == lang) return
        c.language = lang
        try {
            c.refreshComplaintCategories()
        } catch (e: ps.gaza.baladiya.BaladiyaException) {
            // Offline or refused: the cached names stay until the complaints screen refreshes.
        }
    }
}

/**
 * A screen's state holder: plain Kotlin over a [CoroutineScope] the host gives it (a ViewModel's
 * scope on Android, so it survives rotation; the composition's or the test's elsewhere). It
 * holds the last failure to show (the screen words it) and follows the library's events.
 *
 * Its coroutines run on the UI thread ([Dispatchers.Main]: Android's main thread, Swing's event
 * thread on the desktop) whatever the scope's own dispatcher: the library answers on its own
 * threads, and the state it sets must change between frames, never while Compose measures a
 * frame on the UI thread (a list whose size changes under its measure pass throws, an update
 * applied mid-frame can be missed). A composition's scope in a desktop test resumes wherever the
 * answer came from, which is how that once happened.
 */
abstract class ScreenModel(protected val env: AppEnv, protected val scope: CoroutineScope) {
    private val ui = Dispatchers.Main.immediate

    private val _error = MutableStateFlow<Throwable?>(null)
    val error: StateFlow<Throwable?> = _error.asStateFlow()

    fun dismissError() {
        _error.value = null
    }

    protected fun fail(e: Throwable) {
        _error.value = e
    }

    /** Run [block] with the client; a failure lands in [error]. */
    protected fun launchWithClient(block: suspend (BaladiyaClient) -> Unit): Job = scope.launch(ui) {
        try {
            block(env.client())
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            _error.value = e
        }
    }

    /** Collect the library's events while the scope lives (one listener per collector). */
    protected fun onEvents(handle: suspend (BaladiyaEvent) -> Unit) {
        scope.launch(ui) {
            try {
                env.client().events.collect { handle(it) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                _error.value = e
            }
        }
    }
}
