//! A page-level SQLite reader for forensics: live rows, and deleted rows recovered from free
//! space, old page versions, the WAL and the rollback journal.
//!
//! # Why by hand
//!
//! The SQLite library reads only what is live: freeblocks, the unallocated gap of each page,
//! freelist pages, WAL frames after the last commit or from an older generation, and the
//! page images in a committed journal are all invisible to it. That is exactly where deleted
//! chat messages are. This crate therefore reads the file format itself, through one
//! bounds-checked [`reader::Reader`], with positioned page reads (a multi-gigabyte image is
//! never read whole) and no `unsafe`.
//!
//! # Brief overview
//!
//! * [`recover`]: the whole job for one database (+ WAL, + journal) → [`Recovery`]: live
//!   [`TableSummary`]s and [`RecoveredRow`]s with table, values, missing columns, source, page,
//!   offset and confidence.
//! * [`read`]: the parsers ([`read::header`], [`read::btree`], [`read::record`],
//!   [`read::freelist`], [`read::wal`], [`read::journal`]) and the [`read::pager::Pager`].
//! * [`carve`]: record carving against the schema ([`schema`]).
//! * [`format`]: constants from SQLite's file-format document; [`Error`]: what went wrong
//!   and where.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("chat.db");
//! let c = rusqlite::Connection::open(&path)?;
//! c.execute_batch(
//!     "CREATE TABLE message(id INTEGER PRIMARY KEY, talker TEXT, content TEXT);
//!      INSERT INTO message(talker, content) VALUES ('wxid_a', 'transfer 5000 to the safe account');
//!      INSERT INTO message(talker, content) VALUES ('wxid_a', 'hello');
//!      DELETE FROM message WHERE id = 1;",
//! )?;
//! drop(c);
//! let r = cunzheng_sqlite::recover(&path, None, None)?;
//! assert_eq!(r.tables[0].live_rows, 1);
//! assert!(r.rows.iter().any(|row| row.values[2] == "transfer 5000 to the safe account"));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod carve;
pub mod cipher;
pub mod error;
pub mod format;
pub mod read;
pub mod reader;
mod recover;
pub mod schema;
mod spill;

pub use carve::Source;
pub use error::{Error, Location, Result};
pub use recover::{
    Inputs, RecoveredRow, Recovery, TableSummary, recover, recover_each, recover_files,
};

/// Entry points for fuzzing and tests; not a stable API.
#[doc(hidden)]
pub mod internal {
    /// Fuzz targets (see `fuzz/fuzz_targets/`).
    pub mod fuzzing {
        use crate::carve::{Carver, Source, Target};
        use crate::read::header::TextEncoding;
        use crate::read::pager::EvidenceFile;
        use crate::read::record::{decode_record, parse_header};
        use crate::schema::{Affinity, Column};

        /// Whole recovery over arbitrary bytes as the database; the tail of a long input is
        /// also tried as its WAL and as its journal.
        pub fn sqlite_pages(data: &[u8]) {
            let db = EvidenceFile::from_bytes(data.to_vec(), "fuzz.db");
            let _ = crate::recover_files(db, None, None);
            if data.len() > 1024 {
                let (a, b) = data.split_at(data.len() / 2);
                let db = EvidenceFile::from_bytes(a.to_vec(), "fuzz.db");
                let wal = EvidenceFile::from_bytes(b.to_vec(), "fuzz.db-wal");
                let j = EvidenceFile::from_bytes(b.to_vec(), "fuzz.db-journal");
                let _ = crate::recover_files(db, Some(wal), Some(j));
            }
        }

        /// Page decryption of arbitrary bytes under every parameter set (fixed keys: the
        /// work is in the page layout, not the KDF).
        pub fn sqlite_cipher_page(data: &[u8]) {
            let (enc, mac) = ([7u8; 32], [9u8; 32]);
            for p in crate::cipher::PARAMS {
                let mut out = vec![0u8; data.len()];
                for pgno in [1, 2] {
                    let _ = crate::cipher::decrypt_page(p, &enc, &mac, pgno, data, &mut out);
                }
            }
        }

        /// Decryption of arbitrary bytes as the write-ahead log of an encrypted database.
        pub fn sqlite_cipher_wal(data: &[u8]) {
            crate::cipher::fuzz_wal(data);
        }

        /// Record decoding and carving of arbitrary bytes as one page.
        pub fn sqlite_record(data: &[u8]) {
            let _ = parse_header(data, 64);
            let _ = decode_record(
                data,
                TextEncoding::Utf8,
                64,
                crate::Location::File { offset: 0 },
            );
            let col = |name: &str, affinity, rowid_alias| Column {
                name: name.into(),
                declared: String::new(),
                affinity,
                rowid_alias,
            };
            let targets = vec![
                Target {
                    name: "message".into(),
                    columns: vec![
                        col("id", Affinity::Integer, true),
                        col("talker", Affinity::Text, false),
                        col("content", Affinity::Text, false),
                        col("time", Affinity::Integer, false),
                    ],
                },
                Target {
                    name: "kv".into(),
                    columns: vec![
                        col("k", Affinity::Blob, false),
                        col("v", Affinity::Real, false),
                    ],
                },
            ];
            for enc in [TextEncoding::Utf8, TextEncoding::Utf16le] {
                let carver = Carver::new(&targets, enc, 512, None);
                let mut out = Vec::new();
                let blocks: Vec<(usize, usize)> = if data.len() > 8 {
                    vec![(4, data.len() / 2)]
                } else {
                    vec![]
                };
                carver.carve(
                    data,
                    2,
                    0,
                    data.len(),
                    &blocks,
                    Some(0),
                    Source::Freeblock,
                    &mut out,
                );
                for f in &out {
                    assert!(f.confidence >= 0.0 && f.confidence <= 1.0);
                    assert_eq!(f.values.len(), targets[f.table].columns.len());
                }
            }
        }
    }
}

#[cfg(test)]
mod fuzz_regressions {
    #[test]
    fn fuzz_regressions_replay() {
        cunzheng_testkit::replay_all(&[
            ("sqlite_pages", crate::internal::fuzzing::sqlite_pages),
            (
                "sqlite_cipher_page",
                crate::internal::fuzzing::sqlite_cipher_page,
            ),
            ("sqlite_record", crate::internal::fuzzing::sqlite_record),
            (
                "sqlite_cipher_wal",
                crate::internal::fuzzing::sqlite_cipher_wal,
            ),
        ]);
    }
}
