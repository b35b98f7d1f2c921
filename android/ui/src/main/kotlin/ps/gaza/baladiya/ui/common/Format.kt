package ps.gaza.baladiya.ui.common

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.TimeZone
import ps.gaza.baladiya.ui.text.ArStrings
import ps.gaza.baladiya.ui.text.Bidi
import ps.gaza.baladiya.ui.text.Digits
import ps.gaza.baladiya.ui.text.Strings
import uniffi.baladiya_core.ComplaintState
import uniffi.baladiya_wire.Localized

// Display formatting only: the core hands over amounts in minor units, ISO dates and both
// languages of every text; which language and which digits to show is decided here, once.

/** The texts of the language the screens show; provided at the app's root. */
val LocalStrings = staticCompositionLocalOf<Strings> { ArStrings }

/** The shown language's texts. */
val strings: Strings
    @Composable @ReadOnlyComposable get() = LocalStrings.current

/** "ar" or "en". */
val uiLanguage: String
    @Composable @ReadOnlyComposable get() = LocalStrings.current.language

fun Localized.pick(language: String): String = if (language == "en") en.ifBlank { ar } else ar.ifBlank { en }

@Composable
@ReadOnlyComposable
fun Localized.text(): String = pick(uiLanguage)

fun localeOf(language: String): Locale = Locale.forLanguageTag(language)

/** An amount in minor units (agorot) as "١٢٫٥٠ شيكل" / "ILS 12.50". */
fun Strings.money(minor: Long, currency: String): String {
    val number = Digits.hundredths(minor, language)
    return if (currency == "ILS") amountIls(number) else "$number $currency"
}

/** A whole number in the language's digits. */
fun Strings.number(n: Long): String = Digits.number(n, language)

/** An identifier (account, phone, tracking number) in a left-to-right isolate. */
fun Strings.id(text: String): String = Bidi.identifier(text, language)

/**
 * Reproducible screenshots: while [frozenAt] is set, every date and time shown is that instant
 * (the core stamps complaints and bills with the real "now"). Never set by the apps.
 */
object ShownTime {
    @Volatile
    var frozenAt: Long? = null
}

/** A map point as "٣١٫٥٢٠٠٠، ٣٤٫٤٥٠٠٠" / "31.52000, 34.45000", left to right. */
fun Strings.coordinates(lat: Double, long: Double): String {
    val sep = if (language == "ar") "\u066B" else "."
    fun part(v: Double) = Digits.localize("%.5f".format(Locale.US, v).replace(".", sep), language)
    return Bidi.LRI + part(lat) + (if (language == "ar") "\u060C " else ", ") + part(long) + Bidi.PDI
}

/**
 * Unix milliseconds as "30 Nov 2026, 14:05" / "٣٠ نوفمبر ٢٠٢٦، ١٤:٠٥": the same form as the iOS
 * app's, with the Arabic comma in Arabic (the platform's medium format writes a Latin comma and
 * slashes with bidi marks between Arabic digits).
 */
fun Strings.dateTime(ms: Long): String {
    val at = Date(ShownTime.frozenAt ?: ms)
    val time = SimpleDateFormat("HH:mm", Locale.US).format(at)
    return Digits.localize(dayMonthYear(at) + (if (language == "ar") "\u060C " else ", ") + time, language)
}

/** `YYYY-MM-DD` as "30 Nov 2026" / "٣٠ نوفمبر ٢٠٢٦"; anything else as it came. */
fun Strings.isoDate(text: String): String = parse("yyyy-MM-dd", text)
    ?.let { Digits.localize(dayMonthYear(it), language) }
    ?: text

/** The day, the month's name (short in English; Arabic has no short names) and the year. */
private fun Strings.dayMonthYear(at: Date): String = SimpleDateFormat("d MMM yyyy", localeOf(language)).format(at)

/** A billing period `YYYY-MM` as "November 2026" / "نوفمبر ٢٠٢٦". */
fun Strings.period(text: String): String = parse("yyyy-MM", text)
    ?.let { Digits.localize(SimpleDateFormat("LLLL yyyy", localeOf(language)).format(it), language) }
    ?: text

/** An RFC 3339 timestamp (news, complaint history) as date and time; else as it came. */
fun Strings.rfc3339(text: String): String = parseRfc3339(text)?.let { dateTime(it.time) } ?: text

/** A byte count as "1.2 MB" / "١٫٢ م.ب", for the data the app has used. */
fun Strings.bytes(n: Long): String {
    val (value, unit) = when {
        n >= 1_000_000 -> (n / 10_000) to (if (language == "ar") "م.ب" else "MB")
        n >= 1_000 -> (n / 10) to (if (language == "ar") "ك.ب" else "KB")
        else -> return number(n) + (if (language == "ar") " بايت" else " bytes")
    }
    return Digits.hundredths(value, language).trimEnd('0', '٠').trimEnd('.', '٫') + " " + unit
}

/** Now-or-given local time as RFC 3339 with the phone's offset, for datetime attributes. */
fun toRfc3339(ms: Long): String {
    val zone = TimeZone.getDefault()
    val local = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss", Locale.US).apply { timeZone = zone }.format(Date(ms))
    val offsetMin = zone.getOffset(ms) / 60_000
    val sign = if (offsetMin < 0) '-' else '+'
    val abs = Math.abs(offsetMin)
    return "%s%c%02d:%02d".format(Locale.US, local, sign, abs / 60, abs % 60)
}

fun parseRfc3339(text: String): Date? {
    // SimpleDateFormat's ISO zone pattern (X) needs API 24: rewrite Z / +02:00 as +0000 / +0200,
    // and drop fractional seconds, then parse with the RFC 822 pattern every API level has.
    val m = Regex("""^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$""").find(text.trim())
        ?: return null
    val zone = m.groupValues[2].let { if (it == "Z") "+0000" else it.replace(":", "") }
    return parse("yyyy-MM-dd'T'HH:mm:ssZ", m.groupValues[1] + zone)
}

private fun parse(pattern: String, text: String): Date? = try {
    SimpleDateFormat(pattern, Locale.US).apply { isLenient = false }.parse(text)
} catch (e: java.text.ParseException) {
    null
}

/** The municipality's detailed status (Open311 extension), or open/closed, as a label. */
fun Strings.statusLabel(detailedStatus: String?, status: String?): String? = when (detailedStatus ?: status) {
    "received" -> statusReceived
    "verified" -> statusVerified
    "routed" -> statusRouted
    "in_progress" -> statusInProgress
    "fixed" -> statusFixed
    "rejected" -> statusRejected
    "duplicate" -> statusDuplicate
    "closed" -> statusClosed
    "open" -> statusOpen
    else -> null
}

fun Strings.stateLabel(state: ComplaintState): String = when (state) {
    ComplaintState.QUEUED -> stateQueued
    ComplaintState.SENT -> stateSent
    ComplaintState.NEEDS_ATTENTION -> stateNeedsAttention
    ComplaintState.CANCELLED -> stateCancelled
}
