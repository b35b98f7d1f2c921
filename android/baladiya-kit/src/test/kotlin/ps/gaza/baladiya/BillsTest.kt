package ps.gaza.baladiya

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_wire.BillLineKind
import uniffi.baladiya_core.SavedAccount

/** Bill lookup and saved accounts through the Kotlin facade, against the real reference server. */
class BillsTest : ServerTest() {
    @Test
    fun `a lookup typed in Arabic-Indic digits returns the same statement as in ASCII`() = runBlocking {
        client().use { c ->
            val asked = c.billVerification()
            assertEquals("phone", asked.kind)
            assertEquals("X-Baladiya-Verification", asked.header)
            assertTrue(asked.label.ar.isNotBlank() && asked.label.en.isNotBlank())

            val ascii = c.lookupBill(HOME, HOME_PHONE)
            assertFalse(ascii.stale)
            assertEquals(HOME, ascii.statement.account)
            assertEquals(24, ascii.statement.history.size)
            assertEquals("ILS", ascii.statement.currency)
            assertTrue(ascii.fetchedAt > 0)

            val arabic = c.lookupBill("١٠٢٣٤٥١٨", "٠٥٩٩١٢٣٤٥٦")
            assertFalse(arabic.stale)
            assertEquals(ascii.statement, arabic.statement)
            // Eastern Arabic-Indic (Persian) digits, spaces and dashes too.
            assertEquals(ascii.statement, c.lookupBill("۱۰۲۳ ۴۵۱۸", "059-912-3456").statement)

            // The second sample account: a discount, arrears and late fees.
            val other = c.lookupBill("١٠٥٦١٢٠٣", "٠٥٦٧٦٥٤٣٢١").statement
            assertEquals(OTHER, other.account)
            val kinds = other.current.lines.map { it.kind }
            assertTrue(kinds.containsAll(listOf(BillLineKind.DISCOUNT, BillLineKind.ARREARS, BillLineKind.LATE_FEE)), "$kinds")
            assertTrue(other.arrearsMinor > 0)
            assertNotEquals(ascii.statement, other)

            // A lookup of an account that is not saved leaves nothing on the phone.
            assertTrue(c.savedBillAccounts().isEmpty())
        }
    }

    @Test
    fun `a wrong phone is unauthorized and a malformed account is refused before any request`() = runBlocking {
        client().use { c ->
            val wrong = assertThrows<BaladiyaException> { runBlocking { c.lookupBill(HOME, "0599000000") } }
            assertTrue(wrong.error is ApiException.Unauthorized, wrong.error.toString())
            // Another account's phone is just as wrong: the server does not say which part failed.
            val crossed = assertThrows<BaladiyaException> { runBlocking { c.lookupBill(HOME, OTHER_PHONE) } }
            assertTrue(crossed.error is ApiException.Unauthorized, crossed.error.toString())
            assertEquals(wrong.message, crossed.message)

            val short = assertThrows<BaladiyaException> { runBlocking { c.lookupBill("١٠٢٣", HOME_PHONE) } }
            assertEquals("account", (short.error as ApiException.Validation).field)
            val noPhone = assertThrows<BaladiyaException> { runBlocking { c.lookupBill(HOME, "12") } }
            assertEquals("verification", (noPhone.error as ApiException.Validation).field)
            val noName = assertThrows<BaladiyaException> { runBlocking { c.saveBillAccount(HOME, "  ", HOME_PHONE) } }
            assertEquals("nickname", (noName.error as ApiException.Validation).field)
            val wrongSave = assertThrows<BaladiyaException> { runBlocking { c.saveBillAccount(HOME, "البيت", "0599000000") } }
            assertTrue(wrongSave.error is ApiException.Unauthorized, wrongSave.error.toString())
            assertTrue(c.savedBillAccounts().isEmpty(), "nothing saved without a verified lookup")
        }
    }

