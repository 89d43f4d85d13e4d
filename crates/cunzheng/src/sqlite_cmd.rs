//! `cunzheng recover` with a key, and `cunzheng decrypt`: SQLCipher databases (WeChat,
//! SQLCipher 1-4) are decrypted page by page into a plain working copy, then read like any
//! other database. The evidence file is only read.

use anyhow::{Context, Result, bail};
use cunzheng_case::Case;
use cunzheng_case::derive::Deriver;
use cunzheng_case::env::Actor;
use cunzheng_case::working::{self, Made};
use cunzheng_sqlite::cipher::{self, CipherParams, Key};
use std::path::{Path, PathBuf};

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

    /// What kind of key was given, for the custody log (never the key or what it is made of:
    /// an IMEI and UIN are the key).
    fn kind(&self) -> &'static str {
        if self.key.is_some() {
            "raw key (hex)"
        } else if self.passphrase.is_some() {
            "passphrase"
        } else {
            "WeChat Android IMEI + UIN"
        }
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

/// The exhibit preserved as `NAME-wal` beside exhibit `ex` (same folder or archive), if any.
fn wal_exhibit(
    layout: &cunzheng_case::layout::Layout,
    ex: &working::Exhibit,
) -> Result<Option<working::Exhibit>> {
    let items: Vec<_> = cunzheng_case::analysis::inputs(layout)?
        .items
        .into_iter()
        .map(|a| a.item)
        .collect();
    let pairs = cunzheng_case::derive::companions(&items, |_| PathBuf::new());
    let Some(wal) = pairs
        .get(&ex.item.number)
        .and_then(|cs| cs.iter().find(|c| c.role == "wal"))
    else {
        return Ok(None);
    };
    Ok(Some(working::find_exhibit(
        layout,
        &format!("#{}", wal.item),
    )?))
}

