import BaladiyaKit
import ImageIO
import PhotosUI
import SwiftUI
import UIKit

/// The complaint form: a category and its questions (by Open311 datatype), a description, a
/// location or an address, up to three photos, contact or anonymous. Filing needs no network:
/// the core checks the draft, prepares the photos and writes the outbox; the tracking number is
/// shown at once. With `editing`, the form changes a complaint still on the phone.
///
/// (`SwiftUI.Form` is spelled out: the bindings have a `Form` of their own, a service's form.)
@MainActor
struct ComplaintFormView: View {
    @ObservedObject var model: ComplaintListModel
    let client: BaladiyaClient
    let editing: String?

    @EnvironmentObject private var router: Router
    @StateObject private var location = LocationProvider()

    @State private var categories: [ComplaintCategory] = []
    @State private var loadingCategories = false
    @State private var code: String?
    @State private var attributes: [AttributeDef] = []
    @State private var answers: [String: [String]] = [:]
    @State private var details = ""
    @State private var address = ""
    @State private var pickerItems: [PhotosPickerItem] = []
    @State private var photos: [Data] = []
    @State private var previews: [UIImage] = []
    @State private var photoFailed = false
    @State private var anonymous = false
    @State private var firstName = ""
    @State private var lastName = ""
    @State private var phone = ""
    @State private var email = ""
    @State private var submitting = false
    @State private var error: Error?
    @State private var filed: String?
    @State private var prefilled = false
    @State private var pickedDates: [String: Date] = [:]
    /// The category whose answers came with the complaint being edited (kept when it loads).
    @State private var keepAnswersFor: String?

    private static let maxPhotos = 3

    var body: some View {
        SwiftUI.Form {
            if let error, validationField(error) == nil {
                Section { ErrorRow(text: describe(error)) { self.error = nil } }
            }

            Section(L("complaint.category")) {
                if categories.isEmpty && !loadingCategories {
                    NoteRow(text: L("complaint.categoriesMissing"))
                    Button(L("retry")) { Task { await loadCategories(refresh: true) } }
                }
                Picker(L("complaint.chooseCategory"), selection: $code) {
                    Text("—").tag(String?.none)
                    ForEach(categories, id: \.code) { c in
                        VStack(alignment: .leading) {
                            Text(c.name)
                            if !c.description.isEmpty { Text(c.description).font(.caption).foregroundStyle(.secondary) }
                        }
                        .tag(Optional(c.code))
                    }
                }
                .pickerStyle(.navigationLink)
                if loadingCategories { ProgressView() }
                fieldError("service_code")
            }

            if !attributes.isEmpty {
                Section {
                    ForEach(attributes, id: \.code) { def in attributeInput(def) }
                }
            }

            Section(L("complaint.description")) {
                TextField(L("complaint.description"), text: $details, axis: .vertical).lineLimit(4...10)
                fieldError("description")
            }

            Section(L("complaint.where")) {
                if let p = location.point {
                    HStack {
                        Label(L("complaint.locationSet", Format.ltr(String(format: "%.5f, %.5f", p.lat, p.long))), systemImage: "location.fill")
                        Spacer()
                        Button { location.clear() } label: { Image(systemName: "xmark.circle") }
                            .buttonStyle(.borderless)
                            .accessibilityLabel(L("complaint.locationClear"))
                    }
                }
                Button { location.locate() } label: {
                    HStack {
                        Label(L("complaint.useLocation"), systemImage: "location")
                        if location.locating { Spacer(); ProgressView() }
                    }
                }
                .disabled(location.locating)
                if location.failed { Text(L("complaint.locationFailed")).font(.footnote).foregroundStyle(.red) }
                TextField(L("complaint.address"), text: $address, prompt: Text(L("complaint.addressHint")))
                fieldError("location")
            }

            // Photos stay as they are when editing: the core edits the draft only.
            if editing == nil {
                Section(L("complaint.photos")) {
                    if !previews.isEmpty {
                        ScrollView(.horizontal) {
                            HStack {
                                ForEach(previews.indices, id: \.self) { i in
                                    Image(uiImage: previews[i])
                                        .resizable()
                                        .scaledToFill()
                                        .frame(width: 80, height: 80)
                                        .clipped()
                                        .accessibilityLabel(L("complaint.photoN", i + 1))
                                }
                            }
                        }
                        Button(L("complaint.photosRemove"), role: .destructive) {
                            pickerItems = []
                        }
                    }
                    // `.compatible` asks Photos for JPEG rather than HEIC, which the core cannot read.
                    PhotosPicker(
                        selection: $pickerItems,
                        maxSelectionCount: Self.maxPhotos,
                        matching: .images,
                        preferredItemEncoding: .compatible
                    ) {
                        Label(L("complaint.addPhoto"), systemImage: "photo")
                    }
                    if photoFailed { Text(L("complaint.photoFailed")).font(.footnote).foregroundStyle(.red) }
                    fieldError("photo")
                    fieldError("photos")
                }
            }

            Section {
                Toggle(L("complaint.anonymous"), isOn: $anonymous)
                if !anonymous {
                    TextField(L("complaint.firstName"), text: $firstName).textContentType(.givenName)
                    TextField(L("complaint.lastName"), text: $lastName).textContentType(.familyName)
                    TextField(L("complaint.phone"), text: $phone).keyboardType(.phonePad).textContentType(.telephoneNumber)
                    fieldError("contact.phone")
                    TextField(L("complaint.email"), text: $email).keyboardType(.emailAddress).textInputAutocapitalization(.never)
                    fieldError("contact.email")
                }
            } header: {
                Text(L("complaint.contact"))
            } footer: {
                Text(L("complaint.anonymousHelp"))
            }

            Section {
                Button { Task { await submit() } } label: {
                    HStack {
                        Spacer()
                        if submitting { ProgressView() } else { Text(L(editing == nil ? "complaint.submit" : "complaint.save")).bold() }
                        Spacer()
                    }
                }
                .disabled(submitting)
            }
        }
        .navigationTitle(L(editing == nil ? "complaint.newTitle" : "complaint.editTitle"))
        .navigationBarTitleDisplayMode(.inline)
        .onChange(of: code) { newCode in Task { await loadDefinition(newCode) } }
        .onChange(of: pickerItems) { items in Task { await loadPhotos(items) } }
        .alert(
            L(editing == nil ? "complaint.filedTitle" : "complaint.savedTitle"),
            isPresented: Binding(get: { filed != nil }, set: { if !$0 { finish() } })
        ) {
            Button(L("copy")) { UIPasteboard.general.string = filed }
            Button(L("ok"), role: .cancel) {}
        } message: {
            Text(L("complaint.trackingNumber") + "\n" + Format.ltr(filed ?? "") + "\n\n" + L("complaint.filedBody"))
        }
        .task { await loadCategories(refresh: false) }
    }

