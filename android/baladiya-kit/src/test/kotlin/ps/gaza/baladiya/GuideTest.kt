package ps.gaza.baladiya

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_core.HitKind
import uniffi.baladiya_core.Lang

/** The guide through the Kotlin facade, against the real reference server on loopback. */
class GuideTest : ServerTest() {
    @Test
    fun `the compact page the facade decodes holds the same hits as one record per hit`() = runBlocking {
        client().use { c -> c.syncGuide() }
        uniffi.baladiya_ffi.Baladiya.open(
            uniffi.baladiya_ffi.BaladiyaConfig(dataDir = appDir.toString(), serverUrl = server.url),
        ).use { direct ->
            BaladiyaClient.open(appDir.toString(), server.url).use { c ->
                for (lang in listOf(Lang.AR, Lang.EN)) {
                    c.language = lang
                    direct.setLanguage(lang)
                    for (q in listOf("رخصة", "مياه", "permit", "رخصه بناء", "clearence", "مخالفة", "بناء permit", "", "zzzz")) {
                        for (limit in listOf(0, 1, 20, 100)) {
                            val records = direct.searchGuide(q, limit.toUInt())
                            assertEquals(records, c.searchGuide(q, limit), "$lang \"$q\" $limit")
                            assertEquals(records, direct.searchGuidePage(q, limit.toUInt()).hits())
                        }
                    }
                }
                assertTrue(direct.searchGuide("رخصة", 20u).any { it.summaryHighlights.isNotEmpty() || it.titleHighlights.isNotEmpty() })
            }
        }
        assertThrows<IllegalStateException> { uniffi.baladiya_ffi.GuidePage(byteArrayOf(1, 0, 0, 0)).hits() }
        assertThrows<IllegalStateException> { uniffi.baladiya_ffi.GuidePage(byteArrayOf(0, 0, 0, 0, 0)).hits() }
        assertEquals(emptyList<Any>(), uniffi.baladiya_ffi.GuidePage(byteArrayOf(0, 0, 0, 0)).hits())
    }

    @Test
    fun `sync then search in Arabic with forgiving spelling`() = runBlocking {
        client().use { c ->
            assertNull(c.guideVersion())
            val full = c.syncGuide()
            assertTrue(full.full)
            assertTrue(full.servicesAdded >= 40u, "services: ${full.servicesAdded}")
            assertEquals(c.services().size, full.servicesAdded.toInt())

            val again = c.syncGuide()
            assertTrue(again.notModified)

            // Typed without hamza/ta marbuta; the highlight points into the original text.
            val hits = c.searchGuide("رخصه بناء", 5)
            val first = hits.first()
            assertEquals("building-permit", first.id)
            assertEquals(HitKind.SERVICE, first.kind)
            assertEquals(Lang.AR, first.lang)
            assertEquals("رخصة بناء", first.title)
            val marked = first.titleHighlights.map { first.title.substring(it.start.toInt(), it.end.toInt()) }
            assertEquals(listOf("رخصة", "بناء"), marked)

            // One typo, and English typed in the Arabic app: the row is shown in English, marked.
            val english = c.searchGuide("clearence", 5).first()
            assertEquals("clearance-certificate", english.id)
            assertEquals(Lang.EN, english.lang)
            assertEquals(
                listOf("Clearance"),
                english.titleHighlights.map { english.title.substring(it.start.toInt(), it.end.toInt()) },
            )

            // A query matching both languages shows the app's, which follows the app.
            assertEquals(Lang.AR, c.language)
            assertEquals(Lang.AR, c.searchGuide("رخصة بناء permit", 1).first().lang)
            c.language = Lang.EN
            assertEquals(Lang.EN, c.searchGuide("رخصة بناء permit", 1).first().lang)
            assertEquals("Building permit", c.searchGuide("رخصة بناء permit", 1).first().title)
            // Complaint categories come in it at their next refresh.
            c.refreshComplaintCategories()
            assertEquals("Water leak", c.complaintCategories().first { it.code == "water-leak" }.name)
            c.language = Lang.AR

            val service = c.service("building-permit")
            assertEquals("رخصة بناء", service.title.ar)
            assertTrue(service.steps.isNotEmpty() && service.fees.isNotEmpty())
            assertTrue(c.violations().size >= 15)
            assertTrue(c.departments().any { it.id == service.departmentId })
        }
    }

    @Test
    fun `a staff edit arrives as a delta and as a Flow event`() = runBlocking {
        client().use { c ->
            c.syncGuide()
            val event = async(Dispatchers.Default) {
                withTimeout(10_000) { c.events.filterIsInstance<BaladiyaEvent.GuideSynced>().first() }
            }
            yield()
            Thread.sleep(100) // let the collector register before the change
            val json = server.get("api/v1/guide")
            val service = Regex("""\{"id":"clearance-certificate".*?"version":\d+\}""").find(json)!!.value
            val edited = service.replace("\"Clearance certificate\"", "\"Clearance certificate (edited)\"")
            assertEquals(200, server.putService("clearance-certificate", edited))

            val delta = c.syncGuide()
            assertFalse(delta.full)
            assertEquals(1u, delta.servicesUpdated)
            assertEquals(delta, event.await().report)
            assertEquals("Clearance certificate (edited)", c.service("clearance-certificate").title.en)
        }
    }

    @Test
    fun `errors are typed and carry the library's text`() = runBlocking {
        val invalid = assertThrows<BaladiyaException> {
            runBlocking { BaladiyaClient.open(appDir.toString(), "http://example.org/") }
        }
        val validation = invalid.error as ApiException.Validation
        assertEquals("server_url", validation.field)
        assertTrue(invalid.message!!.contains("plain http"), invalid.message)

        client().use { c ->
            val missing = assertThrows<BaladiyaException> { runBlocking { c.service("no-such-service") } }
            assertTrue(missing.error is ApiException.NotFound)
            assertTrue(missing.message!!.startsWith("not found"), missing.message)

            server.close()
            val offline = assertThrows<BaladiyaException> { runBlocking { c.syncGuide() } }
            assertTrue(offline.error is ApiException.Offline, offline.error.toString())
            assertTrue(offline.message!!.startsWith("offline"), offline.message)
            server = ReferenceServer() // for stop()
        }
    }

    @Test
    fun `a panic in the library comes back as an internal error`() = runBlocking {
        client().use { c ->
            val sync = assertThrows<BaladiyaException> { runBlocking { c.debugPanic() } }
            assertTrue(sync.error is ApiException.Internal)
            val async = assertThrows<BaladiyaException> { runBlocking { c.debugPanicAsync() } }
            assertTrue(async.error is ApiException.Internal)
            // The library still works afterwards.
            assertTrue(c.syncGuide().full)
        }
    }

    @Test
    fun `many concurrent calls`() = runBlocking {
        client().use { c ->
            c.syncGuide()
            val queries = listOf("رخصة", "مياه", "براءة ذمة", "permit", "عداد", "نفايات")
            val expected = queries.associateWith { c.searchGuide(it, 10).map { h -> h.id } }
            val results = (1..300).map { i ->
                async(Dispatchers.IO) {
                    val q = queries[i % queries.size]
                    if (i % 50 == 0) c.syncGuide()
                    q to c.searchGuide(q, 10).map { it.id }
                }
            }.awaitAll()
            for ((q, ids) in results) assertEquals(expected[q], ids, "query $q")
        }
    }
}
