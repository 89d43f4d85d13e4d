//! Flags and the commands they run. No evidence logic lives here: each command calls the
//! libraries and prints what they return.

use crate::progress::Bar;
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use cunzheng_case::env::Actor;
use cunzheng_case::error::CaseError;
use cunzheng_case::ingest::{Acquisition, Limits};
use cunzheng_case::seal::SealOutcome;
use cunzheng_case::verify::VerifyReport;
use cunzheng_case::{Case, NewCase};
use cunzheng_seal::proof::InclusionProof;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Everything is fine.
pub const EXIT_OK: u8 = 0;
/// Verification found discrepancies.
pub const EXIT_DISCREPANCY: u8 = 1;
/// The command could not do its job.
pub const EXIT_ERROR: u8 = 2;
/// Preserved, but some inputs could not be read.
pub const EXIT_INCOMPLETE: u8 = 3;

/// 存证 cunzheng: preserve chat records as evidence that anyone can verify.
#[derive(Parser, Debug)]
#[command(name = "cunzheng", version, about, long_about = None)]
pub struct Args {
    /// Print one JSON object for machines instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a case, preserve every PATH in it and seal it: the main job, in one command.
    Preserve {
        /// Files, folders or .zip archives to preserve.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The case folder to create (must not exist or be empty).
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        case: CaseFlags,
        #[command(flatten)]
        who: WhoFlags,
        #[command(flatten)]
        parse: ParseFlags,
        #[command(flatten)]
        tsa: crate::anchors::TsaFlags,
        #[command(flatten)]
        log: crate::anchors::LogFlags,
        /// Do not write the report (PDF and HTML in CASE_DIR/reports/) after sealing.
        #[arg(long)]
        no_report: bool,
    },
    /// Case management.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Preserve more files, folders or .zip archives into a case (sealed by `seal`).
    Add {
        /// The case folder.
        case_dir: PathBuf,
        /// Files, folders or .zip archives.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        who: WhoFlags,
        #[command(flatten)]
        parse: ParseFlags,
    },
    /// Seal what was added into a new seal version (earlier versions stay verifiable), and
    /// have it time-stamped by the --tsa authorities and logged by the --log transparency logs
    /// (or those of the config file). With --tsa or --log and nothing new to seal, the latest
    /// seal is anchored. Exit 3 when a time-stamp or log receipt could not be obtained (it
    /// stays pending for `stamp`).
    Seal {
        /// The case folder.
        case_dir: PathBuf,
        #[command(flatten)]
        who: WhoFlags,
        #[command(flatten)]
        tsa: crate::anchors::TsaFlags,
        #[command(flatten)]
        log: crate::anchors::LogFlags,
    },
    /// Send pending time-stamp requests and log submissions again (made while a TSA or log
    /// could not be reached).
    /// Exit 3 when some are still pending.
    Stamp {
        /// The case folder.
        case_dir: PathBuf,
        #[command(flatten)]
        who: WhoFlags,
    },
    /// Recompute every hash, manifest, Merkle root, custody-log link and signature.
    /// Exit 0 when intact, 1 when anything differs, 2 when CASE_DIR is not a case.
    Verify {
        /// The case folder.
        case_dir: PathBuf,
        /// Check every RFC 3161 token against these trust roots (PEM, obtained outside the
        /// case; repeatable) instead of the roots stored beside each token.
        #[arg(long = "tsa-ca", value_name = "PEM")]
        tsa_ca: Vec<PathBuf>,
        /// Check every transparency-log receipt against this log key (`NAME+KEYID+BASE64` or a
        /// file holding it, obtained outside the case; repeatable) instead of the stored one.
        #[arg(long = "log-key", value_name = "VKEY")]
        log_key: Vec<String>,
    },
    /// Write a Merkle inclusion proof for one sealed file.
    Prove {
        /// The case folder.
        case_dir: PathBuf,
        /// The file: a path inside the bag, an exhibit number, a SHA-256, the original path,
        /// or a copy of the file on disk.
        file: String,
        /// Where to write the proof (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Check an inclusion proof on its own (optionally against a copy of the file).
    VerifyProof {
        /// The proof file.
        proof: PathBuf,
        /// A copy of the exhibit to check against the proven hash.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Rebuild the case's SQLite index from the bag.
    Reindex {
        /// The case folder.
        case_dir: PathBuf,
    },
    /// Render the court-ready report (PDF/A, HTML), drafts, CASE/UCO export; optionally redacted.
    Report(crate::report_cmd::ReportArgs),
    /// The examiner's keys (Ed25519 and SM2): show (default), generate, import, export.
    /// Private keys are encrypted with a passphrase (CUNZHENG_KEY_PASSPHRASE or a prompt).
    Key {
        #[command(subcommand)]
        cmd: Option<crate::keys::KeyCommand>,
    },
    /// Parse one chat export or database and print its messages (JSON lines with --json).
    /// Large WhatsApp exports are parsed on every core (CUNZHENG_THREADS=N sets how many
    /// threads; the output is the same).
    Parse {
        /// The file.
        file: PathBuf,
        /// Format id (see `cunzheng formats`), or `auto` to detect from the content.
        #[arg(long, default_value = "auto")]
        format: String,
        /// Time zone of wall-clock times in the export, e.g. Asia/Shanghai (otherwise guessed
        /// and marked as guessed).
        #[arg(long)]
        tz: Option<String>,
        /// Names or accounts of the device owner, to tell sent from received (repeatable).
        #[arg(long)]
        owner: Vec<String>,
    },
    /// List the chat formats cunzheng reads.
    Formats,
    /// Transparency log: serve one, witness one, submit a seal root, verify a receipt.
    #[command(subcommand)]
    Log(crate::log_cmd::LogCommand),
    /// Score texts outside a case for scam type: JSON lines on stdin ({"id", "text"} or
    /// {"id", "turns": [{"speaker", "text"}]}), one verdict per line on stdout.
    Classify,
    /// Analyse a case's parsed messages: entities (phones, cards, accounts, addresses,
    /// amounts), money trail and timeline checks. The findings are staged as derived files and
    /// sealed by the next `seal`.
    Scan {
        /// The case folder.
        case_dir: PathBuf,
        #[command(flatten)]
        scan: ScanFlags,
        #[command(flatten)]
        who: WhoFlags,
    },
    /// List identifiers (phones, bank cards, accounts, crypto addresses, URLs, QQ/WeChat IDs)
    /// shared by two or more cases (串并案), with where each appears.
    Link {
        /// The case folders.
        #[arg(required = true, num_args = 2..)]
        case_dirs: Vec<PathBuf>,
    },
    /// Recover deleted rows from a SQLite database (read-only; with --json one object per row).
    Recover {
        /// The database file.
        db: PathBuf,
        /// Its write-ahead log (e.g. DB-wal).
        #[arg(long)]
        wal: Option<PathBuf>,
        /// Its rollback journal (e.g. DB-journal).
        #[arg(long)]
        journal: Option<PathBuf>,
        #[command(flatten)]
        key: crate::sqlite_cmd::KeyFlags,
    },
    /// Decrypt a SQLCipher database (WeChat, SQLCipher 1-4) page by page into a plain working
    /// copy that keeps free pages and free space; the original is only read. For an exhibit of
    /// a case (CASE_DIR --item EXHIBIT), the copy and the messages parsed from it, deleted ones
    /// recovered from its free space included, are staged as derived files of the exhibit with
    /// custody events (cipher parameters and a key fingerprint, never the key), for the next
    /// `seal`. Exit 3 when some pages failed their HMAC (written as zeros).
    Decrypt {
        /// The encrypted database file, or a case folder (with --item).
        db: PathBuf,
        /// Where to write the plain copy of a database file (must not exist).
        #[arg(long, conflicts_with = "item")]
        out: Option<PathBuf>,
        /// The exhibit to decrypt in the case folder: exhibit number, SHA-256, bag path, or
        /// the path or name it was acquired as.
        #[arg(long, value_name = "EXHIBIT")]
        item: Option<String>,
        #[command(flatten)]
        key: crate::sqlite_cmd::KeyFlags,
        #[command(flatten)]
        who: WhoFlags,
        #[command(flatten)]
        parse: ParseFlags,
    },
}

#[derive(Subcommand, Debug)]
enum CaseCommand {
    /// Create an empty, sealed case.
    New {
        /// The case folder to create.
        case_dir: PathBuf,
        #[command(flatten)]
        case: CaseFlags,
        #[command(flatten)]
        who: WhoFlags,
    },
}

#[derive(clap::Args, Debug)]
struct CaseFlags {
    /// Case identifier (default: generated from the time).
    #[arg(long)]
    case_id: Option<String>,
    /// Case title.
    #[arg(long)]
    title: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ParseFlags {
    /// Time zone of wall-clock times in the exports, e.g. Asia/Shanghai (otherwise
    /// Asia/Shanghai is assumed and every such time is marked as guessed).
    #[arg(long)]
    tz: Option<String>,
    /// Names or accounts of the device owner, to tell sent from received (repeatable).
    #[arg(long)]
    owner: Vec<String>,
    /// Preserve only; do not parse messages.
    #[arg(long)]
    no_parse: bool,
}

#[derive(clap::Args, Debug)]
struct ScanFlags {
    /// Names or accounts of the device owner (the victim), for transfers whose direction the
    /// source does not give (repeatable).
    #[arg(long = "victim")]
    victim: Vec<String>,
    /// A silence longer than this many days inside a conversation is reported as a gap.
    #[arg(long, default_value_t = 7)]
    gap_days: u32,
}

#[derive(clap::Args, Debug)]
struct WhoFlags {
    /// The examiner's name for the custody log (default: $CUNZHENG_EXAMINER, else $USER).
    #[arg(long)]
    examiner: Option<String>,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> Result<u8> {
    let json = args.json;
    let bar = Bar::new(!args.quiet && !json);
    match args.command {
        Command::Preserve {
            paths,
            out,
            case,
            who,
            parse,
            tsa,
            log,
            no_report,
        } => {
            let tsas = crate::anchors::tsas(&tsa)?;
            let logs = crate::anchors::logs(&log)?;
            let actor = actor(&who)?;
            let c = create(&out, &case, &actor)?;
            let acq = add(&c, &paths, &actor, &bar, &parse)?;
            // The findings are sealed with the first seal.
            let scanned =
                if parse.no_parse {
                    None
                } else {
                    let opts = crate::analyze::ScanOptions {
                        owner: parse.owner.clone(),
                        gap_days: None,
                    };
                    Some(crate::analyze::scan_case(&c, &actor, &opts, &bar).context(
                        "analysing the parsed messages; nothing was sealed from this run",
                    )?)
                };
            let sealed = seal(&c, &actor)?;
            let anchors = anchor_seal(&c, &actor, sealed.as_ref(), &tsas, &logs, false)?;
            if let Some(s) = &scanned
                && !json
            {
                crate::analyze::print_scan(false, s, sealed.is_some())?;
            }
            // The case is sealed before the report is tried: a failed render loses nothing.
            let reports = (!no_report).then(|| crate::report_cmd::after_preserve(&out));
            let code = report_preserved(
                json,
                &c,
                Some(&acq),
                sealed.as_ref(),
                &anchors,
                reports.as_ref(),
            )?;
            Ok(match reports {
                Some(Err(_)) if code == EXIT_OK => EXIT_INCOMPLETE,
                _ => code,
            })
        }
        Command::Case(CaseCommand::New {
            case_dir,
            case,
            who,
        }) => {
            let actor = actor(&who)?;
            let c = create(&case_dir, &case, &actor)?;
            let sealed = seal(&c, &actor)?;
            report_preserved(json, &c, None, sealed.as_ref(), &[], None)
        }
        Command::Add {
            case_dir,
            paths,
            who,
            parse,
        } => {
            let actor = actor(&who)?;
            let c = open(&case_dir)?;
            let acq = add(&c, &paths, &actor, &bar, &parse)?;
            print_acquisition(json, &acq, &case_dir)?;
            Ok(if acq.is_incomplete() {
                EXIT_INCOMPLETE
            } else {
                EXIT_OK
            })
        }
        Command::Seal {
            case_dir,
            who,
            tsa,
            log,
        } => {
            let tsas = crate::anchors::tsas(&tsa)?;
            let logs = crate::anchors::logs(&log)?;
            let actor = actor(&who)?;
            let c = open(&case_dir)?;
            let sealed = seal(&c, &actor)?;
            let latest = !tsa.urls.is_empty() || !log.log_urls.is_empty();
            let anchors = anchor_seal(&c, &actor, sealed.as_ref(), &tsas, &logs, latest)?;
            report_preserved(json, &c, None, sealed.as_ref(), &anchors, None)
        }
        Command::Stamp { case_dir, who } => {
            let actor = actor(&who)?;
            let c = open(&case_dir)?;
            crate::anchors::stamp(json, &c, &actor)
        }
        Command::Verify {
            case_dir,
            tsa_ca,
            log_key,
        } => verify(json, &case_dir, &tsa_ca, &log_key, &bar),
        Command::Report(args) => crate::report_cmd::report(json, args),
        Command::Prove {
            case_dir,
            file,
            out,
        } => {
            let c = open(&case_dir)?;
            let proof = cunzheng_case::prove::prove(c.layout(), &file)
                .with_context(|| format!("cannot prove `{file}`"))?;
            let text = serde_json::to_string_pretty(&proof)? + "\n";
            match out {
                Some(p) => {
                    std::fs::write(&p, &text)
                        .with_context(|| format!("writing {}", p.display()))?;
                    if !json {
                        eprintln!("proof for {} written to {}", proof.path, p.display());
                    }
                }
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
            Ok(EXIT_OK)
        }
        Command::VerifyProof { proof, file } => verify_proof(json, &proof, file.as_deref()),
        Command::Reindex { case_dir } => {
            let c = open(&case_dir)?;
            let stats =
                cunzheng_case::index::rebuild(c.layout()).context("rebuilding the index")?;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                println!(
                    "index rebuilt: {} items, {} skipped, {} custody events, {} seals",
                    stats.items, stats.skipped, stats.custody_events, stats.seals
                );
            }
            Ok(EXIT_OK)
        }
        Command::Parse {
            file,
            format,
            tz,
            owner,
        } => parse(json, &file, &format, tz, owner),
        Command::Recover {
            db,
            wal,
            journal,
            key,
        } => match key.key()? {
            None => recover(json, &db, wal.as_deref(), journal.as_deref()),
            Some(k) => crate::sqlite_cmd::recover_encrypted(
                json,
                &db,
                wal.as_deref(),
                journal.as_deref(),
                &k,
                &key,
            ),
        },
        Command::Decrypt {
            db,
            out,
            item,
            key,
            who,
            parse,
        } => match (item, out) {
            (Some(item), _) => {
                let actor = actor(&who)?;
                let c = open(&db)?;
                let opts = cunzheng_sources::Options {
                    zone: parse.tz.clone(),
                    fallback_zone: None,
                    owner: parse.owner.clone(),
                };
                crate::sqlite_cmd::decrypt_in_case(
                    json,
                    &c,
                    &actor,
                    &item,
                    &key,
                    opts,
                    parse.no_parse,
                )
            }
            (None, Some(out)) => crate::sqlite_cmd::decrypt(json, &db, &out, &key),
            (None, None) if db.join(cunzheng_case::layout::CASE_JSON).is_file() => {
                bail!(
                    "{} is a case: name the exhibit to decrypt with --item (exhibit number, SHA-256 or original path)",
                    db.display()
                )
            }
            (None, None) => bail!("give --out PATH for the plain copy of {}", db.display()),
        },
        Command::Log(cmd) => crate::log_cmd::run(cmd, json),
        Command::Scan {
            case_dir,
            scan,
            who,
        } => {
            let actor = actor(&who)?;
            let c = open(&case_dir)?;
            let opts = crate::analyze::ScanOptions {
                owner: scan.victim,
                gap_days: Some(scan.gap_days),
            };
            let s = crate::analyze::scan_case(&c, &actor, &opts, &bar)?;
            crate::analyze::print_scan(json, &s, false)?;
            Ok(EXIT_OK)
        }
        Command::Link { case_dirs } => crate::analyze::link(json, &case_dirs, &bar),
        Command::Formats => {
            formats(json);
            Ok(EXIT_OK)
        }
        Command::Classify => crate::classify::run(json),
        Command::Key { cmd } => crate::keys::run(json, cmd),
    }
}

fn actor(who: &WhoFlags) -> Result<Actor> {
    let name = who
        .examiner
        .clone()
        .or_else(|| std::env::var("CUNZHENG_EXAMINER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "examiner".into());
    let (signer, _) = crate::keys::ed25519()?;
    let (sm2, _) = crate::keys::sm2()?;
    Ok(Actor::new(name, Box::new(signer)).with_sm2(sm2))
}

fn create(dir: &Path, flags: &CaseFlags, actor: &Actor) -> Result<Case> {
    let new = NewCase {
        case_id: flags.case_id.clone().unwrap_or_default(),
        title: flags.title.clone().unwrap_or_default(),
    };
    Case::create(dir, &new, actor)
        .with_context(|| format!("cannot create the case {}", dir.display()))
}

fn open(dir: &Path) -> Result<Case> {
    Case::open(dir).with_context(|| format!("cannot open the case {}", dir.display()))
}

fn add(
    c: &Case,
    paths: &[PathBuf],
    actor: &Actor,
    bar: &Bar,
    parse: &ParseFlags,
) -> Result<Acquisition> {
    let deriver = crate::deriver::MessageDeriver {
        opts: cunzheng_sources::Options {
            zone: parse.tz.clone(),
            fallback_zone: None,
            owner: parse.owner.clone(),
        },
    };
    let result = if parse.no_parse {
        c.add(paths, actor, &Limits::default(), bar)
            .map(|a| (a, Vec::new()))
    } else {
        c.add_with(paths, actor, &Limits::default(), bar, &deriver)
    };
    result.map(|(acq, derived)| {
        for d in &derived {
            let s = &d.summary;
            if let Some(err) = s.get("error").and_then(|e| e.as_str()) {
                eprintln!("  exhibit {}: {} could not parse it: {err}", d.item, s["parser"].as_str().unwrap_or("?"));
            }
        }
        acq
    }).map_err(|e| {
        let hint = if e.is_disk_full() {
            "the disk holding the case is full: free space (or choose another --out) and run `cunzheng add` again; nothing sealed before was touched"
        } else {
            "nothing was sealed from this run; fix the cause and run it again"
        };
        anyhow::Error::new(e).context(hint)
    })
}

fn seal(c: &Case, actor: &Actor) -> Result<Option<SealOutcome>> {
    c.seal(actor).map_err(|e| {
        let hint = if e.is_disk_full() {
            "sealing stopped because the disk is full: free space and run `cunzheng seal` again to finish it"
        } else {
            "sealing failed; the previous seal still verifies. Run `cunzheng seal` again to finish"
        };
        anyhow::Error::new(e).context(hint)
    })
}

/// Time-stamps the seal just made and submits it to the logs (or, when `latest` and nothing
/// was new, the latest seal).
fn anchor_seal(
    c: &Case,
    actor: &Actor,
    sealed: Option<&SealOutcome>,
    tsas: &[cunzheng_case::anchor::Tsa],
    logs: &[cunzheng_case::anchor::Log],
    latest: bool,
) -> Result<Vec<cunzheng_case::anchor::AnchorStatus>> {
    if tsas.is_empty() && logs.is_empty() {
        return Ok(Vec::new());
    }
    let version = match sealed {
        Some(s) => s.version,
        None if latest => match cunzheng_case::bag::seal_versions(c.layout()).last() {
            Some(&v) => v,
            None => return Ok(Vec::new()),
        },
        None => return Ok(Vec::new()),
    };
    let mut st = if tsas.is_empty() {
        Vec::new()
    } else {
        crate::anchors::request(c, actor, version, tsas)?
    };
    if !logs.is_empty() {
        st.extend(crate::anchors::request_logs(c, actor, version, logs)?);
    }
    Ok(st)
}

fn report_preserved(
    json: bool,
    c: &Case,
    acq: Option<&Acquisition>,
    sealed: Option<&SealOutcome>,
    anchors: &[cunzheng_case::anchor::AnchorStatus],
    reports: Option<&Result<Vec<cunzheng_report::Written>, String>>,
) -> Result<u8> {
    let meta = c.meta()?;
    let dir = c.layout().root();
    let code = if acq.is_some_and(Acquisition::is_incomplete) {
        EXIT_INCOMPLETE
    } else {
        crate::anchors::exit_code(anchors)
    };
    if json {
        let v = serde_json::json!({
            "case_dir": dir,
            "case_id": meta.case_id,
            "acquisition": acq.map(summary),
            "seal": sealed,
            "anchors": anchors,
            "reports": reports.map(|r| match r {
                Ok(w) => serde_json::json!({"written": w}),
                Err(e) => serde_json::json!({"error": e}),
            }),
        });
        println!("{v}");
        return Ok(code);
    }
    if let Some(a) = acq {
        print_acquisition(false, a, dir)?;
    }
    match sealed {
        Some(s) => println!(
            "sealed case {} (version {}): {} payload files, Merkle root {}\n  signed by {}\n  check it any time with: cunzheng verify {}",
            meta.case_id,
            s.version,
            s.tree_size,
            s.merkle_root,
            s.key,
            dir.display()
        ),
        None => println!("nothing new to seal in {}", dir.display()),
    }
    crate::anchors::print(anchors);
    match reports {
        Some(Ok(written)) => {
            for w in written {
                println!("  report: {}", w.path.display());
            }
        }
        Some(Err(e)) => println!(
            "  the case is sealed, but the report could not be made: {e}\n  try again with: cunzheng report {}",
            dir.display()
        ),
        None => {}
    }
    Ok(code)
}

fn summary(a: &Acquisition) -> serde_json::Value {
    serde_json::json!({
        "items": a.items.len(),
        "bytes": a.items.iter().map(|i| i.size).sum::<u64>(),
        "duplicates": a.items.iter().filter(|i| i.first_seen_as.is_some()).count(),
        "skipped": a.skipped,
        "notices": a.notices,
        "incomplete": a.is_incomplete(),
    })
}

fn print_acquisition(json: bool, a: &Acquisition, dir: &Path) -> Result<()> {
    if json {
        println!("{}", summary(a));
        return Ok(());
    }
    let bytes: u64 = a.items.iter().map(|i| i.size).sum();
    let dups = a.items.iter().filter(|i| i.first_seen_as.is_some()).count();
    println!(
        "preserved {} item(s), {} bytes ({} duplicate(s) stored once) into {}",
        a.items.len(),
        bytes,
        dups,
        dir.display()
    );
    for s in &a.skipped {
        println!("  not preserved: {} [{}]: {}", s.location, s.what, s.reason);
    }
    for s in &a.notices {
        println!("  note: {} [{}]: {}", s.location, s.what, s.reason);
    }
    if a.is_incomplete() {
        println!("  some inputs could not be read (listed above, and recorded in the custody log)");
    }
    Ok(())
}

fn verify(
    json: bool,
    dir: &Path,
    tsa_ca: &[PathBuf],
    log_keys: &[String],
    bar: &Bar,
) -> Result<u8> {
    let opts = cunzheng_case::verify::Options {
        tsa_roots_pem: crate::anchors::roots_option(tsa_ca)?,
        log_keys: crate::anchors::log_keys_option(log_keys)?,
    };
    let report = match cunzheng_case::verify::verify_with(dir, bar, &opts) {
        Ok(r) => r,
        Err(e @ CaseError::NotACase { .. }) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"case_dir": dir, "error": e.to_string()})
                );
            } else {
                eprintln!("cunzheng: {e}");
            }
            return Ok(EXIT_ERROR);
        }
        Err(e) => return Err(e).context("verification could not run"),
    };
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.intact {
        EXIT_OK
    } else {
        EXIT_DISCREPANCY
    })
}

