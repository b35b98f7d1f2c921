package ps.gaza.baladiya.ui.complaints

import androidx.compose.foundation.Image
import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.DateRange
import androidx.compose.material.icons.filled.LocationOn
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateMapOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.focus.FocusRequester
import androidx.compose.ui.focus.focusRequester
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.layout.onGloballyPositioned
import androidx.compose.ui.layout.positionInParent
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.LayoutDirection
import androidx.compose.ui.unit.dp
import ps.gaza.baladiya.ui.common.previewText
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.LocalPlatform
import ps.gaza.baladiya.ui.common.LeftToRightDigits
import ps.gaza.baladiya.ui.common.coordinates
import ps.gaza.baladiya.ui.common.ErrorBanner
import ps.gaza.baladiya.ui.common.InfoBanner
import ps.gaza.baladiya.ui.common.ScreenScaffold
import ps.gaza.baladiya.ui.common.SectionTitle
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.ltrInput
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.rfc3339
import ps.gaza.baladiya.ui.common.strings
import ps.gaza.baladiya.ui.common.text
import ps.gaza.baladiya.ui.common.validationProblems
import ps.gaza.baladiya.ui.common.validationText
import uniffi.baladiya_core.AttributeDef
import uniffi.baladiya_core.ComplaintCategory
import uniffi.baladiya_core.Datatype
import uniffi.baladiya_core.NearbyRequest
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import ps.gaza.baladiya.ui.common.statusLabel
import ps.gaza.baladiya.ui.common.writtenText

@Composable
fun ComplaintFormScreen(
    env: AppEnv,
    editing: String?,
    onBack: () -> Unit,
    onFiled: (String) -> Unit,
    onFollowed: (String) -> Unit = {},
) {
    val modelScope = rememberCoroutineScope()
    val vm = remember(editing) { ComplaintFormModel(env, modelScope, editing) }
    ComplaintForm(vm, onBack, onFiled, onFollowed)
}

/**
 * The form. A validation error from the core lists every problem of the draft: each is shown
 * under its own input at once, the form scrolls to the first and focuses it, and a banner by the
 * button says how many answers need fixing (the citizen's finger is on the button, not above).
 */
