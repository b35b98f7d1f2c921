package ps.gaza.baladiya.app

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import ps.gaza.baladiya.BaladiyaClient
import uniffi.baladiya_ffi.BaladiyaEvent

/**
 * What every screen's view model shares: the process's client, the last failure to show (the
 * screen words it, see ui/Common.kt `errorText`), and the library's events.
 */
abstract class ClientViewModel(protected val app: BaladiyaApp) : ViewModel() {
    private val _error = MutableStateFlow<Throwable?>(null)
    val error: StateFlow<Throwable?> = _error.asStateFlow()

    fun dismissError() {
        _error.value = null
    }

    protected fun fail(e: Throwable) {
        _error.value = e
    }

    /** Run [block] with the client; a failure lands in [error]. */
    protected fun launchWithClient(block: suspend (BaladiyaClient) -> Unit): Job = viewModelScope.launch {
        try {
            block(app.client())
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            _error.value = e
        }
    }

    /** Collect the library's events while this view model lives (one listener per collector). */
    protected fun onEvents(handle: suspend (BaladiyaEvent) -> Unit) {
        viewModelScope.launch {
            try {
                app.client().events.collect { handle(it) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                _error.value = e
            }
        }
    }
}

/** The app, from a view model factory's creation extras. */
val androidx.lifecycle.viewmodel.CreationExtras.baladiyaApp: BaladiyaApp
    get() = this[androidx.lifecycle.ViewModelProvider.AndroidViewModelFactory.APPLICATION_KEY] as BaladiyaApp
