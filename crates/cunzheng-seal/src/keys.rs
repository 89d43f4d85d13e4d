//! Examiner signing keys (Ed25519).
//!
//! A key is a PKCS#8 PEM file in the examiner's config folder, made on first use with mode 0600.
//! The public half goes into every bag as SubjectPublicKeyInfo PEM, so that
//! `openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in statement.txt -sigfile statement.sig`
//! checks a seal without cunzheng.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The PEM text is not an Ed25519 key of the expected kind.
    #[error("{what} is not a valid Ed25519 PEM key")]
    BadPem {
        /// Which key (a path or a label).
        what: String,
    },
    /// A signature does not verify under the key.
    #[error("signature does not verify under key {fingerprint}")]
    BadSignature {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// The key file is encrypted and no passphrase was given.
    #[error("{what} is encrypted: give its passphrase (CUNZHENG_KEY_PASSPHRASE or the prompt)")]
    NeedPassphrase {
        /// Which key.
        what: String,
    },
    /// The passphrase does not decrypt the key file.
    #[error("wrong passphrase for {what}")]
    WrongPassphrase {
        /// Which key.
        what: String,
    },
    /// A signature is not 64 bytes.
    #[error("signature is {len} bytes, Ed25519 signatures are 64")]
    BadSignatureLength {
        /// Length found.
        len: usize,
    },
}

/// Something that signs seals and custody events: an examiner's key.
///
/// A trait so that other key kinds (SM2, hardware tokens) can stand in the same place.
pub trait Signer: Send + Sync {
    /// The public key that checks this signer's signatures.
    fn public_key(&self) -> PublicKey;
    /// Signs `message`, returning the raw signature bytes.
    fn sign(&self, message: &[u8]) -> Vec<u8>;
}

/// An Ed25519 examiner key.
pub struct Ed25519Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519Signer({})", self.public_key().fingerprint())
    }
}

impl Ed25519Signer {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    /// A key from 32 secret bytes (for tests and fuzzing; never derive real keys this way).
    pub fn dangerous_from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// From PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8], what: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_der(der)
            .map(|key| Self { key })
            .map_err(|_| KeyError::BadPem { what: what.into() })
    }

    /// PKCS#8 DER of the private key (to be encrypted by [`crate::keystore`]).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        self.key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| KeyError::BadPem {
                what: "Ed25519 key".into(),
            })
    }

    /// Reads the key at `path`, or makes one there (mode 0600) when the file does not exist.
    /// Returns the key and whether it was just made.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| KeyError::BadPem {
                    what: path.display().to_string(),
                })?;
                Ok((Self { key }, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let signer = Self::generate();
                let pem =
                    signer
                        .key
                        .to_pkcs8_pem(LineEnding::LF)
                        .map_err(|_| KeyError::BadPem {
                            what: "generated key".into(),
                        })?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).map_err(io)?;
                f.write_all(pem.as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok((signer, true))
            }
            Err(e) => Err(io(e)),
        }
    }
}

impl Signer for Ed25519Signer {
    fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).to_bytes().to_vec()
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads SubjectPublicKeyInfo PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        VerifyingKey::from_public_key_pem(pem)
            .map(PublicKey)
            .map_err(|_| KeyError::BadPem {
                what: "public key".into(),
            })
    }

    /// SubjectPublicKeyInfo PEM, as `openssl pkey -pubin` reads it.
    pub fn to_pem(&self) -> String {
        self.0.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// `ed25519:` followed by the hex SHA-256 of the 32 raw public key bytes.
    pub fn fingerprint(&self) -> String {
        format!("ed25519:{}", hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    /// Checks a raw 64-byte signature over `message` (strict: rejects malleable encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let bytes: [u8; 64] = signature
            .try_into()
            .map_err(|_| KeyError::BadSignatureLength {
                len: signature.len(),
            })?;
        self.0
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .map_err(|_| KeyError::BadSignature {
                fingerprint: self.fingerprint(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8032_test_1() {
        // RFC 8032 §7.1 TEST 1: empty message.
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .expect("hex")
                .try_into()
                .expect("32 bytes");
        let s = Ed25519Signer::dangerous_from_seed(seed);
        let sig = s.sign(b"");
        assert_eq!(
            hex::encode(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        let pk = s.public_key();
        pk.verify(b"", &sig).expect("verifies");
        assert!(pk.verify(b"x", &sig).is_err());
        assert_eq!(PublicKey::from_pem(&pk.to_pem()).expect("pem"), pk);
    }

    #[test]
    fn key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/examiner.pem");
        let (a, made) = Ed25519Signer::load_or_create(&path).expect("create");
        assert!(made);
        let (b, made) = Ed25519Signer::load_or_create(&path).expect("load");
        assert!(!made);
        assert_eq!(a.public_key(), b.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").expect("write");
        assert!(matches!(
            Ed25519Signer::load_or_create(&path),
            Err(KeyError::BadPem { .. })
        ));
    }
}
