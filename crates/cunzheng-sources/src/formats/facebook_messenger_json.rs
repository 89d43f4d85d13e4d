//! Facebook Messenger and Instagram direct messages from Meta's "Download your information"
//! (JSON): one `message_N.json` per slice of a thread.
//!
//! Shape: `{participants: [{name}], messages: [{sender_name, timestamp_ms, content, photos,
//! videos, audio_files, gifs, files, sticker, share, reactions, is_unsent, type,
//! call_duration, users, …}], title, is_still_participant, thread_path, thread_type, image,
//! …}`, newest message first. Meta writes every string as UTF-8 bytes escaped one by one
//! (`"\u00e5\u0088\u0098"` for 刘), so text is repaired: a string whose characters are all
//! below U+0100 is re-encoded to bytes and, when those are valid UTF-8, decoded as such.
//!
//! `title` and `thread_path` come after `messages`, so the file is read twice: once for the
//! thread's fields (skipping messages), then for the messages, one at a time.

use cunzheng_model::{Attachment, Conversation, Message, MessageKind, Party, Platform};
use serde_json::{Map, Value};

use super::common_json::{
    RawValue, ScanError, Scanner, Span, broken_tail, direction, int_of, is_owner, parse_element,
    text_of, unparsed,
};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// Facebook Messenger / Instagram JSON.
pub struct FacebookMessengerJson;

/// Path prefix of media in Instagram's export layout (Messenger's is `messages/` or
/// `your_facebook_activity/`).
const INSTAGRAM_MEDIA: &[u8] = b"your_instagram_activity/";

impl Source for FacebookMessengerJson {
    fn id(&self) -> &'static str {
        "facebook-messenger-json"
    }
    fn name(&self) -> &'static str {
        "Facebook Messenger / Instagram JSON"
    }
    fn description(&self) -> &'static str {
        "Meta \"Download your information\" message files in JSON (message_1.json, …) for \
         Facebook Messenger and Instagram direct messages: participants, title, thread path, \
         and each message's sender name, millisecond time, text, photos, videos, audio, GIFs, \
         files, stickers, shared links, calls, joins and leaves, unsent messages and reactions. \
         Repairs Meta's double-encoded text (UTF-8 bytes written as \\u00XX). Platform is \
         Instagram when the file's path (its last six components, or its path inside a \
         container) names Instagram or its media paths start with your_instagram_activity/, \
         else Messenger (a warning says which rule decided). Messages \
         keep the file's order (newest first); senders have names only, no account ids; the \
         owner is only known when given. Also reads the camelCase fields of the newer \
         end-to-end-encrypted Messenger download (senderName, timestamp, text, media, isUnsent; \
         unexercised). Not read: the HTML download, media files themselves."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["message_*.json", "*.json"]
    }
    fn tier(&self) -> Tier {
        // Field names from third-party documentation and fixtures of other tools.
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
        if text.contains("\"sender_name\"") {
            score += 40;
        }
        if text.contains("\"timestamp_ms\"") {
            score += 40;
        }
        if text.contains("\"senderName\"")
            && text.contains("\"timestamp\"")
            && (text.contains("\"isUnsent\"") || text.contains("\"threadName\""))
        {
            score += 80;
        }
        if text.contains("\"participants\"") {
            score += 10;
        }
        if text.contains("\"thread_path\"") || text.contains("\"is_still_participant\"") {
            score += 20;
        }
        score.min(100) as u8
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let (zone, zone_warning) = Zone::from_options(opts);
        if let Some(w) = zone_warning {
            sink.warning(w);
        }
        let tag = self.parser_tag();
        // Pass 1: the thread's own fields, and whether any media path is Instagram's.
        let mut thread = Thread::default();
        let mut scanner = Scanner::open(input)?;
        // A break after the opening `{` is met and recorded again by pass 2; before it, the
        // file is not this format and `broken_tail` returns the error.
        if let Err(e) = thread_fields(&mut scanner, &mut thread)
            && !thread.started
        {
            broken_tail(input, &tag, &scanner, &e, false)?;
        }
        let (platform, basis) = platform(input, &thread);
        sink.warning(basis);
        let mut ctx = Ctx {
            input,
            opts,
            sink,
            tag,
            zone,
            conv: String::new(),
            seen: 0,
            repaired: 0,
            lossy: 0,
        };
        ctx.conv = conversation(&mut ctx, &thread, platform);
        let mut scanner = Scanner::open(input)?;
        if let Err(e) = walk(&mut scanner, &mut ctx) {
            let u = broken_tail(input, &ctx.tag, &scanner, &e, true)?;
            ctx.sink.unparsed(u);
        }
        if ctx.repaired > 0 {
            ctx.sink.warning(format!(
                "{} message(s) had Meta's double-encoded text repaired (extra.mojibake_repaired); \
                 the file's bytes are unchanged",
                ctx.repaired
            ));
        }
        if ctx.lossy > 0 {
            ctx.sink.warning(format!(
                "{} message(s) held invalid UTF-8; the bad bytes were replaced by U+FFFD (extra.lossy_utf8)",
                ctx.lossy
            ));
        }
        Ok(())
    }
}

