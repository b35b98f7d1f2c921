import Foundation

/// One of the citizen's answers to the category's questions, as the detail screen shows it.
public struct AnswerRow: Equatable {
    public let code: String
    /// The question, in the language the category was last fetched in (the app's).
    public let question: String
    /// The answer: a choice's label (several joined), a date in the app's language, a number in
    /// its digits, or the text as typed (an identifier isolated).
    public let answer: String
}

public enum ComplaintAnswers {
    /// The answers of `draft` to the questions of `definition`, in the form's order. Information
    /// items (not questions) and unanswered questions are left out; an answer to a question the
    /// category no longer asks is still shown, under its code, since it is what was reported.
    public static func rows(_ draft: ComplaintDraft, definition: [AttributeDef], display: Display) -> [AnswerRow] {
        let defs = definition.filter(\.variable).sorted { $0.order < $1.order }
        let given = Dictionary(draft.attributes.map { ($0.code, $0.values) }, uniquingKeysWith: { first, _ in first })
        var rows: [AnswerRow] = []
        for def in defs {
            guard let values = given[def.code], !values.isEmpty else { continue }
            rows.append(AnswerRow(code: def.code, question: def.description, answer: answer(values, def, display)))
        }
        let known = Set(defs.map(\.code))
        for a in draft.attributes where !known.contains(a.code) && !a.values.isEmpty {
            rows.append(AnswerRow(code: a.code, question: a.code, answer: a.values.joined(separator: separator(display))))
        }
        return rows
    }

    private static func answer(_ values: [String], _ def: AttributeDef, _ display: Display) -> String {
        switch def.datatype {
        case .singleValueList, .multiValueList:
            let labels = values.map { v in def.values.first { $0.key == v }?.name ?? v }
            return labels.joined(separator: separator(display))
        case .datetime:
            return values.map(display.rfc3339).joined(separator: separator(display))
        case .number:
            // The core stores numbers with ASCII digits and a point.
            return values.map { v in
                display.lang == .ar ? display.digits(v).replacingOccurrences(of: ".", with: "\u{066B}") : v
            }.joined(separator: separator(display))
        case .string, .text:
            let text = values.joined(separator: separator(display))
            return FieldKind.of(def).isLeftToRight ? Display.isolate(text) : text
        }
    }

    private static func separator(_ display: Display) -> String { display.lang == .ar ? "، " : ", " }
}

/// Where a complaint's photos are, worded for the detail screen (see `ComplaintDetailModel.photoDelivery`).
public struct PhotoDelivery: Equatable {
    /// "Sending photo 2 of 3 — 40%" while an upload moves.
    public var sending: String?
    /// The whole upload's progress, 0...1, for a bar (with `sending`).
    public var fraction: Double?
    /// "1 photo waiting for Wi-Fi", or still to send with the next connection.
    public var waiting: String?
    /// "Photos received by the municipality: 1 of 3" once the complaint is on the server.
    public var received: String?
    public var refused: String?
}

/// One entry of a complaint's history, ready to show.
public struct HistoryRow: Equatable {
    public let id: String
    public let date: String
    public let status: String?
    /// The department's note, numbers isolated and phone numbers linked.
    public let note: AttributedString
}

/// The complaint detail screen's state: the complaint, its category's name, the citizen's
/// answers, the status note and history with readable, tappable phone numbers. Kept current
/// from the library's events while started.
@MainActor
public final class ComplaintDetailModel: ViewModel {
    public let localId: String
    public private(set) var complaint: Complaint?
    public private(set) var categoryName: String?
    public private(set) var answers: [AnswerRow] = []
    public private(set) var errorText: String?
    /// The upload under way, from the library's progress events; nil when nothing is moving.
    public private(set) var progress: UploadProgress?
    private var definition: [AttributeDef] = []
    private let client: BaladiyaClient
    private var listening: Task<Void, Never>?
    private var progressListening: Task<Void, Never>?

    public init(client: BaladiyaClient, localId: String) {
        self.client = client
        self.localId = localId
    }

    /// The latest note of the municipality (status notes), isolated and linked.
    public var statusNote: AttributedString? {
        guard let c = complaint, c.state == .sent, let notes = c.statusNotes, !notes.isEmpty else { return nil }
        return FreeText.attributed(notes)
    }

    public var history: [HistoryRow] {
        let d = client.display
        return (complaint?.updates ?? []).map { u in
            HistoryRow(
                id: u.updateId, date: d.rfc3339(u.updatedDatetime),
                status: d.statusLabel(detailed: u.detailedStatus, status: u.status),
                note: FreeText.attributed(u.description))
        }
    }

    public var trackingNumber: String { client.display.tracking(localId) }

    // MARK: A request the citizen follows (issue 15.3)

