//! Errors of case operations.

use std::path::PathBuf;

/// A case operation failed. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "writing", …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The folder is not a cunzheng case.
    #[error("{path} is not a cunzheng case ({reason})")]
    NotACase {
        /// The folder.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// `case new` was pointed at a folder that already holds something.
    #[error("{path} already exists and is not empty; choose a new folder for the case")]
    NotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// An input path given on the command line does not exist or cannot be read at all.
    #[error("input {path}: {reason}")]
    Input {
        /// The path as given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A file in the case is malformed (the case may have been tampered with).
    #[error("{path}: {reason}")]
    Malformed {
        /// Bag-relative path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The requested file is not in the sealed payload.
    #[error("{0} is not in the sealed payload of this case")]
    NotSealed(String),
    /// The index database failed.
    #[error("index: {0}")]
    Index(#[from] rusqlite::Error),
}

impl CaseError {
    /// An I/O error with its path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Whether the cause is a full disk (or an exceeded file-size limit).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Self::Io { source, .. } if matches!(source.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge | std::io::ErrorKind::QuotaExceeded))
    }
}

/// Shorthand used in this crate.
pub type Result<T, E = CaseError> = std::result::Result<T, E>;
