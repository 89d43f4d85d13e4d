//! `scan` and `link`: the analysis commands. Reading and staging go through cunzheng-case,
//! the analysis itself through cunzheng-analyze; this module only glues and prints.

use crate::progress::Bar;
use anyhow::{Context, Result};
use cunzheng_analyze::entity::Kind;
use cunzheng_analyze::scan::{self, Output};
use cunzheng_analyze::timeline::{Exhibit, Settings};
use cunzheng_case::Case;
use cunzheng_case::analysis;
use cunzheng_case::env::Actor;
use cunzheng_case::ingest::Progress;
use cunzheng_model::{ItemSource, Message};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Scan settings from the command line.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Device owner's names or accounts.
    pub owner: Vec<String>,
    /// Gap threshold in days (default 7).
    pub gap_days: Option<u32>,
}

/// What a scan did.
pub struct Scanned {
    /// The analysis output.
    pub output: Output,
    /// Folder of the files in the bag.
    pub dir: String,
    /// Paths staged for the next seal (empty when already sealed or staged).
    pub staged: Vec<String>,
}

fn exhibit_name(s: &ItemSource) -> String {
    match s {
        ItemSource::File { path, .. } => path.clone(),
        ItemSource::ArchiveEntry { archive, name, .. } => format!("exhibit {archive}:{name}"),
    }
}

/// Loads a case's messages (checked against their recorded hashes).
fn load(c: &Case, bar: &Bar) -> Result<(analysis::CaseInputs, scan::Input)> {
    let inputs = analysis::inputs(c.layout()).context("reading the case's records")?;
    let mut input = scan::Input {
        case_id: inputs.case_id.clone(),
        tool: format!("cunzheng {}", env!("CARGO_PKG_VERSION")),
        ..scan::Input::default()
    };
    bar.begin("reading", inputs.message_files.len() as u64);
    for f in &inputs.message_files {
        let bytes = analysis::read_message_file(c.layout(), f)
            .with_context(|| format!("reading {}", f.path))?;
        let text = String::from_utf8_lossy(&bytes);
        let parsed = cunzheng_analyze::messages::read_jsonl(&text);
        if let Some((line, reason)) = parsed.bad_lines.first() {
            eprintln!("cunzheng: {} line {line}: {reason} (skipped)", f.path);
        }
        input.messages.extend(parsed.messages);
        input.conversations.extend(parsed.conversations);
        input.files.push((f.path.clone(), f.sha256.clone()));
        bar.advance(1);
    }
    bar.end();
    input.exhibits = inputs
        .items
        .iter()
        .map(|a| Exhibit {
            number: a.item.number,
            sha256: a.item.digests.sha256.clone(),
            name: exhibit_name(&a.item.source),
            modified_utc: a.item.observed.modified.clone(),
            acquired_utc: a.acquired_utc.clone(),
        })
        .collect();
    Ok((inputs, input))
}

/// Runs the analysis over a case and stages `findings.json` and `entities.jsonl` for the next
/// seal.
pub fn scan_case(c: &Case, actor: &Actor, opts: &ScanOptions, bar: &Bar) -> Result<Scanned> {
    let (_, mut input) = load(c, bar)?;
    input.owner = opts.owner.clone();
    input.settings = Settings {
        gap_seconds: i64::from(opts.gap_days.unwrap_or(7)) * 86_400,
        token_utc: token_time(c),
        ..Settings::default()
    };
    input.scam = Some(scam_findings(&input)?);
    let output = scan::run(&input);
    let dir = analysis::analysis_dir(&[
        ("findings.json", &output.findings_json),
        ("entities.jsonl", &output.entities_jsonl),
    ]);
    let files = vec![
        (format!("{dir}/findings.json"), output.findings_json.clone()),
        (
            format!("{dir}/entities.jsonl"),
            output.entities_jsonl.clone(),
        ),
    ];
    let staged = analysis::stage_files(
        c.layout(),
        actor,
        "analyze",
        &files,
        input
            .files
            .iter()
            .map(|(p, h)| format!("{p} sha256:{h}"))
            .collect(),
        serde_json::json!({
            "tool": input.tool,
            "settings": input.settings,
            "owner": input.owner,
            "messages": output.findings.counts.messages,
        }),
    )
    .context("staging the analysis files")?;
    Ok(Scanned {
        output,
        dir,
        staged: staged.into_iter().map(|d| d.path).collect(),
    })
}

