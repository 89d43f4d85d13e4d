//! Trust anchors of a seal: third parties that saw its Merkle root at a time.
//!
//! Each seal version keeps its anchors in `cunzheng/seals/NNNN/anchors/`, one name per anchor
//! (`tsa-1`, `tsa-2`, … for time-stamps, `log-1`, … for transparency-log receipts), each with:
//!
//! * `<name>.json`: an [`AnchorRecord`]: kind, where it was asked, which root, when. Written
//!   once with the request and never changed;
//! * for RFC 3161: `<name>.tsq` (the request as sent), `<name>.roots.pem` (the trust roots
//!   configured for that TSA, so `verify` works offline), and `<name>.tsr` once granted (the
//!   TimeStampResp exactly as the TSA sent it). A response that failed verification is kept as
//!   `<name>.rejected-<k>.tsr` and the request stays pending;
//! * for a transparency log (`log-1`, …, see [`tlog`]): `<name>.vkey` (the log's verifier key
//!   as configured, or as the log served it when none was), and `<name>.receipt.json` once the
//!   log answered. A receipt that failed verification is kept as `<name>.rejected-<k>.json`.
//!
//! Anchors come after the signed statement (they stamp its root), so they are tag files added
//! later: each change is one journal (`.cunzheng/anchoring.json`) that writes the files,
//! appends signed `anchor.*` custody events naming every file's SHA-256, and rewrites the tag
//! manifests. `verify` accepts `anchor.*` events after the last seal and checks that every
//! anchor file is named by one of them.

use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::fsio::{sync_dir, write_atomic};
use crate::layout::{self, Layout};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_anchor::error::TspError;
use cunzheng_anchor::http::Transport;
use cunzheng_anchor::tsp::{self, Expected, ImprintHash, Request, TrustRoots, Verified};
use cunzheng_seal::custody;
use cunzheng_seal::hash::sha256_hex;
use serde::{Deserialize, Serialize};
use std::fs;

pub mod tlog;
pub use tlog::{HttpLog, KIND_TLOG, Log, Submitter};

/// `format` of an anchor record.
pub const RECORD_FORMAT: &str = "cunzheng-anchor/1";
/// `kind` of an RFC 3161 anchor.
pub const KIND_RFC3161: &str = "rfc3161";

/// A time-stamp authority to ask.
#[derive(Debug, Clone)]
pub struct Tsa {
    /// HTTP(S) URL.
    pub url: String,
    /// Trust roots for its tokens (PEM), possibly empty.
    pub roots_pem: Vec<u8>,
    /// Imprint hash.
    pub hash: ImprintHash,
}

/// `<name>.json`: what was asked of whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRecord {
    /// [`RECORD_FORMAT`].
    pub format: String,
    /// [`KIND_RFC3161`] or [`KIND_TLOG`].
    pub kind: String,
    /// The anchor's name in the folder, e.g. `tsa-1`.
    pub name: String,
    /// Seal version anchored.
    pub seal_version: u32,
    /// The seal's Merkle root (hex) as it was asked to be stamped.
    pub merkle_root: String,
    /// Where it was asked.
    pub url: String,
    /// Imprint hash (`sha256`, `sm3`).
    pub hash: String,
    /// When the request was made (RFC 3339 UTC, examiner's clock).
    pub requested_utc: String,
    /// For a log: `pinned` (the `.vkey` was configured by the user) or `served` (it is the
    /// key the log served, which proves nothing about who runs the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_key: Option<String>,
}

/// The state of one anchor as found in the bag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorStatus {
    /// Seal version.
    pub seal_version: u32,
    /// Name, e.g. `tsa-1`.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Where it was asked.
    pub url: String,
    /// `granted` (token verified up to a stored root), `unverified` (valid token, no trust
    /// root stored), `pending` (no token yet), `invalid` (a stored token fails).
    pub status: String,
    /// The token's time, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gen_time: Option<String>,
    /// Details of a verified token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Verified>,
    /// Details of a verified log receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<cunzheng_tlog::receipt::VerifiedReceipt>,
    /// Bag-relative path of the token, request or record.
    pub path: String,
    /// In words (the reason when not granted).
    pub detail: String,
}

/// The anchors folder of a seal version (bag-relative).
pub fn anchors_rel(version: u32) -> String {
    format!("{}/anchors", Layout::seal_rel(version))
}

/// Working-folder journal of an anchor change in progress.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    files: Vec<(String, String)>,
    custody_keep: usize,
    custody_append: Vec<String>,
}

