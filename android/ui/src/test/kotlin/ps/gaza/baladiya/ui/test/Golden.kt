package ps.gaza.baladiya.ui.test

import java.awt.image.BufferedImage
import java.io.File
import javax.imageio.ImageIO
import kotlin.math.abs
import kotlin.math.max

/*
 * Golden screenshots: a render is compared with the committed PNG
 * android/ui/src/test/resources/golden/<name>.png.
 *
 *   scripts/update-goldens.sh        (or -Dbaladiya.golden.update=true): write missing goldens and
 *                                    overwrite those that no longer match; matching ones are left
 *                                    untouched, so the diff shows only screens that changed.
 *
 * On a mismatch the test fails and leaves <name>.actual.png, <name>.expected.png and <name>.diff.png
 * (differing pixels red over a faded copy of the golden) in android/ui/target/golden-diffs/.
 */

/**
 * How different a render may be from its golden and still match: a pixel differs when one of its
 * red, green or blue values differs by more than [channelDelta] (0–255); the images match when at
 * most [maxDifferentFraction] of the pixels differ. The defaults absorb anti-aliasing noise, not a
 * moved word.
 */
data class GoldenTolerance(val channelDelta: Int = 12, val maxDifferentFraction: Double = 0.001) {
    companion object {
        val Default = GoldenTolerance()
        val Exact = GoldenTolerance(channelDelta = 0, maxDifferentFraction = 0.0)
    }
}

/** Where goldens are read and written, where failures leave their images, and the update switch. */
object GoldenConfig {
    val goldenDir: File
        get() = File(System.getProperty("baladiya.golden.dir") ?: "src/test/resources/golden")
    val diffDir: File
        get() = File(System.getProperty("baladiya.golden.diffs") ?: "target/golden-diffs")
    val update: Boolean
        get() = System.getProperty("baladiya.golden.update").toBoolean()
}

/** The outcome of comparing two images of the same size. */
data class ImageDifference(val differentPixels: Int, val totalPixels: Int, val maxChannelDelta: Int) {
    val fraction: Double get() = if (totalPixels == 0) 0.0 else differentPixels.toDouble() / totalPixels
    fun within(tolerance: GoldenTolerance): Boolean = fraction <= tolerance.maxDifferentFraction
}

/**
 * Assert that [image] matches the golden [name] (a relative path without `.png`, e.g.
 * `guide/search_ar_phone`) within [tolerance]. With [update] (default: the system property
 * `baladiya.golden.update=true`) a missing or different golden is written instead and the
 * assertion passes. [masks] (pixel rectangles) are painted over in grey before comparing and
 * writing: for what differs between runs by design, such as a random tracking number.
 */
fun assertGolden(
    name: String,
    image: BufferedImage,
    tolerance: GoldenTolerance = GoldenTolerance.Default,
    update: Boolean = GoldenConfig.update,
    masks: List<java.awt.Rectangle> = emptyList(),
) {
    require(Regex("[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*").matches(name) && ".." !in name) {
        "golden name must be a relative path of letters, digits, _ . - and /: $name"
    }
    val actual = opaque(image)
    if (masks.isNotEmpty()) {
        val g = actual.createGraphics()
        g.color = java.awt.Color(0xC8, 0xC8, 0xC8)
        masks.forEach(g::fill)
        g.dispose()
    }
    val golden = File(GoldenConfig.goldenDir, "$name.png")
    if (!golden.isFile) {
        if (update) {
            write(actual, golden)
            println("golden written: $golden")
            return
        }
        val saved = File(GoldenConfig.diffDir, "$name.actual.png").also { write(actual, it) }
        throw AssertionError(
            "golden '$name' is missing ($golden); this render is in $saved. " +
                "Create it with scripts/update-goldens.sh (-Dbaladiya.golden.update=true), look at it, commit it.",
        )
    }
    val expected = ImageIO.read(golden) ?: throw AssertionError("golden '$name' is not a readable PNG: $golden")
    val problem = if (expected.width != actual.width || expected.height != actual.height) {
        "size ${actual.width}x${actual.height} instead of the golden's ${expected.width}x${expected.height}"
    } else {
        val difference = compareImages(expected, actual, tolerance.channelDelta)
        if (difference.within(tolerance)) null else
            "%d of %d pixels (%.3f%%, allowed %.3f%%) differ by more than %d (largest difference %d)".format(
                difference.differentPixels, difference.totalPixels, difference.fraction * 100,
                tolerance.maxDifferentFraction * 100, tolerance.channelDelta, difference.maxChannelDelta,
            )
    }
    if (problem == null) return
    if (update) {
        write(actual, golden)
        println("golden updated: $golden ($problem)")
        return
    }
    val base = File(GoldenConfig.diffDir, name)
    val actualFile = File("${base.path}.actual.png").also { write(actual, it) }
    File("${base.path}.expected.png").also { write(opaque(expected), it) }
    val diffFile = File("${base.path}.diff.png")
    if (expected.width == actual.width && expected.height == actual.height) {
        write(diffImage(expected, actual, tolerance.channelDelta), diffFile)
    }
    throw AssertionError(
        "screenshot '$name' does not match its golden: $problem. See $actualFile" +
            (if (diffFile.isFile) " and $diffFile" else "") +
            "; if the change is intended, run scripts/update-goldens.sh and commit the new golden.",
    )
}

/** Count the pixels of two same-sized images whose red, green or blue differ by more than [channelDelta]. */
fun compareImages(expected: BufferedImage, actual: BufferedImage, channelDelta: Int): ImageDifference {
    require(expected.width == actual.width && expected.height == actual.height) { "images differ in size" }
    var different = 0
    var largest = 0
    for (y in 0 until expected.height) {
        for (x in 0 until expected.width) {
            val delta = channelDelta(expected.getRGB(x, y), actual.getRGB(x, y))
            largest = max(largest, delta)
            if (delta > channelDelta) different++
        }
    }
    return ImageDifference(different, expected.width * expected.height, largest)
}

/** Differing pixels in red over a faded grey copy of [expected]. */
fun diffImage(expected: BufferedImage, actual: BufferedImage, channelDelta: Int): BufferedImage {
    val out = BufferedImage(expected.width, expected.height, BufferedImage.TYPE_INT_RGB)
    for (y in 0 until expected.height) {
        for (x in 0 until expected.width) {
            val e = expected.getRGB(x, y)
            out.setRGB(
                x, y,
                if (channelDelta(e, actual.getRGB(x, y)) > channelDelta) 0xFF0000 else {
                    val grey = 200 + luminance(e) * 55 / 255
                    (grey shl 16) or (grey shl 8) or grey
                },
            )
        }
    }
    return out
}

private fun channelDelta(a: Int, b: Int): Int = max(
    abs((a shr 16 and 0xFF) - (b shr 16 and 0xFF)),
    max(abs((a shr 8 and 0xFF) - (b shr 8 and 0xFF)), abs((a and 0xFF) - (b and 0xFF))),
)

private fun luminance(rgb: Int): Int = ((rgb shr 16 and 0xFF) * 3 + (rgb shr 8 and 0xFF) * 6 + (rgb and 0xFF)) / 10

private fun write(image: BufferedImage, file: File) {
    file.absoluteFile.parentFile.mkdirs()
    check(ImageIO.write(image, "png", file)) { "no PNG writer" }
}
