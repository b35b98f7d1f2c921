import BaladiyaKit
import ImageIO
import PhotosUI
import SwiftUI
import UIKit

/// The complaint form over BaladiyaKit's `ComplaintFormModel`: a category and its questions (by
/// Open311 datatype), a description, a location or an address, up to three photos, contact or
/// anonymous. Filing needs no network. When the core refuses the draft, every field's problem is
/// shown under it, a banner says so by the button just tapped (and at the top), and the form
/// scrolls to the first field and focuses it if it is a text field. With `editing`, the form
/// changes a complaint still on the phone.
///
/// Before a new complaint with a location is filed, the model looks for the same problem reported
/// within 50 m (issue 15.3): what it offers comes up in a sheet, a card per request with "This is
/// my problem too — follow it", and "No, send mine" below them. Following goes back to the list,
/// where the followed request now is.
///
/// (`SwiftUI.Form` is spelled out: the bindings have a `Form` of their own, a service's form.)
@MainActor
struct ComplaintFormView: View {
    @ObservedObject var list: ComplaintListModel
    @StateObject private var model: ComplaintFormModel
    @EnvironmentObject private var router: Router
    @StateObject private var location = LocationProvider()

    @State private var pickerItems: [PhotosPickerItem] = []
    @State private var previews: [UIImage] = []
    @State private var photoFailed = false
    @State private var pickedDates: [String: Date] = [:]
    /// What to do once the nearby sheet has finished closing (an alert or a navigation started
    /// while it is still closing would be lost).
    @State private var afterNearby: AfterNearby?
    /// The text field with the keyboard, by the field name the core uses (`contact.phone`,
    /// `attribute[meter_number]`, …).
    @FocusState private var focused: String?

    private static let maxPhotos = 3

    init(list: ComplaintListModel, client: BaladiyaClient, editing: String?) {
        _list = ObservedObject(wrappedValue: list)
        _model = StateObject(wrappedValue: ComplaintFormModel(client: client, editing: editing))
    }

    var body: some View {
        ScrollViewReader { scroller in
            SwiftUI.Form {
                if let banner = model.bannerText {
                    Section { ErrorRow(text: banner, onDismiss: nil) }.id(Self.topBanner)
                }
                categorySection
                if !model.attributes.isEmpty {
                    Section {
                        ForEach(model.attributes, id: \.code) { def in attributeInput(def) }
                    }
                }
                Section(L("complaint.description")) {
                    TextField(L("complaint.description"), text: $model.details, axis: .vertical)
                        .lineLimit(4...10)
                        .focused($focused, equals: "description")
                    fieldError("description")
                }
                .id("description")
                whereSection
                if model.editing == nil { photosSection }
                contactSection
                Section {
                    // Beside the button the citizen just tapped: a problem far above is not missed.
                    if let banner = model.bannerText { ErrorRow(text: banner, onDismiss: nil) }
                    Button { Task { await submit() } } label: {
                        HStack {
                            Spacer()
                            if model.submitting { ProgressView() } else { Text(L(model.editing == nil ? "complaint.submit" : "complaint.save")).bold() }
                            Spacer()
                        }
                    }
                    .disabled(model.submitting)
                    if model.checkingNearby {
                        Text(L("nearby.checking")).font(.footnote).foregroundStyle(.secondary)
                    }
                }
            }
            .onChange(of: model.refusals) { _ in
                guard let field = model.focusField else { return }
                withAnimation { scroller.scrollTo(field, anchor: .top) }
                focused = field // takes effect only for a text field; a picker is scrolled to
            }
        }
        .navigationTitle(L(model.editing == nil ? "complaint.newTitle" : "complaint.editTitle"))
        .navigationBarTitleDisplayMode(.inline)
        .onChange(of: pickerItems) { items in Task { await loadPhotos(items) } }
        .onChange(of: location.point) { point in model.location = point }
        .alert(
            L(model.editing == nil ? "complaint.filedTitle" : "complaint.savedTitle"),
            isPresented: Binding(get: { model.filed != nil }, set: { if !$0 { finish() } })
        ) {
            Button(L("copy")) { UIPasteboard.general.string = model.filed }
            Button(L("ok"), role: .cancel) {}
        } message: {
            Text(L("complaint.trackingNumber") + "\n" + Format.tracking(model.filed ?? "") + "\n\n" + L("complaint.filedBody"))
        }
        .sheet(
            isPresented: Binding(
                get: { !model.nearby.isEmpty || model.following != nil },
                set: { shown in if !shown { closeNearby() } }
            ),
            onDismiss: nearbyClosed
        ) {
            NearbyOfferSheet(
                model: model,
                onSendMine: {
                    afterNearby = .sendMine
                    model.dismissNearby()
                },
                onDone: closeNearby)
        }
        .task {
            await model.load()
            if model.editing != nil { location.set(model.location) }
        }
    }

