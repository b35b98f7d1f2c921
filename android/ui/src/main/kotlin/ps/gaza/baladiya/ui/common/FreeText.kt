package ps.gaza.baladiya.ui.common

import androidx.compose.material3.LocalTextStyle
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.LinkAnnotation
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.TextLinkStyles
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.text.style.TextDirection
import androidx.compose.ui.text.withLink
import ps.gaza.baladiya.ui.LocalPlatform
import ps.gaza.baladiya.ui.Platform
import ps.gaza.baladiya.ui.text.Bidi

/**
 * Free text from the municipality (a status note, a reply, a news body) as shown: every phone,
 * account or tracking number in it kept in a left-to-right isolate, so "للاستفسار: 08-2865000"
 * does not read "2865000-08", and phone numbers tappable (the dialler opens with the number; no
 * call is placed). The words are the staff's own: nothing else is changed.
 */
@Composable
fun freeText(text: String): AnnotatedString {
    val platform = LocalPlatform.current
    val linkColor = MaterialTheme.colorScheme.primary
    return freeText(text, platform, SpanStyle(color = linkColor, textDecoration = TextDecoration.Underline))
}

fun freeText(text: String, platform: Platform, linkStyle: SpanStyle): AnnotatedString = buildAnnotatedString {
    var at = 0
    for (found in Bidi.find(text)) {
        append(text.substring(at, found.start))
        append(Bidi.LRI)
        val run = text.substring(found.start, found.end)
        if (found.kind == Bidi.Kind.PHONE) {
            val link = LinkAnnotation.Clickable(
                tag = "tel:${found.digits}",
                styles = TextLinkStyles(style = linkStyle),
                linkInteractionListener = { platform.dial(found.digits) },
            )
            withLink(link) { append(run) }
        } else {
            append(run)
        }
        append(Bidi.PDI)
        at = found.end
    }
    append(text.substring(at))
}

/**
 * The style for a paragraph people wrote (a complaint's description, a department's note): its
 * direction follows its first strong letter, so an Arabic note in the English app reads right to
 * left with its full stop at the end, and the other way round.
 */
@Composable
fun writtenText(): TextStyle = LocalTextStyle.current.copy(textDirection = TextDirection.Content)
