//! `cunzheng recover` with a key, and `cunzheng decrypt`: SQLCipher databases (WeChat,
//! SQLCipher 1-4) are decrypted page by page into a plain working copy, then read like any
//! other database. The evidence file is only read.

use anyhow::{Context, Result, bail};
use cunzheng_sqlite::cipher::{self, CipherParams, Key};
use std::path::Path;

/// How to open an encrypted database.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KeyFlags {
    /// Raw 32-byte key, 64 hex digits (a SQLCipher x'…' key, or WeChat PC's key from memory).
    #[arg(long, value_name = "HEX", conflicts_with_all = ["passphrase", "wechat_imei"])]
    key: Option<String>,
    /// SQLCipher passphrase (`PRAGMA key = '…'`).
    #[arg(long, value_name = "P", conflicts_with = "wechat_imei")]
    passphrase: Option<String>,
    /// WeChat Android EnMicroMsg.db: the phone's IMEI (key = first 7 hex of MD5(IMEI + UIN)).
    #[arg(long, value_name = "IMEI", requires = "wechat_uin")]
    wechat_imei: Option<String>,
    /// WeChat Android: the account's UIN, as stored (it may be negative).
    #[arg(
        long,
        value_name = "UIN",
        requires = "wechat_imei",
        allow_hyphen_values = true
    )]
    wechat_uin: Option<String>,
    /// Parameter set; every set is tried in turn when not given.
    #[arg(long, value_parser = ["sqlcipher1", "sqlcipher2", "sqlcipher3", "sqlcipher4", "wechat-pc3", "wechat-pc4"])]
    cipher: Option<String>,
}

impl KeyFlags {
    /// The key the flags give, if any.
    pub fn key(&self) -> Result<Option<Key>> {
        Ok(
            match (
                &self.key,
                &self.passphrase,
                &self.wechat_imei,
                &self.wechat_uin,
            ) {
                (Some(h), _, _, _) => Some(Key::from_hex(h).context("--key")?),
                (_, Some(p), _, _) => Some(Key::Passphrase(p.as_bytes().to_vec())),
                (_, _, Some(imei), Some(uin)) => Some(Key::wechat_android(imei, uin)),
                _ => {
                    if self.cipher.is_some() {
                        bail!(
                            "--cipher needs a key: --key, --passphrase or --wechat-imei/--wechat-uin"
                        );
                    }
                    None
                }
            },
        )
    }

    fn params(&self) -> Option<CipherParams> {
        self.cipher.as_deref().and_then(cipher::params_named)
    }
}

fn describe(d: &cipher::Decrypted) -> String {
    let mut s = format!(
        "decrypted with {} ({} pages of {} bytes) into {}",
        d.params.name,
        d.pages,
        d.params.page_size,
        d.out.display()
    );
    if !d.bad_pages.is_empty() {
        s.push_str(&format!(
            "; {} pages failed their HMAC and were written as zeros: {:?}",
            d.bad_pages.len(),
            d.bad_pages
        ));
    }
    if d.trailing_bytes > 0 {
        s.push_str(&format!(
            "; {} trailing bytes not a whole page",
            d.trailing_bytes
        ));
    }
    s
}

/// `cunzheng decrypt DB --out PATH`.
pub fn decrypt(json: bool, db: &Path, out: &Path, flags: &KeyFlags) -> Result<u8> {
    let Some(key) = flags.key()? else {
        bail!("give the key: --key HEX, --passphrase P, or --wechat-imei IMEI --wechat-uin UIN");
    };
    let d = cipher::decrypt_file(db, out, &key, flags.params())
        .with_context(|| format!("decrypting {}", db.display()))?;
    if json {
        println!("{}", serde_json::to_string(&d)?);
    } else {
        println!("{}", describe(&d));
    }
    Ok(if d.bad_pages.is_empty() {
        crate::cli::EXIT_OK
    } else {
        crate::cli::EXIT_INCOMPLETE
    })
}

/// `cunzheng recover DB --key …`: decrypt the database into a temporary working copy, then
/// recover from it and from the WAL and journal as found, whose page images are decrypted as
/// they are read.
pub fn recover_encrypted(
    json: bool,
    db: &Path,
    wal: Option<&Path>,
    journal: Option<&Path>,
    key: &Key,
    flags: &KeyFlags,
) -> Result<u8> {
    let dir = tempfile::tempdir().context("creating a folder for the decrypted working copy")?;
    let name = db
        .file_name()
        .map(|n| format!("{}.plain", n.to_string_lossy()))
        .unwrap_or_else(|| "db.plain".into());
    let out = dir.path().join(name);
    let (cipher, tried) = cipher::PageCipher::open(db, key, flags.params())
        .with_context(|| format!("decrypting {}", db.display()))?;
    let file = std::fs::File::create_new(&out)
        .with_context(|| format!("writing the working copy {}", out.display()))?;
    let mut d = cipher::decrypt_to(db, &cipher, &mut std::io::BufWriter::new(file), &out)
        .with_context(|| format!("decrypting {}", db.display()))?;
    d.tried = tried;
    eprintln!("cunzheng: {}", describe(&d));
    let mut inputs = cunzheng_sqlite::Inputs::open(&out, wal, journal)
        .with_context(|| format!("recovering from {}", db.display()))?;
    inputs.cipher = Some(cipher);
    print_recovery(json, inputs, db)
}

/// Recovers from `inputs` and prints each row as it is placed (one JSON object per line with
/// `json`), then the tables; memory does not grow with the number of rows.
pub fn print_recovery(json: bool, inputs: cunzheng_sqlite::Inputs, db: &Path) -> Result<u8> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut error: Option<std::io::Error> = None;
    let r = cunzheng_sqlite::recover_each(inputs, &mut |row| {
        let written = if json {
            serde_json::to_writer(&mut out, &row)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            writeln!(
                out,
                "{} [{} page {} offset {} confidence {:.2}] {}{}",
                row.table,
                row.source,
                row.page,
                row.offset,
                row.confidence,
                serde_json::Value::from(row.values),
                if row.missing.is_empty() {
                    String::new()
                } else {
                    format!(" missing {:?}", row.missing)
                },
            )
        };
        match written {
            Ok(()) => std::ops::ControlFlow::Continue(()),
            Err(e) => {
                error = Some(e);
                std::ops::ControlFlow::Break(())
            }
        }
    })
    .with_context(|| format!("recovering from {}", db.display()))?;
    if let Some(e) = error {
        return Err(e.into());
    }
    if !json {
        for t in &r.tables {
            writeln!(
                out,
                "table {}: {} live rows, {} recovered",
                t.name, t.live_rows, t.recovered_rows
            )?;
        }
    }
    out.flush()?;
    drop(out);
    for p in &r.problems {
        eprintln!("cunzheng: warning: {p}");
    }
    Ok(crate::cli::EXIT_OK)
}
