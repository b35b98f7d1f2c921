import Foundation

// The citizen-facing words of the app, in Arabic and English, in Swift rather than in
// Localizable.strings: (1) the kit's formatters and error wording need them, and the kit is
// tested on Linux, where Bundle localization of a package's .strings depends on the process's
// locale and cannot give both languages in one run; (2) the citizen switches the language inside
// the app (Settings), which a bundle fixed at launch cannot follow; (3) a missing translation is
// caught by the compiler (each entry is a triple) and by the tests (placeholders match, every key
// the app uses exists). Placeholders are `%@` (or `%1$@`, `%2$@`) and take text the kit has
// already formatted, so numbers always carry the language's digits.

extension Lang {
    /// The text of `key` in this language with `args` in its placeholders; the key itself when
    /// unknown (a test keeps the app's keys known).
    public func text(_ key: String, _ args: String...) -> String {
        text(key, args: args)
    }

    public func text(_ key: String, args: [String]) -> String {
        guard let entry = Texts.table[key] else { return key }
        return Texts.fill(self == .ar ? entry.ar : entry.en, args)
    }

    /// The plural form of `key` for `count` (Arabic has six: zero, one, two, few, many, other),
    /// with the count in this language's digits in its `%@`.
    public func plural(_ key: String, _ count: Int) -> String {
        guard let forms = Texts.plurals[key] else { return key }
        let form: String
        switch self {
        case .ar: form = forms.ar[Texts.arabicPluralIndex(count)]
        case .en: form = forms.en[count == 1 ? 0 : 1]
        }
        return Texts.fill(form, [Display(self).number(Int64(count))])
    }
}

struct PluralForms {
    /// zero, one, two, few, many, other (CLDR's Arabic categories).
    let ar: [String]
    /// one, other.
    let en: [String]
}

enum Texts {
    /// CLDR plural rules for Arabic: 0 zero, 1 one, 2 two, n % 100 in 3...10 few, in 11...99 many,
    /// else other (100, 101, 102, ...).
    static func arabicPluralIndex(_ n: Int) -> Int {
        let n = abs(n)
        switch n {
        case 0: return 0
        case 1: return 1
        case 2: return 2
        default:
            switch n % 100 {
            case 3...10: return 3
            case 11...99: return 4
            default: return 5
            }
        }
    }

    /// `%1$@`, `%2$@` by position, each bare `%@` in turn; in one pass over the format, so an
    /// argument that itself contains `%@` (a nickname, the server's text) is never filled again.
    static func fill(_ format: String, _ args: [String]) -> String {
        var out = ""
        var next = 0
        var rest = Substring(format)
        while let percent = rest.firstIndex(of: "%") {
            out += rest[..<percent]
            let after = rest[rest.index(after: percent)...]
            if after.hasPrefix("@") {
                out += next < args.count ? args[next] : "%@"
                next += 1
                rest = after.dropFirst()
            } else if let digit = after.first?.wholeNumberValue, after.dropFirst().hasPrefix("$@") {
                out += digit >= 1 && digit <= args.count ? args[digit - 1] : "%\(digit)$@"
                rest = after.dropFirst(3)
            } else {
                out += "%"
                rest = after
            }
        }
        return out + rest
    }

    static let table: [String: (ar: String, en: String)] = {
        var t: [String: (ar: String, en: String)] = [:]
        // The first entry of a key wins; a test fails on duplicates (no crash in the app).
        for (key, ar, en) in entries where t[key] == nil {
            t[key] = (ar, en)
        }
        return t
    }()