    @Test
    fun `a saved account's statement is there offline, stale, with its date`() = runBlocking {
        client().use { c ->
            val saved = c.saveBillAccount("١٠٢٣٤٥١٨", "البيت", HOME_PHONE)
            assertFalse(saved.stale)
            assertEquals(listOf(SavedAccount(HOME, "البيت", saved.fetchedAt)), c.savedBillAccounts())

            server.stopKeepingData()
            val offline = c.lookupBill(HOME, "٠٥٩٩١٢٣٤٥٦")
            assertTrue(offline.stale)
            assertEquals(saved.statement, offline.statement)
            assertEquals(saved.fetchedAt, offline.fetchedAt)

            // Offline, the copy is shown only to the factor verified online.
            val wrong = assertThrows<BaladiyaException> { runBlocking { c.lookupBill(HOME, "0599000000") } }
            assertTrue(wrong.error is ApiException.Unauthorized, wrong.error.toString())
            // An account never saved has no copy.
            val unsaved = assertThrows<BaladiyaException> { runBlocking { c.lookupBill(OTHER, OTHER_PHONE) } }
            assertTrue(unsaved.error is ApiException.Offline, unsaved.error.toString())

            c.forgetBillAccount(HOME)
            assertTrue(c.savedBillAccounts().isEmpty())
            val forgotten = assertThrows<BaladiyaException> { runBlocking { c.lookupBill(HOME, HOME_PHONE) } }
            assertTrue(forgotten.error is ApiException.Offline, forgotten.error.toString())
            val again = assertThrows<BaladiyaException> { runBlocking { c.forgetBillAccount(HOME) } }
            assertTrue(again.error is ApiException.NotFound, again.error.toString())
        }
        // The copy survives closing the app; a second save of the same account renames it.
        server.restart()
        client().use { c ->
            c.saveBillAccount(OTHER, "المحل", OTHER_PHONE)
            val renamed = c.saveBillAccount(OTHER, "بيت الأهل", OTHER_PHONE)
            assertEquals(listOf(SavedAccount(OTHER, "بيت الأهل", renamed.fetchedAt)), c.savedBillAccounts())
        }
        server.stopKeepingData()
        client().use { c ->
            val offline = c.lookupBill(OTHER, OTHER_PHONE)
            assertTrue(offline.stale)
            assertEquals(OTHER, offline.statement.account)
        }
    }

    @Test
    fun `many concurrent calls mixing search and bill lookups`() = runBlocking {
        client().use { c ->
            c.syncGuide()
            c.saveBillAccount(OTHER, "المحل", OTHER_PHONE)
            val queries = listOf("رخصة", "مياه", "permit", "رخصه بناء", "براءة ذمة")
            val expectedHits = queries.associateWith { c.searchGuide(it, 20).map { h -> h.id } }
            val accounts = listOf(HOME to HOME_PHONE, OTHER to OTHER_PHONE, "١٠٢٣٤٥١٨" to "٠٥٩٩١٢٣٤٥٦")
            val expectedBills = accounts.associateWith { (a, p) -> c.lookupBill(a, p).statement }

            // Bill lookups in BILL_LANES lanes, each one after the other: the server counts every
            // verification in flight against its failure limits (5 per account, 20 per client)
            // until it succeeds, so more parallel lookups of one account come back Throttled.
            val lookups = (0 until BILL_LANES).map { lane ->
                async(Dispatchers.IO) {
                    repeat(15) { n ->
                        val key = accounts[(lane + n) % accounts.size]
                        val lookup = c.lookupBill(key.first, key.second)
                        assertFalse(lookup.stale)
                        assertEquals(expectedBills[key], lookup.statement, "account ${key.first}")
                    }
                    15
                }
            }
            val searches = (1..240).map { i ->
                async(Dispatchers.IO) {
                    if (i % 8 == 0) {
                        assertEquals(listOf(OTHER), c.savedBillAccounts().map { it.account })
                    } else {
                        val q = queries[i % queries.size]
                        assertEquals(expectedHits[q], c.searchGuide(q, 20).map { it.id }, "query $q")
                    }
                    1
                }
            }
            assertEquals(BILL_LANES * 15, lookups.awaitAll().sum())
            assertEquals(240, searches.awaitAll().sum())
        }
    }

    private companion object {
        // Sample accounts of the reference server (sample data).
        const val HOME = "10234518"
        const val HOME_PHONE = "0599123456"
        const val OTHER = "10561203"
        const val OTHER_PHONE = "0567654321"
        const val BILL_LANES = 4
    }
}
