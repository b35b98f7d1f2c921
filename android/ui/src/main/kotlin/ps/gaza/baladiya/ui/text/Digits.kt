package ps.gaza.baladiya.ui.text

import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.text

/**
 * The digit policy, one per language: Arabic shows every number in Arabic-Indic digits (٠–٩),
 * identifiers included; English shows ASCII digits. What the citizen types may come in any of
 * the three sets (ASCII, Arabic-Indic, Eastern Arabic-Indic ۰–۹): the core accepts them all, and
 * anything handed to another app (a number to dial, a copied tracking number) is ASCII.
 */
object Digits {
    private const val ARABIC_ZERO = '\u0660'
    private const val EASTERN_ZERO = '\u06F0'

    /** Every digit of [text] in the language's set; other characters untouched. */
    fun localize(text: String, language: String): String =
        if (language == "ar") map(text) { ARABIC_ZERO + it } else ascii(text)

    /** Every digit of any set as ASCII. */
    fun ascii(text: String): String = map(text) { '0' + it }

    /** A whole number with thousands grouped, in the language's digits and separators. */
    fun number(n: Long, language: String): String {
        val grouped = group(Math.abs(n).toString(), language)
        return (if (n < 0) "-" else "") + grouped
    }

    /** A decimal amount given in hundredths ("12.50", grouped), in the language's digits. */
    fun hundredths(minor: Long, language: String): String {
        val abs = Math.abs(minor)
        val whole = group((abs / 100).toString(), language)
        val cents = localize("%02d".format(abs % 100), language)
        val sep = if (language == "ar") "\u066B" else "."
        return (if (minor < 0) "-" else "") + whole + sep + cents
    }

    private fun group(digits: String, language: String): String {
        val sep = if (language == "ar") "\u066C" else ","
        val out = StringBuilder()
        digits.forEachIndexed { i, c ->
            if (i > 0 && (digits.length - i) % 3 == 0) out.append(sep)
            out.append(c)
        }
        return localize(out.toString(), language)
    }

    /** The value 0–9 of a digit of any of the three sets, else -1. */
    fun valueOf(c: Char): Int = when (c) {
        in '0'..'9' -> c - '0'
        in ARABIC_ZERO..(ARABIC_ZERO + 9) -> c - ARABIC_ZERO
        in EASTERN_ZERO..(EASTERN_ZERO + 9) -> c - EASTERN_ZERO
        else -> -1
    }

    fun isDigit(c: Char): Boolean = valueOf(c) >= 0

    private inline fun map(text: String, digit: (Int) -> Char): String {
        if (text.none(::isDigit)) return text
        val out = StringBuilder(text.length)
        for (c in text) {
            val v = valueOf(c)
            out.append(if (v >= 0) digit(v) else c)
        }
        return out.toString()
    }
}
