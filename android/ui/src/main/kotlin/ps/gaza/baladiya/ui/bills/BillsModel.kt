package ps.gaza.baladiya.ui.bills

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import ps.gaza.baladiya.BaladiyaClient
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.ScreenModel
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.common.number
import ps.gaza.baladiya.ui.common.pick
import ps.gaza.baladiya.ui.common.text
import ps.gaza.baladiya.ui.text.Digits
import uniffi.baladiya_core.BillLookup
import uniffi.baladiya_core.SavedAccount
import uniffi.baladiya_wire.VerificationInfo

/**
 * The bills tab. The account number and the verification factor (the phone number registered on
 * the account, or the id number: the server says which) are typed each time; the factor is never
 * stored. Offline, a saved account's last statement comes back marked stale with its date.
 * Digits of any script are accepted by the core.
 */
class BillsModel(env: AppEnv, scope: CoroutineScope) : ScreenModel(env, scope) {

    data class State(
        val account: String = "",
        val verification: String = "",
        val nickname: String = "",
        /** What the second field asks for; null until the server said (phone by default). */
        val verificationInfo: VerificationInfo? = null,
        val saved: List<SavedAccount> = emptyList(),
        val loading: Boolean = false,
        val result: BillLookup? = null,
        /** The account of [result] was just saved. */
        val justSaved: Boolean = false,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    init {
        loadSaved()
        // A few hundred bytes, once per screen: which factor this municipality asks for.
        launchWithClient { c ->
            val info = runCatching { c.billVerification() }.getOrNull()
            _state.update { it.copy(verificationInfo = info) }
        }
    }

    fun setAccount(text: String) = _state.update { it.copy(account = text) }
    fun setVerification(text: String) = _state.update { it.copy(verification = text) }
    fun setNickname(text: String) = _state.update { it.copy(nickname = text) }

    /** A saved account: its number in the field; the factor is asked for again. */
    fun pick(account: SavedAccount) =
        _state.update { it.copy(account = account.account, nickname = account.nickname, verification = "", result = null) }

    fun lookup() = busy { c ->
        val s = _state.value
        val found = c.lookupBill(s.account, s.verification)
        _state.update { it.copy(result = found, justSaved = false) }
    }

    fun save() = busy { c ->
        val s = _state.value
        val found = c.saveBillAccount(s.account, s.nickname, s.verification)
        _state.update { it.copy(result = found, justSaved = true) }
        loadSaved()
    }

    fun forget(account: String) = busy { c ->
        c.forgetBillAccount(account)
        _state.update { if (it.result?.statement?.account == account) it.copy(result = null) else it }
        loadSaved()
    }

    private fun loadSaved() = launchWithClient { c ->
        val saved = c.savedBillAccounts()
        _state.update { it.copy(saved = saved) }
    }

    private fun busy(block: suspend (BaladiyaClient) -> Unit) {
        if (_state.value.loading) return
        dismissError()
        _state.update { it.copy(loading = true) }
        launchWithClient { c ->
            try {
                block(c)
            } finally {
                _state.update { it.copy(loading = false) }
            }
        }
    }

}
