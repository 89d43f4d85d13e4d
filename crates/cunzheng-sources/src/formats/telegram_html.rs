//! Telegram Desktop's HTML export (`messages.html`, `messages2.html`, …): the default format
//! of "Export chat history".
//!
//! Mapping from Telegram Desktop's writer (`export_output_html.cpp`): at most 1,000 messages
//! per file; the chat name in `.page_header .text.bold`; each message a
//! `div.message` in `.history` with `id="message<N>"` (negative ids are date separators).
//! A `default` message holds `.body > .date.details[title]` (`dd.MM.yyyy hh:mm:ss`, newer
//! versions append ` UTC+hh:mm`, the exporting computer's offset), `.from_name` (left out on
//! `joined` messages: same sender as the one before, within 15 minutes), `.forwarded.body`
//! (original sender and the forwarded content), `.reply_to.details` (link to
//! `#go_to_message<N>`), `.media_wrap` (class names tell photo, video, voice, file, sticker,
//! call, contact, location, poll), `.text` (`<br>` for line breaks) and `.signature`. A
//! `service` message holds only `.body.details` text and no time of its own: it gets the
//! date of the separator above it, unresolved.
//!
//! A file is read whole (Telegram writes 1,000 messages per file, a few MB); a larger file is
//! refused with its size rather than held in memory. The HTML is parsed with scraper; byte
//! ranges for provenance come from a scan of the raw bytes for each message's opening tag.

use std::collections::HashMap;
use std::io::Read;
use std::sync::LazyLock;

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Party, Platform, Unparsed,
};
use jiff::Timestamp;
use jiff::civil::DateTime;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use serde_json::{Map, Value};

use super::common_json::{direction, is_owner};
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The Telegram Desktop HTML export parser.
pub struct TelegramHtml;

/// Largest file read: 64 times what 1,000 long messages take.
const MAX_FILE: u64 = 64 << 20;

static DATE_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{2}):(\d{2}))?$")
        .unwrap_or_else(|_| unreachable!("constant regex"))
});
static GO_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"go_to_message(\d+)").unwrap_or_else(|_| unreachable!("constant regex"))
});
static OPEN_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<div class="message [^"]*" id="message(-?\d+)""#)
        .unwrap_or_else(|_| unreachable!("constant regex"))
});

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|_| unreachable!("constant selector"))
}

static TITLE: LazyLock<Selector> = LazyLock::new(|| sel(".page_header .text.bold"));
static MESSAGES: LazyLock<Selector> = LazyLock::new(|| sel(".history > div.message"));
static DATE: LazyLock<Selector> = LazyLock::new(|| sel(".date.details"));

