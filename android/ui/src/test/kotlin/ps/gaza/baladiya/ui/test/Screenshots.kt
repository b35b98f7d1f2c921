package ps.gaza.baladiya.ui.test

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.toAwtImage
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.runSkikoComposeUiTest
import androidx.compose.ui.unit.Density
import androidx.compose.ui.unit.LayoutDirection
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO

/*
 * Rendering composables to images on the desktop JVM (Skia through skiko, no window, no GPU).
 *
 * Text goes through fontconfig: the build runs the tests with FONTCONFIG_FILE set to
 * src/test/resources/fonts.conf (Noto Sans + Noto Naskh Arabic only), which is what makes a render
 * the same on every machine. See Golden.kt for comparing a render with a committed PNG.
 */

/** Logical phone and tablet sizes used by the screenshot tests, in dp. */
object Screens {
    const val PHONE_WIDTH = 360
    const val PHONE_HEIGHT = 800
    const val TABLET_WIDTH = 840
    const val TABLET_HEIGHT = 1200
}

/**
 * Run [block] against a headless Compose UI of [widthDp] × [heightDp] dp at [density] pixels per dp
 * and [fontScale] (the test's `setContent`, finders, actions, `waitForIdle`, `waitUntil` are all
 * there); capture the screen with [capture]. This is `runSkikoComposeUiTest` with the size given in
 * dp: the image is `widthDp * density` pixels wide.
 *
 * Effects run on the test's own dispatcher and the main clock advances by itself; work the screen
 * starts elsewhere (the core's calls on Dispatchers.IO) is not seen by `waitForIdle`: wait for its
 * result with `waitUntil { … }` before capturing.
 */
@OptIn(ExperimentalTestApi::class)
fun <R> runScreenTest(
    widthDp: Int,
    heightDp: Int,
    fontScale: Float = 1f,
    density: Float = 2f,
    block: SkikoComposeUiTest.() -> R,
): R {
    require(widthDp > 0 && heightDp > 0) { "size must be positive: ${widthDp}x$heightDp dp" }
    var result: Result<R>? = null
    runSkikoComposeUiTest(
        size = Size(widthDp * density, heightDp * density),
        density = Density(density, fontScale),
    ) {
        result = runCatching { block() }
    }
    return result!!.getOrThrow()
}

/**
 * Render [content] on a [widthDp] × [heightDp] dp screen and return the picture (opaque: what the
 * content leaves transparent is white). [layoutDirection], when given, is provided to the content
 * (`LocalLayoutDirection`), e.g. [LayoutDirection.Rtl] for Arabic; screens that set their own
 * direction from their language need none.
 *
 * Waits until Compose is idle; when [ready] is given, first until it holds (polled with the UI
 * idle, up to [timeoutMs]), for content whose data arrives from outside Compose.
 */
@OptIn(ExperimentalTestApi::class)
fun render(
    widthDp: Int,
    heightDp: Int,
    fontScale: Float = 1f,
    density: Float = 2f,
    layoutDirection: LayoutDirection? = null,
    timeoutMs: Long = 10_000,
    ready: (SkikoComposeUiTest.() -> Boolean)? = null,
    content: @Composable () -> Unit,
): BufferedImage = runScreenTest(widthDp, heightDp, fontScale, density) {
    setContent {
        if (layoutDirection == null) {
            content()
        } else {
            CompositionLocalProvider(LocalLayoutDirection provides layoutDirection) { content() }
        }
    }
    waitForIdle()
    if (ready != null) {
        waitUntil("the content to be ready", timeoutMs) { ready() }
        waitForIdle()
    }
    capture()
}

/** The whole screen of this test as an opaque image (transparent areas on white). */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.capture(): BufferedImage {
    waitForIdle()
    return opaque(captureToImage().toAwtImage())
}

/** PNG bytes of [image]. */
fun pngBytes(image: BufferedImage): ByteArray =
    ByteArrayOutputStream().also { ImageIO.write(image, "png", it) }.toByteArray()

/** [image] composed over white, as TYPE_INT_RGB (what the goldens hold). */
fun opaque(image: BufferedImage): BufferedImage {
    val out = BufferedImage(image.width, image.height, BufferedImage.TYPE_INT_RGB)
    val g = out.createGraphics()
    try {
        g.color = Color.WHITE
        g.fillRect(0, 0, image.width, image.height)
        g.drawImage(image, 0, 0, null)
    } finally {
        g.dispose()
    }
    return out
}
