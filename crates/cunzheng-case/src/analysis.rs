//! Case-level derived files: what is computed over the whole case (the analysis findings)
//! rather than from one original, staged and sealed like per-original derived files.
//!
//! The case crate does not analyse anything: it tells the caller which message files and
//! exhibits the case holds (sealed or staged), and stages the files the caller computed. The
//! files of one run live in a folder named by a digest of their own bytes
//! (`data/derived/analysis/<digest>/…`): the same result always has the same path (whatever
//! the case folder or acquisition time), and an earlier seal's files are never replaced, since a
//! different result gets a different folder.

use crate::bag::{self, RecordLine};
use crate::derive::DerivedRecord;
use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::fsio::write_atomic;
use crate::layout::{self, Layout};
use crate::stage;
use cunzheng_model::{CustodyEvent, EvidenceItem};
use cunzheng_seal::hash::{sha256_hex, sm3_hex};
use std::collections::BTreeMap;
use std::fs;

/// Bag folder of case-level analysis files.
pub const ANALYSIS_DIR: &str = "data/derived/analysis";

/// One derived messages file of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFile {
    /// Exhibit number of the original.
    pub item: u64,
    /// SHA-256 of the original.
    pub item_sha256: String,
    /// Bag-relative path (where it is or will be once sealed).
    pub path: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Whether it is only staged (not sealed yet).
    pub staged: bool,
}

/// An exhibit with the time it was acquired (the custody log's `ingest` event).
#[derive(Debug, Clone)]
pub struct AcquiredItem {
    /// The exhibit.
    pub item: EvidenceItem,
    /// UTC time of the ingest event that acquired it.
    pub acquired_utc: Option<String>,
}

/// What the case holds for analysis, sealed and staged, in exhibit order.
#[derive(Debug, Clone, Default)]
pub struct CaseInputs {
    /// Case identifier.
    pub case_id: String,
    /// Every exhibit.
    pub items: Vec<AcquiredItem>,
    /// Every derived messages file, by path.
    pub message_files: Vec<MessageFile>,
}

/// Lists the case's exhibits and message files, from the sealed records and the staging area.
pub fn inputs(layout: &Layout) -> Result<CaseInputs> {
    let meta = bag::case_meta(layout)?;
    // Acquisition record path → time of its ingest event, from the sealed custody log.
    let mut acq_time: BTreeMap<String, String> = BTreeMap::new();
    if let Ok(text) = fs::read_to_string(layout.path(layout::CUSTODY)) {
        for line in text.lines() {
            let Ok(ev) = serde_json::from_str::<CustodyEvent>(line) else {
                continue;
            };
            if ev.action == "ingest" {
                for o in &ev.outputs {
                    if let Some(rel) = o.split(' ').next() {
                        acq_time.insert(rel.to_owned(), ev.time_utc.clone());
                    }
                }
            }
        }
    }
    let mut out = CaseInputs {
        case_id: meta.case_id,
        ..CaseInputs::default()
    };
    let mut files: BTreeMap<String, MessageFile> = BTreeMap::new();
    for (rel, lines) in bag::acquisitions(layout)? {
        let when = acq_time.get(&rel).cloned();
        for l in lines {
            match l {
                RecordLine::Item(i) => out.items.push(AcquiredItem {
                    item: *i,
                    acquired_utc: when.clone(),
                }),
                RecordLine::Derived(d) => {
                    files.insert(d.path.clone(), message_file(&d, false));
                }
                _ => {}
            }
        }
    }
    for (_, b) in stage::batches(layout)? {
        let when = b
            .events
            .iter()
            .find(|e| e.action == "ingest")
            .map(|e| e.time_utc.clone());
        if let Some(acq) = &b.acquisition {
            out.items.extend(acq.items.iter().map(|i| AcquiredItem {
                item: i.clone(),
                acquired_utc: when.clone(),
            }));
            for d in &b.derived {
                files
                    .entry(d.path.clone())
                    .or_insert_with(|| message_file(d, true));
            }
        }
    }
    out.items.sort_by_key(|i| i.item.number);
    out.message_files = files
        .into_values()
        .filter(|f| f.path.starts_with(crate::derive::MESSAGES_DIR))
        .collect();
    Ok(out)
}

