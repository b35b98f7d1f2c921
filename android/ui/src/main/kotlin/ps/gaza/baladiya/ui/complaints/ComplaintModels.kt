package ps.gaza.baladiya.ui.complaints

import androidx.compose.ui.graphics.ImageBitmap
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.ScreenModel
import ps.gaza.baladiya.ui.common.bytes
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.text
import ps.gaza.baladiya.ui.common.toRfc3339
import uniffi.baladiya_core.AttributeAnswer
import uniffi.baladiya_core.AttributeDef
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_core.Complaint
import uniffi.baladiya_core.ComplaintCategory
import uniffi.baladiya_core.ComplaintDraft
import uniffi.baladiya_core.Contact
import uniffi.baladiya_core.FeedbackDraft
import uniffi.baladiya_core.GeoPoint
import uniffi.baladiya_core.NearbyCheck
import uniffi.baladiya_core.NearbyRequest
import uniffi.baladiya_core.UploadProgress
import uniffi.baladiya_ffi.ApiException

/**
 * The complaints tab: every complaint on the phone, newest first, kept current from the
 * library's events (sent, refused, answered, a background sync). The same job as BaladiyaKit's
 * ComplaintListModel on iOS.
 */
class ComplaintsModel(env: AppEnv, scope: CoroutineScope) : ScreenModel(env, scope) {
    private val _complaints = MutableStateFlow<List<Complaint>>(emptyList())
    val complaints: StateFlow<List<Complaint>> = _complaints.asStateFlow()

    /** Category code → name, for the list rows. */
    private val _categoryNames = MutableStateFlow<Map<String, String>>(emptyMap())
    val categoryNames: StateFlow<Map<String, String>> = _categoryNames.asStateFlow()

    private val _sending = MutableStateFlow(false)
    val sending: StateFlow<Boolean> = _sending.asStateFlow()

    /** After a send that could not reach the server: when the outbox tries again (unix ms). */
    private val _retryAt = MutableStateFlow<Long?>(null)
    val retryAt: StateFlow<Long?> = _retryAt.asStateFlow()

    init {
        reload()
        onEvents { event ->
            when (event) {
                is BaladiyaEvent.ComplaintSent,
                is BaladiyaEvent.ComplaintPhotosSent,
                is BaladiyaEvent.ComplaintNeedsAttention,
                is BaladiyaEvent.ComplaintUpdated,
                is BaladiyaEvent.SyncFinished,
                -> reload()
                else -> Unit
            }
        }
    }

    /** Read the list from the phone (cheap; the screen calls it whenever it is shown). */
    fun reload() = launchWithClient { c ->
        _complaints.value = c.complaints()
        _categoryNames.value = c.complaintCategories().associate { it.code to it.name }
    }

    /**
     * Send what is queued, then bring the municipality's answers (the refresh button). What to
     * do when the server cannot be reached is the library's decision (the same on iOS): the
     * reason is shown, and a wake-up is scheduled for when the outbox tries again.
     */
    fun sendAndRefresh() {
        if (_sending.value) return
        _sending.value = true
        launchWithClient { c ->
            try {
                val unreachable = c.sendAndRefresh().unreachable
                _retryAt.value = unreachable?.retryAt
                unreachable?.retryAt?.let { env.platform.scheduleComplaintFlush(it) }
                if (unreachable != null) {
                    val why = if (unreachable.offline) ApiException.Offline(unreachable.detail) else ApiException.Network(unreachable.detail)
                    fail(BaladiyaException(why))
                } else {
                    dismissError()
                }
            } finally {
                _sending.value = false
                reload()
            }
        }
    }

    /**
     * Bring the municipality's answers without a word when it cannot be reached: after the citizen
     * followed a request, so that it counts them now (offline, the next refresh does).
     */
    fun refreshQuietly() = launchWithClient { c ->
        try {
            c.refreshComplaints()
        } catch (e: BaladiyaException) {
            // Offline or refused: the refresh button and the background sync try again.
        }
        reload()
    }
}

