import Foundation

/// The bills screen's state. The account number and the verification factor (the phone number
/// registered on the account, or the id number: the server says which) are typed each time; the
/// factor is never stored. Offline, a saved account's last statement comes back marked stale with
/// its date. Digits of any script are accepted (the core normalises them).
@MainActor
public final class BillsModel: ViewModel {
    public var account = "" { willSet { willChange() } }
    public var verification = "" { willSet { willChange() } }
    public var nickname = "" { willSet { willChange() } }
    /// What the second field asks for; nil until the server said (the phone number by default).
    public private(set) var verificationInfo: VerificationInfo?
    public private(set) var saved: [SavedAccount] = []
    public private(set) var loading = false
    public private(set) var result: BillLookup?
    /// The account of `result` was just saved.
    public private(set) var justSaved = false
    /// The last failure, in the citizen's words; nil after a success.
    public var errorText: String? { willSet { willChange() } }

    private let client: BaladiyaClient
    private var askedVerification = false

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// The label of the second field, in the app's language.
    public var verificationLabel: String {
        verificationInfo.map { client.display.pick($0.label) } ?? client.display.text("bills.phone")
    }

    /// The second field is an id number (digits) rather than a phone number.
    public var verificationIsIdNumber: Bool { verificationInfo?.kind == "national_id" }

    /// The line above the statement: when it was fetched, or — offline — that this is the saved
    /// copy of that date.
    public var resultNote: (text: String, stale: Bool)? {
        guard let r = result else { return nil }
        let d = client.display
        let when = d.dateTime(ms: r.fetchedAt)
        if r.stale { return (d.text("bill.stale", when), true) }
        return (d.text(justSaved ? "bill.savedFetched" : "bill.fetched", when), false)
    }

    /// A saved account's second line: its number, and the date of its offline copy.
    public func savedLine(_ a: SavedAccount) -> String {
        let d = client.display
        return d.account(a.account) + (a.fetchedAt.map { "  ·  " + d.text("bills.savedCopy", d.dateTime(ms: $0)) } ?? "")
    }

    /// The saved accounts from the phone, and (once, a small request) which factor to ask for.
    public func load() async {
        if let found = try? await client.savedBillAccounts() { update { self.saved = found } }
        if !askedVerification {
            askedVerification = true
            if let info = try? await client.billVerification() { update { self.verificationInfo = info } }
        }
    }

    /// A saved account: its number in the field; the factor is asked for again.
    public func pick(_ a: SavedAccount) {
        update {
            self.account = a.account
            self.nickname = a.nickname
            self.verification = ""
            self.result = nil
        }
    }

    public func lookup() async {
        await busy {
            let found = try await self.client.lookupBill(account: self.account, verification: self.verification)
            self.update {
                self.result = found
                self.justSaved = false
            }
        }
    }

    public func save() async {
        await busy {
            let found = try await self.client.saveBillAccount(
                account: self.account, nickname: self.nickname, verification: self.verification)
            let all = try await self.client.savedBillAccounts()
            self.update {
                self.result = found
                self.justSaved = true
                self.saved = all
            }
        }
    }

    public func forget(_ account: String) async {
        await busy {
            try await self.client.forgetBillAccount(account: account)
            let all = try await self.client.savedBillAccounts()
            self.update {
                if self.result?.statement.account == account { self.result = nil }
                self.saved = all
            }
        }
    }

    private func busy(_ work: () async throws -> Void) async {
        guard !loading else { return }
        update {
            self.loading = true
            self.errorText = nil
        }
        defer { update { self.loading = false } }
        do {
            try await work()
        } catch {
            let text = client.display.describe(error)
            update { self.errorText = text }
        }
    }
}
