import BaladiyaKit
import SwiftUI

/// The bills tab over BaladiyaKit's `BillsModel`: saved accounts, the lookup form, and the
/// statement (stale banner with the date when it is the offline copy).
@MainActor
struct BillsView: View {
    @ObservedObject var model: BillsModel
    @State private var forgetting: String?

    var body: some View {
        List {
            if let error = model.errorText {
                Section { ErrorRow(text: error) { model.errorText = nil } }
            }
            if !model.saved.isEmpty {
                Section(L("bills.saved")) {
                    ForEach(model.saved, id: \.account) { a in
                        Button { model.pick(a) } label: {
                            VStack(alignment: .leading, spacing: 2) {
                                Text(a.nickname).font(.headline)
                                Text(model.savedLine(a)).font(.caption).foregroundStyle(.secondary)
                            }
                        }
                        .foregroundStyle(.primary)
                        .swipeActions {
                            Button(L("bills.forget"), role: .destructive) { forgetting = a.account }
                        }
                    }
                }
            }
            Section {
                // Account and phone numbers are typed left to right in both languages.
                TextField(L("bills.account"), text: $model.account)
                    .keyboardType(.numberPad)
                    .direction(of: .account)
                TextField(model.verificationLabel, text: $model.verification)
                    .keyboardType(model.verificationIsIdNumber ? .numberPad : .phonePad)
                    .direction(of: .verification)
                Button { Task { await model.lookup() } } label: {
                    HStack {
                        Text(L("bills.show")).bold()
                        if model.loading { Spacer(); ProgressView() }
                    }
                }
                .disabled(model.loading)
            } header: {
                Text(L("bills.lookup"))
            } footer: {
                Text(L("bills.accountHelp") + "\n" + L("bills.verificationHelp"))
            }
            Section {
                TextField(L("bills.nickname"), text: $model.nickname, prompt: Text(L("bills.nicknameHint")))
                Button(L("bills.save")) { Task { await model.save() } }.disabled(model.loading)
            }
            if let lookup = model.result, let note = model.resultNote {
                StatementSections(lookup: lookup, note: note)
            }
        }
        .navigationTitle(L("bills.title"))
        .confirmationDialog(
            L("bills.forgetConfirm", Format.account(forgetting ?? "")),
            isPresented: Binding(get: { forgetting != nil }, set: { if !$0 { forgetting = nil } }),
            titleVisibility: .visible
        ) {
            Button(L("bills.forget"), role: .destructive) {
                if let account = forgetting { Task { await model.forget(account) } }
            }
            Button(L("keep"), role: .cancel) {}
        }
        .task { await model.load() }
    }
}

/// A statement: what is due, the current bill line by line, 24 months of history, payments.
struct StatementSections: View {
    let lookup: BillLookup
    /// When it was fetched, or that it is the offline copy of that date (`BillsModel.resultNote`).
    let note: (text: String, stale: Bool)
    private var d: Display { AppLanguage.display }

    var body: some View {
        let st = lookup.statement
        let cur = st.currency
        Section {
            if note.stale {
                NoteRow(text: note.text)
            } else {
                Text(note.text).font(.caption).foregroundStyle(.secondary)
            }
            VStack(alignment: .leading, spacing: 4) {
                Text(L("bill.account", Format.account(st.account))).bold()
                Text(st.holderMasked)
                Text(st.area.text + "  ·  " + d.accountType(st.accountType))
                Text(L("bill.totalDue")).font(.subheadline).padding(.top, 6)
                Text(Format.money(st.totalDueMinor, cur)).font(.largeTitle.bold())
                if st.arrearsMinor > 0 { Text(L("bill.arrears", Format.money(st.arrearsMinor, cur))) }
                Text(L("bill.dueDate", Format.isoDate(st.current.dueDate)))
            }
        }
        Section(L("bill.current", Format.period(st.current.period))) {
            let b = st.current
            Text(d.paymentStatus(b.status)).bold().foregroundStyle(statusColor(b.status))
            Text(L("bill.issued", Format.isoDate(b.issuedOn)))
            Text(L("bill.meter", d.meterReading(b.meterPrevious), d.meterReading(b.meterCurrent)))
            Text(L("bill.consumption", L("cubicMeters", Format.number(b.consumptionM3))))
            ForEach(Array(b.lines.enumerated()), id: \.offset) { _, line in
                HStack(alignment: .top) {
                    VStack(alignment: .leading) {
                        Text(line.label.text)
                        if let q = line.quantityM3, let rate = line.rateMinor {
                            Text(L("bill.lineDetail", L("cubicMeters", Format.number(q)), Format.money(rate, cur)))
                                .font(.caption).foregroundStyle(.secondary)
                        }
                    }
                    Spacer()
                    Text(Format.money(line.amountMinor, cur))
                }
            }
            HStack { Text(L("bill.total")).bold(); Spacer(); Text(Format.money(b.totalMinor, cur)).bold() }
            if b.paidMinor > 0 { HStack { Text(L("bill.paid")); Spacer(); Text(Format.money(b.paidMinor, cur)) } }
        }
        if !st.history.isEmpty {
            Section(L("bill.history")) {
                ForEach(Array(st.history.enumerated()), id: \.offset) { _, b in
                    HStack {
                        Text(Format.period(b.period))
                        Spacer()
                        Text(L("cubicMeters", Format.number(b.consumptionM3))).foregroundStyle(.secondary)
                        Text(Format.money(b.totalMinor, cur)).frame(minWidth: 90, alignment: .trailing)
                        Text(d.paymentStatus(b.status)).font(.caption).foregroundStyle(statusColor(b.status))
                    }
                }
            }
        }
        if !st.payments.isEmpty {
            Section(L("bill.payments")) {
                ForEach(Array(st.payments.enumerated()), id: \.offset) { _, p in
                    VStack(alignment: .leading) {
                        HStack { Text(Format.isoDate(p.date)); Spacer(); Text(Format.money(p.amountMinor, cur)).bold() }
                        Text(p.place.text).font(.caption).foregroundStyle(.secondary)
                    }
                }
            }
        }
        if !st.howToPay.isEmpty {
            Section(L("bill.howToPay")) {
                ForEach(Array(st.howToPay.enumerated()), id: \.offset) { _, way in Text("• " + way.text) }
            }
        }
    }

    private func statusColor(_ s: PaymentStatus) -> Color {
        switch s {
        case .paid: return .green
        case .partlyPaid: return .orange
        case .unpaid: return .red
        }
    }
}