    // MARK: Attributes

    @ViewBuilder
    private func attributeInput(_ def: AttributeDef) -> some View {
        let label = def.description + (def.required ? " *" : "")
        if !def.variable {
            // Not a question: information the category wants the citizen to read.
            Text(def.description).font(.footnote)
        } else {
            switch def.datatype {
            case .string:
                TextField(label, text: single(def.code))
            case .number:
                // Any digits (Arabic-Indic too) are accepted by the core.
                TextField(label, text: single(def.code)).keyboardType(.decimalPad)
            case .text:
                TextField(label, text: single(def.code), axis: .vertical).lineLimit(3...8)
            case .datetime:
                if answers[def.code]?.first == nil {
                    Button(label + " — " + L("complaint.pickDate")) { setDate(def.code, Date()) }
                } else {
                    DatePicker(label, selection: date(def.code), in: ...Date(), displayedComponents: [.date, .hourAndMinute])
                }
            case .singleValueList:
                Picker(label, selection: single(def.code)) {
                    Text("—").tag("")
                    ForEach(def.values, id: \.key) { v in Text(v.name).tag(v.key) }
                }
            case .multiValueList:
                VStack(alignment: .leading) {
                    Text(label)
                    ForEach(def.values, id: \.key) { v in
                        Toggle(v.name, isOn: member(def.code, v.key))
                    }
                }
            }
            fieldError("attribute[\(def.code)]")
        }
    }

    private func single(_ code: String) -> Binding<String> {
        Binding(get: { answers[code]?.first ?? "" }, set: { answers[code] = $0.isEmpty ? [] : [$0] })
    }

    private func member(_ code: String, _ key: String) -> Binding<Bool> {
        Binding(
            get: { answers[code]?.contains(key) ?? false },
            set: { on in
                var values = answers[code] ?? []
                values.removeAll { $0 == key }
                if on { values.append(key) }
                answers[code] = values
            }
        )
    }

    private func date(_ code: String) -> Binding<Date> {
        Binding(
            get: { pickedDates[code] ?? answers[code]?.first.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date() },
            set: { setDate(code, $0) }
        )
    }

    private func setDate(_ code: String, _ date: Date) {
        pickedDates[code] = date
        answers[code] = [Format.rfc3339(date)]
    }

    @ViewBuilder
    private func fieldError(_ field: String) -> some View {
        if let error, validationField(error) == field {
            Text(describe(error)).font(.footnote).foregroundStyle(.red)
        }
    }

    // MARK: Loading

    private func loadCategories(refresh: Bool) async {
        do {
            var found = try await client.complaintCategories()
            if found.isEmpty || refresh {
                loadingCategories = true
                defer { loadingCategories = false }
                _ = try await client.refreshComplaintCategories()
                found = try await client.complaintCategories()
            }
            categories = found.sorted { $0.group < $1.group }
            if let editing, !prefilled {
                prefilled = true
                try await prefill(editing)
            }
        } catch {
            self.error = error
        }
    }

