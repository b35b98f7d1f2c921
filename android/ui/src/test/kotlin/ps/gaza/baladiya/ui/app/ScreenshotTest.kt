package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.hasText
import kotlinx.coroutines.runBlocking
import ps.gaza.baladiya.ui.common.pick
import org.junit.AfterClass
import org.junit.BeforeClass
import org.junit.Test
import ps.gaza.baladiya.ui.AppModels
import ps.gaza.baladiya.ui.AppRoot
import ps.gaza.baladiya.ui.AppSurface
import ps.gaza.baladiya.ui.Screen
import ps.gaza.baladiya.ui.Tab
import ps.gaza.baladiya.ui.common.ShownTime
import ps.gaza.baladiya.ui.complaints.ComplaintForm
import ps.gaza.baladiya.ui.complaints.ComplaintFormModel
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.assertGolden
import ps.gaza.baladiya.ui.test.capture
import ps.gaza.baladiya.ui.test.runScreenTest
import java.util.TimeZone

/**
 * Every main screen as a citizen sees it, rendered from the real core synced from the reference
 * server's sample data: Arabic (right to left) and English, phone (360×800 dp) and tablet
 * (840×1200 dp), and the Arabic phone at font scale 1.5. Goldens in src/test/resources/golden;
 * `scripts/update-goldens.sh` rewrites them after an intended change (look at them first).
 */
@OptIn(ExperimentalTestApi::class)
class ScreenshotTest {
    private enum class Size(val w: Int, val h: Int, val font: Float = 1f) {
        PHONE(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT),
        TABLET(Screens.TABLET_WIDTH, Screens.TABLET_HEIGHT),
        LARGE_FONT(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT, 1.5f),
    }

    private fun sizes(language: String) =
        if (language == "ar") Size.entries else listOf(Size.PHONE, Size.TABLET)

    /** The whole app at [screen], in every language and size, once [ready] holds. */
    private fun shot(
        name: String,
        open: (AppModels) -> Unit,
        ready: SkikoComposeUiTest.(AppModels, String) -> Boolean,
    ) {
        for (language in listOf("ar", "en")) for (size in sizes(language)) {
            val image = runScreenTest(size.w, size.h, fontScale = size.font) {
                lateinit var models: AppModels
                setContent {
                    val scope = rememberCoroutineScope()
                    models = remember { AppModels(fx.env, scope).also(open) }
                    AppRoot(models, language)
                }
                waitUntil("$name in $language to be ready", 20_000) { ready(models, language) }
                capture()
            }
            assertGolden("$name/${language}_${size.name.lowercase()}", image)
        }
    }

