//! Telegram Desktop's JSON export (`result.json`): one chat, or a whole account.
//!
//! Mapping from Telegram Desktop's writer (`export_output_json.cpp`): a single-chat export is
//! `{name, type, id, messages: [...]}`; an account export is `{about, personal_information,
//! contacts: {list}, frequent_contacts, sessions, …, chats: {list: [chat…]}, left_chats: {…}}`
//! with each chat shaped like a single-chat export. `date` is the exporting computer's local
//! wall time without an offset; `date_unixtime` (newer versions) is the instant. Files are
//! streamed one message at a time ([`super::common_json::Scanner`]), so size does not matter.

use std::collections::HashSet;

use cunzheng_model::{
    Attachment, Conversation, Direction, Message, MessageKind, MsgTime, Party, Platform,
};
use serde_json::{Map, Value};

use super::common_json::{
    RawValue, ScanError, Scanner, Span, broken_tail, direction, int_of, is_owner, parse_element,
    text_of, unparsed,
};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// Telegram Desktop JSON export.
pub struct TelegramJson;

impl Source for TelegramJson {
    fn id(&self) -> &'static str {
        "telegram-json"
    }
    fn name(&self) -> &'static str {
        "Telegram Desktop JSON export"
    }
    fn description(&self) -> &'static str {
        "Telegram Desktop \"Export chat history\" / \"Export Telegram data\" in JSON (result.json): \
         single-chat and whole-account exports, messages of every chat in chats and left_chats, \
         service messages (calls, joins, pins, payments), replies, edits, forwards, media \
         references (photo, file, voice, video, sticker), contacts, locations and polls, and the \
         account's contact list (as Contact records in a conversation `contacts`). Times come \
         from date_unixtime; older exports without it only have local wall times (zone given or \
         guessed). Sessions, frequent contacts, profile pictures, stories and other_data are not \
         read (a warning names them); media files themselves are not opened. Read as a stream."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["result.json", "*.json"]
    }
    fn tier(&self) -> Tier {
        // Field names from Telegram Desktop's JSON writer; exercised on third-party fixtures.
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let head = input
            .head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&input.head);
        let text = String::from_utf8_lossy(head);
        if !text.trim_start().starts_with('{') {
            return 0;
        }
        let mut score = 0u32;
        if text.contains("\"date_unixtime\"") {
            score += 50;
        }
        if text.contains("\"personal_information\"") {
            score += 50;
        }
        if text.contains("\"messages\"") {
            score += 20;
        }
        if text.contains("\"from_id\"") || text.contains("\"text_entities\"") {
            score += 20;
        }
        if chat_type_re().is_match(&text) {
            score += 30;
        }
        if message_type_re().is_match(&text) {
            score += 15;
        }
        score.min(100) as u8
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let (zone, zone_warning) = Zone::from_options(opts);
        if let Some(w) = zone_warning {
            sink.warning(w);
        }
        let mut ctx = Ctx {
            input,
            opts,
            sink,
            tag: self.parser_tag(),
            zone,
            owner_account: None,
            conv_ids: HashSet::new(),
            started: false,
            wall_times: 0,
            lossy: 0,
            skipped: Vec::new(),
            late_meta: Vec::new(),
            owner_late: false,
            any_message: false,
        };
        let mut scanner = Scanner::open(input)?;
        if let Err(e) = walk(&mut scanner, &mut ctx) {
            let u = broken_tail(input, &ctx.tag, &scanner, &e, ctx.started)?;
            ctx.sink.unparsed(u);
        }
        ctx.finish();
        Ok(())
    }
}

fn chat_type_re() -> &'static regex::Regex {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#""type"\s*:\s*"(personal_chat|bot_chat|private_group|private_supergroup|public_supergroup|private_channel|public_channel|saved_messages|replies)""#,
        )
        .unwrap_or_else(|_| unreachable!("constant regex"))
    });
    &RE
}

fn message_type_re() -> &'static regex::Regex {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""type"\s*:\s*"(message|service)""#)
            .unwrap_or_else(|_| unreachable!("constant regex"))
    });
    &RE
}

/// State of one parse.
struct Ctx<'a> {
    input: &'a Input,
    opts: &'a Options,
    sink: &'a mut dyn Sink,
    tag: String,
    zone: Zone,
    /// `user<id>` of the exporting account, from `personal_information`.
    owner_account: Option<String>,
    conv_ids: HashSet<String>,
    /// The top-level `{` was read: from here on, breaks are `Unparsed`, not errors.
    started: bool,
    wall_times: u64,
    lossy: u64,
    skipped: Vec<String>,
    late_meta: Vec<String>,
    owner_late: bool,
    any_message: bool,
}

/// A chat being read: its metadata so far and whether its conversation was emitted.
#[derive(Default)]
struct Chat {
    pointer: String,
    id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    conv: Option<String>,
}

