//! Sealing: turning staged acquisitions into a new, signed seal version of the bag.
//!
//! A seal is computed in full before the bag is touched and written to a journal
//! (`.cunzheng/sealing.json`). Applying the journal is idempotent, so a seal killed at any
//! point is finished by running `seal` again; until then `verify` reports the bag as
//! inconsistent, so a half-written seal is never valid. Nothing is reported sealed before it
//! is fsync'd.
//!
//! Hashes of files sealed earlier are carried over from the previous manifest, never
//! recomputed: re-hashing would launder a change made between two seals into the new one.

use crate::bag::{self, record_text};
use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::fsio::{make_read_only, sync_dir, write_atomic};
use crate::layout::{self, Layout};
use crate::stage;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_seal::bagit::{BAGIT_TXT, BagInfo, Manifest, entry_line, payload_oxum};
use cunzheng_seal::custody::{self, GENESIS};
use cunzheng_seal::hash::{sha256_hex, sm3_hex};
use cunzheng_seal::merkle;
use cunzheng_seal::statement::SealStatement;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// What a seal produced.
#[derive(Debug, Clone, Serialize)]
pub struct SealOutcome {
    /// New seal version.
    pub version: u32,
    /// Merkle root, hex.
    pub merkle_root: String,
    /// Payload files in the tree.
    pub tree_size: u64,
    /// BagIt Payload-Oxum.
    pub payload_oxum: String,
    /// Evidence items added by this seal.
    pub items_added: u64,
    /// Signing key fingerprint.
    pub key: String,
}

/// The whole of one seal, computed before anything in the bag changes.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    outcome_version: u32,
    merkle_root: String,
    tree_size: u64,
    payload_oxum: String,
    items_added: u64,
    key: String,
    /// SHA-256 of staged objects to move into the payload.
    objects: Vec<String>,
    /// Staged derived files (by SHA-256) and their bag paths.
    #[serde(default)]
    derived: Vec<(String, String)>,
    /// Bag-relative path → base64 content, for new payload and tag files.
    files: Vec<(String, String)>,
    /// Custody lines to keep from the current log, then lines to append.
    custody_keep: usize,
    custody_append: Vec<String>,
    /// Staging batches consumed.
    batches: Vec<PathBuf>,
}

/// Seals everything staged into a new version. Returns `None` when nothing is staged.
/// Finishes an interrupted seal first.
pub fn seal(layout: &Layout, actor: &Actor) -> Result<Option<SealOutcome>> {
    let mut finished = None;
    if layout.journal().exists() {
        finished = Some(resume(layout)?);
    }
    let batches = stage::batches(layout)?;
    if batches.is_empty() {
        return Ok(finished);
    }
    let journal = plan(layout, actor, batches)?;
    let bytes = serde_json::to_vec(&journal).map_err(|e| CaseError::Malformed {
        path: "journal".into(),
        reason: e.to_string(),
    })?;
    write_atomic(&layout.journal(), &bytes)
        .map_err(|e| CaseError::io("writing", layout.journal(), e))?;
    crate::fault::point("seal-after-journal");
    apply(layout, &journal)?;
    Ok(Some(outcome(&journal)))
}

/// Finishes an interrupted seal from its journal.
pub fn resume(layout: &Layout) -> Result<SealOutcome> {
    let bytes =
        fs::read(layout.journal()).map_err(|e| CaseError::io("reading", layout.journal(), e))?;
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| CaseError::Malformed {
        path: layout.journal().display().to_string(),
        reason: format!("seal journal unreadable ({e}); the last complete seal still verifies"),
    })?;
    apply(layout, &journal)?;
    Ok(outcome(&journal))
}

fn outcome(j: &Journal) -> SealOutcome {
    SealOutcome {
        version: j.outcome_version,
        merkle_root: j.merkle_root.clone(),
        tree_size: j.tree_size,
        payload_oxum: j.payload_oxum.clone(),
        items_added: j.items_added,
        key: j.key.clone(),
    }
}

