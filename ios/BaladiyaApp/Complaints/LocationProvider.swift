import BaladiyaKit
import Combine
import CoreLocation
import Foundation

/// One location fix for a complaint (no continuous updates: one point is all a complaint needs,
/// and the battery may have to last through a power cut). Asks for "when in use" permission the
/// first time; if it is refused or no fix comes, the citizen types an address.
@MainActor
final class LocationProvider: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published private(set) var point: GeoPoint?
    @Published private(set) var locating = false
    @Published private(set) var failed = false

    private let manager = CLLocationManager()

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
    }

    func locate() {
        failed = false
        switch manager.authorizationStatus {
        case .notDetermined:
            locating = true
            manager.requestWhenInUseAuthorization() // continues in the authorization callback
        case .denied, .restricted:
            failed = true
        default:
            locating = true
            manager.requestLocation()
        }
    }

    func clear() {
        point = nil
    }

    /// Editing a complaint: start from its point.
    func set(_ point: GeoPoint?) {
        self.point = point
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        let status = manager.authorizationStatus
        Task { @MainActor in
            guard self.locating else { return }
            switch status {
            case .authorizedWhenInUse, .authorizedAlways:
                self.manager.requestLocation()
            case .denied, .restricted:
                self.locating = false
                self.failed = true
            default:
                break
            }
        }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let c = locations.last?.coordinate else { return }
        Task { @MainActor in
            self.point = GeoPoint(lat: c.latitude, long: c.longitude)
            self.locating = false
        }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        Task { @MainActor in
            self.locating = false
            self.failed = true
        }
    }
}
