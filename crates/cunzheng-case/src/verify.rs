//! Verification: recompute everything from the bag alone and name every discrepancy.
//!
//! Nothing outside the bag is trusted: not the index, not the staging area, not the examiner's
//! key store. Keys come from `cunzheng/keys/`, and the report lists their fingerprints so that
//! a reader can compare them with fingerprints received another way.

use crate::bag::{self, RecordLine};
use crate::error::{CaseError, Result};
use crate::ingest::Progress;
use crate::layout::{self, Layout};
use crate::seal::tag_files;
use crate::stage;
use cunzheng_seal::bagit::{BAGIT_TXT, BagInfo, Manifest, entry_line, payload_oxum};
use cunzheng_seal::custody::{self, CheckedLog, GENESIS};
use cunzheng_seal::hash::{hash_copy, sha256_hex, sm3_hex};
use cunzheng_seal::keys::PublicKey;
use cunzheng_seal::merkle;
use cunzheng_seal::sm2key::Sm2PublicKey;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

/// One thing that is not as sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    /// Bag-relative path of the file concerned.
    pub path: String,
    /// Kind: `hash_mismatch`, `missing`, `unexpected`, `malformed`, `signature`, `custody`,
    /// `merkle_root`, `payload_oxum`, `seal`, `record`, `interrupted`, `unsealed`.
    pub kind: String,
    /// What the seal says, where there is one value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the bag now holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// In words.
    pub detail: String,
}

/// The outcome of verifying a case.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// The case folder.
    pub case_dir: String,
    /// Case identifier, if `case.json` could be read.
    pub case_id: Option<String>,
    /// Whether nothing differs.
    pub intact: bool,
    /// Latest seal version.
    pub seal_version: Option<u32>,
    /// Merkle root recomputed from the payload manifest.
    pub merkle_root: Option<String>,
    /// Payload files hashed.
    pub files_checked: u64,
    /// Payload bytes hashed.
    pub bytes_checked: u64,
    /// Seal versions checked.
    pub seals_checked: u32,
    /// Custody events checked.
    pub custody_events: u64,
    /// Fingerprints of the keys that signed, as found in the bag.
    pub signing_keys: Vec<String>,
    /// Everything that differs.
    pub discrepancies: Vec<Discrepancy>,
    /// Facts that are not discrepancies (unsealed staged work, for example).
    pub notes: Vec<String>,
    /// Trust anchors (RFC 3161 tokens, transparency-log receipts) of every seal version,
    /// checked offline.
    pub anchors: Vec<crate::anchor::AnchorStatus>,
}

struct Collector(Vec<Discrepancy>);

impl Collector {
    fn add(&mut self, path: &str, kind: &str, detail: impl Into<String>) {
        self.0.push(Discrepancy {
            path: path.into(),
            kind: kind.into(),
            expected: None,
            actual: None,
            detail: detail.into(),
        });
    }
    fn mismatch(
        &mut self,
        path: &str,
        kind: &str,
        expected: &str,
        actual: &str,
        detail: impl Into<String>,
    ) {
        self.0.push(Discrepancy {
            path: path.into(),
            kind: kind.into(),
            expected: Some(expected.into()),
            actual: Some(actual.into()),
            detail: detail.into(),
        });
    }
}

/// The public keys in `cunzheng/keys/`, by fingerprint (unreadable ones are skipped here and
/// reported by [`verify`]).
pub fn bag_keys(layout: &Layout) -> HashMap<String, PublicKey> {
    let mut out = HashMap::new();
    if let Ok(rd) = fs::read_dir(layout.path(layout::KEYS_DIR)) {
        for e in rd.flatten() {
            if let Some(k) = fs::read_to_string(e.path())
                .ok()
                .and_then(|pem| PublicKey::from_pem(&pem).ok())
            {
                out.insert(k.fingerprint(), k);
            }
        }
    }
    out
}

/// The SM2 public keys in `cunzheng/keys/`, by fingerprint.
pub fn bag_sm2_keys(layout: &Layout) -> HashMap<String, Sm2PublicKey> {
    let mut out = HashMap::new();
    if let Ok(rd) = fs::read_dir(layout.path(layout::KEYS_DIR)) {
        for e in rd.flatten() {
            if let Some(k) = fs::read_to_string(e.path())
                .ok()
                .and_then(|pem| Sm2PublicKey::from_pem(&pem).ok())
            {
                out.insert(k.fingerprint(), k);
            }
        }
    }
    out
}

