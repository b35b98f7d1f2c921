import BaladiyaKit
import Combine
import Foundation

/// The bills screen's state (BaladiyaKit has no bills model). The account number and the
/// verification factor (the phone number registered on the account, or the id number: the
/// server says which) are typed each time; the factor is never stored. Offline, a saved
/// account's last statement comes back marked stale with its date. Digits of any script are
/// accepted by the core.
@MainActor
final class BillsModel: ObservableObject {
    @Published var account = ""
    @Published var verification = ""
    @Published var nickname = ""
    /// What the second field asks for; nil until the server said (the phone number by default).
    @Published private(set) var verificationInfo: VerificationInfo?
    @Published private(set) var saved: [SavedAccount] = []
    @Published private(set) var loading = false
    @Published private(set) var result: BillLookup?
    /// The account of `result` was just saved.
    @Published private(set) var justSaved = false
    @Published var error: Error?

    private let client: BaladiyaClient
    private var askedVerification = false

    init(client: BaladiyaClient) {
        self.client = client
    }

    /// The saved accounts from the phone, and (once, a small request) which factor to ask for.
    func load() async {
        saved = (try? await client.savedBillAccounts()) ?? saved
        if !askedVerification {
            askedVerification = true
            verificationInfo = try? await client.billVerification()
        }
    }

    /// A saved account: its number in the field; the factor is asked for again.
    func pick(_ account: SavedAccount) {
        self.account = account.account
        nickname = account.nickname
        verification = ""
        result = nil
    }

    func lookup() async {
        await busy {
            self.result = try await self.client.lookupBill(account: self.account, verification: self.verification)
            self.justSaved = false
        }
    }

    func save() async {
        await busy {
            self.result = try await self.client.saveBillAccount(
                account: self.account, nickname: self.nickname, verification: self.verification)
            self.justSaved = true
            self.saved = try await self.client.savedBillAccounts()
        }
    }

    func forget(_ account: String) async {
        await busy {
            try await self.client.forgetBillAccount(account: account)
            if self.result?.statement.account == account { self.result = nil }
            self.saved = try await self.client.savedBillAccounts()
        }
    }

    private func busy(_ work: () async throws -> Void) async {
        guard !loading else { return }
        loading = true
        error = nil
        defer { loading = false }
        do {
            try await work()
        } catch {
            self.error = error
        }
    }
}
