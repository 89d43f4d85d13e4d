//! JSON bodies of the HTTP API, shared by the server and the client. Hashes are lowercase hex.

use serde::{Deserialize, Serialize};

/// `POST /add-entry` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddEntryRequest {
    /// The entry (a seal root, or a small blob), hex.
    pub entry_hex: String,
}

/// `POST /add-entry` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddEntryResponse {
    /// Leaf index.
    pub index: u64,
    /// RFC 9162 leaf hash of the entry.
    pub leaf_hash: String,
    /// When the log sequenced the entry, ms since the Unix epoch (UTC).
    pub timestamp_ms: u64,
    /// The entry was already logged; index and time are the first submission's.
    pub duplicate: bool,
    /// Signed entry timestamp: base64 Ed25519 signature by the log key over
    /// [`crate::receipt::set_message`].
    pub set: String,
    /// A signed checkpoint (C2SP note) whose tree includes the entry.
    pub checkpoint: String,
    /// Audit path of the leaf in that checkpoint's tree, leaf to root.
    pub inclusion_proof: Vec<String>,
}

/// `GET /proof/inclusion` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionResponse {
    /// Leaf index.
    pub index: u64,
    /// Tree size the path is for.
    pub tree_size: u64,
    /// Leaf hash.
    pub leaf_hash: String,
    /// Audit path, leaf to root.
    pub proof: Vec<String>,
}

/// `GET /proof/consistency` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyResponse {
    /// Older size.
    pub old_size: u64,
    /// Newer size.
    pub new_size: u64,
    /// RFC 9162 consistency proof.
    pub proof: Vec<String>,
}

/// `GET /entry/{index}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResponse {
    /// Leaf index.
    pub index: u64,
    /// The entry, hex.
    pub entry_hex: String,
    /// Leaf hash.
    pub leaf_hash: String,
    /// When the log sequenced it (ms since the epoch).
    pub timestamp_ms: u64,
}

/// Error body of every 4xx/5xx answer from this server's handlers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}
