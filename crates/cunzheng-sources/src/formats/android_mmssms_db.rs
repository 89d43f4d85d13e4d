//! Android `mmssms.db`: the telephony provider's SQLite database of SMS and MMS.
//!
//! Tables read: `sms` (one row per SMS), `pdu` (one row per MMS) with `part` (its text and
//! attachments) and `addr` (its from/to addresses), `threads` + `canonical_addresses` (the
//! conversations). Columns differ between Android versions and vendors; every column but
//! the rowid is optional here and read through [`Schema::col`].

use std::collections::{HashMap, HashSet};

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Party, Platform, Unparsed,
};
use serde_json::{Map, Value, json};

use super::common_sms::{self, OWN_ADDRESS_TOKEN};
use super::common_sqlite::{self, Cell, Schema};
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::Zone;

/// Most MMS parts or addresses read for one message; more are counted and reported.
const MAX_PARTS: usize = 1000;

/// Android `mmssms.db`.
pub struct AndroidMmssmsDb;

impl Source for AndroidMmssmsDb {
    fn id(&self) -> &'static str {
        "android-mmssms-db"
    }

    fn name(&self) -> &'static str {
        "Android SMS/MMS database (mmssms.db)"
    }

    fn description(&self) -> &'static str {
        "Android's telephony provider database (com.android.providers.telephony/databases/\
         mmssms.db). Reads SMS from table sms, MMS from pdu with their part rows (text, \
         attachment names and types; the attachment files themselves live outside the \
         database and are not read) and addr rows (from/to), and conversations from threads \
         and canonical_addresses. Times are Unix epochs (sms.date in milliseconds, pdu.date \
         in seconds; the unit is decided per value and recorded). Reads live rows only: \
         deleted rows in free pages and rows still in a -wal file are not read (the database \
         is opened read-only and immutable; a -wal file beside it is reported). The SMS \
         mapping was checked on a real emulator database; the MMS mapping follows AOSP \
         Telephony/PduHeaders and was exercised only on test-built databases."
    }

    fn globs(&self) -> &'static [&'static str] {
        &["mmssms.db", "*mmssms*.db"]
    }

    fn tier(&self) -> Tier {
        Tier::Observed
    }

    fn sniff(&self, input: &Input) -> u8 {
        let Some(schema) = Schema::sniff(input) else {
            return 0;
        };
        let sms = ["address", "body", "date", "type"]
            .iter()
            .all(|c| schema.has("sms", c));
        let pdu = ["msg_box", "date"].iter().all(|c| schema.has("pdu", c));
        if !sms && !pdu {
            return 0;
        }
        let mut score = 55;
        if schema.has_table("threads") {
            score += 20;
        }
        if schema.has_table("canonical_addresses") {
            score += 10;
        }
        if sms && pdu {
            score += 10;
        }
        score
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let conn = common_sqlite::open_input(input)?;
        let schema = Schema::read(&conn)?;
        if !schema.has_table("sms") && !schema.has_table("pdu") {
            return Err(SourceError::Format {
                location: "table sqlite_master".into(),
                message: "neither table sms nor table pdu: not an mmssms.db".into(),
            });
        }
        let (zone, warning) = Zone::from_options(opts);
        if let Some(w) = warning {
            sink.warning(w);
        }
        for w in common_sqlite::wal_warnings(input, &conn) {
            sink.warning(w);
        }
        let mut p = Parse {
            input,
            tag: self.parser_tag(),
            conn: &conn,
            schema: &schema,
            zone,
            emitted: HashSet::new(),
            canonical: HashMap::new(),
        };
        p.canonical_addresses(sink)?;
        p.threads(sink)?;
        if schema.has_table("sms") {
            p.sms(sink)?;
            p.recovered_sms(sink);
        } else {
            sink.warning("no table sms: no SMS read".into());
        }
        if schema.has_table("pdu") {
            p.mms(sink)?;
        } else {
            sink.warning("no table pdu: no MMS read".into());
        }
        Ok(())
    }
}

