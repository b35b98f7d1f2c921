package ps.gaza.baladiya.app.bills

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ElevatedCard
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import ps.gaza.baladiya.app.R
import ps.gaza.baladiya.app.ui.ErrorBanner
import ps.gaza.baladiya.app.ui.InfoBanner
import ps.gaza.baladiya.app.ui.ScreenScaffold
import ps.gaza.baladiya.app.ui.SectionTitle
import ps.gaza.baladiya.app.ui.dateTime
import ps.gaza.baladiya.app.ui.isoDate
import ps.gaza.baladiya.app.ui.ltr
import ps.gaza.baladiya.app.ui.money
import ps.gaza.baladiya.app.ui.number
import ps.gaza.baladiya.app.ui.period
import ps.gaza.baladiya.app.ui.text
import uniffi.baladiya_ffi.Bill
import uniffi.baladiya_ffi.BillLookup
import uniffi.baladiya_ffi.PaymentStatus

@Composable
fun BillsScreen(vm: BillsViewModel) {
    val s by vm.state.collectAsStateWithLifecycle()
    val error by vm.error.collectAsStateWithLifecycle()
    var forgetting by rememberSaveable { mutableStateOf<String?>(null) }

    ScreenScaffold(title = stringResource(R.string.bills_title)) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            ErrorBanner(error, vm::dismissError)

            if (s.saved.isNotEmpty()) {
                SectionTitle(stringResource(R.string.bills_saved))
                s.saved.forEach { a ->
                    ListItem(
                        headlineContent = { Text(a.nickname) },
                        supportingContent = {
                            Text(
                                ltr(a.account) + (a.fetchedAt?.let { "  ·  " + stringResource(R.string.bills_saved_copy, dateTime(it)) } ?: ""),
                            )
                        },
                        trailingContent = {
                            IconButton(onClick = { forgetting = a.account }) {
                                Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.bills_forget))
                            }
                        },
                        modifier = Modifier.clickable { vm.pick(a) },
                    )
                }
                HorizontalDivider()
            }

            SectionTitle(stringResource(R.string.bills_lookup))
            OutlinedTextField(
                value = s.account,
                onValueChange = vm::setAccount,
                label = { Text(stringResource(R.string.bills_account)) },
                supportingText = { Text(stringResource(R.string.bills_account_help)) },
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = s.verification,
                onValueChange = vm::setVerification,
                label = { Text(s.verificationInfo?.label?.text() ?: stringResource(R.string.bills_phone)) },
                supportingText = { Text(stringResource(R.string.bills_verification_help)) },
                singleLine = true,
                keyboardOptions = KeyboardOptions(
                    keyboardType = if (s.verificationInfo?.kind == "national_id") KeyboardType.Number else KeyboardType.Phone,
                ),
                modifier = Modifier.fillMaxWidth(),
            )
            Button(onClick = vm::lookup, enabled = !s.loading, modifier = Modifier.fillMaxWidth()) {
                if (s.loading) CircularProgressIndicator(Modifier.size(18.dp), strokeWidth = 2.dp)
                else Text(stringResource(R.string.bills_show))
            }
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(
                    value = s.nickname,
                    onValueChange = vm::setNickname,
                    label = { Text(stringResource(R.string.bills_nickname)) },
                    placeholder = { Text(stringResource(R.string.bills_nickname_hint)) },
                    singleLine = true,
                    modifier = Modifier.weight(1f),
                )
                OutlinedButton(onClick = vm::save, enabled = !s.loading) { Text(stringResource(R.string.bills_save)) }
            }

            s.result?.let { Statement(it, s.justSaved) }
        }
    }

    forgetting?.let { account ->
        AlertDialog(
            onDismissRequest = { forgetting = null },
            title = { Text(stringResource(R.string.bills_forget_confirm, ltr(account))) },
            confirmButton = {
                TextButton(onClick = {
                    forgetting = null
                    vm.forget(account)
                }) { Text(stringResource(R.string.bills_forget)) }
            },
            dismissButton = { TextButton(onClick = { forgetting = null }) { Text(stringResource(R.string.keep)) } },
        )
    }
}

