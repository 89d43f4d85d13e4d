//! iOS `sms.db` / macOS `chat.db`: the Messages app's SQLite database (iMessage, SMS, RCS).
//!
//! Tables read: `message`, `handle` (phone numbers and e-mail addresses), `chat` +
//! `chat_handle_join` (conversations and their members), `chat_message_join` (which chat a
//! message is in), `attachment` + `message_attachment_join`. Apple adds columns with almost
//! every OS release and test databases often lack whole tables, so every column but the
//! rowid and every table but `message` is optional here.

use std::collections::{HashMap, HashSet};

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, MsgTime, Party, Platform,
    Unparsed,
};
use serde_json::{Map, Value, json};

use super::common_sms;
use super::common_sqlite::{self, Cell, Schema};
use super::ios_summary_info;
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{self, Zone};

/// Most attachments read for one message.
const MAX_ATTACHMENTS: usize = 1000;

/// iOS `sms.db` / macOS `chat.db`.
pub struct IosSmsDb;

impl Source for IosSmsDb {
    fn id(&self) -> &'static str {
        "ios-sms-db"
    }

    fn name(&self) -> &'static str {
        "iOS / macOS Messages database (sms.db, chat.db)"
    }

    fn description(&self) -> &'static str {
        "The Messages database of iOS (HomeDomain/Library/SMS/sms.db, file 3d0d7e5fb2ce288813306e4d4636395e047a3d28 \
         in a backup) and macOS (~/Library/Messages/chat.db): iMessage, SMS and RCS. Reads \
         message (text; when text is NULL the NSString inside attributedBody), sender from \
         handle, conversations from chat/chat_handle_join/chat_message_join, attachments' \
         names, MIME types and sizes (not the files), replies (thread_originator_guid), \
         tapbacks (associated_message_type 2000-3007, kept as messages pointing at their \
         target), group events (item_type, as system messages with a derived description), \
         edits (date_edited, and every earlier version of each edited part with its time from \
         message_summary_info, iOS 16+) and unsent messages (date_retracted and the unsent \
         parts of message_summary_info, as recalled), messages in Recently Deleted \
         (chat_recoverable_message_join, marked in extra). Apple-epoch dates: seconds before \
         iOS 11 / macOS 10.13, nanoseconds after; decided per value (> 10^12 is nanoseconds) \
         and recorded. App payloads (payload_data) are not decoded. Reads live rows only: \
         deleted rows and a -wal file beside the database are not read (opened read-only and \
         immutable; a -wal file is reported)."
    }

    fn globs(&self) -> &'static [&'static str] {
        &[
            "sms.db",
            "chat.db",
            "3d0d7e5fb2ce288813306e4d4636395e047a3d28",
        ]
    }

    fn tier(&self) -> Tier {
        Tier::Observed
    }

    fn sniff(&self, input: &Input) -> u8 {
        let Some(schema) = Schema::sniff(input) else {
            return 0;
        };
        let core = ["guid", "text", "date", "is_from_me", "handle_id"]
            .iter()
            .all(|c| schema.has("message", c));
        if !core {
            return 0;
        }
        let mut score = 60;
        if schema.has_table("handle") {
            score += 15;
        }
        if schema.has_table("chat_message_join") {
            score += 10;
        }
        if schema.has_table("chat") {
            score += 10;
        }
        score
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let conn = common_sqlite::open_input(input)?;
        let schema = Schema::read(&conn)?;
        if !schema.has_table("message") {
            return Err(SourceError::Format {
                location: "table sqlite_master".into(),
                message: "no table message: not a Messages database".into(),
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
            handles: HashMap::new(),
            chats: HashMap::new(),
            chat_members: HashMap::new(),
            message_chat: HashMap::new(),
            recoverable: HashMap::new(),
            emitted: HashSet::new(),
            bad_handle_ids: 0,
            missing_handles: 0,
            undecoded_bodies: 0,
        };
        p.handles(sink)?;
        p.chat_members(sink)?;
        p.chats(sink)?;
        p.message_chats(sink)?;
        p.recoverable(sink)?;
        p.messages(sink)?;
        p.recovered_messages(sink);
        if !p.recoverable.is_empty() {
            sink.warning(format!(
                "{} messages are in \"Recently Deleted\" (chat_recoverable_message_join): the \
                 user deleted them; they are read and marked extra.recently_deleted",
                p.recoverable.len()
            ));
        }
        if p.bad_handle_ids > 0 {
            sink.warning(format!(
                "{} messages have a handle_id that is not a number (type-confused cell); \
                 their sender is unknown, the raw value is in extra.handle_id",
                p.bad_handle_ids
            ));
        }
        if p.missing_handles > 0 {
            sink.warning(format!(
                "{} messages name a handle_id with no row in table handle; their sender's \
                 address is unknown",
                p.missing_handles
            ));
        }
        if p.undecoded_bodies > 0 {
            sink.warning(format!(
                "{} messages have text NULL and an attributedBody that could not be decoded; \
                 each is also an Unparsed record",
                p.undecoded_bodies
            ));
        }
        Ok(())
    }
}

/// A `handle` row.
#[derive(Debug, Clone)]
struct Handle {
    id: String,
}

struct Parse<'a> {
    input: &'a Input,
    tag: String,
    conn: &'a rusqlite::Connection,
    schema: &'a Schema,
    zone: Zone,
    handles: HashMap<i64, Handle>,
    /// chat ROWID → conversation id.
    chats: HashMap<i64, String>,
    /// chat ROWID → handle ROWIDs.
    chat_members: HashMap<i64, Vec<i64>>,
    /// message ROWID → (first chat ROWID, number of chats).
    message_chat: HashMap<i64, (i64, u32)>,
    /// message ROWID → (chat ROWID, delete_date) for messages in "Recently Deleted".
    recoverable: HashMap<i64, (i64, Cell)>,
    emitted: HashSet<String>,
    bad_handle_ids: u64,
    missing_handles: u64,
    undecoded_bodies: u64,
}

/// The platform a `service` / `service_name` value names.
fn platform(service: Option<&str>) -> Platform {
    match service.map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("iMessage") => Platform::IMessage,
        Some(s) if s.eq_ignore_ascii_case("SMS") || s.eq_ignore_ascii_case("MMS") => Platform::Sms,
        Some(s) if !s.is_empty() => Platform::Other(s.to_owned()),
        _ => Platform::IMessage,
    }
}

/// An Apple-epoch time: seconds before iOS 11 / macOS 10.13, nanoseconds after. No value
/// of one unit is plausible in the other (10^12 s is 33 000 years; 10^12 ns is 17 minutes
/// after 2001-01-01), so the unit is decided per value. 0 and NULL mean "not recorded".
fn apple_time(zone: &Zone, cell: &Cell) -> MsgTime {
    let raw = cell.raw();
    match cell.int() {
        Some(0) | None => time::unresolved(&raw, "apple_ns"),
        Some(v) if v.unsigned_abs() > 1_000_000_000_000 => zone.epoch(&raw, "apple_ns", v),
        Some(v) => zone.epoch(&raw, "apple_s", v),
    }
}

