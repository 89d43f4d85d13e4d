//! "SMS Backup & Restore" (SyncTech) XML backups of Android messages and call logs.
//!
//! `<smses>` holds `<sms …/>` elements and `<mms …><parts><part …/></parts><addrs><addr …/>
//! </addrs></mms>` elements, each a copy of one row of Android's telephony provider (the
//! attribute names are its column names); `<calls>` holds `<call …/>` elements. Backups are
//! often hundreds of megabytes because MMS attachments are inlined as base64 `data`
//! attributes, so the file is streamed: an [`elide::Filter`] in front of quick-xml replaces
//! any attribute value over [`elide::VALUE_CAP`] by a placeholder (keeping its length,
//! base64 accounting and first bytes), so no element ever needs more than
//! [`crate::source::MAX_RECORD`] of memory, and attachment data is never kept beyond one part.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Party, Platform,
    Provenance, Unparsed,
};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Value, json};

use super::common_sms::{self, OWN_ADDRESS_TOKEN};
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{self, Zone};

/// Most MMS parts or addresses described in one message's `extra`.
const MAX_PARTS: usize = 1000;
/// Most attributes read from one element.
const MAX_ATTRS: usize = 1000;
/// Length of excerpts in `Unparsed` records.
const EXCERPT: usize = 300;

/// SMS Backup & Restore XML.
pub struct SmsBackupXml;

impl Source for SmsBackupXml {
    fn id(&self) -> &'static str {
        "sms-backup-xml"
    }

    fn name(&self) -> &'static str {
        "SMS Backup & Restore XML (Android)"
    }

    fn description(&self) -> &'static str {
        "XML backups written by the Android app SMS Backup & Restore (SyncTech): sms-*.xml \
         (<smses> with <sms> and <mms> elements) and calls-*.xml (<calls> with <call> \
         elements, read as call records). SMS: address, body, type (1 received, 2 sent, 3 \
         draft, 4 outbox, 5 failed, 6 queued), date (Unix ms), date_sent, contact_name. MMS: \
         text parts become the body; other parts become attachments with name, MIME type and \
         the size of their decoded base64 data (the data itself is neither kept nor checked \
         beyond base64 syntax); addrs give sender (137) and recipients (151). One \
         conversation per address attribute (group MMS: the app's '~'-joined list or RCS \
         group address). Every attribute is kept in extra. A truncated file yields the \
         messages before the cut, an Unparsed record for an MMS cut in the middle and a \
         warning; XML broken in the middle becomes an Unparsed region and reading goes on at \
         the next <sms>, <mms> or <call>. Attribute values that are not UTF-8 are decoded as \
         GB18030 and flagged; attribute values over 1 MiB are measured, not read (the body \
         then goes to an Unparsed record). Not used: readable_date (kept in extra; the \
         epoch date is authoritative). UTF-16 files are refused."
    }

    fn globs(&self) -> &'static [&'static str] {
        &["sms-*.xml", "calls-*.xml"]
    }

    fn tier(&self) -> Tier {
        Tier::Observed
    }

    fn sniff(&self, input: &Input) -> u8 {
        let head = &input.head;
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        let root = has(b"<smses") || has(b"<calls");
        let element = has(b"<sms ") || has(b"<mms ") || has(b"<call ");
        match (root, element) {
            (true, true) => 95,
            (true, false) => 85,
            (false, true) if has(b"<?xml") => 55,
            _ => 0,
        }
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let head = &input.head;
        if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            return Err(SourceError::Format {
                location: "byte 0".into(),
                message: "UTF-16 byte order mark: SMS Backup & Restore writes UTF-8; this file \
                          was re-encoded and is not read"
                    .into(),
            });
        }
        let open = |p: &Path| File::open(p).map_err(|e| SourceError::io(p, e));
        let (zone, warning) = Zone::from_options(opts);
        if let Some(w) = warning {
            sink.warning(w);
        }
        let mut doc = Doc {
            input,
            tag: self.parser_tag(),
            zone,
            lines: Lines::new(open(&input.path)?),
            root: None,
            root_closed: false,
            root_count: None,
            records: 0,
            mms: None,
            unknown_depth: 0,
            emitted: HashSet::new(),
            last_line: (0, 0),
            stray_text: 0,
            attr_problems: 0,
            recoded: 0,
            dropped: 0,
            cuts: 0,
        };
        let size = std::fs::metadata(&input.path)
            .map_err(|e| SourceError::io(&input.path, e))?
            .len();
        // Read from the start; where the XML breaks, skip to the next message element and
        // read on with a fresh reader (quick-xml stops for good after most errors).
        let mut from = 0;
        let eof = loop {
            let mut file = open(&input.path)?;
            file.seek(SeekFrom::Start(from))
                .map_err(|e| SourceError::io(&input.path, e))?;
            match doc.read(sink, file, from) {
                Ok(eof) => break eof,
                Err((at, reason)) => {
                    let next = next_record(&input.path, at.saturating_add(1))
                        .filter(|_| doc.cuts < MAX_CUTS);
                    doc.cut(sink, at, next.unwrap_or(size), &reason);
                    match next {
                        Some(n) => from = n,
                        None => break size,
                    }
                }
            }
        };
        doc.finish(sink, eof)
    }
}

/// Most unreadable regions skipped in one file before the rest is given up.
const MAX_CUTS: u64 = 100_000;

/// The offset of the next `<sms`, `<mms` or `<call` start tag at or after `from`.
fn next_record(path: &Path, from: u64) -> Option<u64> {
    const NAMES: [&[u8]; 3] = [b"<sms", b"<mms", b"<call"];
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut r = BufReader::with_capacity(64 * 1024, f);
    let mut pos = from;
    // The last bytes of the previous chunk, so that a tag split between chunks is found.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let chunk = r.fill_buf().ok()?;
        if chunk.is_empty() {
            return None;
        }
        let n = chunk.len();
        let mut window = std::mem::take(&mut carry);
        let base = pos - window.len() as u64;
        window.extend_from_slice(chunk);
        for (i, _) in window.iter().enumerate().filter(|(_, b)| **b == b'<') {
            let rest = window.get(i..).unwrap_or_default();
            for name in NAMES {
                if rest.len() > name.len()
                    && rest.starts_with(name)
                    && rest
                        .get(name.len())
                        .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
                {
                    return Some(base + i as u64);
                }
            }
        }
        let keep = window.len().min(6);
        carry = window.split_off(window.len() - keep);
        r.consume(n);
        pos += n as u64;
    }
}

/// Where an element is: original byte range and 1-based line.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
    line: u64,
}

/// Attributes of one element, in document order, first occurrence of a name winning.
#[derive(Debug, Default)]
struct Attrs {
    list: Vec<(String, String)>,
    /// Values the filter replaced, by attribute name.
    elided: Vec<(String, elide::Elision)>,
    /// A `data` attribute, measured and not kept: its length and decoded base64 size.
    data: Option<(u64, Option<u64>)>,
    problems: Vec<String>,
}

impl Attrs {
    fn read(e: &BytesStart<'_>, side: &mut elide::Side) -> Self {
        let mut out = Self::default();
        let mut iter = e.attributes();
        iter.with_checks(false);
        for a in iter.take(MAX_ATTRS) {
            let a = match a {
                Ok(a) => a,
                Err(err) => {
                    out.problems.push(format!("malformed attribute: {err}"));
                    continue;
                }
            };
            let key = a.key.as_ref().to_owned();
            if key == "data" && out.data.is_none() {
                // Attachment data is measured where it lies and never copied.
                out.data = Some(match side.take(&a.value) {
                    Some(el) => (el.len, el.b64.decoded_len()),
                    None => {
                        let mut b = elide::Base64::default();
                        a.value.bytes().for_each(|x| b.feed_raw(x));
                        (a.value.len() as u64, b.decoded_len())
                    }
                });
                continue;
            }
            if out.list.iter().any(|(k, _)| *k == key) {
                out.problems
                    .push(format!("duplicate attribute {key}; first kept"));
                continue;
            }
            if let Some(el) = side.take(&a.value) {
                out.elided.push((key.clone(), el));
                out.list.push((key, String::new()));
                continue;
            }
            let a = match a.value.strip_prefix(elide::RECODED) {
                Some(rest) => {
                    out.problems.push(format!(
                        "attribute {key} was not valid UTF-8; decoded as GB18030"
                    ));
                    quick_xml::events::attributes::Attribute {
                        key: a.key,
                        value: std::borrow::Cow::Owned(rest.to_owned()),
                    }
                }
                None => a,
            };
            let value = match a.normalized_value(XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(err) => {
                    out.problems
                        .push(format!("attribute {key}: {err}; raw value kept"));
                    a.value.into_owned()
                }
            };
            out.list.push((key, value));
        }
        out
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A value, with the literal `null` the app writes for NULL columns read as absent.
    fn some(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty() && *v != "null")
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }

    fn elided(&self, key: &str) -> Option<&elide::Elision> {
        self.elided.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }

    /// All attributes as JSON, leaving out the ones named.
    fn json(&self, except: &[&str]) -> Value {
        let mut m = Map::new();
        for (k, v) in &self.list {
            if !except.contains(&k.as_str()) {
                m.insert(k.clone(), v.clone().into());
            }
        }
        Value::Object(m)
    }
}

/// A contact name the app writes when it has none is no name.
fn contact_name(a: &Attrs) -> Option<String> {
    a.some("contact_name")
        .filter(|n| *n != "(Unknown)")
        .map(str::to_owned)
}

