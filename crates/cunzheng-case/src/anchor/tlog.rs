//! Transparency-log anchors (`kind` [`KIND_TLOG`]): the seal's Merkle root submitted as an
//! entry to a cunzheng log (`cunzheng log serve`), its receipt kept in the case.
//!
//! Files of anchor `log-N`: `log-N.json` (the [`AnchorRecord`]), `log-N.vkey` (the log's
//! verifier key, C2SP vkey text: the trust anchor, like `.roots.pem` for a TSA) and
//! `log-N.receipt.json` (the receipt, exactly the bytes stored). The key is the one the user
//! configured (`log_key: "pinned"` in the record); when none was, it is the key the log served
//! with its first valid receipt (`"served"`), and the anchor is only `unverified`: the receipt
//! is consistent, but nothing ties the key to the log's operator.
//!
//! A receipt that fails verification is kept as `log-N.rejected-K.json` (evidence of a
//! misbehaving log or a wrong key) and the anchor stays pending.

use super::{AnchorRecord, AnchorStatus, Change, RECORD_FORMAT, anchors_rel, root_bytes};
use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::layout::Layout;
use cunzheng_tlog::client::Client;
use cunzheng_tlog::note::Verifier;
use cunzheng_tlog::receipt::{Receipt, VerifiedReceipt};
use std::fs;

/// `kind` of a transparency-log anchor.
pub const KIND_TLOG: &str = "tlog";
/// `log_key` of a record whose `.vkey` was configured by the user.
pub const KEY_PINNED: &str = "pinned";
/// `log_key` of a record whose `.vkey` is the one the log served.
pub const KEY_SERVED: &str = "served";

/// A transparency log to submit to.
#[derive(Debug, Clone)]
pub struct Log {
    /// Base URL, e.g. `http://127.0.0.1:8090`.
    pub url: String,
    /// The log's verifier key (vkey text) as configured, if any.
    pub vkey: Option<String>,
}

/// Submits entries to logs (the real one is [`HttpLog`]; tests inject failures).
pub trait Submitter {
    /// Submits `entry` to the log at `url`; the receipt is not verified here. `Err` means the
    /// log could not be reached or refused: the anchor stays pending.
    fn submit(&self, url: &str, entry: &[u8]) -> std::result::Result<Receipt, String>;
}

/// [`Submitter`] over HTTP with `cunzheng_tlog::client`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpLog;

impl Submitter for HttpLog {
    fn submit(&self, url: &str, entry: &[u8]) -> std::result::Result<Receipt, String> {
        Client::new(url).submit(entry).map_err(|e| e.to_string())
    }
}

fn base(rec: &AnchorRecord) -> String {
    format!("{}/{}", anchors_rel(rec.seal_version), rec.name)
}

/// RFC 3339 UTC of a log timestamp (ms since the epoch).
fn time_text(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(|| format!("{ms} ms after the epoch"), |t| t.to_string())
}

/// Checks a receipt (bytes as stored) against a key and the seal's root.
fn check(
    receipt: &[u8],
    vkey: &str,
    root: &[u8; 32],
) -> std::result::Result<VerifiedReceipt, String> {
    let r: Receipt =
        serde_json::from_slice(receipt).map_err(|e| format!("not a log receipt: {e}"))?;
    let key = Verifier::parse(vkey.trim()).map_err(|e| format!("the log key: {e}"))?;
    r.verify(root, &key).map_err(|e| e.to_string())
}

/// [`super::inspect`] of a tlog anchor, with log keys given from outside the case (vkey text,
/// e.g. obtained from the log's operator) instead of the stored `.vkey`: the receipt is
/// `granted` when one of them verifies it.
pub fn inspect_with_keys(
    layout: &Layout,
    signed_root: &str,
    rec: &AnchorRecord,
    keys: &[String],
) -> AnchorStatus {
    let st = super::inspect(layout, signed_root, rec);
    if rec.kind != KIND_TLOG || keys.is_empty() {
        return st;
    }
    inspect_impl(layout, signed_root, rec, st, keys)
}

/// The state of a tlog anchor, offline: the receipt checked against the stored key and the root
/// of the signed statement (never the record's).
pub(super) fn inspect(
    layout: &Layout,
    signed_root: &str,
    rec: &AnchorRecord,
    st: AnchorStatus,
) -> AnchorStatus {
    inspect_impl(layout, signed_root, rec, st, &[])
}

