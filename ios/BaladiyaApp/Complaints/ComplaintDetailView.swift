import BaladiyaKit
import SwiftUI
import UIKit

/// One complaint: tracking number, state, the municipality's status and history; edit, resend
/// or withdraw while the core allows it.
@MainActor
struct ComplaintDetailView: View {
    @ObservedObject var model: ComplaintListModel
    let client: BaladiyaClient
    let localId: String

    @State private var categoryName: String?
    @State private var confirmCancel = false

    private var complaint: Complaint? { model.complaints.first { $0.localId == localId } }

    var body: some View {
        List {
            if let text = model.errorText { ErrorRow(text: text, onDismiss: nil) }
            if let c = complaint {
                Section {
                    VStack(alignment: .leading, spacing: 6) {
                        Text(L("complaint.trackingNumber")).font(.caption).foregroundStyle(.secondary)
                        HStack {
                            Text(Format.ltr(c.localId)).font(.title2.bold()).textSelection(.enabled)
                            Spacer()
                            Button(L("copy")) { UIPasteboard.general.string = c.localId }.buttonStyle(.borderless)
                        }
                        StateBadge(complaint: c)
                    }
                }
                actions(c)
                Section(L("complaint.details")) {
                    Text(categoryName ?? c.draft.serviceCode).bold()
                    Text(c.draft.description)
                    if let address = c.draft.address { Text(L("complaint.addressValue", address)) }
                    if let p = c.draft.location {
                        Text(L("complaint.locationSet", Format.ltr(String(format: "%.5f, %.5f", p.lat, p.long))))
                    }
                    if c.photoCount > 0 { Text(L("photos.attached", Int(c.photoCount))) }
                    Text(L(c.draft.contact == nil ? "complaint.sentAnonymously" : "complaint.sentWithContact")).font(.footnote)
                    Text(L("complaint.created", Format.dateTime(ms: c.createdAt))).font(.footnote)
                    if let sent = c.sentAt { Text(L("complaint.sentAt", Format.dateTime(ms: sent))).font(.footnote) }
                }
                if !c.updates.isEmpty {
                    Section(L("complaint.history")) {
                        ForEach(c.updates, id: \.updateId) { u in
                            VStack(alignment: .leading, spacing: 3) {
                                Text(Format.rfc3339(u.updatedDatetime)).font(.caption).foregroundStyle(.secondary)
                                if let label = statusLabel(detailed: u.detailedStatus, status: u.status) { Text(label).bold() }
                                if !u.description.isEmpty { Text(u.description) }
                            }
                        }
                    }
                }
            }
        }
        .navigationTitle(L("complaint.title"))
        .navigationBarTitleDisplayMode(.inline)
        .confirmationDialog(L("complaint.cancelConfirm"), isPresented: $confirmCancel, titleVisibility: .visible) {
            Button(L("complaint.cancel"), role: .destructive) { Task { await model.cancel(localId: localId) } }
            Button(L("keep"), role: .cancel) {}
        }
        .task {
            await model.reload()
            let categories = (try? await client.complaintCategories()) ?? []
            categoryName = categories.first { $0.code == complaint?.draft.serviceCode }?.name
        }
    }

    @ViewBuilder
    private func actions(_ c: Complaint) -> some View {
        switch c.state {
        case .needsAttention:
            Section {
                // The server's reason, in the server's words.
                NoteRow(text: L("complaint.refused", c.lastError ?? ""))
                NavigationLink(value: ComplaintRoute.edit(c.localId)) { Text(L("complaint.edit")) }
                Button(L("complaint.resend")) {
                    Task {
                        await model.resend(localId: c.localId)
                        Connectivity.shared.flushSoon()
                    }
                }
                Button(L("complaint.cancel"), role: .destructive) { confirmCancel = true }
            }
        case .queued:
            Section {
                if let next = c.nextAttemptAt, c.attempts > 0 {
                    NoteRow(text: L("complaint.waitingRetry", Format.dateTime(ms: next)))
                } else {
                    NoteRow(text: L("complaint.waiting"))
                }
                // Possible until an attempt could have reached the server; the core says so if
                // it is too late.
                NavigationLink(value: ComplaintRoute.edit(c.localId)) { Text(L("complaint.edit")) }
                Button(L("complaint.cancel"), role: .destructive) { confirmCancel = true }
            }
        case .sent:
            if let notes = c.statusNotes, !notes.isEmpty {
                Section { NoteRow(text: notes) }
            }
        case .cancelled:
            EmptyView()
        }
    }
}
