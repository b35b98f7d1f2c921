import BaladiyaKit
import SwiftUI

/// One service in full (BaladiyaKit's `ServicePageModel`): steps, documents, fees, time, where to
/// go with one tap to call, chat on WhatsApp or open the website.
@MainActor
struct ServiceDetailView: View {
    let id: String
    @StateObject private var page: ServicePageModel
    @Environment(\.openURL) private var openURL

    init(client: BaladiyaClient, id: String) {
        self.id = id
        _page = StateObject(wrappedValue: ServicePageModel(client: client))
    }

    var body: some View {
        List {
            if let error = page.errorText { ErrorRow(text: error, onDismiss: nil) }
            if let s = page.service {
                Section {
                    Text(s.summary.text)
                    if let name = page.departmentName { Text(L("service.department", name)).foregroundStyle(.secondary) }
                }
                if !s.steps.isEmpty {
                    Section(L("service.steps")) {
                        ForEach(Array(s.steps.enumerated()), id: \.offset) { i, step in
                            HStack(alignment: .top) {
                                Text(AppLanguage.display.ordinal(i + 1)).bold()
                                Text(FreeText.attributed(step.text))
                            }
                        }
                    }
                }
                if !s.documents.isEmpty {
                    Section(L("service.documents")) {
                        ForEach(Array(s.documents.enumerated()), id: \.offset) { _, d in
                            VStack(alignment: .leading, spacing: 2) {
                                Text(d.name.text)
                                Text(AppLanguage.display.documentForm(d.form) + (d.notes.map { " — " + $0.text } ?? ""))
                                    .font(.footnote).foregroundStyle(.secondary)
                            }
                        }
                    }
                }
                Section(L("service.fees")) {
                    if s.fees.isEmpty { Text(L("fee.free")) }
                    ForEach(Array(s.fees.enumerated()), id: \.offset) { _, f in
                        VStack(alignment: .leading, spacing: 2) {
                            HStack(alignment: .top) {
                                Text(f.description.text)
                                Spacer()
                                Text(AppLanguage.display.fee(minor: f.amountMinor, currency: f.currency)).bold()
                            }
                            if let c = f.conditions { Text(c.text).font(.footnote).foregroundStyle(.secondary) }
                        }
                    }
                }
                Section(L("service.time")) { Text(s.processingTime.text.text) }
                if !s.channels.isEmpty {
                    Section(L("service.channels")) {
                        ForEach(Array(s.channels.enumerated()), id: \.offset) { _, ch in
                            VStack(alignment: .leading, spacing: 6) {
                                Text(ch.office.text).bold()
                                Text(ch.hours.text).font(.footnote)
                                if let phone = ch.phone, let url = ContactLinks.dial(phone) {
                                    Button { openURL(url) } label: {
                                        Label(L("channel.call", Format.phone(phone)), systemImage: "phone")
                                    }
                                }
                                if let wa = ch.whatsapp, let url = ContactLinks.whatsApp(wa) {
                                    Button { openURL(url) } label: {
                                        Label(L("channel.whatsapp", Format.phone(wa)), systemImage: "message")
                                    }
                                }
                                if let web = ch.web, let url = URL(string: web) {
                                    Button { openURL(url) } label: { Label(L("channel.web"), systemImage: "safari") }
                                }
                            }
                            .buttonStyle(.borderless)
                        }
                    }
                }
                if !s.forms.isEmpty {
                    Section(L("service.forms")) {
                        ForEach(Array(s.forms.enumerated()), id: \.offset) { _, form in
                            if let link = form.url, let url = URL(string: link) {
                                Button(form.title.text) { openURL(url) }
                            } else {
                                Text(form.title.text)
                            }
                        }
                    }
                }
                if !page.faqs.isEmpty {
                    Section(L("service.faqs")) {
                        ForEach(Array(page.faqs.enumerated()), id: \.offset) { _, faq in
                            VStack(alignment: .leading, spacing: 4) {
                                Text(faq.question).bold()
                                Text(FreeText.attributed(faq.answer))
                            }
                            .accessibilityElement(children: .combine)
                        }
                    }
                }
                Section {
                    Text(L("service.updated", Format.isoDate(s.updatedAt))).font(.caption).foregroundStyle(.secondary)
                }
            }
        }
        .navigationTitle(page.service?.title.text ?? "")
        .navigationBarTitleDisplayMode(.inline)
        .task { await page.load(service: id) }
    }
}

/// The violations guide: all of it, or the one violation a search hit named.
@MainActor
struct ViolationsView: View {
    let only: String?
    @StateObject private var page: ServicePageModel

    init(client: BaladiyaClient, only: String?) {
        self.only = only
        _page = StateObject(wrappedValue: ServicePageModel(client: client))
    }

    var body: some View {
        List {
            if let error = page.errorText { ErrorRow(text: error, onDismiss: nil) }
            ForEach(page.violations, id: \.id) { v in
                VStack(alignment: .leading, spacing: 4) {
                    Text(v.offence.text).bold()
                    Text(L("violation.fine", AppLanguage.display.fine(v)))
                    if let notes = v.fineNotes { Text(notes.text).font(.footnote) }
                    Text(L("violation.legalBasis", v.legalBasis.text)).font(.footnote).foregroundStyle(.secondary)
                }
            }
        }
        .navigationTitle(L("violations.title"))
        .task { await page.loadViolations(only: only) }
    }
}