/// Prints a scan for people or machines.
pub fn print_scan(json: bool, s: &Scanned, sealed_now: bool) -> Result<()> {
    let f = &s.output.findings;
    if json {
        let v = serde_json::json!({
            "dir": s.dir,
            "staged": s.staged,
            "findings": f,
        });
        println!("{v}");
        return Ok(());
    }
    println!(
        "case {}: {} messages in {} file(s)",
        f.case_id,
        f.counts.messages,
        f.inputs.len()
    );
    if !f.counts.entities.is_empty() {
        let parts: Vec<String> = f
            .counts
            .entities
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("entities: {}", parts.join(", "));
    }
    for id in f.identifiers.iter().take(30) {
        let value = if id.pii {
            redact(&id.value)
        } else {
            id.value.clone()
        };
        println!(
            "  {:<12} {value}{} ×{}",
            id.kind.name(),
            id.detail
                .as_deref()
                .map(|d| format!("  [{d}]"))
                .unwrap_or_default(),
            id.count
        );
    }
    if f.identifiers.len() > 30 {
        println!("  … {} more in findings.json", f.identifiers.len() - 30);
    }
    if f.money.transfers.is_empty() {
        println!("money: no transfers found");
    } else {
        println!("money: {} transfer(s)", f.money.transfers.len());
        for c in &f.money.by_counterparty {
            println!(
                "  {} [{}]: out {} in {} net {} ({} transfer(s), {} – {})",
                c.key,
                c.currency,
                c.out,
                c.inn,
                c.net,
                c.count,
                c.first.as_deref().unwrap_or("?"),
                c.last.as_deref().unwrap_or("?")
            );
        }
        for a in &f.money.by_account {
            println!(
                "  account {} [{}]: out {} in {}",
                a.key, a.currency, a.out, a.inn
            );
        }
        for l in &f.money.loss {
            println!(
                "  owner's loss [{}]: {} (paid {} − returned {})",
                l.currency, l.loss, l.out, l.inn
            );
        }
    }
    if f.timeline.is_empty() {
        println!("timeline: no findings");
    } else {
        let parts: Vec<String> = f
            .counts
            .timeline
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("timeline: {}", parts.join(", "));
        for t in f
            .timeline
            .iter()
            .filter(|t| t.severity == "warning")
            .take(10)
        {
            println!("  ! {}", t.message);
        }
    }
    if let Some(scam) = &f.scam {
        print_scam(scam);
    }
    if sealed_now {
        println!("findings sealed as {}/", s.dir);
    } else if s.staged.is_empty() {
        println!("findings already in the case: {}/", s.dir);
    } else {
        println!(
            "findings staged as {}/ (sealed by the next `cunzheng seal`)",
            s.dir
        );
    }
    Ok(())
}

/// `110105…002X` → `110105********002X`: resident ID numbers are not printed in full.
fn redact(v: &str) -> String {
    v.chars()
        .enumerate()
        .map(|(i, c)| if (6..14).contains(&i) { '*' } else { c })
        .collect()
}

/// One place an identifier appears.
#[derive(serde::Serialize)]
struct Seen {
    case_id: String,
    case_dir: PathBuf,
    exhibit: Option<u64>,
    message: String,
    conversation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_utc: Option<String>,
}

#[derive(serde::Serialize)]
struct Shared {
    kind: &'static str,
    value: String,
    cases: usize,
    seen: Vec<Seen>,
}

