package ps.gaza.baladiya.ui.guide

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.ui.semantics.semantics
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.lazy.itemsIndexed
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Call
import androidx.compose.material.icons.filled.Clear
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.LocalTextStyle
import androidx.compose.ui.text.style.TextDirection
import uniffi.baladiya_core.Lang
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalFocusManager
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.previewText
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.LocalPlatform
import ps.gaza.baladiya.ui.common.EmptyState
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.InfoBanner
import ps.gaza.baladiya.ui.common.LanguageButton
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.SectionTitle
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.isoDate
import ps.gaza.baladiya.ui.common.money
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text
import ps.gaza.baladiya.ui.common.uiLanguage
import uniffi.baladiya_wire.Channel
import uniffi.baladiya_wire.DocumentForm
import uniffi.baladiya_wire.Fee
import uniffi.baladiya_core.GuideHit
import uniffi.baladiya_core.HitKind
import uniffi.baladiya_core.TextSpan
import uniffi.baladiya_wire.Violation

@Composable
fun GuideScreen(
    vm: GuideModel,
    openService: (String) -> Unit,
    openViolation: (String) -> Unit,
    openViolations: () -> Unit,
) {
    val query by vm.query.collectAsState()
    val language = uiLanguage
    LaunchedEffect(language) { vm.setLanguage(language) }
    val hits by vm.hits.collectAsState()
    val hitsFor by vm.hitsFor.collectAsState()
    val categories by vm.categories.collectAsState()
    val category by vm.category.collectAsState()
    val services by vm.services.collectAsState()
    val version by vm.version.collectAsState()
    val loaded by vm.loaded.collectAsState()
    val syncing by vm.syncing.collectAsState()
    val error by vm.error.collectAsState()
    val focus = LocalFocusManager.current

    ScreenScaffold(
        title = strings.guideTitle,
        shortTitle = strings.tabGuide,
        actions = {
            if (syncing) {
                CircularProgressIndicator(Modifier.padding(12.dp).size(24.dp), strokeWidth = 2.dp)
            } else {
                IconButton(onClick = { vm.sync(userAsked = true) }) {
                    Icon(Icons.Filled.Refresh, contentDescription = strings.guideRefresh)
                }
            }
            LanguageButton()
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            OutlinedTextField(
                value = query,
                onValueChange = vm::onQueryChange,
                placeholder = { Text(strings.guideSearchHint) },
                leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
                trailingIcon = {
                    if (query.isNotEmpty()) {
                        IconButton(onClick = { vm.onQueryChange("") }) {
                            Icon(Icons.Filled.Clear, contentDescription = strings.clear)
                        }
                    }
                },
                singleLine = true,
                keyboardOptions = KeyboardOptions(imeAction = ImeAction.Search),
                keyboardActions = KeyboardActions(onSearch = { focus.clearFocus() }),
                modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
            )
            ErrorBanner(error, vm::dismissError)
            if (loaded && version == null && services.isEmpty()) {
                InfoBanner(strings.guideNotDownloaded) {
                    TextButton(onClick = { vm.sync(userAsked = true) }) { Text(strings.retry) }
                }
            }
            LazyColumn(Modifier.fillMaxSize()) {
                if (query.isNotBlank()) {
                    if (hitsFor == query && hits.isEmpty()) {
                        item { EmptyState(strings.guideNoResults(query)) }
                    }
                    items(hits, key = { it.kind.name + ":" + it.id }) { hit ->
                        HitRow(hit) { if (hit.kind == HitKind.VIOLATION) openViolation(hit.id) else openService(hit.id) }
                        HorizontalDivider()
                    }
                } else {
                    if (categories.isNotEmpty()) {
                        item {
                            LazyRow(
                                contentPadding = PaddingValues(horizontal = 16.dp),
                                horizontalArrangement = Arrangement.spacedBy(8.dp),
                            ) {
                                item {
                                    FilterChip(
                                        selected = category == null,
                                        onClick = { vm.selectCategory(null) },
                                        label = { Text(strings.guideAllCategories) },
                                    )
                                }
                                items(categories, key = { it.id }) { c ->
                                    FilterChip(
                                        selected = category == c.id,
                                        onClick = { vm.selectCategory(c.id) },
                                        label = { Text(c.name.text()) },
                                    )
                                }
                            }
                        }
                    }
                    items(services, key = { it.id }) { s ->
                        ListItem(
                            headlineContent = { Text(s.title.text()) },
                            supportingContent = {
                                Text(s.summary.text(), maxLines = 2, overflow = TextOverflow.Ellipsis, modifier = Modifier.previewText())
                            },
                            modifier = Modifier.clickable { openService(s.id) },
                        )
                        HorizontalDivider()
                    }
                    if (version != null) {
                        item {
                            ListItem(
                                headlineContent = { Text(strings.violationsTitle) },
                                supportingContent = { Text(strings.violationsSummary) },
                                modifier = Modifier.clickable(onClick = openViolations),
                            )
                        }
                    }
                }
            }
        }
    }
}

