//! C2SP signed notes (c2sp.org/signed-note): text, a blank line, then signature lines
//! `— <key name> base64(key ID || signature)`. Ed25519 signatures (type 0x01) and
//! timestamped Ed25519 witness cosignatures (type 0x04, c2sp.org/tlog-cosignature).
//!
//! Written here: the format is a few lines of text, and the Rust crates for it are either
//! Sigstore-specific or unmaintained; the parser is fuzzed (`fuzz/fuzz_targets/checkpoint_note.rs`).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Largest note accepted, in bytes (a checkpoint with dozens of cosignatures is ~5 KB).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Most signature lines accepted (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 64;
/// Signature type byte of plain Ed25519 note signatures.
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures.
pub const TYPE_COSIGNATURE: u8 = 0x04;

const DASH: &str = "\u{2014} ";

/// Standard base64 that accepts only the canonical encoding (padding required, no stray
/// bits), so a parsed note or checkpoint writes back byte for byte.
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Why a note or key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note breaks the signed-note format; `at` is a byte offset into it.
    #[error("malformed signed note at byte {at}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        at: usize,
        /// What is wrong.
        reason: String,
    },
    /// A verifier key string is malformed.
    #[error("malformed verifier key: {0}")]
    BadKey(String),
    /// No signature line matches the key's name and key ID.
    #[error("the note has no signature by {name} (key ID {key_id:08x})")]
    NotSigned {
        /// Key name looked for.
        name: String,
        /// Key ID looked for.
        key_id: u32,
    },
    /// A signature by the key does not verify.
    #[error("the signature by {name} does not verify")]
    BadSignature {
        /// Key name.
        name: String,
    },
}

fn malformed(at: usize, reason: impl Into<String>) -> NoteError {
    NoteError::Malformed {
        at,
        reason: reason.into(),
    }
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID: the first 4 bytes of the decoded signature, big-endian.
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line without its newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{DASH}{} {}", self.name, B64.encode(raw))
    }
}

/// A signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

/// Whether `name` can be a key name: non-empty, no Unicode spaces, no `+`.
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

impl Note {
    /// Parses a note, checking every rule of the format (size caps first).
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(malformed(
                MAX_NOTE_BYTES,
                format!("note is longer than {MAX_NOTE_BYTES} bytes"),
            ));
        }
        let s = std::str::from_utf8(bytes)
            .map_err(|e| malformed(e.valid_up_to(), "not valid UTF-8"))?;
        if let Some(at) = s.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(malformed(at, "control character other than newline"));
        }
        if !s.ends_with('\n') {
            return Err(malformed(s.len(), "does not end in a newline"));
        }
        let Some(split) = s.rfind("\n\n") else {
            return Err(malformed(0, "no blank line before the signatures"));
        };
        let text = &s[..=split];
        let mut signatures = Vec::new();
        let mut at = split + 2;
        for line in s[at..].split_terminator('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(malformed(
                    at,
                    format!("more than {MAX_SIGNATURES} signatures"),
                ));
            }
            signatures.push(parse_signature_line(line, at)?);
            at += line.len() + 1;
        }
        if signatures.is_empty() {
            return Err(malformed(split + 2, "no signature lines"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as text: the signed text, a blank line, the signature lines.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 120 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.to_line());
            out.push('\n');
        }
        out
    }

    /// Checks the signature by `verifier`. Other signatures are ignored, as the spec says.
    pub fn verify(&self, verifier: &Verifier) -> Result<(), NoteError> {
        let mut found = false;
        for sig in self
            .signatures
            .iter()
            .filter(|s| s.name == verifier.name && s.key_id == verifier.key_id)
        {
            found = true;
            verifier.verify_one(&self.text, &sig.signature)?;
        }
        if found {
            Ok(())
        } else {
            Err(NoteError::NotSigned {
                name: verifier.name.clone(),
                key_id: verifier.key_id,
            })
        }
    }

    /// The timestamp of a verified cosignature by `verifier` (seconds since the epoch).
    pub fn cosignature_time(&self, verifier: &Verifier) -> Option<u64> {
        self.signatures
            .iter()
            .find(|s| s.name == verifier.name && s.key_id == verifier.key_id)
            .and_then(|s| s.signature.get(..8))
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }
}