/// An MMS being read: its start tag, then parts and addrs, until `</mms>`.
struct Mms {
    span: Span,
    id: String,
    attrs: Attrs,
    excerpt: String,
    texts: Vec<String>,
    attachments: Vec<Attachment>,
    kind: MessageKind,
    parts: Vec<Value>,
    parts_over: u64,
    addrs: Vec<(String, &'static str)>,
    addrs_json: Vec<Value>,
    problems: Vec<String>,
}

struct Doc<'a> {
    input: &'a Input,
    tag: String,
    zone: Zone,
    lines: Lines,
    root: Option<String>,
    root_closed: bool,
    root_count: Option<String>,
    /// sms, mms and call elements seen (parsed or not).
    records: u64,
    mms: Option<Mms>,
    /// Depth inside an element this parser does not know (its content is skipped).
    unknown_depth: usize,
    emitted: HashSet<String>,
    /// Line of the last message id and how many ids it gave.
    last_line: (u64, u32),
    stray_text: u64,
    attr_problems: u64,
    recoded: u64,
    /// Bytes of over-long text the filter skipped.
    dropped: u64,
    /// Unreadable regions skipped.
    cuts: u64,
}

impl Doc<'_> {
    /// Reads events from `file` (positioned at `from`) to the end, or to an error that
    /// stops the XML reader: `Ok(end offset)` or `Err((offset, reason))`.
    fn read(&mut self, sink: &mut dyn Sink, file: File, from: u64) -> Result<u64, (u64, String)> {
        let mut reader = Reader::from_reader(BufReader::with_capacity(
            64 * 1024,
            elide::Filter::new(file, from),
        ));
        {
            let c = reader.config_mut();
            c.trim_text(false);
            c.check_end_names = false;
            c.allow_unmatched_ends = true;
            c.check_comments = false;
            c.expand_empty_elements = false;
        }
        let mut buf = Vec::new();
        let result = loop {
            buf.clear();
            let start_f = reader.buffer_position();
            let event = reader.read_event_into(&mut buf);
            let end_f = reader.buffer_position();
            let err_f = reader.error_position().max(start_f);
            let side = &mut reader.get_mut().get_mut().side;
            match event {
                Ok(Event::Eof) => break Ok(side.orig(end_f)),
                Ok(Event::Start(e)) => {
                    let span = self.span(side, start_f, end_f);
                    self.element(sink, side, &e, false, span);
                }
                Ok(Event::Empty(e)) => {
                    let span = self.span(side, start_f, end_f);
                    self.element(sink, side, &e, true, span);
                }
                Ok(Event::End(e)) => {
                    let name = e.name().as_ref().to_owned();
                    let span = self.span(side, start_f, end_f);
                    self.end(sink, &name, span);
                }
                Ok(Event::Text(t)) => {
                    let text = t.xml10_content();
                    if !text
                        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                        .is_empty()
                    {
                        let span = self.span(side, start_f, end_f);
                        self.stray(sink, span, &text, "text outside any message element");
                    }
                }
                Ok(Event::GeneralRef(_)) | Ok(Event::CData(_)) => {
                    let span = self.span(side, start_f, end_f);
                    let raw = String::from_utf8_lossy(&buf).into_owned();
                    self.stray(
                        sink,
                        span,
                        &raw,
                        "character data outside any message element",
                    );
                }
                Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_)) => {}
                // The reader has skipped the ill-formed piece and can go on.
                Err(quick_xml::Error::IllFormed(e)) => {
                    let span = self.span(side, start_f, end_f);
                    let raw = String::from_utf8_lossy(&buf).into_owned();
                    self.stray(sink, span, &raw, &format!("ill-formed XML: {e}"));
                }
                Err(e) => break Err((side.orig(err_f), format!("XML unreadable: {e}"))),
            }
        };
        let side = &reader.get_ref().get_ref().side;
        self.dropped += side.dropped_text;
        self.recoded += side.recoded;
        result
    }

    fn span(&mut self, side: &mut elide::Side, start_f: u64, end_f: u64) -> Span {
        let start = side.orig(start_f);
        let end = side.orig(end_f);
        Span {
            start,
            end,
            line: self.lines.at(start),
        }
    }

    fn provenance(&self, span: Span) -> Provenance {
        self.input.provenance(
            &self.tag,
            Location::Bytes {
                start: span.start,
                end: span.end,
                line: Some(span.line),
            },
        )
    }

    /// `L<line>`, or `L<line>.<n>` for the n-th further element on one line.
    fn message_id(&mut self, line: u64) -> String {
        if self.last_line.0 == line {
            self.last_line.1 += 1;
            format!("L{line}.{}", self.last_line.1)
        } else {
            self.last_line = (line, 0);
            format!("L{line}")
        }
    }

    fn unparsed(&self, sink: &mut dyn Sink, span: Span, reason: String, excerpt: &str) {
        sink.unparsed(Unparsed {
            provenance: self.provenance(span),
            reason,
            excerpt: excerpt.chars().take(EXCERPT).collect(),
        });
    }

    fn stray(&mut self, sink: &mut dyn Sink, span: Span, text: &str, what: &str) {
        self.stray_text += 1;
        self.unparsed(sink, span, what.into(), text);
    }

    /// Emits the conversation `key` the first time it is used.
    fn conversation(
        &mut self,
        sink: &mut dyn Sink,
        key: &str,
        title: Option<String>,
        members: Vec<String>,
    ) -> String {
        let id = if key.is_empty() {
            "(no address)".to_owned()
        } else {
            key.to_owned()
        };
        if self.emitted.insert(id.clone()) {
            let single_name = if members.len() == 1 {
                title.clone()
            } else {
                None
            };
            let kind = if members.len() > 1 {
                "group"
            } else {
                "private"
            };
            sink.conversation(Conversation {
                platform: Platform::Sms,
                id: id.clone(),
                title,
                kind: Some(kind.into()),
                participants: members
                    .into_iter()
                    .map(|m| Party {
                        name: single_name.clone(),
                        account: Some(m),
                    })
                    .collect(),
            });
        }
        id
    }

    fn note_problems(&mut self, extra: &mut Map<String, Value>, problems: &[String]) {
        if !problems.is_empty() {
            self.attr_problems += 1;
            extra.insert("attr_errors".into(), json!(problems));
        }
    }

    /// Elided values other than MMS data: the message keeps an empty value, and the value's
    /// start goes to an `Unparsed` record so that a person can see it.
    fn elided_values(&self, sink: &mut dyn Sink, span: Span, attrs: &Attrs, except: &[&str]) {
        for (key, el) in &attrs.elided {
            if except.contains(&key.as_str()) {
                continue;
            }
            self.unparsed(
                sink,
                span,
                format!(
                    "attribute {key} is {} bytes, over the {} byte limit; not read",
                    el.len,
                    elide::VALUE_CAP
                ),
                &String::from_utf8_lossy(&el.head),
            );
        }
    }

    fn element(
        &mut self,
        sink: &mut dyn Sink,
        side: &mut elide::Side,
        e: &BytesStart<'_>,
        empty: bool,
        span: Span,
    ) {
        if self.unknown_depth > 0 {
            if !empty {
                self.unknown_depth += 1;
            }
            return;
        }
        let name = e.name().as_ref().to_owned();
        let attrs = Attrs::read(e, side);
        match name.as_str() {
            "smses" | "calls" if self.root.is_none() => {
                self.root_count = attrs.get("count").map(str::to_owned);
                self.root = Some(name);
                if empty {
                    self.root_closed = true;
                }
            }
            "sms" => {
                self.records += 1;
                self.sms(sink, &attrs, span);
            }
            "call" => {
                self.records += 1;
                self.call(sink, &attrs, span);
            }
            "mms" => {
                self.records += 1;
                if let Some(open) = self.mms.take() {
                    self.unparsed(
                        sink,
                        open.span,
                        format!(
                            "<mms> on line {} has no </mms> before the next <mms>",
                            open.span.line
                        ),
                        &open.excerpt,
                    );
                }
                let id = self.message_id(span.line);
                let excerpt: String = e.chars().take(EXCERPT).collect();
                self.mms = Some(Mms {
                    span,
                    id,
                    attrs,
                    excerpt,
                    texts: Vec::new(),
                    attachments: Vec::new(),
                    kind: MessageKind::Text,
                    parts: Vec::new(),
                    parts_over: 0,
                    addrs: Vec::new(),
                    addrs_json: Vec::new(),
                    problems: Vec::new(),
                });
                if empty {
                    self.finish_mms(sink, span.end);
                }
            }
            "part" if self.mms.is_some() => self.part(sink, attrs, span),
            "addr" if self.mms.is_some() => self.addr(attrs),
            "parts" | "addrs" if self.mms.is_some() => {}
            _ => {
                let excerpt: String = e.chars().take(EXCERPT).collect();
                self.unparsed(
                    sink,
                    span,
                    format!("element <{name}> is not part of the SMS Backup & Restore format"),
                    &excerpt,
                );
                if !empty {
                    self.unknown_depth = 1;
                }
            }
        }
    }

    fn end(&mut self, sink: &mut dyn Sink, name: &str, span: Span) {
        if self.unknown_depth > 0 {
            self.unknown_depth -= 1;
            return;
        }
        match name {
            "mms" if self.mms.is_some() => self.finish_mms(sink, span.end),
            "smses" | "calls" if self.root.as_deref() == Some(name) => self.root_closed = true,
            _ => {}
        }
    }

    fn sms(&mut self, sink: &mut dyn Sink, a: &Attrs, span: Span) {
        let id = self.message_id(span.line);
        let address = a.get("address").unwrap_or_default().to_owned();
        let name = contact_name(a);
        let members: Vec<String> = address
            .split('~')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let conversation = self.conversation(sink, &address, name.clone(), members);
        let (direction, box_name) = common_sms::message_box(a.int("type"));
        let sender = match direction {
            Direction::Incoming => Party {
                name,
                account: Some(address.clone()).filter(|s| !s.is_empty()),
            },
            _ => Party::default(),
        };
        let mut extra = Map::new();
        extra.insert("element".into(), "sms".into());
        extra.insert("box".into(), box_name.into());
        extra.insert("attrs".into(), a.json(&["body"]));
        let body = match a.get("body") {
            Some("null") => {
                extra.insert("body_attr".into(), "null".into());
                String::new()
            }
            Some(b) => b.to_owned(),
            None => String::new(),
        };
        self.secondary_time(a, "date_sent", &mut extra);
        self.note_problems(&mut extra, &a.problems);
        self.elided_values(sink, span, a, &[]);
        sink.message(Message {
            id,
            conversation,
            sender,
            direction,
            kind: MessageKind::Text,
            body,
            time: self.time(a, "date"),
            attachments: Vec::new(),
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: self.provenance(span),
            extra: Value::Object(extra),
        });
    }

    fn time(&self, a: &Attrs, key: &str) -> cunzheng_model::MsgTime {
        match a.get(key) {
            Some(raw) => common_sms::android_time(&self.zone, raw, raw.trim().parse().ok()),
            None => time::unresolved("", "unix_ms"),
        }
    }

    fn secondary_time(&self, a: &Attrs, key: &str, extra: &mut Map<String, Value>) {
        if a.int(key).is_some_and(|v| v != 0) {
            let t = self.time(a, key);
            extra.insert(key.into(), common_sms::time_json(&t));
        }
    }

    fn call(&mut self, sink: &mut dyn Sink, a: &Attrs, span: Span) {
        let id = self.message_id(span.line);
        let number = a.get("number").unwrap_or_default().to_owned();
        let name = contact_name(a);
        let members = if number.is_empty() {
            Vec::new()
        } else {
            vec![number.clone()]
        };
        let conversation = self.conversation(sink, &number, name.clone(), members);
        // CallLog.Calls.TYPE: 1 incoming, 2 outgoing, 3 missed, 4 voicemail, 5 rejected,
        // 6 blocked, 7 answered externally.
        let (direction, what) = match a.int("type") {
            Some(1) => (Direction::Incoming, "incoming call"),
            Some(2) => (Direction::Outgoing, "outgoing call"),
            Some(3) => (Direction::Incoming, "missed call"),
            Some(4) => (Direction::Incoming, "voicemail"),
            Some(5) => (Direction::Incoming, "rejected call"),
            Some(6) => (Direction::Incoming, "blocked call"),
            Some(7) => (Direction::Incoming, "call answered on another device"),
            _ => (Direction::Unknown, "call"),
        };
        let body = match a.int("duration") {
            Some(d) => format!("{what}, {d} s"),
            None => what.to_owned(),
        };
        let sender = match direction {
            Direction::Outgoing => Party::default(),
            _ => Party {
                name,
                account: Some(number).filter(|s| !s.is_empty()),
            },
        };
        let mut extra = Map::new();
        extra.insert("element".into(), "call".into());
        extra.insert("attrs".into(), a.json(&[]));
        extra.insert(
            "body_source".into(),
            "derived from type and duration".into(),
        );
        self.note_problems(&mut extra, &a.problems);
        self.elided_values(sink, span, a, &[]);
        sink.message(Message {
            id,
            conversation,
            sender,
            direction,
            kind: MessageKind::Call,
            body,
            time: self.time(a, "date"),
            attachments: Vec::new(),
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: self.provenance(span),
            extra: Value::Object(extra),
        });
    }

    fn part(&mut self, sink: &mut dyn Sink, a: Attrs, span: Span) {
        if let Some((reason, head)) = self.add_part(&a) {
            self.unparsed(sink, span, reason, &head);
        }
    }

    /// Adds a part to the open MMS; returns an `Unparsed` reason and excerpt for a text
    /// part too long to read.
    fn add_part(&mut self, a: &Attrs) -> Option<(String, String)> {
        let mms = self.mms.as_mut()?;
        mms.problems.extend(a.problems.iter().cloned());
        let ct = a.some("ct").unwrap_or_default().to_owned();
        let (data_len, data_size) = match a.data {
            Some((len, size)) => (Some(len), size),
            None => (None, None),
        };
        if mms.parts.len() < MAX_PARTS {
            let mut meta = match a.json(&["text"]) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            if let Some(t) = a.get("text") {
                meta.insert("text_len".into(), t.chars().count().into());
            }
            if let Some(l) = data_len {
                meta.insert("data_base64_len".into(), l.into());
                meta.insert("data_size".into(), data_size.into());
                meta.insert("data_base64_valid".into(), data_size.is_some().into());
            }
            mms.parts.push(Value::Object(meta));
        } else {
            mms.parts_over += 1;
        }
        if common_sms::is_smil_part(&ct) {
            return None;
        }
        if common_sms::is_text_part(&ct) && data_len.is_none() {
            if let Some(el) = a.elided("text") {
                let reason = format!(
                    "MMS text part of {} bytes, over the {} byte limit; not read",
                    el.len,
                    elide::VALUE_CAP
                );
                mms.problems.push(reason.clone());
                return Some((reason, String::from_utf8_lossy(&el.head).into_owned()));
            }
            if let Some(t) = a.some("text") {
                mms.texts.push(t.to_owned());
            }
            return None;
        }
        if mms.kind == MessageKind::Text {
            mms.kind = common_sms::kind_for_mime(&ct);
        }
        if data_len.is_some() && data_size.is_none() {
            mms.problems
                .push(format!("part {:?}: data is not valid base64", a.some("cl")));
        }
        mms.attachments.push(Attachment {
            name: a
                .some("cl")
                .or_else(|| a.some("name"))
                .or_else(|| a.some("fn"))
                .map(str::to_owned),
            mime: (!ct.is_empty()).then_some(ct),
            size: data_size,
            item_sha256: None,
            omitted: data_len.is_none(),
        });
        None
    }

    fn addr(&mut self, a: Attrs) {
        let Some(mms) = self.mms.as_mut() else { return };
        mms.problems.extend(a.problems.iter().cloned());
        let Some(address) = a.some("address") else {
            return;
        };
        let role = common_sms::addr_type(a.int("type"));
        if mms.addrs_json.len() < MAX_PARTS {
            mms.addrs_json.push(a.json(&[]));
            mms.addrs.push((address.to_owned(), role));
        }
    }

    fn finish_mms(&mut self, sink: &mut dyn Sink, end: u64) {
        let Some(mut mms) = self.mms.take() else {
            return;
        };
        mms.span.end = end;
        let a = &mms.attrs;
        let address = a.get("address").unwrap_or_default().to_owned();
        let from = mms
            .addrs
            .iter()
            .find(|(_, r)| *r == "from")
            .map(|(x, _)| x.clone());
        let mut members: Vec<String> = address
            .split('~')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        for (x, _) in &mms.addrs {
            if x != OWN_ADDRESS_TOKEN && !members.contains(x) {
                members.push(x.clone());
            }
        }
        // A one-to-one MMS lists the peer and the owner; a group lists more.
        let group = address.contains('~') || members.len() > 2;
        let name = contact_name(a);
        let conv_members = if group {
            members
        } else {
            members.into_iter().take(1).collect()
        };
        let conversation = self.conversation(sink, &address, name.clone(), conv_members);
        let (direction, box_name) = common_sms::message_box(a.int("msg_box"));
        let sender = match (&from, direction) {
            (Some(f), _) if f != OWN_ADDRESS_TOKEN => Party {
                name: (direction == Direction::Incoming && !group && *f == address)
                    .then(|| name.clone())
                    .flatten(),
                account: Some(f.clone()),
            },
            (_, Direction::Incoming) if !group => Party {
                name,
                account: Some(address.clone()).filter(|s| !s.is_empty()),
            },
            _ => Party::default(),
        };
        let mut extra = Map::new();
        extra.insert("element".into(), "mms".into());
        extra.insert("box".into(), box_name.into());
        extra.insert("attrs".into(), a.json(&[]));
        if let Some(s) = a.some("sub") {
            extra.insert("subject".into(), s.into());
        }
        extra.insert("parts".into(), Value::Array(std::mem::take(&mut mms.parts)));
        extra.insert(
            "addrs".into(),
            Value::Array(std::mem::take(&mut mms.addrs_json)),
        );
        if mms.parts_over > 0 {
            extra.insert("parts_not_described".into(), mms.parts_over.into());
        }
        self.secondary_time(a, "date_sent", &mut extra);
        let mut problems = std::mem::take(&mut mms.problems);
        problems.extend(a.problems.iter().cloned());
        self.note_problems(&mut extra, &problems);
        self.elided_values(sink, mms.span, &mms.attrs, &[]);
        let time = self.time(&mms.attrs, "date");
        let provenance = self.provenance(mms.span);
        sink.message(Message {
            id: mms.id,
            conversation,
            sender,
            direction,
            kind: mms.kind,
            body: mms.texts.join("\n"),
            time,
            attachments: mms.attachments,
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance,
            extra: Value::Object(extra),
        });
    }

    /// The XML could not be read from `at` to `end`: an open MMS and that region become
    /// one `Unparsed` record.
    fn cut(&mut self, sink: &mut dyn Sink, at: u64, end: u64, reason: &str) {
        self.cuts += 1;
        self.unknown_depth = 0;
        let (start, line, excerpt, reason) = match self.mms.take() {
            Some(m) => (
                m.span.start,
                m.span.line,
                m.excerpt,
                format!("<mms> from line {} is not complete: {reason}", m.span.line),
            ),
            None => (
                at,
                self.lines.at(at),
                excerpt_at(&self.input.path, at),
                reason.to_owned(),
            ),
        };
        self.unparsed(
            sink,
            Span {
                start,
                end: end.max(at),
                line,
            },
            reason,
            &excerpt,
        );
    }

    fn finish(mut self, sink: &mut dyn Sink, eof: u64) -> Result<(), SourceError> {
        if self.mms.is_some() {
            self.cut(
                sink,
                eof,
                eof,
                "the file ends inside it (truncated backup); its remaining parts and addresses \
                 are missing",
            );
            self.cuts -= 1;
        }
        if self.cuts > 0 {
            sink.warning(format!(
                "{} regions of the file could not be read as XML (each is an Unparsed record); \
                 reading went on at the next <sms>, <mms> or <call>",
                self.cuts
            ));
        }
        if self.root.is_none() && self.records == 0 {
            return Err(SourceError::Format {
                location: "line 1".into(),
                message: "no <smses> or <calls> root element and no <sms>, <mms> or <call> element"
                    .into(),
            });
        }
        if self.root.is_none() {
            sink.warning("no <smses> or <calls> root element; elements read anyway".into());
        } else if !self.root_closed {
            sink.warning(format!(
                "the file ends before </{}>: the backup is truncated",
                self.root.as_deref().unwrap_or_default()
            ));
        }
        if let Some(count) = &self.root_count
            && count.trim().parse::<u64>().ok() != Some(self.records)
        {
            sink.warning(format!(
                "the root element says count=\"{count}\" but {} message elements were found",
                self.records
            ));
        }
        if self.attr_problems > 0 {
            sink.warning(format!(
                "{} elements had malformed attributes (see extra.attr_errors)",
                self.attr_problems
            ));
        }
        if self.recoded > 0 {
            sink.warning(format!(
                "{} attribute values were not valid UTF-8 and were decoded as GB18030 (see \
                 extra.attr_errors)",
                self.recoded
            ));
        }
        if self.dropped > 0 {
            sink.warning(format!(
                "{} bytes of over-long text between elements were skipped",
                self.dropped
            ));
        }
        Ok(())
    }
}