/// Whether `root` looks like a case folder at all (even a damaged one).
pub fn looks_like_case(root: &Path) -> bool {
    root.is_dir()
        && [
            layout::BAGIT,
            layout::BAG_INFO,
            layout::MANIFEST_SHA256,
            "cunzheng",
        ]
        .iter()
        .any(|p| root.join(p).exists())
}

/// Verifies the case at `root`. Fails only when `root` is not a case; everything else that is
/// wrong is a discrepancy in the report.
pub fn verify(root: &Path, progress: &dyn Progress) -> Result<VerifyReport> {
    verify_with(root, progress, &Options::default())
}

/// What a verification trusts beyond the bag.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Trust roots (PEM) for every RFC 3161 token, obtained outside the case; when given,
    /// the roots stored beside each token are not used.
    pub tsa_roots_pem: Option<Vec<u8>>,
    /// Transparency-log verifier keys (vkey text), obtained outside the case; when given,
    /// every log receipt is checked against them instead of its stored `.vkey`.
    pub log_keys: Vec<String>,
}

/// [`verify`] with [`Options`].
pub fn verify_with(root: &Path, progress: &dyn Progress, opts: &Options) -> Result<VerifyReport> {
    if !looks_like_case(root) {
        return Err(CaseError::NotACase {
            path: root.to_owned(),
            reason: "no bagit.txt, bag-info.txt, manifest or cunzheng/ folder".into(),
        });
    }
    let layout = Layout::new(root);
    let mut c = Collector(Vec::new());
    let mut report = VerifyReport {
        case_dir: root.display().to_string(),
        ..VerifyReport::default()
    };

    match fs::read(layout.path(layout::BAGIT)) {
        Ok(b) if b == BAGIT_TXT.as_bytes() => {}
        Ok(_) => c.add(
            layout::BAGIT,
            "malformed",
            "bagit.txt is not `BagIt-Version: 1.0` / UTF-8",
        ),
        Err(_) => c.add(layout::BAGIT, "missing", "bagit.txt is missing"),
    }
    let meta = match bag::case_meta(&layout) {
        Ok(m) => Some(m),
        Err(e) => {
            c.add(layout::CASE_JSON, "malformed", e.to_string());
            None
        }
    };
    report.case_id = meta.as_ref().map(|m| m.case_id.clone());

    // Payload.
    let m_sha = read_manifest(&layout, layout::MANIFEST_SHA256, &mut c);
    let m_sm3 = read_manifest(&layout, layout::MANIFEST_SM3, &mut c);
    let on_disk = payload_files(&layout, &mut c);
    // A manifest whose hash the latest statement signed is trusted to arbitrate blame.
    let latest = bag::seal_versions(&layout)
        .last()
        .and_then(|&v| bag::statement(&layout, v).ok())
        .map(|(_, s)| s);
    let signed = |rel: &str, want: Option<&String>, sm3: bool| {
        fs::read(layout.path(rel))
            .ok()
            .is_some_and(|b| Some(if sm3 { sm3_hex(&b) } else { sha256_hex(&b) }).as_ref() == want)
    };
    let trust_sha = signed(
        layout::MANIFEST_SHA256,
        latest.as_ref().map(|s| &s.manifest_sha256),
        false,
    );
    let trust_sm3 = signed(
        layout::MANIFEST_SM3,
        latest.as_ref().map(|s| &s.manifest_sm3),
        true,
    );
    let listed: BTreeSet<&String> = m_sha.entries.keys().chain(m_sm3.entries.keys()).collect();
    let mut to_hash = Vec::new();
    for p in listed.iter().copied() {
        if !on_disk.contains_key(p) {
            c.add(
                p,
                "missing",
                "listed in the payload manifest but missing from the bag",
            );
            continue;
        }
        for (m, name) in [
            (&m_sha, layout::MANIFEST_SHA256),
            (&m_sm3, layout::MANIFEST_SM3),
        ] {
            if !m.entries.contains_key(p) {
                c.add(p, "unexpected", format!("not listed in {name}"));
            }
        }
        to_hash.push(p.clone());
    }
    for p in on_disk.keys() {
        if !listed.contains(p) {
            c.add(
                p,
                "unexpected",
                "in data/ but not in any payload manifest (added after sealing?)",
            );
        }
    }
    let total: u64 = to_hash.iter().filter_map(|p| on_disk.get(p)).sum();
    progress.begin("verifying", total);
    let hashed: Vec<(String, std::io::Result<(cunzheng_model::Digests, u64)>)> = to_hash
        .par_iter()
        .map(|p| {
            let r =
                fs::File::open(layout.path(p)).and_then(|f| hash_copy(f, std::io::sink(), None));
            if let Ok((_, n)) = &r {
                progress.advance(*n);
            }
            (p.clone(), r)
        })
        .collect();
    progress.end();
    let (mut octets, mut files) = (0u64, 0u64);
    for (p, r) in hashed {
        match r {
            Ok((d, n)) => {
                octets += n;
                files += 1;
                blame(
                    &mut c,
                    &p,
                    (
                        layout::MANIFEST_SHA256,
                        m_sha.entries.get(&p),
                        &d.sha256,
                        trust_sha,
                    ),
                    (
                        layout::MANIFEST_SM3,
                        m_sm3.entries.get(&p),
                        &d.sm3,
                        trust_sm3,
                    ),
                );
            }
            Err(e) => c.add(&p, "missing", format!("cannot be read: {e}")),
        }
    }
    report.files_checked = files;
    report.bytes_checked = octets;

    // Tag files.
    let t_sha = read_manifest(&layout, layout::TAGMANIFEST_SHA256, &mut c);
    let t_sm3 = read_manifest(&layout, layout::TAGMANIFEST_SM3, &mut c);
    let tags = tag_files(&layout).unwrap_or_default();
    for rel in &tags {
        if !t_sha.entries.contains_key(rel) || !t_sm3.entries.contains_key(rel) {
            c.add(
                rel,
                "unexpected",
                "tag file not listed in the tag manifests (added after sealing?)",
            );
        }
    }
    let listed_tags: BTreeSet<&String> = t_sha.entries.keys().chain(t_sm3.entries.keys()).collect();
    for rel in listed_tags {
        match fs::read(layout.path(rel)) {
            Ok(b) => blame(
                &mut c,
                rel,
                (
                    layout::TAGMANIFEST_SHA256,
                    t_sha.entries.get(rel),
                    &sha256_hex(&b),
                    false,
                ),
                (
                    layout::TAGMANIFEST_SM3,
                    t_sm3.entries.get(rel),
                    &sm3_hex(&b),
                    false,
                ),
            ),
            Err(_) => c.add(rel, "missing", "listed in the tag manifests but missing"),
        }
    }

    // bag-info and the Merkle root.
    let leaves: Vec<merkle::Hash> = m_sha
        .entries
        .iter()
        .map(|(p, h)| merkle::leaf_hash(entry_line(h, p).as_bytes()))
        .collect();
    let root_hex = hex::encode(merkle::root(&leaves));
    report.merkle_root = Some(root_hex.clone());
    let info = match fs::read(layout.path(layout::BAG_INFO)) {
        Ok(b) => BagInfo::parse(&b).unwrap_or_else(|e| {
            c.add(layout::BAG_INFO, "malformed", e.to_string());
            BagInfo::default()
        }),
        Err(_) => {
            c.add(layout::BAG_INFO, "missing", "bag-info.txt is missing");
            BagInfo::default()
        }
    };
    let oxum = payload_oxum(octets, files);
    if on_disk.len() as u64 == files {
        match info.get("Payload-Oxum") {
            Some(v) if v == oxum => {}
            Some(v) => c.mismatch(
                layout::BAG_INFO,
                "payload_oxum",
                v,
                &oxum,
                "Payload-Oxum does not match the payload",
            ),
            None => c.add(layout::BAG_INFO, "malformed", "no Payload-Oxum"),
        }
    }
    match info.get("Cunzheng-Merkle-Root") {
        Some(v) if v == root_hex => {}
        Some(v) => c.mismatch(
            layout::BAG_INFO,
            "merkle_root",
            v,
            &root_hex,
            "Merkle root in bag-info.txt differs from the root of manifest-sha256.txt",
        ),
        None => c.add(layout::BAG_INFO, "malformed", "no Cunzheng-Merkle-Root"),
    }

    // Keys, custody log, seals.
    let keys = bag_keys(&layout);
    let sm2_keys = bag_sm2_keys(&layout);
    let mut fps: Vec<String> = keys.keys().chain(sm2_keys.keys()).cloned().collect();
    fps.sort();
    report.signing_keys = fps;
    let log_bytes = fs::read(layout.path(layout::CUSTODY)).unwrap_or_else(|_| {
        c.add(layout::CUSTODY, "missing", "custody log is missing");
        Vec::new()
    });
    let log = custody::check_log_with(&log_bytes, &|fp| keys.get(fp).copied(), &|fp| {
        sm2_keys.get(fp).copied()
    });
    for p in &log.problems {
        c.add(
            layout::CUSTODY,
            "custody",
            format!("line {}: {}", p.line, p.message),
        );
    }
    report.custody_events = log.events.len() as u64;

    let versions = bag::seal_versions(&layout);
    report.seal_version = versions.last().copied();
    if let Some(v) = info.get("Cunzheng-Seal-Version")
        && Some(v.to_owned()) != report.seal_version.map(|s| s.to_string())
    {
        c.mismatch(
            layout::BAG_INFO,
            "seal",
            v,
            &report
                .seal_version
                .map(|s| s.to_string())
                .unwrap_or_default(),
            "seal version in bag-info.txt is not the latest seal",
        );
    }
    if versions.is_empty() {
        c.add(
            layout::SEALS_DIR,
            "unsealed",
            "the case has never been sealed: run `cunzheng seal`",
        );
    }
    let mut prev_statement: Option<String> = None;
    let mut last_seal_line = 0usize;
    for (i, &v) in versions.iter().enumerate() {
        if v as usize != i + 1 {
            c.add(
                &Layout::seal_rel(v),
                "seal",
                format!(
                    "seal versions are not numbered 1..n (found {v} at position {})",
                    i + 1
                ),
            );
        }
        let seen = check_seal(
            &layout,
            v,
            (&keys, &sm2_keys),
            &log,
            &m_sha,
            meta.as_ref().map(|m| m.case_id.as_str()),
            &mut prev_statement,
            &mut c,
        );
        last_seal_line = last_seal_line.max(seen);
        report.seals_checked += 1;
    }
    if let Some(&latest) = versions.last() {
        let dir = Layout::seal_rel(latest);
        for name in [layout::MANIFEST_SHA256, layout::MANIFEST_SM3] {
            let top = fs::read(layout.path(name)).ok();
            let sealed = fs::read(layout.path(&format!("{dir}/{name}"))).ok();
            if top.is_some() && sealed.is_some() && top != sealed {
                c.add(
                    name,
                    "seal",
                    format!("differs from the manifest of the latest seal ({dir}/{name})"),
                );
            }
        }
        // Anchor events come after the seal they anchor, signed and chained like any other;
        // anything else after the last seal was never sealed.
        let unsealed = log
            .lines
            .iter()
            .skip(last_seal_line)
            .filter(|l| {
                !serde_json::from_str::<cunzheng_model::CustodyEvent>(l)
                    .is_ok_and(|e| e.action.starts_with("anchor."))
            })
            .count();
        if last_seal_line > 0 && unsealed > 0 {
            c.add(
                layout::CUSTODY,
                "custody",
                format!("{unsealed} line(s) after the last seal event were not sealed"),
            );
        }
    }

    // Acquisition records agree with the manifests.
    match bag::acquisitions(&layout) {
        Ok(records) => {
            for (rel, lines) in records {
                for l in lines {
                    if let RecordLine::Derived(d) = &l
                        && m_sha.entries.get(&d.path) != Some(&d.sha256)
                    {
                        c.add(
                            &rel,
                            "record",
                            format!(
                                "derived file {} is not in the payload with the recorded hash",
                                d.path
                            ),
                        );
                    }
                    if let RecordLine::Item(item) = l {
                        match m_sha.entries.get(&item.stored_as) {
                            Some(h) if *h == item.digests.sha256 => {}
                            Some(h) => c.mismatch(
                                &rel,
                                "record",
                                &item.digests.sha256,
                                h,
                                format!("exhibit {} hash differs from the manifest", item.number),
                            ),
                            None => c.add(
                                &rel,
                                "record",
                                format!(
                                    "exhibit {} points at {}, which is not in the payload",
                                    item.number, item.stored_as
                                ),
                            ),
                        }
                    }
                }
            }
        }
        Err(e) => {
            let path = match &e {
                CaseError::Malformed { path, .. } => path.clone(),
                _ => layout::ACQUISITIONS_DIR.into(),
            };
            c.add(&path, "malformed", e.to_string());
        }
    }

    check_anchors(&layout, &versions, &log, opts, &mut report, &mut c);

    if layout.journal().exists() {
        c.add(
            layout::WORK_DIR,
            "interrupted",
            "a seal was interrupted: run `cunzheng seal` to finish it",
        );
    }
    if let Ok(b) = stage::batches(&layout)
        && !b.is_empty()
    {
        report.notes.push(format!("{} staged batch(es) are not sealed yet and are not covered by this verification: run `cunzheng seal`", b.len()));
    }
    report.discrepancies = c.0;
    report.intact = report.discrepancies.is_empty();
    Ok(report)
}

