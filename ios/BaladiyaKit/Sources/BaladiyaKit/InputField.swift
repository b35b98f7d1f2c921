import Foundation

/// What a text field holds, and so how it is laid out. Phone, account, meter and other
/// identifier fields are left-to-right inputs in both languages: typed in Arabic, `٠٥٩٩ ١٢٣ ٤٥٦`
/// must not show as `٤٥٦ ١٢٣ ٠٥٩٩`. The form views read `isLeftToRight` and set the layout
/// direction of those fields; digits of any of the three sets are accepted (the core
/// normalises them; `normalized` gives the ASCII form).
public enum FieldKind: Equatable {
    case phone
    case account
    /// The bill's verification factor: the registered phone number or the id number.
    case verification
    /// A meter, pole, container, plot or subscription number (a category's question).
    case identifier
    /// A number question (depth, count, amount).
    case number
    case email
    /// Words in the citizen's language (names, description, address, nickname).
    case text

    public var isLeftToRight: Bool {
        switch self {
        case .phone, .account, .verification, .identifier, .number, .email: return true
        case .text: return false
        }
    }

    /// What to offer on screen: digits only for these kinds (a phone pad for phones).
    public var wantsDigits: Bool {
        switch self {
        case .phone, .account, .verification, .number: return true
        case .identifier, .email, .text: return false
        }
    }

    /// The kind of a category's question: numbers, and the strings whose code names a number
    /// (`meter_number`, `pole_number`, `container_number`, …), are identifiers typed left to right.
    public static func of(_ def: AttributeDef) -> FieldKind {
        switch def.datatype {
        case .number: return .number
        case .string where def.code.hasSuffix("_number") || def.code.hasSuffix("_no"): return .identifier
        default: return .text
        }
    }

    /// The kind of a field the core names (`contact.phone`, `account`, `attribute[code]`, …).
    public static func of(field: String, definition: [AttributeDef] = []) -> FieldKind {
        switch field {
        case "contact.phone": return .phone
        case "contact.email": return .email
        case "account": return .account
        case "verification": return .verification
        default:
            if field.hasPrefix("attribute["), let def = definition.first(where: { "attribute[\($0.code)]" == field }) {
                return of(def)
            }
            return .text
        }
    }

    /// For a number-like field: digits of any set made ASCII, spaces and dashes dropped (a
    /// leading + kept). Other kinds: as typed.
    public func normalized(_ typed: String) -> String {
        guard wantsDigits || self == .identifier else { return typed }
        // The Arabic decimal separator (٫) is a point.
        let ascii = Digits.ascii(typed.trimmingCharacters(in: .whitespacesAndNewlines)).replacingOccurrences(of: "\u{066B}", with: ".")
        guard wantsDigits else { return ascii }
        let plus = ascii.hasPrefix("+") && self == .phone
        let kept = ascii.filter { $0.isASCII && ($0.isNumber || (self == .number && $0 == ".")) }
        return (plus ? "+" : "") + kept
    }
}

/// Photos for a complaint: what the core can decode as it is (JPEG, PNG). Anything else (HEIC
/// from the camera, WebP — the core refuses it, to stay small — a TIFF) is re-encoded as JPEG by
/// the app before filing.
public enum PhotoData {
    public static func isReadableByCore(_ data: Data) -> Bool {
        let head = [UInt8](data.prefix(8))
        let jpeg = head.starts(with: [0xFF, 0xD8])
        let png = head.starts(with: [0x89, 0x50, 0x4E, 0x47])
        return jpeg || png
    }
}
