//! `cunzheng log …`: run a transparency log or a witness, submit a seal root, verify a
//! receipt. All logic is in `cunzheng-tlog`; this module parses flags and prints.

use crate::cli::{EXIT_DISCREPANCY, EXIT_OK};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use cunzheng_tlog::api::ConsistencyResponse;
use cunzheng_tlog::checkpoint::SignedCheckpoint;
use cunzheng_tlog::client::{self, Client};
use cunzheng_tlog::note::Verifier;
use cunzheng_tlog::receipt::{self, Receipt};
use cunzheng_tlog::server::{ServeConfig, Started};
use cunzheng_tlog::witness::{WitnessConfig, WitnessError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `cunzheng log` subcommands.
#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Run a transparency log of seal roots over HTTP (SQLite storage).
    Serve {
        /// Address to listen on (port 0 picks a free port and prints it).
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// The log database (created when missing).
        #[arg(long, default_value = "tlog.db")]
        db: PathBuf,
        /// The log's Ed25519 private key, PKCS#8 PEM (made when missing; default: DB.key.pem).
        #[arg(long)]
        key: Option<PathBuf>,
        /// The log's origin line and key name, e.g. `evidence.example.org/log`.
        #[arg(long, default_value = "cunzheng.local/log")]
        origin: String,
    },
    /// Witness a log: poll it, check each checkpoint extends the last one cosigned, cosign it
    /// (C2SP timestamped Ed25519 cosignature), keep both checkpoints as evidence on a fork.
    Witness {
        /// The watched log's base URL.
        #[arg(long)]
        log: String,
        /// The watched log's verifier key `NAME+KEYID+BASE64` (from its `log serve` output).
        #[arg(long)]
        log_key: String,
        /// Address to serve the cosigned checkpoint and the evidence on.
        #[arg(long, default_value = "127.0.0.1:8091")]
        bind: String,
        /// The witness database (created when missing).
        #[arg(long, default_value = "witness.db")]
        db: PathBuf,
        /// The witness's Ed25519 private key, PKCS#8 PEM (made when missing; default: DB.key.pem).
        #[arg(long)]
        key: Option<PathBuf>,
        /// The witness's key name.
        #[arg(long, default_value = "cunzheng.local/witness")]
        name: String,
        /// Seconds between polls of the log.
        #[arg(long, default_value_t = 10)]
        interval: u64,
    },
    /// Submit a seal's Merkle root to a log and print (or write) the receipt.
    Submit {
        /// The log's base URL, e.g. http://127.0.0.1:8090
        url: String,
        /// The root, hex (for a seal: its Merkle root).
        #[arg(long)]
        root: String,
        /// Write the receipt here instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Check a receipt offline: SET, checkpoint signature, inclusion; and, given a newer
    /// checkpoint, that the log did not fork. Exit 1 when anything fails.
    Verify {
        /// The receipt (JSON, as written by `log submit`).
        receipt: PathBuf,
        /// The log's verifier key `NAME+KEYID+BASE64` (default: the key stored in the
        /// receipt, which proves nothing about who runs the log).
        #[arg(long)]
        log_key: Option<String>,
        /// The root the receipt should be for, hex (default: the receipt's own).
        #[arg(long)]
        root: Option<String>,
        /// A newer signed checkpoint of the same log to check consistency against.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The consistency proof (JSON from GET /proof/consistency); without it, it is
        /// fetched from --url, else from the log URL stored in the receipt.
        #[arg(long, requires = "checkpoint")]
        proof: Option<PathBuf>,
        /// The log to fetch the consistency proof from (default: the receipt's log URL).
        #[arg(long, requires = "checkpoint")]
        url: Option<String>,
    },
}

/// Runs a `log` subcommand; returns the exit code.
pub fn run(cmd: LogCommand, json: bool) -> Result<u8> {
    match cmd {
        LogCommand::Serve {
            bind,
            db,
            key,
            origin,
        } => serve(json, bind, db, key, origin),
        LogCommand::Witness {
            log,
            log_key,
            bind,
            db,
            key,
            name,
            interval,
        } => witness(json, log, &log_key, bind, db, key, name, interval),
        LogCommand::Submit { url, root, out } => submit(json, &url, &root, out.as_deref()),
        LogCommand::Verify {
            receipt,
            log_key,
            root,
            checkpoint,
            proof,
            url,
        } => verify(
            json,
            &receipt,
            log_key.as_deref(),
            root.as_deref(),
            checkpoint.as_deref(),
            proof.as_deref(),
            url.as_deref(),
        ),
    }
}

fn default_key(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".key.pem");
    PathBuf::from(s)
}

