package ps.gaza.baladiya.app.complaints

import android.Manifest
import android.app.DatePickerDialog
import android.app.TimePickerDialog
import android.content.ClipData
import android.content.ClipboardManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.text.format.DateFormat
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Image
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
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.ui.ErrorBanner
import ps.gaza.baladiya.app.ui.InfoBanner
import ps.gaza.baladiya.app.ui.ScreenScaffold
import ps.gaza.baladiya.app.ui.SectionTitle
import ps.gaza.baladiya.app.ui.errorText
import ps.gaza.baladiya.app.ui.ltr
import ps.gaza.baladiya.app.ui.number
import ps.gaza.baladiya.app.ui.rfc3339
import ps.gaza.baladiya.app.ui.toRfc3339
import ps.gaza.baladiya.app.ui.validationField
import uniffi.baladiya_ffi.AttributeDef
import uniffi.baladiya_ffi.ComplaintCategory
import uniffi.baladiya_ffi.Datatype
import java.util.Calendar

@Composable
fun ComplaintFormScreen(
    onBack: () -> Unit,
    onFiled: (String) -> Unit,
    vm: ComplaintFormViewModel = viewModel(factory = ComplaintFormViewModel.Factory),
) {
    val f by vm.form.collectAsStateWithLifecycle()
    val filed by vm.filed.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    val context = LocalContext.current
    // A validation error names its field: it is shown under that input, not in the banner.
    val badField = validationField(error)
    fun errorFor(field: String): String? = if (badField == field) error?.let { errorText(context, it) } else null
    fun errorForAny(vararg fields: String): String? = fields.firstNotNullOfOrNull { errorFor(it) }

    var choosingCategory by rememberSaveable { mutableStateOf(false) }

    val pickPhoto = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) vm.addPhoto(uri)
    }
    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
        if (granted.values.any { it }) vm.locate()
    }

    ScreenScaffold(
        title = stringResource(if (vm.isEditing) R.string.complaint_edit_title else R.string.complaint_new_title),
        onBack = onBack,
    ) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (badField == null) ErrorBanner(error, vm::dismissError)

            // Category
            SectionTitle(stringResource(R.string.complaint_category))
            if (f.categories.isEmpty() && !f.loadingCategories) {
                InfoBanner(stringResource(R.string.complaint_categories_missing)) {
                    TextButton(onClick = { vm.loadCategories(refresh = true) }) { Text(stringResource(R.string.retry)) }
                }
            }
            OutlinedCard(
                Modifier.fillMaxWidth().clickable(enabled = f.categories.isNotEmpty()) { choosingCategory = true },
            ) {
                Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
                    Column(Modifier.weight(1f)) {
                        Text(f.category?.name ?: stringResource(R.string.complaint_choose_category), fontWeight = FontWeight.Bold)
                        f.category?.description?.takeIf { it.isNotBlank() }?.let {
                            Text(it, style = MaterialTheme.typography.bodySmall)
                        }
                    }
                    if (f.loadingCategories) CircularProgressIndicator(Modifier.size(24.dp), strokeWidth = 2.dp)
                }
            }
            errorFor("service_code")?.let { FieldError(it) }

            // The category's own questions, by datatype.
            f.attributes.forEach { def ->
                AttributeInput(
                    def = def,
                    values = f.answers[def.code].orEmpty(),
                    error = errorFor("attribute[${def.code}]"),
                    onChange = { vm.setAnswer(def.code, it) },
                )
            }

            // Description
            OutlinedTextField(
                value = f.description,
                onValueChange = vm::setDescription,
                label = { Text(stringResource(R.string.complaint_description)) },
                isError = errorFor("description") != null,
                supportingText = errorFor("description")?.let { msg -> @Composable { Text(msg) } },
                minLines = 4,
                modifier = Modifier.fillMaxWidth(),
            )

            // Where
            SectionTitle(stringResource(R.string.complaint_where))
            val location = f.location
            if (location != null) {
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Icon(Icons.Filled.LocationOn, contentDescription = null, tint = MaterialTheme.colorScheme.primary)
                    Text(
                        stringResource(R.string.complaint_location_set, ltr("%.5f, %.5f".format(java.util.Locale.US, location.lat, location.long))),
                        modifier = Modifier.weight(1f).padding(horizontal = 8.dp),
                    )
                    IconButton(onClick = vm::clearLocation) {
                        Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.complaint_location_clear))
                    }
                }
            }
            OutlinedButton(
                onClick = {
                    if (hasLocationPermission(context)) {
                        vm.locate()
                    } else {
                        askLocation.launch(
                            arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION),
                        )
                    }
                },
                enabled = !f.locating,
            ) {
                if (f.locating) {
                    CircularProgressIndicator(Modifier.size(18.dp), strokeWidth = 2.dp)
                } else {
                    Icon(Icons.Filled.LocationOn, contentDescription = null, modifier = Modifier.size(18.dp))
                }
                Spacer(Modifier.size(8.dp))
                Text(stringResource(R.string.complaint_use_location))
            }
            if (f.locationFailed) FieldError(stringResource(R.string.complaint_location_failed))
            OutlinedTextField(
                value = f.address,
                onValueChange = vm::setAddress,
                label = { Text(stringResource(R.string.complaint_address)) },
                placeholder = { Text(stringResource(R.string.complaint_address_hint)) },
                isError = errorFor("location") != null,
                supportingText = errorFor("location")?.let { msg -> @Composable { Text(msg) } },
                modifier = Modifier.fillMaxWidth(),
            )

            // Photos (kept as they are when editing: the core edits the draft only)
            if (!vm.isEditing) {
                SectionTitle(stringResource(R.string.complaint_photos))
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    f.photos.forEachIndexed { i, photo ->
                        Box {
                            val preview = photo.preview
                            if (preview != null) {
                                val bitmap = remember(preview) { preview.asImageBitmap() }
                                Image(
                                    bitmap,
                                    contentDescription = stringResource(R.string.complaint_photo_n, i + 1),
                                    contentScale = ContentScale.Crop,
                                    modifier = Modifier.size(88.dp),
                                )
                            } else {
                                Box(Modifier.size(88.dp), contentAlignment = Alignment.Center) { Text(number(i + 1L)) }
                            }
                            IconButton(onClick = { vm.removePhoto(i) }, modifier = Modifier.align(Alignment.TopEnd).size(32.dp)) {
                                Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.complaint_photo_remove))
                            }
                        }
                    }
                }
                if (f.photos.size < ComplaintFormViewModel.MAX_PHOTOS) {
                    OutlinedButton(onClick = {
                        pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                    }) { Text(stringResource(R.string.complaint_add_photo)) }
                }
                if (f.photoFailed) FieldError(stringResource(R.string.complaint_photo_failed))
                errorForAny("photo", "photos")?.let { FieldError(it) }
            }

            // Who
            SectionTitle(stringResource(R.string.complaint_contact))
            Row(
                Modifier.fillMaxWidth().toggleable(value = f.anonymous, role = Role.Switch, onValueChange = vm::setAnonymous),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Column(Modifier.weight(1f)) {
                    Text(stringResource(R.string.complaint_anonymous))
                    Text(stringResource(R.string.complaint_anonymous_help), style = MaterialTheme.typography.bodySmall)
                }
                Switch(checked = f.anonymous, onCheckedChange = null)
            }
            if (!f.anonymous) {
                OutlinedTextField(
                    value = f.firstName, onValueChange = vm::setFirstName, singleLine = true,
                    label = { Text(stringResource(R.string.complaint_first_name)) }, modifier = Modifier.fillMaxWidth(),
                )
                OutlinedTextField(
                    value = f.lastName, onValueChange = vm::setLastName, singleLine = true,
                    label = { Text(stringResource(R.string.complaint_last_name)) }, modifier = Modifier.fillMaxWidth(),
                )
                OutlinedTextField(
                    value = f.phone, onValueChange = vm::setPhone, singleLine = true,
                    label = { Text(stringResource(R.string.complaint_phone)) },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
                    isError = errorFor("contact.phone") != null,
                    supportingText = errorFor("contact.phone")?.let { msg -> @Composable { Text(msg) } },
                    modifier = Modifier.fillMaxWidth(),
                )
                OutlinedTextField(
                    value = f.email, onValueChange = vm::setEmail, singleLine = true,
                    label = { Text(stringResource(R.string.complaint_email)) },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Email),
                    isError = errorFor("contact.email") != null,
                    supportingText = errorFor("contact.email")?.let { msg -> @Composable { Text(msg) } },
                    modifier = Modifier.fillMaxWidth(),
                )
            }

            if (badField != null && errorFor(badField) != null && !isShownInline(badField, vm.isEditing)) {
                // A field without its own input here (an attribute we no longer show, say).
                ErrorBanner(error, vm::dismissError)
            }
            Button(
                onClick = vm::submit,
                enabled = !f.submitting,
                modifier = Modifier.fillMaxWidth().heightIn(min = 48.dp).padding(top = 8.dp),
            ) {
                if (f.submitting) CircularProgressIndicator(Modifier.size(18.dp), strokeWidth = 2.dp)
                else Text(stringResource(if (vm.isEditing) R.string.complaint_save else R.string.complaint_submit))
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

private fun isShownInline(field: String, editing: Boolean): Boolean =
    field in setOf("service_code", "description", "location", "contact.phone", "contact.email") ||
        field.startsWith("attribute[") ||
        (!editing && (field == "photo" || field == "photos"))

@Composable
private fun FieldError(text: String) {
    Text(text, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
}

/** One question of the category, drawn by its Open311 datatype. */
@Composable
private fun AttributeInput(def: AttributeDef, values: List<String>, error: String?, onChange: (List<String>) -> Unit) {
    val context = LocalContext.current
    val label = def.description + if (def.required) " *" else ""
    if (!def.variable) {
        // Not a question: information the category wants the citizen to read.
        Text(def.description, style = MaterialTheme.typography.bodyMedium)
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
            modifier = Modifier.fillMaxWidth(),
        )
        Datatype.DATETIME -> Column {
            Text(label, style = MaterialTheme.typography.bodyMedium)
            OutlinedButton(onClick = { pickDateTime(context) { onChange(listOf(it)) } }) {
                Icon(Icons.Filled.DateRange, contentDescription = null, modifier = Modifier.size(18.dp))
                Spacer(Modifier.size(8.dp))
                Text(if (value.isEmpty()) stringResource(R.string.complaint_pick_date) else rfc3339(value))
            }
            error?.let { FieldError(it) }
        }
        Datatype.SINGLE_VALUE_LIST -> Column {
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
        Datatype.MULTI_VALUE_LIST -> Column {
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

/** The platform's date then time dialogs; the answer as RFC 3339 with the phone's offset. */
private fun pickDateTime(context: Context, onPicked: (String) -> Unit) {
    val now = Calendar.getInstance()
    DatePickerDialog(context, { _, year, month, day ->
        TimePickerDialog(context, { _, hour, minute ->
            val at = Calendar.getInstance().apply { set(year, month, day, hour, minute, 0) }
            onPicked(toRfc3339(at.timeInMillis))
        }, now.get(Calendar.HOUR_OF_DAY), now.get(Calendar.MINUTE), DateFormat.is24HourFormat(context)).show()
    }, now.get(Calendar.YEAR), now.get(Calendar.MONTH), now.get(Calendar.DAY_OF_MONTH)).apply {
        datePicker.maxDate = now.timeInMillis
    }.show()
}

@Composable
private fun CategoryDialog(categories: List<ComplaintCategory>, onPick: (ComplaintCategory) -> Unit, onDismiss: () -> Unit) {
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.complaint_choose_category)) },
        text = {
            LazyColumn {
                items(categories, key = { it.code }) { c ->
                    ListItem(
                        headlineContent = { Text(c.name) },
                        supportingContent = c.description.takeIf { it.isNotBlank() }?.let { msg -> @Composable { Text(msg, maxLines = 2) } },
                        modifier = Modifier.clickable { onPick(c) },
                    )
                    HorizontalDivider()
                }
            }
        },
        confirmButton = {},
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/**
 * Filed: the tracking number at once, whatever the network. On Android 13+ this is also when the
 * app asks to post notifications, since the municipality's answers arrive that way.
 */
@Composable
private fun FiledDialog(tracking: String, editing: Boolean, onDone: () -> Unit) {
    val context = LocalContext.current
    val askNotifications = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { }
    LaunchedEffect(tracking) {
        if (Build.VERSION.SDK_INT >= 33 &&
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            askNotifications.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }
    AlertDialog(
        onDismissRequest = onDone,
        title = { Text(stringResource(if (editing) R.string.complaint_saved_title else R.string.complaint_filed_title)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(stringResource(R.string.complaint_tracking_number))
                Text(ltr(tracking), style = MaterialTheme.typography.headlineSmall, fontWeight = FontWeight.Bold)
                Text(stringResource(R.string.complaint_filed_body))
            }
        },
        confirmButton = { TextButton(onClick = onDone) { Text(stringResource(R.string.ok)) } },
        dismissButton = {
            TextButton(onClick = { copy(context, tracking) }) { Text(stringResource(R.string.copy)) }
        },
    )
}

fun copy(context: Context, text: String) {
    val clipboard = context.getSystemService(ClipboardManager::class.java)
    clipboard?.setPrimaryClip(ClipData.newPlainText(context.getString(R.string.complaint_tracking_number), text))
}