/// Every anchor of every seal: its token checked offline against the signed root, and every
/// anchor file named (with its SHA-256) by a signed `anchor.*` custody event.
fn check_anchors(
    layout: &Layout,
    versions: &[u32],
    log: &CheckedLog,
    opts: &Options,
    report: &mut VerifyReport,
    c: &mut Collector,
) {
    use crate::anchor;
    if anchor::interrupted(layout) {
        c.add(
            layout::WORK_DIR,
            "interrupted",
            "an anchor change was interrupted: run `cunzheng stamp` to finish it",
        );
    }
    let recorded: BTreeSet<&String> = log
        .events
        .iter()
        .filter(|e| e.action.starts_with("anchor."))
        .flat_map(|e| &e.outputs)
        .collect();
    for &v in versions {
        let dir = anchor::anchors_rel(v);
        let Ok(rd) = fs::read_dir(layout.path(&dir)) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        for n in names {
            let rel = format!("{dir}/{n}");
            let Ok(bytes) = fs::read(layout.path(&rel)) else {
                c.add(&rel, "anchor", "anchor file cannot be read");
                continue;
            };
            if !recorded.contains(&format!("{rel} sha256:{}", sha256_hex(&bytes))) {
                c.add(
                    &rel,
                    "anchor",
                    "anchor file is not named with this content by any signed anchor event of the custody log",
                );
            }
        }
        let Ok((_, st)) = bag::statement(layout, v) else {
            continue;
        };
        for (rel, rec) in anchor::records(layout, v) {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    c.add(&rel, "malformed", e.to_string());
                    continue;
                }
            };
            if rec.seal_version != v || rec.merkle_root != st.merkle_root {
                c.add(
                    &rel,
                    "anchor",
                    format!(
                        "anchor record names seal {} root {}, not this seal's",
                        rec.seal_version, rec.merkle_root
                    ),
                );
            }
            let status = if rec.kind == anchor::KIND_TLOG {
                anchor::tlog::inspect_with_keys(layout, &st.merkle_root, &rec, &opts.log_keys)
            } else {
                anchor::inspect_with(layout, &st.merkle_root, &rec, opts.tsa_roots_pem.as_deref())
            };
            // A token older than the seal it stamps means the examiner's clock ran ahead.
            if let (Some(t), Ok(sealed)) = (&status.token, st.sealed_at.parse::<jiff::Timestamp>())
                && (t.gen_time_unix as i64) + 60 < sealed.as_second()
            {
                report.notes.push(format!(
                    "seal {v} {}: the TSA's time {} is before the statement's sealed-at {}: the examiner's clock was ahead",
                    status.name, t.gen_time, st.sealed_at
                ));
            }
            if let (Some(r), Some(t), Ok(sealed)) = (
                &status.receipt,
                &status.gen_time,
                st.sealed_at.parse::<jiff::Timestamp>(),
            ) && ((r.timestamp_ms / 1000) as i64) + 60 < sealed.as_second()
            {
                report.notes.push(format!(
                    "seal {v} {}: the log's time {t} is before the statement's sealed-at {}: the examiner's clock was ahead",
                    status.name, st.sealed_at
                ));
            }
            // Pending, unverified (no root configured) and unknown kinds are not
            // discrepancies; their state is in `anchors`.
            match status.status.as_str() {
                "granted" | "pending" | "unverified" | "unknown" => {}
                _ => c.add(
                    &status.path,
                    "anchor",
                    format!(
                        "{} {} of seal {v}: {}",
                        if status.kind == anchor::KIND_TLOG {
                            "log receipt"
                        } else {
                            "time-stamp"
                        },
                        status.name,
                        status.detail
                    ),
                ),
            }
            report.anchors.push(status);
        }
    }
}

