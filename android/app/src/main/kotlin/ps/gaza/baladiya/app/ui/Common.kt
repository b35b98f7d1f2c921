package ps.gaza.baladiya.app.ui

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.ContextWrapper
import android.content.Intent
import android.net.Uri
import android.widget.Toast
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
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.BaladiyaException
import ps.gaza.baladiya.app.AppLocale
import ps.gaza.baladiya.app.R
import uniffi.baladiya_ffi.ApiException

/**
 * A screen with its own top bar inside the app's tab scaffold. The outer scaffold already pads
 * for the navigation bar, so this one adds no window insets of its own (the top bar keeps the
 * status bar's).
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ScreenScaffold(
    title: String,
    onBack: (() -> Unit)? = null,
    actions: @Composable RowScope.() -> Unit = {},
    content: @Composable (PaddingValues) -> Unit,
) {
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(title, maxLines = 1) },
                navigationIcon = {
                    if (onBack != null) {
                        IconButton(onClick = onBack) {
                            // AutoMirrored: points right in Arabic.
                            Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.back))
                        }
                    }
                },
                actions = actions,
            )
        },
        contentWindowInsets = WindowInsets(0, 0, 0, 0),
        content = content,
    )
}

/** Switches between Arabic and English (Android 13+ also offers it in system settings). */
@Composable
fun LanguageButton() {
    val context = LocalContext.current
    val other = if (uiLanguage() == "en") "ar" else "en"
    TextButton(onClick = { context.findActivity()?.let { AppLocale.set(it, other) } }) {
        Text(stringResource(R.string.switch_language))
    }
}

/** A dismissible line saying what went wrong, in the user's language. */
@Composable
fun ErrorBanner(error: Throwable?, onDismiss: () -> Unit, modifier: Modifier = Modifier) {
    if (error == null) return
    val context = LocalContext.current
    Surface(
        color = MaterialTheme.colorScheme.errorContainer,
        contentColor = MaterialTheme.colorScheme.onErrorContainer,
        shape = MaterialTheme.shapes.medium,
        modifier = modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
    ) {
        Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.padding(start = 16.dp)) {
            Text(errorText(context, error), style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
            IconButton(onClick = onDismiss) {
                Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.dismiss))
            }
        }
    }
}

/** A calm, informational banner (offline copy, nothing downloaded yet). */
@Composable
fun InfoBanner(text: String, modifier: Modifier = Modifier, action: (@Composable () -> Unit)? = null) {
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
        modifier = modifier.padding(top = 16.dp, bottom = 4.dp),
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
 * the kinds a citizen can act on get our wording; a validation error names its field, and the
 * fields we know get a sentence of their own.
 */
fun errorText(context: Context, e: Throwable): String {
    val error = (e as? BaladiyaException)?.error ?: return context.getString(R.string.error_generic)
    return when (error) {
        is ApiException.Offline -> context.getString(R.string.error_offline)
        is ApiException.Network -> context.getString(R.string.error_network)
        is ApiException.Server -> context.getString(R.string.error_server, error.status.toInt())
        is ApiException.MalformedResponse -> context.getString(R.string.error_server_answer)
        is ApiException.Unauthorized -> context.getString(R.string.error_unauthorized)
        is ApiException.Throttled -> {
            val minutes = ((error.retryAfterSecs.toLong() + 59) / 60).toInt().coerceAtLeast(1)
            context.resources.getQuantityString(R.plurals.error_throttled_minutes, minutes, minutes)
        }
        is ApiException.NotFound -> context.getString(R.string.error_not_found)
        is ApiException.Validation -> validationText(context, error.field, error.reason)
        is ApiException.Storage -> context.getString(R.string.error_storage)
        is ApiException.Internal -> context.getString(R.string.error_internal)
    }
}

/** A validation failure's field, worded; the library's reason when we have no sentence for it. */
fun validationText(context: Context, field: String, reason: String): String = when {
    field == "account" -> context.getString(R.string.invalid_account)
    field == "verification" -> context.getString(R.string.invalid_verification)
    field == "nickname" -> context.getString(R.string.invalid_nickname)
    field == "service_code" -> context.getString(R.string.invalid_category)
    field == "description" -> context.getString(R.string.invalid_description)
    field == "location" && reason.contains("outside") -> context.getString(R.string.invalid_location_outside)
    field == "location" -> context.getString(R.string.invalid_location)
    field == "contact.phone" -> context.getString(R.string.invalid_phone)
    field == "contact.email" -> context.getString(R.string.invalid_email)
    field == "photo" || field == "photos" -> context.getString(R.string.invalid_photo)
    field.startsWith("attribute[") && reason == "required" -> context.getString(R.string.invalid_required)
    else -> reason
}

/** The validation error's field, when [e] is one (to put the message under that input). */
fun validationField(e: Throwable?): String? =
    ((e as? BaladiyaException)?.error as? ApiException.Validation)?.field

fun Context.findActivity(): Activity? {
    var c: Context? = this
    while (c is ContextWrapper) {
        if (c is Activity) return c
        c = c.baseContext
    }
    return null
}

/** Open a dialler, WhatsApp chat or web page; a phone without a handler gets a short note. */
fun Context.openUri(uri: Uri, action: String = Intent.ACTION_VIEW) {
    try {
        startActivity(Intent(action, uri))
    } catch (e: ActivityNotFoundException) {
        Toast.makeText(this, getString(R.string.no_app_for_link), Toast.LENGTH_SHORT).show()
    }
}

fun Context.dial(phone: String) = openUri(Uri.fromParts("tel", phone, null), Intent.ACTION_DIAL)

/** wa.me wants the international number in digits only (no +, no 00). */
fun Context.whatsApp(number: String) =
    openUri(Uri.parse("https://wa.me/" + number.filter { it in '0'..'9' }.removePrefix("00")))
