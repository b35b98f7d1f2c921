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
    /// Input the caller gave is not acceptable; `field` names it.
    #[error("invalid {field}: {reason}")]
    Validation { field: String, reason: String },
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
}

impl Error {
    pub fn validation(field: &str, reason: impl Into<String>) -> Self {
        Error::Validation { field: field.to_owned(), reason: reason.into() }
    }

    /// Worth retrying later without changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Offline | Error::Timeout | Error::Network(_) | Error::Throttled { .. } => true,
            Error::Server { status } => *status >= 500 || *status == 408 || *status == 409,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Storage(e.to_string())
    }
}