impl Source for TelegramHtml {
    fn id(&self) -> &'static str {
        "telegram-html"
    }
    fn name(&self) -> &'static str {
        "Telegram Desktop HTML export"
    }
    fn description(&self) -> &'static str {
        "Telegram Desktop \"Export chat history\" in HTML (messages.html, messages2.html, …; \
         each file one evidence item of up to 1,000 messages): text with line breaks, senders \
         (also for grouped messages that omit the name), replies, forwards with the original \
         sender, media references (photo, video, voice, audio, file, sticker, animation), \
         calls, contacts, locations, polls and service messages. Times carry the exporting \
         computer's UTC offset in newer exports; older ones are wall times (zone given or \
         guessed). Media files themselves are separate evidence items."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["messages.html", "messages*.html"]
    }
    fn tier(&self) -> Tier {
        // Markup from Telegram Desktop's HTML writer; checked on one third-party export.
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let head = String::from_utf8_lossy(&input.head);
        if !head.contains("<div class=\"page_wrap\">") {
            return 0;
        }
        let mut score = 40u32;
        if head.contains("<title>Exported Data</title>") {
            score += 20;
        }
        if head.contains("class=\"history\"") {
            score += 20;
        }
        if head.contains("class=\"message default clearfix")
            || head.contains("class=\"message service\"")
        {
            score += 30;
        }
        score.min(100) as u8
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let (zone, zone_warning) = Zone::from_options(opts);
        if let Some(w) = zone_warning {
            sink.warning(w);
        }
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let size = file
            .metadata()
            .map_err(|e| SourceError::io(&input.path, e))?
            .len();
        if size > MAX_FILE {
            return Err(SourceError::Format {
                location: format!("byte {MAX_FILE}"),
                message: format!(
                    "file is {size} bytes; Telegram Desktop writes at most 1,000 messages per HTML \
                     file, so this is not one of its exports or is damaged"
                ),
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(MAX_FILE)
            .read_to_end(&mut bytes)
            .map_err(|e| SourceError::io(&input.path, e))?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(e) => {
                sink.warning(format!(
                    "not valid UTF-8 from byte {}; invalid bytes shown as U+FFFD",
                    e.valid_up_to()
                ));
                String::from_utf8_lossy(&bytes)
            }
        };
        Reader {
            input,
            opts,
            zone,
            tag: self.parser_tag(),
            spans: spans(&bytes),
        }
        .read(&text, sink);
        Ok(())
    }
}

/// Byte range and line of each message's markup, by message id.
struct Span {
    start: u64,
    end: u64,
    line: u64,
}

/// Finds every message's opening tag in the raw bytes: a message runs to the next one.
fn spans(bytes: &[u8]) -> HashMap<String, Span> {
    let text = String::from_utf8_lossy(bytes);
    let starts: Vec<(usize, String)> = OPEN_TAG
        .captures_iter(&text)
        .filter_map(|c| Some((c.get(0)?.start(), c.get(1)?.as_str().to_owned())))
        .collect();
    let history_end = text.rfind("</body>").unwrap_or(text.len());
    let mut out = HashMap::with_capacity(starts.len());
    let (mut line, mut counted) = (1u64, 0usize);
    for (i, (start, id)) in starts.iter().enumerate() {
        line += text.as_bytes()[counted..*start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted = *start;
        let end = starts.get(i + 1).map_or(history_end, |n| n.0).max(*start);
        // Lossy decoding keeps offsets only where the text was valid; clamp to the file.
        let clamp = |n: usize| (n as u64).min(bytes.len() as u64);
        out.insert(
            id.clone(),
            Span {
                start: clamp(*start),
                end: clamp(end),
                line,
            },
        );
    }
    out
}

struct Reader<'a> {
    input: &'a Input,
    opts: &'a Options,
    zone: Zone,
    tag: String,
    spans: HashMap<String, Span>,
}

impl Reader<'_> {
    fn read(&self, text: &str, sink: &mut dyn Sink) {
        let doc = Html::parse_document(text);
        let title = doc
            .select(&TITLE)
            .next()
            .map(|e| squash(&text_of(e)))
            .filter(|t| !t.is_empty());
        let conv = title.clone().unwrap_or_else(|| "chat".to_owned());
        sink.conversation(Conversation {
            platform: Platform::Telegram,
            id: conv.clone(),
            title,
            kind: None,
            participants: Vec::new(),
        });
        let owner_known = !self.opts.owner.is_empty();
        let mut day: Option<String> = None;
        let mut last_sender: Option<Party> = None;
        let mut seen = 0usize;
        for (n, el) in doc.select(&MESSAGES).enumerate() {
            seen += 1;
            let id = el
                .value()
                .attr("id")
                .and_then(|i| i.strip_prefix("message"))
                .unwrap_or("")
                .to_owned();
            let location = self.location(&id, n);
            let classes: Vec<&str> = el.value().classes().collect();
            if classes.contains(&"service") {
                let body = el
                    .select(&sel(".body.details"))
                    .next()
                    .map(|b| squash(&text_of(b)))
                    .unwrap_or_default();
                // Date separators carry negative ids and only the day.
                if id.starts_with('-') {
                    day = Some(body);
                    continue;
                }
                last_sender = None;
                sink.message(Message {
                    id,
                    conversation: conv.clone(),
                    sender: Party::default(),
                    direction: Direction::Unknown,
                    kind: MessageKind::System,
                    body,
                    time: unresolved(day.as_deref().unwrap_or(""), "date"),
                    attachments: Vec::new(),
                    reply_to: None,
                    edited: None,
                    forwarded_from: None,
                    money: None,
                    recovered: false,
                    provenance: self.input.provenance(&self.tag, location),
                    extra: Value::Null,
                });
                continue;
            }
            if !classes.contains(&"default") {
                sink.unparsed(Unparsed {
                    provenance: self.input.provenance(&self.tag, location),
                    reason: format!("message block of unknown kind ({})", classes.join(" ")),
                    excerpt: excerpt(&squash(&text_of(el))),
                });
                continue;
            }
            let Some(body) = child(el, "body") else {
                sink.unparsed(Unparsed {
                    provenance: self.input.provenance(&self.tag, location),
                    reason: "message without a body".into(),
                    excerpt: excerpt(&squash(&text_of(el))),
                });
                continue;
            };
            let time = match body
                .select(&DATE)
                .next()
                .and_then(|d| d.value().attr("title"))
            {
                Some(raw) => self.time(raw),
                None => unresolved("", "wall"),
            };
            let named = child(body, "from_name").map(|f| sender_name(f));
            let sender = match (&named, classes.contains(&"joined")) {
                (Some(name), _) => Party {
                    name: Some(name.clone()),
                    account: None,
                },
                (None, true) => last_sender.clone().unwrap_or_default(),
                (None, false) => Party::default(),
            };
            last_sender = Some(sender.clone());
            // Not `pull_left forwarded userpic_wrap`, the original sender's picture.
            let fwd = body.children().filter_map(ElementRef::wrap).find(|c| {
                let mut k = c.value().classes();
                k.clone().any(|x| x == "forwarded") && k.any(|x| x == "body")
            });
            let forwarded_from = fwd
                .and_then(|f| child(f, "from_name"))
                .map(|f| sender_name(f));
            // Forwarded content sits inside the forwarded block.
            let content = fwd.unwrap_or(body);
            let reply_to = child(content, "reply_to")
                .or_else(|| child(body, "reply_to"))
                .and_then(|r| {
                    r.select(&sel("a"))
                        .filter_map(|a| a.value().attr("href"))
                        .find_map(|h| GO_TO.captures(h)?.get(1).map(|m| m.as_str().to_owned()))
                        .or_else(|| Some(String::new()))
                })
                .filter(|r| !r.is_empty());
            let text = child(content, "text")
                .map(|t| trim_block(&text_with_breaks(t)))
                .unwrap_or_default();
            let mut extra = Map::new();
            let (kind, attachment, media_text) = match child(content, "media_wrap") {
                Some(m) => media(m, &mut extra),
                None => (MessageKind::Text, None, String::new()),
            };
            if let Some(sig) = child(content, "signature") {
                extra.insert("signature".into(), Value::String(squash(&text_of(sig))));
            }
            let body_text = match (text.is_empty(), media_text.is_empty()) {
                (false, _) => text,
                (true, false) => media_text,
                (true, true) => String::new(),
            };
            let dir = direction(owner_known, is_owner(&self.opts.owner, &sender));
            sink.message(Message {
                id,
                conversation: conv.clone(),
                sender,
                direction: dir,
                kind,
                body: body_text,
                time,
                attachments: attachment.into_iter().collect(),
                reply_to,
                edited: None,
                forwarded_from,
                money: None,
                recovered: false,
                provenance: self.input.provenance(&self.tag, location),
                extra: if extra.is_empty() {
                    Value::Null
                } else {
                    Value::Object(extra)
                },
            });
        }
        if seen == 0 {
            sink.warning("no message blocks found in this Telegram HTML page".into());
        }
    }

    fn location(&self, id: &str, n: usize) -> Location {
        match self.spans.get(id) {
            Some(s) => Location::Bytes {
                start: s.start,
                end: s.end,
                line: Some(s.line),
            },
            // Markup the writer did not produce (hand-edited page): name the block's position.
            None => Location::Row {
                table: "div.message".into(),
                rowid: n as i64,
            },
        }
    }

    /// `dd.MM.yyyy hh:mm:ss[ UTC±hh:mm]`.
    fn time(&self, raw: &str) -> cunzheng_model::MsgTime {
        let Some(c) = DATE_TITLE.captures(raw.trim()) else {
            return unresolved(raw, "wall");
        };
        let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i32>().ok());
        let (Some(d), Some(mo), Some(y), Some(h), Some(mi), Some(s)) =
            (n(1), n(2), n(3), n(4), n(5), n(6))
        else {
            return unresolved(raw, "wall");
        };
        let Ok(dt) = DateTime::new(y as i16, mo as i8, d as i8, h as i8, mi as i8, s as i8, 0)
        else {
            return unresolved(raw, "wall");
        };
        match (c.get(7), n(8), n(9)) {
            (Some(sign), Some(oh), Some(om)) if oh <= 23 && om <= 59 => {
                let secs = (oh * 3600 + om * 60) * if sign.as_str() == "-" { -1 } else { 1 };
                let ts = jiff::tz::Offset::from_seconds(secs)
                    .ok()
                    .and_then(|off| off.to_timestamp(dt).ok());
                match ts {
                    Some(ts) => self.with_offset(raw, ts, secs),
                    None => unresolved(raw, "wall"),
                }
            }
            _ => self.zone.wall(raw, dt),
        }
    }

    /// An instant whose offset the export states: shown with that offset.
    fn with_offset(&self, raw: &str, ts: Timestamp, secs: i32) -> cunzheng_model::MsgTime {
        cunzheng_model::MsgTime {
            raw: raw.to_owned(),
            unit: "wall_offset".into(),
            utc: Some(ts.to_string()),
            offset: Some(crate::time::offset_text(secs)),
            zone_basis: "source".into(),
            zone: None,
        }
    }
}

