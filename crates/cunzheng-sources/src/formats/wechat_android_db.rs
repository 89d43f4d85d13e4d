//! WeChat Android `EnMicroMsg.db`, decrypted (FORMATS-CN.md §1).
//!
//! Reads `message` (one row per message: `msgId`, `msgSvrId`, `type`, `isSend`, `createTime`
//! in epoch milliseconds, `talker`, `content`, `imgPath`, `lvbuffer`), names from `rcontact`
//! (`conRemark`, else `nickname`), groups from `chatroom` (`memberlist`, `roomdata`), and the
//! owner from `userinfo` (id 2 wxid, id 4 nickname). In groups the sender of a received row is
//! the `wxid:\n` prefix of `content`. The encrypted file (SQLCipher 1.x) is not read here.
//! Deleted messages that `cunzheng-sqlite` recovers from the file's free space follow the live
//! ones, built the same way, flagged `recovered`, with `Location::Page` provenance.

use std::collections::HashMap;

use cunzheng_model::{
    Conversation, Direction, Location, Message, Party, Platform, Provenance, Unparsed,
};
use cunzheng_sqlite::RecoveredRow;
use rusqlite::Connection;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::Value;

use super::wechat_common::{
    self as wc, Base, blob_of, col_or_null, columns, has, int_of, split_sender_prefix, text_of,
};
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The WeChat Android database parser.
pub struct WechatAndroidDb;

const ENCRYPTED_ADVICE: &str = "this looks like an encrypted WeChat Android EnMicroMsg.db \
    (SQLCipher 1.x: page size 1024, 4000 PBKDF2-SHA1 iterations, no HMAC; key = first 7 hex \
    digits of md5(IMEI + UIN)). Decrypt a working copy first (never the original), then parse \
    the decrypted copy with --format wechat-android-db";

/// A contact's names.
#[derive(Debug, Default, Clone)]
struct Contact {
    alias: Option<String>,
    remark: Option<String>,
    nickname: Option<String>,
}

impl Contact {
    fn display(&self) -> Option<String> {
        self.remark
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| self.nickname.clone().filter(|s| !s.is_empty()))
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn load_contacts(conn: &Connection) -> HashMap<String, Contact> {
    let mut out = HashMap::new();
    let Some(cols) = columns(conn, "rcontact") else {
        return out;
    };
    if !has(&cols, "username") {
        return out;
    }
    let sql = format!(
        "SELECT username, {}, {}, {} FROM rcontact",
        col_or_null(&cols, "alias"),
        col_or_null(&cols, "conRemark"),
        col_or_null(&cols, "nickname")
    );
    let Ok(mut stmt) = conn.prepare(&sql) else {
        return out;
    };
    let Ok(mut rows) = stmt.query([]) else {
        return out;
    };
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
    out
}

/// Per room: members (wxid, 群昵称) and owner.
type Rooms = HashMap<String, (Vec<(String, Option<String>)>, Option<String>)>;

fn load_rooms(conn: &Connection) -> Rooms {
    let mut out = HashMap::new();
    let Some(cols) = columns(conn, "chatroom") else {
        return out;
    };
    if !has(&cols, "chatroomname") {
        return out;
    }
    let sql = format!(
        "SELECT chatroomname, {}, {}, {}, {} FROM chatroom",
        col_or_null(&cols, "memberlist"),
        col_or_null(&cols, "displayname"),
        col_or_null(&cols, "roomowner"),
        col_or_null(&cols, "roomdata")
    );
    let Ok(mut stmt) = conn.prepare(&sql) else {
        return out;
    };
    let Ok(mut rows) = stmt.query([]) else {
        return out;
    };
    while let Ok(Some(r)) = rows.next() {
        let get = |i| r.get_ref(i).ok().and_then(|v| text_of(v).0);
        let Some(room) = get(0) else { continue };
        let members: Vec<String> = get(1)
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        // RoomData carries each member's 群昵称; memberlist order otherwise.
        let cards: HashMap<String, Option<String>> = r
            .get_ref(4)
            .ok()
            .and_then(blob_of)
            .map(wc::room_members)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let list = members
            .into_iter()
            .map(|m| {
                let card = cards.get(&m).cloned().flatten();
                (m, card)
            })
            .collect();
        out.insert(room, (list, nonempty(get(3))));
    }
    out
}

fn load_owner(conn: &Connection) -> (Option<String>, Option<String>) {
    let q = |id: i64| -> Option<String> {
        conn.query_row("SELECT value FROM userinfo WHERE id = ?1", [id], |r| {
            Ok(text_of(r.get_ref(0)?).0)
        })
        .ok()
        .flatten()
        .filter(|s| !s.is_empty())
    };
    if columns(conn, "userinfo").is_none() {
        return (None, None);
    }
    (q(2), q(4))
}

fn conv_kind(talker: &str) -> &'static str {
    if talker.ends_with("@chatroom") {
        "group"
    } else if talker.starts_with("gh_") {
        "official_account"
    } else {
        "private"
    }
}