fn journal_path(layout: &Layout) -> std::path::PathBuf {
    layout.work().join("anchoring.json")
}

/// Whether an anchor change was interrupted (finished by [`resume`]).
pub fn interrupted(layout: &Layout) -> bool {
    journal_path(layout).exists()
}

/// Finishes an interrupted anchor change, if any.
pub fn resume(layout: &Layout) -> Result<()> {
    let p = journal_path(layout);
    let bytes = match fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CaseError::io("reading", p, e)),
    };
    let j: Journal = serde_json::from_slice(&bytes).map_err(|e| CaseError::Malformed {
        path: p.display().to_string(),
        reason: format!("anchor journal unreadable: {e}"),
    })?;
    apply(layout, &j)
}

fn apply(layout: &Layout, j: &Journal) -> Result<()> {
    for (rel, b64) in &j.files {
        let bytes = B64.decode(b64).map_err(|e| CaseError::Malformed {
            path: "anchor journal".into(),
            reason: e.to_string(),
        })?;
        let path = layout.path(rel);
        match fs::read(&path) {
            Ok(old) if old == bytes => continue,
            // Anchor files are written once: another content is tampering, not ours to replace.
            Ok(_) => {
                return Err(CaseError::Malformed {
                    path: rel.clone(),
                    reason: "an anchor file with other content is already in the bag".into(),
                });
            }
            Err(_) => {
                write_atomic(&path, &bytes).map_err(|e| CaseError::io("writing", &path, e))?
            }
        }
    }
    crate::fault::point("anchor-after-files");
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
    write_atomic(&log_path, text.as_bytes()).map_err(|e| CaseError::io("writing", &log_path, e))?;
    crate::seal::write_tag_manifests(layout)?;
    let p = journal_path(layout);
    fs::remove_file(&p).map_err(|e| CaseError::io("removing", &p, e))?;
    sync_dir(&layout.work()).map_err(|e| CaseError::io("syncing", layout.work(), e))?;
    Ok(())
}

/// Files and custody events of one anchor change, built up then committed at once.
struct Change<'a> {
    layout: &'a Layout,
    actor: &'a Actor,
    lines: Vec<String>,
    keep: usize,
    files: Vec<(String, Vec<u8>)>,
}

impl<'a> Change<'a> {
    fn new(layout: &'a Layout, actor: &'a Actor) -> Result<Self> {
        let lines = crate::seal::checked_custody(layout, actor)?;
        Ok(Self {
            layout,
            actor,
            keep: lines.len(),
            lines,
            files: Vec::new(),
        })
    }

    /// Adds a file; returns its custody output text (`path sha256:…`).
    fn file(&mut self, rel: String, bytes: Vec<u8>) -> String {
        let out = format!("{rel} sha256:{}", sha256_hex(&bytes));
        self.files.push((rel, bytes));
        out
    }

    fn event(&mut self, action: &str, outputs: Vec<String>, details: serde_json::Value) {
        let ev = crate::stage::event(self.actor, action, vec![], outputs, details);
        let prev = self
            .lines
            .last()
            .map(|l| (self.lines.len() as u64, l.as_str()));
        let line = custody::seal_event_with(
            ev,
            prev,
            self.actor.signer.as_ref(),
            self.actor.sm2.as_ref(),
        );
        self.lines.push(line);
    }

    fn commit(mut self) -> Result<()> {
        if self.lines.len() == self.keep && self.files.is_empty() {
            return Ok(());
        }
        // The acting key must be in the bag for its events to verify.
        let pk = self.actor.signer.public_key();
        let key_rel = Layout::key_rel(&pk.fingerprint());
        if !self.layout.path(&key_rel).exists() {
            self.files.push((key_rel, pk.to_pem().into_bytes()));
        }
        if let Some(k) = &self.actor.sm2 {
            let pk = k.public_key();
            let rel = Layout::key_rel(&pk.fingerprint());
            if !self.layout.path(&rel).exists() {
                self.files.push((rel, pk.to_pem().into_bytes()));
            }
        }
        let j = Journal {
            files: self
                .files
                .iter()
                .map(|(p, b)| (p.clone(), B64.encode(b)))
                .collect(),
            custody_keep: self.keep,
            custody_append: self.lines[self.keep..].to_vec(),
        };
        let bytes = serde_json::to_vec(&j).map_err(|e| CaseError::Malformed {
            path: "anchor journal".into(),
            reason: e.to_string(),
        })?;
        let p = journal_path(self.layout);
        write_atomic(&p, &bytes).map_err(|e| CaseError::io("writing", &p, e))?;
        crate::fault::point("anchor-after-journal");
        apply(self.layout, &j)
    }
}