/**
 * The complaint form: a category and its attributes, a description, a location or an address,
 * up to three photos, contact or anonymous. Filing needs no network: the core checks the draft,
 * prepares the photos and writes the outbox, and the tracking number is shown at once. With a
 * `localId` argument the form edits a complaint still on the phone instead.
 */
class ComplaintFormModel(env: AppEnv, scope: CoroutineScope, private val editing: String?) : ScreenModel(env, scope) {
    val isEditing: Boolean get() = editing != null

    class Photo(val bytes: ByteArray, val preview: ImageBitmap?)

    data class Form(
        val categories: List<ComplaintCategory> = emptyList(),
        val loadingCategories: Boolean = false,
        val category: ComplaintCategory? = null,
        val attributes: List<AttributeDef> = emptyList(),
        /** Attribute code → values (one, or several for a multi-value list). */
        val answers: Map<String, List<String>> = emptyMap(),
        val description: String = "",
        val address: String = "",
        val location: GeoPoint? = null,
        val locating: Boolean = false,
        val locationFailed: Boolean = false,
        val photos: List<Photo> = emptyList(),
        val photoFailed: Boolean = false,
        /** Full-size photos even on a slow link (more data); off: the core sizes them to the link. */
        val fullQuality: Boolean = false,
        /** "Send photos later, on Wi-Fi": the complaint goes now, its photos on a network that is not metered. */
        val photosOnWifi: Boolean = false,
        val anonymous: Boolean = false,
        val firstName: String = "",
        val lastName: String = "",
        val phone: String = "",
        val email: String = "",
        val submitting: Boolean = false,
    )

    private val _form = MutableStateFlow(Form())
    val form: StateFlow<Form> = _form.asStateFlow()

    /** The tracking number once filed (or the edited complaint's). */
    private val _filed = MutableStateFlow<String?>(null)
    val filed: StateFlow<String?> = _filed.asStateFlow()

    init {
        loadCategories(refresh = false)
    }

    /** The cached categories; fetched once when the phone has none yet (or on request). */
    fun loadCategories(refresh: Boolean) = launchWithClient { c ->
        var categories = c.complaintCategories()
        if (categories.isEmpty() || refresh) {
            _form.update { it.copy(loadingCategories = true) }
            try {
                c.refreshComplaintCategories()
            } finally {
                _form.update { it.copy(loadingCategories = false) }
            }
            categories = c.complaintCategories()
        }
        _form.update { it.copy(categories = categories.sortedBy { cat -> cat.group }) }
        val id = editing
        if (id != null && _form.value.category == null) {
            val draft = c.complaint(id).draft
            val category = categories.firstOrNull { it.code == draft.serviceCode }
            val contact = draft.contact
            val definition = c.complaintDefinition(draft.serviceCode).sortedBy { d -> d.order }
            _form.update {
                it.copy(
                    category = category,
                    attributes = definition,
                    answers = draft.attributes.associate { a -> a.code to a.values },
                    description = draft.description,
                    address = draft.address.orEmpty(),
                    location = draft.location,
                    anonymous = contact == null,
                    firstName = contact?.firstName.orEmpty(),
                    lastName = contact?.lastName.orEmpty(),
                    phone = contact?.phone.orEmpty(),
                    email = contact?.email.orEmpty(),
                )
            }
        }
    }

    fun selectCategory(category: ComplaintCategory) {
        _form.update { it.copy(category = category, attributes = emptyList(), answers = emptyMap()) }
        launchWithClient { c ->
            val defs = c.complaintDefinition(category.code).sortedBy { it.order }
            _form.update { if (it.category?.code == category.code) it.copy(attributes = defs) else it }
        }
    }

