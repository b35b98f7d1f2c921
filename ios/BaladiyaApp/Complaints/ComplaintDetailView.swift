import BaladiyaKit
import SwiftUI
import UIKit

/// One complaint over BaladiyaKit's `ComplaintDetailModel`: tracking number, state, the citizen's
/// answers to the category's questions, the municipality's status and history (phone numbers in
/// notes readable and tappable: `Text` opens the `tel:` links the kit put on them); edit, resend
/// or withdraw through the list's model while the core allows it.
@MainActor
struct ComplaintDetailView: View {
    @ObservedObject var list: ComplaintListModel
    @StateObject private var model: ComplaintDetailModel
    @State private var confirmCancel = false

    init(list: ComplaintListModel, client: BaladiyaClient, localId: String) {
        _list = ObservedObject(wrappedValue: list)
        _model = StateObject(wrappedValue: ComplaintDetailModel(client: client, localId: localId))
    }

    var body: some View {
        List {
            if let text = list.errorText ?? model.errorText { ErrorRow(text: text, onDismiss: nil) }
            if let c = model.complaint {
                Section {
                    VStack(alignment: .leading, spacing: 6) {
                        Text(model.numberTitle).font(.caption).foregroundStyle(.secondary)
                        HStack {
                            Text(model.number).font(.title2.bold()).textSelection(.enabled)
                            Spacer()
                            Button(L("copy")) { UIPasteboard.general.string = model.numberToCopy }.buttonStyle(.borderless)
                        }
                        HStack {
                            StateBadge(complaint: c)
                            if let following = model.followingLabel {
                                Label(following, systemImage: "person.2.fill").font(.caption).foregroundStyle(Color.accentColor)
                            }
                        }
                        if let followers = model.followersText { Text(followers).font(.footnote).foregroundStyle(.secondary) }
                    }
                }
                // Someone else's request the citizen follows (issue 15.3): said so; no edit,
                // feedback or reopening is offered (the kit's model says none).
                if let note = model.followedNote {
                    Section { NoteRow(text: note) }
                }
                actions(c)
                if let delivery = model.photoDelivery { photos(delivery) }
                followUps()
                Section(L("complaint.details")) {
                    Text(model.categoryName ?? c.draft.serviceCode).bold()
                    Text(FreeText.attributed(c.draft.description))
                    if let address = c.draft.address { Text(L("complaint.addressValue", address)) }
                    if let p = c.draft.location {
                        Text(L("complaint.locationSet", AppLanguage.display.coordinates(lat: p.lat, long: p.long)))
                    }
                    if c.photoCount > 0 { Text(Lp("photos.attached", Int(c.photoCount))) }
                    if let since = model.followedSinceText {
                        Text(since).font(.footnote)
                    } else {
                        Text(L(c.draft.contact == nil ? "complaint.sentAnonymously" : "complaint.sentWithContact")).font(.footnote)
                        Text(L("complaint.created", Format.dateTime(ms: c.createdAt))).font(.footnote)
                        if let sent = c.sentAt { Text(L("complaint.sentAt", Format.dateTime(ms: sent))).font(.footnote) }
                    }
                    if let expected = model.expectedText { Text(expected).font(.footnote) }
                    if let overdue = model.overdueText { Text(overdue).font(.footnote).foregroundStyle(.red) }
                }
                if !model.answers.isEmpty {
                    Section(L("complaint.answers")) {
                        ForEach(model.answers, id: \.code) { row in
                            VStack(alignment: .leading, spacing: 2) {
                                Text(row.question).font(.caption).foregroundStyle(.secondary)
                                Text(row.answer)
                            }
                            .accessibilityElement(children: .combine)
                        }
                    }
                }
                if !model.history.isEmpty {
                    Section(L("complaint.history")) {
                        ForEach(model.history, id: \.id) { entry in
                            VStack(alignment: .leading, spacing: 3) {
                                Text(entry.date).font(.caption).foregroundStyle(.secondary)
                                if let status = entry.status { Text(status).bold() }
                                if !entry.note.characters.isEmpty { Text(entry.note) }
                            }
                        }
                    }
                }
            }
        }
        .navigationTitle(L("complaint.title"))
        .navigationBarTitleDisplayMode(.inline)
        .confirmationDialog(L("complaint.cancelConfirm"), isPresented: $confirmCancel, titleVisibility: .visible) {
            Button(L("complaint.cancel"), role: .destructive) {
                Task {
                    await list.cancel(localId: model.localId)
                    await model.reload()
                }
            }
            Button(L("keep"), role: .cancel) {}
        }
        .onAppear { model.start() }
        .onDisappear { model.stop() }
    }

