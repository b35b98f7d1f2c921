package ps.gaza.baladiya.ui.news

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
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
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
import ps.gaza.baladiya.ui.common.previewText
import ps.gaza.baladiya.ui.LocalPlatform
import ps.gaza.baladiya.ui.Platform
import ps.gaza.baladiya.ui.common.EmptyState
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.freeText
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.rfc3339
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text
import uniffi.baladiya_wire.NewsCategory
import uniffi.baladiya_core.StoredNews

@Composable
fun NewsListScreen(vm: NewsModel, openItem: (String) -> Unit) {
    val news by vm.news.collectAsState()
    val unread by vm.unreadCount.collectAsState()
    val unreadOnly by vm.unreadOnly.collectAsState()
    val refreshing by vm.refreshing.collectAsState()
    val error by vm.error.collectAsState()

    ScreenScaffold(
        title = strings.newsTitle,
        actions = {
            if (unread > 0) {
                IconButton(onClick = vm::markAllRead) {
                    Icon(Icons.Filled.Done, contentDescription = strings.newsMarkAllRead)
                }
            }
            if (refreshing) {
                CircularProgressIndicator(Modifier.padding(12.dp).size(24.dp), strokeWidth = 2.dp)
            } else {
                IconButton(onClick = { vm.refresh(userAsked = true) }) {
                    Icon(Icons.Filled.Refresh, contentDescription = strings.newsRefresh)
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
                        strings.unreadNews(unread),
                        style = MaterialTheme.typography.labelLarge,
                        modifier = Modifier.weight(1f),
                    )
                    FilterChip(
                        selected = unreadOnly,
                        onClick = { vm.setUnreadOnly(!unreadOnly) },
                        label = { Text(strings.newsUnreadOnly) },
                    )
                }
            }
            if (news.isEmpty()) item { EmptyState(strings.newsEmpty) }
            items(news, key = { it.item.id }) { n ->
                NewsRow(n) { openItem(n.item.id) }
                HorizontalDivider()
            }
        }
    }
}

@Composable
private fun NewsRow(n: StoredNews, onClick: () -> Unit) {
    val unreadLabel = strings.newsUnread
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
                category(n.item.category) + "  ·  " + strings.rfc3339(n.item.publishedAt) +
                    if (n.read) "" else "  ·  $unreadLabel",
            )
        },
        headlineContent = {
            Row(verticalAlignment = Alignment.CenterVertically) {
                if (n.item.important) {
                    Icon(
                        Icons.Filled.Warning,
                        contentDescription = strings.newsImportant,
                        tint = MaterialTheme.colorScheme.tertiary,
                        modifier = Modifier.size(18.dp).padding(end = 4.dp),
                    )
                }
                Text(
                    n.item.title.text(),
                    fontWeight = if (n.read) FontWeight.Normal else FontWeight.Bold,
                    maxLines = 2,
                    overflow = TextOverflow.Ellipsis,
                    modifier = Modifier.previewText(),
                )
            }
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

@Composable
fun NewsItemScreen(vm: NewsModel, id: String, onBack: () -> Unit) {
    val opened by vm.opened.collectAsState()
    val missing by vm.openedMissing.collectAsState()
    val item = opened?.takeIf { it.id == id }
    val platform = LocalPlatform.current
    LaunchedEffect(id) { vm.open(id) }

    ScreenScaffold(title = strings.newsTitle, onBack = onBack) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (item == null) {
                if (missing) EmptyState(strings.newsGone)
                return@Column
            }
            Text(
                category(item.category) + "  ·  " + strings.rfc3339(item.publishedAt),
                style = MaterialTheme.typography.labelMedium,
            )
            Text(item.title.text(), style = MaterialTheme.typography.headlineSmall)
            val linkColor = MaterialTheme.colorScheme.primary
            val bodyText = item.body.text()
            val body = remember(bodyText, linkColor, platform) { simpleMarkdown(bodyText, linkColor, platform) }
            Text(body, style = MaterialTheme.typography.bodyLarge)
            // Pictures cost data: only on request, in the browser.
            item.imageUrl?.let { url ->
                TextButton(onClick = { platform.openUrl(url) }) { Text(strings.newsOpenImage) }
            }
        }
    }
}

@Composable
private fun category(c: NewsCategory): String = when (c) {
    NewsCategory.ANNOUNCEMENT -> strings.newsCategoryAnnouncement
    NewsCategory.WATER_SCHEDULE -> strings.newsCategoryWater
    NewsCategory.SERVICE_INTERRUPTION -> strings.newsCategoryInterruption
    NewsCategory.PROJECT -> strings.newsCategoryProject
    NewsCategory.EVENT -> strings.newsCategoryEvent
}

private val LINK = Regex("""\[([^\]]+)]\((https://[^)\s]+)\)|(https://[^\s)]+)""")

/**
 * The news body's small Markdown subset (the server sanitised it on publication): paragraphs,
 * `- ` list items, `**bold**`, and https links, `[text](url)` or bare. Anything else is shown as
 * typed.
 */
fun simpleMarkdown(text: String, linkColor: Color, platform: Platform): AnnotatedString = buildAnnotatedString {
    val linkSpan = SpanStyle(color = linkColor, textDecoration = TextDecoration.Underline)
    val linkStyle = TextLinkStyles(linkSpan)
    // Plain runs: phone and other numbers in isolates, phones tappable (see freeText).
    fun plain(run: String) = append(freeText(run, platform, linkSpan))
    fun inline(segment: String) {
        var at = 0
        for (m in LINK.findAll(segment)) {
            plain(segment.substring(at, m.range.first))
            val url = m.groupValues[2].ifEmpty { m.groupValues[3] }
            val label = m.groupValues[1].ifEmpty { url }
            withLink(LinkAnnotation.Url(url, linkStyle)) { append(label) }
            at = m.range.last + 1
        }
        plain(segment.substring(at))
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
