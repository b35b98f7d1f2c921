package ps.gaza.baladiya.ui.test

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.test.getBoundsInRoot
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.LayoutDirection
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.assertThrows
import org.junit.Test
import java.io.File

/** The harness itself: a right-to-left Arabic render against a golden, and that a change is caught. */
class HarnessSmokeTest {

    @Composable
    private fun Sample(title: String = "بَلَدِيَّةُ غَزَّةَ") {
        Column(
            Modifier.fillMaxSize().background(Color.White).padding(12.dp),
            verticalArrangement = Arrangement.spacedBy(6.dp),
        ) {
            Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Box(Modifier.size(24.dp).background(Color(0xFF1B6E3A)).testTag("first"))
                Text(title, fontSize = 22.sp, fontWeight = FontWeight.Bold, color = Color.Black)
            }
            Text("رخصة بناء — الرسوم ١٢٠ ₪", fontSize = 16.sp, color = Color.Black)
            Text("حساب \u20661056-1203\u2069", fontSize = 16.sp, color = Color.Black)
            Text("Gaza Municipality 2026", fontSize = 14.sp, color = Color.DarkGray)
        }
    }

    @Test
    fun arabicRightToLeftMatchesGolden() {
        val image = render(WIDTH, HEIGHT, layoutDirection = LayoutDirection.Rtl) { Sample() }
        assertEquals(WIDTH * 2, image.width)
        assertEquals(HEIGHT * 2, image.height)
        assertGolden(GOLDEN, image)
        // The same content renders the same pixels twice in a row.
        val again = render(WIDTH, HEIGHT, layoutDirection = LayoutDirection.Rtl) { Sample() }
        assertEquals(0, compareImages(image, again, channelDelta = 0).differentPixels)
    }

    @Test
    fun rightToLeftPutsTheFirstChildOnTheRight() {
        runScreenTest(WIDTH, HEIGHT) {
            setContent {
                CompositionLocalProvider(LocalLayoutDirection provides LayoutDirection.Rtl) { Sample() }
            }
            val bounds = onNodeWithTag("first").getBoundsInRoot()
            assertEquals((WIDTH - 12 - 24).dp, bounds.left)
        }
    }

    @Test
    fun aVisiblyDifferentRenderFailsTheComparison() {
        // The golden itself (written here too when updating, whichever test runs first).
        val same = render(WIDTH, HEIGHT, layoutDirection = LayoutDirection.Rtl) { Sample() }
        assertGolden(GOLDEN, same)

        val diffs = GoldenConfig.diffDir
        listOf("actual", "expected", "diff").forEach { File(diffs, "$GOLDEN.$it.png").delete() }
        val changed = render(WIDTH, HEIGHT, layoutDirection = LayoutDirection.Rtl) { Sample(title = "بَلَدِيَّةُ خانيونس") }
        val failure = assertThrows(AssertionError::class.java) { assertGolden(GOLDEN, changed, update = false) }
        assertTrue(failure.message, "does not match its golden" in failure.message!!)
        assertTrue(File(diffs, "$GOLDEN.actual.png").isFile)
        assertTrue(File(diffs, "$GOLDEN.diff.png").isFile)

        // A left-to-right render of the same content is also caught (mirrored layout).
        val ltr = render(WIDTH, HEIGHT, layoutDirection = LayoutDirection.Ltr) { Sample() }
        assertThrows(AssertionError::class.java) { assertGolden(GOLDEN, ltr, update = false) }

        // A few stray pixels stay within the default tolerance; with none allowed they fail.
        val golden = same
        for (x in 0 until 5) golden.setRGB(x, 0, 0x000000)
        assertGolden(GOLDEN, golden, update = false)
        assertThrows(AssertionError::class.java) { assertGolden(GOLDEN, golden, GoldenTolerance.Exact, update = false) }

        // A missing golden is an error, not a silent pass.
        val missing = assertThrows(AssertionError::class.java) { assertGolden("smoke/no-such-golden", golden, update = false) }
        assertTrue(missing.message, "missing" in missing.message!!)
    }

    private companion object {
        const val WIDTH = 240
        const val HEIGHT = 180
        const val GOLDEN = "smoke/arabic_rtl"
    }
}