fn parse_signature_line(line: &str, at: usize) -> Result<NoteSignature, NoteError> {
    let Some(rest) = line.strip_prefix(DASH) else {
        return Err(malformed(
            at,
            "signature line does not start with an em dash and space",
        ));
    };
    let Some((name, b64)) = rest.split_once(' ') else {
        return Err(malformed(
            at,
            "signature line has no space after the key name",
        ));
    };
    if !valid_key_name(name) {
        return Err(malformed(at, "key name is empty or has a space or plus"));
    }
    let raw = B64
        .decode(b64)
        .map_err(|_| malformed(at, "signature is not standard base64"))?;
    let Some((id, sig)) = raw.split_first_chunk::<4>() else {
        return Err(malformed(at, "signature is shorter than 5 bytes"));
    };
    if sig.is_empty() {
        return Err(malformed(at, "signature is shorter than 5 bytes"));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes(*id),
        signature: sig.to_vec(),
    })
}

/// Key ID = first four bytes of SHA-256(name || 0x0A || type || public key), big-endian.
pub fn key_id(name: &str, kind: u8, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The message a timestamped cosignature signs.
pub fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// A public key that checks note signatures: name, key ID, Ed25519 key and signature type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: u32,
    /// Signature type ([`TYPE_ED25519`] or [`TYPE_COSIGNATURE`]).
    pub kind: u8,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

impl Verifier {
    /// A verifier for `name` and `key` of signature type `kind`.
    pub fn new(name: &str, kind: u8, key: VerifyingKey) -> Result<Self, NoteError> {
        if !valid_key_name(name) {
            return Err(NoteError::BadKey(format!("bad key name `{name}`")));
        }
        if kind != TYPE_ED25519 && kind != TYPE_COSIGNATURE {
            return Err(NoteError::BadKey(format!("unsupported type 0x{kind:02x}")));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, kind, key.as_bytes()),
            kind,
            key,
        })
    }

    /// Parses a verifier key `<name>+<hex key ID>+<base64(type || public key)>`
    /// (the text form used by Go's `golang.org/x/mod/sumdb/note` and C2SP vkeys).
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let vkey = vkey.trim();
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey("expected NAME+KEYID+KEY".into()));
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| NoteError::BadKey("key is not base64".into()))?;
        let Some((&kind, key)) = raw.split_first() else {
            return Err(NoteError::BadKey("empty key".into()));
        };
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| NoteError::BadKey("Ed25519 keys are 32 bytes".into()))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| NoteError::BadKey("not an Ed25519 point".into()))?;
        let v = Self::new(name, kind, key)?;
        if id.len() != 8 || u32::from_str_radix(id, 16).ok() != Some(v.key_id) {
            return Err(NoteError::BadKey(format!(
                "key ID `{id}` does not match the key (expected {:08x})",
                v.key_id
            )));
        }
        Ok(v)
    }

    /// The text form `<name>+<hex key ID>+<base64(type || public key)>`.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.kind];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    fn verify_one(&self, text: &str, sig: &[u8]) -> Result<(), NoteError> {
        let bad = || NoteError::BadSignature {
            name: self.name.clone(),
        };
        let (message, sig) = match self.kind {
            TYPE_COSIGNATURE => {
                let (ts, sig) = sig.split_first_chunk::<8>().ok_or_else(bad)?;
                let ts = u64::from_be_bytes(*ts);
                if ts > i64::MAX as u64 {
                    return Err(bad());
                }
                (cosigned_message(text, ts), sig)
            }
            _ => (text.to_owned(), sig),
        };
        let sig: [u8; 64] = sig.try_into().map_err(|_| bad())?;
        self.key
            .verify_strict(message.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| bad())
    }
}

/// A private key that signs notes under a name.
pub struct NoteSigner {
    key: SigningKey,
    verifier: Verifier,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteSigner({})", self.verifier.to_vkey())
    }
}