/// The guid a tapback's `associated_message_guid` points at: `p:0/GUID` (part 0 of a
/// message), `bp:GUID` (a balloon), or the bare guid.
fn target_guid(associated: &str) -> &str {
    if let Some(rest) = associated.strip_prefix("bp:") {
        rest
    } else if associated.starts_with("p:") {
        associated.split_once('/').map_or(associated, |(_, g)| g)
    } else {
        associated
    }
}

/// A tapback code: whether it adds or removes a reaction, and which.
fn tapback(code: i64) -> Option<(&'static str, &'static str)> {
    let action = match code {
        2000..=2007 => "added",
        3000..=3007 => "removed",
        _ => return None,
    };
    let reaction = match code % 1000 {
        0 => "loved",
        1 => "liked",
        2 => "disliked",
        3 => "laughed",
        4 => "emphasized",
        5 => "questioned",
        6 => "emoji",
        _ => "sticker",
    };
    Some((action, reaction))
}

/// Message columns read (all optional).
const COLS: [&str; 37] = [
    "guid",
    "text",
    "attributedBody",
    "handle_id",
    "service",
    "date",
    "date_read",
    "date_delivered",
    "is_from_me",
    "cache_has_attachments",
    "associated_message_type",
    "associated_message_guid",
    "associated_message_emoji",
    "item_type",
    "group_action_type",
    "group_title",
    "other_handle",
    "thread_originator_guid",
    "thread_originator_part",
    "date_edited",
    "date_retracted",
    "is_audio_message",
    "balloon_bundle_id",
    "expressive_send_style_id",
    "destination_caller_id",
    "account",
    "subject",
    "is_read",
    "is_delivered",
    "is_sent",
    "error",
    "is_system_message",
    "is_service_message",
    "share_status",
    "reply_to_guid",
    "was_downgraded",
    "message_summary_info",
];

/// A sink that holds back messages (to mark them recovered) and passes the rest on.
struct Held<'s> {
    inner: &'s mut dyn Sink,
    messages: Vec<Message>,
}

impl Sink for Held<'_> {
    fn conversation(&mut self, c: Conversation) {
        self.inner.conversation(c);
    }
    fn message(&mut self, m: Message) {
        self.messages.push(m);
    }
    fn unparsed(&mut self, u: Unparsed) {
        self.inner.unparsed(u);
    }
    fn warning(&mut self, w: String) {
        self.inner.warning(w);
    }
}

/// One `message` row, by column name.
struct Row<'r>(&'r [Cell]);

