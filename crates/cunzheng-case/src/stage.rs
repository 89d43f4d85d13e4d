//! The staging area: what `add` acquired and which custody events happened, waiting for the
//! next seal. Nothing here is evidence until sealed; a killed `add` leaves at most unreferenced
//! objects that the next run reuses or ignores.

use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::fsio::write_atomic;
use crate::ingest::Acquisition;
use crate::layout::Layout;
use cunzheng_model::CustodyEvent;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::PathBuf;

/// One committed `add` (or other action) waiting to be sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Batch {
    /// What was acquired, if this batch is an acquisition.
    pub acquisition: Option<Acquisition>,
    /// Custody events to record, unsigned (they are chained and signed when sealed).
    pub events: Vec<CustodyEvent>,
    /// Derived files staged under `staging/derived/<sha256>`.
    #[serde(default)]
    pub derived: Vec<crate::derive::DerivedRecord>,
}

/// An unsigned custody event happening now.
pub fn event(
    actor: &Actor,
    action: &str,
    inputs: Vec<String>,
    outputs: Vec<String>,
    details: serde_json::Value,
) -> CustodyEvent {
    let (time_utc, local_offset) = actor.now_parts();
    CustodyEvent {
        seq: 0,
        prev: String::new(),
        time_utc,
        local_offset,
        actor: actor.name.clone(),
        key: String::new(),
        key_sm2: None,
        action: action.into(),
        tool: actor.tool.clone(),
        host: actor.host.clone(),
        inputs,
        outputs,
        details,
        sig_sm2: None,
        sig: String::new(),
    }
}

/// Where a staged derived file's bytes are.
pub fn staged_derived(layout: &Layout, sha256: &str) -> PathBuf {
    layout.staging().join("derived").join(sha256)
}

/// Commits a batch: after this returns, the batch will be part of the next seal.
pub fn commit(layout: &Layout, batch: &Batch) -> Result<PathBuf> {
    let dir = layout.staging();
    fs::create_dir_all(&dir).map_err(|e| CaseError::io("creating", &dir, e))?;
    let next = batch_paths(layout)?
        .iter()
        .filter_map(|p| batch_number(p))
        .max()
        .map_or(1, |n| n + 1);
    let path = dir.join(format!("batch-{next:06}.json"));
    let bytes = serde_json::to_vec(batch).map_err(|e| CaseError::Malformed {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    write_atomic(&path, &bytes).map_err(|e| CaseError::io("writing", &path, e))?;
    Ok(path)
}

fn batch_number(p: &std::path::Path) -> Option<u64> {
    p.file_name()?
        .to_str()?
        .strip_prefix("batch-")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

fn batch_paths(layout: &Layout) -> Result<Vec<PathBuf>> {
    let dir = layout.staging();
    let mut v: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| batch_number(p).is_some())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(CaseError::io("reading", dir, e)),
    };
    v.sort_by_key(|p| batch_number(p));
    Ok(v)
}

/// All committed batches, oldest first.
pub fn batches(layout: &Layout) -> Result<Vec<(PathBuf, Batch)>> {
    batch_paths(layout)?
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).map_err(|e| CaseError::io("reading", &p, e))?;
            let b: Batch = serde_json::from_slice(&bytes).map_err(|e| CaseError::Malformed {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            Ok((p, b))
        })
        .collect()
}