fn serve(
    json: bool,
    bind: String,
    db: PathBuf,
    key: Option<PathBuf>,
    origin: String,
) -> Result<u8> {
    let cfg = ServeConfig {
        bind,
        key: key.unwrap_or_else(|| default_key(&db)),
        db,
        origin,
    };
    let ready = |s: &Started| {
        let mut out = std::io::stdout().lock();
        if json {
            let _ = writeln!(
                out,
                "{}",
                serde_json::json!({"listening": s.addr.to_string(), "log_key": s.vkey, "tree_size": s.size, "new_key": s.new_key})
            );
        } else {
            let _ = writeln!(out, "listening on http://{}", s.addr);
            let _ = writeln!(out, "log key: {}", s.vkey);
            let _ = writeln!(out, "tree size: {}", s.size);
            if s.new_key {
                let _ = writeln!(out, "a new log key was made in {}", cfg.key.display());
            }
        }
        let _ = out.flush();
    };
    cunzheng_tlog::server::run_blocking(&cfg, ready).with_context(|| {
        format!(
            "could not run the log on {} with database {}",
            cfg.bind,
            cfg.db.display()
        )
    })?;
    Ok(EXIT_OK)
}

#[allow(clippy::too_many_arguments)]
fn witness(
    json: bool,
    log: String,
    log_key: &str,
    bind: String,
    db: PathBuf,
    key: Option<PathBuf>,
    name: String,
    interval: u64,
) -> Result<u8> {
    let cfg = WitnessConfig {
        bind,
        key: key.unwrap_or_else(|| default_key(&db)),
        db,
        name,
        log_url: log,
        log_key: Verifier::parse(log_key).context("--log-key is not NAME+KEYID+BASE64")?,
        interval: std::time::Duration::from_secs(interval.max(1)),
    };
    let ready = |addr: std::net::SocketAddr, vkey: &str| {
        let mut out = std::io::stdout().lock();
        if json {
            let _ = writeln!(
                out,
                "{}",
                serde_json::json!({"listening": addr.to_string(), "witness_key": vkey})
            );
        } else {
            let _ = writeln!(out, "witness listening on http://{addr}");
            let _ = writeln!(out, "witness key: {vkey}");
        }
        let _ = out.flush();
    };
    let report = move |r: &Result<String, WitnessError>| {
        let line = match r {
            Ok(note) => {
                let size = SignedCheckpoint::parse(note.as_bytes())
                    .map(|c| c.checkpoint.size)
                    .unwrap_or(0);
                if json {
                    serde_json::json!({"cosigned_size": size}).to_string()
                } else {
                    format!("cosigned tree size {size}")
                }
            }
            Err(e) => {
                if json {
                    serde_json::json!({"refused": e.to_string()}).to_string()
                } else {
                    format!("not cosigned: {e}")
                }
            }
        };
        eprintln!("{line}");
    };
    cunzheng_tlog::witness::run_blocking(&cfg, ready, report).with_context(|| {
        format!(
            "could not run the witness on {} with database {}",
            cfg.bind,
            cfg.db.display()
        )
    })?;
    Ok(EXIT_OK)
}

