import Foundation

/// The complaint form's state: the category and its questions, the answers, description, address,
/// contact or anonymous, and — after a refused tap on "file" — every field's problem at once, the
/// first field to bring into view and focus, and a banner to show by the button the citizen just
/// tapped (a field's message alone may be far above, out of sight). The view supplies what only
/// the platform has (the location fix, the photos) and binds the rest.
///
/// Before a new complaint with a location is filed, the open requests of its category reported
/// within 50 m are looked for (issue 15.3, "this is my problem too"): those not already on this
/// phone are offered in `nearby`, to `follow(_:)` one instead or `sendMine()`; when the step is
/// skipped (no location, offline, another city's server) or finds nothing new, the complaint is
/// filed at once.
///
/// With `editing`, the form changes a complaint still on the phone.
@MainActor
public final class ComplaintFormModel: ViewModel {
    public let editing: String?
    public private(set) var categories: [ComplaintCategory] = []
    public private(set) var loadingCategories = false
    /// The chosen category; set it through `choose(_:)`.
    public private(set) var code: String?
    /// The category's questions and notes, in their order.
    public private(set) var attributes: [AttributeDef] = []
    /// The chosen category as the core cached it.
    public var category: ComplaintCategory? { code.flatMap { c in categories.first { $0.code == c } } }
    /// Before filing, within what time the municipality aims to deal with the chosen category
    /// ("نعمل على معالجة البلاغ خلال ٣ أيام" / "We aim to deal with it within 3 days"; issue
    /// 15.4). Nil when its server does not say (other cities' servers).
    public var expectedTimeText: String? { category.flatMap(expectedTimeText(of:)) }

    /// A category's time as the category list shows it while choosing; nil when not known.
    public func expectedTimeText(of category: ComplaintCategory) -> String? {
        category.expectedHours.map { client.display.categoryWithin(hours: $0) }
    }
    public var answers: [String: [String]] = [:] {
        willSet { willChange() }
        didSet {
            for code in Set(answers.keys).union(oldValue.keys) where answers[code] != oldValue[code] {
                resolved("attribute[\(code)]")
            }
        }
    }
    public var details = "" { willSet { willChange() } didSet { resolved("description") } }
    public var address = "" { willSet { willChange() } didSet { resolved("location") } }
    public var location: GeoPoint? { willSet { willChange() } didSet { resolved("location") } }
    /// Photo bytes the core reads (JPEG or PNG), at most 3; not changed by an edit.
    public var photos: [Data] = [] { willSet { willChange() } }
    /// Full-size photos even on a slow link (more data); off, the core sizes them to the link.
    public var fullQuality = false { willSet { willChange() } }
    /// "Send photos later, on Wi-Fi": the complaint goes now, its photos on a network that is not
    /// metered (the app reports it with `BaladiyaClient.setMetered`).
    public var photosOnWifi = false { willSet { willChange() } }
    /// The photo choices are offered with photos only (and not when editing: photos stay as filed).
    public var offersPhotoChoices: Bool { editing == nil && !photos.isEmpty }
    public var anonymous = false { willSet { willChange() } }
    public var firstName = "" { willSet { willChange() } }
    public var lastName = "" { willSet { willChange() } }
    public var phone = "" { willSet { willChange() } didSet { resolved("contact.phone") } }
    public var email = "" { willSet { willChange() } didSet { resolved("contact.email") } }
    public private(set) var submitting = false
    /// Every problem of the last refused attempt, in the form's order.
    public private(set) var issues: [ValidationIssue] = []
    /// The field to scroll to and focus after a refused attempt (`fieldID`s: `service_code`,
    /// `attribute[code]`, `description`, `location`, `photos`, `contact.phone`, `contact.email`).
    public private(set) var focusField: String?
    /// What to show by the submit button (and at the top) when the attempt failed: how many
    /// fields need fixing, or what went wrong. Nil otherwise.
    public private(set) var bannerText: String?
    /// Counts refused attempts, so a view scrolls to `focusField` again even when it is the same
    /// field as last time.
    public private(set) var refusals = 0
    /// The tracking number once filed (or the edited complaint's).
    public private(set) var filed: String?
    /// While the requests reported nearby are looked for (a spinner by the button).
    public private(set) var checkingNearby = false
    /// The open requests of the same category reported near the complaint's point and not on this
    /// phone yet, nearest first, offered before filing; empty when there is nothing to offer.
    public private(set) var nearby: [NearbyOffer] = []
    /// Why the last nearby step was skipped (nil when it ran, or was not needed).
    public private(set) var nearbySkipped: NearbySkip?
    /// The local id of the request just followed instead of filing: the app says so and goes back
    /// to the list, where it now is.
    public private(set) var following: String?
    /// The municipality's number of the request just followed, for the confirmation.
    public private(set) var followingNumber: String?

