package ps.gaza.baladiya.app

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import androidx.core.content.ContextCompat
import com.google.android.gms.location.LocationServices
import com.google.android.gms.location.Priority
import com.google.android.gms.tasks.CancellationTokenSource
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withTimeoutOrNull
import uniffi.baladiya_core.GeoPoint
import kotlin.coroutines.resume

/** Whether the citizen let the app use the location, and how precisely. */
fun hasLocationPermission(context: Context, precise: Boolean = false): Boolean {
    val fine = ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_FINE_LOCATION) ==
        PackageManager.PERMISSION_GRANTED
    val coarse = ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_COARSE_LOCATION) ==
        PackageManager.PERMISSION_GRANTED
    return if (precise) fine else fine || coarse
}

/**
 * One fresh fix from the fused location provider (no continuous updates: a complaint needs one
 * point, and the battery may have to last through a power cut). Null when none came within
 * 20 seconds, when location is off, or on a phone without Google Play services; the citizen can
 * then type an address.
 */
@SuppressLint("MissingPermission") // checked by hasLocationPermission before this is called
suspend fun currentLocation(context: Context): GeoPoint? {
    if (!hasLocationPermission(context)) return null
    val priority = if (hasLocationPermission(context, precise = true)) {
        Priority.PRIORITY_HIGH_ACCURACY
    } else {
        Priority.PRIORITY_BALANCED_POWER_ACCURACY
    }
    return try {
        withTimeoutOrNull(20_000) {
            suspendCancellableCoroutine { cont ->
                val cancel = CancellationTokenSource()
                LocationServices.getFusedLocationProviderClient(context)
                    .getCurrentLocation(priority, cancel.token)
                    .addOnSuccessListener { loc -> cont.resume(loc?.let { GeoPoint(it.latitude, it.longitude) }) }
                    .addOnFailureListener { cont.resume(null) }
                    .addOnCanceledListener { cont.resume(null) }
                cont.invokeOnCancellation { cancel.cancel() }
            }
        }
    } catch (e: SecurityException) {
        null
    } catch (e: IllegalStateException) {
        null // no Google Play services on this phone
    }
}