impl Source for WechatAndroidDb {
    fn id(&self) -> &'static str {
        "wechat-android-db"
    }
    fn name(&self) -> &'static str {
        "WeChat Android database (decrypted EnMicroMsg.db)"
    }
    fn description(&self) -> &'static str {
        "Decrypted WeChat Android EnMicroMsg.db: the `message` table (text, image, voice, video, \
         sticker, location, card, call, app messages incl. 转账 transfers with amount, 红包, files, \
         links, mini programs, quotes; system lines and recalls), names from rcontact, group \
         members from chatroom, owner from userinfo. Epoch-millisecond times. Does not read \
         media files, the encrypted DB (returns an 'encrypted' error) or deleted rows."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["EnMicroMsg*.db", "*.db"]
    }
    fn tier(&self) -> Tier {
        // Schema and codes from public parsers (FORMATS-CN.md); no real DB sample is licensed.
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        if !wc::is_plain_sqlite(&input.head) {
            // Encrypted EnMicroMsg.db has no header: only the name hints at it.
            return if input.name.to_ascii_lowercase().starts_with("enmicromsg") {
                10
            } else {
                0
            };
        }
        let Ok(conn) = wc::open_ro(&input.path) else {
            return 0;
        };
        let Some(cols) = columns(&conn, "message") else {
            return 0;
        };
        let core = ["msgId", "type", "isSend", "createTime", "talker", "content"];
        if !core.iter().all(|c| has(&cols, c)) {
            return 0;
        }
        let mut score = 70;
        if columns(&conn, "rcontact").is_some() {
            score += 20;
        }
        if has(&cols, "msgSvrId") && has(&cols, "imgPath") {
            score += 5;
        }
        score
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if !wc::is_plain_sqlite(&input.head) {
            return Err(SourceError::Encrypted(ENCRYPTED_ADVICE.into()));
        }
        let conn = wc::open_input(input, sink)?;
        let cols = columns(&conn, "message").ok_or_else(|| SourceError::Format {
            location: "table message".into(),
            message: "no `message` table: not a WeChat Android EnMicroMsg.db".into(),
        })?;
        for c in ["type", "createTime", "talker", "content"] {
            if !has(&cols, c) {
                return Err(SourceError::Format {
                    location: "table message".into(),
                    message: format!("column `{c}` missing"),
                });
            }
        }
        let (zone, _) = Zone::from_options(opts);
        let contacts = load_contacts(&conn);
        let rooms = load_rooms(&conn);
        let (owner_id, owner_nick) = load_owner(&conn);
        if owner_id.is_none() {
            sink.warning(
                "wechat-android-db: no owner in userinfo (id 2); own messages have no account"
                    .into(),
            );
        }
        let owner = Party {
            name: owner_id
                .as_ref()
                .and_then(|o| contacts.get(o))
                .and_then(Contact::display)
                .or(owner_nick),
            account: owner_id.clone(),
        };
        let tag = self.parser_tag();
        let fmt_err = |e: rusqlite::Error| SourceError::Format {
            location: "table message".into(),
            message: e.to_string(),
        };

        // Conversations first, in order of their first message.
        let mut stmt = conn
            .prepare(
                "SELECT talker, COUNT(*) FROM message GROUP BY talker ORDER BY MIN(createTime), MIN(rowid)",
            )
            .map_err(fmt_err)?;
        let mut rows = stmt.query([]).map_err(fmt_err)?;
        while let Some(r) = rows.next().map_err(fmt_err)? {
            let talker = r
                .get_ref(0)
                .ok()
                .and_then(|v| text_of(v).0)
                .unwrap_or_default();
            let kind = conv_kind(&talker);
            let mut participants = Vec::new();
            if let Some((members, _)) = rooms.get(&talker) {
                for (m, card) in members {
                    participants.push(Party {
                        name: contacts
                            .get(m)
                            .and_then(Contact::display)
                            .or_else(|| card.clone()),
                        account: Some(m.clone()),
                    });
                }
            } else if kind != "group" {
                if owner.account.is_some() {
                    participants.push(owner.clone());
                }
                participants.push(Party {
                    name: contacts.get(&talker).and_then(Contact::display),
                    account: (!talker.is_empty()).then(|| talker.clone()),
                });
            }
            sink.conversation(Conversation {
                platform: Platform::WeChat,
                id: talker.clone(),
                title: contacts.get(&talker).and_then(Contact::display),
                kind: Some(kind.into()),
                participants,
            });
        }
        drop(rows);
        drop(stmt);

        let sql = format!(
            "SELECT rowid, {}, {}, type, {}, createTime, talker, content, {}, {}, {} \
             FROM message ORDER BY createTime, rowid",
            col_or_null(&cols, "msgId"),
            col_or_null(&cols, "msgSvrId"),
            col_or_null(&cols, "isSend"),
            col_or_null(&cols, "imgPath"),
            col_or_null(&cols, "lvbuffer"),
            col_or_null(&cols, "status"),
        );
        let mut stmt = conn.prepare(&sql).map_err(fmt_err)?;
        let mut by_svrid = conn
            .prepare("SELECT msgId FROM message WHERE msgSvrId = ?1 ORDER BY rowid LIMIT 1")
            .ok();
        let mut rows = stmt.query([]).map_err(fmt_err)?;
        let mut last_rowid = 0i64;
        // One message from the columns of the SELECT above (live row, or a recovered one).
        let mut rr_columns: Vec<String> = Vec::new();
        let mut emit = |vals: &[Option<ValueRef<'_>>],
                        prov: Provenance,
                        rowid: i64,
                        recovered: Option<&RecoveredRow>,
                        rr_columns: &[String],
                        sink: &mut dyn Sink| {
            let v = |i: usize| vals.get(i).copied().flatten();
            let msg_id = v(1).and_then(int_of);
            let svr_id = v(2).and_then(int_of);
            let Some(code) = v(3).and_then(int_of) else {
                sink.unparsed(Unparsed {
                    provenance: prov,
                    reason: "type is not an integer".into(),
                    excerpt: v(7)
                        .and_then(|x| text_of(x).0)
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect(),
                });
                return;
            };
            let is_send = v(4).and_then(int_of);
            let time = match v(5) {
                Some(x) => match int_of(x) {
                    Some(ms) => zone.epoch(&ms.to_string(), "unix_ms", ms),
                    None => unresolved(&text_of(x).0.unwrap_or_default(), "unix_ms"),
                },
                None => unresolved("", "unix_ms"),
            };
            let talker = v(6).and_then(|x| text_of(x).0).unwrap_or_default();
            let (content, bad_utf8, cut) = v(7).map(text_of).unwrap_or((None, false, false));
            let content = content.unwrap_or_default();
            let img_path = v(8).and_then(|x| text_of(x).0).filter(|s| !s.is_empty());
            let lvbuffer = v(9).and_then(blob_of).filter(|b| !b.is_empty());
            let status = v(10).and_then(int_of);

            let base = wc::classify_android(code);
            let group = talker.ends_with("@chatroom");
            let outgoing = is_send == Some(1);
            let (prefix, body_src) = if group && !outgoing {
                match split_sender_prefix(&content) {
                    Some((p, rest)) => (Some(p.to_owned()), rest.to_owned()),
                    None => (None, content.clone()),
                }
            } else {
                (None, content.clone())
            };
            let mut d = wc::decode_content(base, &body_src);
            let sender = if outgoing {
                owner.clone()
            } else if let Some(p) = &prefix {
                if *p == talker {
                    // A pat sysmsg is prefixed with the room id, not a member.
                    Party {
                        name: None,
                        account: Some(p.clone()),
                    }
                } else {
                    let card = rooms.get(&talker).and_then(|(m, _)| {
                        m.iter().find(|(w, _)| w == p).and_then(|(_, c)| c.clone())
                    });
                    Party {
                        name: contacts.get(p).and_then(Contact::display).or(card),
                        account: Some(p.clone()),
                    }
                }
            } else if group || matches!(d.kind, cunzheng_model::MessageKind::System) {
                Party::default()
            } else {
                Party {
                    name: contacts.get(&talker).and_then(Contact::display),
                    account: (!talker.is_empty()).then(|| talker.clone()),
                }
            };
            if let Some(p) = &img_path
                && matches!(base, Base::Image | Base::Voice | Base::Video)
            {
                d.attachments.insert(
                    0,
                    cunzheng_model::Attachment {
                        name: Some(p.clone()),
                        ..Default::default()
                    },
                );
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
            e.insert("type".into(), code.into());
            if let Some(s) = svr_id {
                e.insert("msgSvrId".into(), s.to_string().into());
            }
            if let Some(s) = is_send {
                e.insert("isSend".into(), s.into());
            }
            if let Some(s) = status {
                e.insert("status".into(), s.into());
            }
            if let Some(p) = &prefix {
                e.insert("sender_prefix".into(), p.clone().into());
            }
            if let Some(a) = sender
                .account
                .as_ref()
                .and_then(|a| contacts.get(a))
                .and_then(|c| c.alias.clone())
            {
                // 微信号: what a victim usually knows the other side by.
                e.insert("sender_alias".into(), a.into());
            }
            if let Some(p) = &img_path {
                e.insert("imgPath".into(), p.clone().into());
            }
            if let Some(b) = lvbuffer {
                e.insert("lvbuffer_hex".into(), wc::hex_capped(b).into());
            }
            if !matches!(base, Base::Text) && !body_src.is_empty() {
                e.insert("content".into(), wc::capped(&body_src).into());
            }
            if bad_utf8 {
                e.insert("content_invalid_utf8".into(), true.into());
            }
            if cut {
                e.insert("content_truncated".into(), true.into());
                sink.warning(format!(
                    "wechat-android-db: message rowid {rowid}: content longer than 16 MiB, cut"
                ));
            }
            if let Some(rr) = recovered {
                e.insert("recovered_source".into(), rr.source.to_string().into());
                e.insert("recovered_confidence".into(), rr.confidence.into());
                if let Some(i) = msg_id {
                    e.insert("msgId".into(), i.into());
                }
                if !rr.missing.is_empty() {
                    let names: Vec<Value> = rr
                        .missing
                        .iter()
                        .filter_map(|&i| rr_columns.get(i).cloned().map(Value::from))
                        .collect();
                    e.insert("recovered_missing".into(), names.into());
                }
            }
            sink.message(Message {
                id: match recovered {
                    // Unique even when an old version of a live message is recovered.
                    Some(rr) => format!("recovered:{}:{}", rr.page, rr.offset),
                    None => msg_id.map_or_else(|| format!("R{rowid}"), |i| i.to_string()),
                },
                conversation: talker,
                sender,
                direction: match is_send {
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
                recovered: recovered.is_some(),
                provenance: prov,
                extra: Value::Object(d.extra),
            });
        };
        loop {
            let r = match rows.next() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    return Err(SourceError::Format {
                        location: format!("table message after rowid {last_rowid}"),
                        message: e.to_string(),
                    });
                }
            };
            let vals: [Option<ValueRef<'_>>; 11] = std::array::from_fn(|i| r.get_ref(i).ok());
            let rowid = vals[0].and_then(int_of).unwrap_or(last_rowid + 1);
            last_rowid = rowid;
            let prov = input.provenance(
                &tag,
                Location::Row {
                    table: "message".into(),
                    rowid,
                },
            );
            emit(&vals, prov, rowid, None, &rr_columns, sink);
        }
        drop(rows);

        // Deleted messages the page-level reader recovers from the same file: on the timeline,
        // flagged `recovered`, located by page and offset.
        match super::common_sqlite::recover(input) {
            Err(e) => sink.warning(format!(
                "wechat-android-db: deleted messages not recovered: {e}"
            )),
            Ok(rec) => {
                let Some(t) = rec
                    .tables
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case("message"))
                else {
                    return Ok(());
                };
                rr_columns = t.columns.clone();
                let pos = |name: &str| t.columns.iter().position(|c| c.eq_ignore_ascii_case(name));
                let wanted = [
                    "msgId",
                    "msgId",
                    "msgSvrId",
                    "type",
                    "isSend",
                    "createTime",
                    "talker",
                    "content",
                    "imgPath",
                    "lvbuffer",
                    "status",
                ];
                let idx: Vec<Option<usize>> = wanted.iter().map(|n| pos(n)).collect();
                for rr in rec
                    .rows
                    .iter()
                    .filter(|r| r.table.eq_ignore_ascii_case("message"))
                {
                    let vals: Vec<SqlValue> = idx
                        .iter()
                        .map(|i| {
                            i.map_or(SqlValue::Null, |i| {
                                let blob = t
                                    .declared_types
                                    .get(i)
                                    .is_some_and(|d| d.to_ascii_uppercase().contains("BLOB"));
                                sql_value(rr.values.get(i), blob)
                            })
                        })
                        .collect();
                    let refs: Vec<Option<ValueRef<'_>>> =
                        vals.iter().map(|x| Some(ValueRef::from(x))).collect();
                    let rowid = refs[0].and_then(int_of).unwrap_or(0);
                    let prov = input.provenance(
                        &tag,
                        Location::Page {
                            source: rr.source.to_string(),
                            page: u64::from(rr.page),
                            offset: rr.offset as u64,
                        },
                    );
                    emit(&refs, prov, rowid, Some(rr), &rr_columns, sink);
                }
            }
        }
        Ok(())
    }
}

