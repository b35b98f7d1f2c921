package ps.gaza.baladiya.ui.text

import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text

/**
 * Every text the screens show, in one language. Kept in Kotlin rather than Android resources so
 * that the same screens render on a phone and in the JVM tests from one source: the Arabic and
 * English objects below are the translations (converted once from the former `strings.xml`).
 * Counts use CLDR plural categories, six in Arabic ([Plural]); numbers inside texts are written
 * in the language's digits ([Digits]).
 */
sealed class Strings(val language: String) {
    /** CLDR plural category of [n] in this language. */
    protected abstract fun plural(n: Int): Plural

    /** A whole number in this language's digits. */
    protected fun num(n: Int): String = Digits.number(n.toLong(), language)

    abstract val switchLanguage: String
    abstract val tabGuide: String
    abstract val tabComplaints: String
    abstract val tabBills: String
    abstract val tabNews: String
    abstract val back: String
    abstract val clear: String
    abstract val dismiss: String
    abstract val retry: String
    abstract val cancel: String
    abstract val keep: String
    abstract val ok: String
    abstract val copy: String
    abstract val noAppForLink: String
    abstract fun amountIls(a1: String): String
    abstract fun cubicMeters(a1: String): String
    abstract val errorOffline: String
    abstract val errorNetwork: String
    abstract fun errorServer(a1: Int): String
    abstract val errorServerAnswer: String
    abstract val errorUnauthorized: String
    abstract val errorNotFound: String
    abstract val errorStorage: String
    abstract val errorInternal: String
    abstract val errorGeneric: String
    abstract fun errorThrottledMinutes(n: Int): String
    abstract val invalidAccount: String
    abstract val invalidVerification: String
    abstract val invalidNickname: String
    abstract val invalidCategory: String
    abstract val invalidDescription: String
    abstract val invalidLocation: String
    abstract val invalidLocationOutside: String
    abstract val invalidPhone: String
    abstract val invalidEmail: String
    abstract val invalidPhoto: String
    abstract val invalidRequired: String
    abstract val guideTitle: String
    abstract val guideRefresh: String
    abstract val guideSearchHint: String
    abstract fun guideNoResults(a1: String): String
    abstract val guideNotDownloaded: String
    abstract val guideAllCategories: String
    abstract val hitViolation: String
    abstract fun serviceDepartment(a1: String): String
    abstract val serviceSteps: String
    abstract val serviceDocuments: String
    abstract val serviceFees: String
    abstract val serviceTime: String
    abstract val serviceChannels: String
    abstract val serviceForms: String
    abstract val serviceFaqs: String
    abstract fun serviceUpdated(a1: String): String
    abstract val documentOriginal: String
    abstract val documentCopy: String
    abstract val documentOriginalAndCopy: String
    abstract val feeFree: String
    abstract val feeVaries: String
    abstract fun channelCall(a1: String): String
    abstract fun channelWhatsapp(a1: String): String
    abstract val channelWeb: String
    abstract val violationsTitle: String
    abstract val violationsSummary: String
    abstract fun violationFine(a1: String): String
    abstract fun fineRange(a1: String, a2: String): String
    abstract fun violationLegalBasis(a1: String): String
    abstract val complaintsTitle: String
    abstract val complaintsRefresh: String
    abstract val complaintsNew: String
    abstract val complaintsEmpty: String
    abstract fun complaintsRetryAt(a1: String): String
    abstract fun complaintsCount(n: Int): String
    abstract fun complaintsQueued(n: Int): String
    abstract fun photosAttached(n: Int): String
    abstract val stateQueued: String
    abstract val stateSent: String
    abstract val stateNeedsAttention: String
    abstract val stateCancelled: String
    abstract val statusOpen: String
    abstract val statusReceived: String
    abstract val statusVerified: String
    abstract val statusRouted: String
    abstract val statusInProgress: String
    abstract val statusFixed: String
    abstract val statusRejected: String
    abstract val statusDuplicate: String
    abstract val statusClosed: String
    abstract val complaintNewTitle: String
    abstract val complaintEditTitle: String
    abstract val complaintCategory: String
    abstract val complaintChooseCategory: String
    abstract val complaintCategoriesMissing: String
    /**
     * The chosen category's service level, before filing (issue 15.4): "within 3 days" when
     * [hours] is whole days, else hours.
     */
    abstract fun complaintCategoryWithin(hours: Int): String
    abstract val complaintDescription: String
    abstract val complaintWhere: String
    abstract val complaintUseLocation: String
    abstract fun complaintLocationSet(a1: String): String
    abstract val complaintLocationClear: String
    abstract val complaintLocationFailed: String
    abstract val complaintAddress: String
    abstract val complaintAddressHint: String
    abstract fun complaintAddressValue(a1: String): String
    abstract val complaintPickDate: String
    abstract val complaintPhotos: String
    abstract val complaintAddPhoto: String
    abstract fun complaintPhotoN(a1: Int): String
    abstract val complaintPhotoRemove: String
    abstract val complaintPhotoFailed: String
    abstract val storeRepairedTitle: String
    /** The database was rebuilt: [unsent] complaints not yet sent and [bills] saved accounts kept. */
    abstract fun storeRepaired(unsent: Int, bills: Int, complete: Boolean): String
    abstract val complaintFullQuality: String
    abstract val complaintFullQualityHelp: String
    abstract val complaintPhotosOnWifi: String
    abstract val complaintPhotosOnWifiHelp: String
    /** "Sending photo 2 of 3 — 40%": [percent] of photo [index]. */
    abstract fun sendingPhoto(index: Int, count: Int, percent: Int): String
    /** A server without resumable uploads takes the complaint and its photos in one request. */
    abstract fun sendingComplaintWithPhotos(percent: Int): String
    /** [n] photos of a sent complaint wait for a network that is not metered. */
    abstract fun photosWaitingForWifi(n: Int): String
    /** [n] photos of a sent complaint still to send (on the next attempt). */
    abstract fun photosStillToSend(n: Int): String
    abstract fun photosReceived(received: Int, total: Int): String
    abstract fun photosRefused(n: Int): String
    abstract val complaintContact: String
    abstract val complaintAnonymous: String
    abstract val complaintAnonymousHelp: String
    abstract val complaintFirstName: String
    abstract val complaintLastName: String
    abstract val complaintPhone: String
    abstract val complaintEmail: String
    abstract val complaintSubmit: String
    abstract val complaintSave: String
    abstract val complaintFiledTitle: String
    abstract val complaintSavedTitle: String
    abstract val complaintTrackingNumber: String
    abstract val complaintFiledBody: String
    abstract val complaintTitle: String
    abstract fun complaintRefused(a1: String): String
    abstract val complaintWaiting: String
    abstract fun complaintWaitingRetry(a1: String): String
    abstract val complaintEdit: String
    abstract val complaintResend: String
    abstract val complaintCancel: String
    abstract val complaintCancelConfirm: String
    abstract val complaintDetails: String
    abstract val complaintSentAnonymously: String
    abstract val complaintSentWithContact: String
    abstract fun complaintCreated(a1: String): String
    abstract fun complaintSentAt(a1: String): String
    abstract fun complaintExpected(a1: String): String
    abstract val complaintOverdue: String
    abstract val complaintHistory: String
    // "This is my problem too" (issue 15.3): requests already reported near the complaint's point.
    abstract val nearbyTitle: String
    abstract val nearbyIntro: String
    /** [metres] from the complaint's point, in whole metres. */
    abstract fun nearbyDistance(metres: Int): String
    /** [n] citizens already follow the request. */
    abstract fun nearbyFollowers(n: Int): String
    abstract fun nearbyRequestNumber(a1: String): String
    abstract val nearbyFollow: String
    /** The follow button as a screen reader says it: which request ([what], [distance]). */
    abstract fun nearbyFollowLabel(what: String, distance: String): String
    abstract val nearbySendMine: String
    abstract val nearbySendMineHelp: String
    /** A followed request in the list: the mark, and the count with it. */
    abstract val complaintFollowing: String
    abstract val complaintFollowedNote: String
    abstract val complaintRequestNumber: String
    // Resolution feedback and reopening after a complaint is closed (issue 15.2).
    abstract val feedbackTitle: String
    abstract val feedbackYes: String
    abstract val feedbackNo: String
    abstract val feedbackStars: String
    abstract fun feedbackStar(n: Int): String
    abstract val feedbackComment: String
    abstract val feedbackSend: String
    abstract fun feedbackGiven(resolved: Boolean, stars: Int): String
    abstract val followUpQueued: String
    abstract val followUpSent: String
    abstract fun followUpRefused(a1: String): String
    abstract val reopenTitle: String
    abstract fun reopenUntil(a1: String): String
    abstract val reopenReason: String
    abstract val reopenSend: String
    abstract fun reopenAsked(a1: String): String
    abstract val billsTitle: String
    abstract val billsSaved: String
    abstract fun billsSavedCopy(a1: String): String
    abstract val billsForget: String
    abstract fun billsForgetConfirm(a1: String): String
    abstract val billsLookup: String
    abstract val billsAccount: String
    abstract val billsAccountHelp: String
    abstract val billsPhone: String
    abstract val billsVerificationHelp: String
    abstract val billsShow: String
    abstract val billsNickname: String
    abstract val billsNicknameHint: String
    abstract val billsSave: String
    abstract fun billStale(a1: String): String
    abstract fun billFetched(a1: String): String
    abstract fun billSavedFetched(a1: String): String
    abstract fun billAccount(a1: String): String
    abstract val billTypeHousehold: String
    abstract val billTypeCommercial: String
    abstract val billTotalDue: String
    abstract fun billArrears(a1: String): String
    abstract fun billDueDate(a1: String): String
    abstract fun billCurrent(a1: String): String
    abstract fun billIssued(a1: String): String
    abstract fun billMeter(a1: String, a2: String): String
    abstract fun billConsumption(a1: String): String
    abstract fun billLineDetail(a1: String, a2: String): String
    abstract val billTotal: String
    abstract val billPaid: String
    abstract val billStatusPaid: String
    abstract val billStatusPartlyPaid: String
    abstract val billStatusUnpaid: String
    abstract val billHistory: String
    abstract val billPayments: String
    abstract val billHowToPay: String
    abstract val newsTitle: String
    abstract val newsRefresh: String
    abstract val newsMarkAllRead: String
    abstract val newsUnreadOnly: String
    abstract val newsUnread: String
    abstract val newsImportant: String
    abstract val newsEmpty: String
    abstract val newsGone: String
    abstract val newsOpenImage: String
    abstract val newsCategoryAnnouncement: String
    abstract val newsCategoryWater: String
    abstract val newsCategoryInterruption: String
    abstract val newsCategoryProject: String
    abstract val newsCategoryEvent: String
    abstract fun unreadNews(n: Int): String
    abstract fun notifyComplaintUpdate(a1: String): String
    abstract fun notifyComplaintStatus(a1: String, a2: String): String
    abstract fun notifyComplaintRefused(a1: String): String
    abstract val notifyImportantNews: String

