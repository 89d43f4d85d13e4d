//! A standalone inclusion proof for one exhibit: enough to show that one file was part of a
//! signed seal without handing over the rest of the case.

use crate::bagit::entry_line;
use crate::hash::sha256_hex;
use crate::keys::PublicKey;
use crate::merkle::{self, Hash};
use crate::statement::SealStatement;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// The `format` value of proofs written by this version.
pub const PROOF_FORMAT: &str = "cunzheng-inclusion-proof/1";

/// An inclusion proof document (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// Bag-relative path of the file.
    pub path: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// SM3 of the file, hex (from the SM3 manifest; informative, not part of the tree).
    pub sm3: String,
    /// Position of the file's manifest line among the sorted lines.
    pub leaf_index: u64,
    /// Number of lines (leaves).
    pub tree_size: u64,
    /// RFC 9162 audit path, hex, leaf to root.
    pub audit_path: Vec<String>,
    /// The signed seal statement text.
    pub statement: String,
    /// Ed25519 signature over `statement`, base64.
    pub signature: String,
    /// The examiner's public key, SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// Exhibit records that point at this file (informative).
    #[serde(default)]
    pub exhibits: Vec<serde_json::Value>,
}

/// Why a proof does not hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofCheckError {
    /// The document is not a proof of a known format.
    #[error("not a cunzheng inclusion proof: {0}")]
    Format(String),
    /// The statement text does not parse.
    #[error(transparent)]
    Statement(#[from] crate::statement::StatementError),
    /// The key or signature is bad.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// The key is not the one the statement names.
    #[error("the public key's fingerprint {got} is not the statement's key {want}")]
    WrongKey {
        /// Fingerprint the statement names.
        want: String,
        /// Fingerprint of the key in the proof.
        got: String,
    },
    /// The audit path does not lead to the signed root.
    #[error("audit path does not lead to the signed Merkle root: {0}")]
    Path(#[from] merkle::ProofError),
    /// The tree size in the proof differs from the signed one.
    #[error("tree size {got} differs from the signed tree size {want}")]
    TreeSize {
        /// Signed size.
        want: u64,
        /// Size in the proof.
        got: u64,
    },
    /// The file given does not have the proven hash.
    #[error("the file's SHA-256 is {got}, the proof is for {want}")]
    FileMismatch {
        /// Proven hash.
        want: String,
        /// Hash of the file given.
        got: String,
    },
}

/// What a successful check established.
#[derive(Debug, Clone, Serialize)]
pub struct ProofOutcome {
    /// The proven file path and SHA-256.
    pub path: String,
    /// SHA-256 proven.
    pub sha256: String,
    /// Case and seal version.
    pub case_id: String,
    /// Seal version.
    pub seal_version: u32,
    /// Seal time and examiner as signed.
    pub sealed_at: String,
    /// Examiner as signed.
    pub examiner: String,
    /// Key fingerprint that signed.
    pub key: String,
    /// Merkle root.
    pub merkle_root: String,
    /// Whether a file was given and matched.
    pub file_checked: bool,
}

impl InclusionProof {
    /// Checks the proof on its own: the leaf line from path and hash, the audit path to the
    /// root, the root and size against the signed statement, the signature, and, when
    /// `file` is given, the file's SHA-256.
    pub fn check(&self, file: Option<&[u8]>) -> Result<ProofOutcome, ProofCheckError> {
        if self.format != PROOF_FORMAT {
            return Err(ProofCheckError::Format(format!(
                "format is `{}`, expected `{PROOF_FORMAT}`",
                self.format
            )));
        }
        let statement = SealStatement::parse(self.statement.as_bytes())?;
        let key = PublicKey::from_pem(&self.public_key_pem)?;
        if key.fingerprint() != statement.key {
            return Err(ProofCheckError::WrongKey {
                want: statement.key,
                got: key.fingerprint(),
            });
        }
        let sig = B64
            .decode(self.signature.trim())
            .map_err(|_| ProofCheckError::Format("signature is not base64".into()))?;
        key.verify(self.statement.as_bytes(), &sig)?;
        if self.tree_size != statement.tree_size {
            return Err(ProofCheckError::TreeSize {
                want: statement.tree_size,
                got: self.tree_size,
            });
        }
        let root = merkle::hash_from_hex(&statement.merkle_root)
            .ok_or_else(|| ProofCheckError::Format("bad Merkle root".into()))?;
        let path: Vec<Hash> = self
            .audit_path
            .iter()
            .map(|h| merkle::hash_from_hex(h))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ProofCheckError::Format("audit path element is not 32 bytes of hex".into())
            })?;
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ProofCheckError::Format(
                "sha256 is not 64 hex digits".into(),
            ));
        }
        let leaf = merkle::leaf_hash(entry_line(&self.sha256, &self.path).as_bytes());
        merkle::verify_inclusion(&leaf, self.leaf_index, self.tree_size, &path, &root)?;
        if let Some(bytes) = file {
            let got = sha256_hex(bytes);
            if got != self.sha256 {
                return Err(ProofCheckError::FileMismatch {
                    want: self.sha256.clone(),
                    got,
                });
            }
        }
        Ok(ProofOutcome {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            case_id: statement.case_id,
            seal_version: statement.version,
            sealed_at: statement.sealed_at,
            examiner: statement.examiner,
            key: statement.key,
            merkle_root: statement.merkle_root,
            file_checked: file.is_some(),
        })
    }
}