    /// After the closing (issue 15.2): "was it really solved?" (yes or no, 1 to 5 stars, a
    /// comment) while the kit offers it, then what was said; reopening with a reason until the 14
    /// days end. The logic is `ComplaintDetailModel`'s; each star is a button VoiceOver reads as
    /// "3 of 5 stars".
    @ViewBuilder
    private func followUps() -> some View {
        if model.showsFeedbackCard || model.feedbackText != nil {
            Section(L("feedback.title")) {
                if model.showsFeedbackCard {
                    Picker(L("feedback.title"), selection: Binding(get: { model.resolved }, set: { if let v = $0 { model.choose(resolved: v) } })) {
                        Text(L("feedback.yes")).tag(Bool?.some(true))
                        Text(L("feedback.no")).tag(Bool?.some(false))
                    }
                    .pickerStyle(.inline)
                    .labelsHidden()
                    HStack {
                        Text(L("feedback.stars")).font(.subheadline)
                        Spacer()
                        ForEach(1...5, id: \.self) { n in
                            Button { model.choose(stars: UInt8(n)) } label: {
                                Image(systemName: n <= Int(model.stars) ? "star.fill" : "star")
                                    .frame(minWidth: 44, minHeight: 44)
                            }
                            .buttonStyle(.borderless)
                            .accessibilityLabel(model.starLabel(n))
                            .accessibilityAddTraits(Int(model.stars) == n ? .isSelected : [])
                        }
                    }
                    TextField(L("feedback.comment"), text: $model.comment, axis: .vertical)
                    Button(L("feedback.send")) { Task { await model.sendFeedback() } }
                        .disabled(!model.canSendFeedback)
                }
                if let said = model.feedbackText { Text(said).font(.footnote) }
            }
        }
        if model.showsReopen || model.reopenText != nil {
            Section(L("reopen.title")) {
                if model.showsReopen {
                    if let until = model.reopenUntilText { Text(until).font(.footnote) }
                    TextField(L("reopen.reason"), text: $model.reopenReason, axis: .vertical)
                    Button(L("reopen.send")) { Task { await model.sendReopen() } }
                        .disabled(!model.canSendReopen)
                }
                if let asked = model.reopenText { Text(asked).font(.footnote) }
            }
        }
    }

    /// "Sending photo 2 of 3 — 40%" with a bar while bytes move; what waits (for Wi-Fi, or for
    /// the next attempt); how many the municipality received and refused.
    private func photos(_ delivery: PhotoDelivery) -> some View {
        Section {
            if let sending = delivery.sending {
                ProgressView(value: delivery.fraction ?? 0) { Text(sending) }
            }
            if let waiting = delivery.waiting {
                Label { Text(waiting) } icon: { Image(systemName: "wifi") }
            }
            if let received = delivery.received { Text(received).font(.footnote) }
            if let refused = delivery.refused { Text(refused).font(.footnote).foregroundStyle(.red) }
        }
    }

    @ViewBuilder
    private func actions(_ c: Complaint) -> some View {
        switch c.state {
        case .needsAttention:
            Section {
                // The server's reason, in the server's words (numbers in it isolated).
                NoteRow(text: L("complaint.refused", FreeText.isolated(c.lastError ?? "")))
                NavigationLink(value: ComplaintRoute.edit(c.localId)) { Text(L("complaint.edit")) }
                Button(L("complaint.resend")) {
                    Task {
                        await list.resend(localId: c.localId)
                        await model.reload()
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
            if let note = model.statusNote {
                Section { Label { Text(note) } icon: { Image(systemName: "info.circle") }.font(.subheadline) }
            }
        case .cancelled:
            EmptyView()
        }
    }
}