fn plan(layout: &Layout, actor: &Actor, batches: Vec<(PathBuf, stage::Batch)>) -> Result<Journal> {
    let meta = bag::case_meta(layout)?;
    let versions = bag::seal_versions(layout);
    let previous = match versions.last() {
        Some(&v) => Some(bag::statement(layout, v)?),
        None => None,
    };
    let version = versions.last().map_or(1, |v| v + 1);
    let mut m_sha = bag::manifest(layout, layout::MANIFEST_SHA256)?;
    let mut m_sm3 = bag::manifest(layout, layout::MANIFEST_SM3)?;
    if let Some((_, prev)) = &previous
        && sha256_hex(m_sha.to_text().as_bytes()) != prev.manifest_sha256
    {
        return Err(CaseError::Malformed {
            path: layout::MANIFEST_SHA256.into(),
            reason:
                "differs from the last seal's manifest; run `cunzheng verify` before sealing more"
                    .into(),
        });
    }
    let (mut octets, mut count) = previous
        .as_ref()
        .and_then(|(_, s)| {
            let (a, b) = s.payload_oxum.split_once('.')?;
            Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))
        })
        .unwrap_or((0, 0));

    let mut lines = checked_custody(layout, actor)?;
    let mine = actor.signer.public_key();
    let keep = lines.len();

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut objects = Vec::new();
    let mut derived = Vec::new();
    let mut items_added = 0u64;
    let mut acq_no = bag::acquisitions(layout)?.len() as u32;
    let mut events = Vec::new();
    // One read per staging folder instead of a stat per staged original.
    let staged_names = staged_names(layout);
    for (_, batch) in &batches {
        let mut batch_events = batch.events.clone();
        // Derived files: per original (with an acquisition) or case-level (analysis).
        for d in &batch.derived {
            if m_sha.entries.contains_key(&d.path) {
                continue;
            }
            if !crate::stage::staged_derived(layout, &d.sha256).exists() {
                return Err(CaseError::Malformed {
                    path: d.path.clone(),
                    reason: "staged derived file is missing; run `cunzheng add` (or `cunzheng scan`) again".into(),
                });
            }
            m_sha.entries.insert(d.path.clone(), d.sha256.clone());
            m_sm3.entries.insert(d.path.clone(), d.sm3.clone());
            octets += d.size;
            count += 1;
            derived.push((d.sha256.clone(), d.path.clone()));
        }
        if let Some(acq) = &batch.acquisition {
            acq_no += 1;
            let rel = Layout::acquisition_rel(acq_no);
            let text = record_text(acq_no, acq, &batch.derived);
            let sha = sha256_hex(text.as_bytes());
            m_sha.entries.insert(rel.clone(), sha.clone());
            m_sm3.entries.insert(rel.clone(), sm3_hex(text.as_bytes()));
            octets += text.len() as u64;
            count += 1;
            for item in &acq.items {
                items_added += 1;
                if m_sha.entries.contains_key(&item.stored_as) {
                    continue;
                }
                if !staged_names.contains(item.digests.sha256.as_str())
                    && !layout.path(&item.stored_as).exists()
                {
                    let staged = layout.staged_objects().join(&item.digests.sha256);
                    return Err(CaseError::Malformed {
                        path: staged.display().to_string(),
                        reason:
                            "staged original is missing; run `cunzheng add` again for that input"
                                .into(),
                    });
                }
                m_sha
                    .entries
                    .insert(item.stored_as.clone(), item.digests.sha256.clone());
                m_sm3
                    .entries
                    .insert(item.stored_as.clone(), item.digests.sm3.clone());
                octets += item.size;
                count += 1;
                objects.push(item.digests.sha256.clone());
            }
            for ev in batch_events.iter_mut().filter(|e| e.action == "ingest") {
                ev.outputs = vec![format!("{rel} sha256:{sha}")];
            }
            files.push((rel, text.into_bytes()));
        }
        events.extend(batch_events);
    }
    for ev in events {
        let prev = lines.last().map(|l| (lines.len() as u64, l.as_str()));
        let line = custody::seal_event_with(ev, prev, actor.signer.as_ref(), actor.sm2.as_ref());
        lines.push(line);
    }

    let sha_text = m_sha.to_text();
    let sm3_text = m_sm3.to_text();
    let leaves: Vec<merkle::Hash> = m_sha
        .entries
        .iter()
        .map(|(p, h)| merkle::leaf_hash(entry_line(h, p).as_bytes()))
        .collect();
    let root = hex::encode(merkle::root(&leaves));
    let oxum = payload_oxum(octets, count);
    let (now_utc, offset) = actor.now_parts();
    let statement = SealStatement {
        case_id: meta.case_id.clone(),
        version,
        sealed_at: now_utc.clone(),
        local_offset: offset,
        examiner: actor.name.clone(),
        key: mine.fingerprint(),
        key_sm2: actor.sm2.as_ref().map(|k| k.public_key().fingerprint()),
        tool: actor.tool.clone(),
        payload_oxum: oxum.clone(),
        tree_size: leaves.len() as u64,
        merkle_root: root.clone(),
        manifest_sha256: sha256_hex(sha_text.as_bytes()),
        manifest_sm3: sm3_hex(sm3_text.as_bytes()),
        custody_head_seq: lines.len() as u64,
        custody_head_sha256: lines
            .last()
            .map_or_else(|| GENESIS.to_owned(), |l| sha256_hex(l.as_bytes())),
        previous_statement: previous.as_ref().map(|(b, _)| sha256_hex(b)),
    };
    let st_text = statement.to_text();
    let sig = actor.signer.sign(st_text.as_bytes());
    let sig_sm2 = actor.sm2.as_ref().map(|k| k.sign(st_text.as_bytes()));
    let seal_dir = Layout::seal_rel(version);
    let seal_event = stage::event(
        actor,
        "seal",
        vec![],
        vec![
            format!(
                "{seal_dir}/statement.txt sha256:{}",
                sha256_hex(st_text.as_bytes())
            ),
            format!("merkle-root:{root}"),
        ],
        serde_json::json!({
            "version": version,
            "tree_size": leaves.len(),
            "payload_oxum": oxum,
            "items_added": items_added,
        }),
    );
    let prev = lines.last().map(|l| (lines.len() as u64, l.as_str()));
    lines.push(custody::seal_event_with(
        seal_event,
        prev,
        actor.signer.as_ref(),
        actor.sm2.as_ref(),
    ));

    let mut info = BagInfo::default();
    info.push("Bag-Software-Agent", &actor.tool);
    info.push("External-Identifier", &meta.case_id);
    if !meta.title.is_empty() {
        info.push("External-Description", &meta.title);
    }
    info.push("Contact-Name", &actor.name);
    info.push("Bagging-Date", now_utc.get(..10).unwrap_or(&now_utc));
    info.push("Payload-Oxum", &oxum);
    info.push("Cunzheng-Seal-Version", &version.to_string());
    info.push("Cunzheng-Merkle-Root", &root);
    info.push("Cunzheng-Merkle-Tree-Size", &leaves.len().to_string());
    info.push("Cunzheng-Signing-Key", &mine.fingerprint());

    files.push((
        Layout::key_rel(&mine.fingerprint()),
        mine.to_pem().into_bytes(),
    ));
    files.push((
        format!("{seal_dir}/{}", layout::MANIFEST_SHA256),
        sha_text.clone().into_bytes(),
    ));
    files.push((
        format!("{seal_dir}/{}", layout::MANIFEST_SM3),
        sm3_text.clone().into_bytes(),
    ));
    files.push((format!("{seal_dir}/statement.txt"), st_text.into_bytes()));
    files.push((format!("{seal_dir}/statement.sig"), sig));
    if let (Some(k), Some(sig)) = (&actor.sm2, sig_sm2) {
        let pk = k.public_key();
        files.push((Layout::key_rel(&pk.fingerprint()), pk.to_pem().into_bytes()));
        files.push((format!("{seal_dir}/statement.sm2.sig"), sig));
    }
    files.push((layout::BAGIT.into(), BAGIT_TXT.as_bytes().to_vec()));
    files.push((layout::MANIFEST_SHA256.into(), sha_text.into_bytes()));
    files.push((layout::MANIFEST_SM3.into(), sm3_text.into_bytes()));
    files.push((layout::BAG_INFO.into(), info.to_text().into_bytes()));

    Ok(Journal {
        outcome_version: version,
        merkle_root: root,
        tree_size: leaves.len() as u64,
        payload_oxum: oxum,
        items_added,
        key: mine.fingerprint(),
        objects,
        derived,
        files: files.into_iter().map(|(p, b)| (p, B64.encode(b))).collect(),
        custody_keep: keep,
        custody_append: lines[keep..].to_vec(),
        batches: batches.into_iter().map(|(p, _)| p).collect(),
    })
}

