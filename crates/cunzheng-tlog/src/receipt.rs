//! What a case keeps from a log submission, and its offline checks.
//!
//! A [`Receipt`] (JSON) holds the entry, its index, the signed entry timestamp (SET), a signed
//! checkpoint and the audit path into that checkpoint's tree. [`Receipt::verify`] needs only
//! the log's public key; [`verify_consistency`] checks a later checkpoint against it and, when
//! they disagree, returns both raw checkpoints as evidence of a forked log.

use crate::api::AddEntryResponse;
use crate::checkpoint::SignedCheckpoint;
use crate::note::{NoteError, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_seal::merkle::{self, Hash, ProofError};
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};

/// The `format` value of receipts written by this version.
pub const RECEIPT_FORMAT: &str = "cunzheng-tlog-receipt/1";

/// Proof that a log accepted an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// Where it was submitted (informative).
    pub log_url: String,
    /// The log's verifier key as the log served it (informative: trust a key you got
    /// elsewhere, see [`Receipt::verify`]).
    pub log_key: String,
    /// The entry, hex (for a seal, its Merkle root).
    pub entry_hex: String,
    /// Leaf index.
    pub index: u64,
    /// RFC 9162 leaf hash of the entry, hex.
    pub leaf_hash: String,
    /// When the log sequenced the entry, ms since the Unix epoch (UTC).
    pub timestamp_ms: u64,
    /// Signed entry timestamp, base64 Ed25519 over [`set_message`].
    pub set: String,
    /// The signed checkpoint (C2SP note) the proof is against.
    pub checkpoint: String,
    /// Audit path, hex, leaf to root.
    pub inclusion_proof: Vec<String>,
}

/// Why a receipt or a pair of checkpoints does not hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The receipt is not of a known format or a field is malformed.
    #[error("receipt: {0}")]
    Format(String),
    /// The entry given is not the one in the receipt.
    #[error("the receipt is for entry {receipt}, not {given}")]
    EntryMismatch {
        /// Hex in the receipt.
        receipt: String,
        /// Hex given.
        given: String,
    },
    /// The checkpoint is malformed or not signed by the log key.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] NoteError),
    /// The signed entry timestamp does not verify.
    #[error("the signed entry timestamp does not verify under the log key")]
    BadSet,
    /// The audit path does not lead to the checkpoint's root.
    #[error("inclusion proof: {0}")]
    Inclusion(#[source] ProofError),
    /// Two checkpoints of the same log are not consistent: evidence of a fork.
    #[error("checkpoints are inconsistent ({reason}); both are kept as evidence")]
    Inconsistent {
        /// Why.
        reason: String,
        /// The older checkpoint, as given.
        old: String,
        /// The newer checkpoint, as given.
        new: String,
    },
}

/// What a verified receipt establishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedReceipt {
    /// The log's origin.
    pub origin: String,
    /// Leaf index.
    pub index: u64,
    /// When the log says it sequenced the entry (ms since the epoch).
    pub timestamp_ms: u64,
    /// Size of the checkpoint tree that includes it.
    pub tree_size: u64,
    /// That tree's root, hex.
    pub root: String,
}

fn hashes(v: &[String], what: &str) -> Result<Vec<Hash>, ReceiptError> {
    v.iter()
        .map(|h| merkle::hash_from_hex(h))
        .collect::<Option<_>>()
        .ok_or_else(|| ReceiptError::Format(format!("{what} element is not 64 hex digits")))
}

impl Receipt {
    /// A receipt from an `add-entry` answer.
    pub fn from_response(log_url: &str, log_key: &str, entry: &[u8], r: AddEntryResponse) -> Self {
        Self {
            format: RECEIPT_FORMAT.into(),
            log_url: log_url.into(),
            log_key: log_key.trim().into(),
            entry_hex: hex::encode(entry),
            index: r.index,
            leaf_hash: r.leaf_hash,
            timestamp_ms: r.timestamp_ms,
            set: r.set,
            checkpoint: r.checkpoint,
            inclusion_proof: r.inclusion_proof,
        }
    }

    /// The receipt's checkpoint, its signature checked by `log`.
    pub fn checkpoint(&self, log: &Verifier) -> Result<SignedCheckpoint, ReceiptError> {
        Ok(SignedCheckpoint::parse_verified(
            self.checkpoint.as_bytes(),
            log,
        )?)
    }

