package ps.gaza.baladiya

import uniffi.baladiya_core.GuideHit
import uniffi.baladiya_ffi.GuidePage
import uniffi.baladiya_core.HitKind
import uniffi.baladiya_core.Lang
import uniffi.baladiya_core.TextSpan
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The hits of a compact search page, as the [GuideHit]s `Baladiya.searchGuide` would return.
 *
 * The library sends a page of search hits as one buffer (layout documented in
 * `bindings/src/page.rs`): one value to lift instead of ~13 per hit. A malformed page (a library
 * and bindings of different builds) throws [IllegalStateException].
 */
fun GuidePage.hits(): List<GuideHit> {
    val bytes = data
    val buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
    try {
        val count = buf.int
        check(count in 0..bytes.size / 24) { "page count $count" }
        val hits = ArrayList<GuideHit>(count)
        repeat(count) {
            val flags = buf.int
            val idLen = buf.int
            val titleLen = buf.int
            val summaryLen = buf.int
            val (titleHighlights, summaryHighlights) = spans(buf, titles = buf.int, summaries = buf.int)
            val id = text(bytes, buf, idLen)
            val title = text(bytes, buf, titleLen)
            val summary = text(bytes, buf, summaryLen)
            hits += GuideHit(
                kind = if (flags and 1 != 0) HitKind.VIOLATION else HitKind.SERVICE,
                id = id,
                lang = if (flags and 2 != 0) Lang.EN else Lang.AR,
                title = title,
                summary = summary,
                titleHighlights = titleHighlights,
                summaryHighlights = summaryHighlights,
            )
        }
        check(!buf.hasRemaining()) { "${buf.remaining()} bytes after the page" }
        return hits
    } catch (e: RuntimeException) {
        if (e is IllegalStateException) throw e
        throw IllegalStateException("malformed search page", e)
    }
}

private fun spans(buf: ByteBuffer, titles: Int, summaries: Int): Pair<List<TextSpan>, List<TextSpan>> {
    check(titles >= 0 && summaries >= 0 && (titles.toLong() + summaries) * 8 <= buf.remaining()) { "span counts" }
    val title = List(titles) { TextSpan(buf.int.toUInt(), buf.int.toUInt()) }
    val summary = List(summaries) { TextSpan(buf.int.toUInt(), buf.int.toUInt()) }
    return title to summary
}

private fun text(bytes: ByteArray, buf: ByteBuffer, len: Int): String {
    check(len >= 0 && len <= buf.remaining()) { "text length $len" }
    val at = buf.position()
    buf.position(at + len)
    return String(bytes, at, len, Charsets.UTF_8)
}