    private static let topBanner = "banner"

    // MARK: Sections

    private var categorySection: some View {
        Section(L("complaint.category")) {
            if model.categories.isEmpty && !model.loadingCategories {
                NoteRow(text: L("complaint.categoriesMissing"))
                Button(L("retry")) { Task { await model.load(refresh: true) } }
            }
            Picker(L("complaint.chooseCategory"), selection: Binding(get: { model.code }, set: { code in Task { await model.choose(code) } })) {
                Text("—").tag(String?.none)
                ForEach(model.categories, id: \.code) { c in
                    VStack(alignment: .leading) {
                        Text(c.name)
                        if !c.description.isEmpty { Text(c.description).font(.caption).foregroundStyle(.secondary) }
                        if let within = model.expectedTimeText(of: c) { Text(within).font(.caption).foregroundStyle(.secondary) }
                    }
                    .tag(Optional(c.code))
                }
            }
            .pickerStyle(.navigationLink)
            // Before filing: within what time the chosen category is dealt with (issue 15.4).
            if let within = model.expectedTimeText { Text(within).font(.footnote).foregroundStyle(.secondary) }
            if model.loadingCategories { ProgressView() }
            fieldError("service_code")
        }
        .id("service_code")
    }

    private var whereSection: some View {
        Section(L("complaint.where")) {
            if let p = location.point {
                HStack {
                    Label(L("complaint.locationSet", AppLanguage.display.coordinates(lat: p.lat, long: p.long)), systemImage: "location.fill")
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
            TextField(L("complaint.address"), text: $model.address, prompt: Text(L("complaint.addressHint")))
                .focused($focused, equals: "location")
            fieldError("location")
        }
        .id("location")
    }

    // Photos stay as they are when editing: the core edits the draft only.
    private var photosSection: some View {
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
                                .accessibilityLabel(L("complaint.photoN", Format.number(Int64(i + 1))))
                        }
                    }
                }
                Button(L("complaint.photosRemove"), role: .destructive) { pickerItems = [] }
            }
            // `.compatible` asks Photos for JPEG rather than HEIC, which the core cannot read.
            PhotosPicker(selection: $pickerItems, maxSelectionCount: Self.maxPhotos, matching: .images, preferredItemEncoding: .compatible) {
                Label(L("complaint.addPhoto"), systemImage: "photo")
            }
            if photoFailed { Text(L("complaint.photoFailed")).font(.footnote).foregroundStyle(.red) }
            fieldError("photo")
            fieldError("photos")
            if model.offersPhotoChoices {
                Toggle(isOn: $model.fullQuality) {
                    Text(L("complaint.fullQuality"))
                    Text(L("complaint.fullQualityHelp"))
                }
                Toggle(isOn: $model.photosOnWifi) {
                    Text(L("complaint.photosOnWifi"))
                    Text(L("complaint.photosOnWifiHelp"))
                }
            }
        }
        .id("photos")
    }

    private var contactSection: some View {
        Section {
            Toggle(L("complaint.anonymous"), isOn: $model.anonymous)
            if !model.anonymous {
                TextField(L("complaint.firstName"), text: $model.firstName).textContentType(.givenName)
                TextField(L("complaint.lastName"), text: $model.lastName).textContentType(.familyName)
                TextField(L("complaint.phone"), text: $model.phone)
                    .keyboardType(.phonePad)
                    .textContentType(.telephoneNumber)
                    .direction(of: .phone)
                    .focused($focused, equals: "contact.phone")
                    .id("contact.phone")
                fieldError("contact.phone")
                TextField(L("complaint.email"), text: $model.email)
                    .keyboardType(.emailAddress)
                    .textInputAutocapitalization(.never)
                    .direction(of: .email)
                    .focused($focused, equals: "contact.email")
                    .id("contact.email")
                fieldError("contact.email")
            }
        } header: {
            Text(L("complaint.contact"))
        } footer: {
            Text(L("complaint.anonymousHelp"))
        }
    }

    // MARK: Attributes

    @ViewBuilder
    private func attributeInput(_ def: AttributeDef) -> some View {
        let field = "attribute[\(def.code)]"
        let label = def.description + (def.required ? " *" : "")
        if !def.variable {
            // Not a question: information the category wants the citizen to read (a number to
            // call in it kept in order).
            Text(FreeText.attributed(def.description)).font(.footnote)
        } else {
            Group {
                switch def.datatype {
                case .string:
                    TextField(label, text: single(def.code))
                        .direction(of: model.kind(of: def))
                        .focused($focused, equals: field)
                case .number:
                    // Any digits (Arabic-Indic too) are accepted by the core.
                    TextField(label, text: single(def.code))
                        .keyboardType(.decimalPad)
                        .direction(of: model.kind(of: def))
                        .focused($focused, equals: field)
                case .text:
                    TextField(label, text: single(def.code), axis: .vertical)
                        .lineLimit(3...8)
                        .focused($focused, equals: field)
                case .datetime:
                    if model.answers[def.code]?.first == nil {
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
            }
            .id(field)
            fieldError(field)
        }
    }

    private func single(_ code: String) -> Binding<String> {
        Binding(get: { model.answers[code]?.first ?? "" }, set: { model.answers[code] = $0.isEmpty ? [] : [$0] })
    }

    private func member(_ code: String, _ key: String) -> Binding<Bool> {
        Binding(
            get: { model.answers[code]?.contains(key) ?? false },
            set: { on in
                var values = model.answers[code] ?? []
                values.removeAll { $0 == key }
                if on { values.append(key) }
                model.answers[code] = values
            }
        )
    }

    private func date(_ code: String) -> Binding<Date> {
        Binding(
            get: { pickedDates[code] ?? model.answers[code]?.first.flatMap(Display.parseRFC3339) ?? Date() },
            set: { setDate(code, $0) }
        )
    }

    private func setDate(_ code: String, _ date: Date) {
        pickedDates[code] = date
        model.answers[code] = [Format.rfc3339(date)]
    }

    @ViewBuilder
    private func fieldError(_ field: String) -> some View {
        if let text = model.errorText(for: field) {
            Text(text).font(.footnote).foregroundStyle(.red)
        }
    }

    // MARK: Photos

    /// Photos from the picker as bytes the core reads (JPEG or PNG; anything else re-encoded as JPEG), plus small previews.
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
        model.photos = data
        previews = thumbs
        photoFailed = failed
    }

    /// The bytes as they are when the core can decode them, else re-encoded as JPEG.
    private static func readable(_ data: Data) -> Data? {
        if PhotoData.isReadableByCore(data) { return data }
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

    private func submit(mine: Bool = false) async {
        // "No, send mine" after the nearby offer files without asking again.
        let filed: String?
        if mine { filed = await model.sendMine() } else { filed = await model.submit() }
        guard filed != nil else { return } // the model marked what to fix, or offers requests nearby
        await list.reload()
        // The municipality's answers arrive as notifications: ask now, when it is clear why.
        if model.editing == nil { Notifications.requestAuthorization() }
        // Sent now if there is a network; otherwise as soon as there is one.
        Connectivity.shared.flushSoon()
    }

    private enum AfterNearby { case sendMine, backToList }

    /// Close the nearby sheet (its close button, a swipe, or OK after following).
    private func closeNearby() {
        if model.following != nil {
            afterNearby = .backToList
            model.acknowledgeFollowing()
        } else {
            model.dismissNearby() // back to the form, nothing filed
        }
    }

    /// The sheet has closed: file the citizen's own complaint ("No, send mine"), or, after a
    /// following, go back to the list (where the followed request now is) and let the
    /// municipality count the citizen soon.
    private func nearbyClosed() {
        let next = afterNearby
        afterNearby = nil
        switch next {
        case .sendMine:
            Task { await submit(mine: true) }
        case .backToList:
            Task { await list.reload() }
            // Its changes arrive as notifications: ask now, when it is clear why.
            Notifications.requestAuthorization()
            Connectivity.shared.refreshSoon()
            router.complaintsPath = NavigationPath()
        case nil:
            break
        }
    }

    /// After the tracking number was shown: the new complaint's page (or back, after an edit).
    private func finish() {
        guard let id = model.filed else { return }
        model.acknowledgeFiled()
        if model.editing == nil {
            router.complaintsPath = NavigationPath([ComplaintRoute.detail(id)])
        } else if !router.complaintsPath.isEmpty {
            router.complaintsPath.removeLast()
        }
    }
}

/// The same problem reported nearby (issue 15.3): a card per request (category, number, distance,
/// status, what was written, followers), each with "This is my problem too — follow it", then "No,
/// send mine". After a following, what happened and an OK that goes back to the list.
@MainActor
private struct NearbyOfferSheet: View {
    @ObservedObject var model: ComplaintFormModel
    let onSendMine: () -> Void
    let onDone: () -> Void

    var body: some View {
        NavigationStack {
            List {
                if let text = model.followingText {
                    Section {
                        Label(text, systemImage: "checkmark.circle.fill")
                        Button(L("ok")) { onDone() }
                    }
                } else {
                    if let banner = model.bannerText {
                        Section { ErrorRow(text: banner, onDismiss: nil) }
                    }
                    Section { Text(L("nearby.intro")).font(.subheadline) }
                    ForEach(model.nearby) { offer in
                        Section {
                            VStack(alignment: .leading, spacing: 4) {
                                Text(offer.category).font(.headline)
                                Text(offer.number).font(.caption).foregroundStyle(.secondary)
                                Label(offer.distance, systemImage: "location")
                                if let status = offer.status { Text(status).font(.subheadline) }
                                if let description = offer.description { Text(FreeText.attributed(description)).lineLimit(4) }
                                if let address = offer.address { Text(address).font(.footnote) }
                                if let reported = offer.reported { Text(reported).font(.footnote).foregroundStyle(.secondary) }
                                Text(offer.followers).font(.footnote).foregroundStyle(.secondary)
                            }
                            .accessibilityElement(children: .ignore)
                            .accessibilityLabel(offer.accessibilityLabel)
                            Button { Task { await model.follow(offer) } } label: {
                                Label(L("nearby.follow"), systemImage: "person.2.fill").bold()
                            }
                            .disabled(model.submitting)
                            .accessibilityLabel(offer.followLabel)
                        }
                    }
                    Section {
                        Button(L("nearby.sendMine")) { onSendMine() }
                            .disabled(model.submitting)
                            .accessibilityLabel(L("nearby.sendMineLabel"))
                    }
                }
            }
            .navigationTitle(L(model.following == nil ? "nearby.title" : "nearby.followedTitle"))
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    if model.following == nil {
                        Button { onDone() } label: { Image(systemName: "xmark") }
                            .accessibilityLabel(L("dismiss"))
                    }
                }
            }
        }
        .environment(\.layoutDirection, AppLanguage.isRightToLeft ? .rightToLeft : .leftToRight)
    }
}
