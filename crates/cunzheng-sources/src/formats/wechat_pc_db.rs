//! WeChat for Windows 3.x `MSG*.db`, decrypted (FORMATS-CN.md §2.2-2.5).
//!
//! Reads the `MSG` table (`localId`, `MsgSvrID`, `Type`, `SubType`, `IsSender`, `CreateTime` in
//! epoch seconds, `StrTalker`, `StrContent`, `DisplayContent`, `CompressContent` = raw LZ4 block
//! of the app-message XML, `BytesExtra` = protobuf whose item 1 is the real sender in groups).
//! Names come from a `Contact` table in the same file (merged databases) or from a
//! `MicroMsg.db` beside it or one folder up (`Msg\Multi\MSG0.db` → `Msg\MicroMsg.db`), when
//! present. `localId` repeats across MSG0…MSGn: ids are only unique within one file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Party, Platform,
    Provenance, Unparsed,
};
use cunzheng_sqlite::RecoveredRow;
use rusqlite::Connection;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::Value;

use super::common_sqlite::{self, Cell};
use super::wechat_common::{
    self as wc, Base, blob_of, col_or_null, columns, has, int_of, split_sender_prefix, text_of,
};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The WeChat PC database parser.
pub struct WechatPcDb;

const ENCRYPTED_ADVICE: &str = "this looks like an encrypted WeChat for Windows database \
    (MSG*.db / MicroMsg.db: SQLCipher-style, 4096-byte pages, AES-256-CBC, key = 32 bytes taken \
    from the running WeChat process). Decrypt a working copy first (never the original), then \
    parse the decrypted copy with --format wechat-pc-db";

#[derive(Debug, Default, Clone)]
struct Contact {
    alias: Option<String>,
    remark: Option<String>,
    nickname: Option<String>,
}