/// Names of the staged originals (their SHA-256).
fn staged_names(layout: &Layout) -> HashSet<String> {
    let names = |dir: &Path| -> Vec<String> {
        fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let root = layout.staged_objects();
    names(&root)
        .into_iter()
        .filter(|d| d.len() == 2)
        .flat_map(|d| names(&root.join(d)))
        .collect()
}

/// Moves whole staging folders into the bag where the bag has no folder of that name yet and
/// the staging folder holds exactly the originals being sealed: one rename instead of one per
/// file (22,600 renames were a tenth of preserving 2 GB). Returns the folders moved.
fn move_object_folders(layout: &Layout, objects: &[String]) -> Result<BTreeSet<String>> {
    let mut by_prefix: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for sha in objects {
        if let Some(prefix) = sha.get(..2) {
            by_prefix.entry(prefix).or_default().insert(sha);
        }
    }
    let mut moved = BTreeSet::new();
    for (prefix, shas) in by_prefix {
        let src = layout.staged_objects().join(prefix);
        let dst = layout.path(&format!("{}/{prefix}", layout::ORIGINALS_DIR));
        if dst.exists() {
            continue;
        }
        let Ok(rd) = fs::read_dir(&src) else {
            continue;
        };
        let mut names = HashSet::new();
        for e in rd {
            let e = e.map_err(|e| CaseError::io("reading", &src, e))?;
            names.insert(e.file_name().to_string_lossy().into_owned());
        }
        // Anything else there (an original of an `add` that was killed before it recorded
        // its batch) must not enter the payload unlisted.
        if names.len() != shas.len() || !shas.iter().all(|s| names.contains(*s)) {
            continue;
        }
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(|e| CaseError::io("creating", parent, e))?;
        }
        if crate::fsio::rename_no_replace(&src, &dst)
            .map_err(|e| CaseError::io("moving into the bag", &src, e))?
        {
            moved.insert(prefix.to_owned());
        }
    }
    Ok(moved)
}