    // key, Arabic, English.
    static let entries: [(String, String, String)] = [
        ("tab.guide", "الدليل", "Guide"),
        ("tab.complaints", "الشكاوى", "Complaints"),
        ("tab.bills", "الفواتير", "Bills"),
        ("tab.news", "الأخبار", "News"),
        ("dismiss", "إغلاق", "Dismiss"),
        ("retry", "حاول مجددًا", "Try again"),
        ("keep", "إبقاء", "Keep"),
        ("ok", "حسنًا", "OK"),
        ("copy", "نسخ", "Copy"),
        ("amount.ils", "%@ شيكل", "ILS %@"),
        ("cubicMeters", "%@ م³", "%@ m³"),
        ("error.offline", "أنت غير متصل بالإنترنت. ما تراه محفوظ على هاتفك، وسيُحدَّث عند الاتصال.", "You are offline. What you see is saved on this phone; it will be brought up to date when you are connected."),
        ("error.network", "فشل الاتصال أو كان بطيئًا جدًا. حاول بعد قليل.", "The connection failed or was too slow. Try again in a moment."),
        ("error.server", "تعذّر على خادم البلدية الرد (%@). حاول لاحقًا.", "The municipality's server could not answer (%@). Try again later."),
        ("error.serverAnswer", "أرسل خادم البلدية ردًا لا يستطيع التطبيق قراءته. حاول لاحقًا.", "The municipality's server sent an answer the app cannot read. Try again later."),
        ("error.unauthorized", "رقم الحساب ورقم الهاتف غير متطابقين مع سجلاتنا.", "The account number and the phone number do not match our records."),
        ("error.notFound", "غير موجود، ربما أُزيل.", "Not found. It may have been removed."),
        ("error.storage", "تعذّر على التطبيق قراءة بياناته أو حفظها على الهاتف. أفرغ بعض المساحة وحاول مجددًا.", "The app could not read or write its data on this phone. Free some space and try again."),
        ("error.internal", "حدث خطأ في التطبيق. حاول مجددًا.", "Something went wrong in the app. Please try again."),
        ("error.generic", "حدث خطأ. حاول مجددًا.", "Something went wrong. Please try again."),
        ("invalid.account", "رقم الحساب ٨ أرقام، كما هو مطبوع على فاتورتك.", "An account number has 8 digits, as printed on your bill."),
        ("invalid.verification", "اكتب رقم الهاتف (أو رقم الهوية) المسجّل على الحساب.", "Type the phone number (or id number) registered on the account."),
        ("invalid.nickname", "أعطِ الحساب اسمًا قصيرًا، مثل: البيت أو المحل.", "Give the account a short name, such as Home or Shop."),
        ("invalid.category", "اختر موضوع الشكوى.", "Choose what the complaint is about."),
        ("invalid.description", "صف المشكلة ببضع كلمات.", "Describe the problem in a few words."),
        ("invalid.location", "أضف موقعك أو اكتب عنوانًا.", "Add your location or type an address."),
        ("invalid.locationOutside", "هذا الموقع خارج حدود البلدية.", "This location is outside the municipality's area."),
        ("invalid.phone", "رقم الهاتف من ٩ إلى ١٥ رقمًا.", "A phone number has 9 to 15 digits."),
        ("invalid.email", "هذا ليس عنوان بريد إلكتروني.", "This is not an email address."),
        ("invalid.photo", "لا يمكن استخدام هذه الصورة. جرّب صورة أخرى (٣ صور على الأكثر).", "This photo cannot be used. Try another one (at most 3)."),
        ("invalid.required", "مطلوب", "Required"),
        ("guide.title", "دليل الخدمات", "Services guide"),
        ("guide.refresh", "تحديث الدليل", "Update the guide"),
        ("guide.searchHint", "ابحث عن خدمة، مثل: رخصة بناء", "Search services, e.g. building permit"),
        ("guide.noResults", "لا نتائج لـ «%@».", "Nothing found for “%@”."),
        ("guide.notDownloaded", "لم يُنزَّل الدليل بعد. اتصل بالإنترنت مرة واحدة، وبعدها يعمل دون اتصال.", "The guide has not been downloaded yet. Connect to the internet once; after that it works offline."),
        ("guide.allCategories", "الكل", "All"),
        ("hit.violation", "مخالفة", "Violation"),
        ("service.department", "الدائرة: %@", "Department: %@"),
        ("service.steps", "الخطوات", "Steps"),
        ("service.documents", "الأوراق المطلوبة", "Required documents"),
        ("service.fees", "الرسوم", "Fees"),
        ("service.time", "مدة الإنجاز", "Processing time"),
        ("service.channels", "أين تقدّم الطلب", "Where to apply"),
        ("service.forms", "النماذج", "Forms"),
        ("service.faqs", "أسئلة المواطنين", "Citizens' questions"),
        ("service.updated", "آخر تحديث %@", "Last updated %@"),
        ("document.original", "أصل", "Original"),
        ("document.copy", "صورة", "Copy"),
        ("document.originalAndCopy", "أصل وصورة", "Original and a copy"),
        ("fee.free", "مجانًا", "Free"),
        ("fee.varies", "يختلف", "Varies"),
        ("channel.call", "اتصل على %@", "Call %@"),
        ("channel.whatsapp", "واتساب %@", "WhatsApp %@"),
        ("channel.web", "الموقع الإلكتروني", "Website"),
        ("violations.title", "المخالفات والغرامات", "Violations and fines"),
        ("violations.summary", "ما يُعدّ مخالفة، وقيمة الغرامة، والسند القانوني", "What is a violation, the fine, and the law behind it"),
        ("violation.fine", "الغرامة: %@", "Fine: %@"),
        ("fine.range", "من %1$@ إلى %2$@", "%1$@ to %2$@"),
        ("violation.legalBasis", "السند القانوني: %@", "Legal basis: %@"),
        ("complaints.title", "شكاواي", "My complaints"),
        ("complaints.new", "شكوى جديدة", "New complaint"),
        ("complaints.empty", "لم تقدّم أي شكوى أو اقتراح بعد.", "You have not filed a complaint or suggestion yet."),
        ("complaints.retryAt", "تعذّر الوصول إلى البلدية. سيحاول التطبيق مجددًا في %@.", "Could not reach the municipality. The app will try again at %@."),
        ("state.queued", "بانتظار الإرسال", "Waiting to send"),
        ("state.sent", "أُرسلت", "Sent"),
        ("state.needsAttention", "تحتاج إلى انتباهك", "Needs your attention"),
        ("state.cancelled", "سُحبت", "Cancelled"),
        ("status.open", "مفتوحة", "Open"),
        ("status.received", "استُلمت", "Received"),
        ("status.verified", "تم التحقق", "Verified"),
        ("status.routed", "حُوّلت إلى الدائرة المختصة", "Sent to the department"),
        ("status.in_progress", "قيد المعالجة", "In progress"),
        ("status.fixed", "عولجت", "Fixed"),
        ("status.rejected", "رُفضت", "Rejected"),
        ("status.duplicate", "مبلَّغ عنها سابقًا", "Already reported"),
        ("status.closed", "مغلقة", "Closed"),
        ("complaint.newTitle", "شكوى جديدة", "New complaint"),
        ("complaint.editTitle", "تعديل الشكوى", "Edit complaint"),
        ("complaint.category", "ما موضوعها؟", "What is it about?"),
        ("complaint.chooseCategory", "التصنيف", "Category"),
        ("complaint.categoriesMissing", "تُنزَّل قائمة التصنيفات مرة واحدة. اتصل بالإنترنت وحاول مجددًا.", "The list of categories is downloaded once. Connect to the internet and try again."),
        ("complaint.description", "صف المشكلة", "Describe the problem"),
        ("complaint.where", "أين؟", "Where?"),
        ("complaint.useLocation", "استخدم موقعي", "Use my location"),
        ("complaint.locationSet", "الموقع: %@", "Location: %@"),
        ("complaint.locationClear", "إزالة الموقع", "Remove the location"),
        ("complaint.locationFailed", "تعذّر تحديد موقعك. اكتب العنوان بدلًا من ذلك.", "Could not find your location. Type an address instead."),
        ("complaint.address", "العنوان أو معلم قريب", "Address or nearby landmark"),
        ("complaint.addressHint", "الشارع، الحي، بالقرب من…", "Street, neighbourhood, near…"),
        ("complaint.addressValue", "العنوان: %@", "Address: %@"),
        ("complaint.pickDate", "اختر التاريخ والوقت", "choose date and time"),
        ("complaint.photos", "الصور (حتى ٣)", "Photos (up to 3)"),
        ("complaint.addPhoto", "اختر صورًا", "Choose photos"),
        ("complaint.photoN", "الصورة %@", "Photo %@"),
        ("complaint.photosRemove", "إزالة الصور", "Remove the photos"),
        ("complaint.photoFailed", "تعذّرت قراءة إحدى الصور. جرّب صورة أخرى.", "A photo could not be read. Try another one."),
        ("store.repaired.title", "أُصلحت بيانات التطبيق", "The app's data was repaired"),
        ("store.repaired", "تلفت بيانات التطبيق على هذا الهاتف فأُعيد بناؤها. حُفظ ما يلي: الشكاوى التي لم تُرسَل بعد، %1$@؛ وحسابات الفواتير المحفوظة، %2$@. ويُنزَّل الدليل من جديد.", "The app's data on this phone was damaged and has been rebuilt. Kept: complaints not yet sent, %1$@; saved bill accounts, %2$@. The guide downloads again."),
        ("store.repaired.incomplete", "تعذّرت قراءة بعض البيانات القديمة.", "Some older data could not be read."),
        ("complaint.fullQuality", "صور بجودة كاملة", "Full-quality photos"),
        ("complaint.fullQualityHelp", "على الاتصال البطيء تُرسَل الصور بحجم أصغر. الجودة الكاملة تستهلك بيانات أكثر.", "On a slow connection photos are sent smaller. Full quality uses more data."),
        ("complaint.photosOnWifi", "أرسل الصور لاحقًا عبر الواي فاي", "Send photos later, on Wi-Fi"),
        ("complaint.photosOnWifiHelp", "تُرسَل الشكوى الآن، وتنتظر صورها شبكة واي فاي.", "The complaint goes now; its photos wait for a Wi-Fi network."),
        ("photos.sending", "جارٍ إرسال الصورة %1$@ من %2$@ — %3$@", "Sending photo %1$@ of %2$@ — %3$@"),
        ("photos.sendingWithComplaint", "جارٍ إرسال الشكوى مع صورها — %@", "Sending the complaint with its photos — %@"),
        ("photos.received", "الصور التي وصلت إلى البلدية: %1$@ من %2$@", "Photos received by the municipality: %1$@ of %2$@"),
        ("complaint.contact", "بياناتك", "Your details"),
        ("complaint.anonymous", "أرسل دون ذكر اسمي", "Send anonymously"),
        ("complaint.anonymousHelp", "دون ذكر الاسم: لن يخرج اسمك ولا رقم هاتفك من هاتفك. ويمكنك متابعة الشكوى من هنا.", "Anonymous: no name or phone number leaves your phone. You can still follow the complaint here."),
        ("complaint.firstName", "الاسم الأول", "First name"),
        ("complaint.lastName", "اسم العائلة", "Family name"),
        ("complaint.phone", "رقم الهاتف", "Phone number"),
        ("complaint.email", "البريد الإلكتروني (اختياري)", "Email (optional)"),
        ("complaint.submit", "قدّم الشكوى", "File the complaint"),
        ("complaint.save", "احفظ وأرسل مجددًا", "Save and send again"),
        ("complaint.filedTitle", "قُدّمت الشكوى", "Complaint filed"),
        ("complaint.savedTitle", "حُفظت الشكوى", "Complaint saved"),
        ("complaint.trackingNumber", "رقم المتابعة", "Tracking number"),
        ("complaint.filedBody", "حُفظت على هاتفك وستُرسَل فور توفر الاتصال. تابعها من قسم الشكاوى.", "It is saved on your phone and will be sent as soon as there is a connection. Follow it under Complaints."),
        ("complaint.title", "الشكوى", "Complaint"),
        ("complaint.refused", "لم تتمكن البلدية من قبول هذه الشكوى: %@", "The municipality could not accept this complaint: %@"),
        ("complaint.waiting", "بانتظار الاتصال لإرسالها.", "Waiting for a connection to send it."),
        ("complaint.waitingRetry", "لم تُرسَل بعد. المحاولة التالية: %@", "Not sent yet. Next try: %@"),
        ("complaint.edit", "تعديل", "Edit"),
        ("complaint.resend", "أرسل مجددًا", "Send again"),
        ("complaint.cancel", "سحب الشكوى", "Withdraw"),
        ("complaint.cancelConfirm", "هل تريد سحب هذه الشكوى؟", "Withdraw this complaint?"),
        ("complaint.details", "التفاصيل", "Details"),
        ("complaint.sentAnonymously", "قُدّمت دون ذكر الاسم", "Filed anonymously"),
        ("complaint.sentWithContact", "قُدّمت مع بيانات التواصل", "Filed with your contact details"),
        ("complaint.created", "قُدّمت %@", "Filed %@"),
        ("complaint.sentAt", "وصلت إلى البلدية %@", "Reached the municipality %@"),
        ("complaint.expected", "الموعد المتوقع للمعالجة: %@", "Expected to be dealt with by %@"),
        ("complaint.overdue", "تجاوزت موعدها المتوقع", "Past its expected date"),
        ("complaint.history", "ما قامت به البلدية", "What the municipality did"),
        // "This is my problem too" (issue 15.3): before filing, the same problem reported nearby.
        ("nearby.checking", "نبحث عن بلاغات قريبة عن المشكلة نفسها…", "Looking for reports of the same problem nearby…"),
        ("nearby.title", "مبلَّغ عنها بالقرب منك", "Already reported nearby"),
        ("nearby.intro", "بلّغ مواطنون عن مشكلة من النوع نفسه على بُعد أمتار من موقعك. إن كانت هي مشكلتك فتابِعها بدل تقديم شكوى جديدة، وسيصلك كل تحديث عليها.", "Citizens have reported a problem of the same kind a few metres from you. If it is yours, follow it instead of filing a new complaint; you will be told of every change."),
        ("nearby.request", "الطلب %@", "Request %@"),
        ("nearby.reported", "أُبلغ عنها %@", "Reported %@"),
        ("nearby.follow", "هذه مشكلتي أيضًا — تابِعها", "This is my problem too — follow it"),
        ("nearby.followLabel", "هذه مشكلتي أيضًا — تابِع الطلب %1$@، %2$@", "This is my problem too — follow request %1$@, %2$@"),
        ("nearby.sendMine", "لا، أرسل شكواي", "No, send mine"),
        ("nearby.sendMineLabel", "لا، ليست هي: أرسل شكواي الجديدة", "No, it is not the same: send my new complaint"),
        ("nearby.followedTitle", "أنت تتابع الطلب", "You are following it"),
        ("nearby.followedBody", "لم تُقدَّم شكوى جديدة. الطلب %@ في قائمة شكاواك، وسيصلك كل تحديث عليه، وتعرف البلدية أنك تتابعه.", "No new complaint was filed. Request %@ is in your list of complaints, you will be told of every change, and the municipality knows you follow it."),
        ("nearby.here", "في المكان نفسه", "At the same spot"),
        ("followers.none", "لا يتابعها أحد بعد", "No one follows it yet"),
        ("complaint.following", "متابَع", "Following"),
        ("complaint.requestNumber", "رقم الطلب لدى البلدية", "The municipality's request number"),
        ("complaint.followedNote", "قدّم هذا الطلبَ مواطنٌ آخر وأنت تتابعه: يصلك كل تحديث عليه. تقييم المعالجة وإعادة الفتح لمن قدّمه.", "Someone else reported this request and you follow it: you are told of every change. Rating the work and reopening it are for the one who reported it."),
        ("complaint.followedSince", "تتابعه منذ %@", "Following since %@"),
        ("feedback.title", "هل حُلّت المشكلة فعلاً؟", "Was the problem really solved?"),
        ("feedback.yes", "نعم، حُلّت", "Yes, solved"),
        ("feedback.no", "لا، لم تُحل", "No, not solved"),
        ("feedback.stars", "تقييمك للخدمة", "Your rating of the service"),
        ("feedback.star", "%@ من ٥ نجوم", "%@ of 5 stars"),
        ("feedback.comment", "ملاحظة (اختياري)", "Comment (optional)"),
        ("feedback.send", "أرسل التقييم", "Send feedback"),
        ("feedback.given", "تقييمك: %@، %@", "Your feedback: %@, %@"),
        ("feedback.givenYes", "حُلّت", "solved"),
        ("feedback.givenNo", "لم تُحل", "not solved"),
        ("followup.queued", "سيُرسَل فور توفر الاتصال", "will be sent as soon as there is a connection"),
        ("followup.sent", "وصل إلى البلدية", "received by the municipality"),
        ("followup.refused", "لم تقبله البلدية: %@", "not accepted by the municipality: %@"),
        ("reopen.title", "إعادة فتح الشكوى", "Reopen the complaint"),
        ("reopen.until", "يمكنك إعادة فتحها حتى %@", "You can reopen it until %@"),
        ("reopen.reason", "لماذا لم تُحل المشكلة؟", "Why is the problem not solved?"),
        ("reopen.send", "أعد فتح الشكوى", "Reopen"),
        ("reopen.asked", "طلبت إعادة فتحها: %@", "You asked to reopen it: %@"),
        ("bills.title", "فواتير المياه", "Water bills"),
        ("bills.saved", "الحسابات المحفوظة", "Saved accounts"),
        ("bills.savedCopy", "نسخة محفوظة من %@", "saved copy from %@"),
        ("bills.forget", "حذف", "Forget"),
        ("bills.forgetConfirm", "حذف الحساب %@ وفاتورته المحفوظة؟", "Forget account %@ and its saved bill?"),
        ("bills.lookup", "الاستعلام عن فاتورة", "Look up a bill"),
        ("bills.account", "رقم الحساب", "Account number"),
        ("bills.accountHelp", "رقم الحساب ٨ أرقام، مطبوعة على فاتورتك.", "The account number has 8 digits, printed on your bill."),
        ("bills.phone", "رقم الهاتف المسجّل على الحساب", "Phone number registered on the account"),
        ("bills.verificationHelp", "رقم الهاتف مطلوب في كل مرة، ولا يُحفظ على هذا الهاتف.", "The phone number is needed every time; it is not stored on this phone."),
        ("bills.show", "اعرض الفاتورة", "Show the bill"),
        ("bills.nickname", "اسم لحفظه", "Name to save it under"),
        ("bills.nicknameHint", "البيت، المحل، بيت الأهل…", "Home, shop, parents…"),
        ("bills.save", "احفظ هذا الحساب", "Save this account"),
        ("bill.stale", "أنت غير متصل. هذه النسخة المحفوظة بتاريخ %@؛ اتصل بالإنترنت لرؤية أحدث فاتورة.", "You are offline. This is the copy saved on %@; connect to see the latest bill."),
        ("bill.fetched", "حُدّثت %@", "Updated %@"),
        ("bill.savedFetched", "حُفظت على هذا الهاتف. حُدّثت %@", "Saved on this phone. Updated %@"),
        ("bill.account", "الحساب %@", "Account %@"),
        ("bill.type.household", "منزلي", "Household"),
        ("bill.type.commercial", "تجاري", "Commercial"),
        ("bill.totalDue", "المبلغ المستحق", "Total due"),
        ("bill.arrears", "يشمل متأخرات بقيمة %@", "Including arrears of %@"),
        ("bill.dueDate", "يُدفع قبل %@", "Pay by %@"),
        ("bill.current", "فاتورة %@", "Bill for %@"),
        ("bill.issued", "صدرت %@", "Issued %@"),
        ("bill.meter", "قراءة العداد: من %1$@ إلى %2$@", "Meter reading: %1$@ to %2$@"),
        ("bill.consumption", "الاستهلاك: %@", "Consumption: %@"),
        ("bill.lineDetail", "%1$@ × %2$@", "%1$@ × %2$@"),
        ("bill.total", "المجموع", "Total"),
        ("bill.paid", "المدفوع", "Paid"),
        ("bill.status.paid", "مدفوعة", "Paid"),
        ("bill.status.partlyPaid", "مدفوعة جزئيًا", "Partly paid"),
        ("bill.status.unpaid", "غير مدفوعة", "Unpaid"),
        ("bill.history", "آخر ٢٤ شهرًا", "Last 24 months"),
        ("bill.payments", "الدفعات", "Payments"),
        ("bill.howToPay", "طرق الدفع", "How to pay"),
        ("news.title", "الأخبار", "News"),
        ("news.markAllRead", "تعليم الكل كمقروء", "Mark all as read"),
        ("news.unreadOnly", "غير المقروءة فقط", "Unread only"),
        ("news.unread", "غير مقروء", "Unread"),
        ("news.important", "مهم", "Important"),
        ("news.empty", "لا أخبار بعد.", "No news yet."),
        ("news.gone", "لم يعد هذا الخبر منشورًا.", "This item is no longer published."),
        ("news.openImage", "افتح الصورة (تستهلك بيانات)", "Open the picture (uses data)"),
        ("news.category.announcement", "إعلان", "Announcement"),
        ("news.category.water", "جدول المياه", "Water schedule"),
        ("news.category.interruption", "انقطاع خدمة", "Service interruption"),
        ("news.category.project", "مشروع", "Project"),
        ("news.category.event", "فعالية", "Event"),
        ("notify.complaint.update", "تحديث على الشكوى %@", "Update on complaint %@"),
        ("notify.complaint.status", "الشكوى %1$@: %2$@", "Complaint %1$@: %2$@"),
        ("notify.followed.update", "تحديث على الطلب %@ الذي تتابعه", "Update on request %@, which you follow"),
        ("notify.followed.status", "الطلب %1$@ الذي تتابعه: %2$@", "Request %1$@, which you follow: %2$@"),
        ("notify.complaint.refused", "الشكوى %@ تحتاج إلى انتباهك", "Complaint %@ needs your attention"),
        ("notify.importantNews", "خبر مهم من البلدية", "Important news from the municipality"),
        // Validation reasons, worded per field or per kind of problem (never the library's text).
        ("invalid.choice", "اختر من الخيارات المعروضة.", "Choose one of the options shown."),
        ("invalid.number", "اكتب رقمًا.", "Type a number."),
        ("invalid.datetime", "اختر التاريخ والوقت.", "Choose a date and time."),
        ("invalid.tooLong", "النص أطول من المسموح.", "This is longer than allowed."),
        ("invalid.check", "راجع هذه الإجابة.", "Check this answer."),
        ("invalid.localId", "لم يعد ممكنًا تغيير هذه الشكوى، فقد أُرسلت إلى البلدية.", "This complaint can no longer be changed: it has been sent to the municipality."),
        // Byte counts (Settings › data used).
        ("bytes.b", "%@ بايت", "%@ B"),
        ("bytes.kb", "%@ كيلوبايت", "%@ KB"),
        ("bytes.mb", "%@ ميغابايت", "%@ MB"),
        ("bytes.gb", "%@ غيغابايت", "%@ GB"),
        ("complaint.answers", "إجاباتك", "Your answers"),
        ("tab.settings", "الإعدادات", "Settings"),
        ("app.name", "بلدية", "Baladiya"),
        ("settings.title", "الإعدادات", "Settings"),
        ("settings.language", "اللغة", "Language"),
        ("settings.language.system", "لغة الهاتف", "The phone's language"),
        // Each language named in itself, as pickers of languages do.
        ("settings.language.ar", "العربية", "العربية"),
        ("settings.language.en", "English", "English"),
        ("settings.notifications", "الإشعارات", "Notifications"),
        ("settings.notify.complaints", "تحديثات شكاواي وردود البلدية", "Updates and replies on my complaints"),
        ("settings.notify.news", "الأخبار المهمة", "Important news"),
        ("settings.data", "البيانات المستهلكة", "Data used"),
        ("settings.dataHelp", "ما أرسله التطبيق واستقبله عبر الإنترنت، لكل قسم، منذ تثبيته وفي هذا الشهر.", "What the app has sent and received over the internet, per section, since it was installed and this month."),
        ("settings.data.guide", "دليل الخدمات", "Services guide"),
        ("settings.data.complaints", "الشكاوى", "Complaints"),
        ("settings.data.bills", "الفواتير", "Bills"),
        ("settings.data.news", "الأخبار", "News"),
        ("settings.data.row", "أُرسل %1$@ واستُقبل %2$@", "%1$@ sent, %2$@ received"),
        ("settings.data.total", "المجموع", "Total"),
        ("settings.data.month", "هذا الشهر: %@", "This month: %@"),
        ("settings.bills", "الفواتير المحفوظة", "Saved bills"),
        ("settings.bills.clear", "احذف الفواتير المحفوظة", "Clear saved bills"),
        ("settings.bills.clearConfirm", "حذف كل الحسابات المحفوظة وفواتيرها من هذا الهاتف؟", "Remove every saved account and its bill from this phone?"),
        ("settings.bills.cleared", "حُذفت الفواتير المحفوظة من هذا الهاتف.", "The saved bills were removed from this phone."),
        ("settings.version", "الإصدار", "Version"),
        ("settings.versionValue", "%1$@ (بناء %2$@)", "%1$@ (build %2$@)"),
    ]