    private fun SkikoComposeUiTest.shows(text: String) =
        onAllNodes(hasText(text, substring = true), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty()

    @Test
    fun guideSearchWithResults() = shot(
        "guide_search",
        open = { it.guide.onQueryChange("رخصه بناء") },
        ready = { m, _ -> m.guide.hits.value.isNotEmpty() && m.guide.hitsFor.value == "رخصه بناء" },
    )

    @Test
    fun serviceDetail() = shot(
        "service",
        open = { it.navigator.open(Screen.Service("building-permit")) },
        // The page's heading (what is lower down may be below the fold, not yet composed).
        ready = { _, l -> shows(runBlocking { fx.app.client.service("building-permit") }.title.pick(l)) },
    )

    @Test
    fun violationsGuide() = shot(
        "violations",
        open = { it.navigator.open(Screen.Violations) },
        ready = { _, l -> shows(stringsFor(l).violationLegalBasis("").trim()) },
    )

    @Test
    fun myComplaints() = shot(
        "complaints",
        open = { it.navigator.openTab(Tab.COMPLAINTS) },
        ready = { m, _ -> m.complaints.complaints.value.isNotEmpty() },
    )

    @Test
    fun complaintDetailWithTimelineAndReply() = shot(
        "complaint_detail",
        open = { it.navigator.open(Screen.Complaint(fx.complaintId)) },
        ready = { _, l -> shows(stringsFor(l).complaintTrackingNumber) },
    )

    @Test
    fun billWithLineItems() = shot(
        "bill",
        open = {
            it.navigator.openTab(Tab.BILLS)
            it.bills.setAccount(AppFixture.ACCOUNT)
            it.bills.setVerification(AppFixture.PHONE)
            it.bills.lookup()
        },
        ready = { m, _ -> m.bills.state.value.result != null && !m.bills.state.value.loading },
    )

    @Test
    fun savedAccounts() = shot(
        "bills_saved",
        open = { it.navigator.openTab(Tab.BILLS) },
        ready = { m, _ -> m.bills.state.value.saved.isNotEmpty() },
    )

    @Test
    fun newsList() = shot(
        "news",
        open = { it.navigator.openTab(Tab.NEWS) },
        ready = { m, _ -> m.news.news.value.isNotEmpty() },
    )

    @Test
    fun newsItem() = shot(
        "news_item",
        open = { m ->
            m.navigator.openTab(Tab.NEWS)
        },
        ready = { m, _ ->
            val first = m.news.news.value.firstOrNull()
            if (first != null && m.navigator.current !is Screen.NewsItem) m.navigator.open(Screen.NewsItem(first.item.id))
            m.news.opened.value != null
        },
    )

    @Test
    fun settings() = shot(
        "settings",
        open = { it.navigator.openTab(Tab.SETTINGS) },
        ready = { m, _ -> m.settings.state.value.usage.isNotEmpty() },
    )

    /** The form with a category's questions answered (and one left out: every problem marked). */
    @Test
    fun complaintFormFilledAndWithProblems() {
        for (language in listOf("ar", "en")) for (size in sizes(language)) for (withProblems in listOf(false, true)) {
            // The categories and their questions in the shown language (AppRoot does this in the app).
            runBlocking { fx.env.followLanguage(language) }
            val image = runScreenTest(size.w, size.h, fontScale = size.font) {
                lateinit var vm: ComplaintFormModel
                setContent {
                    val scope = rememberCoroutineScope()
                    vm = remember { ComplaintFormModel(fx.env, scope, null) }
                    AppSurface(language, fx.platform) { ComplaintForm(vm, onBack = {}, onFiled = {}) }
                }
                waitUntil("categories", 20_000) { vm.form.value.categories.isNotEmpty() }
                vm.selectCategory(vm.form.value.categories.first { it.code == "water-leak" })
                waitUntil("questions", 20_000) { vm.form.value.attributes.isNotEmpty() }
                if (withProblems) {
                    // Severity (required) left out, a bad phone: both marked at once.
                    vm.setAnswer("leak_point", listOf("main"))
                    vm.setPhone("123")
                    vm.submit()
                    waitUntil("problems", 20_000) { vm.error.value != null }
                } else {
                    vm.setAnswer("severity", listOf("burst"))
                    vm.setAnswer("leak_point", listOf("main"))
                    vm.setDescription("تسرب مياه كبير أمام مدرسة الرمال")
                    vm.setPhone("٠٥٩٩ ١٢٣ ٤٥٦")
                }
                waitForIdle()
                capture()
            }
            val state = if (withProblems) "problems" else "filled"
            assertGolden("complaint_form_$state/${language}_${size.name.lowercase()}", image)
        }
    }

    companion object {
        lateinit var fx: AppFixture

        @JvmStatic
        @BeforeClass
        fun start() {
            // Reproducible pixels: one time zone, and every shown time the same instant.
            TimeZone.setDefault(TimeZone.getTimeZone("Asia/Gaza"))
            ShownTime.frozenAt = 1_795_000_000_000 // 2026-11-18
            fx = AppFixture()
        }

        @JvmStatic
        @AfterClass
        fun stop() {
            ShownTime.frozenAt = null
            fx.close()
        }
    }
}
