package ps.gaza.baladiya.app.guide

import android.net.Uri
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
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
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalFocusManager
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.ui.EmptyState
import ps.gaza.baladiya.app.ui.ErrorBanner
import ps.gaza.baladiya.app.ui.InfoBanner
import ps.gaza.baladiya.app.ui.LanguageButton
import ps.gaza.baladiya.app.ui.ScreenScaffold
import ps.gaza.baladiya.app.ui.SectionTitle
import ps.gaza.baladiya.app.ui.dial
import ps.gaza.baladiya.app.ui.isoDate
import ps.gaza.baladiya.app.ui.ltr
import ps.gaza.baladiya.app.ui.money
import ps.gaza.baladiya.app.ui.number
import ps.gaza.baladiya.app.ui.openUri
import ps.gaza.baladiya.app.ui.text
import ps.gaza.baladiya.app.ui.uiLanguage
import ps.gaza.baladiya.app.ui.whatsApp
import uniffi.baladiya_ffi.Channel
import uniffi.baladiya_ffi.DocumentForm
import uniffi.baladiya_ffi.Fee
import uniffi.baladiya_ffi.GuideHit
import uniffi.baladiya_ffi.HitKind
import uniffi.baladiya_ffi.TextSpan
import uniffi.baladiya_ffi.Violation

