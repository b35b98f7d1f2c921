package ps.gaza.baladiya.ui.common

import androidx.compose.ui.text.rememberTextMeasurer
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.RowScope
import androidx.compose.foundation.layout.WindowInsets
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LocalTextStyle
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.SemanticsPropertyKey
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.input.OffsetMapping
import androidx.compose.ui.text.input.TransformedText
import androidx.compose.ui.text.input.VisualTransformation
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.text.style.TextDirection
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.ui.LocalPlatform
import ps.gaza.baladiya.ui.text.Strings
import uniffi.baladiya_ffi.ApiException

/**
 * A screen with its own top bar inside the app's scaffold. The outer scaffold already pads for
 * the navigation bar, so this one adds no window insets of its own (the top bar keeps the
 * status bar's). The title is a heading for screen readers; where it does not fit beside the
 * bar's actions (a large font size) [shortTitle] is shown instead of a cut one.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ScreenScaffold(
    title: String,
    shortTitle: String? = null,
    onBack: (() -> Unit)? = null,
    actions: @Composable RowScope.() -> Unit = {},
    content: @Composable (PaddingValues) -> Unit,
) {
    val openSettings = LocalOpenSettings.current
    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    BoxWithConstraints {
                        val measurer = rememberTextMeasurer()
                        val style = LocalTextStyle.current
                        val fits = shortTitle == null ||
                            measurer.measure(title, style, maxLines = 1).size.width <= constraints.maxWidth
                        Text(
                            if (fits) title else shortTitle.orEmpty(),
                            maxLines = 1,
                            overflow = TextOverflow.Ellipsis,
                            modifier = Modifier.semantics { heading() },
                        )
                    }
                },
                navigationIcon = {
                    if (onBack != null) {
                        IconButton(onClick = onBack) {
                            // AutoMirrored: points right in Arabic.
                            Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = strings.back)
                        }
                    }
                },
                actions = {
                    actions()
                    // On a phone, Settings is reached from every tab's first screen.
                    if (onBack == null && openSettings != null) {
                        IconButton(onClick = openSettings) {
                            Icon(Icons.Filled.Settings, contentDescription = strings.settingsTitle)
                        }
                    }
                },
            )
        },
        contentWindowInsets = WindowInsets(0, 0, 0, 0),
        content = content,
    )
}

/** Opens Settings from a tab's top bar, where the layout has no place for it in the bar (phones). */
val LocalOpenSettings = staticCompositionLocalOf<(() -> Unit)?> { null }

/** Switches between Arabic and English (Settings also offers "follow the system"). */
@Composable
fun LanguageButton() {
    val platform = LocalPlatform.current
    val other = if (uiLanguage == "en") "ar" else "en"
    TextButton(onClick = { platform.setLanguage(other) }) { Text(strings.switchLanguage) }
}

/** A dismissible line saying what went wrong, in the citizen's language; read out when it appears. */
@Composable
fun ErrorBanner(error: Throwable?, onDismiss: () -> Unit, modifier: Modifier = Modifier) {
    if (error == null) return
    ErrorBanner(strings.errorText(error), onDismiss, modifier)
}

@Composable
fun ErrorBanner(text: String, onDismiss: (() -> Unit)?, modifier: Modifier = Modifier) {
    Surface(
        color = MaterialTheme.colorScheme.errorContainer,
        contentColor = MaterialTheme.colorScheme.onErrorContainer,
        shape = MaterialTheme.shapes.medium,
        modifier = modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp)
            .semantics { liveRegion = LiveRegionMode.Assertive },
    ) {
        Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.padding(start = 16.dp)) {
            Text(text, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f).padding(vertical = 12.dp))
            if (onDismiss != null) {
                IconButton(onClick = onDismiss) {
                    Icon(Icons.Filled.Close, contentDescription = strings.dismiss)
                }
            }
        }
    }
}

/** A calm, informational banner (offline copy, nothing downloaded yet). */
@Composable
fun InfoBanner(text: String, modifier: Modifier = Modifier, action: (@Composable () -> Unit)? = null) {
    InfoBanner(AnnotatedString(text), modifier, action)
}

/** The same, for text already annotated (a server's note through [freeText]). */
@Composable
fun InfoBanner(text: AnnotatedString, modifier: Modifier = Modifier, action: (@Composable () -> Unit)? = null) {
    Surface(
        color = MaterialTheme.colorScheme.tertiaryContainer,
        contentColor = MaterialTheme.colorScheme.onTertiaryContainer,
        shape = MaterialTheme.shapes.medium,
        modifier = modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
    ) {
        Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.padding(16.dp, 12.dp)) {
            Text(text, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
            action?.invoke()
        }
    }
}

