import Foundation
#if canImport(Combine)
import Combine
#endif

/// The base of the kit's screen models. SwiftUI observes them as `ObservableObject`s where
/// Combine exists (Apple platforms); on Linux, where the kit is tested, there is no Combine and
/// the notification is a no-op. Subclasses call `willChange()` before a change, or wrap several
/// in `update { … }` for one notification.
@MainActor
public class ViewModel {
    #if canImport(Combine)
    public nonisolated let objectWillChange = ObservableObjectPublisher()
    #endif

    nonisolated init() {}

    /// Say a change is coming; SwiftUI reads the new values on its next frame.
    func willChange() {
        #if canImport(Combine)
        objectWillChange.send()
        #endif
    }

    /// Make several changes with one notification.
    func update(_ change: () -> Void) {
        willChange()
        change()
    }
}

#if canImport(Combine)
extension ViewModel: ObservableObject {}
#endif