/// The first bytes at `pos` of the file, lossily decoded.
fn excerpt_at(path: &Path, pos: u64) -> String {
    let mut buf = Vec::new();
    if let Ok(mut f) = File::open(path)
        && f.seek(SeekFrom::Start(pos)).is_ok()
    {
        let _ = f.take(EXCERPT as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Line numbers of byte offsets asked for in increasing order, counted on a second,
/// read-only handle of the file (so that nothing but the counter is kept).
struct Lines {
    r: BufReader<File>,
    pos: u64,
    line: u64,
}

impl Lines {
    fn new(f: File) -> Self {
        Self {
            r: BufReader::with_capacity(64 * 1024, f),
            pos: 0,
            line: 1,
        }
    }

    fn at(&mut self, target: u64) -> u64 {
        while self.pos < target {
            let Ok(buf) = self.r.fill_buf() else { break };
            if buf.is_empty() {
                break;
            }
            let n = usize::try_from(target - self.pos)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let chunk = buf.get(..n).unwrap_or_default();
            self.line += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            self.r.consume(n);
            self.pos += n as u64;
        }
        self.line
    }
}

/// A byte filter in front of the XML reader that bounds the memory one element needs.
///
/// It tracks just enough XML (text, tags and their quoted values, comments, CDATA,
/// processing instructions, DOCTYPE) to find attribute values. A value longer than
/// [`VALUE_CAP`], or any value once its tag has passed [`TAG_CAP`], is replaced by
/// [`MARK`] and an index into [`Side::elisions`], which keeps its length, base64 accounting
/// and first bytes. Text between elements longer than [`VALUE_CAP`] is cut (counted in
/// [`Side::dropped_text`]); markup other than tags longer than [`TAG_CAP`] stops the read
/// with an I/O error. [`Side::orig`] maps positions in the filtered stream back to the file.
mod elide {
    use std::collections::{HashMap, VecDeque};
    use std::io::{self, Read};

    /// Longest attribute value passed on whole.
    pub(super) const VALUE_CAP: usize = 1 << 20;
    /// Longest tag, comment or other markup.
    pub(super) const TAG_CAP: usize = crate::source::MAX_RECORD;
    /// Bytes of an elided value kept for excerpts.
    const HEAD: usize = 256;
    /// Start of a placeholder: U+FFFE is a noncharacter no XML writer emits.
    pub(super) const MARK: &str = "\u{FFFE}elided:";
    /// Start of a value that was not UTF-8 and was decoded as GB18030 (what Chinese
    /// Windows tools write) by the filter, so that the XML reader can go on.
    pub(super) const RECODED: &str = "\u{FFFE}recoded:";

    /// Base64 accounting: the decoded size without decoding.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub(super) struct Base64 {
        chars: u64,
        pad: u64,
        invalid: u64,
        char_after_pad: bool,
        /// An entity reference being read from raw XML (`&#10;`).
        entity: Option<Vec<u8>>,
    }

    impl Base64 {
        /// One character of an unescaped value.
        pub(super) fn feed(&mut self, c: char) {
            match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' | '-' | '_' => {
                    if self.pad > 0 {
                        self.char_after_pad = true;
                    }
                    self.chars += 1;
                }
                '=' => self.pad += 1,
                ' ' | '\t' | '\r' | '\n' => {}
                _ => self.invalid += 1,
            }
        }

        /// One byte of a raw (still escaped) value.
        pub(super) fn feed_raw(&mut self, b: u8) {
            if let Some(ent) = self.entity.as_mut() {
                if b == b';' {
                    let name = std::mem::take(ent);
                    self.entity = None;
                    // Only whitespace may be written as a reference inside base64.
                    match name.as_slice() {
                        b"#10" | b"#13" | b"#9" | b"#32" | b"#xA" | b"#xa" | b"#xD" | b"#xd"
                        | b"#x9" | b"#x20" => {}
                        _ => self.invalid += 1,
                    }
                } else if ent.len() < 12 {
                    ent.push(b);
                } else {
                    self.entity = None;
                    self.invalid += 1;
                }
            } else if b == b'&' {
                self.entity = Some(Vec::new());
            } else {
                self.feed(char::from(b));
            }
        }

        /// Decoded length when the text is valid base64 (padded or not).
        pub(super) fn decoded_len(&self) -> Option<u64> {
            if self.invalid > 0 || self.char_after_pad || self.pad > 2 || self.entity.is_some() {
                return None;
            }
            if self.pad > 0 && !(self.chars + self.pad).is_multiple_of(4) {
                return None;
            }
            let tail = match self.chars % 4 {
                0 => 0,
                2 => 1,
                3 => 2,
                _ => return None,
            };
            Some(self.chars / 4 * 3 + tail)
        }
    }

    /// An attribute value the filter did not pass on.
    #[derive(Debug, Default, Clone)]
    pub(super) struct Elision {
        /// Its length in the file, in bytes (escaped form).
        pub(super) len: u64,
        /// Its first bytes.
        pub(super) head: Vec<u8>,
        /// Base64 accounting over it.
        pub(super) b64: Base64,
    }

    /// What the filter tells the parser.
    #[derive(Debug, Default)]
    pub(super) struct Side {
        elisions: HashMap<u64, Elision>,
        next: u64,
        /// (filtered position, original minus filtered from there on), in order.
        map: VecDeque<(u64, i64)>,
        delta: i64,
        /// Bytes of text between elements not passed on.
        pub(super) dropped_text: u64,
        /// Attribute values decoded as GB18030.
        pub(super) recoded: u64,
    }

    impl Side {
        /// The original file offset of a filtered position; positions must be asked for
        /// in increasing order.
        pub(super) fn orig(&mut self, p: u64) -> u64 {
            while let Some(&(at, d)) = self.map.front() {
                if at > p {
                    break;
                }
                self.delta = d;
                self.map.pop_front();
            }
            u64::try_from(
                i64::try_from(p)
                    .unwrap_or(i64::MAX)
                    .saturating_add(self.delta),
            )
            .unwrap_or(p)
        }

        /// The elision a raw attribute value stands for, if it is a placeholder.
        pub(super) fn take(&mut self, raw: &str) -> Option<Elision> {
            let idx: u64 = raw.strip_prefix(MARK)?.parse().ok()?;
            self.elisions.remove(&idx)
        }
    }

    #[derive(Debug)]
    enum State {
        Text {
            run: usize,
        },
        Lt,
        Bang {
            seen: Vec<u8>,
        },
        Comment {
            dashes: u8,
            run: usize,
        },
        CData {
            brackets: u8,
            run: usize,
        },
        Pi {
            question: bool,
            run: usize,
        },
        DocType {
            depth: u32,
            run: usize,
        },
        Tag {
            run: usize,
        },
        Value {
            quote: u8,
            pending: Vec<u8>,
            first: u64,
            run: usize,
        },
        Eliding {
            quote: u8,
            el: Elision,
            run: usize,
        },
    }

    /// See the module documentation.
    pub(super) struct Filter<R> {
        inner: R,
        chunk: Vec<u8>,
        out: Vec<u8>,
        out_pos: usize,
        state: State,
        pub(super) side: Side,
        in_total: u64,
        out_total: u64,
        eof: bool,
        error: Option<String>,
    }

    impl<R: Read> Filter<R> {
        /// A filter over `inner`, whose first byte is at offset `base` of the file.
        pub(super) fn new(inner: R, base: u64) -> Self {
            let delta = i64::try_from(base).unwrap_or(i64::MAX);
            Self {
                inner,
                chunk: vec![0; 64 * 1024],
                out: Vec::new(),
                out_pos: 0,
                state: State::Text { run: 0 },
                side: Side {
                    delta,
                    ..Side::default()
                },
                in_total: base,
                out_total: 0,
                eof: false,
                error: None,
            }
        }

        /// Passes `b` on; `ip` is its offset in the file (`None` for inserted bytes).
        fn emit(&mut self, b: u8, ip: Option<u64>) {
            if let Some(ip) = ip {
                let d = i64::try_from(ip).unwrap_or(i64::MAX)
                    - i64::try_from(self.out_total).unwrap_or(i64::MAX);
                if d != self.side.delta_last() {
                    self.side.map.push_back((self.out_total, d));
                }
            }
            self.out.push(b);
            self.out_total += 1;
        }

        /// Passes on a run of bytes from file offset `ip` (one mapping check for the run).
        fn emit_run(&mut self, run: &[u8], ip: u64) {
            let Some((&first, rest)) = run.split_first() else {
                return;
            };
            self.emit(first, Some(ip));
            self.out.extend_from_slice(rest);
            self.out_total += rest.len() as u64;
        }

        /// Feeds a chunk: runs of ordinary bytes in text, tags and values are handled in
        /// bulk; bytes that change state go through [`Self::step`].
        fn feed(&mut self, data: &[u8]) {
            let mut i = 0;
            while i < data.len() && self.error.is_none() {
                let rest = data.get(i..).unwrap_or_default();
                let (n, emit) = match &mut self.state {
                    State::Text { run } => {
                        let stop = rest.iter().position(|b| *b == b'<').unwrap_or(rest.len());
                        if *run >= VALUE_CAP {
                            self.side.dropped_text += stop as u64;
                            (stop, false)
                        } else {
                            let take = stop.min(VALUE_CAP - *run);
                            *run += take;
                            (take, true)
                        }
                    }
                    State::Tag { run } => {
                        let stop = rest
                            .iter()
                            .position(|b| matches!(b, b'>' | b'"' | b'\''))
                            .unwrap_or(rest.len());
                        let take = stop.min((2 * TAG_CAP).saturating_sub(*run));
                        *run += take;
                        (take, true)
                    }
                    State::Value {
                        quote,
                        pending,
                        run,
                        ..
                    } => {
                        let q = *quote;
                        let stop = rest.iter().position(|b| *b == q).unwrap_or(rest.len());
                        // Up to the caps; the byte that crosses one goes through `step`.
                        let room = VALUE_CAP
                            .saturating_sub(pending.len())
                            .min(TAG_CAP.saturating_sub(*run + pending.len()));
                        let take = stop.min(room);
                        pending.extend_from_slice(rest.get(..take).unwrap_or_default());
                        (take, false)
                    }
                    State::Eliding { quote, el, .. } => {
                        let q = *quote;
                        let take = rest.iter().position(|b| *b == q).unwrap_or(rest.len());
                        let run = rest.get(..take).unwrap_or_default();
                        run.iter().for_each(|b| el.b64.feed_raw(*b));
                        el.len += take as u64;
                        let need = HEAD.saturating_sub(el.head.len()).min(take);
                        el.head
                            .extend_from_slice(run.get(..need).unwrap_or_default());
                        (take, false)
                    }
                    _ => (0, false),
                };
                if n == 0 {
                    if let Some(b) = rest.first() {
                        self.step(*b);
                    }
                    self.in_total += 1;
                    i += 1;
                } else {
                    if emit {
                        let ip = self.in_total;
                        self.emit_run(rest.get(..n).unwrap_or_default(), ip);
                    }
                    self.in_total += n as u64;
                    i += n;
                }
            }
        }

        fn fail(&mut self, what: &str) {
            self.error = Some(format!(
                "{what} longer than {TAG_CAP} bytes at byte {}",
                self.in_total
            ));
        }

        fn step(&mut self, b: u8) {
            let ip = Some(self.in_total);
            let state = std::mem::replace(&mut self.state, State::Text { run: 0 });
            self.state = match state {
                State::Text { run } => {
                    if b == b'<' {
                        self.emit(b, ip);
                        State::Lt
                    } else if run < VALUE_CAP {
                        self.emit(b, ip);
                        State::Text { run: run + 1 }
                    } else {
                        self.side.dropped_text += 1;
                        State::Text { run }
                    }
                }
                State::Lt => {
                    self.emit(b, ip);
                    match b {
                        b'!' => State::Bang { seen: Vec::new() },
                        b'?' => State::Pi {
                            question: false,
                            run: 2,
                        },
                        b'>' => State::Text { run: 0 },
                        b'"' | b'\'' => State::Value {
                            quote: b,
                            pending: Vec::new(),
                            first: self.in_total + 1,
                            run: 2,
                        },
                        _ => State::Tag { run: 2 },
                    }
                }
                State::Bang { mut seen } => {
                    self.emit(b, ip);
                    seen.push(b);
                    if seen == b"--" {
                        State::Comment { dashes: 0, run: 4 }
                    } else if seen == b"[CDATA[" {
                        State::CData {
                            brackets: 0,
                            run: 9,
                        }
                    } else if b"--".starts_with(&seen) || b"[CDATA[".starts_with(&seen) {
                        State::Bang { seen }
                    } else if b == b'>' {
                        State::Text { run: 0 }
                    } else {
                        State::DocType {
                            depth: u32::from(b == b'['),
                            run: 2 + seen.len(),
                        }
                    }
                }
                State::Comment { dashes, run } => {
                    self.emit(b, ip);
                    if run > TAG_CAP {
                        self.fail("comment");
                    }
                    match b {
                        b'-' => State::Comment {
                            dashes: dashes.saturating_add(1),
                            run: run + 1,
                        },
                        b'>' if dashes >= 2 => State::Text { run: 0 },
                        _ => State::Comment {
                            dashes: 0,
                            run: run + 1,
                        },
                    }
                }
                State::CData { brackets, run } => {
                    self.emit(b, ip);
                    if run > TAG_CAP {
                        self.fail("CDATA section");
                    }
                    match b {
                        b']' => State::CData {
                            brackets: brackets.saturating_add(1),
                            run: run + 1,
                        },
                        b'>' if brackets >= 2 => State::Text { run: 0 },
                        _ => State::CData {
                            brackets: 0,
                            run: run + 1,
                        },
                    }
                }
                State::Pi { question, run } => {
                    self.emit(b, ip);
                    if run > TAG_CAP {
                        self.fail("processing instruction");
                    }
                    if b == b'>' && question {
                        State::Text { run: 0 }
                    } else {
                        State::Pi {
                            question: b == b'?',
                            run: run + 1,
                        }
                    }
                }
                State::DocType { depth, run } => {
                    self.emit(b, ip);
                    if run > TAG_CAP {
                        self.fail("DOCTYPE");
                    }
                    match b {
                        b'[' => State::DocType {
                            depth: depth.saturating_add(1),
                            run: run + 1,
                        },
                        b']' => State::DocType {
                            depth: depth.saturating_sub(1),
                            run: run + 1,
                        },
                        b'>' if depth == 0 => State::Text { run: 0 },
                        _ => State::DocType {
                            depth,
                            run: run + 1,
                        },
                    }
                }
                State::Tag { run } => {
                    self.emit(b, ip);
                    if run > 2 * TAG_CAP {
                        self.fail("tag");
                    }
                    match b {
                        b'>' => State::Text { run: 0 },
                        b'"' | b'\'' => State::Value {
                            quote: b,
                            pending: Vec::new(),
                            first: self.in_total + 1,
                            run: run + 1,
                        },
                        _ => State::Tag { run: run + 1 },
                    }
                }
                State::Value {
                    quote,
                    mut pending,
                    first,
                    run,
                } => {
                    if b == quote {
                        let len = pending.len();
                        if std::str::from_utf8(&pending).is_ok() {
                            for (i, p) in pending.into_iter().enumerate() {
                                self.emit(p, Some(first + i as u64));
                            }
                        } else {
                            // GB18030 keeps ASCII bytes as they are, so escapes and the
                            // value's bounds do not change.
                            self.side.recoded += 1;
                            let (text, _) =
                                encoding_rs::GB18030.decode_without_bom_handling(&pending);
                            for m in RECODED.bytes().chain(text.bytes()) {
                                self.emit(m, None);
                            }
                        }
                        self.emit(b, ip);
                        State::Tag { run: run + len + 1 }
                    } else {
                        pending.push(b);
                        if pending.len() > VALUE_CAP || run + pending.len() > TAG_CAP {
                            let mut el = Elision {
                                len: pending.len() as u64,
                                head: pending.get(..HEAD).unwrap_or(&pending).to_vec(),
                                b64: Base64::default(),
                            };
                            pending.iter().for_each(|p| el.b64.feed_raw(*p));
                            State::Eliding { quote, el, run }
                        } else {
                            State::Value {
                                quote,
                                pending,
                                first,
                                run,
                            }
                        }
                    }
                }
                State::Eliding { quote, mut el, run } => {
                    if b == quote {
                        let idx = self.side.next;
                        self.side.next += 1;
                        self.side.elisions.insert(idx, el);
                        let mark = format!("{MARK}{idx}");
                        for m in mark.bytes() {
                            self.emit(m, None);
                        }
                        self.emit(b, ip);
                        State::Tag {
                            run: run + mark.len() + 1,
                        }
                    } else {
                        el.len += 1;
                        el.b64.feed_raw(b);
                        if el.head.len() < HEAD {
                            el.head.push(b);
                        }
                        State::Eliding { quote, el, run }
                    }
                }
            };
        }

        /// At end of input: pass on a value cut by it, so the XML reader reports the
        /// unclosed tag, and map the end position.
        fn finish(&mut self) {
            let state = std::mem::replace(&mut self.state, State::Text { run: 0 });
            if let State::Value { pending, first, .. } = state {
                for (i, p) in pending.into_iter().enumerate() {
                    self.emit(p, Some(first + i as u64));
                }
            }
            let d = i64::try_from(self.in_total).unwrap_or(i64::MAX)
                - i64::try_from(self.out_total).unwrap_or(i64::MAX);
            if d != self.side.delta_last() {
                self.side.map.push_back((self.out_total, d));
            }
        }
    }

    impl Side {
        /// The delta of the last mapping entry (or the current one).
        fn delta_last(&self) -> i64 {
            self.map.back().map_or(self.delta, |(_, d)| *d)
        }
    }

    impl<R: Read> Read for Filter<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            loop {
                if self.out_pos < self.out.len() {
                    let avail = self.out.get(self.out_pos..).unwrap_or_default();
                    let n = avail.len().min(buf.len());
                    if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                    self.out_pos += n;
                    return Ok(n);
                }
                self.out.clear();
                self.out_pos = 0;
                if let Some(e) = &self.error {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
                }
                if self.eof {
                    return Ok(0);
                }
                let mut chunk = std::mem::take(&mut self.chunk);
                let n = match self.inner.read(&mut chunk) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                        self.chunk = chunk;
                        continue;
                    }
                    Err(e) => {
                        self.chunk = chunk;
                        return Err(e);
                    }
                };
                if n == 0 {
                    self.finish();
                    self.eof = true;
                }
                self.feed(chunk.get(..n).unwrap_or_default());
                self.chunk = chunk;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn run(input: &[u8]) -> (Vec<u8>, Side) {
            let mut f = Filter::new(input, 0);
            let mut out = Vec::new();
            f.read_to_end(&mut out).expect("read");
            (out, f.side)
        }

        #[test]
        fn small_values_pass_unchanged() {
            let xml = b"<?xml version='1.0'?><!-- a \"quote --><a x=\"1>2\" y='z'>t</a>";
            assert_eq!(run(xml).0, xml);
        }

        #[test]
        fn long_values_are_elided_and_positions_mapped() {
            let data = "QUJD".repeat(VALUE_CAP / 4 + 10);
            let xml = format!("<a>\n<part data=\"{data}\" ct=\"image/png\"/>\n<b/></a>");
            let (out, mut side) = run(xml.as_bytes());
            let out = String::from_utf8(out).expect("utf8");
            assert_eq!(
                out,
                format!("<a>\n<part data=\"{MARK}0\" ct=\"image/png\"/>\n<b/></a>")
            );
            let el = side.take(&format!("{MARK}0")).expect("elision");
            assert_eq!(el.len, data.len() as u64);
            assert_eq!(el.b64.decoded_len(), Some(data.len() as u64 / 4 * 3));
            let b_filtered = out.find("<b/>").expect("b") as u64;
            assert_eq!(side.orig(4), 4);
            assert_eq!(side.orig(b_filtered), xml.find("<b/>").expect("b") as u64);
        }

        /// Reads at most `n` bytes per call, to move chunk boundaries around.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }

        #[test]
        fn chunking_does_not_change_output() {
            let big = "QUJD&#10;".repeat(VALUE_CAP / 8 + 3);
            let xml = format!(
                "<?xml version='1.0'?>\n<!-- c\"m -- -->\n<smses>\n<a x='1' y=\"{big}\" z=\"q'q\"/>\n\
                 <![CDATA[ ]] > ]]>\n<b t=\"{}\"/>\n</smses>\n",
                "é".repeat(100)
            );
            let reference = {
                let mut f = Filter::new(xml.as_bytes(), 10);
                let mut out = Vec::new();
                f.read_to_end(&mut out).expect("read");
                let mut side = f.side;
                let probes: Vec<u64> = (0..out.len() as u64).step_by(97).collect();
                let mapped: Vec<u64> = probes.iter().map(|p| side.orig(*p)).collect();
                (out, mapped)
            };
            for n in [1, 2, 3, 7, 4096] {
                let mut f = Filter::new(Trickle(xml.as_bytes(), n), 10);
                let mut out = Vec::new();
                f.read_to_end(&mut out).expect("read");
                assert_eq!(out, reference.0, "chunk {n}");
                let mut side = f.side;
                let mapped: Vec<u64> = (0..out.len() as u64)
                    .step_by(97)
                    .map(|p| side.orig(p))
                    .collect();
                assert_eq!(mapped, reference.1, "chunk {n}");
            }
            let out = String::from_utf8(reference.0).expect("utf8");
            assert!(out.contains(&format!("y=\"{MARK}0\"")), "{}", &out[..200]);
            // Positions after the elided value map back to the file (base 10).
            let b = out.find("<b t=").expect("b") as u64;
            let mut f = Filter::new(xml.as_bytes(), 10);
            f.read_to_end(&mut Vec::new()).expect("read");
            assert_eq!(f.side.orig(b), 10 + xml.find("<b t=").expect("b") as u64);
        }

        #[test]
        fn base64_sizes() {
            let size = |s: &str| {
                let mut b = Base64::default();
                s.chars().for_each(|c| b.feed(c));
                b.decoded_len()
            };
            assert_eq!(size("QUJD"), Some(3));
            assert_eq!(size("QUI="), Some(2));
            assert_eq!(size("QQ=="), Some(1));
            assert_eq!(size("QQ"), Some(1));
            assert_eq!(size("Q"), None);
            assert_eq!(size("not-valid-base64-content!!"), None);
            assert_eq!(size("QQ==QQ=="), None);
            let mut raw = Base64::default();
            b"QUJD&#10;QUJD".iter().for_each(|b| raw.feed_raw(*b));
            assert_eq!(raw.decoded_len(), Some(6));
        }

        #[test]
        fn long_text_is_cut_and_long_comments_stop() {
            let text = "x".repeat(VALUE_CAP + 5);
            let (out, side) = run(format!("<a>{text}</a>").as_bytes());
            assert_eq!(out.len(), VALUE_CAP + 7);
            assert_eq!(side.dropped_text, 5);
            let mut sink = Vec::new();
            let mut g = Filter::new(
                b"<!--".chain(std::io::repeat(b'x').take(TAG_CAP as u64 + 10)),
                0,
            );
            assert!(g.read_to_end(&mut sink).is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use std::path::PathBuf;

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/sms-backup-xml")
            .join(rel)
    }

    const DEV: &str = "devadvance__sms-backup-reader-2";
    const SHRUG: &str = "shruggietech__sms-backup-restore-parser/tests/fixtures";

    fn parse_path(path: &Path, zone: &str) -> Result<Collect, SourceError> {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let opts = Options {
            zone: Some(zone.into()),
            ..Options::default()
        };
        SmsBackupXml.parse(&input, &opts, &mut sink)?;
        Ok(sink)
    }

    fn parse_bytes(bytes: &[u8]) -> (Result<(), SourceError>, Collect) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sms-test.xml");
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        let r = SmsBackupXml.parse(&input, &Options::default(), &mut sink);
        (r, sink)
    }

    #[test]
    fn sms_small() {
        let path = data(&format!("{DEV}/packages/lib/test-assets/sms_small.xml"));
        assert!(SmsBackupXml.sniff(&Input::open(&path).expect("open")) >= 90);
        let c = parse_path(&path, "America/New_York").expect("parse");
        assert_eq!(c.messages.len(), 12);
        assert!(c.unparsed.is_empty());
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let convs: Vec<_> = c.conversations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(convs, ["+15550000001", "+15550000003", "+15550000004"]);
        assert_eq!(c.conversations[0].title.as_deref(), Some("Contact A"));
        let first = &c.messages[0];
        assert_eq!(first.id, "L4");
        assert_eq!(first.body, "Body text 1");
        assert_eq!(first.direction, Direction::Incoming);
        assert_eq!(first.sender.name.as_deref(), Some("Contact A"));
        assert_eq!(first.sender.account.as_deref(), Some("+15550000001"));
        assert_eq!(first.time.raw, "1512226167463");
        assert_eq!(first.time.unit, "unix_ms");
        assert_eq!(first.time.utc.as_deref(), Some("2017-12-02T14:49:27.463Z"));
        assert_eq!(first.time.offset.as_deref(), Some("-05:00"));
        assert_eq!(first.time.zone_basis, "source");
        assert_eq!(first.extra["date_sent"]["utc"], "2017-12-02T14:49:26Z");
        assert_eq!(
            first.extra["attrs"]["readable_date"],
            "Dec 2, 2017 06:49:27"
        );
        match &first.provenance.location {
            Location::Bytes { start, end, line } => {
                assert_eq!(*line, Some(4));
                let bytes = std::fs::read(&path).expect("read");
                let el = &bytes[*start as usize..*end as usize];
                assert!(el.starts_with(
                    b"<sms protocol=\"0\" address=\"+15550000001\" date=\"1512226167463\""
                ));
                assert!(el.ends_with(b"/>"));
            }
            other => panic!("{other:?}"),
        }
        let fifth = &c.messages[4];
        assert_eq!(fifth.direction, Direction::Outgoing);
        assert_eq!(fifth.sender, Party::default());
        assert!(fifth.extra.get("date_sent").is_none());
        assert_eq!(
            c.messages[9].body,
            "Body text 10\nBody text 11\nBody text 12"
        );
        let last = &c.messages[11];
        assert_eq!(last.id, "L15");
        assert_eq!(last.body, "Body text 14");
        assert_eq!(last.time.utc.as_deref(), Some("2017-12-02T18:10:45.524Z"));
    }

    #[test]
    fn truncated_sms_and_mms() {
        let path = data(&format!("{DEV}/packages/lib/test-assets/sms_and_mms.xml"));
        let c = parse_path(&path, "Asia/Shanghai").expect("parse");
        // 41 SMS and 8 complete MMS; the ninth MMS is cut off in its <parts>.
        assert_eq!(c.messages.len(), 49);
        let sms = c
            .messages
            .iter()
            .filter(|m| m.extra["element"] == "sms")
            .count();
        assert_eq!(sms, 41);
        assert_eq!(c.unparsed.len(), 1);
        let u = &c.unparsed[0];
        assert!(u.reason.contains("<mms> from line"), "{}", u.reason);
        assert!(u.reason.contains("truncated"), "{}", u.reason);
        assert!(
            u.excerpt.starts_with("mms date=\"1721334048000\""),
            "{}",
            u.excerpt
        );
        let size = std::fs::metadata(&path).expect("meta").len();
        assert!(matches!(u.provenance.location, Location::Bytes { end, .. } if end == size));
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("ends before </smses>"))
        );
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("count=\"58\"") && w.contains("50"))
        );

        let mms: Vec<_> = c
            .messages
            .iter()
            .filter(|m| m.extra["element"] == "mms")
            .collect();
        assert_eq!(mms.len(), 8);
        let m1 = mms[0];
        assert_eq!(m1.body, "Body text 45");
        assert_eq!(m1.direction, Direction::Incoming);
        assert_eq!(m1.sender.account.as_deref(), Some("+15550000006"));
        assert_eq!(m1.time.unit, "unix_ms");
        assert_eq!(m1.time.utc.as_deref(), Some("2024-07-14T22:53:13Z"));
        assert_eq!(m1.time.offset.as_deref(), Some("+08:00"));
        // MMS date_sent is in seconds even here.
        assert_eq!(m1.extra["date_sent"]["unit"], "unix_s");
        assert_eq!(m1.extra["date_sent"]["utc"], "2024-07-14T22:53:13Z");
        let sent = mms[1];
        assert_eq!(sent.direction, Direction::Outgoing);
        assert_eq!(sent.sender.account.as_deref(), Some("+15550000007"));
        assert_eq!(sent.body, "Body text 46");
        // RCS group: one conversation keyed by the group address, several members.
        let group = c
            .conversations
            .iter()
            .find(|c| c.id == "group_8@rcs.google.com")
            .expect("group");
        assert_eq!(group.kind.as_deref(), Some("group"));
        assert!(group.participants.len() >= 3);
        assert_eq!(mms[2].sender.account.as_deref(), Some("+15550000009"));
        assert_eq!(mms[2].sender.name, None);
        let pic = mms[6];
        assert_eq!(pic.kind, MessageKind::Image);
        assert_eq!(pic.body, "Body text 54");
        assert_eq!(pic.attachments.len(), 1);
        assert_eq!(pic.attachments[0].name.as_deref(), Some("image_8.png"));
        assert_eq!(pic.attachments[0].mime.as_deref(), Some("image/png"));
        assert_eq!(pic.attachments[0].size, Some(70));
        let last = mms[7];
        assert_eq!(last.body, "Body text 55");
        assert_eq!(last.time.utc.as_deref(), Some("2024-07-17T21:37:26Z"));
    }

    #[test]
    fn mms_fixtures() {
        let c = parse_path(&data(&format!("{SHRUG}/minimal_mms.xml")), "UTC").expect("parse");
        assert_eq!(c.messages.len(), 1);
        let m = &c.messages[0];
        assert_eq!(m.body, "Hello from MMS!");
        assert_eq!(m.kind, MessageKind::Image);
        assert_eq!(m.extra["subject"], "Test MMS Subject");
        assert_eq!(m.sender.account.as_deref(), Some("+15559876543"));
        assert_eq!(m.attachments[0].name.as_deref(), Some("image.jpg"));
        assert_eq!(m.attachments[0].size, Some(70));
        assert_eq!(m.time.utc.as_deref(), Some("2021-01-02T00:00:00Z"));

        let c = parse_path(
            &data(&format!("{DEV}/tests/e2e/fixtures/sample_mms.xml")),
            "UTC",
        )
        .expect("parse");
        let kinds: Vec<_> = c.messages.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MessageKind::Image,
                MessageKind::Video,
                MessageKind::Voice,
                MessageKind::File
            ]
        );
        assert_eq!(
            c.messages[3].attachments[0].mime.as_deref(),
            Some("application/pdf")
        );
        assert_eq!(c.messages[0].body, "Here is an image attachment");

        let c = parse_path(
            &data(&format!("{DEV}/tests/e2e/fixtures/corrupt_attachments.xml")),
            "UTC",
        )
        .expect("parse");
        assert_eq!(c.messages.len(), 2);
        assert_eq!(c.messages[0].attachments[0].size, None);
        assert_eq!(c.messages[0].extra["parts"][0]["data_base64_valid"], false);
        assert!(
            c.messages[0].extra["attr_errors"][0]
                .as_str()
                .is_some_and(|e| e.contains("not valid base64"))
        );
    }

    #[test]
    fn small_fixtures() {
        let c = parse_path(
            &data(&format!("{DEV}/tests/e2e/fixtures/sample_small.xml")),
            "UTC",
        )
        .expect("parse");
        assert_eq!(c.messages.len(), 7);
        assert_eq!(c.conversations.len(), 2);
        // The text-only MMS lists only a BCC address; its sender is the thread's address.
        let m = &c.messages[3];
        assert_eq!(m.body, "MMS 1 text in Thread 1");
        assert_eq!(m.conversation, "+15550000001");
        assert_eq!(m.sender.account.as_deref(), Some("+15550000001"));
        assert_eq!(m.sender.name.as_deref(), Some("Contact A"));

        let c = parse_path(&data(&format!("{DEV}/tests/e2e/fixtures/empty.xml")), "UTC")
            .expect("parse");
        assert!(c.messages.is_empty() && c.warnings.is_empty() && c.unparsed.is_empty());

        let c = parse_path(&data(&format!("{SHRUG}/edge_cases.xml")), "UTC").expect("parse");
        assert_eq!(c.messages.len(), 4);
        assert_eq!(
            c.messages[1].body,
            "Hello 🌍 — this has «special» chars & symbols < > \" '"
        );
        assert_eq!(c.messages[2].body, "");
        assert_eq!(c.messages[3].body, "");
        assert_eq!(c.messages[3].sender.name.as_deref(), Some("Eve NoParts"));

        let c = parse_path(&data(&format!("{SHRUG}/mixed.xml")), "UTC").expect("parse");
        assert_eq!(c.messages.len(), 4);
        assert_eq!(c.conversations.len(), 2);
        assert_eq!(c.messages[3].extra["box"], "draft");
        assert_eq!(c.messages[3].direction, Direction::Outgoing);
        assert_eq!(c.messages[1].conversation, "+15551234567");

        let c = parse_path(&data(&format!("{SHRUG}/minimal_sms.xml")), "UTC").expect("parse");
        assert_eq!(
            c.messages[0].body,
            "Happy New Year! This is a test message."
        );
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2021-01-01T00:00:00Z")
        );
    }

    /// Every fixture: message count, first and last instant, unparsed records.
    #[test]
    fn every_fixture_counts_and_bounds() {
        /// File, messages, first and last UTC instant, unparsed records.
        type Case<'a> = (&'a str, usize, Option<&'a str>, Option<&'a str>, usize);
        let cases: [Case<'_>; 12] = [
            (
                "DEV/packages/lib/test-assets/sms_small.xml",
                12,
                Some("2017-12-02T14:49:27.463Z"),
                Some("2017-12-02T18:10:45.524Z"),
                0,
            ),
            (
                "DEV/packages/lib/test-assets/sms_and_mms.xml",
                49,
                Some("2017-12-02T14:49:27.463Z"),
                Some("2024-07-17T21:37:26Z"),
                1,
            ),
            (
                "DEV/tests/e2e/fixtures/sample_small.xml",
                7,
                Some("2017-12-02T14:49:27.463Z"),
                Some("2024-07-14T23:04:03Z"),
                0,
            ),
            (
                "DEV/tests/e2e/fixtures/sample_mms.xml",
                4,
                Some("2024-07-16T20:29:24Z"),
                Some("2024-07-16T20:29:27Z"),
                0,
            ),
            (
                "DEV/tests/e2e/fixtures/corrupt_attachments.xml",
                2,
                Some("2024-07-16T20:29:28Z"),
                Some("2024-07-16T20:29:29Z"),
                0,
            ),
            ("DEV/tests/e2e/fixtures/empty.xml", 0, None, None, 0),
            (
                "SHRUG/minimal_sms.xml",
                1,
                Some("2021-01-01T00:00:00Z"),
                Some("2021-01-01T00:00:00Z"),
                0,
            ),
            (
                "SHRUG/minimal_mms.xml",
                1,
                Some("2021-01-02T00:00:00Z"),
                Some("2021-01-02T00:00:00Z"),
                0,
            ),
            (
                "SHRUG/mixed.xml",
                4,
                Some("2021-01-01T00:00:00Z"),
                Some("2021-01-01T03:00:00Z"),
                0,
            ),
            (
                "SHRUG/edge_cases.xml",
                4,
                Some("2021-01-01T00:00:00Z"),
                Some("2021-01-01T03:00:00Z"),
                0,
            ),
            ("SHRUG/malformed.xml", 1, None, None, 0),
            (
                "SHRUG/minimal_calls.xml",
                1,
                Some("2021-01-03T00:00:00Z"),
                Some("2021-01-03T00:00:00Z"),
                0,
            ),
        ];
        for (rel, count, first, last, unparsed) in cases {
            let rel = rel.replace("DEV", DEV).replace("SHRUG", SHRUG);
            let c = parse_path(&data(&rel), "Asia/Shanghai").expect(&rel);
            assert_eq!(c.messages.len(), count, "{rel}");
            assert_eq!(c.unparsed.len(), unparsed, "{rel}");
            assert_eq!(
                c.messages.first().and_then(|m| m.time.utc.as_deref()),
                first,
                "{rel}"
            );
            assert_eq!(
                c.messages.last().and_then(|m| m.time.utc.as_deref()),
                last,
                "{rel}"
            );
            for m in &c.messages {
                if m.time.utc.is_some() {
                    assert_eq!(m.time.offset.as_deref(), Some("+08:00"), "{rel}");
                    assert_eq!(m.time.zone_basis, "source", "{rel}");
                }
            }
        }
    }

    #[test]
    fn calls() {
        let path = data(&format!("{SHRUG}/minimal_calls.xml"));
        assert!(SmsBackupXml.sniff(&Input::open(&path).expect("open")) >= 90);
        let c = parse_path(&path, "UTC").expect("parse");
        assert_eq!(c.messages.len(), 1);
        let m = &c.messages[0];
        assert_eq!(m.kind, MessageKind::Call);
        assert_eq!(m.body, "incoming call, 125 s");
        assert_eq!(m.direction, Direction::Incoming);
        assert_eq!(m.sender.name.as_deref(), Some("Alice Smith"));
        assert_eq!(m.time.utc.as_deref(), Some("2021-01-03T00:00:00Z"));
        assert_eq!(m.extra["attrs"]["presentation"], "1");
    }

    #[test]
    fn malformed_fixture() {
        let c = parse_path(&data(&format!("{SHRUG}/malformed.xml")), "UTC").expect("parse");
        // The <sms> tag runs into the comment; its attributes up to there are read.
        assert_eq!(c.messages.len(), 1);
        let m = &c.messages[0];
        assert_eq!(m.body, "This is fine");
        assert_eq!(m.time.raw, "bad");
        assert_eq!(m.time.utc, None);
        assert!(
            m.extra["attr_errors"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
        assert!(c.warnings.iter().any(|w| w.contains("truncated")));
    }

    /// Timestamps are epochs; the display offset follows the examiner's zone across a DST
    /// change (Europe/Berlin, 2023-03-26 01:00 UTC).
    #[test]
    fn offsets_across_dst() {
        let xml = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"2\">\n\
            <sms address=\"+49170\" date=\"1679792399000\" type=\"1\" body=\"before\" />\n\
            <sms address=\"+49170\" date=\"1679792401000\" type=\"2\" body=\"after\" />\n</smses>\n";
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sms.xml");
        std::fs::write(&p, xml).expect("write");
        let c = parse_path(&p, "Europe/Berlin").expect("parse");
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2023-03-26T00:59:59Z")
        );
        assert_eq!(c.messages[0].time.offset.as_deref(), Some("+01:00"));
        assert_eq!(
            c.messages[1].time.utc.as_deref(),
            Some("2023-03-26T01:00:01Z")
        );
        assert_eq!(c.messages[1].time.offset.as_deref(), Some("+02:00"));
        assert_eq!(c.messages[1].time.zone.as_deref(), Some("Europe/Berlin"));
    }

    /// An attachment bigger than the per-value limit: size from base64 accounting, data not
    /// kept, positions of later elements still exact.
    #[test]
    fn huge_attachment_is_measured_not_held() {
        let data = "QUJD".repeat(elide::VALUE_CAP / 4 + 1000);
        let xml = format!(
            "<smses count=\"2\">\n<mms date=\"1700000000000\" msg_box=\"1\" address=\"+86138\">\
             <parts><part seq=\"0\" ct=\"video/mp4\" cl=\"v.mp4\" data=\"{data}\" />\
             <part seq=\"1\" ct=\"text/plain\" text=\"看视频\" /></parts>\
             <addrs><addr address=\"+86138\" type=\"137\" /></addrs></mms>\n\
             <sms address=\"+86138\" date=\"1700000001000\" type=\"1\" body=\"after\" />\n</smses>\n"
        );
        let (r, c) = parse_bytes(xml.as_bytes());
        r.expect("parse");
        assert_eq!(c.messages.len(), 2);
        let m = &c.messages[0];
        assert_eq!(m.kind, MessageKind::Video);
        assert_eq!(m.body, "看视频");
        assert_eq!(m.attachments[0].size, Some(data.len() as u64 / 4 * 3));
        assert_eq!(m.extra["parts"][0]["data_base64_len"], data.len() as u64);
        let sms_start = xml.find("<sms ").expect("sms") as u64;
        match &c.messages[1].provenance.location {
            Location::Bytes { start, line, .. } => {
                assert_eq!(*start, sms_start);
                assert_eq!(*line, Some(3));
            }
            other => panic!("{other:?}"),
        }
        assert!(c.unparsed.is_empty());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        // Huge body: the message stays, its text goes to an Unparsed record.
        let body = "x".repeat(elide::VALUE_CAP + 1);
        let (r, c) = parse_bytes(
            format!("<smses><sms address=\"1\" date=\"1\" type=\"1\" body=\"{body}\"/></smses>")
                .as_bytes(),
        );
        r.expect("parse");
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.unparsed.len(), 1);
        assert!(c.unparsed[0].reason.contains("body"));

        // GBK bytes inside one element: decoded by guess and flagged; the next one is fine.
        let mut gbk = b"<smses>\n<sms address=\"1\" date=\"1\" type=\"1\" body=\"".to_vec();
        gbk.extend_from_slice(&encoding_rs::GBK.encode("还钱").0);
        gbk.extend_from_slice(
            b"\"/>\n<sms address=\"1\" date=\"2\" type=\"1\" body=\"ok\"/>\n</smses>",
        );
        let (r, c) = parse_bytes(&gbk);
        r.expect("parse");
        assert_eq!(
            c.messages.len(),
            2,
            "{:?} {:?} {:?}",
            c.messages,
            c.unparsed,
            c.warnings
        );
        assert_eq!(c.messages[0].body, "还钱");
        assert!(
            c.messages[0].extra["attr_errors"][0]
                .as_str()
                .is_some_and(|e| e.contains("GB18030"))
        );
        assert!(c.warnings.iter().any(|w| w.contains("GB18030")));
        assert_eq!(c.messages[1].body, "ok");

        // UTF-16: refused with a location.
        let mut u16 = vec![0xff, 0xfe];
        u16.extend("<smses/>".encode_utf16().flat_map(u16::to_le_bytes));
        let (r, _) = parse_bytes(&u16);
        assert!(matches!(r, Err(SourceError::Format { .. })));

        // Garbage and empty input: an error, not a panic.
        let (r, _) = parse_bytes(b"\x00\x01garbage<<<>>>&&&");
        assert!(r.is_err());
        let (r, _) = parse_bytes(b"");
        assert!(r.is_err());

        // Cut inside an attribute value, a stray text, an unknown element, a nested mms.
        let (r, c) = parse_bytes(
            b"<smses>junk<rcs a=\"1\"><x/></rcs><mms date=\"1\"><mms date=\"2\"></mms>\
              <sms address=\"1\" date=\"1\" body=\"cut he",
        );
        r.expect("parse");
        assert!(c.unparsed.len() >= 4, "{:?}", c.unparsed);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("could not be read as XML"))
        );

        // Every prefix of a real file: never a panic.
        let bytes = std::fs::read(data(&format!("{SHRUG}/minimal_mms.xml"))).expect("read");
        for cut in 0..bytes.len() {
            let _ = parse_bytes(&bytes[..cut]);
        }
    }

    /// A byte that stops the XML reader in the middle of a file: the region up to the next
    /// message element is one Unparsed record, and everything after it is still read.
    #[test]
    fn reading_resumes_after_broken_xml() {
        let xml =
            b"<smses count=\"3\">\n<sms address=\"1\" date=\"1000\" type=\"1\" body=\"a\"/>\n\
            \xff\xfe junk\n<sms address=\"3\" date=\"3000\" type=\"1\" body=\"c\"/>\n</smses>\n";
        let (r, c) = parse_bytes(xml);
        r.expect("parse");
        let bodies: Vec<_> = c.messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["a", "c"]);
        assert_eq!(c.unparsed.len(), 1);
        let u = &c.unparsed[0];
        let Location::Bytes { start, end, line } = u.provenance.location else {
            panic!("{:?}", u.provenance.location)
        };
        // The text event that failed starts with the newline ending line 2.
        assert_eq!(line, Some(2));
        assert_eq!(&xml[start as usize..end as usize], b"\n\xff\xfe junk\n");
        match &c.messages[1].provenance.location {
            Location::Bytes { start, line, .. } => {
                assert_eq!(*line, Some(4));
                assert!(xml[*start as usize..].starts_with(b"<sms address=\"3\""));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("could not be read as XML"))
        );
    }

    #[test]
    fn sniff_rejects_other_xml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.xml");
        std::fs::write(&p, "<?xml version=\"1.0\"?><html><body/></html>").expect("write");
        assert_eq!(SmsBackupXml.sniff(&Input::open(&p).expect("open")), 0);
    }
}
