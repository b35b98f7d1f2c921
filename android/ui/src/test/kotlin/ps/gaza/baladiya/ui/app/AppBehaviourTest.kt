package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.hasScrollAction
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.performScrollToNode
import androidx.compose.ui.test.onAllNodesWithTag
import androidx.compose.ui.test.onFirst
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.getBoundsInRoot
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import ps.gaza.baladiya.ui.AppModels
import ps.gaza.baladiya.ui.AppRoot
import ps.gaza.baladiya.ui.Screen
import ps.gaza.baladiya.ui.Tab
import ps.gaza.baladiya.ui.common.bytes
import ps.gaza.baladiya.ui.common.rfc3339
import ps.gaza.baladiya.ui.stringsFor
import uniffi.baladiya_core.DataUsage
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.runScreenTest

/** The app driven as a citizen drives it, on the real core and the real reference server. */
@OptIn(ExperimentalTestApi::class)
class AppBehaviourTest {
    private fun app(language: String = "ar", wide: Boolean = false, block: SkikoComposeUiTest.(AppModels) -> Unit) {
        val (w, h) = if (wide) Screens.TABLET_WIDTH to Screens.TABLET_HEIGHT else Screens.PHONE_WIDTH to Screens.PHONE_HEIGHT
        runScreenTest(w, h) {
            lateinit var models: AppModels
            setContent {
                val scope = rememberCoroutineScope()
                models = remember { AppModels(fx.env, scope) }
                AppRoot(models, language)
            }
            waitForIdle()
            block(models)
        }
    }

    @Test
    fun aMisspelledArabicQueryFindsTheServiceAndOpensIt() = app { m ->
        m.guide.onQueryChange("رخصه بنا") // no ta marbuta, a prefix being typed
        await("hits", 60_000) { m.guide.hits.value.isNotEmpty() && m.guide.hitsFor.value == "رخصه بنا" }
        val top = m.guide.hits.value.first()
        onNodeWithText(top.title, useUnmergedTree = true).performClick()
        waitForIdle()
        assertEquals(Screen.Service(top.id), m.navigator.current)
        // The page opens on its heading (the title, in full).
        val title = runBlocking { fx.app.client.service(top.id) }.title.ar
        await("the service page", 60_000) {
            onAllNodes(hasText(title)).fetchSemanticsNodes().size >= 2 // the top bar and the heading
        }
    }

    @Test
    fun aPublishedQuestionReadsOnItsServicePageWithItsAnswer() = app { m ->
        val question = "هل تصدر شهادة براءة الذمة لمن عليه متأخرات مقسطة؟"
        val answer = "نعم، إذا كانت الأقساط مسددة حتى تاريخ الطلب."
        val json = fx.server.get("api/v1/guide")
        val service = Regex("""\{"id":"clearance-certificate".*?"version":\d+\}""").find(json)!!.value
        val faq = """"faqs":[{"question":{"ar":"$question","en":"$question"},"answer":{"ar":"$answer","en":"$answer"}}],"""
        assertEquals(200, fx.server.putService("clearance-certificate", service.replace("\"updated_at\":", faq + "\"updated_at\":")))
        runBlocking { fx.app.client.syncGuide() }
        m.navigator.open(Screen.Service("clearance-certificate"))
        val title = runBlocking { fx.app.client.service("clearance-certificate") }.title.ar
        await("the service page", 60_000) {
            onAllNodes(hasText(title)).fetchSemanticsNodes().isNotEmpty() &&
                onAllNodes(hasScrollAction()).fetchSemanticsNodes().isNotEmpty()
        }
        onNode(hasScrollAction()).performScrollToNode(hasText(question, substring = true))
        // Under its heading, the question and its answer read as one.
        await("the question with its answer", 10_000) {
            onAllNodes(hasText(question, substring = true) and hasText(answer, substring = true)).fetchSemanticsNodes().isNotEmpty()
        }
        assertTrue(onAllNodes(hasText(stringsFor("ar").serviceFaqs)).fetchSemanticsNodes().isNotEmpty())
    }

    @Test
    fun settingsShowThisMonthsDataBesideTheTotalAndSayEachLineWhole() = app { m ->
        val s = stringsFor("ar")
        m.navigator.openTab(Tab.SETTINGS)
        await("the data used", 60_000) { m.settings.state.value.thisMonth.isNotEmpty() }
        val state = m.settings.state.value
        fun DataUsage.total() = (bytesSent + bytesReceived).toLong()
        // The fixture synced the guide and filed a complaint moments ago: this month has them,
        // and no month holds more than the total since installation.
        for (feature in listOf("guide", "complaints")) {
            val month = state.thisMonth.first { it.feature == feature }.total()
            val total = state.usage.first { it.feature == feature }.total()
            assertTrue("$feature: $month this month of $total", month in 1..total)
        }
        val guide = state.thisMonth.first { it.feature == "guide" }.total()
        val spoken = "${s.featureName("guide")}: ${s.settingsDataThisMonth} ${s.bytes(guide)}"
        await("the guide's line, said whole", 10_000) {
            onAllNodes(hasContentDescription(spoken, substring = true)).fetchSemanticsNodes().isNotEmpty()
        }
    }

