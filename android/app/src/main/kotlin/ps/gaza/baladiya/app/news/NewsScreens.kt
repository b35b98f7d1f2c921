package ps.gaza.baladiya.app.news

import android.net.Uri
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Done
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.LinkAnnotation
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.TextLinkStyles
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.text.withLink
import androidx.compose.ui.text.withStyle
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.ui.EmptyState
import ps.gaza.baladiya.app.ui.ErrorBanner
import ps.gaza.baladiya.app.ui.ScreenScaffold
import ps.gaza.baladiya.app.ui.openUri
import ps.gaza.baladiya.app.ui.rfc3339
import ps.gaza.baladiya.app.ui.text
import uniffi.baladiya_ffi.NewsCategory
import uniffi.baladiya_ffi.StoredNews

@Composable
fun NewsListScreen(vm: NewsViewModel, openItem: (String) -> Unit) {
    val news by vm.news.collectAsStateWithLifecycle()
    val unread by vm.unreadCount.collectAsStateWithLifecycle()
    val unreadOnly by vm.unreadOnly.collectAsStateWithLifecycle()
    val refreshing by vm.refreshing.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()

    ScreenScaffold(
        title = stringResource(R.string.news_title),
        actions = {
            if (unread > 0) {
                IconButton(onClick = vm::markAllRead) {
                    Icon(Icons.Filled.Done, contentDescription = stringResource(R.string.news_mark_all_read))
                }
            }
            if (refreshing) {
                CircularProgressIndicator(Modifier.padding(12.dp).size(24.dp), strokeWidth = 2.dp)
            } else {
                IconButton(onClick = { vm.refresh(userAsked = true) }) {
                    Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.news_refresh))
                }
            }
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            item { ErrorBanner(error, vm::dismissError) }
            item {
                Row(
                    Modifier.padding(horizontal = 16.dp, vertical = 8.dp),
                    verticalAlignment = Alignment.CenterVertically,
                    horizontalArrangement = Arrangement.spacedBy(12.dp),
                ) {
                    Text(
                        pluralStringResource(R.plurals.unread_news, unread, unread),
                        style = MaterialTheme.typography.labelLarge,
                        modifier = Modifier.weight(1f),
                    )
                    FilterChip(
                        selected = unreadOnly,
                        onClick = { vm.setUnreadOnly(!unreadOnly) },
                        label = { Text(stringResource(R.string.news_unread_only)) },
                    )
                }
            }
            if (news.isEmpty()) item { EmptyState(stringResource(R.string.news_empty)) }
            items(news, key = { it.item.id }) { n ->
                NewsRow(n) { openItem(n.item.id) }
                HorizontalDivider()
            }
        }
    }
}

@Composable
private fun NewsRow(n: StoredNews, onClick: () -> Unit) {
    val unreadLabel = stringResource(R.string.news_unread)
    ListItem(
        leadingContent = {
            // The unread dot (described for TalkBack); a read item keeps the space so titles align.
            Box(
                Modifier.size(10.dp).background(
                    if (n.read) Color.Transparent else MaterialTheme.colorScheme.primary,
                    CircleShape,
                ),
            )
        },
        overlineContent = {
            Text(
                stringResource(category(n.item.category)) + "  ·  " + rfc3339(n.item.publishedAt) +
                    if (n.read) "" else "  ·  $unreadLabel",
            )
        },
        headlineContent = {
            Row(verticalAlignment = Alignment.CenterVertically) {
                if (n.item.important) {
                    Icon(
                        Icons.Filled.Warning,
                        contentDescription = stringResource(R.string.news_important),
                        tint = MaterialTheme.colorScheme.tertiary,
                        modifier = Modifier.size(18.dp).padding(end = 4.dp),
                    )
                }
                Text(
                    n.item.title.text(),
                    fontWeight = if (n.read) FontWeight.Normal else FontWeight.Bold,
                    maxLines = 2,
                    overflow = TextOverflow.Ellipsis,
                )
            }
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

@Composable
fun NewsItemScreen(vm: NewsViewModel, id: String, onBack: () -> Unit) {
    val opened by vm.opened.collectAsStateWithLifecycle()
    val missing by vm.openedMissing.collectAsStateWithLifecycle()
    val item = opened?.takeIf { it.id == id }
    val context = LocalContext.current
    LaunchedEffect(id) { vm.open(id) }

    ScreenScaffold(title = stringResource(R.string.news_title), onBack = onBack) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (item == null) {
                if (missing) EmptyState(stringResource(R.string.news_gone))
                return@Column
            }
            Text(
                stringResource(category(item.category)) + "  ·  " + rfc3339(item.publishedAt),
                style = MaterialTheme.typography.labelMedium,
            )
            Text(item.title.text(), style = MaterialTheme.typography.headlineSmall)
            val linkColor = MaterialTheme.colorScheme.primary
            val bodyText = item.body.text()
            val body = remember(bodyText, linkColor) { simpleMarkdown(bodyText, linkColor) }
            Text(body, style = MaterialTheme.typography.bodyLarge)
            // Pictures cost data: only on request, in the browser.
            item.imageUrl?.let { url ->
                TextButton(onClick = { context.openUri(Uri.parse(url)) }) { Text(stringResource(R.string.news_open_image)) }
            }
        }
    }
}

private fun category(c: NewsCategory): Int = when (c) {
    NewsCategory.ANNOUNCEMENT -> R.string.news_category_announcement
    NewsCategory.WATER_SCHEDULE -> R.string.news_category_water
    NewsCategory.SERVICE_INTERRUPTION -> R.string.news_category_interruption
    NewsCategory.PROJECT -> R.string.news_category_project
    NewsCategory.EVENT -> R.string.news_category_event
}

private val LINK = Regex("""\[([^\]]+)]\((https://[^)\s]+)\)|(https://[^\s)]+)""")

/**
 * The news body's small Markdown subset (the server sanitised it on publication): paragraphs,
 * `- ` list items, `**bold**`, and https links, `[text](url)` or bare. Anything else is shown as
 * typed.
 */
fun simpleMarkdown(text: String, linkColor: Color): AnnotatedString = buildAnnotatedString {
    val linkStyle = TextLinkStyles(SpanStyle(color = linkColor, textDecoration = TextDecoration.Underline))
    fun inline(segment: String) {
        var at = 0
        for (m in LINK.findAll(segment)) {
            append(segment.substring(at, m.range.first))
            val url = m.groupValues[2].ifEmpty { m.groupValues[3] }
            val label = m.groupValues[1].ifEmpty { url }
            withLink(LinkAnnotation.Url(url, linkStyle)) { append(label) }
            at = m.range.last + 1
        }
        append(segment.substring(at))
    }
    text.lines().forEachIndexed { i, raw ->
        if (i > 0) append('\n')
        var line = raw
        if (line.trimStart().startsWith("- ")) {
            append("•  ")
            line = line.trimStart().removePrefix("- ")
        }
        var rest = line
        while (true) {
            val open = rest.indexOf("**")
            val close = if (open >= 0) rest.indexOf("**", open + 2) else -1
            if (open < 0 || close < 0) break
            inline(rest.substring(0, open))
            withStyle(SpanStyle(fontWeight = FontWeight.Bold)) { inline(rest.substring(open + 2, close)) }
            rest = rest.substring(close + 2)
        }
        inline(rest)
    }
}
