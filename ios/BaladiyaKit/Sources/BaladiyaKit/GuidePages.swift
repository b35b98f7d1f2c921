import Foundation
import BaladiyaBindings

extension GuidePage {
    /// The hits of a compact search page, as the `GuideHit`s `Baladiya.searchGuide` would return.
    ///
    /// The library sends a page of search hits as one buffer (layout documented in
    /// `bindings/src/page.rs`): one value to lift instead of ~13 per hit, each of which the
    /// generated reader copies out of `Data` through unspecialised generic code on Linux. A
    /// malformed page (a library and bindings of different builds) throws `ApiError.Internal`.
    public func hits() throws -> [GuideHit] {
        let decoded: [GuideHit]? = data.withUnsafeBytes { raw in
            var reader = PageReader(raw: raw)
            return reader.page()
        }
        guard let decoded else { throw ApiError.Internal(detail: "malformed search page") }
        return decoded
    }
}

private struct PageReader {
    let raw: UnsafeRawBufferPointer
    var at = 0

    init(raw: UnsafeRawBufferPointer) { self.raw = raw }

    mutating func page() -> [GuideHit]? {
        guard let count = u32(), Int(count) <= raw.count / 24 else { return nil }
        var hits: [GuideHit] = []
        hits.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let flags = u32(), let idLen = u32(), let titleLen = u32(), let summaryLen = u32(),
                  let titleSpans = u32(), let summarySpans = u32(),
                  let titleHighlights = spans(titleSpans), let summaryHighlights = spans(summarySpans),
                  let id = text(idLen), let title = text(titleLen), let summary = text(summaryLen)
            else { return nil }
            hits.append(GuideHit(
                kind: flags & 1 != 0 ? .violation : .service, id: id, lang: flags & 2 != 0 ? .en : .ar,
                title: title, summary: summary,
                titleHighlights: titleHighlights, summaryHighlights: summaryHighlights))
        }
        return at == raw.count ? hits : nil
    }

    mutating func u32() -> UInt32? {
        guard raw.count - at >= 4 else { return nil }
        let value = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        at += 4
        return UInt32(littleEndian: value)
    }

    mutating func spans(_ n: UInt32) -> [TextSpan]? {
        guard UInt64(n) * 8 <= UInt64(raw.count - at) else { return nil }
        var spans: [TextSpan] = []
        spans.reserveCapacity(Int(n))
        for _ in 0..<n {
            guard let start = u32(), let end = u32() else { return nil }
            spans.append(TextSpan(start: start, end: end))
        }
        return spans
    }

    mutating func text(_ n: UInt32) -> String? {
        let n = Int(n)
        guard n <= raw.count - at else { return nil }
        let bytes = UnsafeRawBufferPointer(rebasing: raw[at..<at + n])
        at += n
        // UTF-8 from the library's own strings; an invalid sequence would show as U+FFFD.
        return String(decoding: bytes, as: UTF8.self)
    }
}