/**
 * One search hit, in the language the library chose for it (the UI's, unless the query matched
 * only the other one: English typed in the Arabic UI shows the English title), matches marked.
 */
@Composable
private fun HitRow(hit: GuideHit, onClick: () -> Unit) {
    val mark = SpanStyle(fontWeight = FontWeight.Bold, background = MaterialTheme.colorScheme.primaryContainer)
    // A row in the other language (English typed in the Arabic app) reads in its own direction.
    val direction = if (hit.lang == Lang.AR) TextDirection.Rtl else TextDirection.Ltr
    val headline = LocalTextStyle.current.copy(textDirection = direction)
    ListItem(
        overlineContent = if (hit.kind == HitKind.VIOLATION) {
            @Composable { Text(strings.hitViolation) }
        } else {
            null
        },
        headlineContent = {
            Text(highlighted(hit.title, hit.titleHighlights, mark), style = headline, modifier = Modifier.fillMaxWidth())
        },
        supportingContent = {
            Text(
                highlighted(hit.summary, hit.summaryHighlights, mark),
                maxLines = 2,
                overflow = TextOverflow.Ellipsis,
                style = LocalTextStyle.current.copy(textDirection = direction),
                modifier = Modifier.fillMaxWidth().previewText(),
            )
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

/**
 * [text] with the [spans] styled. The spans are UTF-16 offsets, which is what Kotlin String
 * indices count. A span that starts or ends inside a word (the core marks "بناء" inside
 * "البناء") is widened to the whole word: a styled run is shaped on its own, and cutting a word
 * in two would break Arabic letter joining (a detached lam).
 */
fun highlighted(text: String, spans: List<TextSpan>, style: SpanStyle): AnnotatedString = buildAnnotatedString {
    append(text)
    for (h in spans) {
        val (start, end) = wholeWords(text, h.start.toInt(), h.end.toInt())
        if (end > start) addStyle(style, start, end)
    }
}

/** [start, end) widened to the word boundaries around it (clamped to the text). */
fun wholeWords(text: String, start: Int, end: Int): Pair<Int, Int> {
    var s = start.coerceIn(0, text.length)
    var e = end.coerceIn(s, text.length)
    while (s > 0 && text[s - 1].isWordPart()) s--
    while (e < text.length && text[e].isWordPart()) e++
    return s to e
}

private fun Char.isWordPart(): Boolean =
    isLetterOrDigit() || Character.getType(this) == Character.NON_SPACING_MARK.toInt() || this == '\u0640'

@Composable
fun ServiceScreen(env: AppEnv, id: String, onBack: () -> Unit) {
    val scope = rememberCoroutineScope()
    val vm = remember(id) { ServiceModel(env, scope, id) }
    val service by vm.service.collectAsState()
    val department by vm.department.collectAsState()
    val error by vm.error.collectAsState()
    val platform = LocalPlatform.current

    ScreenScaffold(title = service?.title?.text().orEmpty(), onBack = onBack) { padding ->
        val s = service
        LazyColumn(Modifier.padding(padding).fillMaxSize(), contentPadding = PaddingValues(16.dp)) {
            item { ErrorBanner(error, vm::dismissError) }
            if (s != null) {
                item {
                    Text(s.title.text(), style = MaterialTheme.typography.headlineSmall)
                    Spacer(Modifier.size(4.dp))
                    Text(s.summary.text(), style = MaterialTheme.typography.bodyLarge)
                    department?.let {
                        Text(
                            strings.serviceDepartment(it.text()),
                            style = MaterialTheme.typography.bodyMedium,
                            color = MaterialTheme.colorScheme.secondary,
                            modifier = Modifier.padding(top = 4.dp),
                        )
                    }
                }
                if (s.steps.isNotEmpty()) {
                    item { SectionTitle(strings.serviceSteps) }
                    itemsIndexed(s.steps) { i, step ->
                        Row(Modifier.padding(vertical = 4.dp)) {
                            Text(strings.number(i + 1L) + ".", fontWeight = FontWeight.Bold, modifier = Modifier.width(28.dp))
                            Text(step.text())
                        }
                    }
                }
                if (s.documents.isNotEmpty()) {
                    item { SectionTitle(strings.serviceDocuments) }
                    items(s.documents) { d ->
                        Column(Modifier.padding(vertical = 4.dp)) {
                            Text("• " + d.name.text())
                            Text(
                                documentForm(d.form) + (d.notes?.let { " — " + it.text() } ?: ""),
                                style = MaterialTheme.typography.bodySmall,
                                color = MaterialTheme.colorScheme.secondary,
                            )
                        }
                    }
                }
                item { SectionTitle(strings.serviceFees) }
                if (s.fees.isEmpty()) {
                    item { Text(strings.feeFree) }
                }
                items(s.fees) { f -> FeeRow(f) }
                item {
                    SectionTitle(strings.serviceTime)
                    Text(s.processingTime.text.text())
                }
                if (s.channels.isNotEmpty()) {
                    item { SectionTitle(strings.serviceChannels) }
                    items(s.channels) { ch -> ChannelCard(ch) }
                }
                if (s.forms.isNotEmpty()) {
                    item { SectionTitle(strings.serviceForms) }
                    items(s.forms) { f ->
                        val url = f.url
                        if (url != null) {
                            TextButton(onClick = { platform.openUrl(url) }) { Text(f.title.text()) }
                        } else {
                            Text("• " + f.title.text(), modifier = Modifier.padding(vertical = 4.dp))
                        }
                    }
                }
                if (s.faqs.isNotEmpty()) {
                    item { SectionTitle(strings.serviceFaqs) }
                    // Each question read with its answer, as one thing.
                    items(s.faqs) { f ->
                        Column(Modifier.padding(vertical = 6.dp).semantics(mergeDescendants = true) {}) {
                            Text(f.question.text(), fontWeight = FontWeight.Bold)
                            Text(f.answer.text())
                        }
                    }
                }
                item {
                    Text(
                        strings.serviceUpdated(strings.isoDate(s.updatedAt.take(10))),
                        style = MaterialTheme.typography.labelSmall,
                        modifier = Modifier.padding(top = 24.dp),
                    )
                }
            }
        }
    }
}

@Composable
private fun FeeRow(f: Fee) {
    val amount = f.amountMinor
    Column(Modifier.padding(vertical = 4.dp)) {
        Row(verticalAlignment = Alignment.Top) {
            Text(f.description.text(), modifier = Modifier.weight(1f))
            Text(
                when {
                    amount == null -> strings.feeVaries
                    amount == 0L -> strings.feeFree
                    else -> strings.money(amount, f.currency)
                },
                fontWeight = FontWeight.Bold,
            )
        }
        f.conditions?.let {
            Text(it.text(), style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.secondary)
        }
    }
}

/** Where to go, when, and one tap to call, chat on WhatsApp or open the website. */
@Composable
private fun ChannelCard(ch: Channel) {
    val platform = LocalPlatform.current
    OutlinedCard(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
        Column(Modifier.padding(12.dp)) {
            Text(ch.office.text(), fontWeight = FontWeight.Bold)
            Text(ch.hours.text(), style = MaterialTheme.typography.bodySmall)
            ch.phone?.let { phone ->
                TextButton(onClick = { platform.dial(phone) }) {
                    Icon(Icons.Filled.Call, contentDescription = null, modifier = Modifier.size(18.dp))
                    Spacer(Modifier.width(8.dp))
                    Text(strings.channelCall(strings.id(phone)))
                }
            }
            ch.whatsapp?.let { wa ->
                TextButton(onClick = { platform.whatsApp(wa) }) { Text(strings.channelWhatsapp(strings.id(wa))) }
            }
            ch.web?.let { web ->
                TextButton(onClick = { platform.openUrl(web) }) { Text(strings.channelWeb) }
            }
        }
    }
}

@Composable
private fun documentForm(form: DocumentForm): String = when (form) {
    DocumentForm.ORIGINAL -> strings.documentOriginal
    DocumentForm.COPY -> strings.documentCopy
    DocumentForm.ORIGINAL_AND_COPY -> strings.documentOriginalAndCopy
}

@Composable
fun ViolationScreen(env: AppEnv, id: String, onBack: () -> Unit) = ViolationsScreen(env, onBack, id)

/** The violations guide (all, or the one a search hit named): offence, fine range, legal basis. */
@Composable
fun ViolationsScreen(env: AppEnv, onBack: () -> Unit, id: String? = null) {
    val scope = rememberCoroutineScope()
    val vm = remember(id) { ViolationsModel(env, scope, id) }
    val violations by vm.violations.collectAsState()
    val loaded by vm.loaded.collectAsState()
    val error by vm.error.collectAsState()
    ScreenScaffold(title = strings.violationsTitle, onBack = onBack) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize(), contentPadding = PaddingValues(16.dp)) {
            item { ErrorBanner(error, vm::dismissError) }
            if (loaded && violations.isEmpty()) item { EmptyState(strings.guideNotDownloaded) }
            items(violations, key = { it.id }) { v -> ViolationCard(v) }
        }
    }
}

@Composable
private fun ViolationCard(v: Violation) {
    OutlinedCard(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
        Column(Modifier.padding(12.dp)) {
            Text(v.offence.text(), fontWeight = FontWeight.Bold)
            val fine = if (v.fineMinMinor == v.fineMaxMinor) {
                strings.money(v.fineMinMinor, v.currency)
            } else {
                strings.fineRange(strings.money(v.fineMinMinor, v.currency), strings.money(v.fineMaxMinor, v.currency))
            }
            Text(strings.violationFine(fine), modifier = Modifier.padding(top = 4.dp))
            v.fineNotes?.let { Text(it.text(), style = MaterialTheme.typography.bodySmall) }
            Text(
                strings.violationLegalBasis(v.legalBasis.text()),
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.secondary,
                modifier = Modifier.padding(top = 4.dp),
            )
        }
    }
}