fn print_report(r: &VerifyReport) {
    let id = r.case_id.as_deref().unwrap_or("?");
    if r.intact {
        println!(
            "INTACT: case {id}, seal version {}, {} files ({} bytes), {} seals, {} custody events checked",
            r.seal_version.map_or("-".into(), |v| v.to_string()),
            r.files_checked,
            r.bytes_checked,
            r.seals_checked,
            r.custody_events
        );
        if let Some(root) = &r.merkle_root {
            println!("  Merkle root {root}");
        }
        println!("  signing keys: {}", r.signing_keys.join(", "));
    } else {
        println!(
            "NOT INTACT: case {id}: {} discrepancies",
            r.discrepancies.len()
        );
        for d in &r.discrepancies {
            print!("  {}: {} ({})", d.path, d.detail, d.kind);
            if let (Some(e), Some(a)) = (&d.expected, &d.actual) {
                print!("\n      expected {e}\n      actual   {a}");
            }
            println!();
        }
    }
    crate::anchors::print(&r.anchors);
    for n in &r.notes {
        println!("  note: {n}");
    }
}

fn verify_proof(json: bool, path: &Path, file: Option<&Path>) -> Result<u8> {
    let text =
        std::fs::read(path).with_context(|| format!("reading the proof {}", path.display()))?;
    let proof: InclusionProof = match serde_json::from_slice(&text) {
        Ok(p) => p,
        Err(e) => bail!("{} is not a cunzheng inclusion proof: {e}", path.display()),
    };
    let bytes = match file {
        Some(f) => Some(std::fs::read(f).with_context(|| format!("reading {}", f.display()))?),
        None => None,
    };
    match proof.check(bytes.as_deref()) {
        Ok(o) => {
            if json {
                println!("{}", serde_json::json!({"valid": true, "proof": o}));
            } else {
                println!(
                    "VALID: {} (sha256 {}) is in seal {} of case {}, sealed {} by {}\n  key {}\n  Merkle root {}{}",
                    o.path,
                    o.sha256,
                    o.seal_version,
                    o.case_id,
                    o.sealed_at,
                    o.examiner,
                    o.key,
                    o.merkle_root,
                    if o.file_checked {
                        "\n  the file given matches"
                    } else {
                        ""
                    }
                );
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"valid": false, "error": e.to_string()})
                );
            } else {
                println!("INVALID: {e}");
            }
            Ok(EXIT_DISCREPANCY)
        }
    }
}