/// Columns of `sms` read, in the order [`Parse::sms_message`] takes them.
const SMS_COLS: [&str; 17] = [
    "thread_id",
    "address",
    "date",
    "date_sent",
    "type",
    "body",
    "read",
    "seen",
    "status",
    "subject",
    "service_center",
    "person",
    "protocol",
    "locked",
    "error_code",
    "sub_id",
    "creator",
];

struct Parse<'a> {
    input: &'a Input,
    tag: String,
    conn: &'a rusqlite::Connection,
    schema: &'a Schema,
    zone: Zone,
    /// Conversation ids already sent to the sink.
    emitted: HashSet<String>,
    /// `canonical_addresses._id` → address.
    canonical: HashMap<i64, String>,
}

impl Parse<'_> {
    fn row(&self, table: &str, rowid: i64) -> cunzheng_model::Provenance {
        self.input.provenance(
            &self.tag,
            Location::Row {
                table: table.into(),
                rowid,
            },
        )
    }

    fn bad_row(&self, sink: &mut dyn Sink, table: &str, rowid: Option<i64>, reason: String) {
        sink.unparsed(Unparsed {
            provenance: self.row(table, rowid.unwrap_or(0)),
            reason: match rowid {
                Some(_) => format!("row unreadable: {reason}"),
                None => reason,
            },
            excerpt: String::new(),
        });
    }

    fn canonical_addresses(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if !self.schema.has_table("canonical_addresses") {
            return Ok(());
        }
        let mut map = HashMap::new();
        let mut bad = Vec::new();
        let select = self.schema.col("canonical_addresses", "address");
        common_sqlite::each_row(
            self.conn,
            "canonical_addresses",
            &select,
            |id, r| {
                if let Some(a) = Cell::get(r, 1).text() {
                    map.insert(id, a);
                }
            },
            |id, e| bad.push((id, e)),
        )?;
        for (id, e) in bad {
            self.bad_row(sink, "canonical_addresses", id, e);
        }
        self.canonical = map;
        Ok(())
    }

    /// One conversation per `threads` row, emitted before any message.
    fn threads(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if !self.schema.has_table("threads") {
            sink.warning("no table threads: conversations are built from message rows".into());
            return Ok(());
        }
        let s = self.schema;
        let select = ["recipient_ids", "message_count", "type"]
            .map(|c| s.col("threads", c))
            .join(", ");
        let mut out = Vec::new();
        let mut bad = Vec::new();
        common_sqlite::each_row(
            self.conn,
            "threads",
            &select,
            |id, r| out.push((id, Cell::get(r, 1), Cell::get(r, 2), Cell::get(r, 3))),
            |id, e| bad.push((id, e)),
        )?;
        for (id, recipients, _count, _ty) in out {
            let ids: Vec<String> = recipients
                .text()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            let participants: Vec<Party> = ids
                .iter()
                .map(|rid| Party {
                    name: None,
                    account: Some(
                        rid.parse::<i64>()
                            .ok()
                            .and_then(|n| self.canonical.get(&n).cloned())
                            .unwrap_or_else(|| format!("canonical_addresses #{rid} (missing)")),
                    ),
                })
                .collect();
            let title = participants
                .iter()
                .filter_map(|p| p.account.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let conv = Conversation {
                platform: Platform::Sms,
                id: format!("thread:{id}"),
                title: (!title.is_empty()).then_some(title),
                kind: Some(
                    if participants.len() > 1 {
                        "group"
                    } else {
                        "private"
                    }
                    .into(),
                ),
                participants,
            };
            self.emitted.insert(conv.id.clone());
            sink.conversation(conv);
        }
        for (id, e) in bad {
            self.bad_row(sink, "threads", id, e);
        }
        Ok(())
    }

    /// The conversation of a message, emitting it first if no `threads` row named it.
    fn conversation_for(
        &mut self,
        sink: &mut dyn Sink,
        thread: Option<i64>,
        addresses: &[String],
    ) -> String {
        let id = match thread {
            Some(t) => format!("thread:{t}"),
            None if addresses.is_empty() => "unknown".to_owned(),
            None => format!("address:{}", addresses.join("~")),
        };
        if self.emitted.insert(id.clone()) {
            sink.conversation(Conversation {
                platform: Platform::Sms,
                id: id.clone(),
                title: (!addresses.is_empty()).then(|| addresses.join(", ")),
                kind: Some(
                    if addresses.len() > 1 {
                        "group"
                    } else {
                        "private"
                    }
                    .into(),
                ),
                participants: addresses
                    .iter()
                    .map(|a| Party {
                        name: None,
                        account: Some(a.clone()),
                    })
                    .collect(),
            });
        }
        id
    }

    fn sms(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let select = SMS_COLS.map(|c| self.schema.col("sms", c)).join(", ");
        let mut bad = Vec::new();
        let conn = self.conn;
        common_sqlite::each_row(
            conn,
            "sms",
            &select,
            |id, r| {
                let cells: Vec<Cell> = (1..=SMS_COLS.len()).map(|i| Cell::get(r, i)).collect();
                let m = self.sms_message(sink, id, &cells);
                sink.message(m);
            },
            |id, e| bad.push((id, e)),
        )?;
        for (id, e) in bad {
            self.bad_row(sink, "sms", id, e);
        }
        Ok(())
    }

    /// Deleted SMS recovered from the file's free space, flagged `recovered`.
    fn recovered_sms(&mut self, sink: &mut dyn Sink) {
        let mut cols = vec!["_id"];
        cols.extend(SMS_COLS);
        for (r, cells) in common_sqlite::recovered_rows(self.input, "sms", &cols, sink, &self.tag) {
            let rowid = match cells.first() {
                Some(Cell::Int(i)) => *i,
                _ => 0,
            };
            let mut m = self.sms_message(sink, rowid, cells.get(1..).unwrap_or(&[]));
            let names: Vec<&str> = cols.clone();
            common_sqlite::mark_recovered(&mut m, &r, self.input, &self.tag, &names);
            sink.message(m);
        }
    }

    fn sms_message(&mut self, sink: &mut dyn Sink, rowid: i64, c: &[Cell]) -> Message {
        let get = |i: usize| c.get(i).cloned().unwrap_or(Cell::Null);
        let (thread, address, date, date_sent, ty, body) =
            (get(0), get(1), get(2), get(3), get(4), get(5));
        let address_text = address.text();
        let conversation = self.conversation_for(sink, thread.int(), address_text.as_slice());
        let (direction, box_name) = common_sms::message_box(ty.int());
        let sender = match direction {
            Direction::Incoming => Party {
                name: None,
                account: address_text.clone(),
            },
            _ => Party::default(),
        };
        let mut extra = Map::new();
        extra.insert("type".into(), ty.json());
        extra.insert("box".into(), box_name.into());
        if let Some(a) = &address_text {
            extra.insert("address".into(), a.clone().into());
        }
        if date_sent.int().is_some_and(|v| v != 0) {
            let t = common_sms::android_time(&self.zone, &date_sent.raw(), date_sent.int());
            extra.insert("date_sent".into(), common_sms::time_json(&t));
        }
        for (i, name) in [
            (6, "read"),
            (7, "seen"),
            (8, "status"),
            (9, "subject"),
            (10, "service_center"),
            (11, "person"),
            (12, "protocol"),
            (13, "locked"),
            (14, "error_code"),
            (15, "sub_id"),
            (16, "creator"),
        ] {
            let v = get(i);
            if v != Cell::Null {
                extra.insert(name.into(), v.json());
            }
        }
        Message {
            id: format!("sms:{rowid}"),
            conversation,
            sender,
            direction,
            kind: MessageKind::Text,
            body: body.text().unwrap_or_default(),
            time: common_sms::android_time(&self.zone, &date.raw(), date.int()),
            attachments: Vec::new(),
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: self.row("sms", rowid),
            extra: Value::Object(extra),
        }
    }

    fn mms(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        const COLS: [&str; 14] = [
            "thread_id",
            "date",
            "date_sent",
            "msg_box",
            "m_type",
            "sub",
            "ct_t",
            "m_id",
            "read",
            "seen",
            "text_only",
            "m_size",
            "tr_id",
            "sub_id",
        ];
        let select = COLS.map(|c| self.schema.col("pdu", c)).join(", ");
        let mut bad = Vec::new();
        let conn = self.conn;
        common_sqlite::each_row(
            conn,
            "pdu",
            &select,
            |id, r| {
                let cells: Vec<Cell> = (1..=COLS.len()).map(|i| Cell::get(r, i)).collect();
                self.mms_message(sink, id, &cells);
            },
            |id, e| bad.push((id, e)),
        )?;
        for (id, e) in bad {
            self.bad_row(sink, "pdu", id, e);
        }
        Ok(())
    }

    /// Parts of MMS `mid`: (rowid, seq, ct, name, cl, fn, _data, text, chset).
    fn parts(&self, sink: &mut dyn Sink, mid: i64) -> (Vec<[Cell; 9]>, bool) {
        if !self.schema.has_table("part") || !self.schema.has("part", "mid") {
            return (Vec::new(), false);
        }
        let s = self.schema;
        let cols = ["seq", "ct", "name", "cl", "fn", "_data", "text", "chset"]
            .map(|c| s.col("part", c))
            .join(", ");
        let sql = format!(
            "SELECT part.rowid, {cols} FROM part WHERE part.mid = ?1 \
             ORDER BY {seq}, part.rowid LIMIT {lim}",
            seq = s.col("part", "seq"),
            lim = MAX_PARTS + 1
        );
        let mut out = Vec::new();
        let result = (|| -> rusqlite::Result<()> {
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query([mid])?;
            while let Some(r) = rows.next()? {
                out.push(std::array::from_fn(|i| Cell::get(r, i)));
            }
            Ok(())
        })();
        if let Err(e) = result {
            sink.unparsed(Unparsed {
                provenance: self.row("pdu", mid),
                reason: format!("parts of this MMS unreadable: {e}"),
                excerpt: String::new(),
            });
        }
        let more = out.len() > MAX_PARTS;
        out.truncate(MAX_PARTS);
        (out, more)
    }

    /// Addresses of MMS `mid`: (address, type, charset).
    fn addrs(&self, sink: &mut dyn Sink, mid: i64) -> Vec<[Cell; 3]> {
        if !self.schema.has("addr", "msg_id") {
            return Vec::new();
        }
        let s = self.schema;
        let sql = format!(
            "SELECT {}, {}, {} FROM addr WHERE addr.msg_id = ?1 ORDER BY addr.rowid LIMIT {}",
            s.col("addr", "address"),
            s.col("addr", "type"),
            s.col("addr", "charset"),
            MAX_PARTS
        );
        let mut out = Vec::new();
        let result = (|| -> rusqlite::Result<()> {
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query([mid])?;
            while let Some(r) = rows.next()? {
                out.push(std::array::from_fn(|i| Cell::get(r, i)));
            }
            Ok(())
        })();
        if let Err(e) = result {
            sink.unparsed(Unparsed {
                provenance: self.row("pdu", mid),
                reason: format!("addresses of this MMS unreadable: {e}"),
                excerpt: String::new(),
            });
        }
        out
    }

    fn mms_message(&mut self, sink: &mut dyn Sink, rowid: i64, c: &[Cell]) {
        let get = |i: usize| c.get(i).cloned().unwrap_or(Cell::Null);
        let (thread, date, date_sent, msg_box, m_type, sub) =
            (get(0), get(1), get(2), get(3), get(4), get(5));
        let (parts, more_parts) = self.parts(sink, rowid);
        let addrs = self.addrs(sink, rowid);

        let mut from = None;
        let mut others = Vec::new();
        let mut addr_json = Vec::new();
        for [a, ty, cs] in &addrs {
            let Some(addr) = a.text() else { continue };
            let kind = common_sms::addr_type(ty.int());
            addr_json.push(
                json!({"address": addr, "type": ty.json(), "role": kind, "charset": cs.json()}),
            );
            if kind == "from" && from.is_none() {
                from = Some(addr.clone());
            } else if addr != OWN_ADDRESS_TOKEN && !others.contains(&addr) {
                others.push(addr);
            }
        }
        let (direction, box_name) = common_sms::message_box(msg_box.int());
        let mut peers = others.clone();
        if direction == Direction::Incoming
            && let Some(f) = &from
            && !peers.contains(f)
        {
            peers.insert(0, f.clone());
        }
        let conversation = self.conversation_for(sink, thread.int(), &peers);

        let mut texts = Vec::new();
        let mut attachments = Vec::new();
        let mut kind = MessageKind::Text;
        let mut part_json = Vec::new();
        for [prow, seq, ct, name, cl, fname, data, text, chset] in &parts {
            let mime = ct.text().unwrap_or_default();
            part_json.push(json!({
                "part_rowid": prow.json(), "seq": seq.json(), "ct": ct.json(), "name": name.json(),
                "cl": cl.json(), "fn": fname.json(), "_data": data.json(), "chset": chset.json(),
            }));
            if common_sms::is_smil_part(&mime) {
                continue;
            }
            if common_sms::is_text_part(&mime) && data.some_text().is_none() {
                texts.push(text.text().unwrap_or_default());
                continue;
            }
            if kind == MessageKind::Text {
                kind = common_sms::kind_for_mime(&mime);
            }
            attachments.push(Attachment {
                name: cl
                    .some_text()
                    .or_else(|| name.some_text())
                    .or_else(|| fname.some_text()),
                mime: (!mime.is_empty()).then_some(mime),
                size: None,
                item_sha256: None,
                omitted: false,
            });
        }
        let type_name = common_sms::mms_type(m_type.int());
        if matches!(type_name, "delivery_ind" | "read_orig_ind") {
            kind = MessageKind::System;
        }
        let sender = match (&from, direction) {
            (Some(f), _) if f != OWN_ADDRESS_TOKEN => Party {
                name: None,
                account: Some(f.clone()),
            },
            _ => Party::default(),
        };

        let mut extra = Map::new();
        extra.insert("msg_box".into(), msg_box.json());
        extra.insert("box".into(), box_name.into());
        extra.insert("m_type".into(), m_type.json());
        extra.insert("m_type_name".into(), type_name.into());
        if type_name == "notification_ind" {
            extra.insert(
                "note".into(),
                "MMS notification only: the content was not downloaded to the device".into(),
            );
        }
        if let Some(s) = sub.some_text() {
            extra.insert("subject".into(), s.into());
        }
        if date_sent.int().is_some_and(|v| v != 0) {
            let t = common_sms::android_time(&self.zone, &date_sent.raw(), date_sent.int());
            extra.insert("date_sent".into(), common_sms::time_json(&t));
        }
        for (i, name) in [
            (6, "ct_t"),
            (7, "m_id"),
            (8, "read"),
            (9, "seen"),
            (10, "text_only"),
            (11, "m_size"),
            (12, "tr_id"),
            (13, "sub_id"),
        ] {
            let v = get(i);
            if v != Cell::Null {
                extra.insert(name.into(), v.json());
            }
        }
        extra.insert("addrs".into(), Value::Array(addr_json));
        extra.insert("parts".into(), Value::Array(part_json));
        if more_parts {
            extra.insert("parts_truncated".into(), true.into());
            sink.warning(format!(
                "pdu row {rowid}: more than {MAX_PARTS} parts; only the first {MAX_PARTS} were read"
            ));
        }
        sink.message(Message {
            id: format!("mms:{rowid}"),
            conversation,
            sender,
            direction,
            kind,
            body: texts.join("\n"),
            time: common_sms::android_time(&self.zone, &date.raw(), date.int()),
            attachments,
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: self.row("pdu", rowid),
            extra: Value::Object(extra),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use std::path::{Path, PathBuf};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/android-mmssms-db")
            .join(rel)
    }

    fn parse_path(path: &Path, zone: &str) -> Result<Collect, SourceError> {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let opts = Options {
            zone: Some(zone.into()),
            ..Options::default()
        };
        AndroidMmssmsDb.parse(&input, &opts, &mut sink)?;
        Ok(sink)
    }

    const PLASO: &str = "log2timeline__plaso/test_data/android/mmssms.db";

    #[test]
    fn plaso_emulator_database() {
        let path = fixture(PLASO);
        let input = Input::open(&path).expect("open");
        assert!(AndroidMmssmsDb.sniff(&input) >= 90);
        let c = parse_path(&path, "America/Los_Angeles").expect("parse");
        assert_eq!(c.conversations.len(), 1);
        let conv = &c.conversations[0];
        assert_eq!(conv.id, "thread:1");
        assert_eq!(conv.title.as_deref(), Some("1 555-521-5554"));
        assert_eq!(c.messages.len(), 9);
        assert!(c.unparsed.is_empty());
        let first = &c.messages[0];
        assert_eq!(first.id, "sms:1");
        assert_eq!(first.direction, Direction::Outgoing);
        assert_eq!(first.sender, Party::default());
        assert_eq!(first.body, "Yo Fred this is my new number.");
        assert_eq!(first.time.raw, "1383065788038");
        assert_eq!(first.time.unit, "unix_ms");
        assert_eq!(first.time.utc.as_deref(), Some("2013-10-29T16:56:28.038Z"));
        assert_eq!(first.time.offset.as_deref(), Some("-07:00"));
        assert_eq!(first.time.zone_basis, "source");
        assert_eq!(
            first.provenance.location,
            Location::Row {
                table: "sms".into(),
                rowid: 1
            }
        );
        // The peer writes its number without spaces when it sends.
        let third = &c.messages[2];
        assert_eq!(third.direction, Direction::Incoming);
        assert_eq!(third.sender.account.as_deref(), Some("15555215554"));
        assert_eq!(third.body, "What message?");
        assert_eq!(third.extra["date_sent"]["utc"], "2013-10-29T17:05:40Z");
        let last = &c.messages[8];
        assert_eq!(
            last.body,
            "Guess the emulator was not happy with a long message"
        );
        assert_eq!(last.time.utc.as_deref(), Some("2013-10-29T17:16:17.25Z"));
        assert!(c.messages.iter().all(|m| m.conversation == "thread:1"));
        let incoming = c
            .messages
            .iter()
            .filter(|m| m.direction == Direction::Incoming)
            .count();
        assert_eq!(incoming, 4);
    }

    /// A database built from AOSP's MmsSmsDatabaseHelper schema (no real MMS sample is in
    /// the corpus): a received picture MMS, a sent group MMS, a delivery report, and an SMS
    /// whose thread has no `threads` row; old-version columns (date_sent, seen) are absent.
    fn built_db(dir: &Path) -> PathBuf {
        let path = dir.join("mmssms.db");
        let c = rusqlite::Connection::open(&path).expect("create");
        c.execute_batch(
            "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT,
                date INTEGER, type INTEGER, body TEXT, read INTEGER);
             CREATE TABLE threads (_id INTEGER PRIMARY KEY, recipient_ids TEXT);
             CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY, address TEXT);
             CREATE TABLE pdu (_id INTEGER PRIMARY KEY, thread_id INTEGER, date INTEGER,
                msg_box INTEGER, m_type INTEGER, sub TEXT, ct_t TEXT);
             CREATE TABLE part (_id INTEGER PRIMARY KEY, mid INTEGER, seq INTEGER, ct TEXT,
                name TEXT, cl TEXT, _data TEXT, text TEXT);
             CREATE TABLE addr (_id INTEGER PRIMARY KEY, msg_id INTEGER, address TEXT,
                type INTEGER, charset INTEGER);
             INSERT INTO canonical_addresses VALUES (1, '+8613800000001'), (2, '+8613800000002');
             INSERT INTO threads VALUES (1, '1'), (2, '1 2');
             INSERT INTO sms VALUES (1, 1, '+8613800000001', 1700000000123, 1, '你好', 1);
             INSERT INTO sms VALUES (2, 9, '+8613800000009', 0, 3, 'draft', 1);
             INSERT INTO sms VALUES (3, 1, '+8613800000001', 'garbage', 'x', NULL, 1);
             INSERT INTO pdu VALUES (1, 1, 1700000100, 1, 132, NULL, 'application/vnd.wap.multipart.related');
             INSERT INTO part VALUES (1, 1, -1, 'application/smil', NULL, 'smil.xml', NULL, '<smil/>');
             INSERT INTO part VALUES (2, 1, 0, 'image/jpeg', 'IMG_1.jpg', 'IMG_1.jpg',
                '/data/user_de/0/com.android.providers.telephony/app_parts/PART_1', NULL);
             INSERT INTO part VALUES (3, 1, 1, 'text/plain', NULL, 'text_0.txt', NULL, '转账给你了');
             INSERT INTO addr VALUES (1, 1, '+8613800000001', 137, 106), (2, 1, '+8613800000000', 151, 106);
             INSERT INTO pdu VALUES (2, 2, 1700000200, 2, 128, 'hi all', NULL);
             INSERT INTO part VALUES (4, 2, 0, 'text/plain', NULL, 'text_0.txt', NULL, 'hello group');
             INSERT INTO addr VALUES (3, 2, 'insert-address-token', 137, 106),
                (4, 2, '+8613800000001', 151, 106), (5, 2, '+8613800000002', 151, 106);
             INSERT INTO pdu VALUES (3, 2, 1700000300, 1, 134, NULL, NULL);",
        )
        .expect("fill");
        path
    }

    #[test]
    fn built_database_with_mms_and_old_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = built_db(dir.path());
        let input = Input::open(&path).expect("open");
        assert!(AndroidMmssmsDb.sniff(&input) >= 80);
        let c = parse_path(&path, "Asia/Shanghai").expect("parse");
        let ids: Vec<_> = c.conversations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["thread:1", "thread:2", "thread:9"]);
        assert_eq!(c.conversations[1].kind.as_deref(), Some("group"));
        assert_eq!(c.messages.len(), 6);
        let sms1 = &c.messages[0];
        assert_eq!(sms1.body, "你好");
        assert_eq!(sms1.time.utc.as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(sms1.time.offset.as_deref(), Some("+08:00"));
        assert!(sms1.extra.get("date_sent").is_none());
        let draft = &c.messages[1];
        assert_eq!(draft.extra["box"], "draft");
        assert_eq!(draft.direction, Direction::Outgoing);
        assert_eq!(draft.time.utc, None, "date 0 means no time recorded");
        let garbage = &c.messages[2];
        assert_eq!(garbage.time.utc, None);
        assert_eq!(garbage.time.raw, "garbage");
        assert_eq!(garbage.direction, Direction::Unknown);
        let pic = &c.messages[3];
        assert_eq!(pic.id, "mms:1");
        assert_eq!(pic.kind, MessageKind::Image);
        assert_eq!(pic.body, "转账给你了");
        assert_eq!(pic.sender.account.as_deref(), Some("+8613800000001"));
        assert_eq!(pic.time.unit, "unix_s");
        assert_eq!(pic.time.utc.as_deref(), Some("2023-11-14T22:15:00Z"));
        assert_eq!(pic.attachments.len(), 1);
        assert_eq!(pic.attachments[0].name.as_deref(), Some("IMG_1.jpg"));
        assert_eq!(pic.attachments[0].mime.as_deref(), Some("image/jpeg"));
        let group = &c.messages[4];
        assert_eq!(group.direction, Direction::Outgoing);
        assert_eq!(group.sender, Party::default());
        assert_eq!(group.body, "hello group");
        assert_eq!(group.extra["subject"], "hi all");
        assert_eq!(group.conversation, "thread:2");
        let report = &c.messages[5];
        assert_eq!(report.kind, MessageKind::System);
        assert_eq!(report.extra["m_type_name"], "delivery_ind");
    }

    #[test]
    fn deleted_sms_is_recovered_onto_the_timeline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = built_db(dir.path());
        {
            let c = rusqlite::Connection::open(&path).expect("open");
            c.execute_batch(
                "PRAGMA secure_delete = OFF;
                 INSERT INTO sms VALUES (4, 1, '+8613800000001', 1700000500000, 1,
                    '您的账户涉嫌洗钱，请立即转账到安全账户', 1);
                 INSERT INTO sms VALUES (5, 1, '+8613800000001', 1700000600000, 1, '收到', 1);
                 DELETE FROM sms WHERE _id = 4;",
            )
            .expect("delete");
        }
        let c = parse_path(&path, "Asia/Shanghai").expect("parse");
        let rec: Vec<&Message> = c.messages.iter().filter(|m| m.recovered).collect();
        assert_eq!(rec.len(), 1, "{rec:#?}");
        let m = rec[0];
        assert_eq!(m.body, "您的账户涉嫌洗钱，请立即转账到安全账户");
        assert_eq!(m.conversation, "thread:1");
        assert_eq!(m.direction, Direction::Incoming);
        assert_eq!(m.sender.account.as_deref(), Some("+8613800000001"));
        assert_eq!(m.time.raw, "1700000500000");
        assert!(matches!(m.provenance.location, Location::Page { .. }));
        assert!(m.id.starts_with("recovered:"), "{}", m.id);
        assert_eq!(c.messages.iter().filter(|m| !m.recovered).count(), 7);
    }

    /// A phone image holds the database as it is on disk: rows written since the last
    /// checkpoint are only in `mmssms.db-wal`. The copies are taken while the connection is
    /// open (closing it would checkpoint the log into the file and remove it).
    #[test]
    fn rows_only_in_the_write_ahead_log_are_read_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = built_db(dir.path());
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA wal_autocheckpoint = 0;
             PRAGMA secure_delete = OFF;
             INSERT INTO sms VALUES (6, 1, '+8613800000001', 1700000700000, 1,
                '把验证码发给我，马上给你退款', 1);
             DELETE FROM sms WHERE _id = 1;",
        )
        .expect("write into the log");
        let phone = dir.path().join("phone");
        std::fs::create_dir(&phone).expect("mkdir");
        let db = phone.join("mmssms.db");
        std::fs::copy(&path, &db).expect("copy db");
        std::fs::copy(
            dir.path().join("mmssms.db-wal"),
            phone.join("mmssms.db-wal"),
        )
        .expect("copy wal");
        drop(c);

        // With the log beside it (found by Input::open).
        let with = parse_path(&db, "Asia/Shanghai").expect("parse");
        let live: Vec<&Message> = with.messages.iter().filter(|m| !m.recovered).collect();
        assert!(
            live.iter()
                .any(|m| m.body == "把验证码发给我，马上给你退款"),
            "{live:#?}"
        );
        assert!(!live.iter().any(|m| m.id == "sms:1"), "deleted in the log");
        // The row deleted in the log is still in the database file's page image.
        assert!(
            with.messages
                .iter()
                .any(|m| m.recovered && m.body == "你好"),
            "{:#?}",
            with.messages
        );
        assert!(
            with.warnings.iter().any(|w| w.contains("write-ahead log")),
            "{:?}",
            with.warnings
        );

        // The database file alone: the new row is missing, and the header says why.
        std::fs::remove_file(phone.join("mmssms.db-wal")).expect("rm wal");
        let alone = parse_path(&db, "Asia/Shanghai").expect("parse");
        assert!(!alone.messages.iter().any(|m| m.body.contains("验证码")));
        assert!(
            alone
                .messages
                .iter()
                .any(|m| m.id == "sms:1" && !m.recovered)
        );
        assert!(
            alone
                .warnings
                .iter()
                .any(|w| w.contains("no write-ahead log")),
            "{:?}",
            alone.warnings
        );
    }

    #[test]
    fn garbage_and_truncated_databases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"SQLite format 3\0 then garbage").expect("write");
        let input = Input::open(&junk).expect("open");
        assert_eq!(AndroidMmssmsDb.sniff(&input), 0);
        let mut sink = Collect::default();
        let err = AndroidMmssmsDb
            .parse(&input, &Options::default(), &mut sink)
            .expect_err("garbage");
        assert!(matches!(err, SourceError::Format { .. }), "{err}");

        // The real sample cut in half: whatever SQLite can still read, nothing panics.
        let bytes = std::fs::read(fixture(PLASO)).expect("read");
        for cut in [4096, 8192, bytes.len() / 2] {
            let p = dir.path().join(format!("cut{cut}.db"));
            std::fs::write(&p, &bytes[..cut]).expect("write");
            let input = Input::open(&p).expect("open");
            let _ = AndroidMmssmsDb.sniff(&input);
            let mut sink = Collect::default();
            let _ = AndroidMmssmsDb.parse(&input, &Options::default(), &mut sink);
        }
    }

    #[test]
    fn not_a_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.xml");
        std::fs::write(&p, "<smses count=\"0\"></smses>").expect("write");
        assert_eq!(AndroidMmssmsDb.sniff(&Input::open(&p).expect("open")), 0);
    }
}