impl Contact {
    fn display(&self) -> Option<String> {
        self.remark.clone().or_else(|| self.nickname.clone())
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn load_contacts(conn: &Connection) -> Option<HashMap<String, Contact>> {
    let cols = columns(conn, "Contact")?;
    if !has(&cols, "UserName") {
        return None;
    }
    let sql = format!(
        "SELECT UserName, {}, {}, {} FROM Contact",
        col_or_null(&cols, "Alias"),
        col_or_null(&cols, "Remark"),
        col_or_null(&cols, "NickName")
    );
    let mut stmt = conn.prepare(&sql).ok()?;
    let mut rows = stmt.query([]).ok()?;
    let mut out = HashMap::new();
    while let Ok(Some(r)) = rows.next() {
        let get = |i| r.get_ref(i).ok().and_then(|v| text_of(v).0);
        if let Some(u) = get(0) {
            out.insert(
                u,
                Contact {
                    alias: nonempty(get(1)),
                    remark: nonempty(get(2)),
                    nickname: nonempty(get(3)),
                },
            );
        }
    }
    Some(out)
}

/// Room members from `ChatRoom.UserNameList` (split on the two characters `^G`).
fn load_rooms(conn: &Connection) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    let Some(cols) = columns(conn, "ChatRoom") else {
        return out;
    };
    if !has(&cols, "ChatRoomName") || !has(&cols, "UserNameList") {
        return out;
    }
    let Ok(mut stmt) = conn.prepare("SELECT ChatRoomName, UserNameList FROM ChatRoom") else {
        return out;
    };
    let Ok(mut rows) = stmt.query([]) else {
        return out;
    };
    while let Ok(Some(r)) = rows.next() {
        let get = |i| r.get_ref(i).ok().and_then(|v| text_of(v).0);
        if let Some(room) = get(0) {
            let list = get(1)
                .unwrap_or_default()
                .split("^G")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            out.insert(room, list);
        }
    }
    out
}

/// A plain `MicroMsg.db` beside the input or one folder up.
fn sibling_micromsg(path: &Path) -> Option<PathBuf> {
    let dir = path.parent()?;
    [dir.join("MicroMsg.db"), dir.parent()?.join("MicroMsg.db")]
        .into_iter()
        .find(|p| {
            p.as_path() != path
                && std::fs::File::open(p)
                    .and_then(|mut f| {
                        let mut h = [0u8; 16];
                        std::io::Read::read_exact(&mut f, &mut h).map(|_| h)
                    })
                    .is_ok_and(|h| wc::is_plain_sqlite(&h))
        })
}

/// Decompresses a `CompressContent` LZ4 block (no frame, no size prefix; `\0` padding).
fn lz4_block(input: &[u8]) -> Option<String> {
    // LZ4 expands at most ~255×; the result is capped like any record.
    let cap = input
        .len()
        .saturating_mul(255)
        .saturating_add(64)
        .min(MAX_RECORD);
    let mut out = vec![0u8; cap];
    let n = lz4_flex::block::decompress_into(input, &mut out).ok()?;
    out.truncate(n);
    while out.last() == Some(&0) {
        out.pop();
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

impl Source for WechatPcDb {
    fn id(&self) -> &'static str {
        "wechat-pc-db"
    }
    fn name(&self) -> &'static str {
        "WeChat for Windows database (decrypted MSG*.db)"
    }
    fn description(&self) -> &'static str {
        "Decrypted WeChat for Windows 3.x MSG0.db…MSGn.db (or a merged database): the `MSG` table \
         with (Type, SubType) codes, LZ4 CompressContent app-message XML (transfers with amount, \
         red packets, files, links, quotes), BytesExtra group senders and file paths, recalls, \
         pats and calls; names from a Contact table in the file or a MicroMsg.db beside it. \
         Epoch-second times. Does not read WeChat 4.x `message_*.db`, media, the encrypted \
         databases (returns an 'encrypted' error) or deleted rows."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["MSG*.db", "merge_all.db"]
    }
    fn tier(&self) -> Tier {
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        if !wc::is_plain_sqlite(&input.head) {
            let n = input.name.to_ascii_lowercase();
            return if n.starts_with("msg") && n.ends_with(".db") {
                10
            } else {
                0
            };
        }
        let Ok(conn) = wc::open_ro(&input.path) else {
            return 0;
        };
        let Some(cols) = columns(&conn, "MSG") else {
            return 0;
        };
        let core = [
            "localId",
            "Type",
            "SubType",
            "IsSender",
            "CreateTime",
            "StrContent",
        ];
        if !core.iter().all(|c| has(&cols, c)) {
            return 0;
        }
        if has(&cols, "BytesExtra") && has(&cols, "StrTalker") {
            92
        } else {
            80
        }
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if !wc::is_plain_sqlite(&input.head) {
            return Err(SourceError::Encrypted(ENCRYPTED_ADVICE.into()));
        }
        let conn = wc::open_input(input, sink)?;
        let cols = columns(&conn, "MSG").ok_or_else(|| SourceError::Format {
            location: "table MSG".into(),
            message: "no `MSG` table: not a WeChat for Windows MSG database".into(),
        })?;
        for c in ["Type", "CreateTime", "StrContent"] {
            if !has(&cols, c) {
                return Err(SourceError::Format {
                    location: "table MSG".into(),
                    message: format!("column `{c}` missing"),
                });
            }
        }
        let (zone, _) = Zone::from_options(opts);
        let fmt_err = |e: rusqlite::Error| SourceError::Format {
            location: "table MSG".into(),
            message: e.to_string(),
        };

        // Names: a Contact table in this file (merged DBs), else MicroMsg.db beside it.
        let (contacts, rooms) = match load_contacts(&conn) {
            Some(c) => (c, load_rooms(&conn)),
            None => match sibling_micromsg(&input.path).and_then(|p| {
                let c = wc::open_ro(&p).ok()?;
                let contacts = load_contacts(&c)?;
                sink.warning(format!(
                    "wechat-pc-db: names read from {} (a separate file; its hash is not in \
                     this item's provenance)",
                    p.display()
                ));
                Some((contacts, load_rooms(&c)))
            }) {
                Some(x) => x,
                None => {
                    sink.warning(
                        "wechat-pc-db: no Contact table and no MicroMsg.db beside the file; \
                         senders are wxids only"
                            .into(),
                    );
                    (HashMap::new(), HashMap::new())
                }
            },
        };
        sink.warning(
            "wechat-pc-db: the MSG table does not name the device owner; own messages \
             (IsSender = 1) have no sender account"
                .into(),
        );
        let owner = Party {
            name: opts.owner.first().cloned(),
            account: None,
        };

        // Name2ID maps TalkerId to the conversation when StrTalker is absent.
        let talker_expr = if has(&cols, "StrTalker") {
            "MSG.StrTalker".to_owned()
        } else if has(&cols, "TalkerId") && columns(&conn, "Name2ID").is_some() {
            "(SELECT UsrName FROM Name2ID WHERE Name2ID.rowid = MSG.TalkerId)".to_owned()
        } else {
            "NULL".to_owned()
        };

        if has(&cols, "MsgSvrID") && has(&cols, "StrTalker") {
            let dups: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM MSG WHERE MsgSvrID != 0 \
                     GROUP BY StrTalker, MsgSvrID, CreateTime HAVING COUNT(*) > 1)",
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            if dups > 0 {
                sink.warning(format!(
                    "wechat-pc-db: {dups} (talker, MsgSvrID, CreateTime) keys occur more than once \
                     (merged or copied rows); all rows are kept, see extra.MsgSvrID"
                ));
            }
        }