/// What pass 1 found.
#[derive(Default)]
struct Thread {
    started: bool,
    fields: Map<String, Value>,
    instagram_media: bool,
}

fn thread_fields(s: &mut Scanner, t: &mut Thread) -> Result<(), ScanError> {
    s.enter_object()?;
    t.started = true;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        if key == "messages" && s.peek_token()? == Some(b'[') {
            s.enter_array()?;
            let mut f = true;
            while s.next_item(&mut f)? {
                let raw = s.read_value(MAX_RECORD)?;
                if !t.instagram_media
                    && let Some(b) = &raw.bytes
                {
                    t.instagram_media = b
                        .windows(INSTAGRAM_MEDIA.len())
                        .any(|w| w == INSTAGRAM_MEDIA);
                }
            }
            continue;
        }
        let raw = s.read_value(MAX_RECORD)?;
        if let Some(Ok((v, _))) = raw.bytes.as_deref().map(parse_element) {
            t.fields.insert(key, v);
        }
    }
    Ok(())
}

/// Instagram or Messenger, and why (the two share this layout; see the module notes).
fn platform(input: &Input, t: &Thread) -> (Platform, String) {
    // Meta's own folders (`instagram-<user>-<date>/your_instagram_activity/messages/inbox/
    // <thread>/message_1.json`) sit within the last six components; higher up is the
    // examiner's disk, whose names say nothing about the file.
    let components: Vec<String> = input
        .path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let tail = components
        .get(components.len().saturating_sub(6)..)
        .unwrap_or(&[])
        .join("/");
    let path = format!("{tail}/{}", input.inner_path.as_deref().unwrap_or("")).to_lowercase();
    let image_uri = t
        .fields
        .get("image")
        .and_then(|i| text_of(i.get("uri")))
        .unwrap_or_default();
    if path.contains("instagram") {
        (
            Platform::Instagram,
            "platform Instagram: the file's path names Instagram".to_owned(),
        )
    } else if t.instagram_media || image_uri.starts_with("your_instagram_activity/") {
        (
            Platform::Instagram,
            "platform Instagram: media paths start with your_instagram_activity/".to_owned(),
        )
    } else {
        (
            Platform::Messenger,
            "platform Messenger: neither the file's path nor its media paths name Instagram \
             (Messenger and Instagram downloads share this layout)"
                .to_owned(),
        )
    }
}

struct Ctx<'a> {
    input: &'a Input,
    opts: &'a Options,
    sink: &'a mut dyn Sink,
    tag: String,
    zone: Zone,
    conv: String,
    seen: u64,
    repaired: u64,
    lossy: u64,
}

/// Meta's mojibake undone: characters all below U+0100 taken as bytes, decoded as UTF-8 when
/// they are valid UTF-8. Anything else (real Latin-1 text, CJK) is left as is.
pub(crate) fn repair(s: &str) -> Option<String> {
    if s.is_ascii() || s.chars().any(|c| u32::from(c) > 0xFF) {
        return None;
    }
    let bytes: Vec<u8> = s.chars().map(|c| u32::from(c) as u8).collect();
    String::from_utf8(bytes).ok()
}

