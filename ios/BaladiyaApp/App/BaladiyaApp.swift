import BaladiyaKit
import SwiftUI
import UIKit
import UserNotifications

/// The app: five sections (guide, complaints, bills, news, settings) over one `BaladiyaClient`. Everything a citizen reads comes from the
/// phone's store through BaladiyaKit; the views only render and call platform services.
@main
@MainActor
struct BaladiyaApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var appDelegate
    @Environment(\.scenePhase) private var scenePhase
    @StateObject private var router = Router.shared

    var body: some Scene {
        WindowGroup {
            Group {
                switch AppClient.shared {
                case .success(let client):
                    RootView(client: client)
                case .failure(let error):
                    // The store could not be opened (disk full, a damaged file the core could not
                    // set aside). Nothing else can work; say so plainly.
                    VStack(spacing: 12) {
                        Image(systemName: "exclamationmark.triangle").font(.largeTitle)
                        Text(describe(error)).multilineTextAlignment(.center)
                    }
                    .padding()
                }
            }
            .environmentObject(router)
            // Arabic first: right to left whenever the app runs in Arabic (the default language),
            // left to right in English; RootView follows a switch in Settings.
            .environment(\.layoutDirection, AppLanguage.isRightToLeft ? .rightToLeft : .leftToRight)
            .environment(\.locale, AppLanguage.locale)
        }
        .onChange(of: scenePhase) { phase in
            switch phase {
            case .background:
                BackgroundSync.schedule()
            case .active:
                // Anything filed while offline leaves now if there is a network.
                Connectivity.shared.flushSoon()
            default:
                break
            }
        }
    }
}

final class AppDelegate: NSObject, UIApplicationDelegate, UNUserNotificationCenterDelegate {
    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        // BGTaskScheduler requires the handler to be registered before launch finishes.
        BackgroundSync.register()
        UNUserNotificationCenter.current().delegate = self
        Connectivity.shared.start()
        return true
    }

    /// Show a notification that arrives while the app is open (a reply is worth seeing).
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        willPresent notification: UNNotification,
        withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void
    ) {
        completionHandler([.banner, .list, .sound])
    }

    /// A tap on a notification opens the complaint or the news item it is about.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        didReceive response: UNNotificationResponse,
        withCompletionHandler completionHandler: @escaping () -> Void
    ) {
        let info = response.notification.request.content.userInfo
        let complaint = info[Notifications.complaintKey] as? String
        let news = info[Notifications.newsKey] as? String
        Task { @MainActor in
            if let complaint { Router.shared.openComplaint(complaint) }
            if let news { Router.shared.openNews(news) }
            completionHandler()
        }
    }
}
