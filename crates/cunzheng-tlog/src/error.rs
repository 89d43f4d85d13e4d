//! The crate's error type.

use crate::note::NoteError;
use std::path::PathBuf;

/// What went wrong in the log, its store, the witness or the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A SQLite call failed; `what` names the operation.
    #[error("log database: {what}: {source}")]
    Sqlite {
        /// The operation.
        what: &'static str,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The database holds something this version cannot have written.
    #[error("log database {path} is inconsistent: {reason}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What does not add up.
        reason: String,
    },
    /// The database belongs to another log (origin or key differ).
    #[error("log database {path} belongs to `{found}`, not `{wanted}`")]
    WrongLog {
        /// The database file.
        path: PathBuf,
        /// What it holds.
        found: String,
        /// What was configured.
        wanted: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key file is not an Ed25519 PKCS#8 PEM key.
    #[error("key file {path} is not an Ed25519 PKCS#8 PEM private key")]
    BadKeyFile {
        /// The file.
        path: PathBuf,
    },
    /// A note or checkpoint is malformed or badly signed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The request asks for something impossible (bad size, entry too large, …).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The requested leaf or size is not in the log.
    #[error("not found: {0}")]
    NotFound(String),
    /// The log is shutting down or its writer stopped.
    #[error("the log writer is not running")]
    Stopped,
    /// An HTTP exchange failed (transport, status or body).
    #[error("HTTP {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Sqlite { what, source }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