/// The anchor records of a seal version, sorted by name.
pub fn records(layout: &Layout, version: u32) -> Vec<(String, Result<AnchorRecord>)> {
    let dir = anchors_rel(version);
    let mut names: Vec<String> = fs::read_dir(layout.path(&dir))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                // `<name>.json`; not `<name>.receipt.json` nor `<name>.rejected-<k>.json`.
                .filter(|n| n.strip_suffix(".json").is_some_and(|s| !s.contains('.')))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let rel = format!("{dir}/{n}");
            let r = crate::bag::read(layout, &rel).and_then(|b| {
                serde_json::from_slice::<AnchorRecord>(&b).map_err(|e| CaseError::Malformed {
                    path: rel.clone(),
                    reason: e.to_string(),
                })
            });
            (rel, r)
        })
        .collect()
}

fn root_bytes(hex_root: &str, rel: &str) -> Result<[u8; 32]> {
    hex::decode(hex_root)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| CaseError::Malformed {
            path: rel.into(),
            reason: "Merkle root is not 32 bytes of hex".into(),
        })
}

/// Checks one RFC 3161 anchor against the seal's signed root, offline, with the roots stored
/// beside it.
pub fn inspect(layout: &Layout, signed_root: &str, rec: &AnchorRecord) -> AnchorStatus {
    inspect_with(layout, signed_root, rec, None)
}

/// [`inspect`], with trust roots given from outside the case (PEM) instead of the stored ones.
pub fn inspect_with(
    layout: &Layout,
    signed_root: &str,
    rec: &AnchorRecord,
    external_roots: Option<&[u8]>,
) -> AnchorStatus {
    let dir = anchors_rel(rec.seal_version);
    let base = format!("{dir}/{}", rec.name);
    let mut st = AnchorStatus {
        seal_version: rec.seal_version,
        name: rec.name.clone(),
        kind: rec.kind.clone(),
        url: rec.url.clone(),
        status: "invalid".into(),
        gen_time: None,
        token: None,
        receipt: None,
        path: format!("{base}.json"),
        detail: String::new(),
    };
    if rec.kind == KIND_TLOG {
        return tlog::inspect(layout, signed_root, rec, st);
    }
    if rec.kind != KIND_RFC3161 {
        st.status = "unknown".into();
        st.detail = format!("anchor kind {} is not known to this version", rec.kind);
        return st;
    }
    let check = || -> std::result::Result<(String, Verified), (String, String)> {
        let tsq_rel = format!("{base}.tsq");
        let tsq = fs::read(layout.path(&tsq_rel))
            .map_err(|_| (tsq_rel.clone(), "the request (.tsq) is missing".to_owned()))?;
        let req = Request::parse(&tsq).map_err(|e| (tsq_rel.clone(), e.to_string()))?;
        let root =
            root_bytes(signed_root, &tsq_rel).map_err(|e| (tsq_rel.clone(), e.to_string()))?;
        // What must be stamped comes from the signed statement, never from the request file.
        let want = req.hash.imprint(&root);
        if req.imprint != want {
            return Err((
                tsq_rel,
                format!(
                    "the request stamps {}, not the seal's root {signed_root}",
                    hex::encode(&req.imprint)
                ),
            ));
        }
        let roots_rel = format!("{base}.roots.pem");
        let roots = match (external_roots, fs::read(layout.path(&roots_rel))) {
            (Some(pem), _) => TrustRoots::from_pem("--tsa-ca", pem)
                .map_err(|e| (roots_rel.clone(), e.to_string()))?,
            (None, Ok(pem)) => TrustRoots::from_pem(&roots_rel, &pem)
                .map_err(|e| (roots_rel.clone(), e.to_string()))?,
            (None, Err(_)) => TrustRoots::none(),
        };
        let tsr_rel = format!("{base}.tsr");
        let tsr = match fs::read(layout.path(&tsr_rel)) {
            Ok(b) => b,
            Err(_) => return Err((tsq_rel, "pending".into())),
        };
        let exp = Expected {
            hash: req.hash,
            imprint: &want,
            nonce: req.nonce.as_deref(),
        };
        match tsp::verify_response(&tsr, &exp, &roots) {
            Ok(v) => Ok((tsr_rel, v)),
            Err(TspError::NoTrustRoots) => {
                // Everything but the chain holds; say so rather than call it granted.
                let any = tsp::verify_response_without_chain(&tsr, &exp)
                    .map_err(|e| (tsr_rel.clone(), e.to_string()))?;
                Err((tsr_rel, format!("unverified:{}", any.gen_time)))
            }
            Err(e) => Err((tsr_rel, e.to_string())),
        }
    };
    match check() {
        Ok((path, v)) => {
            st.status = "granted".into();
            st.gen_time = Some(v.gen_time.clone());
            st.detail = format!(
                "time-stamped {} by {} (root {}, {})",
                v.gen_time,
                v.tsa_subject,
                v.root_subject,
                if external_roots.is_some() {
                    "a root given to verify"
                } else {
                    "a root stored in the case"
                }
            );
            st.token = Some(v);
            st.path = path;
        }
        Err((path, reason)) if reason == "pending" => {
            st.status = "pending".into();
            st.path = path;
            st.detail = format!(
                "requested {} from {}, no token yet: run `cunzheng stamp`",
                rec.requested_utc, rec.url
            );
        }
        Err((path, reason)) if reason.starts_with("unverified:") => {
            let t = reason.trim_start_matches("unverified:").to_owned();
            st.status = "unverified".into();
            st.path = path;
            st.detail = format!(
                "token valid, time {t}, but no trust root was configured for {}: its certificate chain is not checked",
                rec.url
            );
            st.gen_time = Some(t);
        }
        Err((path, reason)) => {
            st.path = path;
            st.detail = reason;
        }
    }
    st
}