@Composable
fun ComplaintForm(
    vm: ComplaintFormModel,
    onBack: () -> Unit,
    onFiled: (String) -> Unit,
    onFollowed: (String) -> Unit = {},
) {
    val f by vm.form.collectAsState()
    val filed by vm.filed.collectAsState()
    val error by vm.error.collectAsState()
    val nearby by vm.nearby.collectAsState()
    val followed by vm.followed.collectAsState()
    followed?.let { id -> LaunchedEffect(id) { onFollowed(id) } }
    // Already reported nearby (issue 15.3): offered instead of the form until the citizen
    // follows one or sends theirs; back returns to the form as it was.
    if (nearby.isNotEmpty()) {
        NearbyOffer(vm, nearby)
        return
    }
    val s = strings
    val problems = validationProblems(error)
    fun errorFor(field: String): String? = problems.firstOrNull { it.first == field }?.let { s.validationText(it.first, it.second) }
    fun errorForAny(vararg fields: String): String? = fields.firstNotNullOfOrNull { errorFor(it) }

    var choosingCategory by rememberSaveable { mutableStateOf(false) }
    val scroll = rememberScrollState()
    // Where each field sits in the scrolling column, and the text inputs' focus handles.
    val positions = remember { mutableStateMapOf<String, Int>() }
    val focus = remember { mutableMapOf<String, FocusRequester>() }
    fun focusOf(field: String) = focus.getOrPut(field) { FocusRequester() }
    fun Modifier.field(name: String) = onGloballyPositioned { positions[name] = it.positionInParent().y.toInt() }
    LaunchedEffect(error) {
        val first = problems.firstOrNull()?.first ?: return@LaunchedEffect
        positions[first]?.let { scroll.animateScrollTo((it - 48).coerceAtLeast(0)) }
        focus[first]?.let { runCatching { it.requestFocus() } }
    }

    ScreenScaffold(
        title = if (vm.isEditing) strings.complaintEditTitle else strings.complaintNewTitle,
        onBack = onBack,
    ) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().testTag("complaint-form").verticalScroll(scroll).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (problems.isEmpty()) ErrorBanner(error, vm::dismissError)

            // Category
            SectionTitle(strings.complaintCategory)
            if (f.categories.isEmpty() && !f.loadingCategories) {
                InfoBanner(strings.complaintCategoriesMissing) {
                    TextButton(onClick = { vm.loadCategories(refresh = true) }) { Text(strings.retry) }
                }
            }
            OutlinedCard(
                Modifier.fillMaxWidth().field("service_code").clickable(enabled = f.categories.isNotEmpty()) { choosingCategory = true },
            ) {
                Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
                    Column(Modifier.weight(1f)) {
                        Text(f.category?.name ?: strings.complaintChooseCategory, fontWeight = FontWeight.Bold)
                        f.category?.description?.takeIf { it.isNotBlank() }?.let {
                            Text(it, style = MaterialTheme.typography.bodySmall)
                        }
                        // Before filing, how soon the municipality aims to deal with it (its own
                        // server says; another city's does not, and then nothing is said).
                        f.category?.expectedHours?.let { hours ->
                            Text(
                                strings.complaintCategoryWithin(hours.toInt()),
                                style = MaterialTheme.typography.bodySmall,
                                color = MaterialTheme.colorScheme.primary,
                                modifier = Modifier.padding(top = 4.dp).testTag("category-expected"),
                            )
                        }
                    }
                    if (f.loadingCategories) CircularProgressIndicator(Modifier.size(24.dp), strokeWidth = 2.dp)
                }
            }
            errorFor("service_code")?.let { FieldError(it) }

            // The category's own questions, by datatype.
            f.attributes.forEach { def ->
                val name = "attribute[${def.code}]"
                AttributeInput(
                    def = def,
                    values = f.answers[def.code].orEmpty(),
                    error = errorFor(name),
                    onChange = { vm.setAnswer(def.code, it) },
                    onPickDateTime = { vm.pickDateTime(def.code) },
                    modifier = Modifier.field(name),
                    focus = focusOf(name),
                )
            }

            // Description
            OutlinedTextField(
                value = f.description,
                onValueChange = vm::setDescription,
                label = { Text(strings.complaintDescription) },
                isError = errorFor("description") != null,
                supportingText = errorFor("description")?.let { msg -> @Composable { Text(msg) } },
                minLines = 4,
                modifier = Modifier.fillMaxWidth().field("description").focusRequester(focusOf("description")),
            )

            // Where
            SectionTitle(strings.complaintWhere)
            val location = f.location
            if (location != null) {
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Icon(Icons.Filled.LocationOn, contentDescription = null, tint = MaterialTheme.colorScheme.primary)
                    Text(
                        strings.complaintLocationSet(strings.coordinates(location.lat, location.long)),
                        modifier = Modifier.weight(1f).padding(horizontal = 8.dp),
                    )
                    IconButton(onClick = vm::clearLocation) {
                        Icon(Icons.Filled.Close, contentDescription = strings.complaintLocationClear)
                    }
                }
            }
            OutlinedButton(onClick = vm::locate, enabled = !f.locating, modifier = Modifier.field("location")) {
                if (f.locating) {
                    CircularProgressIndicator(Modifier.size(18.dp), strokeWidth = 2.dp)
                } else {
                    Icon(Icons.Filled.LocationOn, contentDescription = null, modifier = Modifier.size(18.dp))
                }
                Spacer(Modifier.size(8.dp))
                Text(strings.complaintUseLocation)
            }
            if (f.locationFailed) FieldError(strings.complaintLocationFailed)
            OutlinedTextField(
                value = f.address,
                onValueChange = vm::setAddress,
                label = { Text(strings.complaintAddress) },
                placeholder = { Text(strings.complaintAddressHint) },
                isError = errorFor("location") != null,
                supportingText = errorFor("location")?.let { msg -> @Composable { Text(msg) } },
                modifier = Modifier.fillMaxWidth().focusRequester(focusOf("location")),
            )

            // Photos (kept as they are when editing: the core edits the draft only)
            if (!vm.isEditing) {
                SectionTitle(strings.complaintPhotos)
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    f.photos.forEachIndexed { i, photo ->
                        Box {
                            val preview = photo.preview
                            if (preview != null) {
                                Image(
                                    preview,
                                    contentDescription = strings.complaintPhotoN(i + 1),
                                    contentScale = ContentScale.Crop,
                                    modifier = Modifier.size(88.dp),
                                )
                            } else {
                                Box(Modifier.size(88.dp), contentAlignment = Alignment.Center) { Text(strings.number(i + 1L)) }
                            }
                            IconButton(onClick = { vm.removePhoto(i) }, modifier = Modifier.align(Alignment.TopEnd).size(32.dp)) {
                                Icon(Icons.Filled.Close, contentDescription = strings.complaintPhotoRemove)
                            }
                        }
                    }
                }
                if (f.photos.size < ComplaintFormModel.MAX_PHOTOS) {
                    OutlinedButton(onClick = vm::pickPhoto, modifier = Modifier.field("photo")) { Text(strings.complaintAddPhoto) }
                }
                if (f.photoFailed) FieldError(strings.complaintPhotoFailed)
                errorForAny("photo", "photos")?.let { FieldError(it) }
                if (f.photos.isNotEmpty()) {
                    SwitchRow(strings.complaintFullQuality, strings.complaintFullQualityHelp, f.fullQuality, vm::setFullQuality)
                    SwitchRow(strings.complaintPhotosOnWifi, strings.complaintPhotosOnWifiHelp, f.photosOnWifi, vm::setPhotosOnWifi)
                }
            }

            // Who
            SectionTitle(strings.complaintContact)
            SwitchRow(strings.complaintAnonymous, strings.complaintAnonymousHelp, f.anonymous, vm::setAnonymous)
            if (!f.anonymous) {
                OutlinedTextField(
                    value = f.firstName, onValueChange = vm::setFirstName, singleLine = true,
                    label = { Text(strings.complaintFirstName) }, modifier = Modifier.fillMaxWidth(),
                )
                OutlinedTextField(
                    value = f.lastName, onValueChange = vm::setLastName, singleLine = true,
                    label = { Text(strings.complaintLastName) }, modifier = Modifier.fillMaxWidth(),
                )
                // A phone number reads left to right in both languages (typed groups stay in order).
                OutlinedTextField(
                    value = f.phone, onValueChange = vm::setPhone, singleLine = true,
                    textStyle = ltrInput(),
                    visualTransformation = LeftToRightDigits,
                    label = { Text(strings.complaintPhone) },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
                    isError = errorFor("contact.phone") != null,
                    supportingText = errorFor("contact.phone")?.let { msg -> @Composable { Text(msg) } },
                    modifier = Modifier.fillMaxWidth().field("contact.phone").focusRequester(focusOf("contact.phone"))
                        .testTag("field-phone"),
                )
                OutlinedTextField(
                    value = f.email, onValueChange = vm::setEmail, singleLine = true,
                    label = { Text(strings.complaintEmail) },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Email),
                    isError = errorFor("contact.email") != null,
                    supportingText = errorFor("contact.email")?.let { msg -> @Composable { Text(msg) } },
                    modifier = Modifier.fillMaxWidth().field("contact.email").focusRequester(focusOf("contact.email")),
                )
            }

            if (problems.isNotEmpty()) {
                // By the button the citizen just tapped: how many answers need fixing, and any
                // problem of a field this form has no input for (an attribute no longer asked).
                val orphans = problems.filterNot { isShownInline(it.first, vm.isEditing, f.attributes) }
                val text = (listOf(strings.complaintProblems(problems.size)) + orphans.map { s.validationText(it.first, it.second) })
                    .joinToString("\n")
                ErrorBanner(text, onDismiss = null, modifier = Modifier.testTag("form-problems"))
            }
            Button(
                onClick = vm::submit,
                enabled = !f.submitting,
                modifier = Modifier.fillMaxWidth().heightIn(min = 48.dp).padding(top = 8.dp),
            ) {
                if (f.submitting) CircularProgressIndicator(Modifier.size(18.dp), strokeWidth = 2.dp)
                else Text(if (vm.isEditing) strings.complaintSave else strings.complaintSubmit)
            }
        }
    }

    if (choosingCategory) {
        CategoryDialog(
            categories = f.categories,
            onPick = {
                vm.selectCategory(it)
                choosingCategory = false
            },
            onDismiss = { choosingCategory = false },
        )
    }

    filed?.let { tracking -> FiledDialog(tracking, editing = vm.isEditing, onDone = { onFiled(tracking) }) }
}