/// Compares a file's two hashes with the two manifests. When both disagree, the file changed.
/// When one disagrees, the file changed if that manifest is still the one the seal signed
/// (`trusted`); otherwise that manifest's entry is what changed, as the other still vouches for
/// the file.
type Check<'a> = (&'a str, Option<&'a String>, &'a str, bool);

fn blame(c: &mut Collector, path: &str, sha: Check<'_>, sm3: Check<'_>) {
    let bad = |(_, want, got, _): Check<'_>| want.is_some_and(|w| w != got);
    let file_changed = |c: &mut Collector, (name, want, got, _): Check<'_>| {
        c.mismatch(
            path,
            "hash_mismatch",
            want.map_or("", |s| s.as_str()),
            got,
            format!("hash differs from {name}: the file was changed"),
        )
    };
    match (bad(sha), bad(sm3)) {
        (false, false) => {}
        (true, true) => file_changed(c, sha),
        (one_sha, _) => {
            let check = if one_sha { sha } else { sm3 };
            if check.3 {
                file_changed(c, check);
            } else {
                let (name, want, got, _) = check;
                c.mismatch(
                    name,
                    "hash_mismatch",
                    want.map_or("", |s| s.as_str()),
                    got,
                    format!("the entry for {path} was changed (the other manifest still matches the file)"),
                );
            }
        }
    }
}

