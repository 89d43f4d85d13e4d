//! E-mail pieces shared by `eml` and `mbox`: one RFC 5322 message (parsed by mail-parser)
//! into one [`Message`], the Date header into a [`MsgTime`], and threading into conversations.
//!
//! Threading rule (the same for one `.eml` and for a whole mbox): every message names keys:
//! the Message-IDs in its `References`, then in `In-Reply-To`, then its own `Message-ID`; a
//! message with neither `References` nor `In-Reply-To` also names its normalised subject
//! (reply and forward prefixes such as `Re:`, `Fwd:`, `回复:`, `转发:` stripped, case and spaces
//! folded). Messages sharing a key are one conversation. The conversation id is the thread's
//! root Message-ID in angle brackets (the first id that heads a `References` list or belongs
//! to a message that replies to nothing), else `subject:<normalised subject>`, else the
//! message's location (`L<line>`) for a message with no id and no subject.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use cunzheng_model::{Attachment, Direction, Message, MessageKind, MsgTime, Party, Provenance};
use mail_parser::{Addr, Address, HeaderName, HeaderValue, MimeHeaders, PartType};
use serde_json::{Map, Value, json};

use crate::source::{Options, Sink};
use crate::time::{self, Zone};

/// Most thread keys (Message-IDs and subjects) remembered for threading one item; beyond it,
/// new messages start their own conversations (with a warning) so memory stays bounded.
const MAX_THREAD_KEYS: usize = 2_000_000;

/// Most participants kept per conversation (mailing lists can name thousands).
const MAX_PARTICIPANTS: usize = 10_000;

/// Warnings of one kind listed one by one before they are only counted.
const WARN_EACH: u64 = 20;

/// Whether a parsed message has at least one real header field (mail-parser accepts any text).
pub(crate) fn has_header_fields(msg: &mail_parser::Message<'_>) -> bool {
    msg.headers().iter().any(|h| match &h.name {
        HeaderName::Other(n) => is_field_name(n.as_bytes()),
        _ => true,
    })
}

/// RFC 5322 field-name: printable US-ASCII except colon.
pub(crate) fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

/// Whether `line` (with or without its line end) is an mbox `From ` separator: `From `, a
/// sender token, then a date with a `hh:mm` time and a four-digit year (asctime, as written
/// by mail spools, Thunderbird and Gmail Takeout). A body line such as `From the desk of`
/// is not one.
pub(crate) fn is_from_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    if line.len() > 1000 {
        return false;
    }
    let rest = rest.trim_ascii();
    let Some(sp) = rest.iter().position(|b| b.is_ascii_whitespace()) else {
        return false;
    };
    let (sender, date) = rest.split_at(sp);
    if sender.is_empty() {
        return false;
    }
    let words: Vec<&[u8]> = date
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let time = words.iter().any(|w| {
        let mut it = w.split(|&b| b == b':');
        let h = it.next().unwrap_or_default();
        let m = it.next().unwrap_or_default();
        (1..=2).contains(&h.len())
            && h.iter().all(u8::is_ascii_digit)
            && m.len() == 2
            && m.iter().all(u8::is_ascii_digit)
    });
    let year = words
        .iter()
        .any(|w| w.len() == 4 && w.iter().all(u8::is_ascii_digit));
    time && year
}

/// What threading needs from one message's headers.
#[derive(Debug, Default, Clone)]
pub(crate) struct Digest {
    /// Keys in the order the message names them (see the module doc).
    pub keys: Vec<String>,
    /// Index into `keys` of ids that head a thread (first of `References`, or the own id of a
    /// message that replies to nothing).
    pub roots: Vec<usize>,
    /// Index into `keys` of the message's own id.
    pub own: Option<usize>,
    /// Index into `keys` of the subject key.
    pub subject_key: Option<usize>,
    /// Decoded subject.
    pub subject: Option<String>,
    /// From, To, Cc, Bcc.
    pub participants: Vec<Party>,
    /// How the thread keys were found: `references`, `in-reply-to`, `message-id`, `subject`,
    /// `location`.
    pub basis: &'static str,
}

