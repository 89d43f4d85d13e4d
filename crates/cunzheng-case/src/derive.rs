//! Derived files: what later stages compute from the preserved originals (parsed messages
//! today), sealed beside them so that a report can cite them and anyone can recompute them.
//!
//! The case crate does not know chat formats: a [`Deriver`] is handed in by the caller. A
//! derived file must be a pure function of the original's bytes, the tool version and the
//! settings, so that running it twice gives byte-identical output.

use cunzheng_model::{EvidenceItem, ItemSource};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bag folder of message files derived from originals.
pub const MESSAGES_DIR: &str = "data/derived/messages";

/// Computes derived files for preserved originals.
pub trait Deriver: Sync {
    /// The settings that change the output (recorded in the custody log).
    fn settings(&self) -> serde_json::Value;
    /// Writes the derived output for one original at `path` (read-only) to `out` (streamed,
    /// so large exports are never held in memory) and returns a summary of what produced it
    /// and counts (e.g. `{"parser": "whatsapp-txt 1", "messages": 12}`); `None` when nothing
    /// applies (whatever was written is then discarded).
    ///
    /// `companions` are other exhibits read with this one (a database's write-ahead log and
    /// rollback journal); the output then depends on their bytes too, and the summary should
    /// name them.
    fn derive(
        &self,
        item: &EvidenceItem,
        path: &Path,
        companions: &[Companion],
        out: &mut dyn std::io::Write,
    ) -> Option<serde_json::Value>;
}

/// An exhibit read together with another: a database's write-ahead log (`NAME-wal`) or
/// rollback journal (`NAME-journal`), preserved from the same folder or archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    /// `wal` or `journal`.
    pub role: &'static str,
    /// Its exhibit number.
    pub item: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// Where its bytes are (read-only).
    pub path: PathBuf,
}

/// Where an exhibit came from: the archive it was in (if any) and its path there or on disk.
fn origin(item: &EvidenceItem) -> (Option<u64>, &str) {
    match &item.source {
        ItemSource::File { path, .. } => (None, path),
        ItemSource::ArchiveEntry { archive, name, .. } => (Some(*archive), name),
    }
}

/// For each exhibit of `items` that has them, its companions among `items`: `X-wal` and
/// `X-journal` from the same folder or archive as `X`. `bytes` says where an exhibit's bytes
/// are.
pub fn companions(
    items: &[EvidenceItem],
    bytes: impl Fn(&EvidenceItem) -> PathBuf,
) -> std::collections::HashMap<u64, Vec<Companion>> {
    let by_origin: std::collections::HashMap<(Option<u64>, &str), &EvidenceItem> =
        items.iter().map(|i| (origin(i), i)).collect();
    let mut out = std::collections::HashMap::new();
    for item in items {
        let (archive, name) = origin(item);
        let found: Vec<Companion> = [("wal", "-wal"), ("journal", "-journal")]
            .into_iter()
            .filter_map(|(role, suffix)| {
                let wanted = format!("{name}{suffix}");
                let c = *by_origin.get(&(archive, wanted.as_str()))?;
                Some(Companion {
                    role,
                    item: c.number,
                    sha256: c.digests.sha256.clone(),
                    path: bytes(c),
                })
            })
            .collect();
        if !found.is_empty() {
            out.insert(item.number, found);
        }
    }
    out
}

/// A derived file staged or sealed, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedRecord {
    /// Exhibit number of the original it was derived from.
    pub item: u64,
    /// SHA-256 of that original.
    pub item_sha256: String,
    /// Bag-relative path of the derived file.
    pub path: String,
    /// SHA-256 of the derived file.
    pub sha256: String,
    /// SM3 of the derived file.
    pub sm3: String,
    /// Size in bytes.
    pub size: u64,
    /// What produced it and counts.
    pub summary: serde_json::Value,
}

/// Bag path of the messages derived from an original.
pub fn messages_rel(item_sha256: &str) -> String {
    format!("{MESSAGES_DIR}/{item_sha256}.jsonl")
}

/// A deriver that derives nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDeriver;

impl Deriver for NoDeriver {
    fn settings(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn derive(
        &self,
        _: &EvidenceItem,
        _: &Path,
        _: &[Companion],
        _: &mut dyn std::io::Write,
    ) -> Option<serde_json::Value> {
        None
    }
}
