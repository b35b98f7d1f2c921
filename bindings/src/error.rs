//! The one error shells see. Each variant carries `detail`, the human text, and the generated
//! Kotlin and Swift error types expose it as their message: uniffi's own message for a non-flat
//! error would be a dump of the fields.

use baladiya_core::{Error, FieldProblem};

#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum ApiError {
    /// No connection: show "offline", keep working from the local store.
    #[error("{detail}")]
    Offline { detail: String },
    /// The exchange failed or timed out; retrying later may work.
    #[error("{detail}")]
    Network { detail: String },
    /// The server answered with an error status.
    #[error("{detail}")]
    Server { status: u16, detail: String },
    /// The server's answer could not be understood.
    #[error("{detail}")]
    MalformedResponse { detail: String },
    /// Input to fix; `field` names the first problem, `problems` lists every one (the first
    /// included), so a form marks them all and moves focus to the first.
    #[error("{detail}")]
    Validation { field: String, reason: String, detail: String, problems: Vec<FieldProblem> },
    #[error("{detail}")]
    NotFound { detail: String },
    /// Wrong or missing credentials or verification.
    #[error("{detail}")]
    Unauthorized { detail: String },
    /// Too many attempts: try again after `retry_after_secs`.
    #[error("{detail}")]
    Throttled { retry_after_secs: u64, detail: String },
    /// The local database failed.
    #[error("{detail}")]
    Storage { detail: String },
    /// A bug: a panic or a broken invariant inside the library.
    #[error("{detail}")]
    Internal { detail: String },
}

impl ApiError {
    pub fn internal(detail: &str) -> Self {
        ApiError::Internal { detail: format!("internal error: {detail}") }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let detail = e.to_string();
        let problems = e.problems();
        match e {
            Error::Offline => ApiError::Offline { detail },
            Error::Timeout | Error::Network(_) => ApiError::Network { detail },
            Error::Server { status } => ApiError::Server { status, detail },
            Error::MalformedResponse(_) => ApiError::MalformedResponse { detail },
            Error::Validation { field, reason, .. } => {
                ApiError::Validation { field, reason, detail, problems }
            }
            Error::NotFound(_) => ApiError::NotFound { detail },
            Error::Unauthorized => ApiError::Unauthorized { detail },
            Error::Throttled { retry_after } => {
                ApiError::Throttled { retry_after_secs: retry_after.as_secs().max(1), detail }
            }
            Error::Rejected { status, .. } => ApiError::Server { status, detail },
            Error::Storage(_) | Error::StoreCorrupt(_) => ApiError::Storage { detail },
        }
    }
}