@Composable
fun GuideScreen(
    vm: GuideViewModel,
    openService: (String) -> Unit,
    openViolation: (String) -> Unit,
    openViolations: () -> Unit,
) {
    val query by vm.query.collectAsStateWithLifecycle()
    val language = uiLanguage()
    LaunchedEffect(language) { vm.setLanguage(language) }
    val hits by vm.hits.collectAsStateWithLifecycle()
    val hitsFor by vm.hitsFor.collectAsStateWithLifecycle()
    val categories by vm.categories.collectAsStateWithLifecycle()
    val category by vm.category.collectAsStateWithLifecycle()
    val services by vm.services.collectAsStateWithLifecycle()
    val version by vm.version.collectAsStateWithLifecycle()
    val loaded by vm.loaded.collectAsStateWithLifecycle()
    val syncing by vm.syncing.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    val focus = LocalFocusManager.current

    ScreenScaffold(
        title = stringResource(R.string.guide_title),
        actions = {
            if (syncing) {
                CircularProgressIndicator(Modifier.padding(12.dp).size(24.dp), strokeWidth = 2.dp)
            } else {
                IconButton(onClick = { vm.sync(userAsked = true) }) {
                    Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.guide_refresh))
                }
            }
            LanguageButton()
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            OutlinedTextField(
                value = query,
                onValueChange = vm::onQueryChange,
                placeholder = { Text(stringResource(R.string.guide_search_hint)) },
                leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
                trailingIcon = {
                    if (query.isNotEmpty()) {
                        IconButton(onClick = { vm.onQueryChange("") }) {
                            Icon(Icons.Filled.Clear, contentDescription = stringResource(R.string.clear))
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
                InfoBanner(stringResource(R.string.guide_not_downloaded)) {
                    TextButton(onClick = { vm.sync(userAsked = true) }) { Text(stringResource(R.string.retry)) }
                }
            }
            LazyColumn(Modifier.fillMaxSize()) {
                if (query.isNotBlank()) {
                    if (hitsFor == query && hits.isEmpty()) {
                        item { EmptyState(stringResource(R.string.guide_no_results, query)) }
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
                                        label = { Text(stringResource(R.string.guide_all_categories)) },
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
                            supportingContent = { Text(s.summary.text(), maxLines = 2, overflow = TextOverflow.Ellipsis) },
                            modifier = Modifier.clickable { openService(s.id) },
                        )
                        HorizontalDivider()
                    }
                    if (version != null) {
                        item {
                            ListItem(
                                headlineContent = { Text(stringResource(R.string.violations_title)) },
                                supportingContent = { Text(stringResource(R.string.violations_summary)) },
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
    ListItem(
        overlineContent = if (hit.kind == HitKind.VIOLATION) {
            @Composable { Text(stringResource(R.string.hit_violation)) }
        } else {
            null
        },
        headlineContent = { Text(highlighted(hit.title, hit.titleHighlights, mark)) },
        supportingContent = {
            Text(
                highlighted(hit.summary, hit.summaryHighlights, mark),
                maxLines = 2,
                overflow = TextOverflow.Ellipsis,
            )
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

/**
 * [text] with the [spans] styled. The spans are UTF-16 offsets, which is what Kotlin String
 * indices count, so they apply as they are (clamped, in case).
 */
fun highlighted(text: String, spans: List<TextSpan>, style: SpanStyle): AnnotatedString = buildAnnotatedString {
    append(text)
    for (h in spans) {
        val start = h.start.toInt().coerceIn(0, text.length)
        val end = h.end.toInt().coerceIn(start, text.length)
        if (end > start) addStyle(style, start, end)
    }
}

@Composable
fun ServiceScreen(onBack: () -> Unit, vm: ServiceViewModel = viewModel(factory = ServiceViewModel.Factory)) {
    val service by vm.service.collectAsStateWithLifecycle()
    val department by vm.department.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    val context = LocalContext.current

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
                            stringResource(R.string.service_department, it.text()),
                            style = MaterialTheme.typography.bodyMedium,
                            color = MaterialTheme.colorScheme.secondary,
                            modifier = Modifier.padding(top = 4.dp),
                        )
                    }
                }
                if (s.steps.isNotEmpty()) {
                    item { SectionTitle(stringResource(R.string.service_steps)) }
                    itemsIndexed(s.steps) { i, step ->
                        Row(Modifier.padding(vertical = 4.dp)) {
                            Text(number(i + 1L) + ".", fontWeight = FontWeight.Bold, modifier = Modifier.width(28.dp))
                            Text(step.text())
                        }
                    }
                }
                if (s.documents.isNotEmpty()) {
                    item { SectionTitle(stringResource(R.string.service_documents)) }
                    items(s.documents) { d ->
                        Column(Modifier.padding(vertical = 4.dp)) {
                            Text("• " + d.name.text())
                            Text(
                                stringResource(documentForm(d.form)) + (d.notes?.let { " — " + it.text() } ?: ""),
                                style = MaterialTheme.typography.bodySmall,
                                color = MaterialTheme.colorScheme.secondary,
                            )
                        }
                    }
                }
                item { SectionTitle(stringResource(R.string.service_fees)) }
                if (s.fees.isEmpty()) {
                    item { Text(stringResource(R.string.fee_free)) }
                }
                items(s.fees) { f -> FeeRow(f) }
                item {
                    SectionTitle(stringResource(R.string.service_time))
                    Text(s.processingTime.text.text())
                }
                if (s.channels.isNotEmpty()) {
                    item { SectionTitle(stringResource(R.string.service_channels)) }
                    items(s.channels) { ch -> ChannelCard(ch) }
                }
                if (s.forms.isNotEmpty()) {
                    item { SectionTitle(stringResource(R.string.service_forms)) }
                    items(s.forms) { f ->
                        val url = f.url
                        if (url != null) {
                            TextButton(onClick = { context.openUri(Uri.parse(url)) }) { Text(f.title.text()) }
                        } else {
                            Text("• " + f.title.text(), modifier = Modifier.padding(vertical = 4.dp))
                        }
                    }
                }
                item {
                    Text(
                        stringResource(R.string.service_updated, isoDate(s.updatedAt.take(10))),
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
                    amount == null -> stringResource(R.string.fee_varies)
                    amount == 0L -> stringResource(R.string.fee_free)
                    else -> money(amount, f.currency)
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
    val context = LocalContext.current
    OutlinedCard(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
        Column(Modifier.padding(12.dp)) {
            Text(ch.office.text(), fontWeight = FontWeight.Bold)
            Text(ch.hours.text(), style = MaterialTheme.typography.bodySmall)
            ch.phone?.let { phone ->
                TextButton(onClick = { context.dial(phone) }) {
                    Icon(Icons.Filled.Call, contentDescription = null, modifier = Modifier.size(18.dp))
                    Spacer(Modifier.width(8.dp))
                    Text(stringResource(R.string.channel_call, ltr(phone)))
                }
            }
            ch.whatsapp?.let { wa ->
                TextButton(onClick = { context.whatsApp(wa) }) { Text(stringResource(R.string.channel_whatsapp, ltr(wa))) }
            }
            ch.web?.let { web ->
                TextButton(onClick = { context.openUri(Uri.parse(web)) }) { Text(stringResource(R.string.channel_web)) }
            }
        }
    }
}

private fun documentForm(form: DocumentForm): Int = when (form) {
    DocumentForm.ORIGINAL -> R.string.document_original
    DocumentForm.COPY -> R.string.document_copy
    DocumentForm.ORIGINAL_AND_COPY -> R.string.document_original_and_copy
}

@Composable
fun ViolationScreen(onBack: () -> Unit) = ViolationsScreen(onBack)

/** The violations guide (all, or the one a search hit named): offence, fine range, legal basis. */
@Composable
fun ViolationsScreen(onBack: () -> Unit, vm: ViolationsViewModel = viewModel(factory = ViolationsViewModel.Factory)) {
    val violations by vm.violations.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    ScreenScaffold(title = stringResource(R.string.violations_title), onBack = onBack) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize(), contentPadding = PaddingValues(16.dp)) {
            item { ErrorBanner(error, vm::dismissError) }
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
                money(v.fineMinMinor, v.currency)
            } else {
                stringResource(R.string.fine_range, money(v.fineMinMinor, v.currency), money(v.fineMaxMinor, v.currency))
            }
            Text(stringResource(R.string.violation_fine, fine), modifier = Modifier.padding(top = 4.dp))
            v.fineNotes?.let { Text(it.text(), style = MaterialTheme.typography.bodySmall) }
            Text(
                stringResource(R.string.violation_legal_basis, v.legalBasis.text()),
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.secondary,
                modifier = Modifier.padding(top = 4.dp),
            )
        }
    }
}