/// `cunzheng decrypt CASE_DIR --item EXHIBIT`: the exhibit (checked against its recorded
/// hash) is decrypted into a working copy in the staging area, the copy is parsed with the
/// chat formats (live and recovered messages), and both are staged as derived files of the
/// exhibit with a `decrypt` and a `parse` custody event, sealed by the next `seal`.
#[allow(clippy::too_many_arguments)]
pub fn decrypt_in_case(
    json: bool,
    case: &Case,
    actor: &Actor,
    target: &str,
    flags: &KeyFlags,
    opts: cunzheng_sources::Options,
    no_parse: bool,
) -> Result<u8> {
    let Some(key) = flags.key()? else {
        bail!("give the key: --key HEX, --passphrase P, or --wechat-imei IMEI --wechat-uin UIN");
    };
    let layout = case.layout();
    let ex = working::find_exhibit(layout, target)
        .with_context(|| format!("finding exhibit `{target}` in {}", layout.root().display()))?;
    let label = format!(
        "exhibit #{} ({})",
        ex.item.number,
        working::exhibit_name(&ex.item)
    );
    working::check_exhibit(&ex)
        .with_context(|| format!("checking {label} before decrypting it"))?;
    let (cipher, _) = cipher::PageCipher::open(&ex.path, &key, flags.params())
        .with_context(|| format!("decrypting {label}"))?;
    let copy = working::scratch(layout, "decrypt")?;
    let decrypted = std::fs::File::create_new(&copy)
        .map_err(anyhow::Error::from)
        .and_then(|f| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            Ok(cipher::decrypt_to(&ex.path, &cipher, &mut w, &copy)?)
        });
    let d = match decrypted {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_file(&copy);
            return Err(e.context(format!("decrypting {label} into {}", copy.display())));
        }
    };
    let p = d.params;
    let mut made = vec![Made {
        file: copy.clone(),
        action: "decrypt".into(),
        rel: |own, _| format!("{}/{own}.db", working::WORKING_DIR),
        from: None,
        also_from: Vec::new(),
        input: None,
        details: serde_json::json!({
            "tool": format!("cunzheng {}", env!("CARGO_PKG_VERSION")),
            "what": "SQLCipher page-by-page decryption into a plain working copy; page N of the copy is page N of the exhibit, free pages and free space included; the exhibit was only read",
            "cipher": p,
            "key": {"kind": flags.kind(), "fingerprint": cipher.key_fingerprint()},
            "pages": d.pages,
            "bad_pages": d.bad_pages,
            "trailing_bytes": d.trailing_bytes,
        }),
        summary: serde_json::json!({
            "working_copy": "decrypted",
            "cipher": p.name,
            "pages": d.pages,
            "bad_pages": d.bad_pages.len(),
        }),
    }];
    // The database's write-ahead log, preserved beside it, is decrypted too: beside the working
    // copy, so that the parse reads the database as the app saw it.
    let mut companions = Vec::new();
    let mut wal_summary = None;
    if let Some(wex) = wal_exhibit(layout, &ex)? {
        let wal_label = format!(
            "exhibit #{} ({})",
            wex.item.number,
            working::exhibit_name(&wex.item)
        );
        working::check_exhibit(&wex)
            .with_context(|| format!("checking {wal_label} before decrypting it"))?;
        let mut wal_copy = copy.clone().into_os_string();
        wal_copy.push("-wal");
        let wal_copy = PathBuf::from(wal_copy);
        let decrypted = std::fs::File::create_new(&wal_copy)
            .map_err(anyhow::Error::from)
            .and_then(|f| {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                Ok(cipher::decrypt_wal_to(
                    &wex.path, &cipher, &mut w, &wal_copy,
                )?)
            });
        let dw = match decrypted {
            Ok(dw) => dw,
            Err(e) => {
                let _ = std::fs::remove_file(&wal_copy);
                let _ = std::fs::remove_file(&copy);
                return Err(e.context(format!("decrypting {wal_label}")));
            }
        };
        companions.push(cunzheng_case::derive::Companion {
            role: "wal",
            item: wex.item.number,
            sha256: wex.item.digests.sha256.clone(),
            path: wal_copy.clone(),
        });
        wal_summary = Some(serde_json::json!({
            "exhibit": wex.item.number,
            "frames": dw.frames,
            "valid_frames": dw.valid_frames,
            "bad_frames": dw.bad_frames,
        }));
        made.push(Made {
            file: wal_copy,
            action: "decrypt".into(),
            rel: |own, _| format!("{}/{own}.db-wal", working::WORKING_DIR),
            from: None,
            also_from: Vec::new(),
            input: Some(format!(
                "exhibit {} sha256:{}",
                wex.item.number, wex.item.digests.sha256
            )),
            details: serde_json::json!({
                "tool": format!("cunzheng {}", env!("CARGO_PKG_VERSION")),
                "what": "SQLCipher write-ahead log decrypted frame by frame for the working copy of the database; frame headers kept, the checksums of the frames SQLite would have read recomputed over the decrypted pages; the exhibit was only read",
                "cipher": p,
                "key": {"kind": flags.kind(), "fingerprint": cipher.key_fingerprint()},
                "frames": dw.frames,
                "valid_frames": dw.valid_frames,
                "bad_frames": dw.bad_frames,
                "trailing_bytes": dw.trailing_bytes,
            }),
            summary: serde_json::json!({
                "working_copy": "decrypted write-ahead log",
                "cipher": p.name,
                "frames": dw.frames,
                "valid_frames": dw.valid_frames,
            }),
        });
    }
    let mut parse_summary = None;
    if !no_parse {
        let deriver = crate::deriver::MessageDeriver { opts };
        let msgs = working::scratch(layout, "parse")?;
        let file = std::fs::File::create_new(&msgs)
            .with_context(|| format!("writing {}", msgs.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
        let summary = deriver.derive(&ex.item, &copy, &companions, &mut w);
        let flushed = std::io::Write::flush(&mut w);
        drop(w);
        match (summary, flushed) {
            (Some(s), Ok(())) => {
                parse_summary = Some(s.clone());
                made.push(Made {
                    file: msgs,
                    action: "parse".into(),
                    rel: |own, from| cunzheng_case::derive::messages_rel(from.unwrap_or(own)),
                    from: Some(0),
                    also_from: (1..made.len()).collect(),
                    input: None,
                    details: serde_json::json!({
                        "settings": deriver.settings(),
                        "results": [s.clone()],
                    }),
                    summary: s,
                });
            }
            (_, flushed) => {
                let _ = std::fs::remove_file(&msgs);
                flushed.with_context(|| format!("writing {}", msgs.display()))?;
            }
        }
    }
    let staged = working::stage(layout, actor, &ex, made)
        .with_context(|| format!("staging what was derived from {label}"))?;
    let code = if d.bad_pages.is_empty() {
        crate::cli::EXIT_OK
    } else {
        crate::cli::EXIT_INCOMPLETE
    };
    if json {
        let v = serde_json::json!({
            "exhibit": {"number": ex.item.number, "sha256": ex.item.digests.sha256},
            "cipher": p,
            "key_fingerprint": cipher.key_fingerprint(),
            "pages": d.pages,
            "bad_pages": d.bad_pages,
            "files": staged.files,
            "wal": wal_summary,
            "parse": parse_summary,
            "staged": staged.new,
        });
        println!("{v}");
        return Ok(code);
    }
    println!(
        "{label}: {}",
        describe(&d).replace(&copy.display().to_string(), "a working copy")
    );
    println!("  key fingerprint {}", cipher.key_fingerprint());
    for f in &staged.files {
        println!("  {} (sha256 {})", f.path, f.sha256);
    }
    match &parse_summary {
        Some(s) if s.get("error").is_some() => println!(
            "  {} could not parse it: {}",
            s["parser"].as_str().unwrap_or("?"),
            s["error"].as_str().unwrap_or("?")
        ),
        Some(s) => println!(
            "  parsed with {}: {} messages in {} conversations",
            s["parser"].as_str().unwrap_or("?"),
            s["messages"],
            s["conversations"]
        ),
        None if no_parse => {}
        None => {
            println!("  no chat format recognised the decrypted database; only the copy is kept")
        }
    }
    if staged.new {
        println!(
            "  staged with custody events; seal them with: cunzheng seal {}",
            layout.root().display()
        );
    } else {
        println!("  already in the case with the same bytes: nothing new staged");
    }
    Ok(code)
}
