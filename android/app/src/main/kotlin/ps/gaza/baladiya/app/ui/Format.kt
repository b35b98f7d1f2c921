package ps.gaza.baladiya.app.ui

import android.content.Context
import androidx.annotation.StringRes
import androidx.compose.runtime.Composable
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import ps.gaza.baladiya.app.R
import uniffi.baladiya_ffi.ComplaintState
import uniffi.baladiya_ffi.Localized
import java.math.BigDecimal
import java.text.DateFormat
import java.text.NumberFormat
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.TimeZone

// Display formatting only: the core hands over amounts in minor units, ISO dates and both
// languages of every text; which language and which digits to show is decided here.

/** "ar" or "en": the language the resources are showing (values/ or values-ar/). */
@Composable
fun uiLanguage(): String = stringResource(R.string.lang_code)

fun uiLanguage(context: Context): String = context.getString(R.string.lang_code)

fun Localized.pick(language: String): String =
    if (language == "en") en.ifBlank { ar } else ar.ifBlank { en }

@Composable
fun Localized.text(): String = pick(uiLanguage())

fun localeOf(language: String): Locale = Locale.forLanguageTag(language)

/** An amount in minor units (agorot) as "١٢٫٥٠ ش.ج" / "ILS 12.50". */
fun formatMoney(context: Context, minor: Long, currency: String): String {
    val locale = localeOf(uiLanguage(context))
    val number = NumberFormat.getNumberInstance(locale).apply {
        minimumFractionDigits = 2
        maximumFractionDigits = 2
    }.format(BigDecimal.valueOf(minor, 2))
    return if (currency == "ILS") context.getString(R.string.amount_ils, number) else "$number $currency"
}

@Composable
fun money(minor: Long, currency: String): String = formatMoney(LocalContext.current, minor, currency)

/** A whole number in the UI language's digits. */
@Composable
fun number(n: Long): String = NumberFormat.getIntegerInstance(localeOf(uiLanguage())).format(n)

fun formatEpochMs(context: Context, ms: Long): String =
    DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT, localeOf(uiLanguage(context)))
        .format(Date(ms))

@Composable
fun dateTime(ms: Long): String = formatEpochMs(LocalContext.current, ms)

/** `YYYY-MM-DD` as a medium date; anything else as it came. */
@Composable
fun isoDate(text: String): String {
    val locale = localeOf(uiLanguage())
    return parse("yyyy-MM-dd", text)?.let { DateFormat.getDateInstance(DateFormat.MEDIUM, locale).format(it) } ?: text
}

/** A billing period `YYYY-MM` as "November 2026" / "نوفمبر ٢٠٢٦". */
@Composable
fun period(text: String): String {
    val locale = localeOf(uiLanguage())
    return parse("yyyy-MM", text)?.let { SimpleDateFormat("LLLL yyyy", locale).format(it) } ?: text
}

/** An RFC 3339 timestamp (news, complaint history) as date and time; else as it came. */
@Composable
fun rfc3339(text: String): String {
    val locale = localeOf(uiLanguage())
    return parseRfc3339(text)?.let { DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT, locale).format(it) }
        ?: text
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
@StringRes
fun statusLabel(detailedStatus: String?, status: String?): Int? = when (detailedStatus ?: status) {
    "received" -> R.string.status_received
    "verified" -> R.string.status_verified
    "routed" -> R.string.status_routed
    "in_progress" -> R.string.status_in_progress
    "fixed" -> R.string.status_fixed
    "rejected" -> R.string.status_rejected
    "duplicate" -> R.string.status_duplicate
    "closed" -> R.string.status_closed
    "open" -> R.string.status_open
    else -> null
}

@StringRes
fun stateLabel(state: ComplaintState): Int = when (state) {
    ComplaintState.QUEUED -> R.string.state_queued
    ComplaintState.SENT -> R.string.state_sent
    ComplaintState.NEEDS_ATTENTION -> R.string.state_needs_attention
    ComplaintState.CANCELLED -> R.string.state_cancelled
}

/**
 * A number that must read left to right inside Arabic text (phone, account, tracking number):
 * marked so the bidi algorithm does not reorder "08-2832000" into "2832000-08".
 */
fun ltr(text: String): String = "\u200E$text\u200E"