    fun setAnswer(code: String, values: List<String>) = _form.update { it.copy(answers = it.answers + (code to values)) }
    fun setDescription(text: String) = _form.update { it.copy(description = text) }
    fun setAddress(text: String) = _form.update { it.copy(address = text) }
    fun setAnonymous(on: Boolean) = _form.update { it.copy(anonymous = on) }
    fun setFullQuality(on: Boolean) = _form.update { it.copy(fullQuality = on) }
    fun setPhotosOnWifi(on: Boolean) = _form.update { it.copy(photosOnWifi = on) }
    fun setFirstName(text: String) = _form.update { it.copy(firstName = text) }
    fun setLastName(text: String) = _form.update { it.copy(lastName = text) }
    fun setPhone(text: String) = _form.update { it.copy(phone = text) }
    fun setEmail(text: String) = _form.update { it.copy(email = text) }
    fun clearLocation() = _form.update { it.copy(location = null) }

    /** One fix from the platform's location provider (which asks for the permission). */
    fun locate() {
        _form.update { it.copy(locating = true, locationFailed = false) }
        launchWithClient { _ ->
            val point = env.platform.currentLocation()
            _form.update { it.copy(location = point ?: it.location, locating = false, locationFailed = point == null) }
        }
    }

    /** A photo from the system picker, read as bytes; the core downsizes and strips it. */
    fun pickPhoto() {
        if (_form.value.photos.size >= MAX_PHOTOS) return
        launchWithClient { _ ->
            val bytes = env.platform.pickPhoto() ?: return@launchWithClient
            addPhoto(bytes)
        }
    }

    /** Add picked bytes (the picker's answer; tests hand them over directly). */
    fun addPhoto(bytes: ByteArray) = launchWithClient { _ ->
        val photo = withContext(Dispatchers.Default) {
            bytes.takeIf { it.isNotEmpty() && it.size <= MAX_PHOTO_BYTES }
                ?.let { Photo(it, runCatching { env.platform.previewOf(it) }.getOrNull()) }
        }
        _form.update {
            if (photo == null) it.copy(photoFailed = true)
            else it.copy(photos = (it.photos + photo).take(MAX_PHOTOS), photoFailed = false)
        }
    }

    /** A datetime question answered through the platform's pickers. */
    fun pickDateTime(code: String) = launchWithClient { _ ->
        val ms = env.platform.pickDateTime() ?: return@launchWithClient
        setAnswer(code, listOf(ps.gaza.baladiya.ui.common.toRfc3339(ms)))
    }

    fun removePhoto(index: Int) = _form.update { it.copy(photos = it.photos.filterIndexed { i, _ -> i != index }) }

    /**
     * Requests of the same category already reported within 50 m of the complaint's point and not
     * on this phone (issue 15.3), offered before filing; empty while there is nothing to offer.
     */
    private val _nearby = MutableStateFlow<List<NearbyRequest>>(emptyList())
    val nearby: StateFlow<List<NearbyRequest>> = _nearby.asStateFlow()

    /** A follow under way (the offer's buttons wait). */
    private val _following = MutableStateFlow(false)
    val following: StateFlow<Boolean> = _following.asStateFlow()

    /** The local id of the request followed instead of filing. */
    private val _followed = MutableStateFlow<String?>(null)
    val followed: StateFlow<String?> = _followed.asStateFlow()

    /**
     * The send button. A new complaint with a point first asks what is already reported nearby:
     * requests found that are not on this phone are offered ([nearby]); nothing found, or the
     * step skipped (no network, another city's server), files at once as before. Editing, or no
     * category or point yet, files at once too.
     */
    fun submit() {
        val f = _form.value
        if (f.submitting) return
        val code = f.category?.code
        val point = f.location
        if (editing != null || code == null || point == null) return file()
        dismissError()
        _form.update { it.copy(submitting = true) }
        launchWithClient { c ->
            val offered = try {
                when (val check = c.nearbyRequests(code, point)) {
                    is NearbyCheck.Found -> check.requests.filterNot { it.onThisPhone }
                    is NearbyCheck.Skipped -> emptyList()
                }
            } catch (e: BaladiyaException) {
                // Never for the network; whatever else went wrong must not stop the filing.
                emptyList()
            }
            _form.update { it.copy(submitting = false) }
            if (offered.isEmpty()) file() else _nearby.value = offered
        }
    }