/// Repairs every string in `v` (keys too); returns whether any changed.
fn repair_value(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match repair(s) {
            Some(r) => {
                *s = r;
                true
            }
            None => false,
        },
        Value::Array(a) => a.iter_mut().fold(false, |acc, x| repair_value(x) | acc),
        Value::Object(o) => {
            let mut changed = false;
            let old = std::mem::take(o);
            for (k, mut x) in old {
                changed |= repair_value(&mut x);
                let k = match repair(&k) {
                    Some(r) => {
                        changed = true;
                        r
                    }
                    None => k,
                };
                o.insert(k, x);
            }
            changed
        }
        _ => false,
    }
}

fn conversation(ctx: &mut Ctx, t: &Thread, platform: Platform) -> String {
    let mut f = Value::Object(t.fields.clone());
    repair_value(&mut f);
    let title = text_of(f.get("title")).or_else(|| text_of(f.get("threadName")));
    let id = text_of(f.get("thread_path"))
        .or_else(|| title.clone())
        .unwrap_or_else(|| "thread".to_owned());
    let participants = match f.get("participants") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|p| text_of(p.get("name")).or_else(|| text_of(Some(p))))
            .map(|name| Party {
                name: Some(name),
                account: None,
            })
            .collect(),
        _ => Vec::new(),
    };
    ctx.sink.conversation(Conversation {
        platform,
        id: id.clone(),
        title,
        kind: text_of(f.get("thread_type")),
        participants,
    });
    id
}

fn walk(s: &mut Scanner, ctx: &mut Ctx) -> Result<(), ScanError> {
    s.enter_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        if key != "messages" {
            s.skip_value()?;
            continue;
        }
        if s.peek_token()? != Some(b'[') {
            let raw = s.read_value(MAX_RECORD)?;
            let u = unparsed(
                ctx.input,
                &ctx.tag,
                &raw,
                "`messages` is not an array".into(),
            );
            ctx.sink.unparsed(u);
            continue;
        }
        s.enter_array()?;
        let mut f = true;
        while s.next_item(&mut f)? {
            let raw = s.read_value(MAX_RECORD)?;
            let pointer = format!("/messages/{}", ctx.seen);
            ctx.seen += 1;
            element(ctx, &raw, pointer);
        }
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
        let u = unparsed(
            ctx.input,
            &ctx.tag,
            &raw,
            "data after the end of the JSON document".into(),
        );
        ctx.sink.unparsed(u);
    }
    Ok(())
}

fn element(ctx: &mut Ctx, raw: &RawValue, pointer: String) {
    let Some(bytes) = raw.bytes.as_deref() else {
        let u = unparsed(
            ctx.input,
            &ctx.tag,
            raw,
            format!("{pointer}: message larger than {MAX_RECORD} bytes"),
        );
        ctx.sink.unparsed(u);
        return;
    };
    match parse_element(bytes) {
        Ok((mut v @ Value::Object(_), lossy)) => {
            let repaired = repair_value(&mut v);
            if repaired {
                ctx.repaired += 1;
            }
            if lossy {
                ctx.lossy += 1;
            }
            if let Value::Object(m) = v {
                let msg = message(ctx, m, raw.span, pointer, repaired, lossy);
                ctx.sink.message(msg);
            }
        }
        Ok(_) => {
            let u = unparsed(
                ctx.input,
                &ctx.tag,
                raw,
                format!("{pointer}: message is not an object"),
            );
            ctx.sink.unparsed(u);
        }
        Err(e) => {
            let u = unparsed(ctx.input, &ctx.tag, raw, format!("{pointer}: {e}"));
            ctx.sink.unparsed(u);
        }
    }
}

fn uri_attachments(v: Option<&Value>) -> Vec<Attachment> {
    let one = |x: &Value| Attachment {
        name: text_of(x.get("uri")),
        mime: None,
        size: None,
        item_sha256: None,
        omitted: false,
    };
    match v {
        Some(Value::Array(list)) => list.iter().map(one).collect(),
        Some(x @ Value::Object(_)) => vec![one(x)],
        _ => Vec::new(),
    }
}

