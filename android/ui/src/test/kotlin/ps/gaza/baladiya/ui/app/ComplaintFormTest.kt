package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.assert
import androidx.compose.ui.test.hasAnyDescendant
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
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
