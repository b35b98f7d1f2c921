import BaladiyaKit
import SwiftUI

/// The four tabs. BaladiyaKit's view models (search, complaints, news) and the app's bills model
/// live here, for the whole session, so a tab keeps its state while another is shown.
@MainActor
struct RootView: View {
    let client: BaladiyaClient
    @EnvironmentObject private var router: Router
    @StateObject private var search: GuideSearchModel
    @StateObject private var complaints: ComplaintListModel
    @StateObject private var news: NewsModel
    @StateObject private var bills: BillsModel

    init(client: BaladiyaClient) {
        self.client = client
        _search = StateObject(wrappedValue: GuideSearchModel(client: client))
        _complaints = StateObject(wrappedValue: ComplaintListModel(client: client))
        _news = StateObject(wrappedValue: NewsModel(client: client))
        _bills = StateObject(wrappedValue: BillsModel(client: client))
    }

    var body: some View {
        TabView(selection: $router.tab) {
            NavigationStack {
                GuideView(search: search, client: client)
            }
            .tabItem { Label(L("tab.guide"), systemImage: "book") }
            .tag(AppTab.guide)

            NavigationStack(path: $router.complaintsPath) {
                ComplaintsView(model: complaints, client: client)
            }
            .tabItem { Label(L("tab.complaints"), systemImage: "exclamationmark.bubble") }
            .tag(AppTab.complaints)

            NavigationStack {
                BillsView(model: bills)
            }
            .tabItem { Label(L("tab.bills"), systemImage: "drop") }
            .tag(AppTab.bills)

            NavigationStack(path: $router.newsPath) {
                NewsView(model: news, client: client)
            }
            .tabItem { Label(L("tab.news"), systemImage: "newspaper") }
            .badge(news.unreadCount)
            .tag(AppTab.news)
        }
        .task {
            // Followed for the whole session: the complaint list and the unread badge stay
            // current from the library's events.
            complaints.start()
            news.start()
        }
    }
}