enum Attempt {
    Granted(Vec<u8>, Verified),
    Unverified(Vec<u8>),
    Rejected(Vec<u8>, TspError),
    Unreachable(String),
}

fn attempt(transport: &dyn Transport, url: &str, req: &Request, roots: &TrustRoots) -> Attempt {
    let resp = match transport.send(url, &req.der) {
        Ok(b) => b,
        Err(e) => return Attempt::Unreachable(e.to_string()),
    };
    let exp = Expected {
        hash: req.hash,
        imprint: &req.imprint,
        nonce: req.nonce.as_deref(),
    };
    match tsp::verify_response(&resp, &exp, roots) {
        Ok(v) => Attempt::Granted(resp, v),
        Err(TspError::NoTrustRoots) => Attempt::Unverified(resp),
        Err(e) => Attempt::Rejected(resp, e),
    }
}

/// Records the outcome of one attempt in `change`.
fn record_attempt(change: &mut Change<'_>, rec: &AnchorRecord, a: Attempt) {
    let base = format!("{}/{}", anchors_rel(rec.seal_version), rec.name);
    match a {
        Attempt::Granted(bytes, v) => {
            let out = change.file(format!("{base}.tsr"), bytes);
            change.event(
                "anchor.timestamp",
                vec![out],
                serde_json::json!({"anchor": rec.name, "seal_version": rec.seal_version, "url": rec.url,
                    "gen_time": v.gen_time, "serial": v.serial, "tsa": v.tsa_subject, "root": v.root_subject}),
            );
        }
        Attempt::Unverified(bytes) => {
            let out = change.file(format!("{base}.tsr"), bytes);
            change.event(
                "anchor.timestamp",
                vec![out],
                serde_json::json!({"anchor": rec.name, "seal_version": rec.seal_version, "url": rec.url,
                    "chain": "not checked: no trust root configured"}),
            );
        }
        Attempt::Rejected(bytes, e) => {
            let k = (1..)
                .find(|k| {
                    !change
                        .layout
                        .path(&format!("{base}.rejected-{k}.tsr"))
                        .exists()
                        && !change
                            .files
                            .iter()
                            .any(|(p, _)| *p == format!("{base}.rejected-{k}.tsr"))
                })
                .unwrap_or(1);
            let out = change.file(format!("{base}.rejected-{k}.tsr"), bytes);
            change.event(
                "anchor.rejected",
                vec![out],
                serde_json::json!({"anchor": rec.name, "seal_version": rec.seal_version, "url": rec.url,
                    "reason": e.to_string()}),
            );
        }
        Attempt::Unreachable(reason) => change.event(
            "anchor.pending",
            vec![],
            serde_json::json!({"anchor": rec.name, "seal_version": rec.seal_version, "url": rec.url,
                "reason": reason}),
        ),
    }
}

