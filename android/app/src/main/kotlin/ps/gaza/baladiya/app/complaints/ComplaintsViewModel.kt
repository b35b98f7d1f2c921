package ps.gaza.baladiya.app.complaints

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import ps.gaza.baladiya.app.BaladiyaApp
import ps.gaza.baladiya.app.ClientViewModel
import ps.gaza.baladiya.app.baladiyaApp
import ps.gaza.baladiya.app.sync.SyncScheduler
import uniffi.baladiya_ffi.AttributeAnswer
import uniffi.baladiya_ffi.AttributeDef
import uniffi.baladiya_ffi.BaladiyaEvent
import uniffi.baladiya_ffi.Complaint
import uniffi.baladiya_ffi.ComplaintCategory
import uniffi.baladiya_ffi.ComplaintDraft
import uniffi.baladiya_ffi.Contact
import uniffi.baladiya_ffi.GeoPoint

/**
 * The complaints tab: every complaint on the phone, newest first, kept current from the
 * library's events (sent, refused, answered, a background sync). The same job as BaladiyaKit's
 * ComplaintListModel on iOS.
 */
class ComplaintsViewModel(app: BaladiyaApp) : ClientViewModel(app) {
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

    /** Send what is queued, then bring the municipality's answers (the refresh button). */
    fun sendAndRefresh() {
        if (_sending.value) return
        _sending.value = true
        launchWithClient { c ->
            try {
                val flushed = c.flushComplaints()
                val waiting = flushed.retryLater
                _retryAt.value = waiting?.nextAttemptAt
                if (waiting != null) {
                    // The core chose when to try again; wake up then (with a network).
                    SyncScheduler.flushAt(app, waiting.nextAttemptAt)
                } else {
                    c.refreshComplaints()
                }
            } finally {
                _sending.value = false
                reload()
            }
        }
    }

    companion object {
        val Factory = viewModelFactory { initializer { ComplaintsViewModel(baladiyaApp) } }
    }
}

/**
 * The complaint form: a category and its attributes, a description, a location or an address,
 * up to three photos, contact or anonymous. Filing needs no network: the core checks the draft,
 * prepares the photos and writes the outbox, and the tracking number is shown at once. With a
 * `localId` argument the form edits a complaint still on the phone instead.
 */
class ComplaintFormViewModel(app: BaladiyaApp, handle: SavedStateHandle) : ClientViewModel(app) {
    private val editing: String? = handle["localId"]
    val isEditing: Boolean get() = editing != null

    class Photo(val bytes: ByteArray, val preview: Bitmap?)

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
    fun setFirstName(text: String) = _form.update { it.copy(firstName = text) }
    fun setLastName(text: String) = _form.update { it.copy(lastName = text) }
    fun setPhone(text: String) = _form.update { it.copy(phone = text) }
    fun setEmail(text: String) = _form.update { it.copy(email = text) }
    fun clearLocation() = _form.update { it.copy(location = null) }

    /** One fix from the fused provider; the screen asked for the permission first. */
    fun locate() {
        _form.update { it.copy(locating = true, locationFailed = false) }
        launchWithClient { _ ->
            val point = currentLocation(app)
            _form.update { it.copy(location = point ?: it.location, locating = false, locationFailed = point == null) }
        }
    }

    /** A photo from the system picker, read as bytes; the core downsizes and strips it. */
    fun addPhoto(uri: Uri) {
        if (_form.value.photos.size >= MAX_PHOTOS) return
        launchWithClient { _ ->
            val photo = withContext(Dispatchers.IO) {
                runCatching {
                    val bytes = app.contentResolver.openInputStream(uri)?.use { it.readBytes() }
                    bytes?.takeIf { it.size <= MAX_PHOTO_BYTES }?.let { Photo(it, preview(it)) }
                }.getOrNull()
            }
            _form.update {
                if (photo == null) it.copy(photoFailed = true)
                else it.copy(photos = (it.photos + photo).take(MAX_PHOTOS), photoFailed = false)
            }
        }
    }

    fun removePhoto(index: Int) = _form.update { it.copy(photos = it.photos.filterIndexed { i, _ -> i != index }) }

    fun submit() {
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
                    c.submitComplaint(draft, f.photos.map { it.bytes })
                }
                // Sent as soon as there is a network (now, if there is one).
                SyncScheduler.flushWhenOnline(app)
                _filed.value = tracking
            } finally {
                _form.update { it.copy(submitting = false) }
            }
        }
    }

    /** A small preview for the form (the full bytes go to the core untouched). */
    private fun preview(bytes: ByteArray): Bitmap? {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        BitmapFactory.decodeByteArray(bytes, 0, bytes.size, bounds)
        var sample = 1
        while (bounds.outWidth / (sample * 2) >= PREVIEW_PX && bounds.outHeight / (sample * 2) >= PREVIEW_PX) sample *= 2
        return BitmapFactory.decodeByteArray(bytes, 0, bytes.size, BitmapFactory.Options().apply { inSampleSize = sample })
    }

    companion object {
        const val MAX_PHOTOS = 3
        /** Beyond this a "photo" is not one a phone camera makes; refuse before holding it in memory twice. */
        private const val MAX_PHOTO_BYTES = 25 * 1024 * 1024
        private const val PREVIEW_PX = 160

        val Factory = viewModelFactory { initializer { ComplaintFormViewModel(baladiyaApp, createSavedStateHandle()) } }
    }
}

/** One complaint: its state, the municipality's status and history; cancel, resend or edit. */
class ComplaintDetailViewModel(app: BaladiyaApp, handle: SavedStateHandle) : ClientViewModel(app) {
    val localId: String = checkNotNull(handle["localId"])

    private val _complaint = MutableStateFlow<Complaint?>(null)
    val complaint: StateFlow<Complaint?> = _complaint.asStateFlow()

    private val _categoryName = MutableStateFlow<String?>(null)
    val categoryName: StateFlow<String?> = _categoryName.asStateFlow()

    init {
        load()
        onEvents { event ->
            val about = when (event) {
                is BaladiyaEvent.ComplaintSent -> event.localId
                is BaladiyaEvent.ComplaintNeedsAttention -> event.localId
                is BaladiyaEvent.ComplaintUpdated -> event.localId
                is BaladiyaEvent.SyncFinished -> localId
                else -> null
            }
            if (about == localId) load()
        }
    }

    fun load() = launchWithClient { c ->
        val complaint = c.complaint(localId)
        _complaint.value = complaint
        _categoryName.value = c.complaintCategories().firstOrNull { it.code == complaint.draft.serviceCode }?.name
    }

    fun cancel() = launchWithClient { c ->
        c.cancelComplaint(localId)
        load()
    }

    fun resend() = launchWithClient { c ->
        c.resendComplaint(localId)
        SyncScheduler.flushWhenOnline(app)
        load()
    }

    companion object {
        val Factory = viewModelFactory { initializer { ComplaintDetailViewModel(baladiyaApp, createSavedStateHandle()) } }
    }
}