fn apply(layout: &Layout, j: &Journal) -> Result<()> {
    let io = |action, p: &PathBuf, e| CaseError::io(action, p.clone(), e);
    // 1. Originals into the payload.
    let moved = move_object_folders(layout, &j.objects)?;
    let mut dirs = std::collections::BTreeSet::new();
    for sha in &j.objects {
        if moved.contains(sha.get(..2).unwrap_or_default()) {
            continue;
        }
        let src = layout.staged_object(sha);
        let dst = layout.path(&Layout::original_rel(sha));
        let parent = dst.parent().map(PathBuf::from).unwrap_or_default();
        if !dirs.contains(&parent) {
            fs::create_dir_all(&parent).map_err(|e| io("creating", &parent, e))?;
            dirs.insert(parent);
        }
        // Staged objects are read-only from the start (ingest sets the mode before naming
        // them), so moving is all there is to do. An object already in the bag (a re-run after
        // a crash) is never replaced.
        match crate::fsio::rename_no_replace(&src, &dst) {
            Ok(true) => {}
            Ok(false) => {
                let _ = fs::remove_file(&src);
            }
            // Moved by the run that was interrupted.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && dst.exists() => {}
            Err(e) => return Err(io("moving into the bag", &src, e)),
        }
    }
    if !dirs.is_empty() || !moved.is_empty() {
        let data = layout.path("data");
        crate::fsio::sync_filesystem(&data).map_err(|e| io("syncing", &data, e))?;
    }
    let mut placed: std::collections::BTreeMap<&str, PathBuf> = std::collections::BTreeMap::new();
    for (sha, rel) in &j.derived {
        let src = crate::stage::staged_derived(layout, sha);
        let dst = layout.path(rel);
        if dst.exists() {
            placed.insert(sha.as_str(), dst);
            continue;
        }
        let parent = dst.parent().map(PathBuf::from).unwrap_or_default();
        fs::create_dir_all(&parent).map_err(|e| io("creating", &parent, e))?;
        // Two derived paths with the same bytes share one staged file: copy the second.
        match placed.get(sha.as_str()) {
            Some(first) if !src.exists() => {
                fs::copy(first, &dst).map_err(|e| io("copying into the bag", first, e))?;
            }
            _ => fs::rename(&src, &dst).map_err(|e| io("moving into the bag", &src, e))?,
        }
        placed.insert(sha.as_str(), dst.clone());
        make_read_only(&dst).map_err(|e| io("protecting", &dst, e))?;
        dirs.insert(parent);
    }
    if !j.derived.is_empty() {
        let data = layout.path("data");
        crate::fsio::sync_filesystem(&data).map_err(|e| io("syncing", &data, e))?;
    }
    crate::fault::point("seal-after-move");
    // 2. New payload and tag files, bag-level files last.
    for (rel, b64) in &j.files {
        let bytes = B64.decode(b64).map_err(|e| CaseError::Malformed {
            path: "seal journal".into(),
            reason: e.to_string(),
        })?;
        let path = layout.path(rel);
        if fs::read(&path).ok().as_deref() == Some(&bytes[..]) {
            continue;
        }
        if rel.starts_with(layout::ACQUISITIONS_DIR) && path.exists() {
            // Payload files are immutable: an existing record with other content is tampering.
            return Err(CaseError::Malformed {
                path: rel.clone(),
                reason: "an acquisition record with other content is already in the bag".into(),
            });
        }
        write_atomic(&path, &bytes).map_err(|e| io("writing", &path, e))?;
        if rel.starts_with("data/") {
            make_read_only(&path).map_err(|e| io("protecting", &path, e))?;
        }
    }
    crate::fault::point("seal-after-files");
    // 3. The custody log: the kept prefix plus the new lines.
    let log_path = layout.path(layout::CUSTODY);
    let current = fs::read_to_string(&log_path).unwrap_or_default();
    let mut text: String = current
        .lines()
        .take(j.custody_keep)
        .map(|l| format!("{l}\n"))
        .collect();
    for l in &j.custody_append {
        text.push_str(l);
        text.push('\n');
    }
    write_atomic(&log_path, text.as_bytes()).map_err(|e| io("writing", &log_path, e))?;
    crate::fault::point("seal-before-tagmanifest");
    // 4. Tag manifests over every tag file.
    write_tag_manifests(layout)?;
    // 5. Done: drop the consumed staging and the journal.
    for b in &j.batches {
        let _ = fs::remove_file(b);
    }
    if stage::batches(layout)
        .map(|b| b.is_empty())
        .unwrap_or(false)
    {
        let _ = fs::remove_dir_all(layout.staging());
    }
    fs::remove_file(layout.journal()).map_err(|e| io("removing", &layout.journal(), e))?;
    sync_dir(&layout.work()).map_err(|e| io("syncing", &layout.work(), e))?;
    Ok(())
}

