//! The cunzheng data model.
//!
//! # Brief overview
//!
//! Every stage of cunzheng reads what the stage before it wrote, and these are the records
//! they exchange:
//!
//! * [`EvidenceItem`]: one original as it was acquired: where it was observed ([`ItemSource`]),
//!   what the file system said about it ([`ObservedMeta`], observed, not trusted), its hashes and
//!   where its bytes are stored in the case.
//! * [`Skipped`]: something found during acquisition that was not preserved as bytes (a link, a
//!   special file, an unreadable file, a zip entry refused as unsafe), with the reason.
//! * [`CustodyEvent`]: one action on the case, as written to the hash-chained custody log.
//! * [`Message`] in a [`Conversation`]: what chat sources are parsed into, each with its
//!   [`MsgTime`] as the source wrote it and its [`Provenance`]; [`Unparsed`] for what could not
//!   be read.
//!
//! All records serialise to JSON with a fixed field order so that the same inputs give the same
//! bytes.
//!
//! ```
//! use cunzheng_model::{Digests, EvidenceItem, ItemSource, ObservedMeta};
//! let item = EvidenceItem {
//!     number: 1,
//!     digests: Digests { sha256: "ab".repeat(32), sm3: "cd".repeat(32) },
//!     size: 3,
//!     stored_as: "data/originals/ab/abab".into(),
//!     source: ItemSource::File { argument: "chat.txt".into(), path: "chat.txt".into() },
//!     observed: ObservedMeta::default(),
//!     first_seen_as: None,
//! };
//! let json = serde_json::to_string(&item).unwrap();
//! assert!(json.starts_with("{\"number\":1,"));
//! ```
#![deny(missing_docs)]

pub mod message;

pub use message::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Money, MsgTime,
    ParseReport, Party, Platform, Provenance, Unparsed,
};
use serde::{Deserialize, Serialize};

/// The two content hashes every original carries, as lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Digests {
    /// SHA-256 (FIPS 180-4).
    pub sha256: String,
    /// SM3 (GB/T 32905-2016).
    pub sm3: String,
}

/// One preserved original.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// Exhibit number inside the case, starting at 1, never reused.
    pub number: u64,
    /// Content hashes of the bytes as acquired.
    pub digests: Digests,
    /// Size in bytes.
    pub size: u64,
    /// Bag-relative path of the stored bytes (content-addressed, shared by duplicates).
    pub stored_as: String,
    /// Where the bytes were found.
    pub source: ItemSource,
    /// What the file system or archive said about the original when it was read.
    pub observed: ObservedMeta,
    /// When these bytes were already preserved under an earlier exhibit number, that number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_as: Option<u64>,
}

/// Where an original was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemSource {
    /// A file on the examiner's machine (or a mounted device).
    File {
        /// The path argument given on the command line that led to this file.
        argument: String,
        /// The file's path: the argument itself, or argument + path below it for folders.
        path: String,
    },
    /// An entry inside an archive that is itself an evidence item.
    ArchiveEntry {
        /// Exhibit number of the archive.
        archive: u64,
        /// SHA-256 of the archive.
        archive_sha256: String,
        /// Index of the entry in the archive's central directory.
        index: u64,
        /// The entry name as stored, decoded (UTF-8, or GB18030 when the bytes are not
        /// UTF-8). It may be unsafe (`../x`, `/etc/x`): it is never used as a path.
        name: String,
        /// The raw name bytes in hex when they were not UTF-8 (so the decoding can be checked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_raw_hex: Option<String>,
    },
}

/// File metadata as observed at acquisition. Recorded, never trusted: any of it can be forged.
/// Access time is not recorded: reading the file to preserve it changes it, so two acquisitions
/// of the same file would disagree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedMeta {
    /// Last modification time, RFC 3339 UTC with nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Inode change time, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<String>,
    /// Birth time where the file system reports one, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Unix permission bits, octal text (e.g. "644").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// For archive entries: the modification time stored in the archive, as written there
    /// (zip stores local wall time without a zone, so no UTC instant is claimed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_time: Option<String>,
    /// For archive entries: the compressed size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    /// For archive entries: the compression method name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// For archive entries: the CRC-32 stored in the archive, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
}

/// Something found while acquiring that was not preserved as bytes, and why; or (as a notice)
/// something about a preserved item that a reader must know, such as an unsafe archive name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Where it was found (a path, or `archive#N:name` for archive entries).
    pub location: String,
    /// What it was: `symlink`, `fifo`, `socket`, `block_device`, `char_device`, `unreadable`,
    /// `unsafe_name`, `too_large`, `encrypted`, `unsupported`, `corrupt`, `missing`.
    pub what: String,
    /// Why it was not preserved, in words for a person.
    pub reason: String,
    /// For links: the target as stored (never followed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
}

/// One action on a case, as it stands in the custody log.
///
/// The log is JSON lines. Each line is one event serialised in this field order, and its
/// signatures are the last fields, so the signed bytes are the line with `,"sig_sm2":"…"`
/// (when present) and `,"sig":"…"` removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyEvent {
    /// Position in the log, starting at 1.
    pub seq: u64,
    /// SHA-256 (hex) of the previous line's bytes, without its newline; 64 zeros for the first.
    pub prev: String,
    /// UTC time of the action, RFC 3339.
    pub time_utc: String,
    /// The examiner's local UTC offset at that time, e.g. `+08:00`.
    pub local_offset: String,
    /// Who acted: the examiner's name as given.
    pub actor: String,
    /// Fingerprint of the key that signed this event (see the seal crate).
    pub key: String,
    /// Fingerprint of the examiner's SM2 key when the event is also SM2-signed (absent in
    /// events made before SM2 signatures existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sm2: Option<String>,
    /// What was done, e.g. `case.create`, `ingest`, `ingest.skip`, `seal`.
    pub action: String,
    /// Tool name and version, e.g. `cunzheng 0.1.0`.
    pub tool: String,
    /// Host name of the examiner's machine.
    pub host: String,
    /// What went in: paths as given, or hashes.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// What came out: bag-relative paths with their SHA-256.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Anything else worth recording, as JSON (object keys sorted).
    #[serde(default)]
    pub details: serde_json::Value,
    /// Base64 DER SM2 signature (SM3, distid 1234567812345678) over the same bytes as `sig`:
    /// the line without this field and `sig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_sm2: Option<String>,
    /// Base64 Ed25519 signature over the line without this field (and without `sig_sm2`).
    pub sig: String,
}