fn inspect_impl(
    layout: &Layout,
    signed_root: &str,
    rec: &AnchorRecord,
    mut st: AnchorStatus,
    external: &[String],
) -> AnchorStatus {
    st.status = "invalid".into();
    st.gen_time = None;
    st.receipt = None;
    let base = base(rec);
    let pinned = rec.log_key.as_deref() == Some(KEY_PINNED);
    let rcpt_rel = format!("{base}.receipt.json");
    let vkey_rel = format!("{base}.vkey");
    let rcpt = match fs::read(layout.path(&rcpt_rel)) {
        Ok(b) => b,
        Err(_) => {
            if pinned && !layout.path(&vkey_rel).exists() {
                st.path = vkey_rel;
                st.detail = "the configured log key (.vkey) is missing".into();
                return st;
            }
            let rejected = (1..)
                .take_while(|k| layout.path(&format!("{base}.rejected-{k}.json")).exists())
                .count();
            st.status = "pending".into();
            st.detail = format!(
                "submitted {} to {}, no receipt yet{}: run `cunzheng stamp`",
                rec.requested_utc,
                rec.url,
                if rejected > 0 {
                    format!(
                        " ({rejected} receipt(s) failed verification, kept as {}.rejected-*.json)",
                        rec.name
                    )
                } else {
                    String::new()
                }
            );
            return st;
        }
    };
    let vkey = match fs::read_to_string(layout.path(&vkey_rel)) {
        Ok(v) => v,
        Err(_) if !external.is_empty() => String::new(),
        Err(_) => {
            st.path = vkey_rel;
            st.detail = "the log key (.vkey) of the receipt is missing".into();
            return st;
        }
    };
    st.path = rcpt_rel;
    let root = match root_bytes(signed_root, "statement.txt") {
        Ok(r) => r,
        Err(e) => {
            st.detail = e.to_string();
            return st;
        }
    };
    if !external.is_empty() {
        let mut errors = Vec::new();
        for k in external {
            match check(&rcpt, k, &root) {
                Ok(v) => {
                    let t = time_text(v.timestamp_ms);
                    st.status = "granted".into();
                    st.detail = format!(
                        "logged {t} by {} as entry {} of a tree of {} (a key given to verify)",
                        v.origin, v.index, v.tree_size
                    );
                    st.gen_time = Some(t);
                    st.receipt = Some(v);
                    return st;
                }
                Err(e) => errors.push(e),
            }
        }
        st.detail = format!(
            "log receipt {}: no key given to verify accepts it: {}",
            rec.name,
            errors.join("; ")
        );
        return st;
    }
    match check(&rcpt, &vkey, &root) {
        Ok(v) => {
            let t = time_text(v.timestamp_ms);
            st.status = if pinned { "granted" } else { "unverified" }.into();
            st.detail = if pinned {
                format!(
                    "logged {t} by {} as entry {} of a tree of {} (key configured, stored in {}.vkey)",
                    v.origin, v.index, v.tree_size, rec.name
                )
            } else {
                format!(
                    "receipt consistent (logged {t} by {} as entry {} of a tree of {}) but the log key was not pinned: it is the key {} served",
                    v.origin, v.index, v.tree_size, rec.url
                )
            };
            st.gen_time = Some(t);
            st.receipt = Some(v);
        }
        Err(e) => st.detail = format!("log receipt {}: {e}", rec.name),
    }
    st
}

