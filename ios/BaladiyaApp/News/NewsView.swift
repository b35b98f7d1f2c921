import BaladiyaKit
import SwiftUI

/// The news tab, over BaladiyaKit's NewsModel: the latest 100 items on the phone, unread dots,
/// a filter, mark all read, pull to refresh (one conditional request, ~130 bytes when nothing
/// changed). Refreshed once per launch in the background too.
@MainActor
struct NewsView: View {
    @ObservedObject var model: NewsModel
    let client: BaladiyaClient

    var body: some View {
        List {
            if let text = model.errorText {
                Section { ErrorRow(text: text, onDismiss: nil) }
            }
            Section {
                Toggle(L("news.unreadOnly"), isOn: $model.unreadOnly)
            } footer: {
                Text(Lp("news.unread.count", model.unreadCount))
            }
            if model.items.isEmpty {
                Text(L("news.empty")).foregroundStyle(.secondary)
            }
            ForEach(model.items, id: \.item.id) { n in
                NavigationLink(value: NewsRoute.item(n.item.id)) { NewsRow(news: n) }
            }
        }
        .navigationTitle(L("news.title"))
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                if model.unreadCount > 0 {
                    Button { Task { await model.markAllRead() } } label: { Image(systemName: "checkmark.circle") }
                        .accessibilityLabel(L("news.markAllRead"))
                }
            }
        }
        .refreshable { await model.refresh() }
        .navigationDestination(for: NewsRoute.self) { route in
            switch route {
            case .item(let id): NewsItemView(model: model, client: client, id: id)
            }
        }
        .task { await refreshOncePerLaunch() }
    }

    private func refreshOncePerLaunch() async {
        guard !LaunchOnce.newsRefreshed else { return }
        LaunchOnce.newsRefreshed = true
        await model.refresh()
    }
}

struct NewsRow: View {
    let news: StoredNews

    var body: some View {
        HStack(alignment: .top, spacing: 10) {
            // The unread dot; a read item keeps the space so titles align.
            Circle()
                .fill(news.read ? Color.clear : Color.accentColor)
                .frame(width: 9, height: 9)
                .padding(.top, 6)
                .accessibilityHidden(true)
            VStack(alignment: .leading, spacing: 3) {
                Text(AppLanguage.display.newsCategory(news.item.category) + "  ·  " + Format.rfc3339(news.item.publishedAt))
                    .font(.caption).foregroundStyle(.secondary)
                HStack(alignment: .firstTextBaseline) {
                    if news.item.important {
                        Image(systemName: "exclamationmark.triangle.fill").foregroundStyle(.orange)
                            .accessibilityLabel(L("news.important"))
                    }
                    Text(news.item.title.text).fontWeight(news.read ? .regular : .bold).lineLimit(2)
                }
            }
        }
        .accessibilityElement(children: .combine)
        .accessibilityHint(news.read ? "" : L("news.unread"))
    }
}

/// One item, opened from the list or a notification, and marked read.
struct NewsItemView: View {
    @ObservedObject var model: NewsModel
    let client: BaladiyaClient
    let id: String
    @State private var item: NewsItem?
    @State private var missing = false
    @Environment(\.openURL) private var openURL

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 10) {
                if let item {
                    Text(AppLanguage.display.newsCategory(item.category) + "  ·  " + Format.rfc3339(item.publishedAt))
                        .font(.caption).foregroundStyle(.secondary)
                    Text(item.title.text).font(.title2.bold())
                    // The server's small Markdown subset (bold, https links, "- " lists), then the
                    // kit marks phone, account and tracking numbers: isolated, phones dialable.
                    Text(FreeText.decorate(markdown(item.body.text)))
                    // Pictures cost data: only on request, in the browser.
                    if let link = item.imageUrl, let url = URL(string: link) {
                        Button(L("news.openImage")) { openURL(url) }
                    }
                } else if missing {
                    Text(L("news.gone")).foregroundStyle(.secondary)
                }
            }
            .frame(maxWidth: .infinity, alignment: .leading)
            .padding()
        }
        .navigationTitle(L("news.title"))
        .navigationBarTitleDisplayMode(.inline)
        .task {
            let found = await model.open(id: id)
            item = found?.item
            missing = found == nil
        }
    }

    private func markdown(_ text: String) -> AttributedString {
        let options = AttributedString.MarkdownParsingOptions(interpretedSyntax: .inlineOnlyPreservingWhitespace)
        return (try? AttributedString(markdown: text, options: options)) ?? AttributedString(text)
    }
}