    static let plurals: [String: PluralForms] = [
        "complaints.count": PluralForms(
            ar: ["لا شكاوى", "شكوى واحدة", "شكويان", "%@ شكاوى", "%@ شكوى", "%@ شكوى"],
            en: ["%@ complaint", "%@ complaints"]),
        "complaints.queued": PluralForms(
            ar: ["لا شكاوى بانتظار الإرسال.", "شكوى واحدة بانتظار الإرسال، وتُرسَل فور توفر الاتصال.", "شكويان بانتظار الإرسال، وتُرسَلان فور توفر الاتصال.", "%@ شكاوى بانتظار الإرسال، وتُرسَل فور توفر الاتصال.", "%@ شكوى بانتظار الإرسال، وتُرسَل فور توفر الاتصال.", "%@ شكوى بانتظار الإرسال، وتُرسَل فور توفر الاتصال."],
            en: ["%@ complaint is waiting to be sent; it leaves as soon as there is a connection.", "%@ complaints are waiting to be sent; they leave as soon as there is a connection."]),
        "photos.attached": PluralForms(
            ar: ["لا صور مرفقة", "صورة واحدة مرفقة", "صورتان مرفقتان", "%@ صور مرفقة", "%@ صورة مرفقة", "%@ صورة مرفقة"],
            en: ["%@ photo attached", "%@ photos attached"]),
        "photos.waitingForWifi": PluralForms(
            ar: ["لا صور بانتظار شبكة واي فاي", "صورة واحدة بانتظار شبكة واي فاي", "صورتان بانتظار شبكة واي فاي", "%@ صور بانتظار شبكة واي فاي", "%@ صورة بانتظار شبكة واي فاي", "%@ صورة بانتظار شبكة واي فاي"],
            en: ["%@ photo waiting for Wi-Fi", "%@ photos waiting for Wi-Fi"]),
        "photos.stillToSend": PluralForms(
            ar: ["لا صور بانتظار الإرسال.", "صورة واحدة لم تُرسَل بعد، وتُرسَل مع الاتصال التالي.", "صورتان لم تُرسَلا بعد، وتُرسَلان مع الاتصال التالي.", "%@ صور لم تُرسَل بعد، وتُرسَل مع الاتصال التالي.", "%@ صورة لم تُرسَل بعد، وتُرسَل مع الاتصال التالي.", "%@ صورة لم تُرسَل بعد، وتُرسَل مع الاتصال التالي."],
            en: ["%@ photo still to send; it goes with the next connection.", "%@ photos still to send; they go with the next connection."]),
        "photos.refused": PluralForms(
            ar: ["قبلت البلدية كل الصور.", "تعذّر على البلدية قبول صورة واحدة.", "تعذّر على البلدية قبول صورتين.", "تعذّر على البلدية قبول %@ صور.", "تعذّر على البلدية قبول %@ صورة.", "تعذّر على البلدية قبول %@ صورة."],
            en: ["The municipality could not accept %@ photo.", "The municipality could not accept %@ photos."]),
        "news.unread.count": PluralForms(
            ar: ["لا أخبار غير مقروءة", "خبر واحد غير مقروء", "خبران غير مقروءين", "%@ أخبار غير مقروءة", "%@ خبرًا غير مقروء", "%@ خبر غير مقروء"],
            en: ["%@ unread item", "%@ unread items"]),
        "error.throttled.minutes": PluralForms(
            ar: ["محاولات كثيرة. حاول مجددًا بعد قليل.", "محاولات كثيرة. حاول مجددًا بعد دقيقة واحدة.", "محاولات كثيرة. حاول مجددًا بعد دقيقتين.", "محاولات كثيرة. حاول مجددًا بعد %@ دقائق.", "محاولات كثيرة. حاول مجددًا بعد %@ دقيقة.", "محاولات كثيرة. حاول مجددًا بعد %@ دقيقة."],
            en: ["Too many attempts. Try again in %@ minute.", "Too many attempts. Try again in %@ minutes."]),
        "form.problems": PluralForms(
            ar: ["راجع الحقول المعلَّمة بالأحمر.", "حقل واحد يحتاج إلى تصحيح، وهو معلَّم بالأحمر.", "حقلان يحتاجان إلى تصحيح، وهما معلَّمان بالأحمر.", "%@ حقول تحتاج إلى تصحيح، وهي معلَّمة بالأحمر.", "%@ حقلًا تحتاج إلى تصحيح، وهي معلَّمة بالأحمر.", "%@ حقل تحتاج إلى تصحيح، وهي معلَّمة بالأحمر."],
            en: ["%@ field needs fixing; it is marked in red.", "%@ fields need fixing; they are marked in red."]),
        // A category's service level before filing (issue 15.4), in days or in hours.
        "form.category.withinDays": PluralForms(
            ar: ["نعمل على معالجة البلاغ خلال %@ يوم", "نعمل على معالجة البلاغ خلال يوم واحد", "نعمل على معالجة البلاغ خلال يومين", "نعمل على معالجة البلاغ خلال %@ أيام", "نعمل على معالجة البلاغ خلال %@ يومًا", "نعمل على معالجة البلاغ خلال %@ يوم"],
            en: ["We aim to deal with it within %@ day", "We aim to deal with it within %@ days"]),
        "form.category.withinHours": PluralForms(
            ar: ["نعمل على معالجة البلاغ خلال %@ ساعة", "نعمل على معالجة البلاغ خلال ساعة واحدة", "نعمل على معالجة البلاغ خلال ساعتين", "نعمل على معالجة البلاغ خلال %@ ساعات", "نعمل على معالجة البلاغ خلال %@ ساعة", "نعمل على معالجة البلاغ خلال %@ ساعة"],
            en: ["We aim to deal with it within %@ hour", "We aim to deal with it within %@ hours"]),
        // How far a request reported nearby is (issue 15.3); 0 is "nearby.here" in both languages.
        "nearby.distance": PluralForms(
            ar: ["في المكان نفسه", "على بُعد متر واحد", "على بُعد مترين", "على بُعد %@ أمتار", "على بُعد %@ مترًا", "على بُعد %@ متر"],
            en: ["%@ metre away", "%@ metres away"]),
        // How many citizens follow a request; 0 is "followers.none" in both languages.
        "followers.count": PluralForms(
            ar: ["لا يتابعها أحد بعد", "يتابعها مواطن واحد", "يتابعها مواطنان", "يتابعها %@ مواطنين", "يتابعها %@ مواطنًا", "يتابعها %@ مواطن"],
            en: ["%@ citizen follows this", "%@ citizens follow this"]),
        "settings.bills.count": PluralForms(
            ar: ["لا حسابات محفوظة", "حساب واحد محفوظ", "حسابان محفوظان", "%@ حسابات محفوظة", "%@ حسابًا محفوظًا", "%@ حساب محفوظ"],
            en: ["%@ saved account", "%@ saved accounts"]),
    ]
}