    /** "No, send mine": file the complaint as written. */
    fun sendMine() {
        _nearby.value = emptyList()
        file()
    }

    /** Back from the offer to the form, nothing filed. */
    fun closeNearby() {
        _nearby.value = emptyList()
    }

    /**
     * "This is my problem too": follow [request] instead of filing (no network needed). The
     * municipality counts the follower on the next refresh ([ComplaintsModel.refreshQuietly]).
     */
    fun follow(request: NearbyRequest) {
        if (_following.value) return
        _following.value = true
        dismissError()
        launchWithClient { c ->
            try {
                // Counted by the municipality on the next refresh (the list asks for one).
                val localId = c.followRequest(request)
                _nearby.value = emptyList()
                _followed.value = localId
            } finally {
                _following.value = false
            }
        }
    }

    private fun file() {
        val f = _form.value
        if (f.submitting) return
        val draft = ComplaintDraft(
            serviceCode = f.category?.code.orEmpty(),
            description = f.description,
            attributes = f.answers.filterValues { it.isNotEmpty() }.map { (code, values) -> AttributeAnswer(code, values) },
            location = f.location,
            address = f.address.ifBlank { null },
            // Anonymous: no personal field at all leaves the phone.
            contact = if (f.anonymous) {
                null
            } else {
                Contact(
                    firstName = f.firstName.ifBlank { null },
                    lastName = f.lastName.ifBlank { null },
                    phone = f.phone.ifBlank { null },
                    email = f.email.ifBlank { null },
                )
            },
        )
        dismissError()
        _form.update { it.copy(submitting = true) }
        launchWithClient { c ->
            try {
                val id = editing
                val tracking = if (id != null) {
                    c.editComplaint(id, draft)
                    id
                } else {
                    c.submitComplaint(draft, f.photos.map { it.bytes }, f.fullQuality, f.photosOnWifi && f.photos.isNotEmpty())
                }
                // Sent as soon as there is a network (now, if there is one).
                env.platform.scheduleComplaintFlush()
                _filed.value = tracking
            } finally {
                _form.update { it.copy(submitting = false) }
            }
        }
    }

    companion object {
        const val MAX_PHOTOS = 3
        /** Beyond this a "photo" is not one a phone camera makes; refuse before holding it in memory twice. */
        private const val MAX_PHOTO_BYTES = 25 * 1024 * 1024
    }
}

/** One complaint: its state, the municipality's status and history; cancel, resend or edit. */
class ComplaintDetailModel(env: AppEnv, scope: CoroutineScope, val localId: String) : ScreenModel(env, scope) {

    private val _complaint = MutableStateFlow<Complaint?>(null)
    val complaint: StateFlow<Complaint?> = _complaint.asStateFlow()

    private val _categoryName = MutableStateFlow<String?>(null)
    val categoryName: StateFlow<String?> = _categoryName.asStateFlow()

    // Declared before `init`: load() may run at once (an immediate dispatcher) and sets it.
    /** The citizen's answers to the category's questions, as the citizen can check them. */
    private val _answers = MutableStateFlow<List<AnswerRow>>(emptyList())
    val answers: StateFlow<List<AnswerRow>> = _answers.asStateFlow()

    /** The upload under way, from the library's progress events; null when nothing is moving. */
    private val _progress = MutableStateFlow<UploadProgress?>(null)
    val progress: StateFlow<UploadProgress?> = _progress.asStateFlow()

