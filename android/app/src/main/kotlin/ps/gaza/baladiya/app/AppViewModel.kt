package ps.gaza.baladiya.app

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import ps.gaza.baladiya.ui.AppEnv
import ps.gaza.baladiya.ui.AppModels
import ps.gaza.baladiya.ui.Platform

/**
 * Keeps the shared screens' models and navigator across rotation and language switches: they run
 * on this ViewModel's scope. The [Platform] is the current Activity's, swapped in on creation.
 */
class AppViewModel(app: BaladiyaApp) : ViewModel() {
    private var platform: Platform? = null
    val models = AppModels(
        AppEnv(client = app::client, platformOf = { checkNotNull(platform) { "no Activity attached" } }),
        viewModelScope,
    )

    /** The Activity's platform (a recreated Activity brings new result launchers). */
    fun attach(activityPlatform: Platform) {
        platform = activityPlatform
    }

    companion object {
        val Factory = viewModelFactory {
            initializer {
                AppViewModel(this[androidx.lifecycle.ViewModelProvider.AndroidViewModelFactory.APPLICATION_KEY] as BaladiyaApp)
            }
        }
    }
}
