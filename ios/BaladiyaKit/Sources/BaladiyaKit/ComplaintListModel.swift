import Foundation

/// The view model of the citizen's complaints screen: every complaint on the phone, newest first,
/// kept current while started from the library's events (a complaint sent, refused or answered),
/// and what to tell the user. UI frameworks observe it (ObservableObject where Combine exists).
///
/// Call `start()` when the screen appears and `stop()` when it goes away.
@MainActor
public final class ComplaintListModel: ViewModel {
    public private(set) var complaints: [Complaint] = []
    /// Category names by code, in the language the categories were last fetched in.
    public private(set) var categoryNames: [String: String] = [:]
    /// The last failure to show (offline, a store error); nil after a successful load.
    public private(set) var errorText: String?
    /// True while `sendAndRefresh()` runs (a spinner, a disabled button).
    public private(set) var isSending = false
    /// After a send that could not reach the server: when the outbox tries again (ms since the
    /// epoch); the screen says so (`retryText`).
    public private(set) var retryAt: Int64?
    /// Called with `retryAt` when a send could not reach the server: the app schedules a
    /// background wake-up then (the same decision the Android app makes, taken by the library).
    public var scheduleRetry: (@MainActor (Int64) -> Void)?
    private let client: BaladiyaClient
    private var listening: Task<Void, Never>?
    private var generation = 0

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// Load the list and follow the library's events until `stop()`. Calling it again does nothing.
    public func start() {
        guard listening == nil else { return }
        // Subscribed before the first load, so no change can slip in between.
        listening = client.follow({ event in
            switch event {
            case .complaintSent, .complaintNeedsAttention, .complaintUpdated: return true
            default: return false // guide, news and the like are other screens' business
            }
        }, reload: { [weak self] in await self?.reload() })
        Task { await reload() }
    }

    /// Stop following events (ends the subscription).
    public func stop() {
        listening?.cancel()
        listening = nil
    }

    /// Read the list from the phone's store. Only the latest of overlapping loads lands.
    public func reload() async {
        generation += 1
        let mine = generation
        do {
            let found = try await client.complaints()
            let categories = (try? await client.complaintCategories()) ?? []
            guard mine == generation else { return }
            willChange()
            complaints = found
            categoryNames = Dictionary(categories.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
            errorText = nil
        } catch {
            guard mine == generation else { return }
            willChange()
            errorText = client.display.describe(error)
        }
    }

    /// File a complaint (no network needed) and show it at once. Returns the tracking number;
    /// throws `ApiError.Validation` naming the field for the form to mark.
    public func submit(_ draft: ComplaintDraft, photos: [Data] = []) async throws -> String {
        let localId = try await client.submitComplaint(draft, photos: photos)
        await reload()
        return localId
    }

    /// The name a row shows for a complaint's category (its code until the categories are known).
    public func categoryName(_ complaint: Complaint) -> String {
        categoryNames[complaint.draft.serviceCode] ?? complaint.draft.serviceCode
    }

    /// "Following" / "متابَع" on the row of a request the citizen follows (issue 15.3); nil for
    /// their own complaints.
    public func followingLabel(_ complaint: Complaint) -> String? {
        client.display.followingLabel(complaint)
    }

    /// "3 citizens follow this" / "يتابعها ٣ مواطنين" on a followed row (at least the citizen),
    /// and on their own once others follow it; nil otherwise.
    public func followersText(_ complaint: Complaint) -> String? {
        client.display.followersText(complaint)
    }

    /// The number a row shows: the tracking number of the citizen's own complaint, the
    /// municipality's request number of one they follow; isolated.
    public func number(_ complaint: Complaint) -> String {
        client.display.number(complaint)
    }

    /// What a screen reader says for a row, as one: number, category, status, following, followers.
    public func accessibilityLabel(_ complaint: Complaint) -> String {
        let d = client.display
        let parts: [String?] = [
            d.number(complaint), categoryName(complaint), d.badge(complaint), d.followingLabel(complaint),
            d.followersText(complaint), complaint.overdue ? d.text("complaint.overdue") : nil,
        ]
        return parts.compactMap { $0 }.joined(separator: d.lang == .ar ? "، " : ", ")
    }

    /// Withdraw a complaint still on the phone; a refusal (already sent) becomes `errorText`.
    public func cancel(localId: String) async {
        await perform { try await $0.cancelComplaint(localId: localId) }
    }

    /// Queue a refused complaint again unchanged.
    public func resend(localId: String) async {
        await perform { try await $0.resendComplaint(localId: localId) }
    }

    /// Send what is queued, then bring the municipality's answers (pull to refresh, or the network
    /// came back). When the server cannot be reached the library says why and when it tries again:
    /// the reason goes to `errorText`, the time to `retryAt`, and `scheduleRetry` is asked to wake
    /// the app then. The list stays as it is.
    public func sendAndRefresh() async {
        willChange()
        isSending = true
        defer {
            willChange()
            isSending = false
        }
        var failure: String?
        var retry: Int64?
        do {
            if let unreachable = try await client.sendAndRefresh().unreachable {
                failure = client.display.text(unreachable.offline ? "error.offline" : "error.network")
                retry = unreachable.retryAt
            }
        } catch {
            failure = client.display.describe(error)
        }
        await reload()
        willChange()
        retryAt = retry
        if let failure { errorText = failure }
        if let retry { scheduleRetry?(retry) }
    }

    /// "Could not reach the municipality; trying again at …", while a retry is due.
    public var retryText: String? {
        retryAt.map { client.display.text("complaints.retryAt", client.display.dateTime(ms: $0)) }
    }

    private func perform(_ action: @escaping @Sendable (BaladiyaClient) async throws -> Void) async {
        do {
            try await action(client)
            await reload()
        } catch {
            await reload()
            willChange()
            errorText = client.display.describe(error)
        }
    }
}
