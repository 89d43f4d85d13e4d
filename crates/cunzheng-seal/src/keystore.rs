//! Private key files: PKCS#8 PEM, encrypted at rest with a passphrase (PBES2 with
//! PBKDF2-HMAC-SHA256 and AES-256-CBC, which `openssl pkey -passin` reads), or unencrypted
//! only when the examiner chose that explicitly.

use crate::keys::KeyError;
use pkcs8::der::pem::LineEnding;
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo, SecretDocument};
use std::io::Write;
use std::path::Path;

/// PBKDF2 iterations for new key files (OWASP 2023 figure for PBKDF2-HMAC-SHA256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// How a new key file is protected.
#[derive(Clone, Copy)]
pub enum Protection<'a> {
    /// Encrypted with this passphrase.
    Passphrase(&'a [u8]),
    /// Plain PKCS#8: only when explicitly chosen.
    DangerousUnencrypted,
}

impl std::fmt::Debug for Protection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Passphrase(_) => "Passphrase(..)",
            Self::DangerousUnencrypted => "DangerousUnencrypted",
        })
    }
}

/// PEM text of a PKCS#8 private key (DER), protected as asked.
pub fn encode(pkcs8_der: &[u8], protection: Protection<'_>) -> Result<String, KeyError> {
    let bad = || KeyError::BadPem {
        what: "private key".into(),
    };
    let doc = match protection {
        Protection::DangerousUnencrypted => {
            SecretDocument::try_from(pkcs8_der).map_err(|_| bad())?
        }
        Protection::Passphrase(pw) => {
            let info = PrivateKeyInfo::try_from(pkcs8_der).map_err(|_| bad())?;
            let mut salt = [0u8; 16];
            let mut iv = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut iv);
            let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(
                PBKDF2_ITERATIONS,
                &salt,
                &iv,
            )
            .map_err(|_| KeyError::BadPem {
                what: "encryption parameters".into(),
            })?;
            info.encrypt_with_params(params, pw).map_err(|_| bad())?
        }
    };
    let label = match protection {
        Protection::DangerousUnencrypted => "PRIVATE KEY",
        Protection::Passphrase(_) => "ENCRYPTED PRIVATE KEY",
    };
    doc.to_pem(label, LineEnding::LF)
        .map(|z| z.to_string())
        .map_err(|_| bad())
}

/// Whether PEM text is an encrypted private key.
pub fn is_encrypted(pem: &str) -> bool {
    pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
}

/// The PKCS#8 DER inside PEM text; `passphrase` is asked only for an encrypted key.
pub fn decode(
    pem: &str,
    what: &str,
    passphrase: &mut dyn FnMut() -> Option<Vec<u8>>,
) -> Result<SecretDocument, KeyError> {
    let bad = || KeyError::BadPem { what: what.into() };
    if is_encrypted(pem) {
        let (label, doc) = SecretDocument::from_pem(pem).map_err(|_| bad())?;
        if label != "ENCRYPTED PRIVATE KEY" {
            return Err(bad());
        }
        let enc = EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|_| bad())?;
        let pw = passphrase().ok_or_else(|| KeyError::NeedPassphrase { what: what.into() })?;
        enc.decrypt(&pw)
            .map_err(|_| KeyError::WrongPassphrase { what: what.into() })
    } else {
        let (label, doc) = SecretDocument::from_pem(pem).map_err(|_| bad())?;
        if label != "PRIVATE KEY" {
            return Err(bad());
        }
        Ok(doc)
    }
}

/// Writes a new key file (never replacing one), readable by its owner only, fsync'd.
pub fn write_new(path: &Path, pem: &str) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(pem.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Ed25519Signer, Signer};
    use crate::sm2key::Sm2Signer;

    #[test]
    fn encrypted_keys_round_trip_and_need_the_passphrase() {
        let ed = Ed25519Signer::dangerous_from_seed([5; 32]);
        let sm2 = Sm2Signer::dangerous_from_bytes(&[6; 32]).expect("sm2");
        for der in [
            ed.to_pkcs8_der().expect("ed"),
            sm2.to_pkcs8_der().expect("sm2"),
        ] {
            let pem = encode(&der, Protection::Passphrase("口令 pass".as_bytes())).expect("enc");
            assert!(is_encrypted(&pem));
            assert!(!pem.contains(&hex::encode(&der)));
            let back =
                decode(&pem, "k", &mut || Some("口令 pass".as_bytes().to_vec())).expect("dec");
            assert_eq!(back.as_bytes(), der.as_slice());
            assert!(matches!(
                decode(&pem, "k", &mut || Some(b"wrong".to_vec())),
                Err(KeyError::WrongPassphrase { .. })
            ));
            assert!(matches!(
                decode(&pem, "k", &mut || None),
                Err(KeyError::NeedPassphrase { .. })
            ));
            let plain = encode(&der, Protection::DangerousUnencrypted).expect("plain");
            let mut asked = false;
            let back = decode(&plain, "k", &mut || {
                asked = true;
                None
            })
            .expect("plain");
            assert!(!asked);
            assert_eq!(back.as_bytes(), der.as_slice());
        }
        let back = Ed25519Signer::from_pkcs8_der(ed.to_pkcs8_der().expect("der").as_slice(), "k")
            .expect("ed");
        assert_eq!(back.public_key(), ed.public_key());
    }
}