        let tag = self.parser_tag();
        let sql = format!(
            "SELECT {talker_expr} AS t, COUNT(*) FROM MSG GROUP BY t ORDER BY MIN(CreateTime), MIN(rowid)"
        );
        let mut stmt = conn.prepare(&sql).map_err(fmt_err)?;
        let mut rows = stmt.query([]).map_err(fmt_err)?;
        while let Some(r) = rows.next().map_err(fmt_err)? {
            let talker = r
                .get_ref(0)
                .ok()
                .and_then(|v| text_of(v).0)
                .unwrap_or_default();
            let group = talker.ends_with("@chatroom");
            let participants = match rooms.get(&talker) {
                Some(list) => list
                    .iter()
                    .map(|m| Party {
                        name: contacts.get(m).and_then(Contact::display),
                        account: Some(m.clone()),
                    })
                    .collect(),
                None if !group && !talker.is_empty() => vec![Party {
                    name: contacts.get(&talker).and_then(Contact::display),
                    account: Some(talker.clone()),
                }],
                None => Vec::new(),
            };
            sink.conversation(Conversation {
                platform: Platform::WeChat,
                id: talker.clone(),
                title: contacts.get(&talker).and_then(Contact::display),
                kind: Some(
                    if group {
                        "group"
                    } else if talker.starts_with("gh_") {
                        "official_account"
                    } else {
                        "private"
                    }
                    .into(),
                ),
                participants,
            });
        }
        drop(rows);
        drop(stmt);