/// Prints records as JSON lines (see [`crate::jsonl`]) into a large buffer written straight
/// to stdout's descriptor: no `serde_json::Value` per record, no line-buffered writes.
struct JsonPrinter {
    out: std::fs::File,
    buf: Vec<u8>,
    error: Option<std::io::Error>,
}

impl JsonPrinter {
    fn new() -> std::io::Result<Self> {
        use std::os::fd::AsFd;
        Ok(Self {
            out: std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?),
            buf: Vec::with_capacity(1 << 20),
            error: None,
        })
    }

    fn written(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r.and_then(|()| {
            if self.buf.len() >= 1 << 20 {
                self.flush()
            } else {
                Ok(())
            }
        }) {
            self.error.get_or_insert(e);
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.out.write_all(&self.buf);
        self.buf.clear();
        r
    }

    /// Writes what is left; the first error, if any.
    fn finish(&mut self) -> std::io::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.flush(),
        }
    }
}

impl cunzheng_sources::Sink for JsonPrinter {
    fn conversation(&mut self, c: cunzheng_model::Conversation) {
        let r = crate::jsonl::record(&mut self.buf, "conversation", &c);
        self.written(r);
    }
    fn message(&mut self, m: cunzheng_model::Message) {
        let r = crate::jsonl::message(&mut self.buf, &m);
        self.written(r);
    }
    fn unparsed(&mut self, u: cunzheng_model::Unparsed) {
        let r = crate::jsonl::record(&mut self.buf, "unparsed", &u);
        self.written(r);
    }
    fn warning(&mut self, w: String) {
        eprintln!("cunzheng: warning: {w}");
    }
    fn fork(&self) -> Option<Box<dyn cunzheng_sources::SinkPart>> {
        Some(Box::new(crate::jsonl::Part::default()))
    }
    fn join(&mut self, part: Box<dyn cunzheng_sources::SinkPart>) {
        let part = crate::jsonl::Part::taken_back(part);
        debug_assert!(part.is_some(), "a part of another sink");
        let Some(part) = part else { return };
        let mut part = part;
        // Written as it is: no copy into `buf`.
        let r = match part.error.take() {
            Some(e) => Err(e),
            None => self.flush().and_then(|()| self.out.write_all(&part.buf)),
        };
        self.written(r);
        for w in std::mem::take(&mut part.warnings) {
            self.warning(w);
        }
        part.recycle();
    }
}

