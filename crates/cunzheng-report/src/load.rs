//! Builds a [`ReportInput`] from a case folder: case metadata, the latest seal, the custody
//! log, the acquisition records and the parsed messages. This is the only module that knows
//! the case's files; analysis results (money trail, scam findings, timeline checks) come from
//! the sealed findings of `cunzheng scan` ([`crate::analysis`]) and stay `None` without them.

use crate::error::{ReportError, Result};
use crate::model::*;
use crate::time::local_text;
use cunzheng_case::bag::{self, RecordLine};
use cunzheng_case::layout::{self, Layout};
use cunzheng_model::{
    Conversation, CustodyEvent, Direction, ItemSource, Location, Message, MessageKind, Party,
    Platform,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};
use std::path::Path;

/// Limits that keep a hostile or huge case from exhausting memory.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Messages shown in the transcripts at most; the rest are counted as omitted.
    pub max_messages: u64,
    /// Longest line of a derived message file read (longer lines are skipped and noted).
    pub max_line: usize,
    /// Longest message body shown, in characters (longer ones are cut and marked).
    pub max_body_chars: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_messages: 200_000,
            max_line: 4 << 20,
            max_body_chars: 20_000,
        }
    }
}

/// Reads the case at `dir` into the report's input.
pub fn load(dir: &Path, opts: &LoadOptions) -> Result<ReportInput> {
    let layout = Layout::new(dir);
    let meta = bag::case_meta(&layout)?;
    let mut input = ReportInput::default();
    input.case.case_id = meta.case_id.clone();
    input.case.title = meta.title.clone();
    input.case.examiner = meta.created_by.clone();
    input.case.created_utc = meta.created_utc.clone();
    input.case.created_offset = meta.created_offset.clone();
    input.case.tool = format!("cunzheng {}", env!("CARGO_PKG_VERSION"));

    let (custody, acquired) = custody(&layout)?;
    input.custody = custody;
    if let Some(&v) = bag::seal_versions(&layout).last() {
        let (bytes, st) = bag::statement(&layout, v)?;
        let statement_path = format!("{}/statement.txt", Layout::seal_rel(v));
        input.case.timestamp = timestamp(&layout, v, &st.merkle_root);
        input.case.seal = Some(SealInfo {
            version: st.version,
            sealed_at: st.sealed_at,
            local_offset: st.local_offset,
            examiner: st.examiner,
            key: st.key,
            merkle_root: st.merkle_root,
            tree_size: st.tree_size,
            payload_oxum: st.payload_oxum,
            statement_path,
            statement_sha256: hex::encode(Sha256::digest(&bytes)),
        });
    }

    let mut by_sha: HashMap<String, u64> = HashMap::new();
    let mut derived = Vec::new();
    for (rel, lines) in bag::acquisitions(&layout)? {
        let number = rel
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".jsonl"))
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        let when = acquired.get(&rel).cloned().unwrap_or_default();
        for line in lines {
            match line {
                RecordLine::Item(item) => {
                    by_sha
                        .entry(item.digests.sha256.clone())
                        .or_insert(item.number);
                    input.exhibits.push(exhibit(&item, number, &when));
                }
                RecordLine::Skipped(s) => input.skipped.push(SkippedRow {
                    location: s.location,
                    what: s.what,
                    reason: s.reason,
                }),
                // Working copies (decrypted databases) are binary, not messages.
                RecordLine::Derived(d) if cunzheng_case::working::is_messages(&d) => {
                    derived.push(d)
                }
                RecordLine::Derived(_) => {}
                RecordLine::Acquisition { .. } | RecordLine::Notice(_) => {}
            }
        }
    }
    for d in &derived {
        let parser = d.summary["parser"].as_str().unwrap_or("?");
        let count = d.summary["messages"].as_u64().unwrap_or(0);
        if let Some(e) = input.exhibits.iter_mut().find(|e| e.number == d.item) {
            e.parsed = Some(format!("{parser}: {count} messages"));
            e.derived = Some((d.path.clone(), d.sha256.clone()));
            e.category = "chat".into();
        }
        if let Some(err) = d.summary["error"].as_str() {
            input
                .parse_notes
                .push(format!("E{}: {parser}: {err}", d.item));
        }
        for w in d.summary["warnings"].as_array().into_iter().flatten() {
            if let Some(w) = w.as_str() {
                input.parse_notes.push(format!("E{}: {w}", d.item));
            }
        }
        let unparsed = d.summary["unparsed"].as_u64().unwrap_or(0);
        if unparsed > 0 {
            input.parse_notes.push(format!(
                "E{}: {unparsed} record(s) could not be parsed; they are kept in {}",
                d.item, d.path
            ));
        }
        messages(&layout, d.item, &d.path, &by_sha, opts, &mut input)?;
    }
    crate::analysis::fill(&layout, &by_sha, &mut input);
    Ok(input)
}