/// `link`: identifiers shared by two or more cases.
pub fn link(json: bool, dirs: &[PathBuf], bar: &Bar) -> Result<u8> {
    let mut all: BTreeMap<(Kind, String), Vec<Seen>> = BTreeMap::new();
    let mut case_ids = Vec::new();
    for dir in dirs {
        let c =
            Case::open(dir).with_context(|| format!("cannot open the case {}", dir.display()))?;
        let (inputs, input) = load(&c, bar)?;
        let number: BTreeMap<&str, u64> = inputs
            .items
            .iter()
            .rev()
            .map(|a| (a.item.digests.sha256.as_str(), a.item.number))
            .collect();
        case_ids.push(inputs.case_id.clone());
        for m in &input.messages {
            for e in cunzheng_analyze::entity::extract(&m.body) {
                if !linkable(e.kind) {
                    continue;
                }
                all.entry((e.kind, e.value)).or_default().push(seen(
                    &inputs.case_id,
                    dir,
                    &number,
                    m,
                ));
            }
        }
    }
    let mut shared: Vec<Shared> = all
        .into_iter()
        .filter_map(|((kind, value), seen)| {
            let mut cases: Vec<&PathBuf> = seen.iter().map(|s| &s.case_dir).collect();
            cases.sort();
            cases.dedup();
            let n = cases.len();
            (n >= 2).then(|| Shared {
                kind: kind.name(),
                value,
                cases: n,
                seen,
            })
        })
        .collect();
    shared.sort_by(|a, b| {
        b.cases
            .cmp(&a.cases)
            .then(a.kind.cmp(b.kind))
            .then(a.value.cmp(&b.value))
    });
    if json {
        println!(
            "{}",
            serde_json::json!({"cases": case_ids, "shared": shared})
        );
        return Ok(crate::cli::EXIT_OK);
    }
    if shared.is_empty() {
        println!(
            "no identifier is shared by two or more of {} case(s)",
            dirs.len()
        );
        return Ok(crate::cli::EXIT_OK);
    }
    println!("{} identifier(s) shared across cases:", shared.len());
    for s in &shared {
        println!("{} {} — in {} cases", s.kind, s.value, s.cases);
        for w in s.seen.iter().take(20) {
            println!(
                "  case {} exhibit {} message {} (conversation {}{})",
                w.case_id,
                w.exhibit.map_or("?".into(), |n| n.to_string()),
                w.message,
                w.conversation,
                w.time_utc
                    .as_deref()
                    .map(|t| format!(", {t}"))
                    .unwrap_or_default()
            );
        }
        if s.seen.len() > 20 {
            println!("  … {} more", s.seen.len() - 20);
        }
    }
    Ok(crate::cli::EXIT_OK)
}

/// Identifiers that link cases: accounts, phones, addresses; not amounts, IPs or resident IDs
/// of victims (a shared ID number is listed too: it is the strongest link, and flagged PII).
fn linkable(k: Kind) -> bool {
    !matches!(k, Kind::Amount | Kind::Ipv4 | Kind::Ipv6)
}

fn seen(case_id: &str, dir: &Path, number: &BTreeMap<&str, u64>, m: &Message) -> Seen {
    Seen {
        case_id: case_id.to_owned(),
        case_dir: dir.to_path_buf(),
        exhibit: number.get(m.provenance.item_sha256.as_str()).copied(),
        message: m.id.clone(),
        conversation: m.conversation.clone(),
        time_utc: m.time.utc.clone(),
    }
}

/// Reasons kept per conversation in the findings (the strongest first).
const MAX_REASONS: usize = 30;