    private func prefill(_ localId: String) async throws {
        let draft = try await client.complaint(localId: localId).draft
        keepAnswersFor = draft.serviceCode
        code = draft.serviceCode
        attributes = try await client.complaintDefinition(code: draft.serviceCode).sorted { $0.order < $1.order }
        answers = Dictionary(draft.attributes.map { ($0.code, $0.values) }, uniquingKeysWith: { first, _ in first })
        details = draft.description
        address = draft.address ?? ""
        location.set(draft.location)
        anonymous = draft.contact == nil
        firstName = draft.contact?.firstName ?? ""
        lastName = draft.contact?.lastName ?? ""
        phone = draft.contact?.phone ?? ""
        email = draft.contact?.email ?? ""
    }

    private func loadDefinition(_ newCode: String?) async {
        guard let newCode else {
            attributes = []
            return
        }
        do {
            let defs = try await client.complaintDefinition(code: newCode).sorted { $0.order < $1.order }
            guard code == newCode else { return }
            attributes = defs
            // A new category asks its own questions; an edit's prefilled answers stay.
            if keepAnswersFor == newCode {
                keepAnswersFor = nil
            } else {
                answers = [:]
                pickedDates = [:]
            }
        } catch {
            self.error = error
        }
    }

    /// Photos from the picker as bytes the core reads (JPEG, PNG or WebP), plus small previews.
    private func loadPhotos(_ items: [PhotosPickerItem]) async {
        var data: [Data] = []
        var thumbs: [UIImage] = []
        var failed = false
        for item in items.prefix(Self.maxPhotos) {
            guard let raw = try? await item.loadTransferable(type: Data.self), let usable = Self.readable(raw) else {
                failed = true
                continue
            }
            data.append(usable)
            if let thumb = Self.thumbnail(usable) { thumbs.append(thumb) }
        }
        photos = data
        previews = thumbs
        photoFailed = failed
    }

    /// The bytes as they are when the core can decode them, else re-encoded as JPEG.
    private static func readable(_ data: Data) -> Data? {
        let head = [UInt8](data.prefix(12))
        let jpeg = head.starts(with: [0xFF, 0xD8])
        let png = head.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let webp = head.count == 12 && head[0..<4] == [0x52, 0x49, 0x46, 0x46] && head[8..<12] == [0x57, 0x45, 0x42, 0x50]
        if jpeg || png || webp { return data }
        return UIImage(data: data)?.jpegData(compressionQuality: 0.9)
    }

    /// A small preview without decoding the full picture (ImageIO).
    private static func thumbnail(_ data: Data) -> UIImage? {
        guard let source = CGImageSourceCreateWithData(data as CFData, nil) else { return nil }
        let options: [CFString: Any] = [
            kCGImageSourceCreateThumbnailFromImageAlways: true,
            kCGImageSourceCreateThumbnailWithTransform: true,
            kCGImageSourceThumbnailMaxPixelSize: 240,
        ]
        guard let image = CGImageSourceCreateThumbnailAtIndex(source, 0, options as CFDictionary) else { return nil }
        return UIImage(cgImage: image)
    }

    // MARK: Filing

    private func submit() async {
        let blank = { (s: String) -> String? in
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        let draft = ComplaintDraft(
            serviceCode: code ?? "",
            description: details,
            attributes: answers.filter { !$0.value.isEmpty }
                .map { AttributeAnswer(code: $0.key, values: $0.value) }
                .sorted { $0.code < $1.code },
            location: location.point,
            address: blank(address),
            // Anonymous: no personal field at all leaves the phone.
            contact: anonymous ? nil : Contact(firstName: blank(firstName), lastName: blank(lastName), phone: blank(phone), email: blank(email))
        )
        error = nil
        submitting = true
        defer { submitting = false }
        do {
            if let editing {
                try await client.editComplaint(localId: editing, draft: draft)
                await model.reload()
                filed = editing
            } else {
                filed = try await model.submit(draft, photos: photos)
                // The municipality's answers arrive as notifications: ask now, when it is clear why.
                Notifications.requestAuthorization()
            }
            // Sent now if there is a network; otherwise as soon as there is one.
            Connectivity.shared.flushSoon()
        } catch {
            self.error = error
        }
    }

    /// After the tracking number was shown: the new complaint's page (or back, after an edit).
    private func finish() {
        guard let id = filed else { return }
        filed = nil
        if editing == nil {
            router.complaintsPath = NavigationPath([ComplaintRoute.detail(id)])
        } else if !router.complaintsPath.isEmpty {
            router.complaintsPath.removeLast()
        }
    }
}
