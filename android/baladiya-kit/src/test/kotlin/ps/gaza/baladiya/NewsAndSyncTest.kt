package ps.gaza.baladiya

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.baladiya_ffi.ApiException
import uniffi.baladiya_core.BaladiyaEvent
import kotlin.time.Duration.Companion.seconds

/** News and the background sync through the Kotlin facade, against the real reference server. */
class NewsAndSyncTest : ServerTest() {
    @Test
    fun `news refresh brings 30 items, then a 304, and keeps read marks`() = runBlocking {
        client().use { c ->
            val events = Channel<BaladiyaEvent>(Channel.UNLIMITED)
            val collector = record(c, events)
            assertTrue(c.news().isEmpty())
            assertEquals(0, c.unreadNewsCount())

            val first = c.refreshNews()
            assertFalse(first.notModified)
            assertEquals(30u, first.newItems)
            assertTrue(first.bytesReceived > 0u)
            val arrived = withTimeout(10_000) { events.receive() }
            assertTrue(arrived is BaladiyaEvent.NewsArrived, arrived.toString())
            arrived as BaladiyaEvent.NewsArrived
            assertEquals(30, arrived.items.size)
            assertEquals(first.important.size.toUInt(), arrived.important)

            val second = c.refreshNews()
            assertTrue(second.notModified)
            assertEquals(0u, second.newItems)
            assertTrue(second.bytesReceived in 1uL..600uL, "a 304 costs ${second.bytesReceived} bytes")

            val all = c.news()
            assertEquals(30, all.size)
            assertEquals(all.map { it.item.publishedAt }.sortedDescending(), all.map { it.item.publishedAt }, "newest first")
            assertTrue(all.none { it.read })
            assertTrue(all.all { it.item.title.ar.isNotBlank() && it.item.title.en.isNotBlank() })
            assertEquals(30, c.unreadNewsCount())

            val top = all.first().item.id
            c.markNewsRead(top)
            assertEquals(29, c.unreadNewsCount())
            assertTrue(c.news().first().read)
            val unread = c.news(unreadOnly = true)
            assertEquals(29, unread.size)
            assertTrue(unread.none { it.item.id == top || it.read })

            val missing = assertThrows<BaladiyaException> { runBlocking { c.markNewsRead("no-such-item") } }
            assertTrue(missing.error is ApiException.NotFound, missing.error.toString())

            c.markAllNewsRead()
            assertEquals(0, c.unreadNewsCount())
            assertTrue(c.news(unreadOnly = true).isEmpty())
            assertEquals(30, c.news().size)
            // A refresh with nothing new keeps the read marks.
            assertTrue(c.refreshNews().notModified)
            assertEquals(0, c.unreadNewsCount())
            collector.cancel()
        }
    }

    @Test
    fun `the unread count flow follows arrivals and read marks`() = runBlocking {
        client().use { c ->
            val counts = Channel<Int>(Channel.UNLIMITED)
            val collector = launch(Dispatchers.Unconfined) { c.observeUnreadNewsCount().collect { counts.send(it) } }
            assertEquals(0, withTimeout(10_000) { counts.receive() })
            c.refreshNews()
            assertEquals(30, withTimeout(10_000) { counts.receive() })
            val id = c.news().first().item.id
            c.markNewsRead(id)
            assertEquals(29, withTimeout(10_000) { counts.receive() })
            c.markNewsRead(id) // already read: same count, not emitted again
            c.markAllNewsRead()
            assertEquals(0, withTimeout(10_000) { counts.receive() })
            collector.cancel()
        }
    }

    @Test
    fun `background sync with the server up does news and guide, and SyncFinished arrives on the Flow`() = runBlocking {
        client().use { c ->
            val events = Channel<BaladiyaEvent>(Channel.UNLIMITED)
            val collector = record(c, events)

            val summary = c.backgroundSync(20.seconds)
            assertTrue(summary.errors.isEmpty(), "${summary.errors}")
            assertFalse(summary.outOfTime)
            assertEquals(30u, summary.news?.newItems)
            assertNotNull(summary.guide)
            val guide = summary.guide!!
            assertTrue(guide.full)
            assertTrue(guide.servicesAdded >= 40u, "services: ${guide.servicesAdded}")
            assertEquals(0u, summary.flush?.remaining ?: 0u)
            assertTrue(summary.elapsedMs < 20_000u)
            // Important news items become notifications for the shell to show.
            assertEquals(summary.news!!.important.map { it.id }, summary.notifications.map { it.subjectId })

            val finished = withTimeout(10_000) {
                var e = events.receive()
                while (e !is BaladiyaEvent.SyncFinished) e = events.receive()
                e
            }
            assertEquals(summary, finished.summary)

            // The work it did is on the phone.
            assertEquals(30, c.unreadNewsCount())
            assertEquals("building-permit", c.searchGuide("رخصه بناء", 5).first().id)

            // A second run right after costs two 304s.
            val again = c.backgroundSync(budgetMs = 20_000)
            assertTrue(again.errors.isEmpty(), "${again.errors}")
            assertTrue(again.news!!.notModified)
            assertTrue(again.guide!!.notModified)
            assertTrue(again.notifications.isEmpty())
            collector.cancel()
        }
    }

    @Test
    fun `background sync never throws, offline it says why`() = runBlocking {
        server.stopKeepingData()
        client().use { c ->
            val events = Channel<BaladiyaEvent>(Channel.UNLIMITED)
            val collector = record(c, events)
            val summary = c.backgroundSync(5.seconds)
            assertTrue(summary.errors.isNotEmpty(), summary.toString())
            assertTrue(summary.errors.first().contains("offline"), "${summary.errors}")
            assertNull(summary.news)
            assertNull(summary.guide)
            val finished = withTimeout(10_000) { events.receive() }
            assertEquals(BaladiyaEvent.SyncFinished(summary), finished)
            // A zero budget is out of time at once, still without throwing.
            assertTrue(c.backgroundSync(0).outOfTime)
            collector.cancel()
        }
    }

    /** Forward the client's events into [into], registered before this returns. */
    private fun CoroutineScope.record(c: BaladiyaClient, into: Channel<BaladiyaEvent>): Job =
        launch(Dispatchers.Unconfined) { c.events.collect { into.send(it) } }
}
