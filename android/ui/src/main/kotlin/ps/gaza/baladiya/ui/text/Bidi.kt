package ps.gaza.baladiya.ui.text

import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.text

/**
 * Identifiers (account, phone, tracking numbers, meter readings) read left to right in every
 * language. Inside Arabic text the bidi algorithm would otherwise reorder their digit groups
 * ("1056-1203" shown as "1203-1056", "08-2865000" as "2865000-08"); a left-to-right isolate
 * (U+2066 … U+2069) keeps the groups in order without disturbing the text around it.
 */
object Bidi {
    const val LRI = '\u2066'
    const val PDI = '\u2069'

    /**
     * [id] in a left-to-right isolate. A number-only identifier (account, phone) takes the
     * language's digits; one with Latin letters (a tracking number such as "BL-DVJ2-PE7C") keeps
     * ASCII digits, since "PE٧C" would mix two scripts inside one code the citizen reads out.
     */
    fun identifier(id: String, language: String): String {
        val shown = if (id.any { it in 'A'..'Z' || it in 'a'..'z' }) Digits.ascii(id) else Digits.localize(id, language)
        return "$LRI$shown$PDI"
    }

    const val FSI = '\u2068'

    /**
     * A short text people wrote (a name, a nickname) shown in [language]'s line: when its first
     * letter is of the other direction it goes in a first-strong isolate and keeps its own
     * direction. Without it "ف*** خ*** ح***" in an English line ends with its last asterisks on
     * the wrong side. Text already in the line's direction is left as it is (the isolate's
     * characters would change the line's height with some fonts).
     */
    fun ownDirection(text: String, language: String): String {
        val first = text.firstOrNull { Character.isLetter(it) } ?: return text
        val rtl = Character.getDirectionality(first).let {
            it == Character.DIRECTIONALITY_RIGHT_TO_LEFT || it == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC
        }
        return if (rtl == (language == "ar")) text else "$FSI$text$PDI"
    }

    /** What kind of identifier a run of free text is. */
    enum class Kind { PHONE, NUMBER }

    /** A run of [Kind] at [start, end) of a text; [digits] is its ASCII form (to dial). */
    data class Found(val start: Int, val end: Int, val kind: Kind, val digits: String)

    // Digits of any set, grouped by spaces, dashes, dots or slashes, an optional leading "+";
    // or a tracking number's letter prefix ("BLD-2026-000123").
    private const val D = "[0-9\u0660-\u0669\u06F0-\u06F9]"
    private val RUN = Regex("""(?:\+|\b[A-Z]{2,5}-)?$D(?:[ \-./]?$D)+""")

    /**
     * Every phone number (9 to 15 digits, as the core accepts) and every other identifier of at
     * least four digits in [text]. Dates and amounts in running text are left alone: they carry
     * their own separators the bidi algorithm already orders.
     */
    fun find(text: String): List<Found> = RUN.findAll(text).mapNotNull { m ->
        val raw = m.value
        val digits = Digits.ascii(raw.filter(Digits::isDigit))
        val letters = raw.first().isLetter()
        val kind = when {
            !letters && digits.length in 9..15 -> Kind.PHONE
            letters || digits.length >= 4 && !looksLikeDateOrAmount(raw) -> Kind.NUMBER
            else -> return@mapNotNull null
        }
        val dial = if (raw.startsWith("+")) "+$digits" else digits
        Found(m.range.first, m.range.last + 1, kind, dial)
    }.toList()

    private fun looksLikeDateOrAmount(raw: String): Boolean = raw.contains('/') || raw.count { it == '.' } == 1

    /** [text] with every identifier [find] sees put in an isolate (digits left as they came). */
    fun isolateIdentifiers(text: String): String {
        val found = find(text)
        if (found.isEmpty()) return text
        val out = StringBuilder(text.length + 2 * found.size)
        var at = 0
        for (f in found) {
            out.append(text, at, f.start).append(LRI).append(text, f.start, f.end).append(PDI)
            at = f.end
        }
        return out.append(text, at, text.length).toString()
    }
}