impl Ctx<'_> {
    fn owner_known(&self) -> bool {
        !self.opts.owner.is_empty() || self.owner_account.is_some()
    }

    fn direction(&self, p: &Party) -> Direction {
        let mine = is_owner(&self.opts.owner, p)
            || (self.owner_account.is_some() && p.account == self.owner_account);
        direction(self.owner_known(), mine)
    }

    /// Emits the chat's conversation if not yet done; returns its id.
    fn ensure_conv(&mut self, chat: &mut Chat) -> String {
        if let Some(id) = &chat.conv {
            return id.clone();
        }
        let base = chat.id.clone().unwrap_or_else(|| {
            if chat.pointer.is_empty() {
                "chat".to_owned()
            } else {
                chat.pointer.clone()
            }
        });
        let mut id = base.clone();
        let mut n = 2;
        while self.conv_ids.contains(&id) {
            id = format!("{base}#{n}");
            n += 1;
        }
        if id != base {
            self.sink.warning(format!(
                "chat id {base} occurs more than once; the later chat is called {id}"
            ));
        }
        self.conv_ids.insert(id.clone());
        let mut participants = Vec::new();
        // A personal chat's id is the other user's id (`user<id>` in from_id).
        if matches!(chat.kind.as_deref(), Some("personal_chat" | "bot_chat")) {
            participants.push(Party {
                name: chat.name.clone(),
                account: chat.id.as_ref().map(|i| format!("user{i}")),
            });
        }
        if let Some(acc) = &self.owner_account {
            participants.push(Party {
                name: None,
                account: Some(acc.clone()),
            });
        }
        self.sink.conversation(Conversation {
            platform: Platform::Telegram,
            id: id.clone(),
            title: chat.name.clone(),
            kind: chat.kind.clone(),
            participants,
        });
        chat.conv = Some(id.clone());
        id
    }

    fn finish(&mut self) {
        if self.wall_times > 0 {
            self.sink.warning(format!(
                "{} time(s) had no date_unixtime and were read as wall-clock times in {} ({}); \
                 Telegram Desktop writes `date` in the exporting computer's zone",
                self.wall_times,
                self.zone.name(),
                if self.zone.is_guessed() {
                    "guessed"
                } else {
                    "given"
                }
            ));
        }
        if self.lossy > 0 {
            self.sink.warning(format!(
                "{} message(s) held invalid UTF-8; the bad bytes were replaced by U+FFFD (extra.lossy_utf8)",
                self.lossy
            ));
        }
        if !self.skipped.is_empty() {
            self.sink.warning(format!(
                "sections not read (no messages in them): {}",
                self.skipped.join(", ")
            ));
        }
        if !self.late_meta.is_empty() {
            self.sink.warning(format!(
                "chat fields found after the chat's messages, so missing from its conversation record: {}",
                self.late_meta.join(", ")
            ));
        }
        if self.owner_late {
            self.sink.warning(
                "personal_information came after messages; messages before it have no direction"
                    .to_owned(),
            );
        }
    }

    fn unparsed(&mut self, raw: &RawValue, reason: String) {
        let u = unparsed(self.input, &self.tag, raw, reason);
        self.sink.unparsed(u);
    }

    /// Reads a small value (chat metadata, personal information) whole.
    fn small_value(&mut self, s: &mut Scanner, what: &str) -> Result<Option<Value>, ScanError> {
        let raw = s.read_value(MAX_RECORD)?;
        match raw.bytes.as_deref().map(parse_element) {
            Some(Ok((v, _))) => Ok(Some(v)),
            Some(Err(e)) => {
                self.unparsed(&raw, format!("{what}: {e}"));
                Ok(None)
            }
            None => {
                self.unparsed(&raw, format!("{what} larger than {MAX_RECORD} bytes"));
                Ok(None)
            }
        }
    }
}

fn walk(s: &mut Scanner, ctx: &mut Ctx) -> Result<(), ScanError> {
    s.enter_object()?;
    ctx.started = true;
    let mut top = Chat::default();
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key.as_str() {
            "messages" => messages(s, ctx, &mut top)?,
            "name" | "type" | "id" => chat_field(s, ctx, &mut top, &key)?,
            "chats" | "left_chats" => chat_list(s, ctx, &key)?,
            "contacts" => contacts(s, ctx)?,
            "personal_information" => {
                if let Some(v) = ctx.small_value(s, "personal_information")?
                    && let Some(id) = text_of(v.get("user_id"))
                {
                    ctx.owner_account = Some(format!("user{id}"));
                    if ctx.any_message {
                        ctx.owner_late = true;
                    }
                    let name = [v.get("first_name"), v.get("last_name")]
                        .into_iter()
                        .filter_map(text_of)
                        .filter(|n| !n.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    ctx.sink.warning(format!(
                        "device owner taken from personal_information: user{id} ({name}, {})",
                        text_of(v.get("phone_number")).unwrap_or_default()
                    ));
                }
            }
            "about" => {
                s.skip_value()?;
            }
            _ => {
                s.skip_value()?;
                ctx.skipped.push(key);
            }
        }
    }
    if top.conv.is_none() && (top.id.is_some() || top.name.is_some() || top.kind.is_some()) {
        ctx.ensure_conv(&mut top);
    }
    if s.peek_token()?.is_some() {
        let start = s.pos();
        let raw = RawValue {
            span: Span {
                start,
                end: std::fs::metadata(&ctx.input.path)
                    .map(|m| m.len())
                    .unwrap_or(start),
                line: 0,
            },
            bytes: None,
        };
        ctx.unparsed(&raw, "data after the end of the JSON document".to_owned());
    }
    Ok(())
}

fn chat_field(s: &mut Scanner, ctx: &mut Ctx, chat: &mut Chat, key: &str) -> Result<(), ScanError> {
    let v = ctx.small_value(s, key)?;
    let text = text_of(v.as_ref());
    if chat.conv.is_some() {
        ctx.late_meta.push(format!(
            "{}/{key}",
            if chat.pointer.is_empty() {
                ""
            } else {
                &chat.pointer
            }
        ));
    }
    match key {
        "name" => chat.name = text,
        "type" => chat.kind = text,
        _ => chat.id = text,
    }
    Ok(())
}

/// `chats` / `left_chats`: `{about, list: [chat…]}`.
fn chat_list(s: &mut Scanner, ctx: &mut Ctx, section: &str) -> Result<(), ScanError> {
    if s.peek_token()? != Some(b'{') {
        let raw = s.read_value(MAX_RECORD)?;
        ctx.unparsed(&raw, format!("`{section}` is not an object"));
        return Ok(());
    }
    s.enter_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        if key != "list" {
            s.skip_value()?;
            continue;
        }
        if s.peek_token()? != Some(b'[') {
            let raw = s.read_value(MAX_RECORD)?;
            ctx.unparsed(&raw, format!("`{section}.list` is not an array"));
            continue;
        }
        s.enter_array()?;
        let mut f = true;
        let mut i = 0u64;
        while s.next_item(&mut f)? {
            let pointer = format!("/{section}/list/{i}");
            i += 1;
            if s.peek_token()? != Some(b'{') {
                let raw = s.read_value(MAX_RECORD)?;
                ctx.unparsed(&raw, format!("{pointer}: a chat that is not an object"));
                continue;
            }
            let mut chat = Chat {
                pointer,
                ..Chat::default()
            };
            s.enter_object()?;
            let mut cf = true;
            while let Some(k) = s.next_key(&mut cf)? {
                match k.as_str() {
                    "messages" => messages(s, ctx, &mut chat)?,
                    "name" | "type" | "id" => chat_field(s, ctx, &mut chat, &k)?,
                    _ => {
                        s.skip_value()?;
                    }
                }
            }
            ctx.ensure_conv(&mut chat);
        }
    }
    Ok(())
}

