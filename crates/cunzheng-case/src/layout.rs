//! Where things live in a case folder. The case folder is a BagIt bag; `.cunzheng/` beside the
//! bag's files holds only derived or not-yet-sealed state (staging, the seal journal, the index)
//! and is never trusted by `verify`.

use std::path::{Path, PathBuf};

/// Version of this on-disk layout, recorded in `cunzheng/case.json`.
pub const LAYOUT_VERSION: u32 = 1;

/// `bagit.txt`.
pub const BAGIT: &str = "bagit.txt";
/// `bag-info.txt`.
pub const BAG_INFO: &str = "bag-info.txt";
/// The SHA-256 payload manifest.
pub const MANIFEST_SHA256: &str = "manifest-sha256.txt";
/// The SM3 payload manifest.
pub const MANIFEST_SM3: &str = "manifest-sm3.txt";
/// The SHA-256 tag manifest.
pub const TAGMANIFEST_SHA256: &str = "tagmanifest-sha256.txt";
/// The SM3 tag manifest.
pub const TAGMANIFEST_SM3: &str = "tagmanifest-sm3.txt";
/// Case metadata (tag file).
pub const CASE_JSON: &str = "cunzheng/case.json";
/// The custody log (tag file).
pub const CUSTODY: &str = "cunzheng/custody.jsonl";
/// Folder of examiners' public keys (tag files).
pub const KEYS_DIR: &str = "cunzheng/keys";
/// Folder of seal versions (tag files).
pub const SEALS_DIR: &str = "cunzheng/seals";
/// Payload folder of preserved originals, content-addressed by SHA-256.
pub const ORIGINALS_DIR: &str = "data/originals";
/// Payload folder of acquisition records (one JSON-lines file per `add`).
pub const ACQUISITIONS_DIR: &str = "data/acquisitions";
/// Working folder: not part of the bag.
pub const WORK_DIR: &str = ".cunzheng";
/// Rendered reports (PDF, HTML, drafts): beside the bag, never sealed, because a report cites
/// the seal's Merkle root and so cannot be inside what that seal covers.
pub const REPORTS_DIR: &str = "reports";

/// Paths inside one case folder.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the case at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The case folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// An absolute path for a bag-relative one.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Bag-relative path of a stored original.
    pub fn original_rel(sha256: &str) -> String {
        format!(
            "{ORIGINALS_DIR}/{}/{sha256}",
            &sha256[..2.min(sha256.len())]
        )
    }

    /// Bag-relative path of an acquisition record.
    pub fn acquisition_rel(number: u32) -> String {
        format!("{ACQUISITIONS_DIR}/{number:04}.jsonl")
    }

    /// Bag-relative folder of one seal version.
    pub fn seal_rel(version: u32) -> String {
        format!("{SEALS_DIR}/{version:04}")
    }

    /// Bag-relative path of a public key file.
    pub fn key_rel(fingerprint: &str) -> String {
        let hex = fingerprint.rsplit(':').next().unwrap_or(fingerprint);
        format!("{KEYS_DIR}/{hex}.pem")
    }

    /// The working folder.
    pub fn work(&self) -> PathBuf {
        self.root.join(WORK_DIR)
    }

    /// Staging folder of `add` runs not yet sealed.
    pub fn staging(&self) -> PathBuf {
        self.work().join("staging")
    }

    /// Staged originals, by SHA-256, in folders named like those of the bag (see
    /// [`Layout::staged_object`]).
    pub fn staged_objects(&self) -> PathBuf {
        self.staging().join("objects")
    }

    /// Where the staged original with this SHA-256 is: `objects/<first two hex digits>/<sha>`,
    /// as in the bag, so that seal can move a whole folder into a case that has none by that
    /// name yet.
    pub fn staged_object(&self, sha256: &str) -> PathBuf {
        self.staged_objects()
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// The journal of a seal in progress.
    pub fn journal(&self) -> PathBuf {
        self.work().join("sealing.json")
    }

    /// The folder of rendered reports.
    pub fn reports(&self) -> PathBuf {
        self.root.join(REPORTS_DIR)
    }

    /// The derived SQLite index.
    pub fn index(&self) -> PathBuf {
        self.work().join("index.sqlite")
    }
}
