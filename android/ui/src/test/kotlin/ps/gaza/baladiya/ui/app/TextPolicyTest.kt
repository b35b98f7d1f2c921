package ps.gaza.baladiya.ui.app

import androidx.compose.ui.text.LinkAnnotation
import androidx.compose.ui.text.SpanStyle
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.util.TimeZone
import ps.gaza.baladiya.ui.common.ShownTime
import ps.gaza.baladiya.ui.complaints.PhotoBytes
import ps.gaza.baladiya.ui.common.dateTime
import ps.gaza.baladiya.ui.common.freeText
import ps.gaza.baladiya.ui.common.isoDate
import ps.gaza.baladiya.ui.common.money
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.guide.wholeWords
import ps.gaza.baladiya.ui.text.ArStrings
import ps.gaza.baladiya.ui.text.Bidi
import ps.gaza.baladiya.ui.text.EnStrings
import ps.gaza.baladiya.ui.text.Plural

/** The defects of the first renders (issue 9.5, 19.3), kept fixed. */
class TextPolicyTest {
    @Test
    fun nameOfTheOtherDirectionIsIsolatedAndOneOfTheLinesDirectionIsNot() {
        // A masked Arabic holder name in the English app keeps its own right-to-left order.
        assertEquals("\u2068ف*** خ*** ح***\u2069", Bidi.ownDirection("ف*** خ*** ح***", "en"))
        assertEquals("\u2068Home 2\u2069", Bidi.ownDirection("Home 2", "ar"))
        // In the line's own direction nothing is added (the isolate's marks cost line height).
        assertEquals("البيت", Bidi.ownDirection("البيت", "ar"))
        assertEquals("Home", Bidi.ownDirection("Home", "en"))
        assertEquals("***", Bidi.ownDirection("***", "en"))
    }

    @Test
    fun aHighlightInsideAWordCoversTheWholeWord() {
        // The core marks "بناء" inside "البناء"; styling only that would detach the lam.
        val text = "رخصة البناء الجديدة"
        val start = text.indexOf("بناء")
        assertEquals(text.indexOf("البناء") to text.indexOf("البناء") + "البناء".length, wholeWords(text, start, start + 4))
        // A whole word stays as it is.
        assertEquals(0 to 4, wholeWords(text, 0, 4))
    }

    @Test
    fun identifiersAreLeftToRightIsolatesInTheLanguagesDigits() {
        assertEquals("\u2066١٠٥٦-١٢٠٣\u2069", Bidi.identifier("1056-1203", "ar"))
        assertEquals("\u20661056-1203\u2069", Bidi.identifier("١٠٥٦-١٢٠٣", "en"))
        // A code with letters keeps ASCII digits in Arabic too (one script per code).
        assertEquals("\u2066BL-DVJ2-PE7C\u2069", Bidi.identifier("BL-DVJ2-PE7C", "ar"))
    }

    @Test
    fun oneDigitPolicyPerLanguage() {
        val arabicDigits = Regex("[٠-٩]")
        for (text in listOf(ArStrings.money(123_450, "ILS"), ArStrings.number(1500), ArStrings.complaintsCount(12))) {
            assertTrue(text, text.none { it in '0'..'9' } && arabicDigits.containsMatchIn(text))
        }
        for (text in listOf(EnStrings.money(123_450, "ILS"), EnStrings.number(1500), EnStrings.complaintsCount(12))) {
            assertTrue(text, text.none { it in '٠'..'٩' })
        }
        assertEquals("١٬٢٣٤٫٥٠ شيكل", ArStrings.money(123_450, "ILS"))
        assertEquals("ILS 1,234.50", EnStrings.money(123_450, "ILS"))
    }

    @Test
    fun datesReadTheSameAsOnIosWithTheArabicCommaInArabic() {
        val (zone, frozen) = TimeZone.getDefault() to ShownTime.frozenAt
        TimeZone.setDefault(TimeZone.getTimeZone("Asia/Gaza"))
        ShownTime.frozenAt = null
        try {
            val at = 1_796_040_300_000L // 2026-11-30 12:05 UTC, 14:05 in Gaza
            assertEquals("٣٠ نوفمبر ٢٠٢٦\u060C ١٤:٠٥", ArStrings.dateTime(at))
            assertEquals("30 Nov 2026, 14:05", EnStrings.dateTime(at))
            assertEquals("٣ مارس ٢٠٢٦", ArStrings.isoDate("2026-03-03"))
            assertEquals("not a date", EnStrings.isoDate("not a date"))
        } finally {
            TimeZone.setDefault(zone)
            ShownTime.frozenAt = frozen
        }
    }

    @Test
    fun jpegAndPngGoToTheCoreAsTheyAreAndOtherPicturesAreReencoded() {
        assertTrue(PhotoBytes.isReadableByCore(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte())))
        assertTrue(PhotoBytes.isReadableByCore(byteArrayOf(0x89.toByte(), 0x50, 0x4E, 0x47, 0x0D, 0x0A)))
        assertTrue("WebP", !PhotoBytes.isReadableByCore("RIFF\u0000\u0000\u0000\u0000WEBPVP8 ".toByteArray()))
        assertTrue("HEIC", !PhotoBytes.isReadableByCore(byteArrayOf(0, 0, 0, 0x18) + "ftypheic".toByteArray()))
        assertTrue(!PhotoBytes.isReadableByCore(ByteArray(0)))
    }

    @Test
    fun arabicHasSixPluralForms() {
        assertEquals(
            listOf(Plural.ZERO, Plural.ONE, Plural.TWO, Plural.FEW, Plural.MANY, Plural.OTHER),
            listOf(0, 1, 2, 3, 11, 100).map(Plural::arabic),
        )
        assertEquals("شكويان", ArStrings.complaintsCount(2))
    }

    @Test
    fun aPhoneNumberInAStaffNoteReadsInOrderAndDials() {
        val platform = FakePlatform()
        val note = "الطاقم في الموقع. للاستفسار: 08-2865000"
        val shown = freeText(note, platform, SpanStyle())
        val phone = "08-2865000"
        // The number sits in an isolate, digits as the staff typed them.
        assertTrue(shown.text, shown.text.endsWith("\u2066$phone\u2069"))
        val links = shown.getLinkAnnotations(0, shown.length)
        assertEquals(1, links.size)
        val link = links.single().item as LinkAnnotation.Clickable
        assertEquals(phone, shown.text.substring(links.single().start, links.single().end))
        link.linkInteractionListener!!.onClick(link)
        assertEquals(listOf("082865000"), platform.dialled)
    }

    @Test
    fun accountAndTrackingNumbersAreFoundButDatesAndAmountsAreNot() {
        val found = Bidi.find("الحساب 1056-1203 والشكوى BLD-2026-000123 بتاريخ 12/3/2026 بمبلغ 12.50")
        assertEquals(listOf("1056-1203", "BLD-2026-000123"), found.map { "الحساب 1056-1203 والشكوى BLD-2026-000123 بتاريخ 12/3/2026 بمبلغ 12.50".substring(it.start, it.end) })
        assertEquals(listOf(Bidi.Kind.NUMBER, Bidi.Kind.NUMBER), found.map { it.kind })
    }
}
