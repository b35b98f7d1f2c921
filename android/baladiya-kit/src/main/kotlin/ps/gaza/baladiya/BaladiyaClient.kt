package ps.gaza.baladiya

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_ffi.Baladiya
import uniffi.baladiya_ffi.BaladiyaConfig
import uniffi.baladiya_ffi.BaladiyaEvent
import uniffi.baladiya_ffi.Category
import uniffi.baladiya_ffi.Department
import uniffi.baladiya_ffi.EventListener
import uniffi.baladiya_ffi.GuideHit
import uniffi.baladiya_ffi.GuideSyncReport
import uniffi.baladiya_ffi.Service
import uniffi.baladiya_ffi.Violation

/**
 * An error from the Baladiya library. [message] is the library's own text (fit to show or log:
 * it never holds personal data); [error] is the typed cause to branch on with `when`.
 */
class BaladiyaException(val error: ApiException) : Exception(error.toString(), error)

/**
 * The Baladiya core for Kotlin: `suspend` functions, a [Flow] of events, [AutoCloseable].
 *
 * Local reads (search, service details) run on [io] because they touch SQLite; network work runs
 * on the library's own runtime and suspends here without blocking a thread. Cancelling a
 * coroutine never leaves the store half-written: the library finishes the write it started.
 * Calls are coarse on purpose (one search returns a page), since every JNA call has a cost.
 */
class BaladiyaClient private constructor(
    private val inner: Baladiya,
    private val io: CoroutineDispatcher,
) : AutoCloseable {

    companion object {
        /** Open the local store in [dataDir] (the app's files directory). No network. */
        suspend fun open(
            dataDir: String,
            serverUrl: String,
            requestTimeoutMs: Long = 0,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): BaladiyaClient = withContext(io) {
            mapped { BaladiyaClient(Baladiya.open(BaladiyaConfig(dataDir, serverUrl, requestTimeoutMs.toULong())), io) }
        }
    }

    /** Bring the procedures guide up to date (a 304 when unchanged, a delta when possible). */
    suspend fun syncGuide(): GuideSyncReport = mapped { inner.syncGuide() }

    /** One page of offline search results, with highlight ranges as `String` indices. */
    suspend fun searchGuide(query: String, limit: Int = 20): List<GuideHit> =
        withContext(io) { mapped { inner.searchGuide(query, limit.coerceAtLeast(0).toUInt()) } }

    suspend fun service(id: String): Service = withContext(io) { mapped { inner.service(id) } }

    suspend fun services(categoryId: String? = null): List<Service> =
        withContext(io) { mapped { inner.services(categoryId) } }

    suspend fun violation(id: String): Violation = withContext(io) { mapped { inner.violation(id) } }

    suspend fun violations(): List<Violation> = withContext(io) { mapped { inner.violations() } }

    suspend fun departments(): List<Department> = withContext(io) { mapped { inner.departments() } }

    suspend fun categories(): List<Category> = withContext(io) { mapped { inner.categories() } }

    suspend fun guideVersion(): Long? = withContext(io) { mapped { inner.guideVersion() } }

    /**
     * Events (a finished sync; later complaint updates and news) while collected. Collection
     * registers one listener; cancelling the collector unsubscribes it.
     */
    val events: Flow<BaladiyaEvent> = callbackFlow {
        val subscription = inner.subscribe(object : EventListener {
            override fun onEvent(event: BaladiyaEvent) {
                trySend(event)
            }
        })
        awaitClose {
            subscription.cancel()
            subscription.close()
        }
    }.buffer(capacity = 64)

    /** For tests of the FFI boundary: a panic inside the library must arrive as an error. */
    suspend fun debugPanic() = withContext(io) { mapped { inner.debugPanic() } }

    suspend fun debugPanicAsync() = mapped { inner.debugPanicAsync() }

    override fun close() = inner.close()
}

private inline fun <T> mapped(block: () -> T): T =
    try {
        block()
    } catch (e: ApiException) {
        throw BaladiyaException(e)
    }
