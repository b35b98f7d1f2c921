package ps.gaza.baladiya

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.consumeEach
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.channelFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.baladiya_core.DataUsage
import uniffi.baladiya_core.MonthUsage
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_core.AttributeDef
import uniffi.baladiya_ffi.Baladiya
import uniffi.baladiya_ffi.BaladiyaConfig
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_core.BillLookup
import uniffi.baladiya_wire.Category
import uniffi.baladiya_core.Complaint
import uniffi.baladiya_core.ComplaintCategory
import uniffi.baladiya_core.ComplaintDraft
import uniffi.baladiya_core.ComplaintFlushReport
import uniffi.baladiya_core.FeedbackDraft
import uniffi.baladiya_wire.Department
import uniffi.baladiya_ffi.EventListener
import uniffi.baladiya_core.GuideHit
import uniffi.baladiya_core.GeoPoint
import uniffi.baladiya_core.Lang
import uniffi.baladiya_core.NearbyCheck
import uniffi.baladiya_core.NearbyRequest
import uniffi.baladiya_core.GuideSyncReport
import uniffi.baladiya_core.NewsReport
import uniffi.baladiya_core.RefreshReport
import uniffi.baladiya_core.SendAndRefreshReport
import uniffi.baladiya_core.SavedAccount
import uniffi.baladiya_wire.Service
import uniffi.baladiya_core.StoredNews
import uniffi.baladiya_core.StoreRecovery
import uniffi.baladiya_core.SyncSummary
import uniffi.baladiya_wire.VerificationInfo
import uniffi.baladiya_wire.Violation
import kotlin.time.Duration

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
        /**
         * Open the local store in [dataDir] (the app's files directory). No network.
         *
         * [locale] (`ar` or `en`) is the app's language: search rows are shown in it (see [language])
         * and it is asked of the complaints server; [apiKey] is this
         * app's Open311 key; [open311Endpoint] and [jurisdictionId] point complaints at another
         * GeoReport v2 server (by default the municipal server's own `open311/v2/`).
         */
        suspend fun open(
            dataDir: String,
            serverUrl: String,
            requestTimeoutMs: Long = 0,
            locale: String = "ar",
            apiKey: String? = null,
            open311Endpoint: String? = null,
            jurisdictionId: String? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): BaladiyaClient = withContext(io) {
            val config = BaladiyaConfig(
                dataDir = dataDir,
                serverUrl = serverUrl,
                requestTimeoutMs = requestTimeoutMs.coerceAtLeast(0).toULong(),
                locale = locale,
                apiKey = apiKey,
                open311Endpoint = open311Endpoint,
                jurisdictionId = jurisdictionId,
            )
            mapped { BaladiyaClient(Baladiya.open(config), io) }
        }
    }

    /** Bring the procedures guide up to date (a 304 when unchanged, a delta when possible). */
    suspend fun syncGuide(): GuideSyncReport = mapped { inner.syncGuide() }

    /**
     * One page of offline search results, each row in [language] unless the query matched only the
     * other language, with highlight spans as `String` indices.
     */
    suspend fun searchGuide(query: String, limit: Int = 20): List<GuideHit> =
        withContext(io) { mapped { inner.searchGuidePage(query, limit.coerceAtLeast(0).toUInt()) }.hits() }

    /**
     * The app's language: the `locale` opened with, until changed. Search rows follow it at once,
     * complaint categories at their next [refreshComplaintCategories].
     */
    var language: Lang
        get() = inner.language()
        set(value) = inner.setLanguage(value)

    suspend fun service(id: String): Service = withContext(io) { mapped { inner.service(id) } }

    suspend fun services(categoryId: String? = null): List<Service> =
        withContext(io) { mapped { inner.services(categoryId) } }

    suspend fun violation(id: String): Violation = withContext(io) { mapped { inner.violation(id) } }

    suspend fun violations(): List<Violation> = withContext(io) { mapped { inner.violations() } }

    suspend fun departments(): List<Department> = withContext(io) { mapped { inner.departments() } }

    suspend fun categories(): List<Category> = withContext(io) { mapped { inner.categories() } }

    suspend fun guideVersion(): Long? = withContext(io) { mapped { inner.guideVersion() } }

    // Complaints and suggestions. Filing is offline: [submitComplaint] writes to the outbox and
    // returns the tracking number at once; [flushComplaints] sends, [refreshComplaints] brings the
    // municipality's answers, and both also report through [events].

    /** Fetch the complaint categories and their forms for offline use; returns how many. */
    suspend fun refreshComplaintCategories(): Int = mapped { inner.refreshComplaintCategories().toInt() }

    /** The cached categories (empty before the first [refreshComplaintCategories]). */
    suspend fun complaintCategories(): List<ComplaintCategory> =
        withContext(io) { mapped { inner.complaintCategories() } }

    /** The form of one category: the attributes to ask for, in [AttributeDef.order]. */
    suspend fun complaintDefinition(code: String): List<AttributeDef> =
        withContext(io) { mapped { inner.complaintDefinition(code) } }

    /**
     * File a complaint with no network: the draft is checked (a [ApiException.Validation] names the
     * field to fix, e.g. `attribute[severity]`), the [photos] (JPEG or PNG bytes, at most 3)
     * are downscaled and stripped of metadata, and all of it is written to the outbox in one
     * transaction. Returns the tracking number (`BL-…`).
     *
     * Photo preparation takes a moment, so this runs on [io]. If the caller is cancelled meanwhile
     * the complaint may still have been filed: it then shows in [complaints].
     */
    suspend fun submitComplaint(draft: ComplaintDraft, photos: List<ByteArray> = emptyList()): String =
        withContext(io) { mapped { inner.submitComplaint(draft, photos) } }

    /**
     * [submitComplaint] with the citizen's choice for the photos: [fullQuality] keeps them full
     * size even on a slow link (otherwise a slow link gets ~1280 px, ~150 KB photos), and
     * [onWifiOnly] sends the complaint now and its photos only while [setMetered] says the
     * network is not metered ("send photos later, on Wi-Fi").
     */
    suspend fun submitComplaint(
        draft: ComplaintDraft,
        photos: List<ByteArray>,
        fullQuality: Boolean,
        onWifiOnly: Boolean,
    ): String = withContext(io) { mapped { inner.submitComplaintWith(draft, photos, fullQuality, onWifiOnly) } }

    /**
     * Tell the library whether the network is metered (mobile data) on every change the platform
     * reports; photos kept for Wi-Fi go only while it is not. Metered until told otherwise.
     */
    fun setMetered(metered: Boolean) = inner.setMetered(metered)

    /**
     * Damage to the phone's database found and repaired since opening (at open too, before any
     * listener existed): the file set aside and what was kept. Later ones also arrive as
     * [BaladiyaEvent.StoreRecovered]. Call once after opening and tell the citizen.
     */
    fun storeRecoveries(): List<StoreRecovery> = inner.storeRecoveries()

    /** The link's throughput in bytes per second from recent transfers; null before any. */
    fun linkThroughput(): Long? = inner.linkThroughput()?.toLong()

    /**
     * Before filing (issue 15.3, "this is my problem too"): the open requests of [serviceCode]
     * already reported within 50 m of [location], nearest first, each saying whether it is already
     * on this phone (`onThisPhone`: the citizen's own, or one they follow). Never an error for the
     * network: [NearbyCheck.Skipped] says why the step was skipped (no point, offline, a server
     * that does not take the search), and the complaint is then filed as usual. One request on the
     * library's runtime.
     */
    suspend fun nearbyRequests(serviceCode: String, location: GeoPoint?): NearbyCheck =
        mapped { inner.nearbyRequests(serviceCode, location) }

    /**
     * Follow a request [nearbyRequests] found instead of filing the same problem again. Needs no
     * network: it is at once among [complaints] (`followed`, state sent, no token; not the
     * citizen's to rate or reopen), its status changes arrive as [BaladiyaEvent.ComplaintUpdated],
     * and the municipality counts the follower on the next [refreshComplaints] or
     * [sendAndRefresh]. Returns the row's local id (the same one when followed again).
     */
    suspend fun followRequest(request: NearbyRequest): String =
        withContext(io) { mapped { inner.followRequest(request) } }

    /** Every complaint on this phone, newest first, with its state and history. */
    suspend fun complaints(): List<Complaint> = withContext(io) { mapped { inner.complaints() } }

    suspend fun complaint(localId: String): Complaint = withContext(io) { mapped { inner.complaint(localId) } }

    /**
     * Withdraw a complaint that has not left the phone (or that the server refused). Once a send
     * was attempted (even one that failed offline) only the server can close it: this is then an
     * [ApiException.Validation] on `local_id`. The same holds for [editComplaint].
     */
    suspend fun cancelComplaint(localId: String): Unit = withContext(io) { mapped { inner.cancelComplaint(localId) } }

    /** Replace the draft of a refused (or not yet attempted) complaint and queue it again. */
    suspend fun editComplaint(localId: String, draft: ComplaintDraft): Unit =
        withContext(io) { mapped { inner.editComplaint(localId, draft) } }

    /** Queue a refused complaint again unchanged. */
    suspend fun resendComplaint(localId: String): Unit = withContext(io) { mapped { inner.resendComplaint(localId) } }

    /**
     * Say whether a closed complaint was really resolved (yes or no, 1 to 5 stars, an optional
     * comment), once per closing. Needs no network: it goes to the outbox and the next flush sends
     * it exactly once ([BaladiyaEvent.ComplaintFollowUpSent]). Offered while
     * `Complaint.canGiveFeedback`; otherwise an [ApiException.Validation] on `local_id` (or on
     * `rating`, `comment` for what was typed).
     */
    suspend fun giveComplaintFeedback(localId: String, feedback: FeedbackDraft): Unit =
        withContext(io) { mapped { inner.giveComplaintFeedback(localId, feedback) } }

    /**
     * Ask to reopen a closed complaint, with the reason, within 14 days of its closing
     * (`Complaint.canReopen`, until `Complaint.reopenUntil`); through the outbox like feedback. The
     * municipality puts it back in the department's queue; its answer comes as the complaint's
     * status and a history entry.
     */
    suspend fun reopenComplaint(localId: String, reason: String): Unit =
        withContext(io) { mapped { inner.reopenComplaint(localId, reason) } }

    /**
     * Send every queued complaint now, oldest first. Being offline is not an error here: the
     * report's `retryLater` says which complaint waits and why; refusals are in `needsAttention`.
     */
    suspend fun flushComplaints(): ComplaintFlushReport = mapped { inner.flushComplaints() }

    /** Bring status changes and replies of sent complaints; each new entry is also an event. */
    suspend fun refreshComplaints(): RefreshReport = mapped { inner.refreshComplaints() }

    /**
     * The refresh button: send what is queued, then bring the municipality's answers. The library
     * decides (the same for both apps): when the server cannot be reached the refresh is skipped
     * and `unreachable` says why and when the outbox tries again; a transient failure is reported
     * there, not thrown.
     */
    suspend fun sendAndRefresh(): SendAndRefreshReport = mapped { inner.sendAndRefresh() }

    // Bills. A statement is personal data: every online lookup needs the verification factor
    // (see [billVerification]) beside the account number. The factor is never stored; a saved
    // account keeps its last statement for offline use, shown only to the same factor.

    /**
     * What to ask for beside the account number: [VerificationInfo.kind] is `phone` or
     * `national_id`, with a label to show in both languages. One small request.
     */
    suspend fun billVerification(): VerificationInfo = mapped { inner.billVerification() }

    /**
     * Look a bill up. [account] and [verification] are taken as typed: digits of any script
     * (`١٠٢٣٤٥١٨`), spaces and dashes are fine; a malformed account number is an
     * [ApiException.Validation] on `account` (or `verification`) before any request.
     *
     * Online, the fresh statement comes back (and refreshes a saved account's offline copy).
     * When the server cannot be reached (or answers 5xx), a saved account's last statement comes
     * back with `stale = true` and the [BillLookup.fetchedAt] of that copy, provided
     * [verification] is the factor verified online; an account not saved is then
     * [ApiException.Offline] (or `Network`, `Server`).
     * A wrong factor and an unknown account are the same [ApiException.Unauthorized]; repeated
     * failures are [ApiException.Throttled] with `retryAfterSecs`.
     */
    suspend fun lookupBill(account: String, verification: String): BillLookup =
        mapped { inner.lookupBill(account, verification) }

    /**
     * Save an account under a [nickname] (home, shop, parents; 1 to 40 characters) after
     * verifying it online; its statement is kept for offline lookups. Saving again renames it.
     */
    suspend fun saveBillAccount(account: String, nickname: String, verification: String): BillLookup =
        mapped { inner.saveBillAccount(account, nickname, verification) }

    /** The saved accounts, in the order they were saved. */
    suspend fun savedBillAccounts(): List<SavedAccount> = withContext(io) { mapped { inner.savedBillAccounts() } }

    /** Forget a saved account and its offline copy ([ApiException.NotFound] if it was not saved). */
    suspend fun forgetBillAccount(account: String): Unit =
        withContext(io) { mapped { inner.forgetBillAccount(account) } }

    /** Forget every saved account and its offline copy (settings); how many there were. */
    suspend fun forgetAllBillAccounts(): Int = withContext(io) { mapped { inner.forgetAllBillAccounts().toInt() } }

    // Data the app has used, per feature (guide, complaints, bills, news), since it was installed.

    suspend fun dataUsage(): List<DataUsage> = withContext(io) { mapped { inner.dataUsage() } }

    /** The same per calendar month (UTC), the last [months] newest first, this month always included. */
    suspend fun dataUsageByMonth(months: UInt): List<MonthUsage> =
        withContext(io) { mapped { inner.dataUsageByMonth(months) } }

    // News: the latest 100 items are kept on the phone with read marks.

    /**
     * Refresh the offline news: one conditional request (a 304 of a few hundred bytes when nothing
     * changed). New items are also a [BaladiyaEvent.NewsArrived]; withdrawn ones disappear.
     */
    suspend fun refreshNews(): NewsReport = mapped { inner.refreshNews() }.also { newsChanged() }

    /** The offline news, newest first; only the unread ones with [unreadOnly]. */
    suspend fun news(unreadOnly: Boolean = false): List<StoredNews> =
        withContext(io) { mapped { inner.news(unreadOnly) } }

    suspend fun unreadNewsCount(): Int = withContext(io) { mapped { inner.unreadNewsCount().toInt() } }

    /** Mark one item read ([ApiException.NotFound] for an id not on the phone). */
    suspend fun markNewsRead(id: String): Unit =
        withContext(io) { mapped { inner.markNewsRead(id) } }.also { newsChanged() }

    suspend fun markAllNewsRead(): Unit =
        withContext(io) { mapped { inner.markNewsRead(null) } }.also { newsChanged() }

    /**
     * The unread count for a badge: the current count when collected, then again whenever it may
     * have changed (news arrived, a background sync finished, items marked read or refreshed
     * through this client). Equal counts in a row are emitted once. A store failure ends the flow
     * with a [BaladiyaException].
     */
    fun observeUnreadNewsCount(): Flow<Int> = channelFlow {
        val changed = Channel<Unit>(Channel.CONFLATED)
        val subscription = inner.subscribe(object : EventListener {
            override fun onEvent(event: BaladiyaEvent) {
                if (event is BaladiyaEvent.NewsArrived || event is BaladiyaEvent.SyncFinished) {
                    changed.trySend(Unit)
                }
            }
        })
        // Both listeners are in place before the first count is read: no change slips between.
        launch(start = CoroutineStart.UNDISPATCHED) { localNewsChanges.collect { changed.trySend(Unit) } }
        changed.trySend(Unit)
        launch { changed.consumeEach { send(unreadNewsCount()) } }
        awaitClose {
            subscription.cancel()
            subscription.close()
        }
    }.distinctUntilChanged()

    private val localNewsChanges =
        MutableSharedFlow<Unit>(extraBufferCapacity = 1, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    private fun newsChanged() {
        localNewsChanges.tryEmit(Unit)
    }

    // The background sync.

    /**
     * For WorkManager (a `CoroutineWorker`): send the complaints due, bring their answers, refresh
     * the news and the guide, in that order, within [budgetMs], stopping cleanly when it runs out.
     * Never throws: what failed is in [SyncSummary.errors] (offline stops at the first step), what
     * to show as local notifications in [SyncSummary.notifications]. Also raised as
     * [BaladiyaEvent.SyncFinished]. A cancelled caller lets the run finish inside the library.
     */
    suspend fun backgroundSync(budgetMs: Long): SyncSummary =
        inner.backgroundSync(budgetMs.coerceAtLeast(0).toULong())

    suspend fun backgroundSync(budget: Duration): SyncSummary = backgroundSync(budget.inWholeMilliseconds)

    /**
     * Events (a finished sync; a complaint sent, refused or answered; news arrived) while
     * collected. Collection registers one listener; cancelling the collector unsubscribes it.
     * A collector that falls 64 events behind (a burst of upload progress) loses the oldest, never
     * the newest — the last word on a complaint is what a screen must see (as on iOS).
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
    }.buffer(capacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)

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

