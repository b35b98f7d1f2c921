import Foundation

// What the screens call things: states, statuses, kinds, and what to tell a citizen about a
// failure. The library's own error text is English and technical ("offline: connection refused
// (os error 111)"); a citizen gets a sentence per kind of error in their language instead.

extension Display {
    /// The municipality's detailed status (the Open311 extension) or open/closed, as a label;
    /// nil for a status the app has no word for.
    public func statusLabel(detailed: String?, status: String?) -> String? {
        guard let key = detailed ?? status else { return nil }
        let known = ["received", "verified", "routed", "in_progress", "fixed", "rejected", "duplicate", "closed", "open"]
        return known.contains(key) ? text("status.\(key)") : nil
    }

    /// Where a complaint is on the phone's side.
    public func stateLabel(_ state: ComplaintState) -> String {
        switch state {
        case .queued: return text("state.queued")
        case .sent: return text("state.sent")
        case .needsAttention: return text("state.needsAttention")
        case .cancelled: return text("state.cancelled")
        }
    }

    /// The badge of a complaint: the municipality's status once sent, else the phone's state.
    public func badge(_ complaint: Complaint) -> String {
        if complaint.state == .sent, let status = statusLabel(detailed: complaint.detailedStatus, status: complaint.status) {
            return status
        }
        return stateLabel(complaint.state)
    }

    // MARK: Following a request someone else reported (issue 15.3)

    /// "Following" / "متابَع": the mark of a request the citizen follows; nil for their own.
    public func followingLabel(_ complaint: Complaint) -> String? {
        complaint.followed ? text("complaint.following") : nil
    }

    /// How far a request reported nearby is: "20 metres away" / "على بُعد ٢٠ مترًا".
    public func distance(metres: UInt32) -> String {
        metres == 0 ? text("nearby.here") : plural("nearby.distance", Int(metres))
    }

    /// "3 citizens follow this" / "يتابعها ٣ مواطنين", with Arabic's counted forms; "No one follows
    /// it yet" for none.
    public func followers(_ count: Int) -> String {
        count <= 0 ? text("followers.none") : plural("followers.count", count)
    }

    /// A complaint's followers as its row and detail say them: for a request the citizen follows,
    /// at least the citizen (the municipality counts them on the next refresh); for their own,
    /// once someone follows it; nil otherwise.
    public func followersText(_ complaint: Complaint) -> String? {
        let count = Int(complaint.followers ?? 0)
        if complaint.followed { return followers(max(count, 1)) }
        return count > 0 ? followers(count) : nil
    }

    /// The number a complaint is known by: the tracking number of the citizen's own, the
    /// municipality's request number of one they follow (its tracking number is the phone's own).
    public func number(_ complaint: Complaint) -> String {
        if complaint.followed, let id = complaint.serverId { return requestNumber(id) }
        return tracking(complaint.localId)
    }

    public func paymentStatus(_ status: PaymentStatus) -> String {
        switch status {
        case .paid: return text("bill.status.paid")
        case .partlyPaid: return text("bill.status.partlyPaid")
        case .unpaid: return text("bill.status.unpaid")
        }
    }

    public func accountType(_ type: String) -> String {
        switch type {
        case "household": return text("bill.type.household")
        case "commercial": return text("bill.type.commercial")
        default: return type
        }
    }

    public func newsCategory(_ category: NewsCategory) -> String {
        switch category {
        case .announcement: return text("news.category.announcement")
        case .waterSchedule: return text("news.category.water")
        case .serviceInterruption: return text("news.category.interruption")
        case .project: return text("news.category.project")
        case .event: return text("news.category.event")
        }
    }

    public func documentForm(_ form: DocumentForm) -> String {
        switch form {
        case .original: return text("document.original")
        case .copy: return text("document.copy")
        case .originalAndCopy: return text("document.originalAndCopy")
        }
    }

    /// A text the server sends in both languages, in this one (the other if this one is empty).
    public func pick(_ text: Localized) -> String {
        if lang == .en { return text.en.isEmpty ? text.ar : text.en }
        return text.ar.isEmpty ? text.en : text.ar
    }

    // MARK: Errors

    /// What to tell the citizen about a failure, per kind of error, in this language. A
    /// validation error is worded for its field (see `validationText`).
    public func describe(_ error: Error) -> String {
        guard let api = error as? ApiError else { return text("error.generic") }
        switch api {
        case .Offline: return text("error.offline")
        case .Network: return text("error.network")
        case let .Server(status, _): return text("error.server", digits(String(status)))
        case .MalformedResponse: return text("error.serverAnswer")
        case .Unauthorized: return text("error.unauthorized")
        case let .Throttled(retryAfterSecs, _):
            return plural("error.throttled.minutes", Int(min(retryAfterSecs, 86_400) + 59) / 60)
        case .NotFound: return text("error.notFound")
        case .Validation:
            let first = api.validationIssues.first
            return validationText(field: first?.field ?? "", reason: first?.reason ?? "")
        case .Storage: return text("error.storage")
        case .Internal: return text("error.internal")
        }
    }

    /// A validation problem as a sentence for the citizen: by field where the field says it all,
    /// else by the kind of problem the core's reason names. Never the core's English reason.
    public func validationText(field: String, reason: String) -> String {
        switch field {
        case "account": return text("invalid.account")
        case "verification": return text("invalid.verification")
        case "nickname": return text("invalid.nickname")
        case "service_code": return text("invalid.category")
        case "location": return reason.contains("outside") ? text("invalid.locationOutside") : text("invalid.location")
        case "contact.phone": return text("invalid.phone")
        case "contact.email": return text("invalid.email")
        case "photo", "photos": return text("invalid.photo")
        case "local_id": return text("invalid.localId")
        case "description":
            return reason.hasPrefix("at most") ? text("invalid.tooLong") : text("invalid.description")
        default:
            // An attribute (a category's question) or a field the app does not know: by reason.
            if reason == "required" { return text("invalid.required") }
            if reason.hasPrefix("not one of") || reason.hasPrefix("only one value") { return text("invalid.choice") }
            if reason.hasPrefix("a number") { return text("invalid.number") }
            if reason.hasPrefix("a date") { return text("invalid.datetime") }
            if reason.hasPrefix("at most") { return text("invalid.tooLong") }
            return text("invalid.check")
        }
    }
}

/// One problem of a validation error: the field the core names (`description`,
/// `attribute[severity]`, `contact.phone`, …) and its reason (the core's words, for choosing the
/// citizen's sentence, never shown).
public struct ValidationIssue: Equatable, Hashable {
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}

extension ApiError {
    /// Every problem of a validation error, the first one leading; empty for other errors. An
    /// error that lists no problems (one field only) gives its own field.
    public var validationIssues: [ValidationIssue] {
        guard case let .Validation(field, reason, _, problems) = self else { return [] }
        let all = problems.map { ValidationIssue(field: $0.field, reason: $0.reason) }
        return all.isEmpty ? [ValidationIssue(field: field, reason: reason)] : all
    }
}