impl Digest {
    /// Reads the threading keys of `msg`; `location` (`L12`) stands in when it names none.
    pub fn of(msg: &mail_parser::Message<'_>, location: &str) -> Self {
        let mut d = Digest {
            subject: subject(msg),
            ..Digest::default()
        };
        let refs = ids(msg.references());
        let irt = ids(msg.in_reply_to());
        for (i, r) in refs.iter().enumerate() {
            if i == 0 {
                d.roots.push(d.keys.len());
            }
            d.keys.push(format!("<{r}>"));
        }
        for r in &irt {
            d.keys.push(format!("<{r}>"));
        }
        let replies = !refs.is_empty() || !irt.is_empty();
        if let Some(id) = message_id(msg) {
            if !replies {
                d.roots.push(d.keys.len());
            }
            d.own = Some(d.keys.len());
            d.keys.push(format!("<{id}>"));
        }
        d.basis = if !refs.is_empty() {
            "references"
        } else if !irt.is_empty() {
            "in-reply-to"
        } else if d.own.is_some() {
            "message-id"
        } else {
            "subject"
        };
        if !replies
            && let Some(s) = d.subject.as_deref().map(normalise_subject)
            && !s.is_empty()
        {
            d.subject_key = Some(d.keys.len());
            d.keys.push(format!("subject:{s}"));
        }
        if d.keys.is_empty() {
            d.basis = "location";
            d.keys.push(location.to_owned());
        }
        let mut seen = HashSet::new();
        for list in [msg.from(), msg.to(), msg.cc(), msg.bcc()]
            .into_iter()
            .flatten()
        {
            for a in list.iter() {
                let p = party(a);
                if seen.insert(party_key(&p)) {
                    d.participants.push(p);
                }
            }
        }
        d
    }
}

/// The Message-IDs of an id-list header, without angle brackets.
fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|s| s.trim().to_owned())
    .filter(|s| !s.is_empty())
    .collect()
}

/// The message's own id, without angle brackets.
pub(crate) fn message_id(msg: &mail_parser::Message<'_>) -> Option<String> {
    msg.message_id()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The decoded subject. Raw 8-bit bytes that are not UTF-8 (old Chinese clients write GBK
/// without encoded words) are decoded as GB18030 instead of being replaced.
pub(crate) fn subject(msg: &mail_parser::Message<'_>) -> Option<String> {
    let decoded = msg.subject()?;
    if decoded.contains('\u{FFFD}')
        && let Some(raw) = raw_header(msg, &HeaderName::Subject)
        && std::str::from_utf8(raw).is_err()
    {
        let (text, _) = crate::text::decode(raw);
        return Some(unfold(&text).trim().to_owned());
    }
    Some(decoded.to_owned())
}

/// The raw bytes of the first `name` header's value, as written.
pub(crate) fn raw_header<'a>(
    msg: &'a mail_parser::Message<'_>,
    name: &HeaderName<'_>,
) -> Option<&'a [u8]> {
    let h = msg.headers().iter().find(|h| &h.name == name)?;
    msg.raw_message
        .get(h.offset_start as usize..h.offset_end as usize)
}

/// Header folding (CRLF before white space) removed.
fn unfold(s: &str) -> String {
    s.replace("\r\n", "").replace('\n', "")
}