fn message_file(d: &DerivedRecord, staged: bool) -> MessageFile {
    MessageFile {
        item: d.item,
        item_sha256: d.item_sha256.clone(),
        path: d.path.clone(),
        sha256: d.sha256.clone(),
        staged,
    }
}

/// The bytes of a message file, from the bag or the staging area; checked against its hash so
/// that analysis never runs over a changed file.
pub fn read_message_file(layout: &Layout, f: &MessageFile) -> Result<Vec<u8>> {
    let path = if f.staged && !layout.path(&f.path).exists() {
        stage::staged_derived(layout, &f.sha256)
    } else {
        layout.path(&f.path)
    };
    let bytes = fs::read(&path).map_err(|e| CaseError::io("reading", &path, e))?;
    let got = sha256_hex(&bytes);
    if got != f.sha256 {
        return Err(CaseError::Malformed {
            path: f.path.clone(),
            reason: format!(
                "SHA-256 {got} differs from the recorded {}; run `cunzheng verify`",
                f.sha256
            ),
        });
    }
    Ok(bytes)
}

/// The folder for one run's files (name, bytes): `data/derived/analysis/<first 16 hex of the
/// SHA-256 over each name, a newline, the file's SHA-256 and a newline, in the order given>`.
pub fn analysis_dir(files: &[(&str, &[u8])]) -> String {
    let mut text = String::new();
    for (name, bytes) in files {
        text.push_str(name);
        text.push('\n');
        text.push_str(&sha256_hex(bytes));
        text.push('\n');
    }
    let digest = sha256_hex(text.as_bytes());
    format!("{ANALYSIS_DIR}/{}", &digest[..16])
}

/// Stages case-level files (bag-relative path, bytes) for the next seal, with one custody event
/// (`action`, inputs, details). Files already sealed or staged with the same bytes are left
/// alone; a sealed file is never replaced. Returns the records of what was staged (empty when
/// everything was already there).
pub fn stage_files(
    layout: &Layout,
    actor: &Actor,
    action: &str,
    files: &[(String, Vec<u8>)],
    inputs: Vec<String>,
    details: serde_json::Value,
) -> Result<Vec<DerivedRecord>> {
    let sealed = bag::manifest(layout, layout::MANIFEST_SHA256)?;
    let mut staged_paths: BTreeMap<String, String> = BTreeMap::new();
    for (_, b) in stage::batches(layout)? {
        for d in b.derived {
            staged_paths.insert(d.path, d.sha256);
        }
    }
    let dir = layout.staging().join("derived");
    fs::create_dir_all(&dir).map_err(|e| CaseError::io("creating", &dir, e))?;
    let mut records = Vec::new();
    for (rel, bytes) in files {
        if !rel.starts_with(ANALYSIS_DIR) || rel.contains("..") {
            return Err(CaseError::Input {
                path: rel.into(),
                reason: format!("case-level files go under {ANALYSIS_DIR}"),
            });
        }
        let sha = sha256_hex(bytes);
        match sealed.entries.get(rel).or(staged_paths.get(rel)) {
            Some(h) if *h == sha => continue,
            Some(h) => {
                return Err(CaseError::Malformed {
                    path: rel.clone(),
                    reason: format!(
                        "already holds different bytes (SHA-256 {h}, now {sha}): the same inputs gave a different result, which a deterministic analysis must not"
                    ),
                });
            }
            None => {}
        }
        let dst = stage::staged_derived(layout, &sha);
        write_atomic(&dst, bytes).map_err(|e| CaseError::io("writing", &dst, e))?;
        records.push(DerivedRecord {
            item: 0,
            item_sha256: String::new(),
            path: rel.clone(),
            sha256: sha,
            sm3: sm3_hex(bytes),
            size: bytes.len() as u64,
            summary: serde_json::Value::Null,
        });
    }
    if records.is_empty() {
        return Ok(records);
    }
    let ev = stage::event(
        actor,
        action,
        inputs,
        records
            .iter()
            .map(|d| format!("{} sha256:{}", d.path, d.sha256))
            .collect(),
        details,
    );
    stage::commit(
        layout,
        &stage::Batch {
            acquisition: None,
            events: vec![ev],
            derived: records.clone(),
        },
    )?;
    Ok(records)
}
