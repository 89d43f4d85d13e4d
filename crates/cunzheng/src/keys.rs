//! The examiner's keys: an Ed25519 and an SM2 key in `$CUNZHENG_HOME/keys/`, encrypted at rest
//! with a passphrase (CUNZHENG_KEY_PASSPHRASE, or asked on the terminal), unencrypted only when
//! chosen explicitly (CUNZHENG_KEY_UNENCRYPTED=1 or `key generate --unencrypted`).

use anyhow::{Context, Result, bail};
use cunzheng_seal::keys::{Ed25519Signer, PublicKey, Signer};
use cunzheng_seal::keystore::{self, Protection};
use cunzheng_seal::sm2key::{Sm2PublicKey, Sm2Signer};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Key commands.
#[derive(clap::Subcommand, Debug)]
pub enum KeyCommand {
    /// Show both public keys and where the private keys are (the default).
    Show,
    /// Make the examiner's keys that do not exist yet (both algorithms unless --algo).
    Generate {
        /// `ed25519`, `sm2` or `both`.
        #[arg(long, default_value = "both")]
        algo: String,
        /// Store the private key unencrypted (only if the disk itself is protected).
        #[arg(long)]
        unencrypted: bool,
    },
    /// Import a private key (PKCS#8 PEM, encrypted or not) as the examiner's key of that kind;
    /// it is stored encrypted with the passphrase.
    Import {
        /// `ed25519` or `sm2`.
        #[arg(long)]
        algo: String,
        /// The PEM file.
        file: PathBuf,
        /// Store it unencrypted.
        #[arg(long)]
        unencrypted: bool,
    },
    /// Print a public key as SubjectPublicKeyInfo PEM (for `openssl pkeyutl -verify`).
    Export {
        /// `ed25519` or `sm2`.
        #[arg(long, default_value = "ed25519")]
        algo: String,
    },
}

/// Which keys.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Algo {
    Ed25519,
    Sm2,
}

impl Algo {
    fn file(self) -> &'static str {
        match self {
            Self::Ed25519 => "examiner-ed25519.pem",
            Self::Sm2 => "examiner-sm2.pem",
        }
    }
}

fn algos(s: &str) -> Result<Vec<Algo>> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "ed25519" => vec![Algo::Ed25519],
        "sm2" => vec![Algo::Sm2],
        "both" | "all" => vec![Algo::Ed25519, Algo::Sm2],
        other => bail!("unknown key algorithm `{other}`: use ed25519, sm2 or both"),
    })
}

fn path(algo: Algo) -> Result<PathBuf> {
    Ok(crate::anchors::home()?.join("keys").join(algo.file()))
}

/// The passphrase, asked once per run.
fn passphrase(confirm: bool) -> Option<Vec<u8>> {
    static CACHE: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("CUNZHENG_KEY_PASSPHRASE").filter(|p| !p.is_empty()) {
                return Some(p.into_encoded_bytes());
            }
            let first = prompt("passphrase for the examiner's keys: ")?;
            if confirm {
                let again = prompt("the same passphrase again: ")?;
                if again != first {
                    eprintln!("cunzheng: the passphrases differ");
                    return None;
                }
            }
            Some(first.into_bytes())
        })
        .clone()
}

/// Reads a line from the terminal with echo off; `None` without a terminal.
fn prompt(msg: &str) -> Option<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    use std::io::IsTerminal;
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    if !tty.is_terminal() {
        return None;
    }
    let old = tcgetattr(&tty).ok()?;
    let mut quiet = old.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&tty, OptionalActions::Now, &quiet).ok()?;
    let mut w = &tty;
    let _ = w.write_all(msg.as_bytes());
    let _ = w.flush();
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    let _ = tcsetattr(&tty, OptionalActions::Now, &old);
    let _ = w.write_all(b"\n");
    read.ok()?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    (!line.is_empty()).then_some(line)
}

fn unencrypted_chosen() -> bool {
    std::env::var("CUNZHENG_KEY_UNENCRYPTED").is_ok_and(|v| v == "1")
}

/// How to protect a key about to be written.
fn protection(unencrypted: bool) -> Result<Option<Vec<u8>>> {
    if unencrypted || unencrypted_chosen() {
        return Ok(None);
    }
    match passphrase(true) {
        Some(p) => Ok(Some(p)),
        None => bail!(
            "a new private key must be encrypted: set CUNZHENG_KEY_PASSPHRASE, run on a terminal \
             to be asked, or choose an unencrypted key explicitly with CUNZHENG_KEY_UNENCRYPTED=1"
        ),
    }
}

fn write(algo: Algo, der: &[u8], unencrypted: bool) -> Result<PathBuf> {
    let p = path(algo)?;
    let pw = protection(unencrypted)?;
    let prot = match &pw {
        Some(pw) => Protection::Passphrase(pw),
        None => Protection::DangerousUnencrypted,
    };
    let pem = keystore::encode(der, prot)?;
    keystore::write_new(&p, &pem)
        .with_context(|| format!("cannot write the key file {}", p.display()))?;
    Ok(p)
}

fn read_der(p: &Path) -> Result<Option<pkcs8::SecretDocument>> {
    let pem = match std::fs::read_to_string(p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
    };
    let what = p.display().to_string();
    Ok(Some(keystore::decode(&pem, &what, &mut || {
        passphrase(false)
    })?))
}

