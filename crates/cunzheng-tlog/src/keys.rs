//! The log's and the witness's Ed25519 keys: PKCS#8 PEM files, made on first use with mode 0600
//! (readable by `openssl pkey`).

use crate::error::{Error, Result};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use std::io::Write;
use std::path::Path;

/// Reads the key at `path`, or makes one there when the file does not exist.
/// Returns the key and whether it was just made.
pub fn load_or_create(path: &Path) -> Result<(SigningKey, bool)> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(pem) => SigningKey::from_pkcs8_pem(&pem)
            .map(|k| (k, false))
            .map_err(|_| Error::BadKeyFile {
                path: path.to_owned(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let key = SigningKey::generate(&mut rand_core::OsRng);
            // PKCS#8 v1 (no public key field): OpenSSL 3.0 cannot read ed25519-dalek's v2
            // encoding, and operators check the log key with `openssl pkey -pubout`.
            let v1 = KeypairBytes {
                secret_key: key.to_bytes(),
                public_key: None,
            };
            let pem = v1
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|_| Error::BadKeyFile {
                    path: path.to_owned(),
                })?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(path).map_err(io)?;
            f.write_all(pem.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok((key, true))
        }
        Err(e) => Err(io(e)),
    }
}
