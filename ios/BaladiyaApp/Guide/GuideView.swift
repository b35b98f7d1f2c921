import BaladiyaKit
import SwiftUI

/// The guide tab: search as you type (BaladiyaKit's GuideSearchModel) with the matched words
/// marked, or, with no query, the services by category. All from the phone; the guide is brought
/// up to date once per launch in the background (a 304 of ~130 bytes when unchanged) and on
/// pull to refresh.
@MainActor
struct GuideView: View {
    @ObservedObject var search: GuideSearchModel
    let client: BaladiyaClient

    /// A category as the chips show it (named apart from ObjectiveC's `Category`).
    private struct Chip: Hashable {
        let id: String
        let name: Localized
    }

    @State private var chips: [Chip] = []
    @State private var category: String?
    @State private var services: [Service] = []
    @State private var version: Int64?
    @State private var loaded = false
    @State private var syncing = false
    @State private var syncError: Error?

    private var query: Binding<String> {
        Binding(get: { search.query }, set: { search.update(query: $0) })
    }

    private var searching: Bool {
        !search.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    var body: some View {
        List {
            if let syncError {
                Section { ErrorRow(text: describe(syncError)) { self.syncError = nil } }
            }
            if let text = search.errorText, searching {
                Section { ErrorRow(text: text, onDismiss: nil) }
            }
            if loaded && version == nil && services.isEmpty {
                Section {
                    Text(L("guide.notDownloaded"))
                    Button(L("retry")) { Task { await sync(userAsked: true) } }
                }
            }
            if searching {
                ForEach(search.hits, id: \.self) { hit in
                    NavigationLink(value: hit.kind == .violation ? GuideRoute.violation(hit.id) : GuideRoute.service(hit.id)) {
                        HitRow(hit: hit)
                    }
                }
            } else {
                if !chips.isEmpty {
                    ScrollView(.horizontal, showsIndicators: false) {
                        HStack {
                            chip(L("guide.allCategories"), selected: category == nil) { select(nil) }
                            ForEach(chips, id: \.id) { c in
                                chip(c.name.text, selected: category == c.id) { select(c.id) }
                            }
                        }
                    }
                    .listRowInsets(EdgeInsets(top: 8, leading: 16, bottom: 8, trailing: 16))
                }
                ForEach(services, id: \.id) { s in
                    NavigationLink(value: GuideRoute.service(s.id)) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(s.title.text).font(.headline)
                            Text(s.summary.text).font(.subheadline).foregroundStyle(.secondary).lineLimit(2)
                        }
                    }
                }
                if version != nil {
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
                if syncing {
                    ProgressView()
                } else {
                    Button { Task { await sync(userAsked: true) } } label: {
                        Image(systemName: "arrow.clockwise")
                    }
                    .accessibilityLabel(L("guide.refresh"))
                }
            }
        }
        .refreshable { await sync(userAsked: true) }
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
        await loadLocal()
        guard !LaunchOnce.guideSynced else { return }
        LaunchOnce.guideSynced = true
        await sync(userAsked: false)
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

    private func select(_ id: String?) {
        category = id
        Task { services = (try? await client.services(categoryId: id)) ?? services }
    }

    private func loadLocal() async {
        version = try? await client.guideVersion()
        let categories = (try? await client.categories()) ?? []
        chips = categories.map { Chip(id: $0.id, name: $0.name) }
        services = (try? await client.services(categoryId: category)) ?? []
        loaded = true
    }

    /// The automatic sync at launch stays quiet offline (the guide on the phone is what the
    /// citizen reads anyway); a pull to refresh says why it failed.
    private func sync(userAsked: Bool) async {
        guard !syncing else { return }
        syncing = true
        defer { syncing = false }
        do {
            _ = try await client.syncGuide()
            syncError = nil
        } catch {
            let quiet: Bool
            switch error as? ApiError {
            case .Offline?, .Network?: quiet = !userAsked
            default: quiet = false
            }
            if !quiet { syncError = error }
        }
        await loadLocal()
        if searching { search.update(query: search.query) }
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