/// The first direct child element carrying class `class`.
fn child<'a>(el: ElementRef<'a>, class: &str) -> Option<ElementRef<'a>> {
    el.children()
        .filter_map(ElementRef::wrap)
        .find(|c| c.value().classes().any(|k| k == class))
}

/// A `.from_name` without the forwarded date span (`<span class="details"> 01.02.2023 …`).
fn sender_name(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    for node in el.children() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if e.classes().any(|c| c == "details") => {}
            Node::Element(_) => {
                if let Some(e) = ElementRef::wrap(node) {
                    out.push_str(&text_of(e));
                }
            }
            _ => {}
        }
    }
    squash(&out)
}

/// All text below `el`.
fn text_of(el: ElementRef<'_>) -> String {
    el.text().collect()
}

/// Text below `el` with `<br>` as line breaks (how the writer encodes them).
fn text_with_breaks(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    for node in el.descendants() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if e.name() == "br" => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// The writer indents block content with a newline and spaces on both sides.
fn trim_block(s: &str) -> String {
    s.trim_matches(|c: char| c == '\n' || c == ' ' || c == '\r' || c == '\t')
        .to_owned()
}

/// Whitespace runs to one space.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn excerpt(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Kind, attachment and a description from a `.media_wrap` block.
fn media(
    m: ElementRef<'_>,
    extra: &mut Map<String, Value>,
) -> (MessageKind, Option<Attachment>, String) {
    let mut classes: Vec<String> = Vec::new();
    let mut href = None;
    for d in m.descendants().filter_map(ElementRef::wrap) {
        classes.extend(d.value().classes().map(str::to_owned));
        if href.is_none() {
            href = d.value().attr("href").map(str::to_owned);
        }
    }
    let has = |c: &str| classes.iter().any(|k| k == c);
    let kind = if has("media_call") {
        MessageKind::Call
    } else if has("sticker_wrap") || has("sticker") {
        MessageKind::Sticker
    } else if has("photo_wrap") || has("media_photo") {
        MessageKind::Image
    } else if has("media_voice_message") {
        MessageKind::Voice
    } else if has("video_file_wrap") || has("animated_wrap") || has("media_video") {
        MessageKind::Video
    } else if has("media_contact") {
        MessageKind::Contact
    } else if has("media_location") || has("media_venue") || has("media_live_location") {
        MessageKind::Location
    } else if has("media_poll") {
        MessageKind::Poll
    } else {
        // media_file, media_audio_file, and kinds this reader does not know (named in extra).
        MessageKind::File
    };
    let part = |class: &str| {
        m.descendants()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().classes().any(|k| k == class))
            .map(|e| squash(&text_of(e)))
            .filter(|t| !t.is_empty())
    };
    let title = part("title").or_else(|| part("question"));
    let status = part("status");
    let description = part("description");
    let media_classes: Vec<&String> = classes.iter().filter(|c| c.starts_with("media_")).collect();
    if !media_classes.is_empty() {
        extra.insert(
            "media".into(),
            Value::String(
                media_classes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        );
    }
    if let Some(d) = &description {
        // "Not included, change data exporting settings to download." and the like.
        extra.insert("media_note".into(), Value::String(d.clone()));
    }
    let local_file = href
        .filter(|h| !h.starts_with("http://") && !h.starts_with("https://"))
        .filter(|h| !h.starts_with('#') && !h.is_empty());
    let attachment = match kind {
        MessageKind::Call | MessageKind::Poll | MessageKind::Location | MessageKind::Contact => {
            None
        }
        _ => Some(Attachment {
            name: local_file.or_else(|| title.clone()),
            omitted: description.is_some(),
            ..Attachment::default()
        }),
    };
    let text = [title, status]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    (kind, attachment, text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::source::Collect;

    fn parse_bytes(data: &[u8], opts: &Options) -> Collect {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("messages.html");
        std::fs::write(&path, data).unwrap();
        let input = Input::open(&path).unwrap();
        let mut out = Collect::default();
        TelegramHtml.parse(&input, opts, &mut out).unwrap();
        out
    }

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/telegram-html")
            .join(name);
        std::fs::read(p).unwrap()
    }

    #[test]
    fn third_party_export() {
        // langchain-community's fixture (MIT): four messages, one of them grouped.
        let data = fixture("langchain-messages.html");
        let input_head = Input {
            path: "x".into(),
            name: "messages.html".into(),
            item_sha256: String::new(),
            inner_path: None,
            head: data.clone(),
            wal: None,
            journal: None,
        };
        assert!(TelegramHtml.sniff(&input_head) >= 90);
        let out = parse_bytes(&data, &Options::default());
        assert_eq!(
            out.conversations[0].title.as_deref(),
            Some("Jimmeny Marvelton")
        );
        assert_eq!(out.messages.len(), 4);
        assert!(out.unparsed.is_empty());
        let m: Vec<_> = out
            .messages
            .iter()
            .map(|m| {
                (
                    m.id.as_str(),
                    m.sender.name.as_deref().unwrap_or(""),
                    m.body.as_str(),
                )
            })
            .collect();
        assert_eq!(
            m,
            vec![
                ("1", "Jimmeny Marvelton", "i refuse to converse with you"),
                ("2", "Batman & Robin", "Hi nemesis"),
                ("3", "Jimmeny Marvelton", "we meet again"),
                // Grouped under the previous sender: the writer leaves the name out.
                ("4", "Jimmeny Marvelton", "you will not trick me this time"),
            ]
        );
        let t = &out.messages[0].time;
        assert_eq!(t.raw, "23.08.2023 13:11:23 UTC-08:00");
        assert_eq!(t.utc.as_deref(), Some("2023-08-23T21:11:23Z"));
        assert_eq!(t.offset.as_deref(), Some("-08:00"));
        assert_eq!(t.zone_basis, "source");
        let t = &out.messages[3].time;
        assert_eq!(t.utc.as_deref(), Some("2023-08-23T21:15:53Z"));
        // Provenance points at the message's own markup.
        let Location::Bytes { start, end, line } = out.messages[1].provenance.location else {
            panic!("bytes")
        };
        let block = std::str::from_utf8(&data[start as usize..end as usize]).unwrap();
        assert!(block.starts_with("<div class=\"message default clearfix\" id=\"message2\""));
        assert!(block.contains("Hi nemesis"));
        assert!(!block.contains("we meet again"));
        assert_eq!(
            line,
            Some(
                data[..start as usize]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64
                    + 1
            )
        );
    }

    #[test]
    fn media_forwards_replies_and_service() {
        let data = fixture("crafted-messages.html");
        let opts = Options {
            owner: vec!["李明".into()],
            ..Options::default()
        };
        let out = parse_bytes(&data, &opts);
        assert!(out.unparsed.is_empty(), "{:?}", out.unparsed);
        let by_id = |id: &str| out.messages.iter().find(|m| m.id == id).unwrap();
        assert_eq!(out.conversations[0].title.as_deref(), Some("客服-王经理"));

        let m = by_id("101");
        assert_eq!(m.body, "您好，您的账户存在异常\n请按我说的操作");
        assert_eq!(m.direction, Direction::Incoming);
        // No offset in older exports: a wall time in the guessed zone.
        assert_eq!(m.time.zone_basis, "guessed");
        assert_eq!(m.time.utc.as_deref(), Some("2024-03-05T01:02:03Z"));

        let m = by_id("102");
        assert_eq!(m.kind, MessageKind::Image);
        assert_eq!(m.direction, Direction::Outgoing);
        assert_eq!(
            m.attachments[0].name.as_deref(),
            Some("photos/photo_1@05-03-2024_09-05-00.jpg")
        );
        assert_eq!(m.reply_to.as_deref(), Some("101"));

        let m = by_id("103");
        assert_eq!(m.forwarded_from.as_deref(), Some("某某投资平台"));
        assert_eq!(m.body, "年化收益 30%，保本保息");
        assert_eq!(m.sender.name.as_deref(), Some("客服-王经理"));

        let m = by_id("104");
        assert_eq!(m.kind, MessageKind::Voice);
        assert!(m.attachments[0].omitted);
        assert_eq!(m.body, "Voice message, 00:12");

        let m = by_id("105");
        assert_eq!(m.kind, MessageKind::Call);
        assert!(m.attachments.is_empty());

        let m = by_id("106");
        assert_eq!(m.kind, MessageKind::System);
        assert_eq!(m.body, "客服-王经理 pinned this message");
        assert_eq!(m.time.raw, "5 March 2024");
        assert!(m.time.utc.is_none());

        // A reply into another file keeps the id.
        assert_eq!(by_id("107").reply_to.as_deref(), Some("42"));
        assert_eq!(by_id("107").body, "<script>alert(1)</script> & 5000元");
    }

    #[test]
    fn hostile_pages_do_not_panic() {
        for data in [
            &b""[..],
            b"<div class=\"page_wrap\">",
            b"<div class=\"history\"><div class=\"message default\" id=\"message\"></div></div>",
            b"<div class=\"history\"><div class=\"message default clearfix\" id=\"message1\"><div class=\"body\"><div class=\"pull_right date details\" title=\"99.99.2024 99:00:00 UTC+99:00\">x</div></div></div></div>",
            b"<div class=\"history\"><div class=\"message weird\" id=\"message-x\">?</div></div>",
            b"\xff\xfe<div class=\"history\"><div class=\"message service\" id=\"message5\"><div class=\"body details\">\xff</div></div></div>",
        ] {
            let out = parse_bytes(data, &Options::default());
            for m in &out.messages {
                assert!(m.time.utc.is_none() || m.time.zone_basis != "unknown");
            }
        }
    }
}