/// A subject with reply and forward prefixes and `(fwd)` stripped, lower-cased, with runs of
/// white space made one space.
pub(crate) fn normalise_subject(s: &str) -> String {
    const PREFIXES: &[&str] = &[
        "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rv", "enc", "res", "回复",
        "答复", "转发", "回覆", "轉寄", "转寄",
    ];
    let folded: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = folded.as_str();
    loop {
        let before = rest;
        rest = rest.trim_start();
        for p in PREFIXES {
            let Some(head) = rest.get(..p.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(p) {
                continue;
            }
            let mut after = &rest[p.len()..];
            // `Re[2]:` and `Re(2):` as some clients count replies.
            if let Some(b) = after.strip_prefix('[').or_else(|| after.strip_prefix('(')) {
                let digits = b.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0
                    && let Some(c) = b[digits..]
                        .strip_prefix(']')
                        .or_else(|| b[digits..].strip_prefix(')'))
                {
                    after = c;
                }
            }
            let after = after.trim_start();
            if let Some(a) = after.strip_prefix(':').or_else(|| after.strip_prefix('：')) {
                rest = a;
                break;
            }
        }
        if rest.len() == before.len() {
            break;
        }
    }
    let mut out = rest.trim().to_lowercase();
    while let Some(s) = out.strip_suffix("(fwd)") {
        out = s.trim_end().to_owned();
    }
    out
}

fn party(a: &Addr<'_>) -> Party {
    Party {
        name: a
            .name()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        account: a
            .address()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    }
}

fn party_key(p: &Party) -> String {
    match (&p.account, &p.name) {
        (Some(a), _) => format!("a:{}", a.to_lowercase()),
        (None, Some(n)) => format!("n:{n}"),
        (None, None) => String::new(),
    }
}

/// What a conversation shows: title and participants, merged over its messages.
#[derive(Debug, Default)]
struct ThreadInfo {
    /// (0 for a message that replies to nothing else 1, message ordinal, subject): the
    /// thread root's subject, else the earliest one.
    title: Option<(u8, u64, String)>,
    participants: Vec<Party>,
    seen: HashSet<String>,
    /// (preference, key index) of the key naming the conversation; lowest wins.
    rep: (u8, usize),
    full: bool,
}

impl ThreadInfo {
    fn add_party(&mut self, p: &Party) {
        let k = party_key(p);
        if k.is_empty() || self.seen.contains(&k) {
            return;
        }
        if self.participants.len() >= MAX_PARTICIPANTS {
            self.full = true;
            return;
        }
        self.seen.insert(k);
        self.participants.push(p.clone());
    }

    fn merge(&mut self, other: ThreadInfo) {
        match (&self.title, other.title) {
            (Some((ra, a, _)), Some((rb, b, t))) if (rb, b) < (*ra, *a) => {
                self.title = Some((rb, b, t))
            }
            (None, t) => self.title = t,
            _ => {}
        }
        for p in &other.participants {
            self.add_party(p);
        }
        self.full |= other.full;
        self.rep = self.rep.min(other.rep);
    }
}

/// Union-find over thread keys; the conversation of a message is the set of its keys.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    index: HashMap<Rc<str>, usize>,
    keys: Vec<Rc<str>>,
    parent: Vec<usize>,
    info: HashMap<usize, ThreadInfo>,
    /// How often each key was a message's own Message-ID (first pass), and how often it has
    /// been met so far (second pass).
    own_count: Vec<u32>,
    own_seen: Vec<u32>,
    messages: u64,
    /// Keys not remembered because [`MAX_THREAD_KEYS`] was reached.
    pub dropped_keys: u64,
}

/// Preference of a key for naming its conversation (lower wins).
fn preference(d: &Digest, i: usize) -> u8 {
    if d.roots.contains(&i) {
        0
    } else if Some(i) == d.subject_key {
        2
    } else if d.basis == "location" {
        3
    } else {
        1
    }
}

impl Threads {
    fn find(&mut self, mut i: usize) -> usize {
        let mut root = i;
        while let Some(&p) = self.parent.get(root) {
            if p == root {
                break;
            }
            root = p;
        }
        while let Some(&p) = self.parent.get(i) {
            if p == root || p == i {
                break;
            }
            if let Some(slot) = self.parent.get_mut(i) {
                *slot = root;
            }
            i = p;
        }
        root
    }

    fn node(&mut self, key: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(key) {
            return Some(i);
        }
        if self.keys.len() >= MAX_THREAD_KEYS {
            self.dropped_keys += 1;
            return None;
        }
        let i = self.keys.len();
        let k: Rc<str> = Rc::from(key);
        self.index.insert(k.clone(), i);
        self.keys.push(k);
        self.parent.push(i);
        self.own_count.push(0);
        self.own_seen.push(0);
        Some(i)
    }

