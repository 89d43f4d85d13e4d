//! Reading the sealed state of a case: its metadata, manifests, acquisition records, seals.

use crate::error::{CaseError, Result};
use crate::ingest::Acquisition;
use crate::layout::{self, Layout};
use cunzheng_model::{EvidenceItem, Skipped};
use cunzheng_seal::bagit::Manifest;
use cunzheng_seal::statement::SealStatement;
use serde::{Deserialize, Serialize};
use std::fs;

/// `cunzheng/case.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMeta {
    /// On-disk layout version.
    pub layout_version: u32,
    /// Case identifier.
    pub case_id: String,
    /// Title, free text.
    pub title: String,
    /// When the case was made, RFC 3339 UTC.
    pub created_utc: String,
    /// Local offset then.
    pub created_offset: String,
    /// Who made it.
    pub created_by: String,
}

/// One line of an acquisition record file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordLine {
    /// The `add` run: its arguments.
    Acquisition {
        /// Acquisition number.
        number: u32,
        /// Path arguments as given.
        arguments: Vec<String>,
    },
    /// A preserved original.
    Item(Box<EvidenceItem>),
    /// Something not preserved.
    Skipped(Skipped),
    /// A fact about a preserved item.
    Notice(Skipped),
    /// A file derived from a preserved item (parsed messages).
    Derived(crate::derive::DerivedRecord),
}

/// The JSON-lines text of one acquisition record.
pub fn record_text(
    number: u32,
    acq: &Acquisition,
    derived: &[crate::derive::DerivedRecord],
) -> String {
    let mut lines = vec![RecordLine::Acquisition {
        number,
        arguments: acq.arguments.clone(),
    }];
    lines.extend(
        acq.items
            .iter()
            .cloned()
            .map(|i| RecordLine::Item(Box::new(i))),
    );
    lines.extend(acq.skipped.iter().cloned().map(RecordLine::Skipped));
    lines.extend(acq.notices.iter().cloned().map(RecordLine::Notice));
    lines.extend(derived.iter().cloned().map(RecordLine::Derived));
    let mut out = String::new();
    for l in lines {
        // Plain data types: serialisation cannot fail.
        out.push_str(&serde_json::to_string(&l).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Parses one acquisition record file.
pub fn parse_record(rel: &str, bytes: &[u8]) -> Result<Vec<RecordLine>> {
    let text = std::str::from_utf8(bytes).map_err(|_| CaseError::Malformed {
        path: rel.into(),
        reason: "not UTF-8".into(),
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| CaseError::Malformed {
                path: rel.into(),
                reason: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

/// Reads a bag file (bag-relative path).
pub fn read(layout: &Layout, rel: &str) -> Result<Vec<u8>> {
    fs::read(layout.path(rel)).map_err(|e| CaseError::io("reading", layout.path(rel), e))
}

/// Reads `cunzheng/case.json`.
pub fn case_meta(layout: &Layout) -> Result<CaseMeta> {
    let bytes = read(layout, layout::CASE_JSON)?;
    serde_json::from_slice(&bytes).map_err(|e| CaseError::Malformed {
        path: layout::CASE_JSON.into(),
        reason: e.to_string(),
    })
}

/// Reads a SHA-256 or SM3 manifest; a missing file is an empty manifest.
pub fn manifest(layout: &Layout, rel: &str) -> Result<Manifest> {
    match fs::read(layout.path(rel)) {
        Ok(b) => Manifest::parse(&b, 256).map_err(|e| CaseError::Malformed {
            path: rel.into(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(CaseError::io("reading", layout.path(rel), e)),
    }
}

/// Seal versions present in `cunzheng/seals/`, ascending.
pub fn seal_versions(layout: &Layout) -> Vec<u32> {
    let mut v: Vec<u32> = fs::read_dir(layout.path(layout::SEALS_DIR))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// The statement of one seal version.
pub fn statement(layout: &Layout, version: u32) -> Result<(Vec<u8>, SealStatement)> {
    let rel = format!("{}/statement.txt", Layout::seal_rel(version));
    let bytes = read(layout, &rel)?;
    let s = SealStatement::parse(&bytes).map_err(|e| CaseError::Malformed {
        path: rel,
        reason: e.to_string(),
    })?;
    Ok((bytes, s))
}

/// All sealed acquisition records, in order, with their bag-relative paths.
pub fn acquisitions(layout: &Layout) -> Result<Vec<(String, Vec<RecordLine>)>> {
    let mut names: Vec<String> = match fs::read_dir(layout.path(layout::ACQUISITIONS_DIR)) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| n.ends_with(".jsonl"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let rel = format!("{}/{n}", layout::ACQUISITIONS_DIR);
            let lines = parse_record(&rel, &read(layout, &rel)?)?;
            Ok((rel, lines))
        })
        .collect()
}