/// Asks each TSA to stamp the root of seal `version`: the requests are stored (pending) and
/// sent at once; a TSA that cannot be reached leaves its request pending for [`stamp`].
pub fn request(
    layout: &Layout,
    actor: &Actor,
    version: u32,
    tsas: &[Tsa],
    transport: &dyn Transport,
) -> Result<Vec<AnchorStatus>> {
    resume(layout)?;
    if tsas.is_empty() {
        return Ok(Vec::new());
    }
    let (_, st) = crate::bag::statement(layout, version)?;
    let root = root_bytes(&st.merkle_root, "statement.txt")?;
    let dir = anchors_rel(version);
    let mut next = records(layout, version).len() + 1;
    let mut change = Change::new(layout, actor)?;
    let mut made = Vec::new();
    for tsa in tsas {
        let roots = if tsa.roots_pem.is_empty() {
            TrustRoots::none()
        } else {
            TrustRoots::from_pem(&tsa.url, &tsa.roots_pem).map_err(|e| CaseError::Input {
                path: tsa.url.clone().into(),
                reason: e.to_string(),
            })?
        };
        let name = loop {
            let n = format!("tsa-{next}");
            next += 1;
            if !layout.path(&format!("{dir}/{n}.json")).exists() {
                break n;
            }
        };
        let req = Request::new(&root, tsa.hash).map_err(|e| CaseError::Malformed {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        let (now, _) = actor.now_parts();
        let rec = AnchorRecord {
            format: RECORD_FORMAT.into(),
            kind: KIND_RFC3161.into(),
            name: name.clone(),
            seal_version: version,
            merkle_root: st.merkle_root.clone(),
            url: tsa.url.clone(),
            hash: tsa.hash.name().into(),
            requested_utc: now,
            log_key: None,
        };
        let mut outs = vec![
            change.file(
                format!("{dir}/{name}.json"),
                serde_json::to_vec_pretty(&rec).unwrap_or_default(),
            ),
            change.file(format!("{dir}/{name}.tsq"), req.der.clone()),
        ];
        if !roots.is_empty() {
            outs.push(change.file(
                format!("{dir}/{name}.roots.pem"),
                roots.to_pem().into_bytes(),
            ));
        }
        change.event(
            "anchor.request",
            outs,
            serde_json::json!({"anchor": name, "seal_version": version, "url": tsa.url,
                "hash": tsa.hash.name(), "merkle_root": st.merkle_root}),
        );
        let a = attempt(transport, &tsa.url, &req, &roots);
        record_attempt(&mut change, &rec, a);
        made.push(rec);
    }
    change.commit()?;
    Ok(made
        .iter()
        .map(|r| inspect(layout, &st.merkle_root, r))
        .collect())
}

/// Sends every pending request of the case again (all seal versions), logs through
/// [`HttpLog`]. Returns the state of every anchor afterwards.
pub fn stamp(
    layout: &Layout,
    actor: &Actor,
    transport: &dyn Transport,
) -> Result<Vec<AnchorStatus>> {
    stamp_with(layout, actor, transport, &HttpLog)
}

/// [`stamp`], submitting to transparency logs through `logs`.
pub fn stamp_with(
    layout: &Layout,
    actor: &Actor,
    transport: &dyn Transport,
    logs: &dyn Submitter,
) -> Result<Vec<AnchorStatus>> {
    resume(layout)?;
    let mut change = Change::new(layout, actor)?;
    let mut all = Vec::new();
    for v in crate::bag::seal_versions(layout) {
        let (_, st) = crate::bag::statement(layout, v)?;
        for (rel, rec) in records(layout, v) {
            let rec = rec?;
            let status = inspect(layout, &st.merkle_root, &rec);
            if status.status != "pending" {
                continue;
            }
            if rec.kind == KIND_TLOG {
                tlog::retry(&mut change, &rec, &st.merkle_root, logs)?;
                all.push((st.merkle_root.clone(), rec));
                continue;
            }
            let base = format!("{}/{}", anchors_rel(v), rec.name);
            let tsq = crate::bag::read(layout, &format!("{base}.tsq"))?;
            let req = Request::parse(&tsq).map_err(|e| CaseError::Malformed {
                path: rel.clone(),
                reason: e.to_string(),
            })?;
            let roots = match fs::read(layout.path(&format!("{base}.roots.pem"))) {
                Ok(pem) => TrustRoots::from_pem(&base, &pem).map_err(|e| CaseError::Malformed {
                    path: format!("{base}.roots.pem"),
                    reason: e.to_string(),
                })?,
                Err(_) => TrustRoots::none(),
            };
            let a = attempt(transport, &rec.url, &req, &roots);
            record_attempt(&mut change, &rec, a);
            all.push((st.merkle_root.clone(), rec));
        }
    }
    change.commit()?;
    Ok(all
        .iter()
        .map(|(root, r)| inspect(layout, root, r))
        .collect())
}