    /// Checks offline that `entry` is in the log whose key is `log`: the entry matches, the
    /// SET and the checkpoint verify under the key, and the audit path leads from the entry's
    /// leaf hash to the checkpoint's root.
    pub fn verify(&self, entry: &[u8], log: &Verifier) -> Result<VerifiedReceipt, ReceiptError> {
        if self.format != RECEIPT_FORMAT {
            return Err(ReceiptError::Format(format!(
                "format is `{}`, expected `{RECEIPT_FORMAT}`",
                self.format
            )));
        }
        let given = hex::encode(entry);
        if !self.entry_hex.eq_ignore_ascii_case(&given) {
            return Err(ReceiptError::EntryMismatch {
                receipt: self.entry_hex.clone(),
                given,
            });
        }
        let leaf = merkle::leaf_hash(entry);
        if merkle::hash_from_hex(&self.leaf_hash) != Some(leaf) {
            return Err(ReceiptError::Format(
                "leaf_hash is not the RFC 9162 leaf hash of the entry".into(),
            ));
        }
        let cp = self.checkpoint(log)?;
        let set: [u8; 64] = B64
            .decode(self.set.trim())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| ReceiptError::Format("set is not base64 of 64 bytes".into()))?;
        let msg = set_message(&cp.checkpoint.origin, self.index, self.timestamp_ms, &leaf);
        log.key
            .verify_strict(msg.as_bytes(), &Signature::from_bytes(&set))
            .map_err(|_| ReceiptError::BadSet)?;
        let path = hashes(&self.inclusion_proof, "inclusion_proof")?;
        merkle::verify_inclusion(
            &leaf,
            self.index,
            cp.checkpoint.size,
            &path,
            &cp.checkpoint.root,
        )
        .map_err(ReceiptError::Inclusion)?;
        Ok(VerifiedReceipt {
            origin: cp.checkpoint.origin.clone(),
            index: self.index,
            timestamp_ms: self.timestamp_ms,
            tree_size: cp.checkpoint.size,
            root: hex::encode(cp.checkpoint.root),
        })
    }
}

/// Checks that `new` extends `old` (both checked against `log` first). Sizes that cannot be
/// proved (new smaller than old, or equal with different roots) and failed proofs are all
/// [`ReceiptError::Inconsistent`], carrying both raw checkpoints.
pub fn verify_consistency(
    log: &Verifier,
    old: &SignedCheckpoint,
    new: &SignedCheckpoint,
    proof: &[Hash],
) -> Result<(), ReceiptError> {
    old.verify(log)?;
    new.verify(log)?;
    let (o, n) = (&old.checkpoint, &new.checkpoint);
    let inconsistent = |reason: String| ReceiptError::Inconsistent {
        reason,
        old: old.to_text(),
        new: new.to_text(),
    };
    if n.size < o.size {
        return Err(inconsistent(format!(
            "the newer checkpoint has fewer entries ({} < {})",
            n.size, o.size
        )));
    }
    if o.size == 0 {
        // Every tree extends the empty one.
        return Ok(());
    }
    merkle::verify_consistency(o.size, n.size, &o.root, &n.root, proof)
        .map_err(|e| inconsistent(e.to_string()))
}

/// The bytes a signed entry timestamp (SET) signs: a domain line, the origin, the index,
/// the time in ms and the hex leaf hash, one per line.
pub fn set_message(origin: &str, index: u64, time_ms: u64, leaf: &Hash) -> String {
    format!(
        "cunzheng-tlog signed-entry-timestamp/v1\n{origin}\n{index}\n{time_ms}\n{}\n",
        hex::encode(leaf)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::note::{NoteSigner, TYPE_ED25519};

    #[test]
    fn empty_old_checkpoint_is_always_extended_and_shrinking_is_not() {
        let s = NoteSigner::new(
            "o",
            TYPE_ED25519,
            ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap();
        let cp = |size, root| {
            Checkpoint {
                origin: "o".into(),
                size,
                root,
                extensions: vec![],
            }
            .sign(&s)
        };
        let empty = cp(0, merkle::root(&[]));
        let one = cp(1, merkle::leaf_hash(b"a"));
        verify_consistency(s.verifier(), &empty, &one, &[]).unwrap();
        let err = verify_consistency(s.verifier(), &one, &empty, &[]).unwrap_err();
        assert!(matches!(err, ReceiptError::Inconsistent { .. }));
        let fork = cp(1, merkle::leaf_hash(b"b"));
        let err = verify_consistency(s.verifier(), &one, &fork, &[]).unwrap_err();
        match err {
            ReceiptError::Inconsistent { old, new, .. } => {
                assert_eq!(old, one.to_text());
                assert_eq!(new, fork.to_text());
            }
            e => panic!("{e}"),
        }
    }
}