    /// Someone else's request the citizen follows: no feedback, no reopening, no edit.
    public var isFollowed: Bool { complaint?.followed == true }

    /// The header's label: "Tracking number", or "The municipality's request number" for a
    /// request the citizen follows.
    public var numberTitle: String {
        client.display.text(isFollowed ? "complaint.requestNumber" : "complaint.trackingNumber")
    }

    /// The number shown under `numberTitle`, isolated (the tracking number until loaded).
    public var number: String { complaint.map { client.display.number($0) } ?? trackingNumber }

    /// What "copy" puts on the pasteboard: the number as typed elsewhere, without isolates.
    public var numberToCopy: String {
        if let c = complaint, c.followed, let id = c.serverId { return id }
        return localId
    }

    /// "Following" / "متابَع", for a followed request.
    public var followingLabel: String? { complaint.flatMap(client.display.followingLabel) }

    /// "Someone else reported this request and you follow it…", for a followed request.
    public var followedNote: String? { isFollowed ? client.display.text("complaint.followedNote") : nil }

    /// "Following since …", for a followed request (when it was followed on this phone).
    public var followedSinceText: String? {
        guard let c = complaint, c.followed else { return nil }
        return client.display.text("complaint.followedSince", client.display.dateTime(ms: c.createdAt))
    }

    /// "3 citizens follow this", for a followed request and for the citizen's own once followed.
    public var followersText: String? { complaint.flatMap(client.display.followersText) }

    /// "Expected to be dealt with by …", once the municipality has given a date.
    public var expectedText: String? {
        complaint?.expectedDatetime.map { client.display.text("complaint.expected", client.display.rfc3339($0)) }
    }

    /// "Past its expected date", while the complaint is sent, open and late (the list row says it too).
    public var overdueText: String? {
        complaint?.overdue == true ? client.display.text("complaint.overdue") : nil
    }

    public func start() {
        guard listening == nil else { return }
        let id = localId
        listening = client.follow({ event in
            switch event {
            case let .complaintSent(localId, _), let .complaintNeedsAttention(localId, _), let .complaintUpdated(localId, _, _),
                let .complaintPhotosSent(localId, _, _), let .complaintFollowUpSent(localId, _),
                let .complaintFollowUpRefused(localId, _, _):
                return localId == id
            default: return false
            }
        }, reload: { [weak self] in await self?.reload() })
        let events = client.events()
        progressListening = Task { @MainActor [weak self] in
            for await event in events {
                switch event {
                case let .complaintProgress(p) where p.localId == id: self?.show(p)
                case let .complaintPhotosSent(localId, _, _) where localId == id: self?.show(nil)
                default: break
                }
            }
        }
        Task { await reload() }
    }

    public func stop() {
        listening?.cancel()
        listening = nil
        progressListening?.cancel()
        progressListening = nil
    }

    /// A progress report (the events' handler; tests hand one over). The last report of an upload
    /// (every byte sent) clears it: it would read "100%" until the answer came.
    public func show(_ report: UploadProgress?) {
        willChange()
        progress = report.flatMap { $0.bytesTotal == 0 || $0.bytesSent < $0.bytesTotal ? $0 : nil }
    }

    /// Where the photos are, worded: "sending photo 2 of 3 — 40%" while bytes move (with the
    /// whole upload's fraction for a bar), then what still waits (for Wi-Fi, or for the next
    /// attempt), how many the municipality received and refused. Nil for a complaint without
    /// photos or one withdrawn.
    public var photoDelivery: PhotoDelivery? {
        guard let c = complaint, c.photoCount > 0, c.state != .cancelled else { return nil }
        let d = client.display
        var delivery = PhotoDelivery()
        if let p = progress {
            delivery.sending = p.photoIndex == 0
                ? d.text("photos.sendingWithComplaint", d.percent(Self.percent(p.bytesSent, p.bytesTotal)))
                : d.text("photos.sending", d.number(Int64(p.photoIndex)), d.number(Int64(p.photoCount)),
                         d.percent(Self.percent(p.photoBytesSent, p.photoBytesTotal)))
            delivery.fraction = p.bytesTotal == 0 ? 0 : min(1, Double(p.bytesSent) / Double(p.bytesTotal))
        }
        guard c.serverId != nil else { return delivery.sending == nil ? nil : delivery }
        let remaining = Int(c.photoCount) - Int(c.photosUploaded) - Int(c.photosRefused)
        if remaining > 0 && delivery.sending == nil {
            delivery.waiting = d.plural(c.photosOnUnmeteredOnly ? "photos.waitingForWifi" : "photos.stillToSend", remaining)
        }
        delivery.received = d.text("photos.received", d.number(Int64(c.photosUploaded)), d.number(Int64(c.photoCount)))
        if c.photosRefused > 0 { delivery.refused = d.plural("photos.refused", Int(c.photosRefused)) }
        return delivery
    }