fn read_manifest(layout: &Layout, rel: &str, c: &mut Collector) -> Manifest {
    match fs::read(layout.path(rel)) {
        Ok(b) => Manifest::parse(&b, 256).unwrap_or_else(|e| {
            c.add(rel, "malformed", e.to_string());
            Manifest::default()
        }),
        Err(_) => {
            c.add(rel, "missing", format!("{rel} is missing"));
            Manifest::default()
        }
    }
}

/// Files under `data/` with their sizes; anything that is not a regular file is a discrepancy.
fn payload_files(layout: &Layout, c: &mut Collector) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(layout.path("data"), "data".to_owned())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else {
            c.add(&prefix, "missing", "payload folder cannot be read");
            continue;
        };
        for e in rd.flatten() {
            let rel = format!("{prefix}/{}", e.file_name().to_string_lossy());
            match e.path().symlink_metadata() {
                Ok(m) if m.is_dir() => stack.push((e.path(), rel)),
                Ok(m) if m.is_file() => {
                    out.insert(rel, m.len());
                }
                _ => c.add(
                    &rel,
                    "unexpected",
                    "not a regular file (links are never part of a bag)",
                ),
            }
        }
    }
    out
}

/// Checks one seal version; returns the custody line number of its seal event (0 if not found).
#[allow(clippy::too_many_arguments)]
fn check_seal(
    layout: &Layout,
    v: u32,
    (keys, sm2_keys): (&HashMap<String, PublicKey>, &HashMap<String, Sm2PublicKey>),
    log: &CheckedLog,
    current: &Manifest,
    case_id: Option<&str>,
    prev_statement: &mut Option<String>,
    c: &mut Collector,
) -> usize {
    let dir = Layout::seal_rel(v);
    let st_rel = format!("{dir}/statement.txt");
    let (bytes, st) = match bag::statement(layout, v) {
        Ok(x) => x,
        Err(e) => {
            c.add(&st_rel, "malformed", e.to_string());
            return 0;
        }
    };
    let st_hash = sha256_hex(&bytes);
    let sig_rel = format!("{dir}/statement.sig");
    match (keys.get(&st.key), fs::read(layout.path(&sig_rel))) {
        (None, _) => c.add(
            &st_rel,
            "signature",
            format!("signing key {} is not in the bag", st.key),
        ),
        (_, Err(_)) => c.add(&sig_rel, "missing", "signature file is missing"),
        (Some(k), Ok(sig)) => {
            if k.verify(&bytes, &sig).is_err() {
                c.add(
                    &sig_rel,
                    "signature",
                    format!("signature of seal {v} does not verify under {}", st.key),
                );
            }
        }
    }
    // The SM2 signature beside it, when the statement names an SM2 key (v2).
    let sm2_rel = format!("{dir}/statement.sm2.sig");
    let sm2_sig = fs::read(layout.path(&sm2_rel));
    match (&st.key_sm2, sm2_sig) {
        (None, Err(_)) => {}
        (None, Ok(_)) => c.add(
            &sm2_rel,
            "signature",
            "an SM2 signature lies beside a statement that names no SM2 key",
        ),
        (Some(_), Err(_)) => c.add(&sm2_rel, "missing", "SM2 signature file is missing"),
        (Some(fp), Ok(sig)) => match sm2_keys.get(fp) {
            None => c.add(
                &st_rel,
                "signature",
                format!("SM2 key {fp} is not in the bag"),
            ),
            Some(k) => {
                if k.verify(&bytes, &sig).is_err() {
                    c.add(
                        &sm2_rel,
                        "signature",
                        format!("SM2 signature of seal {v} does not verify under {fp}"),
                    );
                }
            }
        },
    }
    if st.version != v {
        c.mismatch(
            &st_rel,
            "seal",
            &v.to_string(),
            &st.version.to_string(),
            "statement names another version",
        );
    }
    if let Some(id) = case_id
        && st.case_id != id
    {
        c.mismatch(
            &st_rel,
            "seal",
            id,
            &st.case_id,
            "statement names another case",
        );
    }
    if st.previous_statement != *prev_statement {
        c.add(
            &st_rel,
            "seal",
            "does not chain to the previous seal statement",
        );
    }
    *prev_statement = Some(st_hash.clone());

    // Its manifests, its tree, and that everything it sealed is still there unchanged.
    let m_rel = format!("{dir}/{}", layout::MANIFEST_SHA256);
    let s_rel = format!("{dir}/{}", layout::MANIFEST_SM3);
    let m_bytes = fs::read(layout.path(&m_rel)).unwrap_or_default();
    let s_bytes = fs::read(layout.path(&s_rel)).unwrap_or_default();
    if sha256_hex(&m_bytes) != st.manifest_sha256 {
        c.mismatch(
            &m_rel,
            "seal",
            &st.manifest_sha256,
            &sha256_hex(&m_bytes),
            "manifest differs from the one the statement signed",
        );
    }
    if sm3_hex(&s_bytes) != st.manifest_sm3 {
        c.mismatch(
            &s_rel,
            "seal",
            &st.manifest_sm3,
            &sm3_hex(&s_bytes),
            "manifest differs from the one the statement signed",
        );
    }
    if let Ok(m) = Manifest::parse(&m_bytes, 256) {
        let leaves: Vec<merkle::Hash> = m
            .entries
            .iter()
            .map(|(p, h)| merkle::leaf_hash(entry_line(h, p).as_bytes()))
            .collect();
        let root = hex::encode(merkle::root(&leaves));
        if root != st.merkle_root || leaves.len() as u64 != st.tree_size {
            c.mismatch(
                &st_rel,
                "merkle_root",
                &st.merkle_root,
                &root,
                format!("Merkle root of seal {v}'s manifest differs from the signed root"),
            );
        }
        for (p, h) in &m.entries {
            if current.entries.get(p) != Some(h) {
                c.add(
                    p,
                    "seal",
                    format!(
                        "sealed in version {v} but changed or removed from the current manifest"
                    ),
                );
            }
        }
    }

    // Its place in the custody log: the head it pinned, then its own event.
    let head = st.custody_head_seq as usize;
    let head_hash = if head == 0 {
        Some(GENESIS.to_owned())
    } else {
        log.lines.get(head - 1).map(|l| sha256_hex(l.as_bytes()))
    };
    if head_hash.as_deref() != Some(st.custody_head_sha256.as_str()) {
        c.add(
            layout::CUSTODY,
            "custody",
            format!("seal {v} pinned custody line {head}, which is missing or changed"),
        );
        return 0;
    }
    let own = log
        .lines
        .get(head)
        .and_then(|l| serde_json::from_str::<cunzheng_model::CustodyEvent>(l).ok());
    match own {
        Some(ev) if ev.action == "seal" && ev.outputs.iter().any(|o| o.ends_with(&st_hash)) => {
            head + 1
        }
        _ => {
            c.add(
                layout::CUSTODY,
                "custody",
                format!("line {} should be the event of seal {v}", head + 1),
            );
            0
        }
    }
}