/// Prints records as text lines as they arrive.
struct Printer<W: Write> {
    out: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Printer<W> {
    fn line(&mut self, text: impl FnOnce() -> String) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = writeln!(self.out, "{}", text()) {
            self.error = Some(e);
        }
    }
}

impl<W: Write> cunzheng_sources::Sink for Printer<W> {
    fn conversation(&mut self, c: cunzheng_model::Conversation) {
        self.line(|| {
            format!(
                "== {} ({:?}, {})",
                c.title.clone().unwrap_or_default(),
                c.platform,
                c.id
            )
        });
    }
    fn message(&mut self, m: cunzheng_model::Message) {
        self.line(|| {
            let when = match (&m.time.utc, &m.time.offset) {
                (Some(u), Some(o)) => format!(
                    "{u} ({o}{})",
                    if m.time.zone_basis == "guessed" {
                        ", guessed zone"
                    } else {
                        ""
                    }
                ),
                _ => m.time.raw.clone(),
            };
            let who = m
                .sender
                .name
                .clone()
                .or(m.sender.account.clone())
                .unwrap_or_else(|| "?".into());
            format!("[{when}] {who}: {}", m.body)
        });
    }
    fn unparsed(&mut self, u: cunzheng_model::Unparsed) {
        self.line(|| {
            format!(
                "!! unparsed {:?}: {} ({})",
                u.provenance.location, u.reason, u.excerpt
            )
        });
    }
    fn warning(&mut self, w: String) {
        eprintln!("cunzheng: warning: {w}");
    }
}