/// Every tag file of the bag (bag-relative, sorted): everything outside `data/`, the working
/// folder and the reports folder, except the tag manifests themselves.
pub fn tag_files(layout: &Layout) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(layout.root().to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| CaseError::io("reading", &dir, e))?;
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if rel == "data" || rel == layout::WORK_DIR || rel == layout::REPORTS_DIR {
                continue;
            }
            let ft = e
                .file_type()
                .map_err(|err| CaseError::io("reading", e.path(), err))?;
            if ft.is_dir() {
                stack.push((e.path(), rel));
            } else if rel != layout::TAGMANIFEST_SHA256 && rel != layout::TAGMANIFEST_SM3 {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The custody log's lines, after checking that it is intact (nothing may be chained to a
/// broken log). The actor's own key counts even before it is in the bag.
pub(crate) fn checked_custody(layout: &Layout, actor: &Actor) -> Result<Vec<String>> {
    let log_bytes = match fs::read(layout.path(layout::CUSTODY)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(CaseError::io("reading", layout.path(layout::CUSTODY), e)),
    };
    let keys = crate::verify::bag_keys(layout);
    let sm2_keys = crate::verify::bag_sm2_keys(layout);
    let mine = actor.signer.public_key();
    let mine_sm2 = actor.sm2.as_ref().map(|k| k.public_key());
    let key_for = |fp: &str| {
        if fp == mine.fingerprint() {
            Some(mine)
        } else {
            keys.get(fp).copied()
        }
    };
    let sm2_for = |fp: &str| match mine_sm2 {
        Some(k) if k.fingerprint() == fp => Some(k),
        _ => sm2_keys.get(fp).copied(),
    };
    let log = custody::check_log_with(&log_bytes, &key_for, &sm2_for);
    if let Some(p) = log.problems.first() {
        return Err(CaseError::Malformed {
            path: layout::CUSTODY.into(),
            reason: format!("line {}: {}; run `cunzheng verify`", p.line, p.message),
        });
    }
    Ok(log.lines)
}

/// Rewrites both tag manifests over every tag file now in the bag.
pub(crate) fn write_tag_manifests(layout: &Layout) -> Result<()> {
    let mut sha = Manifest::default();
    let mut sm3 = Manifest::default();
    for rel in tag_files(layout)? {
        let bytes = bag::read(layout, &rel)?;
        sha.entries.insert(rel.clone(), sha256_hex(&bytes));
        sm3.entries.insert(rel, sm3_hex(&bytes));
    }
    for (rel, m) in [
        (layout::TAGMANIFEST_SHA256, sha),
        (layout::TAGMANIFEST_SM3, sm3),
    ] {
        let p = layout.path(rel);
        write_atomic(&p, m.to_text().as_bytes()).map_err(|e| CaseError::io("writing", &p, e))?;
    }
    Ok(())
}