impl NoteSigner {
    /// A signer of type `kind` ([`TYPE_ED25519`] for a log, [`TYPE_COSIGNATURE`] for a witness).
    pub fn new(name: &str, kind: u8, key: SigningKey) -> Result<Self, NoteError> {
        let verifier = Verifier::new(name, kind, key.verifying_key())?;
        Ok(Self { key, verifier })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Signs raw bytes with the key (used for signed entry timestamps).
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The signature line for `text`; cosigners sign with `timestamp` (seconds).
    pub fn sign(&self, text: &str, timestamp: u64) -> NoteSignature {
        let signature = match self.verifier.kind {
            TYPE_COSIGNATURE => {
                let mut out = timestamp.to_be_bytes().to_vec();
                out.extend_from_slice(&self.sign_raw(cosigned_message(text, timestamp).as_bytes()));
                out
            }
            _ => self.sign_raw(text.as_bytes()).to_vec(),
        };
        NoteSignature {
            name: self.verifier.name.clone(),
            key_id: self.verifier.key_id,
            signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(kind: u8) -> NoteSigner {
        NoteSigner::new("example.com/log", kind, SigningKey::from_bytes(&[7; 32])).expect("signer")
    }

    #[test]
    fn sign_parse_verify_round_trip() {
        let s = signer(TYPE_ED25519);
        let text = "example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let note = Note {
            text: text.into(),
            signatures: vec![s.sign(text, 0)],
        };
        let out = note.to_text();
        assert!(out.starts_with(text));
        assert!(out.contains("\n\n\u{2014} example.com/log "));
        let back = Note::parse(out.as_bytes()).expect("parse");
        assert_eq!(back, note);
        back.verify(s.verifier()).expect("verifies");
        let vkey = s.verifier().to_vkey();
        assert_eq!(Verifier::parse(&vkey).expect("vkey"), *s.verifier());
        // Tampered text fails.
        let mut bad = back.clone();
        bad.text = bad.text.replace("\n3\n", "\n4\n");
        assert!(matches!(
            bad.verify(s.verifier()),
            Err(NoteError::BadSignature { .. })
        ));
        // Another key with the same name is ignored, not accepted.
        let other = NoteSigner::new(
            "example.com/log",
            TYPE_ED25519,
            SigningKey::from_bytes(&[8; 32]),
        )
        .expect("other");
        assert!(matches!(
            back.verify(other.verifier()),
            Err(NoteError::NotSigned { .. })
        ));
    }

    #[test]
    fn cosignature_round_trip() {
        let w = signer(TYPE_COSIGNATURE);
        let text = "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let sig = w.sign(text, 1_679_315_147);
        assert_eq!(sig.signature.len(), 72);
        let note = Note {
            text: text.into(),
            signatures: vec![sig],
        };
        note.verify(w.verifier()).expect("cosignature verifies");
        assert_eq!(note.cosignature_time(w.verifier()), Some(1_679_315_147));
    }

    /// The example note of the signed-note spec parses (its key is not published, so only the
    /// structure is checked).
    #[test]
    fn spec_example_parses() {
        let example = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
        let note = Note::parse(example.as_bytes()).expect("spec example");
        assert!(note.text.ends_with("subito sera.\n"));
        assert_eq!(note.signatures.len(), 1);
        assert_eq!(note.signatures[0].name, "quasimodo.example/salvatore");
        assert_eq!(note.signatures[0].signature.len(), 64);
        assert_eq!(note.to_text(), example);
    }

    #[test]
    fn hostile_notes_are_rejected() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n",
            b"text\n",
            b"text\n\n",
            b"text\n\n- name AAAAAAA=\n",
            b"text\n\n\xe2\x80\x94 name\n",
            b"text\n\n\xe2\x80\x94  AAAAAAA=\n",
            b"text\n\n\xe2\x80\x94 a+b AAAAAAA=\n",
            b"text\n\n\xe2\x80\x94 name AAAA\n",
            b"text\n\n\xe2\x80\x94 name !!!!\n",
            b"te\rxt\n\n\xe2\x80\x94 name AAAAAAA=\n",
            b"\xff\n\n\xe2\x80\x94 name AAAAAAA=\n",
            b"text\n\n\xe2\x80\x94 name AAAAAAA=",
        ];
        for c in cases {
            assert!(Note::parse(c).is_err(), "{:?}", String::from_utf8_lossy(c));
        }
        let big = vec![b'a'; MAX_NOTE_BYTES + 1];
        assert!(Note::parse(&big).is_err());
        let mut many = String::from("t\n\n");
        for _ in 0..=MAX_SIGNATURES {
            many.push_str("\u{2014} n AAAAAAA=\n");
        }
        assert!(Note::parse(many.as_bytes()).is_err());
    }
}
