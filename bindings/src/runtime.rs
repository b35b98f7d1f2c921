//! The library's one tokio runtime and the guards that keep panics on this side of the boundary.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{LazyLock, Once};

use crate::error::ApiError;

/// Created on first use; two workers are plenty for a phone's background sync.
static RUNTIME: LazyLock<Result<tokio::runtime::Runtime, String>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("baladiya")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
});

/// Log where a panic happened (never its payload, which may hold personal data) once per process.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            tracing::error!(%at, "panic in baladiya core; returned to the app as an internal error");
            if cfg!(debug_assertions) {
                previous(info);
            }
        }));
    });
}

/// Run a synchronous call, turning a panic into `ApiError::Internal`.
pub fn guard<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    install_panic_hook();
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(ApiError::internal("the call panicked")))
}

/// Run an async call on the library's runtime. Dropping the returned future does not cancel the
/// work: it runs to the end, so a cancelled call never leaves a half-done write.
pub async fn spawn<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    install_panic_hook();
    let runtime = RUNTIME.as_ref().map_err(|e| ApiError::internal(&format!("no runtime: {e}")))?;
    match runtime.spawn(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(ApiError::internal("the call panicked")),
        Err(_) => Err(ApiError::internal("the call was stopped")),
    }
}