    fn union(&mut self, a: usize, b: usize) -> usize {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return ra;
        }
        let (keep, gone) = (ra.min(rb), ra.max(rb));
        if let Some(slot) = self.parent.get_mut(gone) {
            *slot = keep;
        }
        if let Some(g) = self.info.remove(&gone) {
            match self.info.get_mut(&keep) {
                Some(k) => k.merge(g),
                None => {
                    self.info.insert(keep, g);
                }
            }
        }
        keep
    }

    /// First pass: records one message.
    pub fn add(&mut self, d: &Digest) {
        let ordinal = self.messages;
        self.messages += 1;
        let nodes: Vec<(usize, usize)> = d
            .keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| self.node(k).map(|n| (i, n)))
            .collect();
        let Some(&(_, first)) = nodes.first() else {
            return;
        };
        let mut root = self.find(first);
        for &(_, n) in &nodes[1..] {
            root = self.union(root, n);
        }
        let rep = nodes
            .iter()
            .map(|&(i, n)| (preference(d, i), n))
            .min()
            .unwrap_or((3, first));
        if let Some(own) = d.own
            && let Some(&(_, n)) = nodes.iter().find(|(i, _)| *i == own)
            && let Some(c) = self.own_count.get_mut(n)
        {
            *c = c.saturating_add(1);
        }
        let info = self.info.entry(root).or_insert_with(|| ThreadInfo {
            rep,
            ..ThreadInfo::default()
        });
        info.rep = info.rep.min(rep);
        if let Some(s) = d.subject.as_ref().filter(|s| !s.trim().is_empty()) {
            let rank = u8::from(d.basis != "message-id" && d.basis != "subject");
            match &info.title {
                Some((r, o, _)) if (*r, *o) <= (rank, ordinal) => {}
                _ => info.title = Some((rank, ordinal, s.clone())),
            }
        }
        for p in &d.participants {
            info.add_party(p);
        }
    }

    /// Second pass: the conversation of a message recorded by [`Threads::add`], and whether
    /// its own Message-ID was already met (a duplicate).
    pub fn lookup(&mut self, d: &Digest) -> Lookup {
        let node = d
            .keys
            .iter()
            .find_map(|k| self.index.get(k.as_str()).copied());
        let duplicate = match d.own.and_then(|i| d.keys.get(i)) {
            Some(k) => match self.index.get(k.as_str()).copied() {
                Some(n) => {
                    let seen = self.own_seen.get(n).copied().unwrap_or(0);
                    if let Some(s) = self.own_seen.get_mut(n) {
                        *s = s.saturating_add(1);
                    }
                    let total = self.own_count.get(n).copied().unwrap_or(0);
                    (seen > 0).then_some(total)
                }
                None => None,
            },
            None => None,
        };
        let Some(node) = node else {
            // Not remembered (key cap): a conversation of its own.
            return Lookup {
                id: d.keys.first().cloned().unwrap_or_default(),
                title: d.subject.clone(),
                participants: d.participants.clone(),
                duplicate,
                truncated: false,
            };
        };
        let root = self.find(node);
        let (id, title, participants, truncated) = match self.info.get(&root) {
            Some(info) => (
                self.keys
                    .get(info.rep.1)
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
                info.title.as_ref().map(|(_, _, t)| t.clone()),
                info.participants.clone(),
                info.full,
            ),
            None => (
                self.keys
                    .get(root)
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
                d.subject.clone(),
                d.participants.clone(),
                false,
            ),
        };
        Lookup {
            id,
            title,
            participants,
            duplicate,
            truncated,
        }
    }
}

/// The conversation a message belongs to.
#[derive(Debug)]
pub(crate) struct Lookup {
    pub id: String,
    pub title: Option<String>,
    pub participants: Vec<Party>,
    /// `Some(total)` when this message's Message-ID was met before (total occurrences).
    pub duplicate: Option<u32>,
    /// Participants were capped.
    pub truncated: bool,
}

/// Lists warnings of one kind one by one up to a limit, then only counts them.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    counts: std::collections::BTreeMap<&'static str, u64>,
}

impl Warnings {
    pub fn warn(&mut self, sink: &mut dyn Sink, kind: &'static str, text: String) {
        let c = self.counts.entry(kind).or_insert(0);
        *c += 1;
        if *c <= WARN_EACH {
            sink.warning(text);
        }
    }

    /// Reports the ones only counted.
    pub fn finish(&self, sink: &mut dyn Sink) {
        for (kind, &c) in &self.counts {
            if c > WARN_EACH {
                sink.warning(format!(
                    "{kind}: {} more like the above not listed ({c} in all)",
                    c - WARN_EACH
                ));
            }
        }
    }
}