private fun isShownInline(field: String, editing: Boolean, attributes: List<AttributeDef>): Boolean =
    field in setOf("service_code", "description", "location", "contact.phone", "contact.email") ||
        attributes.any { field == "attribute[${it.code}]" } ||
        (!editing && (field == "photo" || field == "photos"))

@Composable
private fun FieldError(text: String) {
    Text(text, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
}

/** One question of the category, drawn by its Open311 datatype. */
@Composable
private fun AttributeInput(
    def: AttributeDef,
    values: List<String>,
    error: String?,
    onChange: (List<String>) -> Unit,
    onPickDateTime: () -> Unit,
    modifier: Modifier,
    focus: FocusRequester,
) {
    val label = def.description + if (def.required) " *" else ""
    if (!def.variable) {
        // Not a question: information the category wants the citizen to read.
        Text(def.description, style = MaterialTheme.typography.bodyMedium, modifier = modifier)
        return
    }
    val value = values.firstOrNull().orEmpty()
    when (def.datatype) {
        Datatype.STRING, Datatype.NUMBER, Datatype.TEXT -> OutlinedTextField(
            value = value,
            onValueChange = { onChange(listOf(it)) },
            label = { Text(label) },
            singleLine = def.datatype != Datatype.TEXT,
            minLines = if (def.datatype == Datatype.TEXT) 3 else 1,
            // Any digits (Arabic-Indic too) are accepted by the core.
            keyboardOptions = if (def.datatype == Datatype.NUMBER) KeyboardOptions(keyboardType = KeyboardType.Decimal) else KeyboardOptions.Default,
            isError = error != null,
            supportingText = error?.let { msg -> @Composable { Text(msg) } },
            modifier = modifier.fillMaxWidth().focusRequester(focus),
        )
        Datatype.DATETIME -> Column(modifier) {
            Text(label, style = MaterialTheme.typography.bodyMedium)
            OutlinedButton(onClick = onPickDateTime) {
                Icon(Icons.Filled.DateRange, contentDescription = null, modifier = Modifier.size(18.dp))
                Spacer(Modifier.size(8.dp))
                Text(if (value.isEmpty()) strings.complaintPickDate else strings.rfc3339(value))
            }
            error?.let { FieldError(it) }
        }
        Datatype.SINGLE_VALUE_LIST -> Column(modifier) {
            Text(label, style = MaterialTheme.typography.bodyMedium)
            def.values.forEach { option ->
                Row(
                    Modifier.fillMaxWidth().selectable(selected = value == option.key, role = Role.RadioButton) {
                        onChange(listOf(option.key))
                    },
                    verticalAlignment = Alignment.CenterVertically,
                ) {
                    RadioButton(selected = value == option.key, onClick = null)
                    Text(option.name, modifier = Modifier.padding(8.dp))
                }
            }
            error?.let { FieldError(it) }
        }
        Datatype.MULTI_VALUE_LIST -> Column(modifier) {
            Text(label, style = MaterialTheme.typography.bodyMedium)
            def.values.forEach { option ->
                val checked = option.key in values
                Row(
                    Modifier.fillMaxWidth().toggleable(value = checked, role = Role.Checkbox) { on ->
                        onChange(if (on) values + option.key else values - option.key)
                    },
                    verticalAlignment = Alignment.CenterVertically,
                ) {
                    Checkbox(checked = checked, onCheckedChange = null)
                    Text(option.name, modifier = Modifier.padding(8.dp))
                }
            }
            error?.let { FieldError(it) }
        }
    }
}

@Composable
private fun CategoryDialog(categories: List<ComplaintCategory>, onPick: (ComplaintCategory) -> Unit, onDismiss: () -> Unit) {
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(strings.complaintChooseCategory) },
        text = {
            LazyColumn(Modifier.testTag("category-list")) {
                items(categories, key = { it.code }) { c ->
                    ListItem(
                        headlineContent = { Text(c.name) },
                        supportingContent = categorySupport(c),
                        modifier = Modifier.clickable { onPick(c) },
                    )
                    HorizontalDivider()
                }
            }
        },
        confirmButton = {},
        dismissButton = { TextButton(onClick = onDismiss) { Text(strings.cancel) } },
    )
}

