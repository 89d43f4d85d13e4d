//! Errors, each carrying where in the file it happened.

use std::fmt;
use std::path::PathBuf;

/// Where in the evidence a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Absolute byte offset in a file (database, WAL or journal).
    File {
        /// Byte offset from the start of the file.
        offset: u64,
    },
    /// Byte offset inside a database page.
    Page {
        /// Page number (1-based).
        page: u32,
        /// Byte offset from the start of the page.
        offset: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { offset } => write!(f, "byte {offset}"),
            Location::Page { page, offset } => write!(f, "page {page} offset {offset}"),
        }
    }
}

/// Everything that can go wrong reading a database, WAL or journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Fewer bytes than a structure needs.
    #[error("{what} truncated at {at}: need {need} bytes, {have} left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where.
        at: Location,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// The file does not start with the SQLite magic (it may be encrypted).
    #[error("not a plain SQLite database (no magic at byte 0; encrypted or another format)")]
    NotSqlite,
    /// The header's page size is not a power of two in 512..=65536, or the usable size is too small.
    #[error("bad page size {page_size} (reserved {reserved}) in header at byte 16")]
    BadPageSize {
        /// The declared page size.
        page_size: u32,
        /// The declared reserved bytes per page.
        reserved: u8,
    },
    /// A page number outside the database.
    #[error("page {page} is outside the database (1..={page_count}), referenced at {at}")]
    PageOutOfRange {
        /// The page number.
        page: u32,
        /// Pages in the database.
        page_count: u32,
        /// Where it was referenced.
        at: Location,
    },
    /// A b-tree page with an unknown type byte.
    #[error("page {page}: not a b-tree page (type byte {kind:#04x})")]
    NotBtreePage {
        /// The page.
        page: u32,
        /// The type byte found.
        kind: u8,
    },
    /// A structural value that cannot be right.
    #[error("{what} at {at}: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Where.
        at: Location,
        /// What is wrong.
        detail: String,
    },
    /// A chain of pages (overflow, freelist, b-tree) visits a page twice or is too long.
    #[error("{what} loops or is too long at page {page} (after {steps} steps)")]
    Cycle {
        /// The chain.
        what: &'static str,
        /// The page seen twice, or where the cap was hit.
        page: u32,
        /// Pages visited before.
        steps: usize,
    },
    /// A WAL file header that is not a WAL header.
    #[error("WAL: {detail}")]
    BadWal {
        /// What is wrong.
        detail: String,
    },
    /// A rollback journal that cannot be read.
    #[error("journal: {detail}")]
    BadJournal {
        /// What is wrong.
        detail: String,
    },
    /// An encrypted database that the key and parameter set do not open.
    #[error("{path}: {detail}")]
    WrongKey {
        /// The database.
        path: PathBuf,
        /// What did not match (page 1 HMAC, or the header after decryption), per set tried.
        detail: String,
    },
    /// A page image of an encrypted database (a WAL frame or journal record) that does not
    /// decrypt with the database's key.
    #[error("page {page} image at {at}: {detail}")]
    Decrypt {
        /// The page the image is of.
        page: u32,
        /// Where the image is.
        at: Location,
        /// Why.
        detail: &'static str,
    },
    /// A key given in a form that cannot be used.
    #[error("key: {detail}")]
    BadKey {
        /// What is wrong.
        detail: String,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
