import SwiftUI

enum AppTab: Hashable, CaseIterable {
    case guide, complaints, bills, news, settings
}

enum GuideRoute: Hashable {
    case service(String)
    case violation(String)
    case violations
}

enum ComplaintRoute: Hashable {
    case new
    case detail(String)
    case edit(String)
}

enum NewsRoute: Hashable {
    case item(String)
}

/// The selected tab and the navigation stacks a notification tap can push onto.
@MainActor
final class Router: ObservableObject {
    static let shared = Router()

    @Published var tab: AppTab = .guide
    @Published var complaintsPath = NavigationPath()
    @Published var newsPath = NavigationPath()

    func openComplaint(_ localId: String) {
        tab = .complaints
        complaintsPath = NavigationPath([ComplaintRoute.detail(localId)])
    }

    func openNews(_ id: String) {
        tab = .news
        newsPath = NavigationPath([NewsRoute.item(id)])
    }
}
