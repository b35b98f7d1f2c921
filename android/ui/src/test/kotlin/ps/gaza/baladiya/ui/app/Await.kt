package ps.gaza.baladiya.ui.app

import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.isRoot
import androidx.compose.ui.test.onAllNodesWithTag
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.text.TextLayoutResult
import ps.gaza.baladiya.ui.common.PreviewText
import ps.gaza.baladiya.ui.common.VARIES
import java.awt.Rectangle

/**
 * Wait until [condition] holds, by the wall clock: the core answers on its own threads, and
 * `waitUntil` counts frames, which a software renderer draws slowly. On time-out the failure
 * lists the texts on screen, to see where the app stood.
 */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.await(what: String, timeoutMs: Long = 60_000, condition: () -> Boolean) {
    val deadline = System.currentTimeMillis() + timeoutMs
    while (true) {
        waitForIdle()
        if (condition()) return
        if (System.currentTimeMillis() > deadline) {
            val texts = onAllNodes(isRoot(), useUnmergedTree = true).fetchSemanticsNodes()
                .flatMap { it.allTexts() }.distinct().take(60)
            System.err.println("== threads when waiting for $what timed out ==\n" + threadDump())
            throw AssertionError("timed out after $timeoutMs ms waiting for $what; on screen: $texts")
        }
        Thread.sleep(25)
    }
}

/** Every live thread's stack, to see where a screen's load stood when a wait timed out. */
private fun threadDump(): String =
    Thread.getAllStackTraces().entries.joinToString("\n") { (thread, stack) ->
        "\"${thread.name}\" ${thread.state}\n" + stack.take(40).joinToString("\n") { "    at $it" }
    }

/** A node and everything below it. */
fun SemanticsNode.descendants(): List<SemanticsNode> = listOf(this) + children.flatMap { it.descendants() }

/** What a screen reader says for a node: its description or its text, merged with its children's. */
fun SemanticsNode.labelText(): String {
    val own = (config.getOrNull(SemanticsProperties.ContentDescription).orEmpty() +
        config.getOrNull(SemanticsProperties.Text).orEmpty().map { it.text }).joinToString(" ")
    return own.ifBlank { children.joinToString(" ") { it.labelText() } }
}

private fun SemanticsNode.allTexts(): List<String> =
    config.getOrNull(SemanticsProperties.Text).orEmpty().map { it.text } + children.flatMap { it.allTexts() }

/** Where the screen shows what differs between runs by design (see [VARIES]), in pixels. */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.variesBounds(): List<Rectangle> =
    onAllNodesWithTag(VARIES, useUnmergedTree = true).fetchSemanticsNodes().map {
        val b = it.boundsInRoot
        Rectangle(b.left.toInt(), b.top.toInt(), b.width.toInt() + 1, b.height.toInt() + 1)
    }

/**
 * The texts on screen drawn cut short (lines dropped or ellipsized), other than previews marked with
 * [PreviewText] and text fields (which scroll). At a large font size a cut label or sentence is
 * something the citizen cannot read.
 */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.cutTexts(): List<String> =
    onAllNodes(SemanticsMatcher.keyIsDefined(SemanticsActions.GetTextLayoutResult), useUnmergedTree = true)
        .fetchSemanticsNodes()
        .filter { PreviewText !in it.config && SemanticsProperties.EditableText !in it.config }
        .mapNotNull { node ->
            val layouts = mutableListOf<TextLayoutResult>()
            node.config[SemanticsActions.GetTextLayoutResult].action?.invoke(layouts)
            // Lines dropped (a height or maxLines limit) or a line ellipsized. (didOverflowWidth
            // is set on the desktop for any line narrower than the constraint, so it says nothing.)
            layouts.firstOrNull()
                ?.takeIf { l -> l.didOverflowHeight || (0 until l.lineCount).any { l.isLineEllipsized(it) } }
                ?.layoutInput?.text?.text
        }
