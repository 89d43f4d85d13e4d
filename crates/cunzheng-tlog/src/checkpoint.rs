//! C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint): the note text
//! `<origin>\n<tree size>\n<base64 root hash>\n[extension lines]`, signed by the log.

use crate::note::{B64, Note, NoteError, NoteSigner, Verifier};
use base64::Engine as _;
use cunzheng_seal::merkle::Hash;

/// A tree head: origin, size, root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 root hash.
    pub root: Hash,
    /// Extension lines (kept, never written by this log).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses note text (as in [`Note::text`]).
    pub fn parse_text(text: &str) -> Result<Self, NoteError> {
        let bad = |at: usize, reason: &str| NoteError::Malformed {
            at,
            reason: format!("checkpoint: {reason}"),
        };
        let Some(body) = text.strip_suffix('\n') else {
            return Err(bad(text.len(), "text does not end in a newline"));
        };
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad(0, "empty origin line"));
        }
        let mut at = origin.len() + 1;
        let size_line = lines.next().ok_or_else(|| bad(at, "no tree size line"))?;
        let size_ok = !size_line.is_empty()
            && size_line.bytes().all(|b| b.is_ascii_digit())
            && (size_line == "0" || !size_line.starts_with('0'));
        let size = size_line
            .parse::<u64>()
            .ok()
            .filter(|_| size_ok)
            .ok_or_else(|| {
                bad(
                    at,
                    "tree size is not a decimal number without leading zeros",
                )
            })?;
        at += size_line.len() + 1;
        let root_line = lines.next().ok_or_else(|| bad(at, "no root hash line"))?;
        let root: Hash = B64
            .decode(root_line)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad(at, "root hash is not base64 of 32 bytes"))?;
        at += root_line.len() + 1;
        let mut extensions = Vec::new();
        for line in lines {
            if line.is_empty() {
                return Err(bad(at, "empty extension line"));
            }
            extensions.push(line.to_owned());
            at += line.len() + 1;
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Signs the checkpoint as a note.
    pub fn sign(&self, signer: &NoteSigner) -> SignedCheckpoint {
        let text = self.to_text();
        let sig = signer.sign(&text, 0);
        SignedCheckpoint {
            checkpoint: self.clone(),
            note: Note {
                text,
                signatures: vec![sig],
            },
        }
    }
}

/// A checkpoint with its note (and so its signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed tree head.
    pub checkpoint: Checkpoint,
    /// The note, signatures included.
    pub note: Note,
}

impl SignedCheckpoint {
    /// Parses a signed checkpoint (signatures are not checked: see [`Self::verify`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let note = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse_text(&note.text)?;
        Ok(Self { checkpoint, note })
    }

    /// Parses and checks the log's signature; the key name must be the origin.
    pub fn parse_verified(bytes: &[u8], log: &Verifier) -> Result<Self, NoteError> {
        let cp = Self::parse(bytes)?;
        cp.verify(log)?;
        Ok(cp)
    }

    /// Checks the signature by `log`, whose key name must match the origin line.
    pub fn verify(&self, log: &Verifier) -> Result<(), NoteError> {
        if self.checkpoint.origin != log.name {
            return Err(NoteError::NotSigned {
                name: log.name.clone(),
                key_id: log.key_id,
            });
        }
        self.note.verify(log)
    }

    /// The note text with signatures, as served.
    pub fn to_text(&self) -> String {
        self.note.to_text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::TYPE_ED25519;

    #[test]
    fn spec_example_body_parses() {
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse_text(text).expect("spec example");
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert_eq!(cp.to_text(), text);
    }

    #[test]
    fn bad_bodies() {
        for t in [
            "",
            "o\n",
            "o\n1\n",
            "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
            "o\n1\nAAAA\n",
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        ] {
            assert!(Checkpoint::parse_text(t).is_err(), "{t:?}");
        }
        assert!(
            Checkpoint::parse_text("o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n")
                .is_ok()
        );
    }

    #[test]
    fn origin_must_match_key_name() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
        let s = NoteSigner::new("log.example/a", TYPE_ED25519, key).expect("signer");
        let cp = Checkpoint {
            origin: "log.example/b".into(),
            size: 1,
            root: [0; 32],
            extensions: vec![],
        };
        let signed = cp.sign(&s);
        assert!(signed.note.verify(s.verifier()).is_ok());
        assert!(signed.verify(s.verifier()).is_err());
    }
}