/** A statement: what is due, the current bill line by line, 24 months of history, payments. */
@Composable
private fun Statement(lookup: BillLookup, justSaved: Boolean) {
    val st = lookup.statement
    val cur = st.currency
    if (lookup.stale) {
        InfoBanner(stringResource(R.string.bill_stale, dateTime(lookup.fetchedAt)))
    } else {
        Text(
            stringResource(if (justSaved) R.string.bill_saved_fetched else R.string.bill_fetched, dateTime(lookup.fetchedAt)),
            style = MaterialTheme.typography.labelSmall,
        )
    }
    ElevatedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(stringResource(R.string.bill_account, ltr(st.account)), fontWeight = FontWeight.Bold)
            Text(st.holderMasked)
            Text(st.area.text() + "  ·  " + accountType(st.accountType))
            Text(stringResource(R.string.bill_total_due), style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(top = 8.dp))
            Text(money(st.totalDueMinor, cur), style = MaterialTheme.typography.headlineMedium, fontWeight = FontWeight.Bold)
            if (st.arrearsMinor > 0) Text(stringResource(R.string.bill_arrears, money(st.arrearsMinor, cur)))
            Text(stringResource(R.string.bill_due_date, isoDate(st.current.dueDate)))
        }
    }

    SectionTitle(stringResource(R.string.bill_current, period(st.current.period)))
    CurrentBill(st.current, cur)

    if (st.history.isNotEmpty()) {
        SectionTitle(stringResource(R.string.bill_history))
        st.history.forEach { b ->
            Row(Modifier.fillMaxWidth().padding(vertical = 4.dp), verticalAlignment = Alignment.CenterVertically) {
                Text(period(b.period), modifier = Modifier.weight(1.4f))
                Text(stringResource(R.string.cubic_meters, number(b.consumptionM3)), modifier = Modifier.weight(1f))
                Text(money(b.totalMinor, cur), modifier = Modifier.weight(1.2f))
                Text(stringResource(paymentStatus(b.status)), style = MaterialTheme.typography.bodySmall, modifier = Modifier.weight(1f))
            }
            HorizontalDivider()
        }
    }
    if (st.payments.isNotEmpty()) {
        SectionTitle(stringResource(R.string.bill_payments))
        st.payments.forEach { p ->
            Row(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                Text(isoDate(p.date), modifier = Modifier.weight(1f))
                Text(money(p.amountMinor, cur), fontWeight = FontWeight.Bold)
            }
            Text(p.place.text(), style = MaterialTheme.typography.bodySmall)
        }
    }
    if (st.howToPay.isNotEmpty()) {
        SectionTitle(stringResource(R.string.bill_how_to_pay))
        st.howToPay.forEach { Text("• " + it.text()) }
    }
}

@Composable
private fun CurrentBill(b: Bill, currency: String) {
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(stringResource(paymentStatus(b.status)), fontWeight = FontWeight.Bold, color = statusColor(b.status))
        Text(stringResource(R.string.bill_issued, isoDate(b.issuedOn)))
        Text(stringResource(R.string.bill_meter, number(b.meterPrevious), number(b.meterCurrent)))
        Text(stringResource(R.string.bill_consumption, stringResource(R.string.cubic_meters, number(b.consumptionM3))))
        HorizontalDivider()
        b.lines.forEach { line ->
            Row(Modifier.fillMaxWidth()) {
                Column(Modifier.weight(1f)) {
                    Text(line.label.text())
                    val q = line.quantityM3
                    val rate = line.rateMinor
                    if (q != null && rate != null) {
                        Text(
                            stringResource(R.string.bill_line_detail, stringResource(R.string.cubic_meters, number(q)), money(rate, currency)),
                            style = MaterialTheme.typography.bodySmall,
                        )
                    }
                }
                Text(money(line.amountMinor, currency))
            }
        }
        HorizontalDivider()
        Row(Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.bill_total), fontWeight = FontWeight.Bold, modifier = Modifier.weight(1f))
            Text(money(b.totalMinor, currency), fontWeight = FontWeight.Bold)
        }
        if (b.paidMinor > 0) {
            Row(Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.bill_paid), modifier = Modifier.weight(1f))
                Text(money(b.paidMinor, currency))
            }
        }
    }
}

@Composable
private fun statusColor(status: PaymentStatus) = when (status) {
    PaymentStatus.PAID -> MaterialTheme.colorScheme.primary
    PaymentStatus.PARTLY_PAID -> MaterialTheme.colorScheme.tertiary
    PaymentStatus.UNPAID -> MaterialTheme.colorScheme.error
}

private fun paymentStatus(status: PaymentStatus): Int = when (status) {
    PaymentStatus.PAID -> R.string.bill_status_paid
    PaymentStatus.PARTLY_PAID -> R.string.bill_status_partly_paid
    PaymentStatus.UNPAID -> R.string.bill_status_unpaid
}

@Composable
private fun accountType(type: String): String = when (type) {
    "household" -> stringResource(R.string.bill_type_household)
    "commercial" -> stringResource(R.string.bill_type_commercial)
    else -> type
}