        let sql = format!(
            "SELECT rowid, {}, {}, Type, {}, {}, CreateTime, {talker_expr}, StrContent, {}, {}, {} \
             FROM MSG ORDER BY CreateTime, rowid",
            col_or_null(&cols, "localId"),
            col_or_null(&cols, "MsgSvrID"),
            col_or_null(&cols, "SubType"),
            col_or_null(&cols, "IsSender"),
            col_or_null(&cols, "DisplayContent"),
            col_or_null(&cols, "CompressContent"),
            col_or_null(&cols, "BytesExtra"),
        );
        let mut stmt = conn.prepare(&sql).map_err(fmt_err)?;
        let mut by_svrid = if has(&cols, "MsgSvrID") {
            conn.prepare("SELECT localId FROM MSG WHERE MsgSvrID = ?1 ORDER BY rowid LIMIT 1")
                .ok()
        } else {
            None
        };
        let mut rows = stmt.query([]).map_err(fmt_err)?;
        let mut last_rowid = 0i64;
        // One message from the columns of the SELECT above (live row, or a recovered one).
        let mut emit = |vals: &[Option<ValueRef<'_>>],
                        prov: Provenance,
                        rowid: i64,
                        recovered: Option<&RecoveredRow>,
                        sink: &mut dyn Sink| {
            let v = |i: usize| vals.get(i).copied().flatten();
            let local_id = v(1).and_then(int_of);
            let svr_id = v(2).and_then(int_of);
            let Some(ty) = v(3).and_then(int_of) else {
                sink.unparsed(Unparsed {
                    provenance: prov,
                    reason: "Type is not an integer".into(),
                    excerpt: v(8)
                        .and_then(|x| text_of(x).0)
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect(),
                });
                return;
            };
            let sub = v(4).and_then(int_of).unwrap_or(0);
            let is_sender = v(5).and_then(int_of);
            let time = match v(6) {
                Some(x) => match int_of(x) {
                    Some(s) => zone.epoch(&s.to_string(), "unix_s", s),
                    None => unresolved(&text_of(x).0.unwrap_or_default(), "unix_s"),
                },
                None => unresolved("", "unix_s"),
            };
            let talker = v(7).and_then(|x| text_of(x).0).unwrap_or_default();
            let (content, bad_utf8, cut) = v(8).map(text_of).unwrap_or((None, false, false));
            let content = content.unwrap_or_default();
            let display = v(9)
                .and_then(|x| text_of(x).0)
                .filter(|s| !s.trim().is_empty());
            let compressed = v(10).and_then(blob_of).filter(|b| !b.is_empty());
            let extra_items = v(11)
                .and_then(blob_of)
                .filter(|b| !b.is_empty())
                .map(|b| (wc::bytes_extra(b), b));

            let base = wc::classify_pc(ty, sub);
            let group = talker.ends_with("@chatroom");
            let outgoing = is_sender == Some(1);
            let items: Vec<(u64, String)> = extra_items
                .as_ref()
                .and_then(|(i, _)| i.clone())
                .unwrap_or_default();
            let item = |t: u64| {
                items
                    .iter()
                    .find(|(k, v)| *k == t && !v.is_empty())
                    .map(|(_, v)| v.clone())
            };
            // The app-message XML is in CompressContent when StrContent is not XML.
            let mut xml_from_lz4 = None;
            let mut lz4_failed = false;
            if let (Base::App(_) | Base::LocationSharing, Some(c)) = (base, compressed)
                && !wc::looks_like_xml(&content)
            {
                match lz4_block(c) {
                    Some(x) => xml_from_lz4 = Some(x),
                    None => lz4_failed = true,
                }
            }
            let mut prefix = None;
            let mut src: &str = xml_from_lz4.as_deref().unwrap_or(&content);
            if group
                && !outgoing
                && item(1).is_none()
                && let Some((p, rest)) = split_sender_prefix(src)
            {
                prefix = Some(p.to_owned());
                src = rest;
            }
            let mut d = match base {
                Base::Call | Base::Pat if display.is_some() => wc::Decoded {
                    kind: if base == Base::Call {
                        MessageKind::Call
                    } else {
                        MessageKind::System
                    },
                    body: display.clone().unwrap_or_default(),
                    ..Default::default()
                },
                _ => wc::decode_content(base, src),
            };
            let sender_wxid = if outgoing {
                None
            } else if group {
                item(1).or(prefix.clone())
            } else {
                (!talker.is_empty()).then(|| talker.clone())
            };
            let sender = if outgoing {
                owner.clone()
            } else {
                match &sender_wxid {
                    Some(w) => Party {
                        name: contacts.get(w).and_then(Contact::display),
                        account: Some(w.clone()),
                    },
                    None => Party::default(),
                }
            };
            // Local media paths (BytesExtra items 4 and 3) for images, videos, files.
            let path = item(4).or_else(|| item(3));
            match (d.kind, &path) {
                (MessageKind::Image | MessageKind::Video | MessageKind::Voice, Some(p)) => {
                    d.attachments.push(Attachment {
                        name: Some(p.clone()),
                        ..Default::default()
                    });
                }
                (MessageKind::File, Some(p)) => {
                    d.extra.insert("local_path".into(), p.clone().into());
                }
                _ => {}
            }
            let mut lookup = |svr: &str| -> Option<String> {
                let n: i64 = svr.trim().parse().ok()?;
                by_svrid
                    .as_mut()?
                    .query_row([n], |r| Ok(int_of(r.get_ref(0)?)))
                    .ok()
                    .flatten()
                    .map(|i| i.to_string())
            };
            let reply_to = d.refer_svrid.as_deref().and_then(&mut lookup);
            if let Some(s) = d.revoked_svrid.clone() {
                d.extra.insert("revoked_svrid".into(), s.clone().into());
                if let Some(id) = lookup(&s) {
                    d.extra.insert("revoked_id".into(), id.into());
                }
            }
            let e = &mut d.extra;
            e.insert("Type".into(), ty.into());
            e.insert("SubType".into(), sub.into());
            if let Some(s) = svr_id {
                e.insert("MsgSvrID".into(), s.to_string().into());
            }
            if let Some(s) = is_sender {
                e.insert("IsSender".into(), s.into());
            }
            if let Some(a) = sender_wxid
                .as_ref()
                .and_then(|w| contacts.get(w))
                .and_then(|c| c.alias.clone())
            {
                e.insert("sender_alias".into(), a.into());
            }
            if let Some(x) = &display {
                e.insert("DisplayContent".into(), wc::capped(x).into());
            }
            if let Some(x) = &xml_from_lz4 {
                e.insert("compress_content_xml".into(), wc::capped(x).into());
            }
            if lz4_failed {
                e.insert("compress_content_undecodable".into(), true.into());
                if let Some(c) = compressed {
                    e.insert("compress_content_hex".into(), wc::hex_capped(c).into());
                }
            }
            if !items.is_empty() {
                let m: serde_json::Map<String, Value> = items
                    .iter()
                    .filter(|(k, _)| *k != 7)
                    .map(|(k, v)| (k.to_string(), Value::String(wc::capped(v))))
                    .collect();
                e.insert("bytes_extra".into(), Value::Object(m));
            } else if let Some((None, b)) = &extra_items {
                e.insert("bytes_extra_hex".into(), wc::hex_capped(b).into());
            }
            if !matches!(base, Base::Text) && !content.is_empty() {
                e.insert("content".into(), wc::capped(&content).into());
            }
            if bad_utf8 {
                e.insert("content_invalid_utf8".into(), true.into());
            }
            if cut {
                e.insert("content_truncated".into(), true.into());
            }
            let mut m = Message {
                id: local_id.map_or_else(|| format!("R{rowid}"), |i| i.to_string()),
                conversation: talker,
                sender,
                direction: match is_sender {
                    Some(1) => Direction::Outgoing,
                    Some(0) => Direction::Incoming,
                    _ => Direction::Unknown,
                },
                kind: d.kind,
                body: d.body,
                time,
                attachments: d.attachments,
                reply_to,
                edited: None,
                forwarded_from: None,
                money: d.money,
                recovered: false,
                provenance: prov,
                extra: Value::Object(d.extra),
            };
            if let Some(rr) = recovered {
                common_sqlite::mark_recovered(&mut m, rr, input, &tag, &RECOVERED_COLS);
            }
            sink.message(m);
        };
        loop {
            let r = match rows.next() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    return Err(SourceError::Format {
                        location: format!("table MSG after rowid {last_rowid}"),
                        message: e.to_string(),
                    });
                }
            };
            let vals: [Option<ValueRef<'_>>; 12] = std::array::from_fn(|i| r.get_ref(i).ok());
            let rowid = vals[0].and_then(int_of).unwrap_or(last_rowid + 1);
            last_rowid = rowid;
            let prov = input.provenance(
                &tag,
                Location::Row {
                    table: "MSG".into(),
                    rowid,
                },
            );
            emit(&vals, prov, rowid, None, sink);
        }
        drop(rows);