/// Submits and records the outcome in `change`: receipt (and served key), rejected receipt,
/// or a pending event.
fn attempt(
    change: &mut Change<'_>,
    rec: &AnchorRecord,
    root: &[u8; 32],
    pinned: Option<&str>,
    logs: &dyn Submitter,
) {
    let base = base(rec);
    let ids =
        serde_json::json!({"anchor": rec.name, "seal_version": rec.seal_version, "url": rec.url});
    let with = |extra: serde_json::Value| {
        let mut v = ids.clone();
        if let (Some(o), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
            o.extend(e);
        }
        v
    };
    let receipt = match logs.submit(&rec.url, root) {
        Ok(r) => r,
        Err(reason) => {
            change.event(
                "anchor.pending",
                vec![],
                with(serde_json::json!({ "reason": reason })),
            );
            return;
        }
    };
    let bytes = serde_json::to_vec_pretty(&receipt).unwrap_or_default();
    let key = pinned.map_or_else(|| receipt.log_key.clone(), str::to_owned);
    match check(&bytes, &key, root) {
        Ok(v) => {
            let mut outs = vec![change.file(format!("{base}.receipt.json"), bytes)];
            if pinned.is_none() {
                outs.push(change.file(format!("{base}.vkey"), format!("{key}\n").into_bytes()));
            }
            change.event(
                "anchor.logged",
                outs,
                with(serde_json::json!({
                    "origin": v.origin, "index": v.index, "timestamp_ms": v.timestamp_ms,
                    "tree_size": v.tree_size, "checkpoint_root": v.root,
                    "log_key": if pinned.is_some() { KEY_PINNED } else { KEY_SERVED },
                })),
            );
        }
        Err(reason) => {
            let name = |k: usize| format!("{base}.rejected-{k}.json");
            let k = (1..)
                .find(|&k| {
                    !change.layout.path(&name(k)).exists()
                        && !change.files.iter().any(|(p, _)| *p == name(k))
                })
                .unwrap_or(1);
            let out = change.file(name(k), bytes);
            change.event(
                "anchor.rejected",
                vec![out],
                with(serde_json::json!({ "reason": reason })),
            );
        }
    }
}

/// Submits the root of seal `version` to each log: the records (and configured keys) are
/// stored, then the logs asked at once; a log that cannot be reached leaves its anchor pending
/// for [`super::stamp`].
pub fn request(
    layout: &Layout,
    actor: &Actor,
    version: u32,
    logs: &[Log],
    submitter: &dyn Submitter,
) -> Result<Vec<AnchorStatus>> {
    super::resume(layout)?;
    if logs.is_empty() {
        return Ok(Vec::new());
    }
    let (_, st) = crate::bag::statement(layout, version)?;
    let root = root_bytes(&st.merkle_root, "statement.txt")?;
    let dir = anchors_rel(version);
    let mut next = 1;
    let mut change = Change::new(layout, actor)?;
    let mut made = Vec::new();
    for log in logs {
        let vkey = match &log.vkey {
            Some(k) => {
                let k = k.trim();
                Verifier::parse(k).map_err(|e| CaseError::Input {
                    path: log.url.clone().into(),
                    reason: format!("the log key is not NAME+KEYID+BASE64: {e}"),
                })?;
                Some(k.to_owned())
            }
            None => None,
        };
        let name = loop {
            let n = format!("log-{next}");
            next += 1;
            if !layout.path(&format!("{dir}/{n}.json")).exists() {
                break n;
            }
        };
        let (now, _) = actor.now_parts();
        let rec = AnchorRecord {
            format: RECORD_FORMAT.into(),
            kind: KIND_TLOG.into(),
            name: name.clone(),
            seal_version: version,
            merkle_root: st.merkle_root.clone(),
            url: log.url.clone(),
            hash: "sha256".into(),
            requested_utc: now,
            log_key: Some(
                if vkey.is_some() {
                    KEY_PINNED
                } else {
                    KEY_SERVED
                }
                .into(),
            ),
        };
        let mut outs = vec![change.file(
            format!("{dir}/{name}.json"),
            serde_json::to_vec_pretty(&rec).unwrap_or_default(),
        )];
        if let Some(k) = &vkey {
            outs.push(change.file(format!("{dir}/{name}.vkey"), format!("{k}\n").into_bytes()));
        }
        change.event(
            "anchor.request",
            outs,
            serde_json::json!({"anchor": name, "seal_version": version, "url": log.url,
                "kind": KIND_TLOG, "merkle_root": st.merkle_root}),
        );
        attempt(&mut change, &rec, &root, vkey.as_deref(), submitter);
        made.push(rec);
    }
    change.commit()?;
    Ok(made
        .iter()
        .map(|r| super::inspect(layout, &st.merkle_root, r))
        .collect())
}

/// Submits a pending tlog anchor again (from [`super::stamp_with`]).
pub(super) fn retry(
    change: &mut Change<'_>,
    rec: &AnchorRecord,
    signed_root: &str,
    logs: &dyn Submitter,
) -> Result<()> {
    let base = base(rec);
    let root = root_bytes(signed_root, "statement.txt")?;
    let pinned = if rec.log_key.as_deref() == Some(KEY_PINNED) {
        let rel = format!("{base}.vkey");
        let b = crate::bag::read(change.layout, &rel)?;
        Some(String::from_utf8_lossy(&b).trim().to_owned())
    } else {
        None
    };
    attempt(change, rec, &root, pinned.as_deref(), logs);
    Ok(())
}