/// The custody rows, and for each acquisition record path the time, offset and actor of the
/// `ingest` event that wrote it.
#[allow(clippy::type_complexity)]
fn custody(
    layout: &Layout,
) -> Result<(Vec<CustodyRow>, HashMap<String, (String, String, String)>)> {
    let bytes = bag::read(layout, layout::CUSTODY)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut rows = Vec::new();
    let mut acquired = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let ev: CustodyEvent = serde_json::from_str(line).map_err(|e| ReportError::Malformed {
            path: format!("{}:{}", layout::CUSTODY, i + 1),
            reason: e.to_string(),
        })?;
        if ev.action == "ingest" {
            for o in &ev.outputs {
                let path = o.split(' ').next().unwrap_or_default();
                acquired.insert(
                    path.to_owned(),
                    (
                        ev.time_utc.clone(),
                        ev.local_offset.clone(),
                        ev.actor.clone(),
                    ),
                );
            }
        }
        rows.push(CustodyRow {
            seq: ev.seq,
            time_utc: ev.time_utc.clone(),
            local_offset: ev.local_offset.clone(),
            actor: ev.actor.clone(),
            action: ev.action.clone(),
            tool: ev.tool.clone(),
            summary: custody_summary(&ev),
            line_sha256: hex::encode(Sha256::digest(line.as_bytes())),
        });
    }
    Ok((rows, acquired))
}

fn custody_summary(ev: &CustodyEvent) -> String {
    // `path sha256:<hex>` and `merkle-root:<hex>` get a space after the colon so that a
    // narrow table column can break there; nested details are shown as counts.
    let spaced = |s: &String| s.replacen(":", ": ", 1);
    let mut parts: Vec<String> = Vec::new();
    if !ev.inputs.is_empty() {
        parts.push(format!(
            "in: {}",
            ev.inputs.iter().map(spaced).collect::<Vec<_>>().join(", ")
        ));
    }
    if !ev.outputs.is_empty() {
        parts.push(format!(
            "out: {}",
            ev.outputs.iter().map(spaced).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(o) = ev.details.as_object()
        && !o.is_empty()
    {
        let d: Vec<String> = o
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                serde_json::Value::Array(a) => format!("{k}=[{} items]", a.len()),
                serde_json::Value::Object(m) => format!("{k}={{{} keys}}", m.len()),
                other => format!("{k}={other}"),
            })
            .collect();
        parts.push(d.join(" "));
    }
    parts.join("; ")
}

/// An RFC 3161 token stored beside the seal statement (`*.tsr`, `*.tst`), if any.
/// The first RFC 3161 anchor of seal `version`, checked offline against the signed root.
fn timestamp(layout: &Layout, version: u32, merkle_root: &str) -> TimestampStatus {
    use cunzheng_case::anchor;
    let mut present = TimestampStatus::None;
    for (_, rec) in anchor::records(layout, version) {
        let Ok(rec) = rec else { continue };
        if rec.kind != anchor::KIND_RFC3161 {
            continue;
        }
        let st = anchor::inspect(layout, merkle_root, &rec);
        let base = format!("{}/{}", anchor::anchors_rel(version), rec.name);
        let token_path = format!("{base}.tsr");
        let data_path = format!("{base}.tsq");
        match (st.status.as_str(), &st.token) {
            ("granted", Some(v)) => {
                return TimestampStatus::Verified {
                    token_path,
                    data_path,
                    gen_time: v.gen_time.clone(),
                    tsa: v.tsa_subject.clone(),
                };
            }
            _ => {
                if matches!(present, TimestampStatus::None)
                    && let Ok(b) = std::fs::read(layout.path(&token_path))
                {
                    present = TimestampStatus::Present {
                        token_path,
                        data_path,
                        token_sha256: hex::encode(Sha256::digest(&b)),
                    };
                }
            }
        }
    }
    present
}

fn exhibit(
    item: &cunzheng_model::EvidenceItem,
    acq: u32,
    when: &(String, String, String),
) -> Exhibit {
    let (name, source) = match &item.source {
        ItemSource::File { path, .. } => (
            path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned(),
            path.clone(),
        ),
        ItemSource::ArchiveEntry { archive, name, .. } => (
            name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned(),
            format!("E{archive}: {name}"),
        ),
    };
    Exhibit {
        number: item.number,
        category: category(&name).into(),
        name,
        source,
        size: item.size,
        sha256: item.digests.sha256.clone(),
        sm3: item.digests.sm3.clone(),
        stored_as: item.stored_as.clone(),
        acquired_utc: when.0.clone(),
        acquired_offset: when.1.clone(),
        acquired_by: when.2.clone(),
        acquisition: acq,
        modified: item.observed.modified.clone(),
        duplicate_of: item.first_seen_as,
        parsed: None,
        derived: None,
    }
}

/// Kind of electronic data by file name (民事证据规定 第十四条 groups), a key the renderers
/// translate. Parsed chat records are set to `chat` when their messages are loaded.
fn category(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "heic" | "bmp" | "dat" => "image",
        "amr" | "silk" | "mp3" | "m4a" | "opus" | "ogg" | "wav" | "aac" => "audio",
        "mp4" | "mov" | "3gp" | "avi" | "mkv" => "video",
        "zip" | "tar" | "gz" | "7z" | "rar" => "archive",
        "db" | "sqlite" | "sqlite3" => "database",
        "txt" | "csv" | "json" | "html" | "htm" | "xml" | "mht" | "eml" | "mbox" => "document",
        _ => "other",
    }
}

