//! Derived files: what later stages compute from the preserved originals (parsed messages
//! today), sealed beside them so that a report can cite them and anyone can recompute them.
//!
//! The case crate does not know chat formats: a [`Deriver`] is handed in by the caller. A
//! derived file must be a pure function of the original's bytes, the tool version and the
//! settings, so that running it twice gives byte-identical output.

use cunzheng_model::EvidenceItem;
use serde::{Deserialize, Serialize};
use std::path::Path;

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
    fn derive(
        &self,
        item: &EvidenceItem,
        path: &Path,
        out: &mut dyn std::io::Write,
    ) -> Option<serde_json::Value>;
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
        _: &mut dyn std::io::Write,
    ) -> Option<serde_json::Value> {
        None
    }
}
