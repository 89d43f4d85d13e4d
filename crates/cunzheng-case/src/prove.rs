//! Building a standalone inclusion proof for one sealed file.

use crate::bag::{self, RecordLine};
use crate::error::{CaseError, Result};
use crate::layout::{self, Layout};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_model::ItemSource;
use cunzheng_seal::bagit::{Manifest, entry_line};
use cunzheng_seal::hash::sha256_hex;
use cunzheng_seal::merkle;
use cunzheng_seal::proof::{InclusionProof, PROOF_FORMAT};
use std::path::Path;

/// Finds the sealed file meant by `target`: a bag-relative path, a SHA-256, an exhibit number,
/// a file on disk (by its hash), or the original path an exhibit was acquired from.
pub fn resolve(layout: &Layout, manifest: &Manifest, target: &str) -> Result<String> {
    if manifest.entries.contains_key(target) {
        return Ok(target.to_owned());
    }
    let by_sha = |sha: &str| {
        let rel = Layout::original_rel(sha);
        manifest.entries.contains_key(&rel).then_some(rel)
    };
    if target.len() == 64 && target.bytes().all(|b| b.is_ascii_hexdigit()) {
        return by_sha(&target.to_ascii_lowercase())
            .ok_or_else(|| CaseError::NotSealed(target.into()));
    }
    let records = bag::acquisitions(layout)?;
    let items = records.iter().flat_map(|(_, l)| l).filter_map(|l| match l {
        RecordLine::Item(i) => Some(i),
        _ => None,
    });
    if let Ok(n) = target.trim_start_matches('#').parse::<u64>()
        && let Some(it) = items.clone().find(|i| i.number == n)
    {
        return Ok(it.stored_as.clone());
    }
    let p = Path::new(target);
    if p.is_file()
        && let Ok(bytes) = std::fs::read(p)
    {
        return by_sha(&sha256_hex(&bytes)).ok_or_else(|| CaseError::NotSealed(target.into()));
    }
    items
        .clone()
        .find(|i| match &i.source {
            ItemSource::File { path, .. } => path == target,
            ItemSource::ArchiveEntry { name, .. } => name == target,
        })
        .map(|i| i.stored_as.clone())
        .ok_or_else(|| CaseError::NotSealed(target.into()))
}

/// An inclusion proof of `target` in the latest seal.
pub fn prove(layout: &Layout, target: &str) -> Result<InclusionProof> {
    let latest = *bag::seal_versions(layout)
        .last()
        .ok_or_else(|| CaseError::NotSealed(target.into()))?;
    let dir = Layout::seal_rel(latest);
    let (st_bytes, st) = bag::statement(layout, latest)?;
    let sig = bag::read(layout, &format!("{dir}/statement.sig"))?;
    let pem = String::from_utf8_lossy(&bag::read(layout, &Layout::key_rel(&st.key))?).into_owned();
    let m_rel = format!("{dir}/{}", layout::MANIFEST_SHA256);
    let manifest = bag::manifest(layout, &m_rel)?;
    let sm3 = bag::manifest(layout, &format!("{dir}/{}", layout::MANIFEST_SM3))?;
    let path = resolve(layout, &manifest, target)?;
    let leaves: Vec<merkle::Hash> = manifest
        .entries
        .iter()
        .map(|(p, h)| merkle::leaf_hash(entry_line(h, p).as_bytes()))
        .collect();
    let index = manifest
        .entries
        .keys()
        .position(|p| *p == path)
        .ok_or_else(|| CaseError::NotSealed(path.clone()))?;
    let audit = merkle::inclusion_proof(&leaves, index)
        .ok_or_else(|| CaseError::NotSealed(path.clone()))?;
    let exhibits = bag::acquisitions(layout)?
        .into_iter()
        .flat_map(|(_, l)| l)
        .filter_map(|l| match l {
            RecordLine::Item(i) if i.stored_as == path => serde_json::to_value(&i).ok(),
            _ => None,
        })
        .collect();
    Ok(InclusionProof {
        format: PROOF_FORMAT.into(),
        sha256: manifest.entries.get(&path).cloned().unwrap_or_default(),
        sm3: sm3.entries.get(&path).cloned().unwrap_or_default(),
        path,
        leaf_index: index as u64,
        tree_size: leaves.len() as u64,
        audit_path: audit.iter().map(hex::encode).collect(),
        statement: String::from_utf8_lossy(&st_bytes).into_owned(),
        signature: B64.encode(sig),
        public_key_pem: pem,
        exhibits,
    })
}