fn submit(json: bool, url: &str, root: &str, out: Option<&Path>) -> Result<u8> {
    let entry = hex::decode(root.trim()).context("--root must be hex (a seal's Merkle root)")?;
    let receipt = client::submit(url, &entry)
        .with_context(|| format!("the log at {url} did not accept the root; is it running?"))?;
    let text = serde_json::to_string_pretty(&receipt)? + "\n";
    match out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("could not write the receipt to {}", path.display()))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"receipt": path, "index": receipt.index, "timestamp_ms": receipt.timestamp_ms})
                );
            } else {
                println!(
                    "logged as entry {} at {} ms; receipt written to {}",
                    receipt.index,
                    receipt.timestamp_ms,
                    path.display()
                );
            }
        }
        None => print!("{text}"),
    }
    Ok(EXIT_OK)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("could not read {}", path.display()))
}

fn verify(
    json: bool,
    receipt_path: &Path,
    log_key: Option<&str>,
    root: Option<&str>,
    checkpoint: Option<&Path>,
    proof: Option<&Path>,
    url: Option<&str>,
) -> Result<u8> {
    let receipt: Receipt = serde_json::from_slice(&read(receipt_path)?)
        .with_context(|| format!("{} is not a log receipt", receipt_path.display()))?;
    let key_text = log_key.unwrap_or(&receipt.log_key);
    let key = Verifier::parse(key_text).context("the log key is not NAME+KEYID+BASE64")?;
    let entry =
        hex::decode(root.unwrap_or(&receipt.entry_hex).trim()).context("--root must be hex")?;
    let mut problems = Vec::new();
    let verified = match receipt.verify(&entry, &key) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("receipt: {e}"));
            None
        }
    };
    let mut consistent = None;
    if let Some(cp_path) = checkpoint {
        let newer = SignedCheckpoint::parse_verified(&read(cp_path)?, &key).with_context(|| {
            format!(
                "{} is not a checkpoint signed by the log key",
                cp_path.display()
            )
        })?;
        let older = receipt
            .checkpoint(&key)
            .context("the receipt's checkpoint")?;
        let (o, n) = (older.checkpoint.size, newer.checkpoint.size);
        let hashes = match (proof, url) {
            (Some(p), _) => {
                let r: ConsistencyResponse = serde_json::from_slice(&read(p)?)
                    .with_context(|| format!("{} is not a consistency proof", p.display()))?;
                if (r.old_size, r.new_size) != (o, n) {
                    bail!(
                        "the proof is for sizes {}..{}, the checkpoints are {o}..{n}",
                        r.old_size,
                        r.new_size
                    );
                }
                client::parse_hashes(&r.proof, &p.display().to_string())?
            }
            (None, u) if o > 0 && o < n => {
                // Without --proof or --url, ask the log the receipt came from.
                let u = u.unwrap_or(&receipt.log_url);
                Client::new(u)
                    .consistency(o, n)
                    .with_context(|| format!("could not fetch the consistency proof from {u}; give --proof FILE to check offline"))?
            }
            (None, _) => Vec::new(),
        };
        match receipt::verify_consistency(&key, &older, &newer, &hashes) {
            Ok(()) => consistent = Some(n),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "ok": problems.is_empty(),
                "log_key": key.to_vkey(),
                "log_key_from_receipt": log_key.is_none(),
                "receipt": verified,
                "consistent_with_size": consistent,
                "problems": problems,
            })
        );
    } else {
        if log_key.is_none() {
            println!(
                "note: using the log key stored in the receipt; pass --log-key to check against a key you trust"
            );
        }
        if let Some(v) = &verified {
            println!(
                "receipt OK: entry {} of log {} at {} ms, included in the signed tree of size {} (root {})",
                v.index, v.origin, v.timestamp_ms, v.tree_size, v.root
            );
        }
        if let Some(n) = consistent {
            println!("the newer checkpoint (size {n}) is consistent with the receipt's");
        }
        for p in &problems {
            println!("FAILED: {p}");
        }
    }
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_DISCREPANCY
    })
}
