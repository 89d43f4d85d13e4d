//! The working index: an SQLite database beside the bag for fast queries. It is derived from
//! the bag alone, rebuilt whole by [`rebuild`], and never consulted by `verify`.

use crate::bag::{self, RecordLine};
use crate::error::{CaseError, Result};
use crate::layout::{self, Layout};
use cunzheng_model::{CustodyEvent, ItemSource};
use rusqlite::{Connection, params};
use serde::Serialize;
use std::fs;

/// Counts of what the index holds after a rebuild.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexStats {
    /// Evidence items.
    pub items: u64,
    /// Skipped things and notices.
    pub skipped: u64,
    /// Custody events.
    pub custody_events: u64,
    /// Seal versions.
    pub seals: u64,
    /// Messages from derived files.
    pub messages: u64,
}

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
  number INTEGER PRIMARY KEY, acquisition TEXT NOT NULL, sha256 TEXT NOT NULL, sm3 TEXT NOT NULL,
  size INTEGER NOT NULL, stored_as TEXT NOT NULL, source_kind TEXT NOT NULL, path TEXT,
  archive INTEGER, entry_name TEXT, modified TEXT, first_seen_as INTEGER, json TEXT NOT NULL);
CREATE INDEX items_sha256 ON items(sha256);
CREATE TABLE skipped (acquisition TEXT NOT NULL, notice INTEGER NOT NULL, what TEXT NOT NULL,
  location TEXT NOT NULL, reason TEXT NOT NULL, link_target TEXT);
CREATE TABLE custody (seq INTEGER PRIMARY KEY, time_utc TEXT, local_offset TEXT, actor TEXT,
  action TEXT, key TEXT, line TEXT NOT NULL);
