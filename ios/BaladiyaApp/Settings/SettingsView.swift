import BaladiyaKit
import SwiftUI

/// Settings over BaladiyaKit's `SettingsModel`: language (the phone's, Arabic or English),
/// notifications per kind, the data used per section, clearing the saved bills, the version.
@MainActor
struct SettingsView: View {
    @ObservedObject var model: SettingsModel
    @State private var confirmClear = false

    var body: some View {
        List {
            if let message = model.message {
                Section { ErrorRow(text: message) { model.dismissMessage() } }
            }
            Section(L("settings.language")) {
                Picker(L("settings.language"), selection: Binding(get: { model.languageChoice }, set: { choice in
                    Task { await model.choose(choice) }
                })) {
                    ForEach(LanguageChoice.allCases, id: \.self) { choice in Text(model.label(choice)).tag(choice) }
                }
                .pickerStyle(.inline)
                .labelsHidden()
            }
            Section(L("settings.notifications")) {
                Toggle(L("settings.notify.complaints"), isOn: toggle(.complaintUpdate))
                Toggle(L("settings.notify.news"), isOn: toggle(.importantNews))
            }
            Section {
                ForEach(model.usage, id: \.feature) { row in
                    VStack(alignment: .leading, spacing: 2) {
                        Text(row.label).fontWeight(row.feature == "total" ? .bold : .regular)
                        Text(row.detail).font(.caption).foregroundStyle(.secondary)
                        Text(row.monthText).font(.caption).foregroundStyle(.secondary)
                    }
                    .accessibilityElement(children: .combine)
                }
            } header: {
                Text(L("settings.data"))
            } footer: {
                Text(L("settings.dataHelp"))
            }
            Section(L("settings.bills")) {
                Text(model.savedBillsText)
                Button(L("settings.bills.clear"), role: .destructive) { confirmClear = true }
                    .disabled(model.savedBills == 0)
            }
            Section {
                HStack {
                    Text(L("settings.version"))
                    Spacer()
                    Text(model.versionText).foregroundStyle(.secondary)
                }
            }
        }
        .navigationTitle(L("settings.title"))
        .confirmationDialog(L("settings.bills.clearConfirm"), isPresented: $confirmClear, titleVisibility: .visible) {
            Button(L("settings.bills.clear"), role: .destructive) { Task { await model.clearSavedBills() } }
            Button(L("keep"), role: .cancel) {}
        }
        .task { await model.reload() }
    }

    private func toggle(_ kind: NotificationKind) -> Binding<Bool> {
        Binding(get: { model.allowsNotification(kind) }, set: { model.setNotification(kind, on: $0) })
    }
}