fn parse(
    json: bool,
    file: &Path,
    format: &str,
    tz: Option<String>,
    owner: Vec<String>,
) -> Result<u8> {
    let mut input = cunzheng_sources::Input::open(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    input.item_sha256 = {
        // Provenance names the item by SHA-256 alone: no need to pay for SM3 here.
        use sha2::Digest;
        use std::io::Read;
        let mut f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        let mut sha = sha2::Sha256::new();
        // Reads of 1 MiB: `io::copy`'s 8 KiB reads cost ~20 ms of system calls per 100 MB.
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => sha.update(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", file.display()));
                }
            }
        }
        hex::encode(sha.finalize())
    };
    let source = match format {
        "auto" => None,
        id => Some(
            cunzheng_sources::by_id(id)
                .ok_or_else(|| cunzheng_sources::SourceError::UnknownFormat(id.into()))?,
        ),
    };
    let opts = cunzheng_sources::Options {
        zone: tz,
        fallback_zone: None,
        owner,
    };
    if json {
        let mut printer = JsonPrinter::new()?;
        let report = cunzheng_sources::parse(&input, source, &opts, &mut printer);
        // The records already parsed are written even when the parse then failed.
        printer.finish()?;
        let report = report.with_context(|| format!("cannot parse {}", file.display()))?;
        let mut line = Vec::new();
        crate::jsonl::record(&mut line, "report", &report)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&line)?;
        out.flush()?;
    } else {
        let mut printer = Printer {
            out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
            error: None,
        };
        let report = cunzheng_sources::parse(&input, source, &opts, &mut printer)
            .with_context(|| format!("cannot parse {}", file.display()))?;
        if let Some(e) = printer.error {
            return Err(e.into());
        }
        printer.out.flush()?;
        eprintln!(
            "{}: {} conversation(s), {} message(s), {} unparsed, {} warning(s) [{}]",
            file.display(),
            report.conversations,
            report.messages,
            report.unparsed,
            report.warnings.len(),
            report.parser
        );
    }
    Ok(EXIT_OK)
}

fn formats(json: bool) {
    for s in cunzheng_sources::formats::SOURCES {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "id": s.id(), "version": s.version(), "name": s.name(),
                    "description": s.description(), "globs": s.globs(),
                    "tier": format!("{:?}", s.tier()).to_lowercase(),
                })
            );
        } else {
            println!(
                "{:<22} {}\n{:<22} {}\n",
                s.id(),
                s.name(),
                "",
                s.description()
            );
        }
    }
}

/// `cunzheng recover`: deleted rows with where they were found and how sure the carving is.
pub(crate) fn recover(
    json: bool,
    db: &Path,
    wal: Option<&Path>,
    journal: Option<&Path>,
) -> Result<u8> {
    let inputs = cunzheng_sqlite::Inputs::open(db, wal, journal)
        .with_context(|| format!("recovering from {}", db.display()))?;
    crate::sqlite_cmd::print_recovery(json, inputs, db)
}
