//! Working copies: files made from one exhibit so that it can be read at all (a decrypted
//! SQLCipher database), and what is parsed from them. The exhibit stays untouched; the copy
//! and its messages are staged as derived files of that exhibit, recorded in an acquisition
//! record of their own (`{"acquisition": {"arguments": ["decrypt exhibit N …"]}}` followed by
//! `derived` lines, no items) and named, with their hashes, by signed custody events. The next
//! `seal` seals them like any derived file.
//!
//! The case crate does not decrypt or parse: the caller makes the files (in
//! [`scratch`] paths) and hands them over with what the custody events must say.

use crate::analysis::AcquiredItem;
use crate::bag;
use crate::derive::DerivedRecord;
use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::ingest::Acquisition;
use crate::layout::{self, Layout};
use crate::stage;
use cunzheng_model::{EvidenceItem, ItemSource};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Bag folder of working copies.
pub const WORKING_DIR: &str = "data/derived/working";

/// An exhibit and where its bytes are now.
#[derive(Debug, Clone)]
pub struct Exhibit {
    /// The exhibit as recorded.
    pub item: EvidenceItem,
    /// Its bytes: the sealed original, or the staged one if not sealed yet.
    pub path: PathBuf,
}

/// Finds the exhibit meant by `target`: its SHA-256 (or a unique prefix of at least 8 hex
/// digits), its exhibit number (`7` or `#7`), its bag path, the path it was acquired from, or
/// its name inside an archive (or that name's last component, when only one exhibit has it).
pub fn find_exhibit(layout: &Layout, target: &str) -> Result<Exhibit> {
    let inputs = crate::analysis::inputs(layout)?;
    // First exhibit of each content (duplicates point to it and share its bytes).
    let items: Vec<&AcquiredItem> = inputs
        .items
        .iter()
        .filter(|a| a.item.first_seen_as.is_none())
        .collect();
    let t = target.trim();
    let lower = t.to_ascii_lowercase();
    let is_hex = lower.len() >= 8 && lower.bytes().all(|b| b.is_ascii_hexdigit());
    let number = t.trim_start_matches('#').parse::<u64>().ok();
    let name_of = |i: &EvidenceItem| match &i.source {
        ItemSource::File { path, .. } => path.clone(),
        ItemSource::ArchiveEntry { name, .. } => name.clone(),
    };
    let last = |p: &str| p.rsplit(['/', '\\']).next().unwrap_or(p).to_owned();
    let tests: [&dyn Fn(&EvidenceItem) -> bool; 5] = [
        &|i| number.is_some_and(|n| i.number == n),
        &|i| is_hex && i.digests.sha256.starts_with(&lower),
        &|i| i.stored_as == t,
        &|i| name_of(i) == t,
        &|i| last(&name_of(i)) == t,
    ];
    for test in tests {
        let hits: Vec<&EvidenceItem> = items.iter().map(|a| &a.item).filter(|i| test(i)).collect();
        match hits.as_slice() {
            [] => continue,
            [one] => {
                let item = (*one).clone();
                let path = located(layout, &item)?;
                return Ok(Exhibit { item, path });
            }
            many => {
                return Err(CaseError::Input {
                    path: t.into(),
                    reason: format!(
                        "names {} exhibits ({}); give its exhibit number or SHA-256",
                        many.len(),
                        many.iter()
                            .map(|i| format!("#{}", i.number))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
    }
    Err(CaseError::Input {
        path: t.into(),
        reason: "no exhibit of the case has this number, SHA-256, bag path or original path".into(),
    })
}

fn located(layout: &Layout, item: &EvidenceItem) -> Result<PathBuf> {
    let sealed = layout.path(&item.stored_as);
    if sealed.is_file() {
        return Ok(sealed);
    }
    let staged = layout.staged_object(&item.digests.sha256);
    if staged.is_file() {
        return Ok(staged);
    }
    Err(CaseError::Malformed {
        path: item.stored_as.clone(),
        reason: format!(
            "exhibit #{} is recorded but its bytes are neither sealed nor staged; run `cunzheng verify`",
            item.number
        ),
    })
}

/// A fresh path in the staging area for a file being made (it is moved into place, or should
/// be removed by the caller on failure).
pub fn scratch(layout: &Layout, what: &str) -> Result<PathBuf> {
    let dir = layout.staging().join("derived");
    fs::create_dir_all(&dir).map_err(|e| CaseError::io("creating", &dir, e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Ok(dir.join(format!("tmp-{what}-{}-{nanos}", std::process::id())))
}

/// Checks that `ex`'s bytes still have the recorded SHA-256 (before anything is derived from
/// them).
pub fn check_exhibit(ex: &Exhibit) -> Result<()> {
    let f = fs::File::open(&ex.path).map_err(|e| CaseError::io("reading", &ex.path, e))?;
    let (d, _) = cunzheng_seal::hash::hash_copy(f, std::io::sink(), None)
        .map_err(|e| CaseError::io("reading", &ex.path, e))?;
    if d.sha256 != ex.item.digests.sha256 {
        return Err(CaseError::Malformed {
            path: ex.item.stored_as.clone(),
            reason: format!(
                "exhibit #{} hashes to {} instead of the recorded {}; run `cunzheng verify`",
                ex.item.number, d.sha256, ex.item.digests.sha256
            ),
        });
    }
    Ok(())
}

/// One file made from the exhibit, waiting in a [`scratch`] path.
#[derive(Debug)]
pub struct Made {
    /// The scratch file holding its bytes (moved into the staging area).
    pub file: PathBuf,
    /// The custody event's action for making it (`decrypt`, `parse`, …).
    pub action: String,
    /// Bag path from its own SHA-256 and that of the file it was made from (`None` for the
    /// exhibit), e.g. `|own, _| format!("{WORKING_DIR}/{own}.db")`.
    pub rel: fn(&str, Option<&str>) -> String,
    /// Index of the earlier [`Made`] it was made from (`None`: from the exhibit itself).
    pub from: Option<usize>,
    /// Indexes of earlier [`Made`] files also read to make it.
    pub also_from: Vec<usize>,
    /// The input named in its custody event when it was made from another exhibit than the
    /// one it belongs to (a database's write-ahead log), e.g. `exhibit 8 sha256:…`.
    pub input: Option<String>,
    /// The event's details (parameters; never secrets).
    pub details: serde_json::Value,
    /// Recorded with the derived file (e.g. the parse summary: parser and counts).
    pub summary: serde_json::Value,
}

/// What [`stage`] staged.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Every file, staged or already in the case, in the order given.
    pub files: Vec<DerivedRecord>,
    /// False when every file was already sealed or staged with the same bytes (nothing new,
    /// no custody event).
    pub new: bool,
}

/// Stages the files made from exhibit `ex` as derived files of it, with one custody event per
/// file naming its input (the exhibit or the earlier file, with hashes) and its output, and
/// an acquisition record listing them. Files already sealed or staged with the same bytes are
/// not staged again; when that holds for all, nothing is recorded. A path holding different
/// bytes is an error (sealed files are never replaced).
pub fn stage(layout: &Layout, actor: &Actor, ex: &Exhibit, made: Vec<Made>) -> Result<Staged> {
    let sealed = bag::manifest(layout, layout::MANIFEST_SHA256)?;
    let mut staged_paths: BTreeMap<String, String> = BTreeMap::new();
    for (_, b) in stage::batches(layout)? {
        for d in b.derived {
            staged_paths.insert(d.path, d.sha256);
        }
    }
    let mut records: Vec<DerivedRecord> = Vec::new();
    let mut fresh: Vec<bool> = Vec::new();
    let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
    for m in &made {
        let f = fs::File::open(&m.file).map_err(|e| CaseError::io("reading", &m.file, e))?;
        let (d, size) = cunzheng_seal::hash::hash_copy(f, std::io::sink(), None)
            .map_err(|e| CaseError::io("reading", &m.file, e))?;
        let from = m
            .from
            .and_then(|i| records.get(i))
            .map(|r| r.sha256.as_str());
        let rel = (m.rel)(&d.sha256, from);
        if !rel.starts_with("data/derived/") || rel.contains("..") {
            return Err(CaseError::Input {
                path: rel.into(),
                reason: "derived files go under data/derived/".into(),
            });
        }
        let is_new = match sealed.entries.get(&rel).or(staged_paths.get(&rel)) {
            Some(h) if *h == d.sha256 => false,
            Some(h) => {
                return Err(CaseError::Malformed {
                    path: rel,
                    reason: format!("already holds different bytes (SHA-256 {h})"),
                });
            }
            None => true,
        };
        if is_new {
            moves.push((m.file.clone(), stage::staged_derived(layout, &d.sha256)));
        }
        fresh.push(is_new);
        records.push(DerivedRecord {
            item: ex.item.number,
            item_sha256: ex.item.digests.sha256.clone(),
            path: rel,
            sha256: d.sha256,
            sm3: d.sm3,
            size,
            summary: m.summary.clone(),
        });
    }
    for m in &made {
        if !moves.iter().any(|(from, _)| *from == m.file) {
            let _ = fs::remove_file(&m.file);
        }
    }
    if !fresh.iter().any(|&f| f) {
        return Ok(Staged {
            files: records,
            new: false,
        });
    }
    for (from, to) in &moves {
        fs::rename(from, to).map_err(|e| CaseError::io("moving", from, e))?;
    }
    let dir = layout.staging().join("derived");
    crate::fsio::sync_filesystem(&dir).map_err(|e| CaseError::io("syncing", &dir, e))?;
    let exhibit = format!(
        "exhibit {} sha256:{}",
        ex.item.number, ex.item.digests.sha256
    );
    let events = made
        .iter()
        .zip(&records)
        .map(|(m, r)| {
            let named = |src: &DerivedRecord| format!("{} sha256:{}", src.path, src.sha256);
            let first = match (&m.input, m.from.and_then(|i| records.get(i))) {
                (Some(input), _) => input.clone(),
                (None, Some(src)) => named(src),
                (None, None) => exhibit.clone(),
            };
            let inputs = std::iter::once(first)
                .chain(
                    m.also_from
                        .iter()
                        .filter_map(|&i| records.get(i))
                        .map(named),
                )
                .collect();
            stage::event(
                actor,
                &m.action,
                inputs,
                vec![format!("{} sha256:{}", r.path, r.sha256)],
                m.details.clone(),
            )
        })
        .collect();
    let actions: Vec<&str> = made.iter().map(|m| m.action.as_str()).collect();
    stage::commit(
        layout,
        &stage::Batch {
            acquisition: Some(Acquisition {
                arguments: vec![format!("{} {exhibit}", actions.join("+"))],
                items: Vec::new(),
                skipped: Vec::new(),
                notices: Vec::new(),
            }),
            events,
            derived: records.clone(),
        },
    )?;
    Ok(Staged {
        files: records,
        new: true,
    })
}

/// Whether a derived file holds parsed messages (other derived files, such as working copies,
/// are binary).
pub fn is_messages(d: &DerivedRecord) -> bool {
    d.path.starts_with(crate::derive::MESSAGES_DIR)
}

/// The exhibit's name for people: the path it was acquired from or its name in an archive.
pub fn exhibit_name(item: &EvidenceItem) -> String {
    match &item.source {
        ItemSource::File { path, .. } => Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.clone()),
        ItemSource::ArchiveEntry { name, .. } => {
            name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned()
        }
    }
}