/// A recovered value (JSON scalar; blobs as hex) as the SQLite value it was.
fn sql_value(v: Option<&Value>, blob: bool) -> SqlValue {
    match v {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Some(Value::String(s)) if blob => {
            hex::decode(s).map_or_else(|_| SqlValue::Text(s.clone()), SqlValue::Blob)
        }
        Some(Value::String(s)) => SqlValue::Text(s.clone()),
        _ => SqlValue::Null,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! No openly licensed EnMicroMsg.db exists: every database here is built in the test with
    //! rusqlite from the schema and samples in FORMATS-CN.md §1 and §3.
    use super::*;
    use crate::source::Collect;
    use cunzheng_model::MessageKind;
    use rusqlite::params;

    /// The `message`, `rcontact`, `chatroom`, `userinfo` columns of EnMicroMsg.db (subset of
    /// the DDL in FORMATS-CN.md §1.2/1.3; older versions stop at lvbuffer).
    pub(crate) const SCHEMA: &str = "
        CREATE TABLE message (msgId INTEGER PRIMARY KEY, msgSvrId INTEGER, type INT, status INT,
            isSend INT, isShowTimer INTEGER, createTime INTEGER, talker TEXT, content TEXT,
            imgPath TEXT, reserved TEXT, lvbuffer BLOB, transContent TEXT,
            transBrandWording TEXT, talkerId INTEGER, bizClientMsgId TEXT,
            bizChatId INTEGER DEFAULT -1, bizChatUserId TEXT, msgSeq INTEGER, flag INT);
        CREATE INDEX messageSvrIdIndex ON message (msgSvrId);
        CREATE TABLE rcontact (username TEXT PRIMARY KEY, alias TEXT, conRemark TEXT,
            domainList TEXT, pyInitial TEXT, quanPin TEXT, showHead INTEGER, type INT,
            weiboFlag INT, weiboNickname TEXT, conRemarkPYFull TEXT, conRemarkPYShort TEXT,
            lvbuff BLOB, verifyFlag INT, encryptUsername TEXT, chatroomFlag INT,
            deleteFlag INT, contactLabelIds TEXT, nickname TEXT);
        CREATE TABLE chatroom (chatroomname TEXT PRIMARY KEY, addtime INTEGER, memberlist TEXT,
            displayname TEXT, chatroomnick TEXT, roomflag INTEGER, roomowner TEXT,
            roomdata BLOB, isShowname INTEGER, selfDisplayName TEXT, style INTEGER,
            chatroomdataflag INTEGER, modifytime LONG, chatroomnotice TEXT, memberCount INTEGER);
        CREATE TABLE userinfo (id INTEGER PRIMARY KEY, type INT, value TEXT);
    ";

    const TRANSFER: &str = "<msg><appmsg appid=\"\" sdkver=\"\"><title><![CDATA[微信转账]]></title>\
        <des><![CDATA[收到转账50000.00元。如需收钱，请点此升级至最新版本]]></des><type>2000</type>\
        <url><![CDATA[https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/common_page__upgrade&text=text001&btn_text=btn_text_0]]></url>\
        <wcpayinfo><paysubtype>1</paysubtype><feedesc><![CDATA[￥50000.00]]></feedesc>\
        <transcationid><![CDATA[100005]]></transcationid><transferid><![CDATA[1000050001]]></transferid>\
        <invalidtime><![CDATA[1672632000]]></invalidtime><begintransfertime><![CDATA[1672545600]]></begintransfertime>\
        <effectivedate><![CDATA[1]]></effectivedate><pay_memo><![CDATA[保证金]]></pay_memo></wcpayinfo>\
        </appmsg><fromusername>wxid_owner</fromusername></msg>";

    const RED_PACKET: &str = "<msg><appmsg appid=\"\" sdkver=\"\"><des><![CDATA[我给你发了一个红包，赶紧去拆!]]></des>\
        <url><![CDATA[https://wxapp.tenpay.com/mmpayhb/wxhb_personalreceive?showwxpaytitle=1&msgtype=1&channelid=1&sendid=1000039]]></url>\
        <type><![CDATA[2001]]></type><title><![CDATA[微信红包]]></title>\
        <wcpayinfo><templateid><![CDATA[7a2a165d31da7fce6dd77e05c300028a]]></templateid>\
        <url><![CDATA[https://wxapp.tenpay.com/]]></url><nativeurl><![CDATA[wxpay://c2cbizmessagehandler/hongbao/receivehongbao?msgtype=1&channelid=1&sendid=1000039&sendusername=wxid_scammer]]></nativeurl>\
        <sceneid><![CDATA[1002]]></sceneid><innertype><![CDATA[0]]></innertype><paymsgid><![CDATA[1000039]]></paymsgid>\
        <scenetext>微信红包</scenetext><locallogoicon><![CDATA[c2c_hongbao_icon_cn]]></locallogoicon>\
        <invalidtime><![CDATA[1672718400]]></invalidtime><senderdes><![CDATA[查看红包]]></senderdes>\
        <sendertitle><![CDATA[恭喜发财，大吉大利]]></sendertitle><receiverdes><![CDATA[领取红包]]></receiverdes>\
        <receivertitle><![CDATA[恭喜发财，大吉大利]]></receivertitle></wcpayinfo></appmsg></msg>";

    const QUOTE: &str = "<msg><appmsg appid=\"\" sdkver=\"0\"><title>收到了吗</title><type>57</type>\
        <refermsg><type>1</type><svrid>7001</svrid><fromusr>wxid_scammer</fromusr>\
        <chatusr>wxid_scammer</chatusr><displayname>客服小王</displayname>\
        <content>请把钱转到安全账户</content><createtime>1672545600</createtime></refermsg>\
        </appmsg></msg>";

    const REVOKE: &str = "<sysmsg type=\"revokemsg\"><revokemsg><session>wxid_scammer</session>\
        <msgid>1</msgid><newmsgid>7002</newmsgid><replacemsg><![CDATA[\"客服小王\" 撤回了一条消息]]></replacemsg>\
        </revokemsg></sysmsg>";

    const FILE: &str = "<msg><appmsg appid=\"\" sdkver=\"0\"><title>合同.pdf</title><type>6</type>\
        <appattach><totallen>123456</totallen><fileext>pdf</fileext><attachid>@cdn_x</attachid></appattach>\
        <md5>0123456789abcdef0123456789abcdef</md5></appmsg></msg>";

    const LINK: &str = "<msg><appmsg appid=\"\" sdkver=\"0\"><title>高收益理财</title><des>稳赚不赔</des>\
        <type>5</type><url>https://example.invalid/licai</url><sourceusername>gh_abc</sourceusername>\
        <sourcedisplayname>某理财</sourcedisplayname></appmsg><appinfo><appname>某理财</appname></appinfo></msg>";

    const MINI: &str = "<msg><appmsg appid=\"\" sdkver=\"0\"><title>领取补贴</title><type>33</type>\
        <sourcedisplayname>补贴助手</sourcedisplayname><weappinfo><username><![CDATA[gh_x@app]]></username>\
        <appid><![CDATA[wx123]]></appid><pagepath><![CDATA[pages/index.html]]></pagepath></weappinfo></appmsg></msg>";

    const LOCATION: &str = "<msg><location x=\"39.9\" y=\"116.4\" scale=\"16\" label=\"北京市东城区\" poiname=\"天安门\" maptype=\"0\" /></msg>";

    const VOIP: &str = "<voipmsg type=\"VoIPBubbleMsg\"><VoIPBubbleMsg><msg><![CDATA[通话时长 01:23]]></msg><room_type>1</room_type></VoIPBubbleMsg></voipmsg>";

    /// msgId, msgSvrId, type, isSend, createTime, talker, content, imgPath.
    type Row<'a> = (i64, i64, i64, i64, i64, &'a str, String, Option<&'a str>);

    /// Builds the fixture database in `dir`; returns its path.
    pub(crate) fn build(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("EnMicroMsg.db");
        let c = Connection::open(&path).expect("create");
        c.execute_batch(SCHEMA).expect("schema");
        c.execute_batch(
            "INSERT INTO userinfo VALUES (2, 0, 'wxid_owner'), (4, 0, '受害人');
             INSERT INTO rcontact (username, alias, conRemark, nickname) VALUES
               ('wxid_owner', 'victim01', '', '受害人'),
               ('wxid_scammer', 'kefu_wang', '骗子客服', '客服小王'),
               ('wxid_abc123', '', '', '群友甲'),
               ('12345678@chatroom', '', '', '投资交流群');
             INSERT INTO chatroom (chatroomname, memberlist, displayname, roomowner) VALUES
               ('12345678@chatroom', 'wxid_owner;wxid_abc123;wxid_gone', '受害人、群友甲、', 'wxid_abc123');",
        )
        .expect("contacts");
        let t0: i64 = 1_672_545_600_000; // 2023-01-01T04:00:00Z
        let rows: Vec<Row<'_>> = vec![
            (1, 7001, 1, 0, t0, "wxid_scammer", "请把钱转到安全账户".into(), None),
            (2, 7002, 1, 0, t0 + 1_000, "wxid_scammer", "原来的消息".into(), None),
            (3, 7003, 419_430_449, 1, t0 + 60_000, "wxid_scammer", TRANSFER.into(), None),
            (4, 7004, 436_207_665, 0, t0 + 120_000, "wxid_scammer", RED_PACKET.into(), None),
            (5, 7005, 822_083_633, 1, t0 + 180_000, "wxid_scammer", QUOTE.into(), None),
            (6, 0, 10002, 0, t0 + 240_000, "wxid_scammer", REVOKE.into(), None),
            (7, 7007, 3, 0, t0 + 300_000, "wxid_scammer", "<msg><img length=\"1000\" md5=\"aa\"/></msg>".into(), Some("THUMBNAIL_DIRPATH://th_abc")),
            (8, 7008, 34, 0, t0 + 360_000, "wxid_scammer", "<msg><voicemsg voicelength=\"3000\"/></msg>".into(), Some("voice_stem_1")),
            (9, 7009, 1_090_519_089, 0, t0 + 420_000, "wxid_scammer", FILE.into(), None),
            (10, 7010, 49, 0, t0 + 480_000, "12345678@chatroom", format!("wxid_abc123:\n{LINK}"), None),
            (11, 7011, 1, 0, t0 + 540_000, "12345678@chatroom", "wxid_abc123:\n晚上开会".into(), None),
            (12, 7012, 1, 1, t0 + 600_000, "12345678@chatroom", "好的".into(), None),
            (13, 0, 10000, 0, t0 + 660_000, "12345678@chatroom", "\"群友甲\"邀请\"新人\"加入了群聊".into(), None),
            (14, 7014, 49, 0, t0 + 720_000, "12345678@chatroom", format!("wxid_gone:\n{MINI}"), None),
            (15, 7015, 48, 0, t0 + 780_000, "wxid_scammer", LOCATION.into(), None),
            (16, 7016, 50, 1, t0 + 840_000, "wxid_scammer", VOIP.into(), None),
            (17, 7017, 47, 0, t0 + 900_000, "wxid_scammer", "<msg><emoji md5=\"bb\" cdnurl=\"http://x\"/></msg>".into(), None),
            (18, 0, 268_445_456, 0, t0 + 960_000, "wxid_scammer", "\"客服小王\" 撤回了一条消息".into(), None),
            // A deleted contact: no rcontact row. Its messages must still be read.
            (19, 7019, 1, 0, t0 + 1_020_000, "wxid_deleted", "我是谁".into(), None),
            // Row id order is not time order.
            (20, 7020, 1, 1, t0 - 60_000, "wxid_scammer", "你好".into(), None),
            (21, 7021, 10000, 0, t0 + 1_080_000, "12345678@chatroom", "12345678@chatroom:\n<sysmsg type=\"pat\"><pat><fromusername>wxid_abc123</fromusername><chatusername>12345678@chatroom</chatusername><pattedusername>wxid_owner</pattedusername><template><![CDATA[\"${wxid_abc123}\" 拍了拍 \"${wxid_owner}\"]]></template></pat></sysmsg>".into(), None),
        ];
        for (id, svr, ty, send, ct, talker, content, img) in rows {
            c.execute(
                "INSERT INTO message (msgId, msgSvrId, type, status, isSend, createTime, talker, content, imgPath)
                 VALUES (?1, ?2, ?3, 2, ?4, ?5, ?6, ?7, ?8)",
                params![id, svr, ty, send, ct, talker, content, img],
            )
            .expect("row");
        }
        // Invalid UTF-8 in content (WD reads content as bytes).
        c.execute(
            "INSERT INTO message (msgId, msgSvrId, type, isSend, createTime, talker, content)
             VALUES (22, 7022, 1, 0, ?1, 'wxid_scammer', CAST(X'E4BDA0FF' AS TEXT))",
            [t0 + 1_140_000],
        )
        .expect("bad utf8");
        path
    }

    fn parse_path(path: &std::path::Path) -> (Collect, Result<(), SourceError>) {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let r = WechatAndroidDb.parse(&input, &Options::default(), &mut sink);
        (sink, r)
    }

    #[test]
    fn documented_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = build(dir.path());
        let input = Input::open(&path).expect("open");
        assert!(WechatAndroidDb.sniff(&input) >= 90);
        let (sink, r) = parse_path(&path);
        r.expect("parse");
        assert!(sink.unparsed.is_empty(), "{:?}", sink.unparsed);
        assert_eq!(sink.messages.len(), 22);
        assert_eq!(sink.conversations.len(), 3);
        let conv = |id: &str| sink.conversations.iter().find(|c| c.id == id).expect(id);
        assert_eq!(conv("wxid_scammer").title.as_deref(), Some("骗子客服"));
        let group = conv("12345678@chatroom");
        assert_eq!(group.kind.as_deref(), Some("group"));
        assert_eq!(group.participants.len(), 3);
        assert_eq!(conv("wxid_deleted").title, None);
        let m = |id: &str| sink.messages.iter().find(|m| m.id == id).expect(id);
        // Sorted by createTime: row 20 comes first.
        assert_eq!(sink.messages[0].id, "20");
        assert_eq!(sink.messages[0].time.raw, "1672545540000");
        assert_eq!(
            sink.messages[0].time.utc.as_deref(),
            Some("2023-01-01T03:59:00Z")
        );
        assert_eq!(sink.messages[0].time.offset.as_deref(), Some("+08:00"));
        assert_eq!(sink.messages[0].time.zone_basis, "source");
        assert_eq!(
            sink.messages[0].sender.account.as_deref(),
            Some("wxid_owner")
        );
        assert_eq!(sink.messages[0].sender.name.as_deref(), Some("受害人"));
        let last = sink.messages.last().expect("last");
        assert_eq!(last.id, "22");
        assert_eq!(last.time.utc.as_deref(), Some("2023-01-01T04:19:00Z"));
        assert_eq!(last.body, "你\u{FFFD}");
        assert_eq!(last.extra["content_invalid_utf8"], true);

        let first = m("1");
        assert_eq!(first.kind, MessageKind::Text);
        assert_eq!(first.direction, Direction::Incoming);
        assert_eq!(first.sender.name.as_deref(), Some("骗子客服"));
        assert_eq!(
            first.provenance.location,
            Location::Row {
                table: "message".into(),
                rowid: 1
            }
        );
        assert_eq!(first.extra["sender_alias"], "kefu_wang");
        let t = m("3");
        assert_eq!(t.kind, MessageKind::Transfer);
        assert_eq!(t.direction, Direction::Outgoing);
        let money = t.money.as_ref().expect("money");
        assert_eq!(
            (money.amount.as_str(), money.currency.as_deref()),
            ("50000.00", Some("CNY"))
        );
        assert_eq!(t.extra["paysubtype"], "1");
        assert_eq!(t.extra["pay_memo"], "保证金");
        assert_eq!(t.extra["type"], 419_430_449);
        let rp = m("4");
        assert_eq!(rp.kind, MessageKind::RedPacket);
        assert_eq!(rp.money, None);
        assert!(rp.body.contains("恭喜发财"));
        let q = m("5");
        assert_eq!(q.body, "收到了吗");
        assert_eq!(q.reply_to.as_deref(), Some("1"));
        assert_eq!(q.extra["refer"]["displayname"], "客服小王");
        let rv = m("6");
        assert_eq!(rv.kind, MessageKind::Recalled);
        assert_eq!(rv.body, "\"客服小王\" 撤回了一条消息");
        assert_eq!(rv.extra["revoked_id"], "2");
        let img = m("7");
        assert_eq!(img.kind, MessageKind::Image);
        assert_eq!(
            img.attachments[0].name.as_deref(),
            Some("THUMBNAIL_DIRPATH://th_abc")
        );
        assert_eq!(m("8").kind, MessageKind::Voice);
        assert_eq!(m("8").extra["voice_length_ms"], "3000");
        let f = m("9");
        assert_eq!(f.kind, MessageKind::File);
        assert_eq!(f.attachments[0].name.as_deref(), Some("合同.pdf"));
        assert_eq!(f.attachments[0].size, Some(123_456));
        let link = m("10");
        assert_eq!(link.kind, MessageKind::Link);
        assert_eq!(link.sender.account.as_deref(), Some("wxid_abc123"));
        assert_eq!(link.sender.name.as_deref(), Some("群友甲"));
        assert!(link.body.contains("https://example.invalid/licai"));
        let g = m("11");
        assert_eq!(g.body, "晚上开会");
        assert_eq!(g.extra["sender_prefix"], "wxid_abc123");
        let own = m("12");
        assert_eq!(own.body, "好的");
        assert_eq!(own.direction, Direction::Outgoing);
        let sys = m("13");
        assert_eq!(sys.kind, MessageKind::System);
        assert_eq!(sys.sender, Party::default());
        let mini = m("14");
        assert_eq!(mini.kind, MessageKind::Link);
        assert_eq!(mini.sender.account.as_deref(), Some("wxid_gone"));
        assert_eq!(mini.sender.name, None);
        assert_eq!(mini.extra["weapp_appid"], "wx123");
        let loc = m("15");
        assert_eq!(loc.kind, MessageKind::Location);
        assert_eq!(loc.body, "[位置] 天安门 北京市东城区");
        let call = m("16");
        assert_eq!(call.kind, MessageKind::Call);
        assert_eq!(call.body, "通话时长 01:23");
        assert_eq!(m("17").kind, MessageKind::Sticker);
        assert_eq!(m("18").kind, MessageKind::Recalled);
        assert_eq!(m("19").sender.account.as_deref(), Some("wxid_deleted"));
        let pat = m("21");
        assert_eq!(pat.kind, MessageKind::System);
        assert_eq!(pat.sender.account.as_deref(), Some("12345678@chatroom"));
        assert!(pat.body.contains("拍了拍"));
    }

    /// Writes the fixture database as the fuzz seed (run by hand with `--ignored`).
    #[test]
    #[ignore]
    fn write_fuzz_seed() {
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/wechat-android-db");
        std::fs::create_dir_all(&out).expect("mkdir");
        let _ = std::fs::remove_file(out.join("EnMicroMsg.db"));
        build(&out);
    }

    #[test]
    fn deleted_messages_are_recovered_onto_the_timeline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = build(dir.path());
        {
            let c = Connection::open(&path).expect("open");
            c.execute_batch(
                "PRAGMA secure_delete = OFF;
                 DELETE FROM message WHERE msgId IN (1, 11);",
            )
            .expect("delete");
        }
        let (sink, r) = parse_path(&path);
        r.expect("parse");
        let live: Vec<&Message> = sink.messages.iter().filter(|m| !m.recovered).collect();
        assert_eq!(live.len(), 20);
        let rec: Vec<&Message> = sink.messages.iter().filter(|m| m.recovered).collect();
        assert_eq!(rec.len(), 2, "{rec:#?}");
        let scam = rec
            .iter()
            .find(|m| m.body == "请把钱转到安全账户")
            .expect("deleted 1:1 message recovered");
        assert_eq!(scam.conversation, "wxid_scammer");
        assert_eq!(scam.sender.name.as_deref(), Some("骗子客服"));
        assert_eq!(scam.direction, Direction::Incoming);
        assert_eq!(scam.time.raw, "1672545600000");
        assert!(matches!(scam.provenance.location, Location::Page { .. }));
        assert!(scam.id.starts_with("recovered:"));
        assert_eq!(scam.extra["msgSvrId"], "7001");
        let group = rec
            .iter()
            .find(|m| m.body == "晚上开会")
            .expect("deleted group message recovered");
        assert_eq!(group.sender.account.as_deref(), Some("wxid_abc123"));
    }

    #[test]
    fn encrypted_database_is_refused_with_advice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("EnMicroMsg.db");
        // SQLCipher output is indistinguishable from random bytes: no header.
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let score = WechatAndroidDb.sniff(&input);
        assert!(score > 0 && score < 50, "{score}");
        let (_, r) = parse_path(&path);
        match r {
            Err(SourceError::Encrypted(msg)) => assert!(msg.contains("SQLCipher")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_databases_and_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("other.db");
        let c = Connection::open(&path).expect("create");
        c.execute_batch("CREATE TABLE message (id INTEGER, body TEXT);")
            .expect("schema");
        drop(c);
        let input = Input::open(&path).expect("open");
        assert_eq!(WechatAndroidDb.sniff(&input), 0);
        let (_, r) = parse_path(&path);
        assert!(matches!(r, Err(SourceError::Format { .. })), "{r:?}");
        // A truncated database: header present, body cut.
        let sub = dir.path().join("b");
        std::fs::create_dir(&sub).expect("mkdir");
        let db = build(&sub);
        let bytes = std::fs::read(&db).expect("read");
        let cut = dir.path().join("cut.db");
        std::fs::write(&cut, &bytes[..bytes.len() / 3]).expect("write");
        let (_, r) = parse_path(&cut);
        let _ = r; // Must not panic; an error or a partial parse are both acceptable.
        // Hostile values: text in integer columns, NULLs, huge type codes.
        let path = dir.path().join("hostile.db");
        let c = Connection::open(&path).expect("create");
        c.execute_batch(SCHEMA).expect("schema");
        c.execute_batch(
            "INSERT INTO message (msgId, type, isSend, createTime, talker, content) VALUES
               (1, 'x', 0, 1, 'a', 'b'),
               (2, 49, NULL, 'yesterday', NULL, NULL),
               (3, -1879048186, 0, 9223372036854775807, 'a@chatroom', 'a@chatroom:\n'),
               (4, 3, 0, 1, 'a', '<msg><img');",
        )
        .expect("rows");
        drop(c);
        let (sink, r) = parse_path(&path);
        r.expect("parse");
        assert_eq!(sink.unparsed.len(), 1);
        assert_eq!(sink.messages.len(), 3);
        let m2 = sink.messages.iter().find(|m| m.id == "2").expect("2");
        assert_eq!(m2.time.utc, None);
        assert_eq!(m2.time.raw, "yesterday");
        let m3 = sink.messages.iter().find(|m| m.id == "3").expect("3");
        assert_eq!(m3.time.utc, None);
    }
}