/// Kind of a media item by extension (for the E2EE download's untyped `media` list).
fn kind_of_uri(uri: &str) -> MessageKind {
    let lower = uri.to_ascii_lowercase();
    match lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("") {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "heic" => MessageKind::Image,
        "mp4" | "mov" | "webm" => MessageKind::Video,
        "aac" | "m4a" | "mp3" | "ogg" | "opus" | "wav" => MessageKind::Voice,
        _ => MessageKind::File,
    }
}

fn message(
    ctx: &mut Ctx,
    mut m: Map<String, Value>,
    span: Span,
    pointer: String,
    repaired: bool,
    lossy: bool,
) -> Message {
    let pick = |m: &Map<String, Value>, a: &str, b: &str| {
        if m.contains_key(a) {
            a.to_owned()
        } else {
            b.to_owned()
        }
    };
    let name_key = pick(&m, "sender_name", "senderName");
    let sender = Party {
        name: text_of(m.get(&name_key)),
        account: None,
    };
    m.remove(&name_key);
    let time_key = pick(&m, "timestamp_ms", "timestamp");
    let time = match m.get(&time_key) {
        Some(v) => {
            let raw = text_of(Some(v)).unwrap_or_else(|| v.to_string());
            match int_of(Some(v)) {
                Some(ms) => ctx.zone.epoch(&raw, "unix_ms", ms),
                None => unresolved(&raw, "unix_ms"),
            }
        }
        None => unresolved("", "unix_ms"),
    };
    m.remove(&time_key);
    let text_key = pick(&m, "content", "text");
    let content = text_of(m.get(&text_key)).unwrap_or_default();
    m.remove(&text_key);
    let unsent = [m.get("is_unsent"), m.get("isUnsent")].contains(&Some(&Value::Bool(true)));
    let ty = text_of(m.get("type")).unwrap_or_default();

    let mut attachments = Vec::new();
    let mut kind = MessageKind::Text;
    for (key, k) in [
        ("photos", MessageKind::Image),
        ("gifs", MessageKind::Image),
        ("videos", MessageKind::Video),
        ("audio_files", MessageKind::Voice),
        ("files", MessageKind::File),
        ("sticker", MessageKind::Sticker),
    ] {
        let found = uri_attachments(m.get(key));
        if !found.is_empty() && attachments.is_empty() {
            kind = k;
        }
        attachments.extend(found);
    }
    let media = uri_attachments(m.get("media"));
    if let Some(first) = media.first()
        && attachments.is_empty()
    {
        kind = kind_of_uri(first.name.as_deref().unwrap_or(""));
    }
    attachments.extend(media);
    let share = m.get("share").and_then(Value::as_object);
    let mut body = content;
    match ty.as_str() {
        "Call" => kind = MessageKind::Call,
        "Subscribe" | "Unsubscribe" => {
            kind = MessageKind::System;
            if body.is_empty() {
                let users: Vec<String> = match m.get("users") {
                    Some(Value::Array(u)) => {
                        u.iter().filter_map(|x| text_of(x.get("name"))).collect()
                    }
                    _ => Vec::new(),
                };
                body = format!("{ty}: {}", users.join(", "));
            }
        }
        _ => {
            if let Some(sh) = share
                && attachments.is_empty()
            {
                kind = MessageKind::Link;
                if body.is_empty() {
                    body = text_of(sh.get("link"))
                        .or_else(|| text_of(sh.get("share_text")))
                        .unwrap_or_default();
                }
            }
        }
    }
    if unsent {
        kind = MessageKind::Recalled;
        if body.is_empty() {
            body = "(unsent by the sender; the export keeps no content)".to_owned();
        }
    }
    m.insert("json_pointer".into(), pointer.into());
    if repaired {
        m.insert("mojibake_repaired".into(), true.into());
    }
    if lossy {
        m.insert("lossy_utf8".into(), true.into());
    }
    let mine = is_owner(&ctx.opts.owner, &sender);
    Message {
        id: format!("B{}", span.start),
        conversation: ctx.conv.clone(),
        direction: direction(!ctx.opts.owner.is_empty(), mine),
        sender,
        kind,
        body,
        time,
        attachments,
        reply_to: None,
        edited: None,
        forwarded_from: None,
        money: None,
        recovered: false,
        provenance: ctx.input.provenance(&ctx.tag, span.location()),
        extra: Value::Object(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::common_json::testutil::{fixture, parse_bytes, parse_err, parse_path};
    use cunzheng_model::{Direction, Location};

    const SRC: &FacebookMessengerJson = &FacebookMessengerJson;

    fn utc(m: &Message) -> &str {
        m.time.utc.as_deref().unwrap_or("-")
    }

    #[test]
    fn langchain_messenger_thread() {
        let path = fixture(
            "facebook-messenger-json",
            "langchain-ai__langchain-community/libs/community/tests/examples/facebook_chat.json",
        );
        let out = parse_path(SRC, &path, &Options::default());
        assert!(out.unparsed.is_empty());
        let c = &out.conversations[0];
        assert_eq!(c.platform, Platform::Messenger);
        assert_eq!(c.id, "inbox/User 1 and User 2 chat");
        assert_eq!(c.title.as_deref(), Some("User 1 and User 2 chat"));
        assert_eq!(c.participants.len(), 2);
        assert_eq!(c.participants[1].name.as_deref(), Some("User 2"));
        let m = &out.messages;
        assert_eq!(m.len(), 11);
        // Newest first, as in the file.
        assert_eq!(m[0].body, "Bye!");
        assert_eq!(m[0].sender.name.as_deref(), Some("User 2"));
        assert_eq!(utc(&m[0]), "2023-02-05T11:46:11.851Z");
        assert_eq!(m[0].time.raw, "1675597571851");
        assert_eq!(m[0].time.unit, "unix_ms");
        assert_eq!(m[0].time.offset.as_deref(), Some("+08:00"));
        assert_eq!(m[10].sender.name.as_deref(), Some("User 1"));
        assert_eq!(utc(&m[10]), "2023-02-04T22:17:02.673Z");
        assert_eq!(m[6].kind, MessageKind::Image);
        assert_eq!(m[6].body, "");
        assert_eq!(
            m[6].attachments[0].name.as_deref(),
            Some("url_of_some_picture.jpg")
        );
        assert_eq!(m[6].extra["photos"][0]["creation_timestamp"], 1675595059);
        assert_eq!(m[5].body, "Here is $129");
        assert_eq!(
            m.iter()
                .filter(|x| x.sender.name.as_deref() == Some("User 1"))
                .count(),
            5
        );
        assert!(
            out.warnings
                .iter()
                .any(|w| w.starts_with("platform Messenger"))
        );
        let Location::Bytes { start, line, .. } = m[0].provenance.location else {
            panic!("bytes")
        };
        assert_eq!(m[0].id, format!("B{start}"));
        assert_eq!(line, Some(4));
    }

    #[test]
    fn chat_miner_instagram_by_path() {
        let path = fixture(
            "facebook-messenger-json",
            "joweich__chat-miner/test/instagram/test_export.json",
        );
        let out = parse_path(SRC, &path, &Options::default());
        assert_eq!(out.conversations[0].platform, Platform::Instagram);
        assert_eq!(out.conversations[0].id, "thread");
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("path names Instagram"))
        );
        let m = &out.messages;
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].sender.name.as_deref(), Some("John Doe"));
        assert_eq!(m[0].body, "Hello Jane!");
        assert_eq!(utc(&m[0]), "2020-01-17T20:49:00Z");
        assert_eq!(m[1].sender.name.as_deref(), Some("Jane Doe"));
        assert_eq!(utc(&m[1]), "2019-12-24T11:23:00Z");
        let opts = Options {
            owner: vec!["Jane Doe".into()],
            ..Options::default()
        };
        let out = parse_path(SRC, &path, &opts);
        assert_eq!(out.messages[0].direction, Direction::Incoming);
        assert_eq!(out.messages[1].direction, Direction::Outgoing);
    }

    #[test]
    fn mojibake_repair() {
        assert_eq!(repair("\u{e5}\u{88}\u{98}").as_deref(), Some("刘"));
        assert_eq!(repair("caf\u{c3}\u{a9}").as_deref(), Some("café"));
        assert_eq!(repair("\u{f0}\u{9f}\u{98}\u{a2}").as_deref(), Some("😢"));
        assert_eq!(repair("café"), None); // real Latin-1 text: not valid UTF-8 as bytes
        assert_eq!(repair("刘"), None);
        assert_eq!(repair("plain"), None);
    }

    /// Built from the documented download format (no real Messenger sample has these types):
    /// double-encoded names and text, every media kind, a share, a call, a join, an unsent
    /// message and reactions.
    const THREAD: &str = r#"{
  "participants": [{"name": "Li Wei"}, {"name": "\u00e5\u0088\u0098\u00e5\u00bc\u00ba"}],
  "messages": [
    {"sender_name": "\u00e5\u0088\u0098\u00e5\u00bc\u00ba", "timestamp_ms": 1679792401000, "content": "\u00e8\u00bd\u00ac\u00e8\u00b4\u00a6 50000", "type": "Generic", "is_unsent": false, "reactions": [{"reaction": "\u00f0\u009f\u0098\u00a2", "actor": "Li Wei"}]},
    {"sender_name": "Li Wei", "timestamp_ms": 1679792399000, "type": "Generic", "is_unsent": true},
    {"sender_name": "Li Wei", "timestamp_ms": 1679792300000, "videos": [{"uri": "messages/inbox/x_1/videos/v.mp4", "creation_timestamp": 1679792300}], "type": "Generic"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679792200000, "audio_files": [{"uri": "messages/inbox/x_1/audio/a.mp4", "creation_timestamp": 1679792200}], "type": "Generic"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679792100000, "files": [{"uri": "messages/inbox/x_1/files/contract.pdf"}], "type": "Generic"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679792000000, "sticker": {"uri": "messages/stickers_used/1.png"}, "type": "Generic"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679791900000, "gifs": [{"uri": "messages/inbox/x_1/gifs/g.gif"}], "type": "Generic"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679791800000, "share": {"link": "https://example.com/invest"}, "type": "Share"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679791700000, "content": "Li Wei started a video call.", "call_duration": 120, "type": "Call"},
    {"sender_name": "Li Wei", "timestamp_ms": 1679791600000, "users": [{"name": "\u00e5\u0088\u0098\u00e5\u00bc\u00ba"}], "type": "Subscribe"},
    {"sender_name": "Li Wei", "timestamp_ms": "bad"}
  ],
  "title": "\u00e5\u0088\u0098\u00e5\u00bc\u00ba",
  "is_still_participant": true,
  "thread_path": "inbox/liuqiang_1234567890",
  "thread_type": "Regular"
}"#;

    #[test]
    fn documented_thread() {
        let out = parse_bytes(SRC, THREAD.as_bytes(), &Options::default());
        assert!(out.unparsed.is_empty());
        let c = &out.conversations[0];
        assert_eq!(c.title.as_deref(), Some("刘强"));
        assert_eq!(c.id, "inbox/liuqiang_1234567890");
        assert_eq!(c.kind.as_deref(), Some("Regular"));
        assert_eq!(c.participants[1].name.as_deref(), Some("刘强"));
        let m = &out.messages;
        use MessageKind::*;
        let kinds: Vec<_> = m.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [
                Text, Recalled, Video, Voice, File, Sticker, Image, Link, Call, System, Text
            ]
        );
        assert_eq!(m[0].sender.name.as_deref(), Some("刘强"));
        assert_eq!(m[0].body, "转账 50000");
        assert_eq!(m[0].extra["reactions"][0]["reaction"], "😢");
        assert_eq!(m[0].extra["mojibake_repaired"], true);
        assert_eq!(
            m[1].body,
            "(unsent by the sender; the export keeps no content)"
        );
        assert_eq!(
            m[4].attachments[0].name.as_deref(),
            Some("messages/inbox/x_1/files/contract.pdf")
        );
        assert_eq!(m[7].body, "https://example.com/invest");
        assert_eq!(m[8].extra["call_duration"], 120);
        assert_eq!(m[9].body, "Subscribe: 刘强");
        assert_eq!(m[10].time.utc, None);
        assert_eq!(m[10].time.raw, "bad");
        assert!(
            out.warnings
                .iter()
                .any(|w| w.starts_with("2 message(s) had Meta"))
        );
    }

    #[test]
    fn times_across_a_dst_change() {
        // Epoch milliseconds are instants; the shown offset follows the given zone's DST.
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let out = parse_bytes(SRC, THREAD.as_bytes(), &opts);
        let m = &out.messages;
        assert_eq!(utc(&m[0]), "2023-03-26T01:00:01Z");
        assert_eq!(m[0].time.offset.as_deref(), Some("+02:00"));
        assert_eq!(utc(&m[1]), "2023-03-26T00:59:59Z");
        assert_eq!(m[1].time.offset.as_deref(), Some("+01:00"));
        assert_eq!(m[1].time.zone_basis, "source");
    }

    #[test]
    fn instagram_by_media_path_and_e2ee_shape() {
        let data = br#"{"participants": ["a.user", "b.user"], "threadName": "a.user",
 "messages": [
  {"isUnsent": false, "media": [{"uri": "your_instagram_activity/messages/inbox/a_1/photos/1.jpg"}], "reactions": [], "senderName": "a.user", "text": "", "timestamp": 1700000000000, "type": "media"},
  {"isUnsent": false, "media": [], "reactions": [], "senderName": "b.user", "text": "hi", "timestamp": 1700000001000, "type": "text"}
 ]}"#;
        let out = parse_bytes(SRC, data, &Options::default());
        assert_eq!(out.conversations[0].platform, Platform::Instagram);
        assert_eq!(out.conversations[0].title.as_deref(), Some("a.user"));
        assert_eq!(out.conversations[0].participants.len(), 2);
        assert_eq!(out.messages[0].kind, MessageKind::Image);
        assert_eq!(out.messages[1].body, "hi");
        assert_eq!(out.messages[1].sender.name.as_deref(), Some("b.user"));
        assert_eq!(utc(&out.messages[1]), "2023-11-14T22:13:21Z");
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("your_instagram_activity"))
        );
    }

    #[test]
    fn sniffing() {
        let dir = tempfile::tempdir().expect("tmp");
        let score = |data: &[u8]| {
            let p = dir.path().join("x.json");
            std::fs::write(&p, data).expect("write");
            SRC.sniff(&Input::open(&p).expect("open"))
        };
        assert!(score(THREAD.as_bytes()) >= 90);
        let ig = std::fs::read(fixture(
            "facebook-messenger-json",
            "joweich__chat-miner/test/instagram/test_export.json",
        ))
        .expect("read");
        assert!(score(&ig) >= 80);
        assert!(
            score(
                br#"{"name": "x", "type": "personal_chat", "messages": [{"date_unixtime": "1"}]}"#
            ) < 50
        );
        assert!(score(br#"{"guild": {}, "channel": {}, "messages": []}"#) < 50);
    }

    #[test]
    fn broken_inputs_do_not_panic() {
        for cut in (0..THREAD.len()).step_by(53) {
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("x.json");
            std::fs::write(&p, THREAD.as_bytes().get(..cut).expect("prefix")).expect("write");
            let input = Input::open(&p).expect("open");
            let mut out = crate::Collect::default();
            let r = SRC.parse(&input, &Options::default(), &mut out);
            if cut > 0 {
                assert!(r.is_ok(), "cut at {cut}: {r:?}");
                assert_eq!(out.unparsed.len(), 1, "cut at {cut}");
            } else {
                assert!(r.is_err());
            }
        }
        assert!(matches!(
            parse_err(SRC, b"[1, 2]"),
            SourceError::Format { .. }
        ));
        let out = parse_bytes(
            SRC,
            b"{\"messages\": [{\"content\": \"\xe5\x88\"}, 7]}",
            &Options::default(),
        );
        assert_eq!(out.messages.len(), 1);
        assert_eq!(out.messages[0].extra["lossy_utf8"], true);
        assert_eq!(out.unparsed.len(), 1);
    }
}
