import Foundation
#if canImport(Combine)
import Combine
#endif

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
public final class ComplaintDetailModel {
    public let localId: String
    public private(set) var complaint: Complaint?
    public private(set) var categoryName: String?
    public private(set) var answers: [AnswerRow] = []
    public private(set) var errorText: String?
    private var definition: [AttributeDef] = []
    private let client: BaladiyaClient
    private var listening: Task<Void, Never>?

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

    public func start() {
        guard listening == nil else { return }
        let id = localId
        listening = client.follow({ event in
            switch event {
            case let .complaintSent(localId, _), let .complaintNeedsAttention(localId, _), let .complaintUpdated(localId, _, _):
                return localId == id
            default: return false
            }
        }, reload: { [weak self] in await self?.reload() })
        Task { await reload() }
    }

    public func stop() {
        listening?.cancel()
        listening = nil
    }

    /// Read the complaint, and its category's name and questions, from the phone.
    public func reload() async {
        do {
            let c = try await client.complaint(localId: localId)
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

    #if canImport(Combine)
    public nonisolated let objectWillChange = ObservableObjectPublisher()
    private func willChange() { objectWillChange.send() }
    #else
    private func willChange() {}
    #endif
}

#if canImport(Combine)
extension ComplaintDetailModel: ObservableObject {}
#endif
