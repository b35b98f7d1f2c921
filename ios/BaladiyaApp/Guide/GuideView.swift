import BaladiyaKit
import SwiftUI

/// The guide tab: search as you type (BaladiyaKit's `GuideSearchModel`) with the matched words
/// marked, or, with no query, the services by category (`GuideBrowseModel`). All from the phone;
/// the guide is brought up to date once per launch in the background (a 304 of ~130 bytes when
/// unchanged) and on pull to refresh.
@MainActor
struct GuideView: View {
    @ObservedObject var search: GuideSearchModel
    @ObservedObject var browse: GuideBrowseModel
    let client: BaladiyaClient

    private var query: Binding<String> {
        Binding(get: { search.query }, set: { search.update(query: $0) })
    }

    private var searching: Bool {
        !search.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    var body: some View {
        List {
            if let text = browse.errorText {
                Section { ErrorRow(text: text) { browse.dismissError() } }
            }
            if let text = search.errorText, searching {
                Section { ErrorRow(text: text, onDismiss: nil) }
            }
            if browse.notDownloaded {
                Section {
                    Text(L("guide.notDownloaded"))
                    Button(L("retry")) { Task { await sync() } }
                }
            }
            if searching {
                ForEach(search.hits, id: \.self) { hit in
                    NavigationLink(value: hit.kind == .violation ? GuideRoute.violation(hit.id) : GuideRoute.service(hit.id)) {
                        HitRow(hit: hit)
                    }
                }
            } else {
                if !browse.chips.isEmpty {
                    ScrollView(.horizontal, showsIndicators: false) {
                        HStack {
                            chip(L("guide.allCategories"), selected: browse.category == nil) { Task { await browse.select(nil) } }
                            ForEach(browse.chips, id: \.id) { c in
                                chip(c.name, selected: browse.category == c.id) { Task { await browse.select(c.id) } }
                            }
                        }
                    }
                    .listRowInsets(EdgeInsets(top: 8, leading: 16, bottom: 8, trailing: 16))
                }
                ForEach(browse.services, id: \.id) { s in
                    NavigationLink(value: GuideRoute.service(s.id)) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(s.title.text).font(.headline)
                            Text(s.summary.text).font(.subheadline).foregroundStyle(.secondary).lineLimit(2)
                        }
                    }
                }
                if browse.version != nil {
                    NavigationLink(value: GuideRoute.violations) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(L("violations.title")).font(.headline)
                            Text(L("violations.summary")).font(.subheadline).foregroundStyle(.secondary)
                        }
                    }
                }
            }
        }
        .listStyle(.plain)
        .overlay {
            if searching && search.hits.isEmpty && search.errorText == nil {
                Text(L("guide.noResults", search.query)).foregroundStyle(.secondary).padding()
            }
        }
        .searchable(text: query, prompt: L("guide.searchHint"))
        .navigationTitle(L("guide.title"))
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                if browse.syncing {
                    ProgressView()
                } else {
                    Button { Task { await sync() } } label: {
                        Image(systemName: "arrow.clockwise")
                    }
                    .accessibilityLabel(L("guide.refresh"))
                }
            }
        }
        .refreshable { await sync() }
        .navigationDestination(for: GuideRoute.self) { route in
            switch route {
            case .service(let id): ServiceDetailView(client: client, id: id)
            case .violation(let id): ViolationsView(client: client, only: id)
            case .violations: ViolationsView(client: client, only: nil)
            }
        }
        .task { await appear() }
    }

    private func appear() async {
        await browse.loadLocal()
        guard !LaunchOnce.guideSynced else { return }
        LaunchOnce.guideSynced = true
        await browse.sync(userAsked: false)
        if searching { search.update(query: search.query) }
    }

    /// A sync the citizen asked for (it says why it failed), then the search again.
    private func sync() async {
        await browse.sync(userAsked: true)
        if searching { search.update(query: search.query) }
    }

    private func chip(_ title: String, selected: Bool, action: @escaping () -> Void) -> some View {
        Button(action: action) {
            Text(title)
                .font(.subheadline)
                .padding(.horizontal, 12)
                .padding(.vertical, 6)
                .background(selected ? Color.accentColor.opacity(0.2) : Color.clear, in: Capsule())
                .overlay(Capsule().stroke(Color.secondary.opacity(0.4)))
        }
        .buttonStyle(.plain)
    }
}

/// What happens once per launch.
@MainActor
enum LaunchOnce {
    static var guideSynced = false
    static var newsRefreshed = false
}

/// One hit, in the language the library chose for it (the app's, unless the query matched only
/// the other one: English typed in the Arabic app shows the English title), matches marked.
struct HitRow: View {
    let hit: GuideHit

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            if hit.kind == .violation {
                Text(L("hit.violation")).font(.caption).foregroundStyle(.secondary)
            }
            Text(hit.attributedTitle)
            Text(hit.attributedSummary).font(.subheadline).foregroundStyle(.secondary).lineLimit(2)
        }
    }
}

/// A failure, worded, with a way to dismiss it.
struct ErrorRow: View {
    let text: String
    let onDismiss: (() -> Void)?

    var body: some View {
        HStack(alignment: .top) {
            Image(systemName: "exclamationmark.circle").foregroundStyle(.red)
            Text(text).font(.subheadline)
            Spacer()
            if let onDismiss {
                Button(action: onDismiss) { Image(systemName: "xmark") }
                    .buttonStyle(.borderless)
                    .accessibilityLabel(L("dismiss"))
            }
        }
    }
}

/// A calm note (offline copy, waiting to send).
struct NoteRow: View {
    let text: String

    var body: some View {
        Label(text, systemImage: "info.circle").font(.subheadline)
    }
}