    init {
        load()
        onEvents { event ->
            if (event is BaladiyaEvent.ComplaintProgress) {
                if (event.progress.localId == localId) showProgress(event.progress)
                return@onEvents
            }
            if (event is BaladiyaEvent.ComplaintPhotosSent && event.localId == localId) _progress.value = null
            val about = when (event) {
                is BaladiyaEvent.ComplaintSent -> event.localId
                is BaladiyaEvent.ComplaintPhotosSent -> event.localId
                is BaladiyaEvent.ComplaintNeedsAttention -> event.localId
                is BaladiyaEvent.ComplaintUpdated -> event.localId
                is BaladiyaEvent.ComplaintFollowUpSent -> event.localId
                is BaladiyaEvent.ComplaintFollowUpRefused -> event.localId
                is BaladiyaEvent.SyncFinished -> localId
                else -> null
            }
            if (about == localId) load()
        }
    }

    /** A progress report for this complaint (the events' handler; tests hand one over directly). */
    fun showProgress(progress: UploadProgress) {
        // The last report of a photo (or of the one POST) is followed by the answer; until the
        // next one arrives it would read "100%" for a finished upload.
        _progress.value = progress.takeIf { it.bytesTotal == 0uL || it.bytesSent < it.bytesTotal }
    }

    fun load() = launchWithClient { c ->
        val complaint = c.complaint(localId)
        val categoryName = c.complaintCategories().firstOrNull { it.code == complaint.draft.serviceCode }?.name
        // The definition is cached with the categories; without it the answers show as typed.
        val definition = runCatching { c.complaintDefinition(complaint.draft.serviceCode) }.getOrDefault(emptyList())
        // Everything read first, then shown at once (no suspension between these on the UI
        // thread): the complaint never appears without its answers (a test caught that under load).
        if (complaint.photosUploaded + complaint.photosRefused >= complaint.photoCount && complaint.serverId != null) {
            _progress.value = null // everything on the server (or refused): nothing is moving any more
        }
        _complaint.value = complaint
        _categoryName.value = categoryName
        _answers.value = answerRows(complaint.draft.attributes, definition)
    }

    fun cancel() = launchWithClient { c ->
        c.cancelComplaint(localId)
        load()
    }

    fun resend() = launchWithClient { c ->
        c.resendComplaint(localId)
        env.platform.scheduleComplaintFlush()
        load()
    }

    /**
     * Say whether the closed complaint was really solved: written to the outbox (no network),
     * sent by the next flush, which is asked for at once.
     */
    fun giveFeedback(resolved: Boolean, stars: Int, comment: String) = launchWithClient { c ->
        val text = comment.trim().ifEmpty { null }
        c.giveComplaintFeedback(localId, FeedbackDraft(resolved = resolved, rating = stars.coerceIn(0, 255).toUByte(), comment = text))
        env.platform.scheduleComplaintFlush()
        load()
    }

    /** Ask to reopen the closed complaint with the reason, through the outbox as feedback is. */
    fun reopen(reason: String) = launchWithClient { c ->
        c.reopenComplaint(localId, reason)
        env.platform.scheduleComplaintFlush()
        load()
    }

}

/** One answered question: the question as the category words it, and the answer's values. */
data class AnswerRow(val question: String, val values: List<String>, val isDateTime: Boolean)

/**
 * The answers in the order the form asked them; a listed value shows as its label (what the
 * citizen picked), not its code. An answer whose question is unknown keeps its code.
 */
fun answerRows(answers: List<AttributeAnswer>, definition: List<AttributeDef>): List<AnswerRow> {
    val byCode = definition.associateBy { it.code }
    return answers
        .filter { it.values.isNotEmpty() }
        .sortedBy { byCode[it.code]?.order ?: Long.MAX_VALUE }
        .map { a ->
            val def = byCode[a.code]
            val labels = a.values.map { v -> def?.values?.firstOrNull { it.key == v }?.name ?: v }
            AnswerRow(def?.description?.ifBlank { null } ?: a.code, labels, def?.datatype == uniffi.baladiya_core.Datatype.DATETIME)
        }
}