/// Loads a key, making it (encrypted) when absent. Returns whether it was made.
fn load_or_make<T>(
    algo: Algo,
    from: impl Fn(&[u8], &str) -> Result<T, cunzheng_seal::keys::KeyError>,
    make: impl Fn() -> Result<(T, Vec<u8>)>,
) -> Result<(T, PathBuf, bool)> {
    let p = path(algo)?;
    if let Some(der) = read_der(&p)? {
        let k = from(der.as_bytes(), &p.display().to_string())?;
        return Ok((k, p, false));
    }
    let (k, der) = make()?;
    write(algo, &der, false)?;
    Ok((k, p, true))
}

/// The examiner's Ed25519 key (made on first use).
pub fn ed25519() -> Result<(Ed25519Signer, PathBuf)> {
    let (k, p, made) = load_or_make(Algo::Ed25519, Ed25519Signer::from_pkcs8_der, || {
        let k = Ed25519Signer::generate();
        let der = k.to_pkcs8_der()?;
        Ok((k, der))
    })
    .context("cannot read or create the examiner's Ed25519 signing key")?;
    if made {
        announce(&k.public_key().fingerprint(), &p);
    }
    Ok((k, p))
}

/// The examiner's SM2 key (made on first use).
pub fn sm2() -> Result<(Sm2Signer, PathBuf)> {
    let (k, p, made) = load_or_make(Algo::Sm2, Sm2Signer::from_pkcs8_der, || {
        let k = Sm2Signer::generate();
        let der = k.to_pkcs8_der()?;
        Ok((k, der))
    })
    .context("cannot read or create the examiner's SM2 signing key")?;
    if made {
        announce(&k.public_key().fingerprint(), &p);
    }
    Ok((k, p))
}

fn announce(fp: &str, p: &Path) {
    eprintln!(
        "cunzheng: made a new signing key {fp} at {} (keep it private and backed up)",
        p.display()
    );
}

/// `cunzheng key …`.
pub fn run(json: bool, cmd: Option<KeyCommand>) -> Result<u8> {
    match cmd.unwrap_or(KeyCommand::Show) {
        KeyCommand::Show => {
            let (ed, ed_path) = ed25519()?;
            let (sm, sm_path) = sm2()?;
            show(json, &ed.public_key(), &ed_path, &sm.public_key(), &sm_path)
        }
        KeyCommand::Generate { algo, unencrypted } => {
            for a in algos(&algo)? {
                let p = path(a)?;
                if p.exists() {
                    eprintln!("cunzheng: {} exists; kept as it is", p.display());
                    continue;
                }
                let (der, fp) = match a {
                    Algo::Ed25519 => {
                        let k = Ed25519Signer::generate();
                        (k.to_pkcs8_der()?, k.public_key().fingerprint())
                    }
                    Algo::Sm2 => {
                        let k = Sm2Signer::generate();
                        (k.to_pkcs8_der()?, k.public_key().fingerprint())
                    }
                };
                write(a, &der, unencrypted)?;
                announce(&fp, &p);
            }
            Ok(crate::cli::EXIT_OK)
        }
        KeyCommand::Import {
            algo,
            file,
            unencrypted,
        } => {
            let [a] = algos(&algo)?[..] else {
                bail!("import one algorithm at a time: --algo ed25519 or --algo sm2");
            };
            let p = path(a)?;
            if p.exists() {
                bail!(
                    "{} exists: move it away first (seals it made stay verifiable by their public key in each case)",
                    p.display()
                );
            }
            let pem = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let what = file.display().to_string();
            // An imported encrypted key is opened with the same passphrase variable or prompt.
            let der = keystore::decode(&pem, &what, &mut || passphrase(false))?;
            let fp = match a {
                Algo::Ed25519 => Ed25519Signer::from_pkcs8_der(der.as_bytes(), &what)?
                    .public_key()
                    .fingerprint(),
                Algo::Sm2 => Sm2Signer::from_pkcs8_der(der.as_bytes(), &what)?
                    .public_key()
                    .fingerprint(),
            };
            write(a, der.as_bytes(), unencrypted)?;
            if json {
                println!("{}", serde_json::json!({"imported": fp, "path": p}));
            } else {
                println!("imported {fp} into {}", p.display());
            }
            Ok(crate::cli::EXIT_OK)
        }
        KeyCommand::Export { algo } => {
            let pem = match algos(&algo)?[..] {
                [Algo::Ed25519] => ed25519()?.0.public_key().to_pem(),
                [Algo::Sm2] => sm2()?.0.public_key().to_pem(),
                _ => bail!("export one algorithm at a time: --algo ed25519 or --algo sm2"),
            };
            print!("{pem}");
            Ok(crate::cli::EXIT_OK)
        }
    }
}

fn show(
    json: bool,
    ed: &PublicKey,
    ed_path: &Path,
    sm: &Sm2PublicKey,
    sm_path: &Path,
) -> Result<u8> {
    let enc = |p: &Path| std::fs::read_to_string(p).is_ok_and(|t| keystore::is_encrypted(&t));
    if json {
        println!(
            "{}",
            serde_json::json!({
                "fingerprint": ed.fingerprint(), "path": ed_path, "public_key_pem": ed.to_pem(),
                "encrypted": enc(ed_path),
                "sm2": {"fingerprint": sm.fingerprint(), "path": sm_path,
                        "public_key_pem": sm.to_pem(), "encrypted": enc(sm_path)},
            })
        );
    } else {
        for (fp, p, pem) in [
            (ed.fingerprint(), ed_path, ed.to_pem()),
            (sm.fingerprint(), sm_path, sm.to_pem()),
        ] {
            println!(
                "fingerprint: {fp}\nprivate key: {} ({})\n{pem}",
                p.display(),
                if enc(p) { "encrypted" } else { "NOT encrypted" }
            );
        }
    }
    Ok(crate::cli::EXIT_OK)
}
