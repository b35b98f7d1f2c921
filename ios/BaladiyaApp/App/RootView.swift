import BaladiyaKit
import SwiftUI

/// The app's sections over one `BaladiyaClient`. On a phone (compact width) a tab bar with a
/// `NavigationStack` per tab; on an iPad (regular width, either orientation, also in Split View
/// when wide enough) a `NavigationSplitView`: the sections in a sidebar, the chosen one beside it.
/// The view models live here, for the whole session, so a section keeps its state while another
/// is shown.
@MainActor
struct RootView: View {
    let client: BaladiyaClient
    @EnvironmentObject private var router: Router
    @Environment(\.horizontalSizeClass) private var sizeClass
    @StateObject private var search: GuideSearchModel
    @StateObject private var browse: GuideBrowseModel
    @StateObject private var complaints: ComplaintListModel
    @StateObject private var news: NewsModel
    @StateObject private var bills: BillsModel
    @StateObject private var settings: SettingsModel
    @StateObject private var storeNotice: StoreNoticeModel

    init(client: BaladiyaClient) {
        self.client = client
        _search = StateObject(wrappedValue: GuideSearchModel(client: client))
        _browse = StateObject(wrappedValue: GuideBrowseModel(client: client))
        let complaints = ComplaintListModel(client: client)
        // The library said when the outbox tries again: ask iOS to wake the app then.
        complaints.scheduleRetry = { at in BackgroundSync.schedule(at: Date(timeIntervalSince1970: Double(at) / 1000)) }
        _complaints = StateObject(wrappedValue: complaints)
        _news = StateObject(wrappedValue: NewsModel(client: client))
        _bills = StateObject(wrappedValue: BillsModel(client: client))
        _storeNotice = StateObject(wrappedValue: StoreNoticeModel(client: client))
        let info = Bundle.main.infoDictionary ?? [:]
        _settings = StateObject(wrappedValue: SettingsModel(
            client: client, store: DefaultsPreferences(), preferredLanguages: AppLanguage.preferred,
            version: info["CFBundleShortVersionString"] as? String ?? "",
            build: info["CFBundleVersion"] as? String ?? ""))
    }

    var body: some View {
        Group {
            if sizeClass == .regular {
                split
            } else {
                tabs
            }
        }
        // Right to left in Arabic, left to right in English, following a switch in Settings at
        // once; `id` renders every text again in the new language.
        .environment(\.layoutDirection, settings.language == .ar ? .rightToLeft : .leftToRight)
        .environment(\.locale, AppLanguage.locale)
        .id(settings.language)
        .onChange(of: settings.language) { _ in
            // Search rows come in the app's language: ask again in the new one.
            if !search.query.isEmpty { search.update(query: search.query) }
        }
        .task {
            // Followed for the whole session: the complaint list and the unread badge stay
            // current from the library's events.
            complaints.start()
            news.start()
            storeNotice.start()
        }
        // The library rebuilt a damaged database: say once what was kept.
        .alert(storeNotice.title, isPresented: Binding(
            get: { storeNotice.recovery != nil }, set: { if !$0 { storeNotice.dismiss() } }
        )) {
            Button(L("ok")) { storeNotice.dismiss() }
        } message: {
            Text(storeNotice.message ?? "")
        }
    }

    private var tabs: some View {
        TabView(selection: $router.tab) {
            ForEach(AppTab.allCases, id: \.self) { tab in
                stack(tab)
                    .tabItem { Label(title(tab), systemImage: icon(tab)) }
                    .badge(tab == .news ? news.unreadCount : 0)
                    .tag(tab)
            }
        }
    }

    private var split: some View {
        NavigationSplitView {
            List(AppTab.allCases, id: \.self, selection: Binding(get: { router.tab }, set: { if let tab = $0 { router.tab = tab } })) { tab in
                Label(title(tab), systemImage: icon(tab))
                    .badge(tab == .news ? news.unreadCount : 0)
            }
            .navigationTitle(L("app.name"))
        } detail: {
            stack(router.tab)
        }
    }

    /// One section in its navigation stack (the complaints' and news' stacks are the router's,
    /// so a notification tap can open an item).
    @ViewBuilder
    private func stack(_ tab: AppTab) -> some View {
        switch tab {
        case .guide:
            NavigationStack { GuideView(search: search, browse: browse, client: client) }
        case .complaints:
            NavigationStack(path: $router.complaintsPath) { ComplaintsView(model: complaints, client: client) }
        case .bills:
            NavigationStack { BillsView(model: bills) }
        case .news:
            NavigationStack(path: $router.newsPath) { NewsView(model: news, client: client) }
        case .settings:
            NavigationStack { SettingsView(model: settings) }
        }
    }

    private func title(_ tab: AppTab) -> String {
        switch tab {
        case .guide: return L("tab.guide")
        case .complaints: return L("tab.complaints")
        case .bills: return L("tab.bills")
        case .news: return L("tab.news")
        case .settings: return L("tab.settings")
        }
    }

    private func icon(_ tab: AppTab) -> String {
        switch tab {
        case .guide: return "book"
        case .complaints: return "exclamationmark.bubble"
        case .bills: return "drop"
        case .news: return "newspaper"
        case .settings: return "gearshape"
        }
    }
}
