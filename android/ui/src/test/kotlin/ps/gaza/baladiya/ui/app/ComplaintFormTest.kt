package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.assert
import androidx.compose.ui.test.assertTextEquals
import androidx.compose.ui.test.hasAnyAncestor
import androidx.compose.ui.test.hasAnyDescendant
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.text.TextLayoutResult
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import ps.gaza.baladiya.ui.AppSurface
import ps.gaza.baladiya.ui.complaints.ComplaintForm
import ps.gaza.baladiya.ui.complaints.ComplaintFormModel
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.runScreenTest

/** The complaint form as a citizen meets it (issue 19: 1 and 4). */
@OptIn(ExperimentalTestApi::class)
class ComplaintFormTest {
    private fun form(language: String = "ar", block: SkikoComposeUiTest.(ComplaintFormModel) -> Unit) {
        runBlocking { fx.env.followLanguage(language) }
        runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
            lateinit var vm: ComplaintFormModel
            setContent {
                val scope = rememberCoroutineScope()
                vm = remember { ComplaintFormModel(fx.env, scope, null) }
                AppSurface(language, fx.platform) { ComplaintForm(vm, onBack = {}, onFiled = {}) }
            }
            await("categories", 60_000) { vm.form.value.categories.isNotEmpty() }
            vm.selectCategory(vm.form.value.categories.first { it.code == "water-leak" })
            await("questions", 60_000) { vm.form.value.attributes.isNotEmpty() }
            block(vm)
        }
    }

    @Test
    fun everyMissingAnswerIsMarkedAtOnceAndSaidByTheButton() = form { vm ->
        val s = stringsFor("ar")
        // Severity (required) unanswered, no description, a bad phone; the citizen is down at the
        // button, the first question far above, out of view.
        vm.setPhone("123")
        waitForIdle()
        onNodeWithText(s.complaintSubmit).performScrollTo()
        waitForIdle()
        val question = vm.form.value.attributes.first { it.code == "severity" }.description
        // Where the question is, unclipped (bounds are clipped to what is visible).
        fun questionTop() = onAllNodes(hasText(question, substring = true), useUnmergedTree = true)
            .fetchSemanticsNodes().first().positionInRoot.y
        assertTrue("the question starts out of view, at ${questionTop()}", questionTop() < 0f)
        vm.submit()
        await("the problems", 60_000) { vm.error.value != null }
        waitForIdle()
        // Each field shows its own message...
        assertEquals(1, onAllNodes(hasText(s.invalidRequired)).fetchSemanticsNodes().size)
        assertEquals(1, onAllNodes(hasText(s.invalidDescription)).fetchSemanticsNodes().size)
        assertEquals(1, onAllNodes(hasText(s.invalidPhone)).fetchSemanticsNodes().size)
        // ...and by the button the citizen just tapped, how many need fixing.
        val count = problemsCount(vm)
        assertTrue("severity, description, location and phone at least: $count", count >= 4)
        onNodeWithTag("form-problems", useUnmergedTree = true)
            .assert(hasAnyDescendant(hasText(s.complaintProblems(count), substring = true)))
        // The form scrolled up to the first problem (the category's question): it is on screen.
        await("the scroll to the first problem", 5_000) { questionTop() >= 0f }
        assertTrue(questionTop() <= Screens.PHONE_HEIGHT * 2f)
    }

    @Test
    fun aPhoneNumberIsTypedLeftToRightInArabic() = form { vm ->
        vm.setAnonymous(false)
        waitForIdle()
        val typed = "٠٥٩٩ ١٢٣ ٤٥٦"
        onNodeWithTag("field-phone", useUnmergedTree = true).performTextInput(typed)
        waitForIdle()
        assertEquals(typed, vm.form.value.phone)
        val layouts = mutableListOf<TextLayoutResult>()
        onNodeWithTag("field-phone", useUnmergedTree = true).fetchSemanticsNode()
            .config[SemanticsActions.GetTextLayoutResult].action!!.invoke(layouts)
        val layout = layouts.first()
        // The first group typed is drawn to the left of the last one (the shown text starts with
        // the override mark, so a typed character's offset there is one more).
        assertEquals("\u202D$typed\u202C", layout.layoutInput.text.text)
        val first = layout.getBoundingBox(1).left
        val last = layout.getBoundingBox(typed.length).left
        assertTrue("first group at $first, last at $last", first < last)
    }

    /** Issue 15.4: before filing, the chosen category says within what time it is dealt with. */
    @Test
    fun theChosenCategorySaysItsExpectedTimeBeforeFiling() {
        val within = { language: String, hours: Int -> stringsFor(language).complaintCategoryWithin(hours) }
        // The wording: days when whole days, Arabic's counted forms and Arabic-Indic digits.
        assertEquals("نعمل على معالجة البلاغ خلال ٣ أيام", within("ar", 72))
        assertEquals("نعمل على معالجة البلاغ خلال يوم واحد", within("ar", 24))
        assertEquals("نعمل على معالجة البلاغ خلال يومين", within("ar", 48))
        assertEquals("نعمل على معالجة البلاغ خلال ١٤ يومًا", within("ar", 336))
        assertEquals("نعمل على معالجة البلاغ خلال ١٢ ساعة", within("ar", 12))
        assertEquals("We aim to deal with it within 3 days", within("en", 72))
        assertEquals("We aim to deal with it within 1 day", within("en", 24))
        assertEquals("We aim to deal with it within 12 hours", within("en", 12))
        for (language in listOf("ar", "en")) form(language) { vm ->
            // The water leak (the sample data's service level: a day), as the core cached it.
            assertEquals(24u, vm.form.value.category?.expectedHours)
            onNodeWithTag("category-expected", useUnmergedTree = true).assertTextEquals(within(language, 24))
            // Another category chosen: its own time (a streetlight, 3 days).
            vm.selectCategory(vm.form.value.categories.first { it.code == "streetlight" })
            waitForIdle()
            onNodeWithTag("category-expected", useUnmergedTree = true).assertTextEquals(within(language, 72))
            // While choosing, each category in the list says its time too (the rows in view).
            onNodeWithText(vm.form.value.category!!.name).performClick()
            waitForIdle()
            val shown = onAllNodes(hasAnyAncestor(hasTestTag("category-list")), useUnmergedTree = true)
                .fetchSemanticsNodes()
                .flatMap { it.config.getOrElseNullable(SemanticsProperties.Text) { null }.orEmpty() }
                .map { it.text }
            val rows = vm.form.value.categories.filter { it.name in shown }
            assertTrue("$shown", rows.size >= 3)
            for (c in rows) assertTrue("${c.code}: $shown", within(language, c.expectedHours!!.toInt()) in shown)
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

/** How many problems the form's last validation error lists. */
fun problemsCount(vm: ComplaintFormModel): Int = ps.gaza.baladiya.ui.common.validationProblems(vm.error.value).size