    /// Whole percent, rounded down: 100% only when every byte is sent.
    static func percent(_ sent: UInt64, _ total: UInt64) -> Int {
        total == 0 ? 0 : Int(min(sent, total) * 100 / total)
    }

    // MARK: Feedback and reopening after the complaint is closed (issue 15.2)

    /// The citizen's answer to "was it really solved?", nil until chosen.
    public private(set) var resolved: Bool?
    /// Stars chosen, 0 for none yet (1 to 5).
    public private(set) var stars: UInt8 = 0
    public var comment: String = "" { willSet { willChange() } }
    public var reopenReason: String = "" { willSet { willChange() } }

    public func choose(resolved: Bool) { update { self.resolved = resolved } }
    public func choose(stars: UInt8) { update { self.stars = min(5, stars) } }

    /// The feedback card is shown (the complaint is closed and nothing was said of this closing).
    public var showsFeedbackCard: Bool { complaint?.canGiveFeedback == true && !isFollowed }
    /// Both answers given: the send button is enabled.
    public var canSendFeedback: Bool { showsFeedbackCard && resolved != nil && (1...5).contains(stars) }
    /// The reopen button is shown (closed less than 14 days ago, not asked yet).
    public var showsReopen: Bool { complaint?.canReopen == true && !isFollowed }
    /// A reason is typed: the reopen button is enabled.
    public var canSendReopen: Bool { showsReopen && !reopenReason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }

    /// "You can reopen it until …", in the app's language.
    public var reopenUntilText: String? {
        guard showsReopen, let until = complaint?.reopenUntil else { return nil }
        return client.display.text("reopen.until", client.display.dateTime(ms: until))
    }

    /// The label a screen reader says for star `n`: "3 of 5 stars".
    public func starLabel(_ n: Int) -> String { client.display.text("feedback.star", client.display.number(Int64(n))) }

    /// What the citizen said of this closing and where it is: "Your feedback: not solved, 2 of 5
    /// stars — received by the municipality".
    public var feedbackText: String? {
        guard let f = complaint?.feedback else { return nil }
        let d = client.display
        let said = d.text("feedback.given", d.text(f.resolved ? "feedback.givenYes" : "feedback.givenNo"), starLabel(Int(f.rating)))
        return "\(said) — \(followUpState(f.state, f.error))"
    }

    /// The reopening asked for, and where it is.
    public var reopenText: String? {
        guard let r = complaint?.reopen else { return nil }
        return "\(client.display.text("reopen.asked", r.reason)) — \(followUpState(r.state, r.error))"
    }

    private func followUpState(_ state: FollowUpState, _ error: String?) -> String {
        let d = client.display
        switch state {
        case .queued: return d.text("followup.queued")
        case .sent: return d.text("followup.sent")
        case .refused: return d.text("followup.refused", error ?? "")
        }
    }

    /// Write the feedback to the outbox (no network) and try to send it now; the card gives way
    /// to `feedbackText`.
    public func sendFeedback() async {
        guard canSendFeedback, let resolved else { return }
        let text = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        await followUp {
            try await $0.giveComplaintFeedback(
                localId: self.localId,
                feedback: FeedbackDraft(resolved: resolved, rating: self.stars, comment: text.isEmpty ? nil : text))
        }
    }

    /// Write the reopening to the outbox and try to send it now.
    public func sendReopen() async {
        guard canSendReopen else { return }
        let reason = reopenReason
        await followUp { try await $0.reopenComplaint(localId: self.localId, reason: reason) }
    }

    private func followUp(_ write: (BaladiyaClient) async throws -> Void) async {
        do {
            try await write(client)
            update {
                resolved = nil
                stars = 0
                comment = ""
                reopenReason = ""
            }
            await reload()
            // Sent at once when there is a connection; otherwise the outbox keeps it.
            _ = try? await client.flushComplaints()
            await reload()
        } catch {
            willChange()
            errorText = client.display.describe(error)
        }
    }

    /// Read the complaint, and its category's name and questions, from the phone.
    public func reload() async {
        do {
            let c = try await client.complaint(localId: localId)
            // Everything on the server (or refused): nothing is moving any more.
            if c.serverId != nil && c.photosUploaded + c.photosRefused >= c.photoCount { progress = nil }
            let code = c.draft.serviceCode
            if categoryName == nil || complaint?.draft.serviceCode != code {
                categoryName = (try? await client.complaintCategories())?.first { $0.code == code }?.name
                definition = (try? await client.complaintDefinition(code: code)) ?? []
            }
            willChange()
            complaint = c
            answers = ComplaintAnswers.rows(c.draft, definition: definition, display: client.display)
            errorText = nil
        } catch {
            willChange()
            errorText = client.display.describe(error)
        }
    }
}