/// The Date header as a [`MsgTime`]: the instant from the header's own offset (`source`).
/// Returns the time, the offset the header states (`+01:00`), whether it was read leniently,
/// and a problem to warn about.
pub(crate) fn mail_time(
    zone: &Zone,
    msg: &mail_parser::Message<'_>,
) -> (MsgTime, Option<String>, bool, Option<String>) {
    let Some(raw) = raw_header(msg, &HeaderName::Date) else {
        return (
            time::unresolved("", "rfc2822"),
            None,
            false,
            Some("no Date header".into()),
        );
    };
    let raw_text = String::from_utf8_lossy(raw);
    let raw_text = raw_text.trim();
    let value = unfold(raw_text);
    let value = value.trim();
    use jiff::fmt::rfc2822::DateTimeParser;
    let strict = DateTimeParser::new().parse_zoned_datetime(value);
    let (zdt, problem, lenient) = match strict {
        Ok(z) => (Some(z), None, false),
        Err(_) => match DateTimeParser::new()
            .relaxed_weekday(true)
            .parse_zoned_datetime(value)
        {
            Ok(z) => (
                Some(z),
                Some(format!("Date `{value}` names the wrong weekday")),
                false,
            ),
            Err(e) => match lenient_date(msg) {
                Some(z) => {
                    let text = format!(
                        "Date `{value}` is not RFC 5322 ({e}); read leniently as {}",
                        z.timestamp()
                    );
                    (Some(z), Some(text), true)
                }
                None => (
                    None,
                    Some(format!("Date `{value}` could not be read: {e}")),
                    false,
                ),
            },
        },
    };
    let Some(zdt) = zdt else {
        return (time::unresolved(raw_text, "rfc2822"), None, false, problem);
    };
    let mut problem = problem;
    // RFC 5322 obsolete zones: `CST` is US Central (-06:00), not China Standard Time.
    let last = value
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or_default();
    if ["CST", "CDT", "EST", "EDT", "MST", "MDT", "PST", "PDT"]
        .iter()
        .any(|z| last.eq_ignore_ascii_case(z))
        && problem.is_none()
    {
        problem = Some(format!(
            "Date `{value}` uses the zone name `{last}`, read as RFC 5322 says (US zones; CST = -06:00, not China Standard Time)"
        ));
    }
    let offset = time::offset_text(zdt.offset().seconds());
    (
        zone.instant(raw_text, "rfc2822", zdt.timestamp()),
        Some(offset),
        lenient,
        problem,
    )
}

/// mail-parser's own, more forgiving reading of the Date header (single-digit hours, a zone
/// name after the offset), checked by jiff.
fn lenient_date(msg: &mail_parser::Message<'_>) -> Option<jiff::ZonedDateTime> {
    let d = msg.date().filter(|d| d.is_valid())?;
    let dt = jiff::civil::DateTime::new(
        i16::try_from(d.year).ok()?,
        i8::try_from(d.month).ok()?,
        i8::try_from(d.day).ok()?,
        i8::try_from(d.hour).ok()?,
        i8::try_from(d.minute).ok()?,
        i8::try_from(d.second).ok()?,
        0,
    )
    .ok()?;
    let secs = i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60;
    let secs = if d.tz_before_gmt { -secs } else { secs };
    let offset = jiff::tz::Offset::from_seconds(secs).ok()?;
    dt.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset)).ok()
}

/// The text of a message: its text/plain body parts, else its HTML parts turned into text.
pub(crate) fn body(msg: &mail_parser::Message<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for i in 0..msg.text_body_count() {
        if let Some(t) = msg.body_text(i) {
            parts.push(t.into_owned());
        }
    }
    parts.join("\n")
}

/// Attachments: name, MIME type, decoded size.
pub(crate) fn attachments(msg: &mail_parser::Message<'_>) -> Vec<Attachment> {
    msg.attachments()
        .map(|p| {
            let mime = p.content_type().map(|ct| match ct.subtype() {
                Some(s) => format!("{}/{}", ct.ctype(), s).to_lowercase(),
                None => ct.ctype().to_lowercase(),
            });
            let size = match &p.body {
                // A nested message: its own bytes (mail-parser keeps the whole outer buffer).
                PartType::Message(_) => {
                    u64::from(p.raw_end_offset().saturating_sub(p.raw_body_offset()))
                }
                other => other.len() as u64,
            };
            Attachment {
                name: p.attachment_name().map(str::to_owned),
                mime,
                size: Some(size),
                ..Attachment::default()
            }
        })
        .collect()
}

fn address_json(a: Option<&Address<'_>>) -> Option<Value> {
    let list: Vec<Value> = a?
        .iter()
        .map(|x| {
            let mut m = Map::new();
            if let Some(n) = x.name() {
                m.insert("name".into(), n.into());
            }
            if let Some(ad) = x.address() {
                m.insert("address".into(), ad.into());
            }
            Value::Object(m)
        })
        .collect();
    (!list.is_empty()).then_some(Value::Array(list))
}