impl Row<'_> {
    fn get(&self, name: &str) -> &Cell {
        COLS.iter()
            .position(|c| *c == name)
            .and_then(|i| self.0.get(i))
            .unwrap_or(&Cell::Null)
    }
    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).int()
    }
    fn text(&self, name: &str) -> Option<String> {
        self.get(name).some_text()
    }
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

    fn bad_rows(&self, sink: &mut dyn Sink, table: &str, bad: Vec<(Option<i64>, String)>) {
        for (rowid, reason) in bad {
            sink.unparsed(Unparsed {
                provenance: self.row(table, rowid.unwrap_or(0)),
                reason: match rowid {
                    Some(_) => format!("row unreadable: {reason}"),
                    None => reason,
                },
                excerpt: String::new(),
            });
        }
    }

    fn handles(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if !self.schema.has_table("handle") {
            sink.warning("no table handle: senders are known only by handle number".into());
            return Ok(());
        }
        let select = self.schema.col("handle", "id");
        let mut map = HashMap::new();
        let mut bad = Vec::new();
        common_sqlite::each_row(
            self.conn,
            "handle",
            &select,
            |rowid, r| {
                map.insert(
                    rowid,
                    Handle {
                        id: Cell::get(r, 1).text().unwrap_or_default(),
                    },
                );
            },
            |id, e| bad.push((id, e)),
        )?;
        self.handles = map;
        self.bad_rows(sink, "handle", bad);
        Ok(())
    }

    fn chat_members(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let s = self.schema;
        if !(s.has("chat_handle_join", "chat_id") && s.has("chat_handle_join", "handle_id")) {
            return Ok(());
        }
        let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut bad = Vec::new();
        common_sqlite::each_row(
            self.conn,
            "chat_handle_join",
            "chat_id, handle_id",
            |_, r| {
                if let (Some(c), Some(h)) = (Cell::get(r, 1).int(), Cell::get(r, 2).int()) {
                    let v = map.entry(c).or_default();
                    if !v.contains(&h) {
                        v.push(h);
                    }
                }
            },
            |id, e| bad.push((id, e)),
        )?;
        self.chat_members = map;
        self.bad_rows(sink, "chat_handle_join", bad);
        Ok(())
    }

    fn party(&self, handle: i64) -> Party {
        Party {
            name: None,
            account: Some(
                self.handles
                    .get(&handle)
                    .map_or_else(|| format!("handle #{handle}"), |h| h.id.clone()),
            ),
        }
    }

    /// One conversation per `chat` row, before any message.
    fn chats(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if !self.schema.has_table("chat") {
            return Ok(());
        }
        let s = self.schema;
        let select = [
            "guid",
            "chat_identifier",
            "display_name",
            "service_name",
            "style",
            "room_name",
        ]
        .map(|c| s.col("chat", c))
        .join(", ");
        let mut rows = Vec::new();
        let mut bad = Vec::new();
        common_sqlite::each_row(
            self.conn,
            "chat",
            &select,
            |rowid, r| {
                let cells: [Cell; 6] = std::array::from_fn(|i| Cell::get(r, i + 1));
                rows.push((rowid, cells));
            },
            |id, e| bad.push((id, e)),
        )?;
        for (rowid, [guid, ident, display, service, style, room]) in rows {
            let id = guid.some_text().unwrap_or_else(|| format!("chat:{rowid}"));
            let participants: Vec<Party> = self
                .chat_members
                .get(&rowid)
                .map(|hs| hs.iter().map(|h| self.party(*h)).collect())
                .unwrap_or_default();
            // style 43 is a group chat, 45 a one-to-one chat.
            let kind = match style.int() {
                Some(43) => Some("group"),
                Some(45) => Some("private"),
                _ if room.some_text().is_some() => Some("group"),
                _ => None,
            };
            let conv = Conversation {
                platform: platform(service.some_text().as_deref()),
                id: id.clone(),
                title: display.some_text().or_else(|| ident.some_text()),
                kind: kind.map(str::to_owned),
                participants,
            };
            self.chats.insert(rowid, id.clone());
            if self.emitted.insert(id) {
                sink.conversation(conv);
            }
        }
        self.bad_rows(sink, "chat", bad);
        Ok(())
    }

    fn message_chats(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let s = self.schema;
        if !(s.has("chat_message_join", "chat_id") && s.has("chat_message_join", "message_id")) {
            return Ok(());
        }
        let mut map: HashMap<i64, (i64, u32)> = HashMap::new();
        let mut bad = Vec::new();
        common_sqlite::each_row(
            self.conn,
            "chat_message_join",
            "chat_id, message_id",
            |_, r| {
                if let (Some(c), Some(m)) = (Cell::get(r, 1).int(), Cell::get(r, 2).int()) {
                    let e = map.entry(m).or_insert((c, 0));
                    e.0 = e.0.min(c);
                    e.1 += 1;
                }
            },
            |id, e| bad.push((id, e)),
        )?;
        self.message_chat = map;
        self.bad_rows(sink, "chat_message_join", bad);
        Ok(())
    }

    /// Messages the user deleted that iOS 16+ / macOS 13+ keep for 30 days: they leave
    /// chat_message_join and are listed here with their chat and deletion time.
    fn recoverable(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let s = self.schema;
        let t = "chat_recoverable_message_join";
        if !(s.has(t, "chat_id") && s.has(t, "message_id")) {
            return Ok(());
        }
        let select = format!("chat_id, message_id, {}", s.col(t, "delete_date"));
        let mut map = HashMap::new();
        let mut bad = Vec::new();
        common_sqlite::each_row(
            self.conn,
            t,
            &select,
            |_, r| {
                if let (Some(c), Some(m)) = (Cell::get(r, 1).int(), Cell::get(r, 2).int()) {
                    map.entry(m).or_insert((c, Cell::get(r, 3)));
                }
            },
            |id, e| bad.push((id, e)),
        )?;
        self.recoverable = map;
        self.bad_rows(sink, t, bad);
        Ok(())
    }

    /// The conversation of a message: its chat, else its handle; emitted on first use.
    fn conversation_for(&mut self, sink: &mut dyn Sink, rowid: i64, row: &Row<'_>) -> String {
        let handle = row.int("handle_id").filter(|h| *h != 0);
        let chat = self
            .message_chat
            .get(&rowid)
            .map(|(c, _)| *c)
            .or_else(|| self.recoverable.get(&rowid).map(|(c, _)| *c));
        let (id, participants, title) = match chat {
            Some(chat) => match self.chats.get(&chat) {
                Some(id) => return id.clone(),
                // chat_message_join names a chat the chat table does not have (or there is
                // no chat table): its members may still be in chat_handle_join.
                None => {
                    let members = self.chat_members.get(&chat).cloned().unwrap_or_default();
                    let parts: Vec<Party> = members.iter().map(|h| self.party(*h)).collect();
                    (format!("chat:{chat}"), parts, None)
                }
            },
            None => match handle {
                Some(h) => {
                    let party = self.party(h);
                    let account = party.account.clone().unwrap_or_default();
                    (format!("handle:{account}"), vec![party], Some(account))
                }
                None => ("unknown".to_owned(), Vec::new(), None),
            },
        };
        if self.emitted.insert(id.clone()) {
            let kind = match participants.len() {
                0 => None,
                1 => Some("private".to_owned()),
                _ => Some("group".to_owned()),
            };
            sink.conversation(Conversation {
                platform: platform(row.text("service").as_deref()),
                id: id.clone(),
                title,
                kind,
                participants,
            });
        }
        id
    }

    fn messages(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let s = self.schema;
        let select = COLS.map(|c| s.col("message", c)).join(", ");
        let mut bad = Vec::new();
        let conn = self.conn;
        common_sqlite::each_row(
            conn,
            "message",
            &select,
            |rowid, r| {
                let cells: Vec<Cell> = (1..=COLS.len()).map(|i| Cell::get(r, i)).collect();
                self.message(sink, rowid, &Row(&cells));
            },
            |id, e| bad.push((id, e)),
        )?;
        self.bad_rows(sink, "message", bad);
        Ok(())
    }

    /// Deleted `message` rows recovered from the file's free space, built like live ones and
    /// flagged `recovered`.
    fn recovered_messages(&mut self, sink: &mut dyn Sink) {
        let mut cols = vec!["ROWID"];
        cols.extend(COLS);
        for (r, cells) in
            common_sqlite::recovered_rows(self.input, "message", &cols, sink, &self.tag)
        {
            let rowid = match cells.first() {
                Some(Cell::Int(i)) => *i,
                _ => 0,
            };
            let mut built = Held {
                inner: &mut *sink,
                messages: Vec::new(),
            };
            self.message(&mut built, rowid, &Row(cells.get(1..).unwrap_or(&[])));
            for mut m in built.messages {
                common_sqlite::mark_recovered(&mut m, &r, self.input, &self.tag, &cols);
                sink.message(m);
            }
        }
    }

    /// Attachments of message `rowid`, and their rows for `extra`.
    fn attachments(&self, sink: &mut dyn Sink, rowid: i64) -> (Vec<Attachment>, Vec<Value>) {
        let s = self.schema;
        if !(s.has("message_attachment_join", "message_id")
            && s.has("message_attachment_join", "attachment_id")
            && s.has_table("attachment"))
        {
            return (Vec::new(), Vec::new());
        }
        let cols = [
            "guid",
            "filename",
            "mime_type",
            "uti",
            "transfer_name",
            "total_bytes",
            "is_sticker",
            "hide_attachment",
        ]
        .map(|c| s.col("attachment", c))
        .join(", ");
        let sql = format!(
            "SELECT attachment.rowid, {cols} FROM message_attachment_join j \
             JOIN attachment ON attachment.rowid = j.attachment_id \
             WHERE j.message_id = ?1 ORDER BY j.rowid LIMIT {MAX_ATTACHMENTS}"
        );
        let mut atts = Vec::new();
        let mut rows_json = Vec::new();
        let result = (|| -> rusqlite::Result<()> {
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query([rowid])?;
            while let Some(r) = rows.next()? {
                let [
                    arow,
                    guid,
                    filename,
                    mime,
                    uti,
                    transfer,
                    total,
                    sticker,
                    hide,
                ]: [Cell; 9] = std::array::from_fn(|i| Cell::get(r, i));
                atts.push(Attachment {
                    name: transfer.some_text().or_else(|| filename.some_text()),
                    mime: mime.some_text(),
                    size: total.int().and_then(|n| u64::try_from(n).ok()),
                    item_sha256: None,
                    omitted: false,
                });
                rows_json.push(json!({
                    "rowid": arow.json(), "guid": guid.json(), "filename": filename.json(),
                    "mime_type": mime.json(), "uti": uti.json(), "transfer_name": transfer.json(),
                    "total_bytes": total.json(), "is_sticker": sticker.json(),
                    "hide_attachment": hide.json(),
                }));
            }
            Ok(())
        })();
        if let Err(e) = result {
            sink.unparsed(Unparsed {
                provenance: self.row("message", rowid),
                reason: format!("attachments of this message unreadable: {e}"),
                excerpt: String::new(),
            });
        }
        (atts, rows_json)
    }

    /// The text of a row: `text`, else the string inside `attributedBody`.
    fn body(
        &mut self,
        sink: &mut dyn Sink,
        rowid: i64,
        row: &Row<'_>,
        extra: &mut Map<String, Value>,
    ) -> String {
        let blob = match row.get("attributedBody") {
            Cell::Blob(b) => Some(b.as_slice()),
            _ => None,
        };
        let decoded = blob.map(typedstream::string);
        if let Some(text) = row.get("text").text() {
            extra.insert("body_source".into(), "text".into());
            // Differences between the two are worth a look (edits rewrite both).
            if let Some(Ok(d)) = &decoded
                && d.text != text
            {
                extra.insert("attributed_body_text".into(), d.text.clone().into());
            }
            return text;
        }
        match decoded {
            None => String::new(),
            Some(Ok(d)) => {
                extra.insert("body_source".into(), "attributedBody".into());
                if d.lossy {
                    extra.insert(
                        "body_note".into(),
                        "attributedBody string was not valid UTF-8; decoded lossily".into(),
                    );
                }
                d.text
            }
            Some(Err(e)) => {
                self.undecoded_bodies += 1;
                extra.insert("body_error".into(), e.to_string().into());
                let excerpt = blob
                    .map(|b| String::from_utf8_lossy(&b[..b.len().min(256)]).into_owned())
                    .unwrap_or_default();
                sink.unparsed(Unparsed {
                    provenance: self.row("message", rowid),
                    reason: format!("attributedBody not decoded: {e}"),
                    excerpt,
                });
                String::new()
            }
        }
    }

    fn message(&mut self, sink: &mut dyn Sink, rowid: i64, row: &Row<'_>) {
        let conversation = self.conversation_for(sink, rowid, row);
        let mut extra = Map::new();
        let body = self.body(sink, rowid, row, &mut extra);

        let direction = match row.int("is_from_me") {
            Some(1) => Direction::Outgoing,
            Some(_) => Direction::Incoming,
            None => Direction::Unknown,
        };
        let handle_cell = row.get("handle_id");
        let handle = handle_cell.int();
        if handle.is_none() && *handle_cell != Cell::Null {
            self.bad_handle_ids += 1;
        }
        if *handle_cell != Cell::Null {
            extra.insert("handle_id".into(), handle_cell.json());
        }
        if let Some(h) = handle.filter(|h| *h != 0)
            && !self.handles.contains_key(&h)
            && !self.handles.is_empty()
        {
            self.missing_handles += 1;
        }
        let sender = match direction {
            Direction::Outgoing => Party {
                name: None,
                account: row.text("destination_caller_id"),
            },
            _ => match handle.filter(|h| *h != 0) {
                Some(h) => self.party(h),
                None => Party::default(),
            },
        };

        let (attachments, att_rows) = self.attachments(sink, rowid);
        let mut kind = match attachments.first() {
            _ if row.int("is_audio_message") == Some(1) => MessageKind::Voice,
            Some(a) => common_sms::kind_for_mime(a.mime.as_deref().unwrap_or_default()),
            None => MessageKind::Text,
        };
        let mut reply_to = row.text("thread_originator_guid");

        if let Some(code) = row.int("associated_message_type").filter(|c| *c != 0) {
            extra.insert("associated_message_type".into(), code.into());
            if let Some(g) = row.text("associated_message_guid") {
                extra.insert("associated_message_guid".into(), g.clone().into());
                if let Some((action, reaction)) = tapback(code) {
                    let target = target_guid(&g).to_owned();
                    extra.insert(
                        "tapback".into(),
                        json!({"action": action, "reaction": reaction, "target": target,
                               "emoji": row.get("associated_message_emoji").json()}),
                    );
                    reply_to.get_or_insert(target);
                    kind = MessageKind::Text;
                }
            }
        }

        let mut body = body;
        let item_type = row.int("item_type").unwrap_or(0);
        if item_type != 0 {
            kind = MessageKind::System;
            let action = row.int("group_action_type").unwrap_or(0);
            let other = row.int("other_handle").filter(|h| *h != 0);
            let other_name = other
                .map(|h| self.party(h).account.unwrap_or_default())
                .unwrap_or_else(|| "someone".into());
            let (event, text) = match (item_type, action) {
                (1, 0) => (
                    "participant_added",
                    format!("added {other_name} to the conversation"),
                ),
                (1, 1) => (
                    "participant_removed",
                    format!("removed {other_name} from the conversation"),
                ),
                (2, _) => (
                    "renamed",
                    format!(
                        "named the conversation “{}”",
                        row.text("group_title").unwrap_or_default()
                    ),
                ),
                (3, 0) => ("participant_left", "left the conversation".to_owned()),
                (3, 1) => ("photo_changed", "changed the group photo".to_owned()),
                (3, 2) => ("photo_removed", "removed the group photo".to_owned()),
                (4, _) => ("location_sharing", "location sharing event".to_owned()),
                (5, _) => ("audio_kept", "kept an audio message".to_owned()),
                (6, _) => ("facetime", "FaceTime / SharePlay event".to_owned()),
                _ => (
                    "unknown",
                    format!("conversation event item_type={item_type} group_action_type={action}"),
                ),
            };
            extra.insert("item_type".into(), item_type.into());
            extra.insert("group_action_type".into(), action.into());
            extra.insert("event".into(), event.into());
            if let Some(o) = other {
                extra.insert("other_handle".into(), o.into());
            }
            if let Some(t) = row.text("group_title") {
                extra.insert("group_title".into(), t.into());
            }
            if body.is_empty() {
                body = text;
                extra.insert(
                    "body_source".into(),
                    "derived from item_type/group_action_type".into(),
                );
            }
        }

        let retracted = apple_time(&self.zone, row.get("date_retracted"));
        if retracted.utc.is_some() {
            kind = MessageKind::Recalled;
            extra.insert("date_retracted".into(), common_sms::time_json(&retracted));
        }
        let edited =
            Some(apple_time(&self.zone, row.get("date_edited"))).filter(|t| t.utc.is_some());
        if let Cell::Blob(blob) = row.get("message_summary_info") {
            match ios_summary_info::read(blob, &self.zone) {
                Ok(info) if info.is_notable() => {
                    // Edited messages keep text NULL on some versions: the last version is
                    // the text as it stands.
                    if body.is_empty()
                        && let Some(now) = info.current_text()
                    {
                        body = now.to_owned();
                        extra.insert("body_source".into(), "message_summary_info".into());
                    }
                    if !info.unsent.is_empty() && body.is_empty() {
                        kind = MessageKind::Recalled;
                    }
                    if !info.versions.is_empty() {
                        extra.insert("edit_history".into(), info.versions_json());
                    }
                    if !info.unsent.is_empty() {
                        extra.insert("unsent_parts".into(), json!(info.unsent));
                    }
                    if !info.edited.is_empty() {
                        extra.insert("edited_parts".into(), json!(info.edited));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    extra.insert("message_summary_info_error".into(), e.clone().into());
                    sink.unparsed(Unparsed {
                        provenance: self.row("message", rowid),
                        reason: format!("message_summary_info (edit history) not decoded: {e}"),
                        excerpt: hex::encode(&blob[..blob.len().min(64)]),
                    });
                }
            }
        }

        for name in ["date_read", "date_delivered"] {
            let t = apple_time(&self.zone, row.get(name));
            if t.utc.is_some() {
                extra.insert(name.into(), common_sms::time_json(&t));
            }
        }
        for name in [
            "service",
            "account",
            "subject",
            "is_read",
            "is_delivered",
            "is_sent",
            "error",
            "cache_has_attachments",
            "is_system_message",
            "is_service_message",
            "balloon_bundle_id",
            "expressive_send_style_id",
            "thread_originator_part",
            "share_status",
            "reply_to_guid",
            "was_downgraded",
            "destination_caller_id",
        ] {
            let v = row.get(name);
            if *v != Cell::Null {
                extra.insert(name.into(), v.json());
            }
        }
        if let Some((_, deleted)) = self.recoverable.get(&rowid) {
            let t = apple_time(&self.zone, deleted);
            extra.insert(
                "recently_deleted".into(),
                json!({"delete_date": common_sms::time_json(&t)}),
            );
        }
        if let Some((_, n)) = self.message_chat.get(&rowid).filter(|(_, n)| *n > 1) {
            extra.insert("chat_count".into(), (*n).into());
        }
        if !att_rows.is_empty() {
            extra.insert("attachments".into(), Value::Array(att_rows));
        }

        sink.message(Message {
            id: row
                .text("guid")
                .unwrap_or_else(|| format!("message:{rowid}")),
            conversation,
            sender,
            direction,
            kind,
            body,
            time: apple_time(&self.zone, row.get("date")),
            attachments,
            reply_to,
            edited,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: self.row("message", rowid),
            extra: Value::Object(extra),
        });
    }
}