        // Deleted messages recovered from the file's free space, flagged `recovered`.
        let mut talker_of = conn
            .prepare("SELECT UsrName FROM Name2ID WHERE rowid = ?1")
            .ok();
        for (rr, mut cells) in
            common_sqlite::recovered_rows(input, "MSG", &RECOVERED_COLS, sink, &tag)
        {
            // StrTalker absent (newer 3.x): the talker is Name2ID's row TalkerId.
            if matches!(cells.get(7), Some(Cell::Null) | None)
                && let (Some(Cell::Int(id)), Some(st)) = (cells.get(12), talker_of.as_mut())
                && let Ok(name) = st.query_row([*id], |r| r.get::<_, String>(0))
                && let Some(slot) = cells.get_mut(7)
            {
                *slot = Cell::Text(name);
            }
            let owned: Vec<SqlValue> = cells.iter().map(cell_value).collect();
            let refs: Vec<Option<ValueRef<'_>>> = owned
                .iter()
                .take(12)
                .map(|x| Some(ValueRef::from(x)))
                .collect();
            let rowid = refs[0].and_then(int_of).unwrap_or(0);
            let prov = input.provenance(
                &tag,
                Location::Page {
                    source: rr.source.to_string(),
                    page: u64::from(rr.page),
                    offset: rr.offset as u64,
                },
            );
            emit(&refs, prov, rowid, Some(&rr), sink);
        }
        Ok(())
    }
}

/// Columns of MSG for recovered rows, in the order of the live SELECT, then `TalkerId`.
const RECOVERED_COLS: [&str; 13] = [
    "localId",
    "localId",
    "MsgSvrID",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "StrTalker",
    "StrContent",
    "DisplayContent",
    "CompressContent",
    "BytesExtra",
    "TalkerId",
];