CREATE TABLE derived (item INTEGER NOT NULL, item_sha256 TEXT NOT NULL, path TEXT NOT NULL,
  sha256 TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE conversations (item_sha256 TEXT NOT NULL, id TEXT NOT NULL, platform TEXT NOT NULL,
  title TEXT, json TEXT NOT NULL, PRIMARY KEY (item_sha256, id));
CREATE TABLE messages (item_sha256 TEXT NOT NULL, conversation TEXT NOT NULL, id TEXT NOT NULL,
  time_utc TEXT, time_raw TEXT NOT NULL, zone_basis TEXT NOT NULL, sender_name TEXT,
  sender_account TEXT, direction TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  recovered INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX messages_time ON messages(time_utc);
CREATE TABLE unparsed (item_sha256 TEXT NOT NULL, reason TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE seals (version INTEGER PRIMARY KEY, sealed_at TEXT, examiner TEXT, key TEXT,
  merkle_root TEXT, tree_size INTEGER, payload_oxum TEXT);
";

/// Loads one derived messages file (JSON lines tagged by `record`) into the index.
fn load_messages(
    tx: &rusqlite::Transaction<'_>,
    layout: &Layout,
    rel: &str,
    item: &str,
) -> Result<u64> {
    use cunzheng_model::{Conversation, Message};
    let text = String::from_utf8(bag::read(layout, rel)?).map_err(|_| CaseError::Malformed {
        path: rel.into(),
        reason: "not UTF-8".into(),
    })?;
    let mut n = 0;
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| CaseError::Malformed {
                path: rel.into(),
                reason: e.to_string(),
            })?;
        match v.get("record").and_then(|r| r.as_str()) {
            Some("message") => {
                let m: Message =
                    serde_json::from_value(v.clone()).map_err(|e| CaseError::Malformed {
                        path: rel.into(),
                        reason: e.to_string(),
                    })?;
                let enum_text = |x: serde_json::Value| x.as_str().unwrap_or_default().to_owned();
                tx.prepare_cached(
                    "INSERT INTO messages VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                )?
                .execute(params![
                    item,
                    m.conversation,
                    m.id,
                    m.time.utc,
                    m.time.raw,
                    m.time.zone_basis,
                    m.sender.name,
                    m.sender.account,
                    enum_text(serde_json::to_value(m.direction).unwrap_or_default()),
                    enum_text(serde_json::to_value(m.kind).unwrap_or_default()),
                    m.body,
                    m.recovered,
                    line,
                ])?;
                n += 1;
            }
            Some("conversation") => {
                if let Ok(c) = serde_json::from_value::<Conversation>(v.clone()) {
                    let platform = serde_json::to_value(&c.platform)
                        .unwrap_or_default()
                        .to_string();
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO conversations VALUES (?1,?2,?3,?4,?5)",
                    )?
                    .execute(params![item, c.id, platform, c.title, line])?;
                }
            }
            Some("unparsed") => {
                let reason = v
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .unwrap_or_default()
                    .to_owned();
                tx.prepare_cached("INSERT INTO unparsed VALUES (?1,?2,?3)")?
                    .execute(params![item, reason, line])?;
            }
            _ => {}
        }
    }
    Ok(n)
}

/// Rebuilds the index from the bag, replacing the old one only when the new one is complete.
pub fn rebuild(layout: &Layout) -> Result<IndexStats> {
    let work = layout.work();
    fs::create_dir_all(&work).map_err(|e| CaseError::io("creating", &work, e))?;
    let tmp = work.join("index.sqlite.tmp");
    let _ = fs::remove_file(&tmp);
    let mut stats = IndexStats::default();
    {
        let mut db = Connection::open(&tmp)?;
        db.execute_batch(SCHEMA)?;
        let tx = db.transaction()?;
        let meta = bag::case_meta(layout)?;
        for (k, v) in [
            ("case_id", meta.case_id.as_str()),
            ("title", meta.title.as_str()),
            ("created_utc", meta.created_utc.as_str()),
            ("created_by", meta.created_by.as_str()),
        ] {
            tx.prepare_cached("INSERT INTO meta VALUES (?1, ?2)")?
                .execute(params![k, v])?;
        }
        for (rel, lines) in bag::acquisitions(layout)? {
            for line in lines {
                match line {
                    RecordLine::Item(it) => {
                        let (kind, path, archive, name) = match &it.source {
                            ItemSource::File { path, .. } => {
                                ("file", Some(path.clone()), None, None)
                            }
                            ItemSource::ArchiveEntry { archive, name, .. } => (
                                "archive_entry",
                                None,
                                Some(*archive as i64),
                                Some(name.clone()),
                            ),
                        };
                        tx.prepare_cached(
                            "INSERT INTO items VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                        )?
                        .execute(params![
                            it.number as i64,
                            rel,
                            it.digests.sha256,
                            it.digests.sm3,
                            it.size as i64,
                            it.stored_as,
                            kind,
                            path,
                            archive,
                            name,
                            it.observed.modified,
                            it.first_seen_as.map(|n| n as i64),
                            serde_json::to_string(&it).unwrap_or_default(),
                        ])?;
                        stats.items += 1;
                    }
                    RecordLine::Skipped(s) | RecordLine::Notice(s) => {
                        let notice = s.what == "unsafe_name" || s.what == "nested_archive";
                        tx.prepare_cached("INSERT INTO skipped VALUES (?1,?2,?3,?4,?5,?6)")?
                            .execute(params![
                                rel,
                                notice,
                                s.what,
                                s.location,
                                s.reason,
                                s.link_target
                            ])?;
                        stats.skipped += 1;
                    }
                    RecordLine::Derived(d) => {
                        tx.prepare_cached("INSERT INTO derived VALUES (?1,?2,?3,?4,?5)")?
                            .execute(params![
                                d.item as i64,
                                d.item_sha256,
                                d.path,
                                d.sha256,
                                d.summary.to_string()
                            ])?;
                        // Working copies (decrypted databases) are binary, not messages.
                        if crate::working::is_messages(&d) {
                            stats.messages += load_messages(&tx, layout, &d.path, &d.item_sha256)?;
                        }
                    }
                    RecordLine::Acquisition { .. } => {}
                }
            }
        }
        let log = fs::read_to_string(layout.path(layout::CUSTODY)).unwrap_or_default();
        for line in log.lines() {
            if let Ok(ev) = serde_json::from_str::<CustodyEvent>(line) {
                tx.prepare_cached("INSERT OR REPLACE INTO custody VALUES (?1,?2,?3,?4,?5,?6,?7)")?
                    .execute(params![
                        ev.seq as i64,
                        ev.time_utc,
                        ev.local_offset,
                        ev.actor,
                        ev.action,
                        ev.key,
                        line
                    ])?;
                stats.custody_events += 1;
            }
        }
        for v in bag::seal_versions(layout) {
            if let Ok((_, st)) = bag::statement(layout, v) {
                tx.prepare_cached("INSERT INTO seals VALUES (?1,?2,?3,?4,?5,?6,?7)")?
                    .execute(params![
                        v,
                        st.sealed_at,
                        st.examiner,
                        st.key,
                        st.merkle_root,
                        st.tree_size as i64,
                        st.payload_oxum
                    ])?;
                stats.seals += 1;
            }
        }
        tx.commit()?;
    }
    let dst = layout.index();
    fs::rename(&tmp, &dst).map_err(|e| CaseError::io("writing", &dst, e))?;
    Ok(stats)
}