/// A chat's `messages` array, one message at a time.
fn messages(s: &mut Scanner, ctx: &mut Ctx, chat: &mut Chat) -> Result<(), ScanError> {
    if s.peek_token()? != Some(b'[') {
        let raw = s.read_value(MAX_RECORD)?;
        ctx.unparsed(&raw, "`messages` is not an array".to_owned());
        return Ok(());
    }
    let conv = ctx.ensure_conv(chat);
    s.enter_array()?;
    let mut first = true;
    let mut i = 0u64;
    while s.next_item(&mut first)? {
        let raw = s.read_value(MAX_RECORD)?;
        let pointer = format!("{}/messages/{i}", chat.pointer);
        i += 1;
        ctx.any_message = true;
        let Some(bytes) = raw.bytes.as_deref() else {
            ctx.unparsed(
                &raw,
                format!("{pointer}: message larger than {MAX_RECORD} bytes"),
            );
            continue;
        };
        match parse_element(bytes) {
            Ok((Value::Object(m), lossy)) => {
                if lossy {
                    ctx.lossy += 1;
                }
                let msg = message(ctx, &conv, m, raw.span, pointer, lossy);
                ctx.sink.message(msg);
            }
            Ok(_) => ctx.unparsed(&raw, format!("{pointer}: message is not an object")),
            Err(e) => ctx.unparsed(&raw, format!("{pointer}: {e}")),
        }
    }
    Ok(())
}

/// The account's contact list (`contacts.list`), as Contact records in a conversation of
/// its own: it is evidence (names, phone numbers, when added) but not a chat.
fn contacts(s: &mut Scanner, ctx: &mut Ctx) -> Result<(), ScanError> {
    if s.peek_token()? != Some(b'{') {
        let raw = s.read_value(MAX_RECORD)?;
        ctx.unparsed(&raw, "`contacts` is not an object".to_owned());
        return Ok(());
    }
    s.enter_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        if key != "list" {
            s.skip_value()?;
            continue;
        }
        if s.peek_token()? != Some(b'[') {
            let raw = s.read_value(MAX_RECORD)?;
            ctx.unparsed(&raw, "`contacts.list` is not an array".to_owned());
            continue;
        }
        let mut chat = Chat {
            pointer: "/contacts".into(),
            id: Some("contacts".into()),
            name: Some("Contact list of the exported account".into()),
            kind: Some("contact_list".into()),
            conv: None,
        };
        let conv = ctx.ensure_conv(&mut chat);
        s.enter_array()?;
        let mut f = true;
        let mut i = 0u64;
        while s.next_item(&mut f)? {
            let raw = s.read_value(MAX_RECORD)?;
            let pointer = format!("/contacts/list/{i}");
            i += 1;
            let parsed = raw.bytes.as_deref().map(parse_element);
            let Some(Ok((Value::Object(mut m), _))) = parsed else {
                ctx.unparsed(&raw, format!("{pointer}: unreadable contact entry"));
                continue;
            };
            let time = epoch_or_wall(ctx, &mut m, "date_unixtime", "date");
            let id = match text_of(m.get("user_id")) {
                Some(u) if u != "0" => format!("user{u}"),
                _ => format!("B{}", raw.span.start),
            };
            let name = [m.get("first_name"), m.get("last_name")]
                .into_iter()
                .filter_map(text_of)
                .filter(|n| !n.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let phone = text_of(m.get("phone_number")).unwrap_or_default();
            let body = [name.as_str(), phone.as_str()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            m.insert("json_pointer".into(), pointer.into());
            m.insert("record".into(), "contact_list_entry".into());
            ctx.sink.message(Message {
                id,
                conversation: conv.clone(),
                sender: Party::default(),
                direction: Direction::Unknown,
                kind: MessageKind::Contact,
                body,
                time,
                attachments: Vec::new(),
                reply_to: None,
                edited: None,
                forwarded_from: None,
                money: None,
                recovered: false,
                provenance: ctx.input.provenance(&ctx.tag, raw.span.location()),
                extra: Value::Object(m),
            });
        }
    }
    Ok(())
}

/// The time from `<unix_key>` (epoch seconds as text), else from `<wall_key>` (local wall
/// time). The field used as `raw` is removed from `m`; the other stays for `extra`.
fn epoch_or_wall(
    ctx: &mut Ctx,
    m: &mut Map<String, Value>,
    unix_key: &str,
    wall_key: &str,
) -> MsgTime {
    if let Some(v) = m.get(unix_key) {
        let raw = text_of(Some(v)).unwrap_or_else(|| v.to_string());
        let t = match int_of(Some(v)) {
            Some(secs) => ctx.zone.epoch(&raw, "unix_s", secs),
            None => unresolved(&raw, "unix_s"),
        };
        m.remove(unix_key);
        return t;
    }
    if let Some(v) = m.get(wall_key) {
        let raw = text_of(Some(v)).unwrap_or_else(|| v.to_string());
        let t = match raw.parse::<jiff::civil::DateTime>() {
            Ok(dt) => {
                ctx.wall_times += 1;
                ctx.zone.wall(&raw, dt)
            }
            Err(_) => unresolved(&raw, "wall"),
        };
        m.remove(wall_key);
        return t;
    }
    unresolved("", "unix_s")
}

/// The text of `text`: a string, or an array of strings and entity objects with `text`.
fn flatten_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let mut out = String::new();
            for p in parts {
                match p {
                    Value::String(s) => out.push_str(s),
                    Value::Object(o) => {
                        if let Some(Value::String(s)) = o.get("text") {
                            out.push_str(s);
                        }
                    }
                    _ => {}
                }
            }
            out
        }
        _ => String::new(),
    }
}

