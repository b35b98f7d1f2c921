package ps.gaza.baladiya.ui.notice

import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.ScreenModel
import ps.gaza.baladiya.ui.common.strings
import uniffi.baladiya_core.BaladiyaEvent
import uniffi.baladiya_core.StoreRecovery

/**
 * The phone's database was found damaged and rebuilt by the library (at open, or while the app
 * ran): the citizen is told once what was kept, so a complaint that seems gone is not filed twice
 * and the guide downloading again is not a surprise.
 */
class StoreNoticeModel(env: AppEnv, scope: CoroutineScope) : ScreenModel(env, scope) {
    private val _recovery = MutableStateFlow<StoreRecovery?>(null)
    val recovery: StateFlow<StoreRecovery?> = _recovery.asStateFlow()

    init {
        launchWithClient { c -> c.storeRecoveries().lastOrNull()?.let { _recovery.value = it } }
        onEvents { event -> if (event is BaladiyaEvent.StoreRecovered) _recovery.value = event.recovery }
    }

    fun dismiss() {
        _recovery.value = null
    }
}

@Composable
fun StoreNotice(model: StoreNoticeModel) {
    val recovery by model.recovery.collectAsState()
    val r = recovery ?: return
    AlertDialog(
        onDismissRequest = model::dismiss,
        title = { Text(strings.storeRepairedTitle) },
        text = {
            Text(strings.storeRepaired(r.unsentComplaintsRecovered.toInt(), r.billAccountsRecovered.toInt(), r.complete))
        },
        confirmButton = { TextButton(onClick = model::dismiss) { Text(strings.ok) } },
    )
}