    private let client: BaladiyaClient
    private var keepAnswersFor: String?
    /// The category and point the citizen was shown requests nearby for and chose to send their
    /// own: not asked again unless either changes.
    private var declinedNearby: (code: String, lat: Double, long: Double)?
    /// The banner counts the fields to fix (and so follows them as they are fixed).
    private var bannerCounts = false

    public init(client: BaladiyaClient, editing: String? = nil) {
        self.client = client
        self.editing = editing
    }

    /// The order fields appear in, for "the first field" of several problems.
    public var fieldOrder: [String] {
        ["service_code"] + attributes.map { "attribute[\($0.code)]" }
            + ["description", "location", "photo", "photos", "contact.first_name", "contact.last_name", "contact.phone", "contact.email"]
    }

    /// The message under `field`, or nil.
    public func errorText(for field: String) -> String? {
        guard let issue = issues.first(where: { $0.field == field }) else { return nil }
        return client.display.validationText(field: issue.field, reason: issue.reason)
    }

    /// How a question's input is laid out (left to right for numbers and identifiers).
    public func kind(of def: AttributeDef) -> FieldKind { FieldKind.of(def) }

    // MARK: Loading

    /// The categories from the phone, fetched first when there are none (or on `refresh`); then,
    /// when editing, the complaint's draft.
    public func load(refresh: Bool = false) async {
        do {
            var found = try await client.complaintCategories()
            if found.isEmpty || refresh {
                update { self.loadingCategories = true }
                defer { update { self.loadingCategories = false } }
                _ = try await client.refreshComplaintCategories()
                found = try await client.complaintCategories()
            }
            update { self.categories = found.sorted { $0.group < $1.group } }
            if let editing, code == nil {
                let draft = try await client.complaint(localId: editing).draft
                keepAnswersFor = draft.serviceCode
                await choose(draft.serviceCode)
                update {
                    self.answers = Dictionary(draft.attributes.map { ($0.code, $0.values) }, uniquingKeysWith: { first, _ in first })
                    self.details = draft.description
                    self.address = draft.address ?? ""
                    self.location = draft.location
                    self.anonymous = draft.contact == nil
                    self.firstName = draft.contact?.firstName ?? ""
                    self.lastName = draft.contact?.lastName ?? ""
                    self.phone = draft.contact?.phone ?? ""
                    self.email = draft.contact?.email ?? ""
                }
            }
        } catch {
            fail(error)
        }
    }

    /// Choose a category: its questions replace the previous one's, and so do the answers
    /// (except the edited complaint's own).
    public func choose(_ newCode: String?) async {
        update {
            self.code = newCode
            self.resolved("service_code")
        }
        guard let newCode else {
            update { self.attributes = [] }
            return
        }
        do {
            let defs = try await client.complaintDefinition(code: newCode).sorted { $0.order < $1.order }
            guard code == newCode else { return }
            update {
                self.attributes = defs
                if self.keepAnswersFor == newCode {
                    self.keepAnswersFor = nil
                } else {
                    self.answers = [:]
                }
            }
        } catch {
            fail(error)
        }
    }

    // MARK: Filing