/// Reads one derived message file into conversations.
fn messages(
    layout: &Layout,
    exhibit: u64,
    rel: &str,
    by_sha: &HashMap<String, u64>,
    opts: &LoadOptions,
    input: &mut ReportInput,
) -> Result<()> {
    let path = layout.path(rel);
    let file = std::fs::File::open(&path).map_err(|e| ReportError::io("reading", &path, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut convs: BTreeMap<String, usize> = BTreeMap::new();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let shown_before: u64 = input
        .conversations
        .iter()
        .map(|c| c.messages.len() as u64)
        .sum();
    let mut shown = shown_before;
    loop {
        buf.clear();
        line_no += 1;
        // `take` bounds the allocation of one line.
        let n = (&mut reader)
            .take(opts.max_line as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| ReportError::io("reading", &path, e))?;
        if n == 0 {
            break;
        }
        if buf.len() > opts.max_line && buf.last() != Some(&b'\n') {
            note(
                input,
                format!(
                    "{rel}:{line_no}: line longer than {} bytes, not shown",
                    opts.max_line
                ),
            );
            // Skip the rest of the over-long line.
            loop {
                buf.clear();
                let n = (&mut reader)
                    .take(1 << 16)
                    .read_until(b'\n', &mut buf)
                    .map_err(|e| ReportError::io("reading", &path, e))?;
                if n == 0 || buf.last() == Some(&b'\n') {
                    break;
                }
            }
            continue;
        }
        let v: serde_json::Value = match serde_json::from_slice(&buf) {
            Ok(v) => v,
            Err(e) => {
                note(input, format!("{rel}:{line_no}: not JSON ({e}), not shown"));
                continue;
            }
        };
        match v["record"].as_str() {
            Some("conversation") => {
                if let Ok(c) = serde_json::from_value::<Conversation>(v) {
                    conversation_index(&mut convs, input, exhibit, &c.id, Some(&c));
                }
            }
            Some("message") => {
                let m: Message = match serde_json::from_value(v) {
                    Ok(m) => m,
                    Err(e) => {
                        note(input, format!("{rel}:{line_no}: unreadable message ({e})"));
                        continue;
                    }
                };
                if shown >= opts.max_messages {
                    input.messages_omitted += 1;
                    continue;
                }
                shown += 1;
                let i = conversation_index(&mut convs, input, exhibit, &m.conversation, None);
                let view = message_view(&m, exhibit, by_sha, opts);
                if let Some(c) = input.conversations.get_mut(i) {
                    c.messages.push(view);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Notes about unreadable lines, at most [`MAX_NOTES`] (then one line saying more were cut).
const MAX_NOTES: usize = 200;

fn note(input: &mut ReportInput, text: String) {
    match input.parse_notes.len() {
        n if n < MAX_NOTES => input.parse_notes.push(text),
        n if n == MAX_NOTES => input
            .parse_notes
            .push("more unreadable lines were not listed".into()),
        _ => {}
    }
}

fn conversation_index(
    convs: &mut BTreeMap<String, usize>,
    input: &mut ReportInput,
    exhibit: u64,
    id: &str,
    c: Option<&Conversation>,
) -> usize {
    if let Some(&i) = convs.get(id) {
        return i;
    }
    let i = input.conversations.len();
    input.conversations.push(ConversationView {
        exhibit,
        platform: c.map(|c| platform_name(&c.platform)).unwrap_or_default(),
        title: c
            .and_then(|c| c.title.clone())
            .unwrap_or_else(|| id.to_owned()),
        participants: c
            .map(|c| c.participants.iter().map(party_text).collect())
            .unwrap_or_default(),
        messages: Vec::new(),
    });
    convs.insert(id.to_owned(), i);
    i
}

fn platform_name(p: &Platform) -> String {
    match p {
        Platform::WeChat => "WeChat 微信".into(),
        Platform::Qq => "QQ".into(),
        Platform::WhatsApp => "WhatsApp".into(),
        Platform::Telegram => "Telegram".into(),
        Platform::Sms => "SMS 短信".into(),
        Platform::IMessage => "iMessage".into(),
        Platform::Discord => "Discord".into(),
        Platform::Messenger => "Messenger".into(),
        Platform::Instagram => "Instagram".into(),
        Platform::Signal => "Signal".into(),
        Platform::Email => "E-mail".into(),
        Platform::Other(s) => s.clone(),
    }
}

fn party_text(p: &Party) -> String {
    match (&p.name, &p.account) {
        (Some(n), Some(a)) if n != a => format!("{n} ({a})"),
        (Some(n), _) => n.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) => "?".into(),
    }
}

/// The short provenance reference printed beside each message.
pub fn reference(exhibit: u64, loc: &Location) -> String {
    match loc {
        Location::Bytes {
            line: Some(line), ..
        } => format!("E{exhibit} L{line}"),
        Location::Bytes { start, .. } => format!("E{exhibit} @{start}"),
        Location::Row { table, rowid } => format!("E{exhibit} {table}#{rowid}"),
        Location::Page {
            source,
            page,
            offset,
        } => format!("E{exhibit} p{page}+{offset} {source}"),
    }
}

fn message_view(
    m: &Message,
    derived_from: u64,
    by_sha: &HashMap<String, u64>,
    opts: &LoadOptions,
) -> MessageView {
    let exhibit = by_sha
        .get(&m.provenance.item_sha256)
        .copied()
        .unwrap_or(derived_from);
    let time = match (&m.time.utc, &m.time.offset) {
        (Some(u), Some(o)) => local_text(u, o).unwrap_or_else(|| m.time.raw.clone()),
        (Some(u), None) => u.clone(),
        _ => m.time.raw.clone(),
    };
    let mut body: String = m.body.chars().take(opts.max_body_chars).collect();
    if body.len() < m.body.len() {
        body.push_str(" […]");
    }
    let sender = m
        .sender
        .name
        .clone()
        .or_else(|| m.sender.account.clone())
        .unwrap_or_else(|| "?".into());
    MessageView {
        account: m.sender.account.clone().unwrap_or_default(),
        sender,
        direction: match m.direction {
            Direction::Incoming => "in",
            Direction::Outgoing => "out",
            Direction::Unknown => "unknown",
        }
        .into(),
        kind: serde_json::to_value(m.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        body,
        time,
        utc: m.time.utc.clone(),
        zone_guessed: m.time.zone_basis == "guessed",
        reference: reference(exhibit, &m.provenance.location),
        recovered: m.recovered,
        recalled: m.kind == MessageKind::Recalled,
        money: m.money.as_ref().map(|x| {
            format!("{} {}", x.amount, x.currency.clone().unwrap_or_default())
                .trim()
                .to_owned()
        }),
        attachments: m
            .attachments
            .iter()
            .filter_map(|a| a.name.clone())
            .collect(),
        cite: format!("E{exhibit}-{}", m.id),
    }
}