/// Scam type per conversation: the classifier over its messages in order, each reason tied
/// back to the message (id and provenance) whose text it matched.
fn scam_findings(input: &cunzheng_analyze::scan::Input) -> Result<serde_json::Value> {
    use cunzheng_scam::{Classifier, Input, Turn, taxonomy};
    use serde_json::json;
    let classifier =
        Classifier::builtin().context("the built-in scam rules or model do not load")?;
    // Conversations in order of first appearance; a message belongs to one by its id.
    let mut order: Vec<&str> = Vec::new();
    let mut by_conv: std::collections::HashMap<&str, Vec<&cunzheng_model::Message>> =
        std::collections::HashMap::new();
    for m in &input.messages {
        if m.body.trim().is_empty() {
            continue;
        }
        let e = by_conv.entry(m.conversation.as_str()).or_default();
        if e.is_empty() {
            order.push(m.conversation.as_str());
        }
        e.push(m);
    }
    let mut out = Vec::new();
    for conv in order {
        let msgs = &by_conv[conv];
        let turns: Vec<Turn> = msgs
            .iter()
            .map(|m| Turn {
                speaker: m
                    .sender
                    .name
                    .clone()
                    .or_else(|| m.sender.account.clone())
                    .unwrap_or_else(|| format!("{:?}", m.direction).to_lowercase()),
                text: m.body.clone(),
            })
            .collect();
        let v = classifier.classify(&Input::Turns(turns));
        let mut reasons = v.reasons.clone();
        reasons.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
        reasons.truncate(MAX_REASONS);
        let title = input
            .conversations
            .iter()
            .find(|c| c.id == conv)
            .and_then(|c| c.title.clone());
        out.push(json!({
            "conversation": conv,
            "title": title,
            "messages": msgs.len(),
            "scam": crate::classify::round(v.scam),
            "type": v.scam_type,
            "type_zh": v.scam_type.and_then(taxonomy::get).map(|t| t.zh),
            "type_scores": v.type_scores.iter().take(5).map(|(t, s)| json!([t, crate::classify::round(*s)])).collect::<Vec<_>>(),
            "model_scam": crate::classify::round(v.model_scam),
            "rules_scam": crate::classify::round(v.rules_scam),
            "reasons": reasons.iter().map(|r| {
                let mut j = crate::classify::reason_json(r);
                if let (Some(t), Some(obj)) = (r.turn, j.as_object_mut())
                    && let Some(m) = msgs.get(t)
                {
                    obj.insert("message".into(), json!(m.id));
                    obj.insert("provenance".into(), json!(m.provenance));
                }
                j
            }).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "rules_version": classifier.rules_version(),
        "model_version": classifier.model_version(),
        "note": "scores point to the messages named in the reasons; they are not a finding of fraud",
        "conversations": out,
    }))
}

/// The earliest verified time-stamp of the latest seal (it covers every exhibit), if any.
fn token_time(c: &Case) -> Option<String> {
    use cunzheng_case::{anchor, bag};
    let layout = c.layout();
    let v = bag::seal_versions(layout).into_iter().max()?;
    let (_, st) = bag::statement(layout, v).ok()?;
    anchor::records(layout, v)
        .into_iter()
        .filter_map(|(_, r)| r.ok())
        .map(|r| anchor::inspect(layout, &st.merkle_root, &r))
        .filter(|a| a.status == "granted")
        .filter_map(|a| a.gen_time)
        .min()
}

/// One line per conversation: score, type and the rule cues that fired.
fn print_scam(scam: &serde_json::Value) {
    let convs = scam["conversations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    println!(
        "scam type (rules {}, model {}; pointers to messages, not findings):",
        scam["rules_version"].as_str().unwrap_or("?"),
        scam["model_version"].as_str().unwrap_or("?")
    );
    for c in convs {
        let mut cues: Vec<&str> = Vec::new();
        for r in c["reasons"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            if r["source"] == "rule"
                && let Some(t) = r["text"].as_str()
                && !cues.contains(&t)
            {
                cues.push(t);
            }
        }
        println!(
            "  {} ({} messages): scam {:.2}, {}; cues: {}",
            c["title"]
                .as_str()
                .or(c["conversation"].as_str())
                .unwrap_or("?"),
            c["messages"],
            c["scam"].as_f64().unwrap_or(0.0),
            c["type_zh"].as_str().unwrap_or("no type"),
            if cues.is_empty() {
                "-".to_owned()
            } else {
                cues.join(", ")
            }
        );
    }
}