    abstract val tabSettings: String
    abstract val settingsTitle: String
    abstract val settingsLanguage: String
    abstract val settingsLanguageSystem: String
    abstract val settingsNotifications: String
    abstract val settingsNotifyComplaints: String
    abstract val settingsNotifyNews: String
    abstract val settingsDataUsed: String
    abstract val settingsDataTotal: String
    abstract val settingsDataThisMonth: String
    abstract val settingsDataSinceInstalled: String
    abstract val settingsSavedBills: String
    abstract val settingsSavedBillsCleared: String
    abstract val settingsClearSavedBills: String
    abstract val settingsClearSavedBillsConfirm: String
    abstract val settingsAbout: String
    abstract fun settingsVersion(a1: String): String
    abstract val featureGuide: String
    abstract val featureComplaints: String
    abstract val featureBills: String
    abstract val featureNews: String
    abstract val choosePlaceholder: String
    abstract val complaintAnswers: String
    abstract fun settingsSavedBillsCount(n: Int): String
    abstract fun complaintProblems(n: Int): String

    /** A feature's name as the data-usage table shows it ("guide", "complaints", "bills", "news"). */
    fun featureName(feature: String): String = when (feature) {
        "guide" -> featureGuide
        "complaints" -> featureComplaints
        "bills" -> featureBills
        "news" -> featureNews
        else -> feature
    }
}