fn cell_value(c: &Cell) -> SqlValue {
    match c {
        Cell::Null => SqlValue::Null,
        Cell::Int(i) => SqlValue::Integer(*i),
        Cell::Real(f) => SqlValue::Real(*f),
        Cell::Text(t) => SqlValue::Text(t.clone()),
        Cell::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

#[cfg(test)]
mod tests {
    //! No openly licensed MSG.db exists: the databases here are built in the test with rusqlite
    //! from the DDL and shapes in FORMATS-CN.md §2.2-2.5 and §3.
    use super::*;
    use crate::source::Collect;
    use rusqlite::params;

    const MSG_SCHEMA: &str = "
        CREATE TABLE MSG (localId INTEGER PRIMARY KEY AUTOINCREMENT, TalkerId INT DEFAULT 0,
            MsgSvrID INT, Type INT, SubType INT, IsSender INT, CreateTime INT, Sequence INT DEFAULT 0,
            StatusEx INT DEFAULT 0, FlagEx INT, Status INT, MsgServerSeq INT, MsgSequence INT,
            StrTalker TEXT, StrContent TEXT, DisplayContent TEXT, Reserved0 INT DEFAULT 0,
            Reserved1 INT DEFAULT 0, Reserved2 INT DEFAULT 0, Reserved3 INT DEFAULT 0,
            Reserved4 TEXT, Reserved5 TEXT, Reserved6 TEXT, CompressContent BLOB,
            BytesExtra BLOB, BytesTrans BLOB);
        CREATE TABLE Name2ID (UsrName TEXT PRIMARY KEY);";

    const MICRO_SCHEMA: &str = "
        CREATE TABLE Contact (UserName TEXT PRIMARY KEY, Alias TEXT, EncryptUserName TEXT,
            DelFlag INTEGER, Type INTEGER, VerifyFlag INTEGER, Reserved1 INTEGER,
            Reserved2 INTEGER, Reserved3 TEXT, Reserved4 TEXT, Remark TEXT, NickName TEXT,
            LabelIDList TEXT, DomainList TEXT, ChatRoomType INT, PYInitial TEXT, QuanPin TEXT,
            RemarkPYInitial TEXT, RemarkQuanPin TEXT, BigHeadImgUrl TEXT, SmallHeadImgUrl TEXT,
            HeadImgMd5 TEXT, ChatRoomNotify INTEGER, Reserved5 INTEGER, Reserved6 TEXT,
            Reserved7 TEXT, ExtraBuf BLOB, Reserved8 INTEGER, Reserved9 INTEGER,
            Reserved10 TEXT, Reserved11 TEXT);
        CREATE TABLE ChatRoom (ChatRoomName TEXT PRIMARY KEY, UserNameList TEXT,
            DisplayNameList TEXT, ChatRoomFlag int Default 0, Owner INTEGER DEFAULT 0,
            IsShowName INTEGER DEFAULT 0, SelfDisplayName TEXT, Reserved1 INTEGER DEFAULT 0,
            Reserved2 TEXT, Reserved3 INTEGER DEFAULT 0, Reserved4 TEXT, Reserved5 INTEGER DEFAULT 0,
            Reserved6 TEXT, RoomData BLOB, Reserved7 INTEGER DEFAULT 0, Reserved8 TEXT);";

    fn lz(b: &[u8]) -> Vec<u8> {
        let mut out = vec![0; b.len() * 2 + 64];
        let n = lz4_flex::block::compress_into(b, &mut out).expect("lz4");
        out.truncate(n);
        out
    }

    /// BytesExtra with the given (type, value) items.
    fn bytes_extra(items: &[(u8, &str)]) -> Vec<u8> {
        let mut out = vec![0x0a, 0x04, 0x08, 0x10, 0x10, 0x00]; // field 1 {1: 16, 2: 0}
        for (t, v) in items {
            let mut inner = vec![0x08, *t, 0x12];
            inner.push(v.len() as u8);
            inner.extend_from_slice(v.as_bytes());
            out.push(0x1a);
            out.push(inner.len() as u8);
            out.extend(inner);
        }
        out
    }

    const TRANSFER: &str = "<?xml version=\"1.0\"?>\n<msg><appmsg appid=\"\" sdkver=\"\"><title><![CDATA[微信转账]]></title>\
        <type>2000</type><wcpayinfo><paysubtype>3</paysubtype><feedesc><![CDATA[￥8888.00]]></feedesc>\
        <transferid><![CDATA[1000050001]]></transferid><pay_memo><![CDATA[]]></pay_memo></wcpayinfo></appmsg></msg>";

    /// MsgSvrID, Type, SubType, IsSender, CreateTime, StrTalker, StrContent, DisplayContent,
    /// CompressContent, BytesExtra.
    type Row<'a> = (
        i64,
        i64,
        i64,
        i64,
        i64,
        &'a str,
        String,
        Option<&'a str>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
    );

    fn build(dir: &Path, with_micromsg: bool) -> PathBuf {
        let multi = dir.join("Multi");
        std::fs::create_dir_all(&multi).expect("mkdir");
        let path = multi.join("MSG0.db");
        let c = Connection::open(&path).expect("create");
        c.execute_batch(MSG_SCHEMA).expect("schema");
        let t0: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z
        let quote = "<msg><appmsg><title>你确定吗</title><type>57</type><refermsg><type>1</type>\
            <svrid>9001</svrid><displayname>王五</displayname><content>先交保证金</content></refermsg></appmsg></msg>";
        let file = "<msg><appmsg><title>转账凭证.jpg</title><type>6</type><appattach><totallen>2048</totallen>\
            <fileext>jpg</fileext></appattach></appmsg></msg>";
        let rows: Vec<Row<'_>> = vec![
            (
                9001,
                1,
                0,
                0,
                t0,
                "wxid_abc",
                "先交保证金".into(),
                None,
                None,
                None,
            ),
            (
                9002,
                49,
                2000,
                0,
                t0 + 60,
                "wxid_abc",
                String::new(),
                None,
                Some(lz(TRANSFER.as_bytes())),
                None,
            ),
            (
                9003,
                49,
                57,
                1,
                t0 + 120,
                "wxid_abc",
                String::new(),
                None,
                Some(lz(quote.as_bytes())),
                None,
            ),
            (
                9004,
                3,
                0,
                0,
                t0 + 180,
                "wxid_abc",
                "<msg><img md5=\"cc\"/></msg>".into(),
                None,
                None,
                Some(bytes_extra(&[(
                    4,
                    "wxid_me\\FileStorage\\Image\\2023-11\\abc.dat",
                )])),
            ),
            (
                9005,
                1,
                0,
                0,
                t0 + 240,
                "123@chatroom",
                "大家好".into(),
                None,
                None,
                Some(bytes_extra(&[(1, "wxid_abc"), (7, "<msgsource/>")])),
            ),
            (
                9006,
                10000,
                0,
                0,
                t0 + 300,
                "123@chatroom",
                "\"王五\" 撤回了一条消息".into(),
                None,
                None,
                None,
            ),
            (
                9007,
                10000,
                4,
                0,
                t0 + 360,
                "123@chatroom",
                String::new(),
                Some("\"王五\" 拍了拍我"),
                None,
                None,
            ),
            (
                9008,
                50,
                0,
                1,
                t0 + 420,
                "wxid_abc",
                "<voipmsg/>".into(),
                Some("通话时长 00:42"),
                None,
                None,
            ),
            (
                9009,
                49,
                6,
                0,
                t0 + 480,
                "wxid_abc",
                file.into(),
                None,
                None,
                Some(bytes_extra(&[(
                    4,
                    "wxid_me\\FileStorage\\File\\2023-11\\转账凭证.jpg",
                )])),
            ),
            // Garbage CompressContent: kept as hex, never a panic.
            (
                9010,
                49,
                5,
                0,
                t0 + 540,
                "wxid_abc",
                String::new(),
                None,
                Some(vec![0xff; 7]),
                Some(vec![0x1a, 0xff]),
            ),
        ];
        for (svr, ty, sub, snd, ct, talker, content, display, cc, be) in rows {
            c.execute(
                "INSERT INTO MSG (MsgSvrID, Type, SubType, IsSender, CreateTime, StrTalker, StrContent,
                    DisplayContent, CompressContent, BytesExtra) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                params![svr, ty, sub, snd, ct, talker, content, display, cc, be],
            )
            .expect("row");
        }
        if with_micromsg {
            let m = Connection::open(dir.join("MicroMsg.db")).expect("micro");
            m.execute_batch(MICRO_SCHEMA).expect("schema");
            m.execute_batch(
                "INSERT INTO Contact (UserName, Alias, Remark, NickName) VALUES
                   ('wxid_abc', 'wangwu88', '', '王五'), ('123@chatroom', '', '', '理财群');
                 INSERT INTO ChatRoom (ChatRoomName, UserNameList) VALUES ('123@chatroom', 'wxid_abc^Gwxid_me');",
            )
            .expect("contacts");
        }
        path
    }

    fn parse(path: &Path) -> (Collect, Result<(), SourceError>) {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let r = WechatPcDb.parse(&input, &Options::default(), &mut sink);
        (sink, r)
    }

    #[test]
    fn deleted_messages_are_recovered_onto_the_timeline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = build(dir.path(), true);
        {
            let c = Connection::open(&path).expect("open");
            c.execute_batch("PRAGMA secure_delete = OFF; DELETE FROM MSG WHERE MsgSvrID = 9001;")
                .expect("delete");
        }
        let (sink, r) = parse(&path);
        r.expect("parse");
        assert_eq!(sink.messages.iter().filter(|m| !m.recovered).count(), 9);
        let rec: Vec<&Message> = sink.messages.iter().filter(|m| m.recovered).collect();
        assert_eq!(rec.len(), 1, "{rec:#?}");
        let m = rec[0];
        assert_eq!(m.body, "先交保证金");
        assert_eq!(m.conversation, "wxid_abc");
        assert_eq!(m.sender.name.as_deref(), Some("王五"));
        assert_eq!(m.time.raw, "1700000000");
        assert!(matches!(m.provenance.location, Location::Page { .. }));
        assert!(m.id.starts_with("recovered:"), "{}", m.id);
    }

    #[test]
    fn documented_database_with_micromsg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = build(dir.path(), true);
        let input = Input::open(&path).expect("open");
        assert!(WechatPcDb.sniff(&input) >= 90);
        // The Android parser must not claim it.
        assert_eq!(
            super::super::wechat_android_db::WechatAndroidDb.sniff(&input),
            0
        );
        let (sink, r) = parse(&path);
        r.expect("parse");
        assert!(sink.unparsed.is_empty());
        assert_eq!(sink.conversations.len(), 2);
        assert_eq!(sink.conversations[0].title.as_deref(), Some("王五"));
        assert_eq!(sink.conversations[1].participants.len(), 2);
        assert_eq!(sink.messages.len(), 10);
        let m = |i: usize| &sink.messages[i];
        assert_eq!(m(0).time.raw, "1700000000");
        assert_eq!(m(0).time.unit, "unix_s");
        assert_eq!(m(0).time.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(m(0).time.offset.as_deref(), Some("+08:00"));
        assert_eq!(m(0).sender.name.as_deref(), Some("王五"));
        assert_eq!(m(0).extra["sender_alias"], "wangwu88");
        assert_eq!(
            m(0).provenance.location,
            Location::Row {
                table: "MSG".into(),
                rowid: 1
            }
        );
        assert_eq!(m(1).kind, MessageKind::Transfer);
        assert_eq!(
            m(1).money.as_ref().map(|x| x.amount.as_str()),
            Some("8888.00")
        );
        assert_eq!(m(1).extra["paysubtype"], "3");
        assert!(
            m(1).extra["compress_content_xml"]
                .as_str()
                .is_some_and(|x| x.contains("wcpayinfo"))
        );
        assert_eq!(m(2).reply_to.as_deref(), Some("1"));
        assert_eq!(m(2).direction, Direction::Outgoing);
        assert_eq!(m(3).kind, MessageKind::Image);
        assert_eq!(
            m(3).attachments[0].name.as_deref(),
            Some("wxid_me\\FileStorage\\Image\\2023-11\\abc.dat")
        );
        assert_eq!(m(4).sender.account.as_deref(), Some("wxid_abc"));
        assert_eq!(m(4).body, "大家好");
        assert_eq!(m(5).kind, MessageKind::Recalled);
        assert_eq!(m(6).kind, MessageKind::System);
        assert_eq!(m(6).body, "\"王五\" 拍了拍我");
        assert_eq!(m(7).kind, MessageKind::Call);
        assert_eq!(m(7).body, "通话时长 00:42");
        assert_eq!(m(8).kind, MessageKind::File);
        assert_eq!(m(8).attachments[0].size, Some(2048));
        assert_eq!(m(9).extra["compress_content_undecodable"], true);
        assert!(m(9).extra.get("bytes_extra_hex").is_some());
    }

    /// Writes the fixture database as the fuzz seed (run by hand with `--ignored`).
    #[test]
    #[ignore]
    fn write_fuzz_seed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = build(dir.path(), false);
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/wechat-pc-db");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::copy(path, out.join("MSG0.db")).expect("copy");
    }

    #[test]
    fn without_names_and_encrypted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = build(dir.path(), false);
        let (sink, r) = parse(&path);
        r.expect("parse");
        assert_eq!(sink.messages.len(), 10);
        assert!(sink.warnings.iter().any(|w| w.contains("no Contact table")));
        let enc = dir.path().join("MSG1.db");
        std::fs::write(&enc, vec![0x5a; 8192]).expect("write");
        let input = Input::open(&enc).expect("open");
        assert!(WechatPcDb.sniff(&input) < 50);
        assert!(matches!(parse(&enc).1, Err(SourceError::Encrypted(_))));
    }
}