    @Test
    fun aStaffNoteReachesTheDetailWithItsPhoneNumberDialable() = app { m ->
        m.navigator.open(Screen.Complaint(fx.complaintId))
        await("the note", 60_000) {
            onAllNodes(hasText("2865000", substring = true), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty()
        }
        // The citizen's own answers are shown, by the category's labels.
        assertTrue(onAllNodesWithTag("answer", useUnmergedTree = true).fetchSemanticsNodes().size >= 3)
        assertTrue(onAllNodes(hasText("W-4471", substring = true), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty())
        // The municipality's expected date, learnt on the refresh; not late yet.
        val c = runBlocking { fx.app.client.complaint(fx.complaintId) }
        val s = stringsFor("ar")
        val expected = s.complaintExpected(s.rfc3339(c.expectedDatetime!!))
        assertTrue(onAllNodes(hasText(expected), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty())
        assertTrue(onAllNodes(hasText(s.complaintOverdue), useUnmergedTree = true).fetchSemanticsNodes().isEmpty())
    }

    @Test
    fun switchingTheLanguageFlipsTheLayoutAndTheTexts() = runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
        var language by mutableStateOf("ar")
        setContent {
            val scope = rememberCoroutineScope()
            val models = remember { AppModels(fx.env, scope) }
            AppRoot(models, language)
        }
        waitForIdle()
        fun guideTabX() = onAllNodes(hasText(stringsFor(language).tabGuide)).onFirst().getBoundsInRoot().left
        val arabicX = guideTabX()
        assertTrue("the first tab is on the right in Arabic", arabicX > (Screens.PHONE_WIDTH / 2).dp)
        language = "en"
        waitForIdle()
        assertTrue("and on the left in English", guideTabX() < (Screens.PHONE_WIDTH / 2).dp)
        assertTrue(onAllNodes(hasText("Guide")).fetchSemanticsNodes().isNotEmpty())
    }

    @Test
    fun aTabletShowsTheListAndTheDetailSideBySide() = app(wide = true) { m ->
        m.navigator.openTab(Tab.COMPLAINTS)
        await("the list", 60_000) { m.complaints.complaints.value.isNotEmpty() }
        m.navigator.open(Screen.Complaint(fx.complaintId))
        await("the detail", 60_000) {
            onAllNodes(hasText(stringsFor("ar").complaintHistory)).fetchSemanticsNodes().isNotEmpty()
        }
        // The list is still there beside it.
        assertTrue(onAllNodes(hasText(stringsFor("ar").complaintsTitle)).fetchSemanticsNodes().isNotEmpty())
    }

    /** Every control a screen reader can reach is labelled, at least 48 dp, titles are headings. */
    @Test
    fun everyControlIsLabelledAndLargeEnough() {
        for (language in listOf("ar", "en")) for (tab in Tab.entries) app(language) { m ->
            m.navigator.openTab(tab)
            waitForIdle()
            Thread.sleep(300)
            waitForIdle()
            val nodes = onAllNodes(androidx.compose.ui.test.isRoot(), useUnmergedTree = true).fetchSemanticsNodes()
                .flatMap { it.descendants() }
            val problems = mutableListOf<String>()
            for (n in nodes) {
                if (n.config.getOrNull(SemanticsActions.OnClick) == null) continue
                val label = n.labelText()
                if (label.isBlank()) problems += "$tab/$language: a control without a label at ${n.boundsInRoot}"
                // The area that takes the touch (Material widens a 40 dp button's to 48 dp); the
                // control's own size where the screen's edge clips that area.
                val touch = n.touchBoundsInRoot
                val width = maxOf(touch.width, n.size.width.toFloat())
                val height = maxOf(touch.height, n.size.height.toFloat())
                val minPx = 48 * 2 - 1 // 48 dp at density 2
                if (width < minPx || height < minPx) problems += "$tab/$language: '$label' takes touches on ${width}x$height px"
            }
            val headings = nodes.count { it.config.getOrNull(SemanticsProperties.Heading) != null }
            if (headings == 0) problems += "$tab/$language: no heading"
            assertTrue(problems.joinToString("\n"), problems.isEmpty())
        }
    }

    companion object {
        lateinit var fx: AppFixture

        @JvmStatic
        @BeforeClass
        fun start() {
            fx = AppFixture()
        }

        @JvmStatic
        @AfterClass
        fun stop() = fx.close()
    }
}