    /// The draft as the core takes it: empty answers dropped, blank optional fields as nil, and
    /// no personal field at all when anonymous.
    public var draft: ComplaintDraft {
        let blank = { (s: String) -> String? in
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        return ComplaintDraft(
            serviceCode: code ?? "",
            description: details,
            attributes: answers.filter { !$0.value.isEmpty }
                .map { AttributeAnswer(code: $0.key, values: $0.value) }
                .sorted { $0.code < $1.code },
            location: location,
            address: blank(address),
            contact: anonymous ? nil : Contact(firstName: blank(firstName), lastName: blank(lastName), phone: blank(phone), email: blank(email)))
    }

    /// File the complaint (or save the edit) with no network needed. Returns the tracking
    /// number; on a refusal every problem is marked, `focusField` and `bannerText` set.
    ///
    /// A new complaint with a location first looks for the same problem reported nearby: when
    /// requests not on this phone are found they go to `nearby` and nothing is filed yet (nil is
    /// returned); the citizen then chooses `follow(_:)` or `sendMine()`.
    @discardableResult
    public func submit() async -> String? {
        guard !submitting else { return nil }
        update {
            self.submitting = true
            self.issues = []
            self.focusField = nil
            self.bannerText = nil
            self.nearby = []
            self.nearbySkipped = nil
        }
        defer { update { self.submitting = false } }
        if editing == nil {
            let offers = await lookNearby()
            if !offers.isEmpty {
                update { self.nearby = offers }
                return nil
            }
        }
        do {
            let id: String
            if let editing {
                try await client.editComplaint(localId: editing, draft: draft)
                id = editing
            } else {
                id = try await client.submitComplaint(
                    draft, photos: photos, fullQuality: fullQuality, onWifiOnly: photosOnWifi && !photos.isEmpty)
            }
            update { self.filed = id }
            return id
        } catch {
            fail(error)
            return nil
        }
    }

    /// After the tracking number was shown.
    public func acknowledgeFiled() {
        update { self.filed = nil }
    }

    // MARK: The same problem reported nearby (issue 15.3)

    /// "This is my problem too": follow `offer` instead of filing (no network needed; the
    /// municipality counts the citizen on the next refresh). Returns the followed row's local id,
    /// also in `following`; on a failure the offer stays and `bannerText` says why.
    @discardableResult
    public func follow(_ offer: NearbyOffer) async -> String? {
        guard !submitting else { return nil }
        update {
            self.submitting = true
            self.bannerText = nil
        }
        defer { update { self.submitting = false } }
        do {
            let localId = try await client.followRequest(offer.request)
            update {
                self.nearby = []
                self.following = localId
                self.followingNumber = offer.request.serviceRequestId
            }
            return localId
        } catch {
            fail(error)
            return nil
        }
    }

    /// "No, send mine": file the citizen's own complaint as usual; the same requests are not
    /// offered again for this category and point.
    @discardableResult
    public func sendMine() async -> String? {
        if let code, let point = location {
            declinedNearby = (code, point.lat, point.long)
        }
        update { self.nearby = [] }
        return await submit()
    }

    /// The offer closed without a choice: back to the form, nothing filed or followed.
    public func dismissNearby() {
        update { self.nearby = [] }
    }

    /// After the following was confirmed.
    public func acknowledgeFollowing() {
        update {
            self.following = nil
            self.followingNumber = nil
        }
    }

    /// "No new complaint was filed. Request 12 is in your list…", for the confirmation.
    public var followingText: String? {
        followingNumber.map { client.display.text("nearby.followedBody", client.display.requestNumber($0)) }
    }

    /// The requests to offer for the form as it is: none without a category or a point, when the
    /// step is skipped, or for the category and point the citizen already chose to send.
    private func lookNearby() async -> [NearbyOffer] {
        guard let code, !code.isEmpty else { return [] }
        if let point = location, let declined = declinedNearby,
           declined.code == code, declined.lat == point.lat, declined.long == point.long {
            return []
        }
        update { self.checkingNearby = true }
        defer { update { self.checkingNearby = false } }
        switch await client.nearbyRequests(serviceCode: code, location: location) {
        case let .skipped(reason):
            update { self.nearbySkipped = reason }
            return []
        case let .found(requests):
            let names = Dictionary(categories.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
            let d = client.display
            return requests.filter { !$0.onThisPhone }.map { NearbyOffer($0, categoryName: names[$0.serviceCode], display: d) }
        }
    }

    /// Mark what a failure says: every field of a validation error (in the form's order, the
    /// first one to focus) and a banner; any other error as a banner in the citizen's words.
    private func fail(_ error: Error) {
        let d = client.display
        let found = (error as? ApiError)?.validationIssues ?? []
        update {
            self.refusals += 1
            guard !found.isEmpty else {
                self.issues = []
                self.focusField = nil
                self.bannerText = d.describe(error)
                self.bannerCounts = false
                return
            }
            let order = self.fieldOrder
            let rank = { (f: String) in order.firstIndex(of: f) ?? order.count }
            var seen = Set<String>()
            let unique = found.filter { seen.insert($0.field).inserted }
            self.issues = unique.enumerated().sorted { a, b in
                (rank(a.element.field), a.offset) < (rank(b.element.field), b.offset)
            }.map(\.element)
            let onForm = self.issues.filter { order.contains($0.field) }
            self.focusField = onForm.first?.field
            // A problem the form has no place for (an edit too late) is told in the banner itself.
            if let stray = self.issues.first(where: { !order.contains($0.field) }) {
                self.bannerText = d.validationText(field: stray.field, reason: stray.reason)
                self.bannerCounts = false
            } else {
                self.bannerText = d.plural("form.problems", onForm.count)
                self.bannerCounts = true
            }
        }
    }

    /// The citizen changed `field`: its message goes (the core judges again at the next tap),
    /// and a banner counting the fields to fix counts one less, or goes with the last one.
    private func resolved(_ field: String) {
        guard issues.contains(where: { $0.field == field }) else { return }
        willChange()
        issues.removeAll { $0.field == field }
        if bannerCounts {
            bannerText = issues.isEmpty ? nil : client.display.plural("form.problems", issues.count)
        }
    }
}

extension Display {
    /// A category's service level in words (issue 15.4): in days when it is whole days, else in
    /// hours, with Arabic's counted forms and the language's digits.
    public func categoryWithin(hours: UInt32) -> String {
        let h = Int(hours)
        return h % 24 == 0 ? plural("form.category.withinDays", h / 24) : plural("form.category.withinHours", h)
    }
}

/// A request someone else reported near the complaint being written, as the offer shows it
/// (issue 15.3): every text already in the app's language and digits.
public struct NearbyOffer: Identifiable, Equatable {
    public var id: String { request.serviceRequestId }
    /// What `follow(_:)` hands to the library.
    public let request: NearbyRequest
    /// "Request 12" / "الطلب ١٢", the number in a left-to-right isolate.
    public let number: String
    /// The category's name in the app's language (the server's name if the phone has none).
    public let category: String
    /// What the reporter wrote (the server's text), if anything.
    public let description: String?
    public let address: String?
    /// "20 metres away" / "على بُعد ٢٠ مترًا".
    public let distance: String
    /// The municipality's status ("Verified" / "تم التحقق"), nil when unknown.
    public let status: String?
    /// "Reported 30 Nov 2026, 14:05", nil when the server did not say.
    public let reported: String?
    /// "3 citizens follow this" / "يتابعها ٣ مواطنين".
    public let followers: String
    /// What a screen reader says for the follow button: "This is my problem too — follow request
    /// 12, 20 metres away".
    public let followLabel: String
    /// The whole card read as one.
    public let accessibilityLabel: String

    public init(_ request: NearbyRequest, categoryName: String?, display d: Display) {
        self.request = request
        number = d.text("nearby.request", d.requestNumber(request.serviceRequestId))
        category = categoryName ?? request.serviceName
        let said = request.description?.trimmingCharacters(in: .whitespacesAndNewlines)
        description = said?.isEmpty == false ? said : nil
        let place = request.address?.trimmingCharacters(in: .whitespacesAndNewlines)
        address = place?.isEmpty == false ? place : nil
        distance = d.distance(metres: request.distanceM)
        status = d.statusLabel(detailed: request.detailedStatus, status: "open")
        reported = request.requestedDatetime.map { d.text("nearby.reported", d.rfc3339($0)) }
        followers = d.followers(Int(request.followers))
        followLabel = d.text("nearby.followLabel", d.requestNumber(request.serviceRequestId), distance)
        let separator = d.lang == .ar ? "، " : ", "
        accessibilityLabel = [number, category, distance, status, description, address, reported, followers]
            .compactMap { $0 }.joined(separator: separator)
    }
}
