import BaladiyaKit
import SwiftUI

/// The complaints tab: every complaint on the phone, newest first, from BaladiyaKit's
/// ComplaintListModel (kept current by the library's events). Pull to refresh sends what is
/// queued and brings the municipality's answers.
@MainActor
struct ComplaintsView: View {
    @ObservedObject var model: ComplaintListModel
    let client: BaladiyaClient

    var body: some View {
        List {
            if let text = model.errorText {
                Section { ErrorRow(text: text, onDismiss: nil) }
            }
            if let retry = model.retryText {
                Section { NoteRow(text: retry) }
            }
            Section {
                NavigationLink(value: ComplaintRoute.new) {
                    Label(L("complaints.new"), systemImage: "plus.circle.fill").font(.headline)
                }
            }
            let queued = model.complaints.filter { $0.state == .queued }.count
            if queued > 0 {
                Section { NoteRow(text: Lp("complaints.queued", queued)) }
            }
            if model.complaints.isEmpty {
                Text(L("complaints.empty")).foregroundStyle(.secondary)
            } else {
                Section(Lp("complaints.count", model.complaints.count)) {
                    ForEach(model.complaints, id: \.localId) { c in
                        NavigationLink(value: ComplaintRoute.detail(c.localId)) {
                            ComplaintRow(complaint: c, model: model)
                        }
                        .accessibilityElement(children: .combine)
                        .accessibilityLabel(model.accessibilityLabel(c))
                    }
                }
            }
        }
        .navigationTitle(L("complaints.title"))
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                if model.isSending { ProgressView() }
            }
        }
        .refreshable { await model.sendAndRefresh() }
        .navigationDestination(for: ComplaintRoute.self) { route in
            switch route {
            case .new: ComplaintFormView(list: model, client: client, editing: nil)
            case .edit(let id): ComplaintFormView(list: model, client: client, editing: id)
            case .detail(let id): ComplaintDetailView(list: model, client: client, localId: id)
            }
        }
        .task { await model.reload() }
    }
}

/// A row: the number (a followed request's is the municipality's), category, description, date,
/// overdue; the status badge; for a request the citizen follows (issue 15.3) "Following" and how
/// many follow it.
struct ComplaintRow: View {
    let complaint: Complaint
    @ObservedObject var model: ComplaintListModel

    var body: some View {
        HStack(alignment: .top) {
            VStack(alignment: .leading, spacing: 3) {
                Text(model.number(complaint)).font(.caption).foregroundStyle(.secondary)
                Text(model.categoryName(complaint)).font(.headline)
                if let following = model.followingLabel(complaint) {
                    Label(following, systemImage: "person.2.fill").font(.caption).foregroundStyle(Color.accentColor)
                }
                if let followers = model.followersText(complaint) {
                    Text(followers).font(.caption2).foregroundStyle(.secondary)
                }
                Text(complaint.draft.description).font(.subheadline).lineLimit(1)
                Text(Format.dateTime(ms: complaint.createdAt)).font(.caption2).foregroundStyle(.secondary)
                if complaint.overdue { Text(L("complaint.overdue")).font(.caption2).foregroundStyle(.red) }
            }
            Spacer()
            StateBadge(complaint: complaint)
        }
    }
}

/// Where the complaint is: on the phone, refused, or (once sent) the municipality's status.
struct StateBadge: View {
    let complaint: Complaint

    var body: some View {
        let label = AppLanguage.display.badge(complaint)
        let attention = complaint.state == .needsAttention
        Text(label)
            .font(.caption)
            .padding(.horizontal, 8)
            .padding(.vertical, 4)
            .background(attention ? Color.red.opacity(0.15) : Color.secondary.opacity(0.12), in: Capsule())
            .foregroundStyle(attention ? Color.red : Color.primary)
    }
}