/** A category's line in the list: its description (two lines at most) and, where the server
 * gives one, within what time the municipality aims to deal with it. */
private fun categorySupport(c: ComplaintCategory): (@Composable () -> Unit)? {
    val description = c.description.takeIf { it.isNotBlank() }
    val hours = c.expectedHours
    if (description == null && hours == null) return null
    return {
        Column {
            description?.let { Text(it, maxLines = 2, overflow = TextOverflow.Ellipsis, modifier = Modifier.previewText()) }
            hours?.let { Text(strings.complaintCategoryWithin(it.toInt()), color = MaterialTheme.colorScheme.primary) }
        }
    }
}

/**
 * Filed: the tracking number at once, whatever the network. On Android 13+ this is also when the
 * app asks to post notifications, since the municipality's answers arrive that way.
 */
@Composable
private fun FiledDialog(tracking: String, editing: Boolean, onDone: () -> Unit) {
    val platform = LocalPlatform.current
    LaunchedEffect(tracking) { platform.requestNotificationPermission() }
    AlertDialog(
        onDismissRequest = onDone,
        title = { Text(if (editing) strings.complaintSavedTitle else strings.complaintFiledTitle) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(strings.complaintTrackingNumber)
                Text(strings.id(tracking), style = MaterialTheme.typography.headlineSmall, fontWeight = FontWeight.Bold)
                Text(strings.complaintFiledBody)
            }
        },
        confirmButton = { TextButton(onClick = onDone) { Text(strings.ok) } },
        dismissButton = {
            val label = strings.complaintTrackingNumber
            TextButton(onClick = { platform.copyToClipboard(label, tracking) }) { Text(strings.copy) }
        },
    )
}