/// The message text inside `attributedBody`, an `NSAttributedString` in Apple's
/// NSArchiver "typedstream" format.
///
/// Hand-written rather than a dependency: the one Rust decoder (imessage-database) is GPL,
/// and a full typedstream reader is not needed here. The text is the first `NSString`
/// object's contents, written after the class name as `0x84 0x01 '+'` (a one-character type
/// string: `+` is a C string) followed by a length (one byte below 0x80, or 0x81 and a u16,
/// or 0x82 and a u32, little-endian) and that many UTF-8 bytes. Every read is
/// bounds-checked and the length is checked against the blob before any allocation.
pub(super) mod typedstream {
    /// Decoded text, and whether invalid UTF-8 had to be replaced.
    #[derive(Debug, PartialEq, Eq)]
    pub(in crate::formats) struct Decoded {
        pub(in crate::formats) text: String,
        pub(in crate::formats) lossy: bool,
    }

    /// Why a blob could not be decoded.
    #[derive(Debug, PartialEq, Eq)]
    pub(in crate::formats) enum Error {
        /// No `NSString` class name in the blob.
        NoString,
        /// The class name is not followed by `0x84 0x01 '+'`.
        NoStringValue(usize),
        /// A length tag other than a small value, 0x81 or 0x82, at this offset.
        BadLength(usize, u8),
        /// The length runs past the end of the blob.
        Overrun {
            at: usize,
            len: u64,
            available: usize,
        },
    }

    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Self::NoString => write!(f, "no NSString in the typedstream"),
                Self::NoStringValue(at) => {
                    write!(f, "NSString at byte {at} is not followed by a string value")
                }
                Self::BadLength(at, b) => write!(f, "unknown length tag 0x{b:02x} at byte {at}"),
                Self::Overrun { at, len, available } => write!(
                    f,
                    "string length {len} at byte {at} runs past the blob ({available} bytes left)"
                ),
            }
        }
    }

    const CLASS: &[u8] = b"NSString";
    /// How far after the class name the value marker may start (version and class-end
    /// bytes come between).
    const WINDOW: usize = 16;

    pub(in crate::formats) fn string(blob: &[u8]) -> Result<Decoded, Error> {
        let class = blob
            .windows(CLASS.len())
            .position(|w| w == CLASS)
            .ok_or(Error::NoString)?;
        let after = class + CLASS.len();
        let window = blob.get(after..).unwrap_or_default();
        let window = window.get(..WINDOW).unwrap_or(window);
        let marker = window
            .windows(3)
            .position(|w| w == [0x84, 0x01, b'+'])
            .ok_or(Error::NoStringValue(class))?;
        let mut at = after + marker + 3;
        let tag = *blob.get(at).ok_or(Error::Overrun {
            at,
            len: 1,
            available: 0,
        })?;
        let len: u64 = match tag {
            0x00..=0x7f => {
                at += 1;
                u64::from(tag)
            }
            0x81 | 0x82 => {
                let n = if tag == 0x81 { 2 } else { 4 };
                let bytes = blob.get(at + 1..at + 1 + n).ok_or(Error::Overrun {
                    at,
                    len: n as u64,
                    available: blob.len().saturating_sub(at + 1),
                })?;
                at += 1 + n;
                bytes
                    .iter()
                    .rev()
                    .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
            }
            other => return Err(Error::BadLength(at, other)),
        };
        let available = blob.len().saturating_sub(at);
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(l))
            .filter(|e| *e <= blob.len())
            .ok_or(Error::Overrun { at, len, available })?;
        let bytes = blob.get(at..end).unwrap_or_default();
        Ok(match std::str::from_utf8(bytes) {
            Ok(s) => Decoded {
                text: s.to_owned(),
                lossy: false,
            },
            Err(_) => Decoded {
                text: String::from_utf8_lossy(bytes).into_owned(),
                lossy: true,
            },
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn blob(len: &[u8], text: &[u8]) -> Vec<u8> {
            let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x08NSString\x01\x94\x84\x01+"
                .to_vec();
            b.extend_from_slice(len);
            b.extend_from_slice(text);
            b.extend_from_slice(b"\x86\x84\x02iI");
            b
        }

        #[test]
        fn lengths() {
            assert_eq!(
                string(&blob(b"\x03", b"Yeh")).map(|d| d.text),
                Ok("Yeh".into())
            );
            let long = vec![b'a'; 0xc9];
            assert_eq!(
                string(&blob(b"\x81\xc9\x00", &long)).map(|d| d.text.len()),
                Ok(0xc9)
            );
            assert_eq!(
                string(&blob(b"\x82\x02\x00\x00\x00", b"ok")).map(|d| d.text),
                Ok("ok".into())
            );
            assert_eq!(
                string(&blob(b"\x00", b"")).map(|d| d.text),
                Ok(String::new())
            );
        }

        #[test]
        fn hostile_blobs() {
            assert_eq!(string(b""), Err(Error::NoString));
            assert_eq!(string(b"NSString"), Err(Error::NoStringValue(0)));
            assert!(matches!(
                string(b"NSString\x01\x94\x84\x01+"),
                Err(Error::Overrun { .. })
            ));
            assert!(matches!(
                string(b"NSString\x01\x94\x84\x01+\x82\xff\xff\xff\xffabc"),
                Err(Error::Overrun {
                    len: 0xffff_ffff,
                    ..
                })
            ));
            assert!(matches!(
                string(b"NSString\x01\x94\x84\x01+\x81\x01"),
                Err(Error::Overrun { .. })
            ));
            assert_eq!(
                string(b"NSString\x01\x94\x84\x01+\x90abc"),
                Err(Error::BadLength(13, 0x90))
            );
            let lossy = string(b"NSString\x01\x94\x84\x01+\x02\xff\xfe").expect("lossy");
            assert!(lossy.lossy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use std::path::{Path, PathBuf};

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/ios-sms-db")
            .join(rel)
    }

    fn parse(path: &Path) -> Collect {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let opts = Options {
            zone: Some("America/New_York".into()),
            ..Options::default()
        };
        IosSmsDb.parse(&input, &opts, &mut sink).expect("parse");
        sink
    }

    const MACOS_TS: &str = "evantahler__macos-ts/tests/fixtures/chat.db";
    const LANGCHAIN: &str =
        "langchain-ai__langchain-community/libs/community/tests/unit_tests/chat_loaders/data";

    #[test]
    fn macos_ts_chat_db() {
        let path = data(MACOS_TS);
        assert!(IosSmsDb.sniff(&Input::open(&path).expect("open")) >= 90);
        let c = parse(&path);
        assert_eq!(c.conversations.len(), 3);
        let group = &c.conversations[2];
        assert_eq!(group.id, "iMessage;+;chat123456789");
        assert_eq!(group.title.as_deref(), Some("Weekend Plans"));
        assert_eq!(group.kind.as_deref(), Some("group"));
        assert_eq!(group.platform, Platform::IMessage);
        let members: Vec<_> = group
            .participants
            .iter()
            .filter_map(|p| p.account.as_deref())
            .collect();
        assert_eq!(
            members,
            ["+15551234567", "+15559876543", "alice@example.com"]
        );
        assert_eq!(c.conversations[0].kind.as_deref(), Some("private"));

        assert_eq!(c.messages.len(), 15);
        assert!(c.unparsed.is_empty(), "{:?}", c.unparsed);
        let m1 = &c.messages[0];
        assert_eq!(m1.id, "msg-guid-1");
        assert_eq!(m1.conversation, "iMessage;-;+15551234567");
        assert_eq!(m1.direction, Direction::Incoming);
        assert_eq!(m1.sender.account.as_deref(), Some("+15551234567"));
        assert_eq!(m1.body, "Hey, how are you?");
        assert_eq!(m1.time.unit, "apple_ns");
        assert_eq!(m1.time.raw, "771069600000000000");
        assert_eq!(m1.time.utc.as_deref(), Some("2025-06-08T10:00:00Z"));
        assert_eq!(m1.time.offset.as_deref(), Some("-04:00"));
        assert_eq!(m1.time.zone_basis, "source");
        assert_eq!(
            m1.provenance.location,
            Location::Row {
                table: "message".into(),
                rowid: 1
            }
        );
        assert_eq!(c.messages[1].direction, Direction::Outgoing);

        // text NULL: the body comes from attributedBody.
        let m6 = &c.messages[5];
        assert_eq!(m6.body, "Check out this cool project!");
        assert_eq!(m6.extra["body_source"], "attributedBody");
        assert_eq!(m6.sender.account.as_deref(), Some("alice@example.com"));
        assert_eq!(m6.time.utc.as_deref(), Some("2025-05-15T10:00:00Z"));
        assert_eq!(c.messages[13].body, "\u{fffd}");

        let m9 = &c.messages[8];
        assert_eq!(m9.kind, MessageKind::Image);
        assert_eq!(m9.attachments.len(), 1);
        assert_eq!(m9.attachments[0].name.as_deref(), Some("screenshot.png"));
        assert_eq!(m9.attachments[0].mime.as_deref(), Some("image/png"));
        assert_eq!(m9.attachments[0].size, Some(524_288));

        let m12 = &c.messages[11];
        assert_eq!(m12.extra["service"], "SMS");
        assert_eq!(m12.sender.account.as_deref(), Some("+15559876543"));
        let m13 = &c.messages[12];
        assert_eq!(m13.reply_to.as_deref(), Some("msg-guid-10"));
        let last = &c.messages[14];
        assert_eq!(last.body, "Here's a photo of the venue");
        assert_eq!(last.attachments[0].size, Some(1_048_576));
        assert_eq!(last.time.utc.as_deref(), Some("2025-06-15T10:00:00Z"));
        assert_eq!(last.conversation, "iMessage;+;chat123456789");
    }

    #[test]
    fn langchain_db_without_chat_table() {
        let path = data(&format!("{LANGCHAIN}/imessage_chat.db"));
        assert!(IosSmsDb.sniff(&Input::open(&path).expect("open")) >= 70);
        let c = parse(&path);
        assert_eq!(c.conversations[0].id, "chat:1");
        // A deleted older version of message 0FA0D6E4… (live text now "Alio was here"),
        // recovered from a freeblock; its ROWID was overwritten, so its chat is unknown and
        // it is filed under its handle.
        let rec: Vec<&Message> = c.messages.iter().filter(|m| m.recovered).collect();
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0].body, "Oke");
        assert_eq!(
            rec[0].extra["source_id"],
            "0FA0D6E4-2B13-4E0C-8990-06AEC28715A3"
        );
        assert_eq!(rec[0].conversation, "handle:testemail@gmail.com");
        assert!(matches!(rec[0].provenance.location, Location::Page { .. }));
        assert_eq!(c.conversations.len(), 2);
        assert!(c.unparsed.is_empty());
        let live: Vec<&Message> = c.messages.iter().filter(|m| !m.recovered).collect();
        assert_eq!(live.len(), 23);
        assert!(live.iter().all(|m| m.conversation == "chat:1"));
        let first = &c.messages[0];
        assert_eq!(first.id, "E7F6B913-EEE2-47E8-9458-BDA6BDA9BE8A");
        assert_eq!(first.body, "Yeh");
        assert_eq!(first.sender.account.as_deref(), Some("testemail@gmail.com"));
        assert_eq!(
            first.time.utc.as_deref(),
            Some("2023-11-05T02:50:50.39314816Z")
        );
        // text NULL: decoded from attributedBody, including a 0x81 u16 length.
        let woah = &c.messages[2];
        assert_eq!(woah.body, "Woaaaaaah");
        assert_eq!(woah.direction, Direction::Outgoing);
        assert_eq!(
            woah.extra["date_read"]["utc"],
            "2023-11-05T02:51:24.874009344Z"
        );
        let long = &c.messages[18];
        assert_eq!(long.body.len(), 128);
        assert_eq!(long.extra["body_source"], "attributedBody");
        // text and attributedBody disagree in this trimmed sample: text wins, both kept.
        let pic = &c.messages[15];
        assert_eq!(pic.body, "I WANT IT TO BE ME SENDING THIS PIC");
        assert!(pic.extra["attributed_body_text"].as_str().is_some());
        // A tapback: kept as a message pointing at its target.
        let loved = &c.messages[22];
        assert_eq!(loved.body, "Loved “I see nothing here add”");
        assert_eq!(
            loved.reply_to.as_deref(),
            Some("FC62F43D-2F38-43EC-937E-2129DBBD948A")
        );
        assert_eq!(loved.extra["tapback"]["reaction"], "loved");
        assert_eq!(loved.extra["tapback"]["action"], "added");
        assert_eq!(
            loved.time.utc.as_deref(),
            Some("2023-11-17T11:27:36.50908736Z")
        );
    }

    #[test]
    fn langchain_db_after_upgrade() {
        let path = data(&format!("{LANGCHAIN}/imessage_chat_upgrade_osx_11.db"));
        let c = parse(&path);
        assert_eq!(c.messages.iter().filter(|m| !m.recovered).count(), 23);
        // Two deleted older versions of live messages ("Yeh", "Oke"), filed under their
        // handle because their ROWID was overwritten.
        let rec: Vec<&str> = c
            .messages
            .iter()
            .filter(|m| m.recovered)
            .map(|m| m.body.as_str())
            .collect();
        assert_eq!(rec, ["Yeh", "Oke"]);
        assert_eq!(c.conversations.len(), 2);
        // chat_handle_join names handle 6678, whose service is misspelled.
        assert_eq!(
            c.conversations[0].participants[0].account.as_deref(),
            Some("test@gmail.com")
        );
        // handle_id 'trash\n' is kept, not trusted.
        let first = &c.messages[0];
        assert_eq!(first.body, "Yeh");
        assert_eq!(first.sender, Party::default());
        assert_eq!(first.extra["handle_id"], "trash\n");
        assert_eq!(
            first.time.utc.as_deref(),
            Some("2023-11-05T02:50:50.39314816Z")
        );
        assert_eq!(
            c.messages[22].time.utc.as_deref(),
            Some("2023-11-17T11:27:36.50908736Z")
        );
        // handle 67 is not in this handle table.
        assert_eq!(c.messages[1].sender.account.as_deref(), Some("handle #67"));
        assert!(c.warnings.iter().any(|w| w.contains("not a number")));
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("no row in table handle"))
        );
    }

    /// Old schemas (from richinfante/iphonebackuptools dumps) lack most columns; dates are
    /// seconds. Rows are written by this test from the documented columns.
    #[test]
    fn old_ios_schemas() {
        for (file, expect_title) in [
            ("iOS6.1.6.sql", None),
            ("iOS9.2.1.sql", Some("Family")),
            ("iOS10.2.sql", Some("Family")),
            ("iOS11.2.sql", Some("Family")),
        ] {
            let sql = std::fs::read_to_string(data(&format!(
                "richinfante__iphonebackuptools/schemas/messages/{file}"
            )))
            .expect("schema");
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("sms.db");
            let conn = rusqlite::Connection::open(&path).expect("create");
            // SQLite makes its own sqlite_sequence / sqlite_stat1; the dumps list them too.
            for stmt in sql.split(';').filter(|s| !s.contains("sqlite_")) {
                conn.execute_batch(stmt).expect(file);
            }
            let has_display = conn.prepare("SELECT display_name FROM chat").is_ok();
            conn.execute_batch(
                "INSERT INTO handle (ROWID, id, service) VALUES (1, '+8613800000001', 'SMS');
                 INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name)
                    VALUES (1, 'SMS;-;+8613800000001', 45, '+8613800000001', 'SMS');
                 INSERT INTO chat_handle_join VALUES (1, 1);
                 INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me)
                    VALUES (1, 'G1', '还钱', 1, 'SMS', 500000000, 0),
                           (2, 'G2', NULL, 1, 'SMS', 500000060, 1);
                 INSERT INTO chat_message_join (chat_id, message_id) VALUES (1, 1), (1, 2);",
            )
            .expect(file);
            if has_display {
                conn.execute("UPDATE chat SET display_name = 'Family'", [])
                    .expect("display");
            }
            drop(conn);
            let c = parse(&path);
            assert_eq!(c.conversations.len(), 1, "{file}");
            assert_eq!(
                c.conversations[0].title.as_deref(),
                expect_title.or(Some("+8613800000001")),
                "{file}"
            );
            assert_eq!(c.conversations[0].platform, Platform::Sms);
            assert_eq!(c.messages.len(), 2, "{file}");
            let m = &c.messages[0];
            assert_eq!(m.body, "还钱");
            assert_eq!(m.time.unit, "apple_s");
            assert_eq!(
                m.time.utc.as_deref(),
                Some("2016-11-05T00:53:20Z"),
                "{file}"
            );
            assert_eq!(m.time.offset.as_deref(), Some("-04:00"));
            assert_eq!(c.messages[1].body, "");
            assert_eq!(c.messages[1].direction, Direction::Outgoing);
        }
    }

    /// Columns of iOS 14-17 written by this test (no public sample has them): an edited
    /// message, an unsent one, a group rename, a participant added, a removed tapback, and
    /// a DST change in the display zone.
    #[test]
    fn modern_columns_built() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chat.db");
        std::fs::write(&path, std::fs::read(data(MACOS_TS)).expect("read")).expect("copy");
        let conn = rusqlite::Connection::open(&path).expect("open copy");
        // 2024-03-10 06:59:59 UTC and 07:00:01 UTC straddle the US DST change (02:00 EST).
        let before = (1_710_053_999_i64 - 978_307_200) * 1_000_000_000;
        let after = (1_710_054_001_i64 - 978_307_200) * 1_000_000_000;
        conn.execute_batch(&format!(
            "INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, date_edited)
                VALUES (100, 'E1', 'edited text', 1, 'iMessage', {before}, 0, {after});
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, date_retracted)
                VALUES (101, 'U1', NULL, 0, 'iMessage', {after}, 1, {after});
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, item_type, group_title)
                VALUES (102, 'R1', NULL, 2, 'iMessage', {after}, 0, 2, 'Scam team');
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, item_type, group_action_type, other_handle)
                VALUES (103, 'A1', NULL, 0, 'iMessage', {after}, 1, 1, 0, 3);
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, associated_message_type, associated_message_guid)
                VALUES (104, 'T1', NULL, 1, 'iMessage', {after}, 0, 3001, 'p:0/msg-guid-2');
             INSERT INTO message (ROWID, guid, text, attributedBody, handle_id, service, date, is_from_me)
                VALUES (105, 'B1', NULL, X'4e53537472696e67019484012b81ff', 1, 'iMessage', {after}, 0);
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me)
                VALUES (106, 'D1', 'deleted later', 3, 'iMessage', {before}, 0);
             CREATE TABLE chat_recoverable_message_join (chat_id INTEGER, message_id INTEGER,
                delete_date INTEGER, ck_sync_state INTEGER DEFAULT 0,
                PRIMARY KEY (chat_id, message_id));
             INSERT INTO chat_recoverable_message_join VALUES (2, 106, {after}, 0);
             INSERT INTO chat_message_join VALUES (3, 102, 0), (3, 103, 0);
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, date_edited, message_summary_info)
                VALUES (107, 'H1', NULL, 1, 'iMessage', {before}, 0, {after}, X'{history}');
             INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, message_summary_info)
                VALUES (108, 'X1', 'hello', 1, 'iMessage', {before}, 0, X'62706c6973743030ff');",
            history = hex::encode(super::ios_summary_info::tests::edited_blob(
                "账户 6222 0200 1234 5678",
                "账户 6217 0000 9999 8888"
            )),
        ))
        .expect("insert");
        drop(conn);
        let c = parse(&path);
        let by_id = |id: &str| {
            c.messages
                .iter()
                .find(|m| m.id == id)
                .unwrap_or_else(|| panic!("no {id}"))
        };
        let e = by_id("E1");
        assert_eq!(e.time.offset.as_deref(), Some("-05:00"));
        let edited = e.edited.as_ref().expect("edited");
        assert_eq!(edited.offset.as_deref(), Some("-04:00"));
        assert_eq!(edited.utc.as_deref(), Some("2024-03-10T07:00:01Z"));
        let u = by_id("U1");
        assert_eq!(u.kind, MessageKind::Recalled);
        assert_eq!(u.direction, Direction::Outgoing);
        let r = by_id("R1");
        assert_eq!(r.kind, MessageKind::System);
        assert_eq!(r.body, "named the conversation “Scam team”");
        assert_eq!(r.conversation, "iMessage;+;chat123456789");
        let a = by_id("A1");
        assert_eq!(a.body, "added alice@example.com to the conversation");
        assert_eq!(a.extra["event"], "participant_added");
        let t = by_id("T1");
        assert_eq!(t.extra["tapback"]["action"], "removed");
        assert_eq!(t.extra["tapback"]["reaction"], "liked");
        assert_eq!(t.reply_to.as_deref(), Some("msg-guid-2"));
        // A message without a chat gets a conversation by its handle.
        assert_eq!(t.conversation, "handle:+15551234567");
        let b = by_id("B1");
        assert_eq!(b.body, "");
        assert!(b.extra["body_error"].as_str().is_some());
        // In "Recently Deleted": still in its chat, marked, with the deletion time.
        let d = by_id("D1");
        assert_eq!(d.conversation, "iMessage;-;alice@example.com");
        assert_eq!(
            d.extra["recently_deleted"]["delete_date"]["utc"],
            "2024-03-10T07:00:01Z"
        );
        assert!(c.warnings.iter().any(|w| w.contains("Recently Deleted")));
        // Edited with text NULL: the body is the last version, the original is kept.
        let h = by_id("H1");
        assert_eq!(h.body, "账户 6217 0000 9999 8888");
        assert_eq!(h.extra["body_source"], "message_summary_info");
        assert_eq!(
            h.extra["edit_history"][0]["text"],
            "账户 6222 0200 1234 5678"
        );
        assert_eq!(h.extra["edit_history"][0]["version"], 0);
        assert_eq!(
            h.extra["edit_history"][1]["time"]["utc"],
            "2024-03-01T15:34:20.5Z"
        );
        assert_eq!(h.extra["edited_parts"], json!([0]));
        assert!(h.edited.is_some());
        // A damaged summary blob: the message stands, the blob is reported.
        let x = by_id("X1");
        assert_eq!(x.body, "hello");
        assert!(x.extra["message_summary_info_error"].as_str().is_some());
        let rows: Vec<_> = c
            .unparsed
            .iter()
            .map(|u| u.provenance.location.clone())
            .collect();
        assert_eq!(
            rows,
            [105, 108].map(|rowid| Location::Row {
                table: "message".into(),
                rowid
            })
        );
    }

    /// GPL samples from ReagentX/imessage-exporter, read from ../shared only.
    #[test]
    fn reagentx_typedstream_blobs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../../shared/corpus/ios-sms-db/ReagentX__imessage-exporter/imessage-database/test_data/streamtyped",
        );
        if !dir.is_dir() {
            println!("SKIP: {} is absent", dir.display());
            return;
        }
        let read = |n: &str| std::fs::read(dir.join(n)).expect(n);
        let text = |n: &str| typedstream::string(&read(n)).map(|d| d.text);
        assert_eq!(text("AttributedBodyTextOnly"), Ok("Noter test".into()));
        assert_eq!(text("AttributedBodyTextOnly2"), Ok("Test 3".into()));
        assert_eq!(text("Blank"), Ok(String::new()));
        assert_eq!(
            text("MultiPart"),
            Ok("\u{FFFC}test 1\u{FFFC}test 2 \u{FFFC}test 3".into())
        );
        assert_eq!(text("URL"), Ok("https://github.com/ReagentX/Logria".into()));
        assert_eq!(text("WeirdText"), Ok("𝖍𝖊𝖑𝖑𝖔 𝖜𝖔𝖗𝖑𝖉".into()));
        // Its length field (157) runs past the blob: refused, not guessed.
        assert!(matches!(
            typedstream::string(&read("ExtraData")),
            Err(typedstream::Error::Overrun { len: 157, .. })
        ));
    }

    /// Fuzzer finds (mutations of the MIT langchain sample): a damaged b-tree hands rows back
    /// again after each seek. Before the fix each row came out up to 10 000 times and a
    /// parse took minutes; now every row is read once and the damage is reported.
    #[test]
    fn damaged_btree_rows_are_not_read_twice() {
        for name in ["damaged-btree-1.db", "damaged-btree-2.db"] {
            let c = parse(&data(&format!("fuzz/{name}")));
            let ids: HashSet<_> = c.messages.iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids.len(), c.messages.len(), "{name}: duplicate messages");
            assert!(c.messages.len() <= 23, "{name}: {}", c.messages.len());
            assert!(!c.unparsed.is_empty(), "{name}");
            for u in &c.unparsed {
                println!("{name}: {} {:?}", u.reason, u.provenance.location);
            }
        }
    }

    #[test]
    fn truncated_databases_do_not_panic() {
        let bytes = std::fs::read(data(MACOS_TS)).expect("read");
        let dir = tempfile::tempdir().expect("tempdir");
        for cut in [100, 4096, 8192, 40_000, bytes.len() - 1] {
            let p = dir.path().join(format!("cut{cut}.db"));
            std::fs::write(&p, &bytes[..cut]).expect("write");
            let input = Input::open(&p).expect("open");
            let _ = IosSmsDb.sniff(&input);
            let mut sink = Collect::default();
            let _ = IosSmsDb.parse(&input, &Options::default(), &mut sink);
        }
    }

    #[test]
    fn garbage_is_not_ours() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.db");
        std::fs::write(&p, b"SQLite format 3\0").expect("write");
        let input = Input::open(&p).expect("open");
        assert_eq!(IosSmsDb.sniff(&input), 0);
        let mut sink = Collect::default();
        assert!(
            IosSmsDb
                .parse(&input, &Options::default(), &mut sink)
                .is_err()
        );
        let android = Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../tests/data/android-mmssms-db/log2timeline__plaso/test_data/android/mmssms.db",
        );
        assert_eq!(IosSmsDb.sniff(&Input::open(&android).expect("open")), 0);
    }
}