@Composable
fun SectionTitle(text: String, modifier: Modifier = Modifier) {
    Text(
        text,
        style = MaterialTheme.typography.titleMedium,
        fontWeight = FontWeight.Bold,
        color = MaterialTheme.colorScheme.primary,
        modifier = modifier.padding(top = 16.dp, bottom = 4.dp).semantics { heading() },
    )
}

@Composable
fun EmptyState(text: String, actionLabel: String? = null, onAction: () -> Unit = {}) {
    Box(Modifier.fillMaxWidth().padding(32.dp), contentAlignment = Alignment.Center) {
        Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Text(text, textAlign = TextAlign.Center, style = MaterialTheme.typography.bodyLarge)
            if (actionLabel != null) TextButton(onClick = onAction) { Text(actionLabel) }
        }
    }
}

/**
 * What to tell the citizen about a failure. The library's own text is English and technical, so
 * every kind gets our wording in the citizen's language; a validation error names its field,
 * and the fields we know get a sentence of their own.
 */
fun Strings.errorText(e: Throwable): String {
    val error = (e as? BaladiyaException)?.error ?: return errorGeneric
    return when (error) {
        is ApiException.Offline -> errorOffline
        is ApiException.Network -> errorNetwork
        is ApiException.Server -> errorServer(error.status.toInt())
        is ApiException.MalformedResponse -> errorServerAnswer
        is ApiException.Unauthorized -> errorUnauthorized
        is ApiException.Throttled -> errorThrottledMinutes(((error.retryAfterSecs.toLong() + 59) / 60).toInt().coerceAtLeast(1))
        is ApiException.NotFound -> errorNotFound
        is ApiException.Validation -> validationText(error.field, error.reason)
        is ApiException.Storage -> errorStorage
        is ApiException.Internal -> errorInternal
    }
}

/** A validation failure's field, worded; the library's reason when we have no sentence for it. */
fun Strings.validationText(field: String, reason: String): String = when {
    field == "account" -> invalidAccount
    field == "verification" -> invalidVerification
    field == "nickname" -> invalidNickname
    field == "service_code" -> invalidCategory
    field == "description" -> invalidDescription
    field == "location" && reason.contains("outside") -> invalidLocationOutside
    field == "location" -> invalidLocation
    field == "contact.phone" -> invalidPhone
    field == "contact.email" -> invalidEmail
    field == "photo" || field == "photos" -> invalidPhoto
    field.startsWith("attribute[") && reason == "required" -> invalidRequired
    else -> reason
}

/** Every field a validation error names (all of a draft's problems at once), first one first. */
fun validationProblems(e: Throwable?): List<Pair<String, String>> {
    val v = (e as? BaladiyaException)?.error as? ApiException.Validation ?: return emptyList()
    return v.problems.map { it.field to it.reason }.ifEmpty { listOf(v.field to v.reason) }
}

/**
 * The text style of phone, account and meter-number inputs: left to right in either language.
 * Only the input's text: its label and help stay in the screen's direction. Used with
 * [LeftToRightDigits], which keeps the typed digit groups in order.
 */
@Composable
fun ltrInput(): TextStyle = LocalTextStyle.current.merge(TextStyle(textDirection = TextDirection.Ltr))

/**
 * Shows an input's text inside a left-to-right override (U+202D … U+202C). A left-to-right
 * paragraph alone is not enough: Arabic-Indic digits are "Arabic numbers" to the bidi algorithm,
 * and the spaces between two groups of them resolve right to left, so "٠٥٩٩ ١٢٣ ٤٥٦" would still
 * show as "٤٥٦ ١٢٣ ٠٥٩٩". The value itself is untouched (the marks are only drawn).
 */
object LeftToRightDigits : VisualTransformation {
    private const val LRO = '\u202D'
    private const val PDF = '\u202C'

    override fun filter(text: AnnotatedString): TransformedText {
        val shown = AnnotatedString(LRO.toString()) + text + AnnotatedString(PDF.toString())
        val mapping = object : OffsetMapping {
            override fun originalToTransformed(offset: Int) = offset + 1
            override fun transformedToOriginal(offset: Int) = (offset - 1).coerceIn(0, text.length)
        }
        return TransformedText(shown, mapping)
    }
}

/**
 * The test tag of what differs from one run to the next by design (a tracking number the core
 * draws at random, the bytes a run happened to move): screenshot tests paint it over.
 */
const val VARIES = "varies"

/**
 * Marks a text shown cut on purpose: a preview in a list (a summary, a news title, a complaint's
 * first line) whose whole text is one tap away. Any other text cut short at a large font size is
 * a bug; the screenshot tests fail on it.
 */
val PreviewText = SemanticsPropertyKey<Unit>("PreviewText")

fun Modifier.previewText(): Modifier = semantics { set(PreviewText, Unit) }
