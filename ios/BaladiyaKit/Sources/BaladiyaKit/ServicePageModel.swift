import Foundation

/// A service's page (or the violations guide): read from the phone, with the department's name
/// in the app's language, and a failure in the citizen's words.
@MainActor
public final class ServicePageModel: ViewModel {
    public private(set) var service: Service?
    public private(set) var departmentName: String?
    /// The whole violations guide, or the one violation a search hit named.
    public private(set) var violations: [Violation] = []
    public private(set) var errorText: String?
    private let client: BaladiyaClient

    public init(client: BaladiyaClient) {
        self.client = client
    }

    /// A question citizens asked about the service, with the municipality's answer, in the app's
    /// language.
    public struct FaqRow: Equatable {
        public let question: String
        public let answer: String
    }

    /// The service's published questions, oldest first (as the guide lists them).
    public var faqs: [FaqRow] {
        let d = client.display
        return (service?.faqs ?? []).map { FaqRow(question: d.pick($0.question), answer: d.pick($0.answer)) }
    }

    public func load(service id: String) async {
        do {
            let s = try await client.service(id: id)
            let department = (try? await client.departments())?.first { $0.id == s.departmentId }
            let d = client.display
            update {
                self.service = s
                self.departmentName = department.map { d.pick($0.name) }
                self.errorText = nil
            }
        } catch {
            let text = client.display.describe(error)
            update { self.errorText = text }
        }
    }

    public func loadViolations(only id: String? = nil) async {
        do {
            let found: [Violation]
            if let id {
                found = [try await client.violation(id: id)]
            } else {
                found = try await client.violations()
            }
            update {
                self.violations = found
                self.errorText = nil
            }
        } catch {
            let text = client.display.describe(error)
            update { self.errorText = text }
        }
    }
}