/**
 * A choice with its explanation: the whole row is the switch (one target, read by a screen
 * reader as the label, the help and the state).
 */
@Composable
private fun SwitchRow(label: String, help: String, checked: Boolean, onChange: (Boolean) -> Unit) {
    Row(
        Modifier.fillMaxWidth().toggleable(value = checked, role = Role.Switch, onValueChange = onChange),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Column(Modifier.weight(1f)) {
            Text(label)
            Text(help, style = MaterialTheme.typography.bodySmall)
        }
        Switch(checked = checked, onCheckedChange = null)
    }
}

/**
 * "Already reported nearby": the open requests of the same category within 50 m, nearest first,
 * each with what it is, how far, where the municipality stands and how many follow it, and a
 * button to follow it instead of filing; below them, "No, send mine" files the complaint as
 * written. Each follow button says to a screen reader which request it follows.
 */
@Composable
fun NearbyOffer(vm: ComplaintFormModel, requests: List<NearbyRequest>) {
    val following by vm.following.collectAsState()
    val error by vm.error.collectAsState()
    ScreenScaffold(title = strings.nearbyTitle, onBack = vm::closeNearby) { padding ->
        LazyColumn(
            Modifier.padding(padding).fillMaxSize().testTag("nearby-offer"),
            contentPadding = PaddingValues(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            item { ErrorBanner(error, vm::dismissError) }
            item { Text(strings.nearbyIntro, style = MaterialTheme.typography.bodyMedium) }
            items(requests, key = { it.serviceRequestId }) { r -> NearbyCard(r, enabled = !following) { vm.follow(r) } }
            item {
                Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text(strings.nearbySendMineHelp, style = MaterialTheme.typography.bodySmall)
                    OutlinedButton(
                        onClick = vm::sendMine,
                        enabled = !following,
                        modifier = Modifier.fillMaxWidth().heightIn(min = 48.dp).testTag("nearby-send-mine"),
                    ) { Text(strings.nearbySendMine) }
                }
            }
        }
    }
}

@Composable
private fun NearbyCard(r: NearbyRequest, enabled: Boolean, onFollow: () -> Unit) {
    val s = strings
    val distance = s.nearbyDistance(r.distanceM.toInt())
    OutlinedCard(Modifier.fillMaxWidth().testTag("nearby-request")) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(r.serviceName, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold)
            // The municipality's number, left to right in its isolate.
            Text(s.nearbyRequestNumber(s.id(r.serviceRequestId)), style = MaterialTheme.typography.labelMedium)
            r.description?.takeIf { it.isNotBlank() }?.let {
                Text(it, style = writtenText(), maxLines = 4, overflow = TextOverflow.Ellipsis, modifier = Modifier.previewText())
            }
            r.address?.takeIf { it.isNotBlank() }?.let { Text(s.complaintAddressValue(it), style = MaterialTheme.typography.bodySmall) }
            Text(distance, color = MaterialTheme.colorScheme.primary, modifier = Modifier.testTag("nearby-distance"))
            s.statusLabel(r.detailedStatus, "open")?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            Text(s.nearbyFollowers(r.followers.toInt()), style = MaterialTheme.typography.bodySmall)
            // Named by its number: two requests of one category at one distance must not sound alike.
            val label = s.nearbyFollowLabel(s.nearbyRequestNumber(s.id(r.serviceRequestId)), distance)
            Button(
                onClick = onFollow,
                enabled = enabled,
                modifier = Modifier.fillMaxWidth().heightIn(min = 48.dp).padding(top = 4.dp)
                    .semantics { contentDescription = label }.testTag("nearby-follow"),
            ) { Text(s.nearbyFollow, textAlign = TextAlign.Center) }
        }
    }
}