/// Everything a message needs besides where it is and which conversation it is in.
pub(crate) struct Built {
    pub message: Message,
    /// Problems to warn about (each already says what is wrong).
    pub problems: Vec<(&'static str, String)>,
}

/// Builds the [`Message`] for `msg`; `id` and `conversation` are decided by the caller.
pub(crate) fn build(
    msg: &mail_parser::Message<'_>,
    digest: &Digest,
    zone: &Zone,
    opts: &Options,
    id: String,
    conversation: String,
    provenance: Provenance,
) -> Built {
    let mut problems = Vec::new();
    let (time, date_offset, lenient, problem) = mail_time(zone, msg);
    if let Some(p) = problem {
        problems.push(("date", p));
    }
    let sender = msg
        .from()
        .and_then(|a| a.first())
        .map(party)
        .unwrap_or_default();
    let direction = direction(opts, &sender, digest);
    let mut extra = Map::new();
    if let Some(s) = &digest.subject {
        extra.insert("subject".into(), s.clone().into());
    }
    if let Some(id) = message_id(msg) {
        extra.insert("message_id".into(), id.into());
    }
    let irt = ids(msg.in_reply_to());
    if !irt.is_empty() {
        extra.insert("in_reply_to".into(), json!(irt));
    }
    let refs = ids(msg.references());
    if !refs.is_empty() {
        extra.insert("references".into(), json!(refs));
    }
    for (key, addr) in [
        ("from", msg.from()),
        ("sender", msg.sender()),
        ("to", msg.to()),
        ("cc", msg.cc()),
        ("bcc", msg.bcc()),
        ("reply_to_header", msg.reply_to()),
    ] {
        if let Some(v) = address_json(addr) {
            extra.insert(key.into(), v);
        }
    }
    if let Some(o) = date_offset {
        extra.insert("date_offset".into(), o.into());
    }
    if lenient {
        extra.insert("date_lenient".into(), true.into());
    }
    let dates = msg
        .headers()
        .iter()
        .filter(|h| h.name == HeaderName::Date)
        .count();
    if dates > 1 {
        extra.insert("date_headers".into(), dates.into());
        problems.push(("date", format!("{dates} Date headers; the first is used")));
    }
    if let Some(labels) = msg
        .header_raw("X-Gmail-Labels")
        .map(|s| unfold(s).trim().to_owned())
    {
        extra.insert("gmail_labels".into(), labels.into());
    }
    extra.insert("thread_basis".into(), digest.basis.into());
    if msg.parts.iter().any(|p| p.is_encoding_problem) {
        extra.insert("encoding_problem".into(), true.into());
        problems.push((
            "encoding",
            "a MIME part could not be decoded as declared; its raw text is kept".into(),
        ));
    }
    let message = Message {
        id,
        conversation,
        sender,
        direction,
        kind: MessageKind::Text,
        body: body(msg),
        time,
        attachments: attachments(msg),
        reply_to: irt.first().cloned(),
        edited: None,
        forwarded_from: None,
        money: None,
        recovered: false,
        provenance,
        extra: Value::Object(extra),
    };
    Built { message, problems }
}

/// Outgoing when the sender is the device owner, incoming when a recipient is, else unknown.
fn direction(opts: &Options, sender: &Party, d: &Digest) -> Direction {
    if opts.owner.is_empty() {
        return Direction::Unknown;
    }
    let is_owner = |p: &Party| {
        opts.owner.iter().any(|o| {
            let o = o.trim();
            p.account
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(o))
                || p.name.as_deref().is_some_and(|n| n == o)
        })
    };
    if is_owner(sender) {
        Direction::Outgoing
    } else if d.participants.iter().any(is_owner) {
        Direction::Incoming
    } else {
        Direction::Unknown
    }
}

/// The first bytes of `bytes`, decoded for a person to look at.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(600)).unwrap_or_default();
    let (text, _) = crate::text::decode(head);
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_normalise() {
        assert_eq!(normalise_subject("Re: RE:  Hello   World"), "hello world");
        assert_eq!(normalise_subject("Fwd: Re[2]: 合同"), "合同");
        assert_eq!(normalise_subject("回复：转发: 汇款确认"), "汇款确认");
        assert_eq!(normalise_subject("Report (fwd)"), "report");
        assert_eq!(normalise_subject("Reply needed"), "reply needed");
        assert_eq!(normalise_subject("Re:"), "");
    }
}
