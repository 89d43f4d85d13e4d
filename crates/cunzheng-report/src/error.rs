//! Errors of report generation.

use std::path::PathBuf;

/// Making a report failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The case could not be read.
    #[error("reading the case: {0}")]
    Case(#[from] cunzheng_case::error::CaseError),
    /// A file of the case could not be read or an output could not be written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A case file is malformed.
    #[error("{path}: {reason}")]
    Malformed {
        /// Bag-relative path (with `:line` when known).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Typst could not lay out or export the report.
    #[error("typesetting the PDF failed: {0}")]
    Typeset(String),
    /// Building the report's data failed.
    #[error("encoding the report data: {0}")]
    Encode(#[from] serde_json::Error),
}

impl ReportError {
    /// An I/O error with its path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Shorthand used in this crate.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