/// Whether a media path is Telegram Desktop's note for a file it did not save.
fn not_included(path: &str) -> bool {
    path.ends_with(')')
        && (path.contains("(File ") || path.contains("(Photo ") || path.contains("(Video "))
}

fn attachment(m: &Map<String, Value>, path_key: &str, size_key: &str) -> Option<Attachment> {
    let path = text_of(m.get(path_key))?;
    let omitted = not_included(&path);
    let size = m
        .get(size_key)
        .and_then(|v| v.as_u64())
        .or_else(|| m.get(size_key).and_then(|v| text_of(Some(v))?.parse().ok()));
    Some(Attachment {
        name: if omitted {
            text_of(m.get("file_name"))
        } else {
            Some(path)
        },
        mime: text_of(m.get("mime_type")),
        size,
        item_sha256: None,
        omitted,
    })
}

/// A service message in words: the action and its scalar details, e.g.
/// `phone_call (duration_seconds: 30, discard_reason: hangup)`.
fn describe_service(m: &Map<String, Value>) -> String {
    const BOOKKEEPING: &[&str] = &[
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "actor",
        "actor_id",
        "action",
        "text",
        "text_entities",
        "json_pointer",
    ];
    let action = text_of(m.get("action")).unwrap_or_else(|| "service".to_owned());
    let mut details = Vec::new();
    for (k, v) in m {
        if BOOKKEEPING.contains(&k.as_str()) {
            continue;
        }
        let shown = match v {
            Value::Array(a) => a
                .iter()
                .map(|x| text_of(Some(x)).unwrap_or_else(|| x.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
            Value::Object(_) => continue,
            Value::Null => "null".to_owned(),
            other => text_of(Some(other)).unwrap_or_default(),
        };
        details.push(format!("{k}: {shown}"));
    }
    if details.is_empty() {
        action
    } else {
        format!("{action} ({})", details.join(", "))
    }
}

fn message(
    ctx: &mut Ctx,
    conv: &str,
    mut m: Map<String, Value>,
    span: Span,
    pointer: String,
    lossy: bool,
) -> Message {
    let id = text_of(m.get("id")).unwrap_or_else(|| format!("B{}", span.start));
    m.remove("id");
    let ty = text_of(m.get("type")).unwrap_or_default();
    let service = ty == "service";
    let time = epoch_or_wall(ctx, &mut m, "date_unixtime", "date");
    let edited = if m.contains_key("edited_unixtime") || m.contains_key("edited") {
        Some(epoch_or_wall(ctx, &mut m, "edited_unixtime", "edited"))
    } else {
        None
    };
    let (name_key, id_key) = if service {
        ("actor", "actor_id")
    } else {
        ("from", "from_id")
    };
    let sender = Party {
        name: text_of(m.get(name_key)),
        account: text_of(m.get(id_key)),
    };
    m.remove(name_key);
    m.remove(id_key);
    let text = flatten_text(m.get("text"));
    // A plain string says nothing beyond `body`; an array carries entities (links, mentions),
    // which `text_entities` repeats in newer exports.
    if matches!(m.get("text"), Some(Value::String(_))) || m.contains_key("text_entities") {
        m.remove("text");
    }
    if matches!(m.get("text_entities"), Some(Value::Array(a))
        if a.iter().all(|e| e.get("type").and_then(Value::as_str) == Some("plain")))
    {
        m.remove("text_entities");
    }
    let reply_to = text_of(m.get("reply_to_message_id"));
    m.remove("reply_to_message_id");
    let forwarded_from = match m.get("forwarded_from") {
        None => None,
        Some(Value::Null) => Some("(name not given in the export)".to_owned()),
        Some(v) => Some(text_of(Some(v)).unwrap_or_else(|| v.to_string())),
    };
    if !matches!(m.get("forwarded_from"), Some(Value::Null)) {
        m.remove("forwarded_from");
    }

    let mut attachments = Vec::new();
    let mut kind = MessageKind::Text;
    let mut fallback = String::new();
    if service {
        kind = match text_of(m.get("action")).as_deref() {
            Some("phone_call" | "group_call" | "invite_to_group_call" | "group_call_scheduled") => {
                MessageKind::Call
            }
            Some("send_payment") => MessageKind::Transfer,
            _ => MessageKind::System,
        };
        fallback = describe_service(&m);
    } else if ty == "unsupported" {
        kind = MessageKind::System;
        fallback = "(message type not supported by Telegram Desktop's exporter)".to_owned();
    } else if let Some(a) = attachment(&m, "photo", "photo_file_size") {
        kind = MessageKind::Image;
        attachments.push(a);
    } else if let Some(a) = attachment(&m, "file", "file_size") {
        kind = match text_of(m.get("media_type")).as_deref() {
            Some("sticker") => {
                fallback = text_of(m.get("sticker_emoji")).unwrap_or_default();
                MessageKind::Sticker
            }
            Some("voice_message") => MessageKind::Voice,
            Some("video_message" | "video_file" | "animation") => MessageKind::Video,
            _ => MessageKind::File,
        };
        attachments.push(a);
    } else if let Some(Value::Object(c)) = m.get("contact_information") {
        kind = MessageKind::Contact;
        fallback = ["first_name", "last_name", "phone_number"]
            .iter()
            .filter_map(|k| text_of(c.get(*k)))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(a) = attachment(&m, "contact_vcard", "contact_vcard_size") {
            attachments.push(a);
        }
    } else if m.contains_key("location_information") || m.contains_key("place_name") {
        kind = MessageKind::Location;
        let mut parts = Vec::new();
        for k in ["place_name", "address"] {
            if let Some(t) = text_of(m.get(k)).filter(|t| !t.is_empty()) {
                parts.push(t);
            }
        }
        if let Some(Value::Object(l)) = m.get("location_information")
            && let (Some(lat), Some(lon)) =
                (text_of(l.get("latitude")), text_of(l.get("longitude")))
        {
            parts.push(format!("{lat}, {lon}"));
        }
        fallback = parts.join("; ");
    } else if let Some(Value::Object(p)) = m.get("poll") {
        kind = MessageKind::Poll;
        let mut out = text_of(p.get("question")).unwrap_or_default();
        if let Some(Value::Array(answers)) = p.get("answers") {
            for a in answers {
                out.push_str(&format!(
                    "\n- {} ({} voters{})",
                    text_of(a.get("text")).unwrap_or_default(),
                    text_of(a.get("voters")).unwrap_or_else(|| "?".into()),
                    if a.get("chosen") == Some(&Value::Bool(true)) {
                        ", chosen by the exporting account"
                    } else {
                        ""
                    }
                ));
            }
        }
        fallback = out;
    }
    let body = if text.is_empty() { fallback } else { text };
    if ty == "message" {
        m.remove("type");
    }
    m.insert("json_pointer".into(), pointer.into());
    if lossy {
        m.insert("lossy_utf8".into(), true.into());
    }
    let direction = ctx.direction(&sender);
    Message {
        id,
        conversation: conv.to_owned(),
        sender,
        direction,
        kind,
        body,
        time,
        attachments,
        reply_to,
        edited,
        forwarded_from,
        money: None,
        recovered: false,
        provenance: ctx.input.provenance(&ctx.tag, span.location()),
        extra: Value::Object(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::common_json::testutil::{corpus, fixture, parse_bytes, parse_path};
    use cunzheng_model::Location;

    const SRC: &TelegramJson = &TelegramJson;

    fn utc(m: &Message) -> &str {
        m.time.utc.as_deref().unwrap_or("-")
    }

    #[test]
    fn chat_miner_single_and_batch() {
        for (file, conv) in [
            (
                "joweich__chat-miner/test/telegram/test_single_export.json",
                "chat",
            ),
            (
                "joweich__chat-miner/test/telegram/test_batch_export.json",
                "/chats/list/0",
            ),
        ] {
            let path = fixture("telegram-json", file);
            let out = parse_path(SRC, &path, &Options::default());
            assert!(out.unparsed.is_empty(), "{:?}", out.unparsed);
            assert_eq!(out.conversations.len(), 1);
            assert_eq!(out.conversations[0].id, conv);
            assert_eq!(out.messages.len(), 2, "{file}");
            let (a, b) = (&out.messages[0], &out.messages[1]);
            assert_eq!(a.sender.name.as_deref(), Some("Author 1"));
            assert_eq!(a.body, "Minimal Message");
            assert_eq!(utc(a), "2018-12-05T10:39:10Z");
            assert_eq!(a.time.offset.as_deref(), Some("+08:00"));
            assert_eq!(a.time.zone_basis, "source");
            assert_eq!(a.time.unit, "unix_s");
            assert_eq!(a.time.raw, "1544006350");
            assert_eq!(b.body, "Link:https://telegram.org/");
            assert_eq!(utc(b), "2018-12-05T10:49:24Z");
            // No id in the file: derived from the byte offset, which the range confirms.
            let bytes = std::fs::read(&path).expect("read");
            let Location::Bytes { start, end, .. } = b.provenance.location else {
                panic!("not bytes")
            };
            assert_eq!(b.id, format!("B{start}"));
            let slice = bytes.get(start as usize..end as usize).expect("range");
            assert!(slice.starts_with(b"{") && slice.ends_with(b"}"));
            let v: Value = serde_json::from_slice(slice).expect("object");
            assert_eq!(v["from"], "Author 2");
            // Entities are kept in extra.
            assert_eq!(b.extra["text"][1]["type"], "link");
        }
    }

    #[test]
    fn langchain_result_json() {
        let path = fixture(
            "telegram-json",
            "langchain-ai__langchain-community/libs/community/tests/unit_tests/chat_loaders/data/telegram_chat_json/result.json",
        );
        let out = parse_path(SRC, &path, &Options::default());
        assert_eq!(out.conversations.len(), 1);
        let c = &out.conversations[0];
        assert_eq!(c.id, "5965280513");
        assert_eq!(c.title.as_deref(), Some("Jimmeny"));
        assert_eq!(c.kind.as_deref(), Some("personal_chat"));
        assert_eq!(out.messages.len(), 4);
        let senders: Vec<_> = out
            .messages
            .iter()
            .map(|m| m.sender.name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            senders,
            [
                "Jimmeny Marvelton",
                "Batman & Robin",
                "Jimmeny Marvelton",
                "Jimmeny Marvelton"
            ]
        );
        assert_eq!(
            out.messages[1].sender.account.as_deref(),
            Some("user6565661032")
        );
        assert_eq!(out.messages[0].id, "1");
        assert_eq!(utc(&out.messages[0]), "2023-08-23T20:11:23Z");
        assert_eq!(utc(&out.messages[3]), "2023-08-23T20:15:53Z");
        assert_eq!(out.messages[3].body, "you will not trick me this time");
        // `date` (local time of the exporting computer) is kept; plain-only entities are not.
        assert_eq!(out.messages[0].extra["date"], "2023-08-23T13:11:23");
        assert!(out.messages[0].extra.get("text_entities").is_none());
        assert_eq!(
            out.messages[0].provenance.location,
            Location::Bytes {
                start: 84,
                end: 404,
                line: Some(6)
            }
        );
        assert!(
            out.messages
                .iter()
                .all(|m| m.direction == Direction::Unknown)
        );
        // With the owner named, directions follow.
        let opts = Options {
            owner: vec!["user123450513".into()],
            ..Options::default()
        };
        let out = parse_path(SRC, &path, &opts);
        let dirs: Vec<_> = out.messages.iter().map(|m| m.direction).collect();
        assert_eq!(
            dirs,
            [
                Direction::Outgoing,
                Direction::Incoming,
                Direction::Outgoing,
                Direction::Outgoing
            ]
        );
    }

    #[test]
    fn old_export_without_unixtime_uses_wall_clock() {
        let path = fixture(
            "telegram-json",
            "langchain-ai__langchain-community/libs/community/tests/unit_tests/document_loaders/test_docs/telegram.json",
        );
        let out = parse_path(SRC, &path, &Options::default());
        assert_eq!(out.messages.len(), 3);
        let m = &out.messages[0];
        assert_eq!(m.id, "1980499");
        assert_eq!(m.time.unit, "wall");
        assert_eq!(m.time.raw, "2020-01-01T00:00:02");
        assert_eq!(m.time.zone_basis, "guessed");
        assert_eq!(utc(m), "2019-12-31T16:00:02Z");
        assert_eq!(m.sender.account.as_deref(), Some("4325636679"));
        // The file's double-encoded names are kept as written (Telegram does not do this;
        // the fixture was saved that way).
        assert_eq!(out.conversations[0].title.as_deref(), Some("Grace ðŸ§¤"));
        assert_eq!(
            out.messages[2].sender.name.as_deref(),
            Some("Grace ðŸ§¤ ðŸ\u{8d}’")
        );
        assert_eq!(utc(&out.messages[2]), "2019-12-31T16:00:05Z");
        assert!(out.warnings.iter().any(|w| w.contains("wall-clock")));
        // The zone given by the examiner is used and marked so.
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let out = parse_path(SRC, &path, &opts);
        assert_eq!(utc(&out.messages[0]), "2019-12-31T23:00:02Z");
        assert_eq!(out.messages[0].time.zone_basis, "given");
    }

    #[test]
    fn tg_parser_personal_chat_and_topics() {
        let out = parse_path(
            SRC,
            &fixture(
                "telegram-json",
                "mdemyanov__tg-parser/tests/fixtures/personal_chat.json",
            ),
            &Options::default(),
        );
        assert_eq!(out.messages.len(), 5);
        assert_eq!(out.messages[2].body, "Check this important message");
        assert_eq!(out.messages[2].extra["text"][1]["type"], "bold");
        assert_eq!(out.messages[3].reply_to.as_deref(), Some("3"));
        let call = &out.messages[4];
        assert_eq!(call.kind, MessageKind::Call);
        assert_eq!(call.body, "phone_call");
        assert_eq!(call.sender.name.as_deref(), Some("Alice"));
        assert_eq!(call.sender.account.as_deref(), Some("user111"));
        assert_eq!(utc(&out.messages[0]), "2024-01-15T10:50:00Z");
        assert_eq!(utc(call), "2024-01-16T10:00:00Z");
        assert_eq!(
            out.conversations[0].participants,
            vec![Party {
                name: Some("Test User".into()),
                account: Some("user123456789".into())
            }]
        );

        let out = parse_path(
            SRC,
            &fixture(
                "telegram-json",
                "mdemyanov__tg-parser/tests/fixtures/supergroup_with_topics.json",
            ),
            &Options::default(),
        );
        assert_eq!(out.messages.len(), 7);
        assert_eq!(
            out.conversations[0].kind.as_deref(),
            Some("private_supergroup")
        );
        let kinds: Vec<_> = out.messages.iter().map(|m| m.kind).collect();
        use MessageKind::*;
        assert_eq!(kinds, [System, System, Text, System, Text, Text, Text]);
        assert_eq!(out.messages[0].body, "create_group (title: Test Group)");
        assert_eq!(out.messages[3].body, "topic_created (title: Finances)");
        assert_eq!(out.messages[5].reply_to.as_deref(), Some("4"));
        assert_eq!(out.messages[5].extra["reactions"][0]["emoji"], "👍");
        assert_eq!(utc(&out.messages[6]), "2024-01-11T09:00:00Z");
    }

    #[test]
    fn times_across_a_dst_change() {
        // Berlin went from +01:00 to +02:00 at 2023-03-26T01:00:00Z. Epochs are instants; the
        // offset shown is the given zone's at that instant. An old export's wall time in the
        // gap (02:30 never happened) is read with the offset before it, i.e. as 03:30+02:00;
        // in the fold (02:30 happened twice) the earlier one is taken.
        let data = br#"{"messages": [
 {"id": 1, "type": "message", "date": "2023-03-26T01:59:59", "date_unixtime": "1679792399", "text": "a"},
 {"id": 2, "type": "message", "date": "2023-03-26T03:00:01", "date_unixtime": "1679792401", "text": "b"},
 {"id": 3, "type": "message", "date": "2023-03-26T02:30:00", "text": "c"},
 {"id": 4, "type": "message", "date": "2023-10-29T02:30:00", "text": "d"},
 {"id": 5, "type": "message", "date_unixtime": "not a number", "text": "e"}
]}"#;
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let out = parse_bytes(SRC, data, &opts);
        let got: Vec<_> = out
            .messages
            .iter()
            .map(|m| {
                (
                    m.time.utc.as_deref().unwrap_or("-"),
                    m.time.offset.as_deref().unwrap_or("-"),
                    m.time.zone_basis.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2023-03-26T00:59:59Z", "+01:00", "source"),
                ("2023-03-26T01:00:01Z", "+02:00", "source"),
                ("2023-03-26T01:30:00Z", "+02:00", "given"),
                ("2023-10-29T00:30:00Z", "+02:00", "given"),
                ("-", "-", "unknown"),
            ]
        );
        assert_eq!(out.messages[4].time.raw, "not a number");
        assert_eq!(out.messages[0].extra["date"], "2023-03-26T01:59:59");
    }

    /// Built from Telegram Desktop's JSON writer (export_output_json.cpp): an account export
    /// with personal information, contacts, sessions, two chats and a left channel, media of
    /// each kind, a poll, a location, a contact, an edit, a forward and a payment.
    const ACCOUNT: &str = r#"{
 "about": "Here is the data you requested.",
 "personal_information": {"user_id": 111, "first_name": "Li", "last_name": "Wei", "phone_number": "+86 138 0000 0000", "bio": ""},
 "contacts": {"about": "x", "list": [
  {"user_id": 222, "first_name": "Zhang", "last_name": "San", "phone_number": "+86 139 0000 0001", "date": "2023-03-01T10:00:00", "date_unixtime": "1677636000"}
 ]},
 "sessions": {"about": "x", "list": [{"last_ip": "203.0.113.9"}]},
 "chats": {"about": "x", "list": [
  {"name": "Zhang San", "type": "personal_chat", "id": 222, "messages": [
   {"id": 10, "type": "message", "date": "2023-03-26T01:59:59", "date_unixtime": "1679767199", "edited": "2023-03-26T03:00:01", "edited_unixtime": "1679792401", "from": "Zhang San", "from_id": "user222", "text": "转账 50000 到安全账户", "text_entities": [{"type": "plain", "text": "转账 50000 到安全账户"}]},
   {"id": 11, "type": "message", "date_unixtime": "1679767300", "from": "Li Wei", "from_id": "user111", "photo": "photos/photo_1.jpg", "photo_file_size": 12345, "width": 800, "height": 600, "text": ""},
   {"id": 12, "type": "message", "date_unixtime": "1679767301", "from": "Zhang San", "from_id": "user222", "file": "(File not included. Change data exporting settings to download.)", "file_name": "voice.ogg", "file_size": 999, "media_type": "voice_message", "mime_type": "audio/ogg", "duration_seconds": 3, "text": ""},
   {"id": 13, "type": "message", "date_unixtime": "1679767302", "from": "Zhang San", "from_id": "user222", "file": "stickers/s.webp", "media_type": "sticker", "sticker_emoji": "😀", "text": ""},
   {"id": 14, "type": "message", "date_unixtime": "1679767303", "from": "Zhang San", "from_id": "user222", "forwarded_from": "Bank Notice", "reply_to_message_id": 11, "text": ["see ", {"type": "text_link", "text": "here", "href": "https://example.com/x"}], "text_entities": [{"type": "plain", "text": "see "}, {"type": "text_link", "text": "here", "href": "https://example.com/x"}]},
   {"id": 15, "type": "message", "date_unixtime": "1679767304", "from": "Zhang San", "from_id": "user222", "location_information": {"latitude": 31.2, "longitude": 121.5}, "text": ""},
   {"id": 16, "type": "message", "date_unixtime": "1679767305", "from": "Li Wei", "from_id": "user111", "contact_information": {"first_name": "Wang", "last_name": "Wu", "phone_number": "+86 137"}, "text": ""},
   {"id": 17, "type": "message", "date_unixtime": "1679767306", "from": "Zhang San", "from_id": "user222", "poll": {"question": "Invest?", "closed": false, "total_voters": 1, "answers": [{"text": "Yes", "voters": 1, "chosen": true}, {"text": "No", "voters": 0, "chosen": false}]}, "text": ""},
   {"id": 18, "type": "service", "date_unixtime": "1679767307", "action": "send_payment", "amount": 5000000, "currency": "CNY", "invoice_message_id": 17, "text": ""},
   {"id": 19, "type": "unsupported"},
   {"id": 20, "type": "message", "date_unixtime": "1679767308", "from": "Zhang San", "from_id": "user222", "forwarded_from": null, "text": "a\x0Bb"}
  ]},
  {"name": "Empty", "type": "private_group", "id": 333, "messages": []}
 ]},
 "left_chats": {"about": "x", "list": [
  {"name": "Old channel", "type": "public_channel", "id": 444, "messages": [
   {"id": 1, "type": "service", "date_unixtime": "1600000000", "actor": "Old channel", "actor_id": "channel444", "action": "create_channel", "title": "Old channel", "text": ""}
  ]}
 ]}
}"#;

    #[test]
    fn account_export_documented_shape() {
        let out = parse_bytes(SRC, ACCOUNT.as_bytes(), &Options::default());
        assert!(out.unparsed.is_empty(), "{:?}", out.unparsed);
        let convs: Vec<_> = out.conversations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(convs, ["contacts", "222", "333", "444"]);
        assert_eq!(out.messages.len(), 1 + 11 + 1);
        let contact = &out.messages[0];
        assert_eq!(contact.kind, MessageKind::Contact);
        assert_eq!(contact.body, "Zhang San, +86 139 0000 0001");
        assert_eq!(contact.id, "user222");
        assert_eq!(utc(contact), "2023-03-01T02:00:00Z");
        let by_id = |c: &str, id: &str| {
            out.messages
                .iter()
                .find(|m| m.conversation == c && m.id == id)
                .unwrap_or_else(|| panic!("no {c}/{id}"))
        };
        let m = by_id("222", "10");
        assert_eq!(m.direction, Direction::Incoming);
        assert_eq!(m.body, "转账 50000 到安全账户");
        let e = m.edited.as_ref().expect("edited");
        assert_eq!(e.utc.as_deref(), Some("2023-03-26T01:00:01Z"));
        assert_eq!(m.extra["edited"], "2023-03-26T03:00:01");
        assert_eq!(m.extra["json_pointer"], "/chats/list/0/messages/0");
        let m = by_id("222", "11");
        assert_eq!(m.direction, Direction::Outgoing);
        assert_eq!(m.kind, MessageKind::Image);
        assert_eq!(m.attachments[0].name.as_deref(), Some("photos/photo_1.jpg"));
        assert_eq!(m.attachments[0].size, Some(12345));
        let m = by_id("222", "12");
        assert_eq!(m.kind, MessageKind::Voice);
        assert!(m.attachments[0].omitted);
        assert_eq!(m.attachments[0].name.as_deref(), Some("voice.ogg"));
        assert_eq!(m.attachments[0].mime.as_deref(), Some("audio/ogg"));
        let m = by_id("222", "13");
        assert_eq!((m.kind, m.body.as_str()), (MessageKind::Sticker, "😀"));
        let m = by_id("222", "14");
        assert_eq!(m.body, "see here");
        assert_eq!(m.forwarded_from.as_deref(), Some("Bank Notice"));
        assert_eq!(m.reply_to.as_deref(), Some("11"));
        assert_eq!(m.extra["text_entities"][1]["href"], "https://example.com/x");
        let m = by_id("222", "15");
        assert_eq!(
            (m.kind, m.body.as_str()),
            (MessageKind::Location, "31.2, 121.5")
        );
        let m = by_id("222", "16");
        assert_eq!(
            (m.kind, m.body.as_str()),
            (MessageKind::Contact, "Wang Wu +86 137")
        );
        let m = by_id("222", "17");
        assert_eq!(m.kind, MessageKind::Poll);
        assert_eq!(
            m.body,
            "Invest?\n- Yes (1 voters, chosen by the exporting account)\n- No (0 voters)"
        );
        let m = by_id("222", "18");
        assert_eq!(m.kind, MessageKind::Transfer);
        assert_eq!(
            m.body,
            "send_payment (amount: 5000000, currency: CNY, invoice_message_id: 17)"
        );
        assert_eq!(m.money, None);
        let m = by_id("222", "19");
        assert_eq!(m.kind, MessageKind::System);
        assert_eq!(m.time.utc, None);
        let m = by_id("222", "20");
        assert_eq!(m.body, "a\u{b}b");
        assert_eq!(
            m.forwarded_from.as_deref(),
            Some("(name not given in the export)")
        );
        let m = by_id("444", "1");
        assert_eq!(m.sender.account.as_deref(), Some("channel444"));
        assert_eq!(m.extra["json_pointer"], "/left_chats/list/0/messages/0");
        assert!(out.warnings.iter().any(|w| w.contains("sessions")));
        assert!(out.warnings.iter().any(|w| w.contains("user111")));
    }

    #[test]
    fn byte_ranges_slice_back_to_each_message() {
        let out = parse_bytes(SRC, ACCOUNT.as_bytes(), &Options::default());
        for m in &out.messages {
            let Location::Bytes { start, end, line } = m.provenance.location else {
                panic!("not bytes")
            };
            let slice = ACCOUNT
                .as_bytes()
                .get(start as usize..end as usize)
                .expect("range");
            assert!(slice.starts_with(b"{") && slice.ends_with(b"}"), "{}", m.id);
            let before = ACCOUNT.as_bytes().get(..start as usize).expect("prefix");
            let lines = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert_eq!(line, Some(lines));
        }
    }

    #[test]
    fn sniffing() {
        let dir = tempfile::tempdir().expect("tmp");
        let score = |data: &[u8]| {
            let p = dir.path().join("x.json");
            std::fs::write(&p, data).expect("write");
            SRC.sniff(&Input::open(&p).expect("open"))
        };
        assert!(score(ACCOUNT.as_bytes()) >= 90);
        for f in [
            "joweich__chat-miner/test/telegram/test_single_export.json",
            "langchain-ai__langchain-community/libs/community/tests/unit_tests/document_loaders/test_docs/telegram.json",
        ] {
            let data = std::fs::read(fixture("telegram-json", f)).expect("read");
            assert!(score(&data) >= 80, "{f}");
        }
        assert_eq!(score(b"[1,2]"), 0);
        assert!(score(br#"{"messages": [{"sender_name": "a", "timestamp_ms": 1}]}"#) < 50);
        assert!(
            score(
                br#"{"guild": {}, "channel": {}, "messages": [{"author": {}, "type": "Default"}]}"#
            ) < 50
        );
    }

    #[test]
    fn broken_inputs_do_not_panic() {
        // Truncated inside the second message: the first survives, the rest is Unparsed.
        let data = br#"{"name": "x", "id": 1, "messages": [{"id": 1, "date_unixtime": "1", "text": "ok"}, {"id": 2, "text": "cut"#;
        let out = parse_bytes(SRC, data, &Options::default());
        assert_eq!(out.messages.len(), 1);
        assert_eq!(out.unparsed.len(), 1);
        let u = &out.unparsed[0];
        assert!(u.reason.contains("end of file"), "{}", u.reason);
        assert_eq!(
            u.provenance.location,
            Location::Bytes {
                start: 83,
                end: data.len() as u64,
                line: Some(1)
            }
        );
        assert!(u.excerpt.starts_with("{\"id\": 2"));
        // A broken message between good ones is isolated.
        let data = br#"{"messages": [{"id": 1, "text": "a"}, {"id": 2, "text": 01}, 5, {"id": 3, "text": "c"}]} trailing"#;
        let out = parse_bytes(SRC, data, &Options::default());
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.unparsed.len(), 3, "{:?}", out.unparsed);
        // Sections of the wrong shape are kept as Unparsed, not skipped.
        let data = br#"{"chats": {"list": {"oops": 1}}, "contacts": {"list": 5}, "messages": 3}"#;
        let out = parse_bytes(SRC, data, &Options::default());
        assert_eq!(out.unparsed.len(), 3, "{:?}", out.unparsed);
        // Not JSON at all, or not an object: a format error with a location.
        for bad in [&b"garbage"[..], b"", b"[]", b"\xff\xfe{\x00"] {
            let err = super::super::common_json::testutil::parse_err(SRC, bad);
            assert!(matches!(err, SourceError::Format { .. }), "{err}");
        }
        // Wrong encoding inside a message: kept with replacement characters, flagged.
        let out = parse_bytes(
            SRC,
            b"{\"messages\": [{\"id\": 1, \"text\": \"\xd7\xaa\xd5\xcb\"}]}",
            &Options::default(),
        );
        assert_eq!(out.messages.len(), 1);
        assert_eq!(out.messages[0].extra["lossy_utf8"], true);
        // A huge message is measured and skipped, the next one read.
        let mut big = b"{\"messages\": [{\"text\": \"".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_RECORD + 10));
        big.extend_from_slice(b"\"}, {\"id\": 9, \"text\": \"after\"}]}");
        let out = parse_bytes(SRC, &big, &Options::default());
        assert_eq!(out.unparsed.len(), 1);
        assert!(out.unparsed[0].reason.contains("larger than"));
        assert_eq!(out.messages.len(), 1);
        assert_eq!(out.messages[0].body, "after");
    }

    #[test]
    fn real_export_if_present() {
        // Larger exports in the shared corpus, if someone added any; checked for panics only.
        let Some(dir) = corpus("telegram-json") else {
            eprintln!("SKIP: ../shared/corpus/telegram-json absent");
            return;
        };
        for entry in walk_json(&dir) {
            let input = Input::open(&entry).expect("open");
            let mut out = crate::Collect::default();
            let _ = SRC.parse(&input, &Options::default(), &mut out);
        }
    }

    fn walk_json(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.extend(walk_json(&p));
                } else if p.extension().is_some_and(|x| x == "json") {
                    out.push(p);
                }
            }
        }
        out
    }
}
