//! The core's error type. Variants are what a caller can act on; their text never carries personal
//! data or response bodies (a malformed response names the fault, not the content).

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No connection could be made: the phone is offline or the server is down.
    #[error("offline: the municipal server could not be reached")]
    Offline,
    /// The request did not complete in time.
    #[error("the municipal server did not answer in time")]
    Timeout,
    /// The connection broke during the exchange.
    #[error("network error: {0}")]
    Network(String),
    /// The server answered with an error status.
    #[error("server error: HTTP {status}")]
    Server { status: u16 },
    /// The server's answer could not be understood.
    #[error("malformed response from the server: {0}")]
    MalformedResponse(String),
    /// Input the caller gave is not acceptable; `field` names it. Where one input has several
    /// problems (a complaint draft), `more` holds the others, so a form can mark them all at once.
    #[error("invalid {field}: {reason}{}", more_suffix(more))]
    Validation { field: String, reason: String, more: Vec<FieldProblem> },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("not authorized")]
    Unauthorized,
    #[error("too many attempts; retry in {} s", retry_after.as_secs())]
    Throttled { retry_after: Duration },
    /// The server refused this submission for good (a 4xx with its reason); sending it again
    /// unchanged will not help.
    #[error("refused by the server: {reason}")]
    Rejected { status: u16, reason: String },
    /// The local database failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// The local database file is damaged (SQLite found it corrupt, or not a database). The store
    /// has set the file aside and rebuilt itself from what could be read (see
    /// [`crate::store::StoreRecovery`]), so the same call made again works.
    #[error(
        "the local database is damaged ({0}); it is set aside and rebuilt from what can be read: try again"
    )]
    StoreCorrupt(String),
}

/// One field of the input and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

fn more_suffix(more: &[FieldProblem]) -> String {
    match more.len() {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    }
}

impl Error {
    pub fn validation(field: &str, reason: impl Into<String>) -> Self {
        Error::Validation { field: field.to_owned(), reason: reason.into(), more: Vec::new() }
    }

    /// Every problem of one input, the first one leading; `None` when there is none.
    pub fn validation_all(problems: Vec<FieldProblem>) -> Option<Self> {
        let mut problems = problems.into_iter();
        let first = problems.next()?;
        Some(Error::Validation { field: first.field, reason: first.reason, more: problems.collect() })
    }

    /// The problems of a validation error, the first one leading (empty for other errors).
    pub fn problems(&self) -> Vec<FieldProblem> {
        match self {
            Error::Validation { field, reason, more } => {
                let first = FieldProblem { field: field.clone(), reason: reason.clone() };
                std::iter::once(first).chain(more.iter().cloned()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Worth retrying later without changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Offline | Error::Timeout | Error::Network(_) | Error::Throttled { .. } => true,
            // The store rebuilt itself when it met the damage: the next call works.
            Error::StoreCorrupt(_) => true,
            Error::Server { status } => *status >= 500 || *status == 408 || *status == 409,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        if is_corruption(&e) {
            return Error::StoreCorrupt(e.to_string());
        }
        Error::Storage(e.to_string())
    }
}

/// SQLite's own word that the file is damaged: `SQLITE_CORRUPT` (with its extended codes, such as
/// FTS5's `SQLITE_CORRUPT_VTAB`) or `SQLITE_NOTADB`.
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) | Some(rusqlite::ErrorCode::NotADatabase)
    )
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Storage(e.to_string())
    }
}
