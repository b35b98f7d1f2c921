import BaladiyaKit
import SwiftUI

/// The bills tab: saved accounts, the lookup form, and the statement (stale banner with the date
/// when it is the offline copy).
@MainActor
struct BillsView: View {
    @ObservedObject var model: BillsModel
    @State private var forgetting: String?

    var body: some View {
        List {
            if let error = model.error {
                Section { ErrorRow(text: describe(error)) { model.error = nil } }
            }
            if !model.saved.isEmpty {
                Section(L("bills.saved")) {
                    ForEach(model.saved, id: \.account) { a in
                        Button { model.pick(a) } label: {
                            VStack(alignment: .leading, spacing: 2) {
                                Text(a.nickname).font(.headline)
                                Text(Format.ltr(a.account) + (a.fetchedAt.map { "  ·  " + L("bills.savedCopy", Format.dateTime(ms: $0)) } ?? ""))
                                    .font(.caption).foregroundStyle(.secondary)
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
                TextField(L("bills.account"), text: $model.account).keyboardType(.numberPad)
                TextField(verificationLabel, text: $model.verification)
                    .keyboardType(model.verificationInfo?.kind == "national_id" ? .numberPad : .phonePad)
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
            if let lookup = model.result {
                StatementSections(lookup: lookup, justSaved: model.justSaved)
            }
        }
        .navigationTitle(L("bills.title"))
        .confirmationDialog(
            L("bills.forgetConfirm", Format.ltr(forgetting ?? "")),
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

    private var verificationLabel: String {
        model.verificationInfo?.label.text ?? L("bills.phone")
    }
}

/// A statement: what is due, the current bill line by line, 24 months of history, payments.
struct StatementSections: View {
    let lookup: BillLookup
    let justSaved: Bool

    var body: some View {
        let st = lookup.statement
        let cur = st.currency
        Section {
            if lookup.stale {
                NoteRow(text: L("bill.stale", Format.dateTime(ms: lookup.fetchedAt)))
            } else {
                Text(L(justSaved ? "bill.savedFetched" : "bill.fetched", Format.dateTime(ms: lookup.fetchedAt)))
                    .font(.caption).foregroundStyle(.secondary)
            }
            VStack(alignment: .leading, spacing: 4) {
                Text(L("bill.account", Format.ltr(st.account))).bold()
                Text(st.holderMasked)
                Text(st.area.text + "  ·  " + accountType(st.accountType))
                Text(L("bill.totalDue")).font(.subheadline).padding(.top, 6)
                Text(Format.money(st.totalDueMinor, cur)).font(.largeTitle.bold())
                if st.arrearsMinor > 0 { Text(L("bill.arrears", Format.money(st.arrearsMinor, cur))) }
                Text(L("bill.dueDate", Format.isoDate(st.current.dueDate)))
            }
        }
        Section(L("bill.current", Format.period(st.current.period))) {
            let b = st.current
            Text(paymentStatus(b.status)).bold().foregroundStyle(statusColor(b.status))
            Text(L("bill.issued", Format.isoDate(b.issuedOn)))
            Text(L("bill.meter", Format.number(b.meterPrevious), Format.number(b.meterCurrent)))
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
                        Text(paymentStatus(b.status)).font(.caption).foregroundStyle(statusColor(b.status))
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

    private func paymentStatus(_ s: PaymentStatus) -> String {
        switch s {
        case .paid: return L("bill.status.paid")
        case .partlyPaid: return L("bill.status.partlyPaid")
        case .unpaid: return L("bill.status.unpaid")
        }
    }

    private func statusColor(_ s: PaymentStatus) -> Color {
        switch s {
        case .paid: return .green
        case .partlyPaid: return .orange
        case .unpaid: return .red
        }
    }

    private func accountType(_ type: String) -> String {
        switch type {
        case "household": return L("bill.type.household")
        case "commercial": return L("bill.type.commercial")
        default: return type
        }
    }
}
