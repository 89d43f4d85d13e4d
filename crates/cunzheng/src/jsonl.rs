//! JSON lines for `parse --json`: one record per line, `record` first.
//!
//! Messages are the bulk of a parse (a million for a large export), so they are written by
//! hand, byte for byte what `serde_json` writes for them (the tests compare the two), with a
//! string escaper that looks at eight bytes at a time. Every struct is destructured without
//! `..`, so a field added to the model is a compile error here, not a silently missing key.
//! Other records go through `serde_json`.

use cunzheng_model::{
    Attachment, Direction, Location, Message, MessageKind, Money, MsgTime, Party, Provenance,
};

/// Appends `{"record":"KIND",...the value's fields}` and a newline, via `serde_json`.
pub fn record<T: serde::Serialize>(
    out: &mut Vec<u8>,
    kind: &str,
    value: &T,
) -> std::io::Result<()> {
    out.extend_from_slice(b"{\"record\":");
    string(out, kind);
    let at = out.len();
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
    // The value's own `{` becomes the comma after `record`, or goes if it has no fields.
    if out.get(at..at + 2) == Some(b"{}") {
        out.remove(at);
    } else if let Some(b) = out.get_mut(at) {
        *b = b',';
    }
    out.push(b'\n');
    Ok(())
}

/// Records written on another thread, for a sink that writes JSON lines to take back in
/// order (see [`cunzheng_sources::Sink::fork`]): the lines, the first error, the warnings.
#[derive(Default)]
pub struct Part {
    pub buf: Vec<u8>,
    pub error: Option<std::io::Error>,
    pub warnings: Vec<String>,
    /// Buffers of parts already written, for the next parts: a fresh buffer of megabytes
    /// costs a page fault every 4 KiB.
    pool: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl Part {
    fn done(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    /// A part given back to the sink that forked it; `None` if it is another sink's.
    pub fn taken_back(part: Box<dyn cunzheng_sources::SinkPart>) -> Option<Part> {
        part.into_any().downcast::<Part>().ok().map(|p| *p)
    }

    /// Keeps the buffer (once written) for another part.
    pub fn recycle(mut self) {
        self.buf.clear();
        if let Ok(mut pool) = self.pool.lock()
            && pool.len() < 16
        {
            pool.push(self.buf);
        }
    }
}

impl cunzheng_sources::Sink for Part {
    fn conversation(&mut self, c: cunzheng_model::Conversation) {
        let r = record(&mut self.buf, "conversation", &c);
        self.done(r);
    }
    fn message(&mut self, m: Message) {
        let r = message(&mut self.buf, &m);
        self.done(r);
    }
    fn unparsed(&mut self, u: cunzheng_model::Unparsed) {
        let r = record(&mut self.buf, "unparsed", &u);
        self.done(r);
    }
    fn warning(&mut self, w: String) {
        self.warnings.push(w);
    }
}

impl cunzheng_sources::SinkPart for Part {
    fn another(&self) -> Box<dyn cunzheng_sources::SinkPart> {
        let buf = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        Box::new(Part {
            buf,
            error: None,
            warnings: Vec::new(),
            pool: self.pool.clone(),
        })
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// Appends a message as `{"record":"message",...}` and a newline.
pub fn message(out: &mut Vec<u8>, m: &Message) -> std::io::Result<()> {
    let Message {
        id,
        conversation,
        sender,
        direction,
        kind,
        body,
        time,
        attachments,
        reply_to,
        edited,
        forwarded_from,
        money,
        recovered,
        provenance,
        extra,
    } = m;
    out.extend_from_slice(b"{\"record\":\"message\",\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"conversation\":");
    string(out, conversation);
    out.extend_from_slice(b",\"sender\":");
    party(out, sender);
    out.extend_from_slice(b",\"direction\":\"");
    out.extend_from_slice(direction_name(*direction).as_bytes());
    out.extend_from_slice(b"\",\"kind\":\"");
    out.extend_from_slice(kind_name(*kind).as_bytes());
    out.extend_from_slice(b"\",\"body\":");
    string(out, body);
    out.extend_from_slice(b",\"time\":");
    msg_time(out, time);
    if !attachments.is_empty() {
        out.extend_from_slice(b",\"attachments\":[");
        for (i, a) in attachments.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            attachment(out, a);
        }
        out.push(b']');
    }
    if let Some(r) = reply_to {
        out.extend_from_slice(b",\"reply_to\":");
        string(out, r);
    }
    if let Some(e) = edited {
        out.extend_from_slice(b",\"edited\":");
        msg_time(out, e);
    }
    if let Some(f) = forwarded_from {
        out.extend_from_slice(b",\"forwarded_from\":");
        string(out, f);
    }
    if let Some(Money { amount, currency }) = money {
        out.extend_from_slice(b",\"money\":{\"amount\":");
        string(out, amount);
        if let Some(c) = currency {
            out.extend_from_slice(b",\"currency\":");
            string(out, c);
        }
        out.push(b'}');
    }
    if *recovered {
        out.extend_from_slice(b",\"recovered\":true");
    }
    out.extend_from_slice(b",\"provenance\":");
    provenance_json(out, provenance);
    if !extra.is_null() {
        out.extend_from_slice(b",\"extra\":");
        serde_json::to_writer(&mut *out, extra).map_err(std::io::Error::other)?;
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

fn party(out: &mut Vec<u8>, p: &Party) {
    let Party { name, account } = p;
    out.push(b'{');
    let mut sep = false;
    for (key, value) in [("name", name), ("account", account)] {
        if let Some(v) = value {
            field(out, &mut sep, key);
            string(out, v);
        }
    }
    out.push(b'}');
}

fn msg_time(out: &mut Vec<u8>, t: &MsgTime) {
    let MsgTime {
        raw,
        unit,
        utc,
        offset,
        zone_basis,
        zone,
    } = t;
    out.extend_from_slice(b"{\"raw\":");
    string(out, raw);
    out.extend_from_slice(b",\"unit\":");
    string(out, unit);
    if let Some(u) = utc {
        out.extend_from_slice(b",\"utc\":");
        string(out, u);
    }
    if let Some(o) = offset {
        out.extend_from_slice(b",\"offset\":");
        string(out, o);
    }
    out.extend_from_slice(b",\"zone_basis\":");
    string(out, zone_basis);
    if let Some(z) = zone {
        out.extend_from_slice(b",\"zone\":");
        string(out, z);
    }
    out.push(b'}');
}

fn attachment(out: &mut Vec<u8>, a: &Attachment) {
    let Attachment {
        name,
        mime,
        size,
        item_sha256,
        omitted,
    } = a;
    out.push(b'{');
    let mut sep = false;
    for (key, value) in [("name", name), ("mime", mime)] {
        if let Some(v) = value {
            field(out, &mut sep, key);
            string(out, v);
        }
    }
    if let Some(s) = size {
        field(out, &mut sep, "size");
        out.extend_from_slice(s.to_string().as_bytes());
    }
    if let Some(h) = item_sha256 {
        field(out, &mut sep, "item_sha256");
        string(out, h);
    }
    if *omitted {
        field(out, &mut sep, "omitted");
        out.extend_from_slice(b"true");
    }
    out.push(b'}');
}

fn provenance_json(out: &mut Vec<u8>, p: &Provenance) {
    let Provenance {
        item_sha256,
        inner_path,
        location,
        parser,
    } = p;
    out.extend_from_slice(b"{\"item_sha256\":");
    string(out, item_sha256);
    if let Some(i) = inner_path {
        out.extend_from_slice(b",\"inner_path\":");
        string(out, i);
    }
    out.extend_from_slice(b",\"location\":");
    match location {
        Location::Bytes { start, end, line } => {
            out.extend_from_slice(b"{\"kind\":\"bytes\",\"start\":");
            number(out, *start);
            out.extend_from_slice(b",\"end\":");
            number(out, *end);
            if let Some(l) = line {
                out.extend_from_slice(b",\"line\":");
                number(out, *l);
            }
        }
        Location::Row { table, rowid } => {
            out.extend_from_slice(b"{\"kind\":\"row\",\"table\":");
            string(out, table);
            out.extend_from_slice(b",\"rowid\":");
            out.extend_from_slice(rowid.to_string().as_bytes());
        }
        Location::Page {
            source,
            page,
            offset,
        } => {
            out.extend_from_slice(b"{\"kind\":\"page\",\"source\":");
            string(out, source);
            out.extend_from_slice(b",\"page\":");
            number(out, *page);
            out.extend_from_slice(b",\"offset\":");
            number(out, *offset);
        }
    }
    out.extend_from_slice(b"},\"parser\":");
    string(out, parser);
    out.push(b'}');
}

/// `"key":`, after a comma when a field came before.
fn field(out: &mut Vec<u8>, sep: &mut bool, key: &str) {
    if *sep {
        out.push(b',');
    }
    *sep = true;
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn number(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Incoming => "incoming",
        Direction::Outgoing => "outgoing",
        Direction::Unknown => "unknown",
    }
}

fn kind_name(k: MessageKind) -> &'static str {
    match k {
        MessageKind::Text => "text",
        MessageKind::Image => "image",
        MessageKind::Voice => "voice",
        MessageKind::Video => "video",
        MessageKind::File => "file",
        MessageKind::Sticker => "sticker",
        MessageKind::Location => "location",
        MessageKind::Link => "link",
        MessageKind::Transfer => "transfer",
        MessageKind::RedPacket => "red_packet",
        MessageKind::Call => "call",
        MessageKind::System => "system",
        MessageKind::Recalled => "recalled",
        MessageKind::Contact => "contact",
        MessageKind::Poll => "poll",
    }
}

/// A JSON string as `serde_json` writes it: `"` and `\` escaped, control characters as
/// `\b \t \n \f \r` or `\u00XX`, everything else as is. Most strings have nothing to
/// escape: that is checked first, eight bytes at a time, and such a string is copied whole.
fn string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    if plain(b) {
        out.extend_from_slice(b);
    } else {
        escaped(out, b);
    }
    out.push(b'"');
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Non-zero when one of the eight bytes of `w` is `"`, `\` or below 0x20.
#[inline]
fn special(w: u64) -> u64 {
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // Bytes below 0x20: `w - 0x20` borrows into the top bit where `w` had none.
    let control = w.wrapping_sub(LO * 0x20) & !w & HI;
    has_zero(w ^ (LO * u64::from(b'"'))) | has_zero(w ^ (LO * u64::from(b'\\'))) | control
}

/// Eight bytes as a word; `None` if `b` is not eight bytes long.
#[inline]
fn word(b: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(b).ok().map(u64::from_le_bytes)
}

/// Whether `b` has nothing to escape. The last partial word is read as the last eight bytes,
/// overlapping the word before.
#[inline]
fn plain(b: &[u8]) -> bool {
    if b.len() < 8 {
        return b.iter().all(|&c| c >= 0x20 && c != b'"' && c != b'\\');
    }
    let mut found = 0;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        found |= word(w).map_or(HI, special);
    }
    if !words.remainder().is_empty() {
        found |= b.get(b.len() - 8..).and_then(word).map_or(HI, special);
    }
    found == 0
}

/// Appends `b` escaped: runs without special bytes are found eight bytes at a time and
/// copied whole.
fn escaped(out: &mut Vec<u8>, b: &[u8]) {
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        // Skip whole words without a quote, a backslash or a control byte.
        if let Some(w) = b.get(i..i + 8).and_then(word)
            && special(w) == 0
        {
            i += 8;
            continue;
        }
        let c = b[i];
        let escape: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0..=0x1F => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xF)]);
        } else {
            out.extend_from_slice(escape);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_line(m: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        record(&mut out, "message", m).expect("serde");
        out
    }

    fn fast_line(m: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        message(&mut out, m).expect("fast");
        out
    }

    fn time(raw: &str) -> MsgTime {
        MsgTime {
            raw: raw.into(),
            unit: "wall".into(),
            utc: Some("2023-01-12T02:00:00Z".into()),
            offset: Some("+08:00".into()),
            zone_basis: "guessed".into(),
            zone: Some("Asia/Shanghai".into()),
        }
    }

    fn minimal() -> Message {
        Message {
            id: "L1".into(),
            conversation: "c".into(),
            sender: Party::default(),
            direction: Direction::Unknown,
            kind: MessageKind::Text,
            body: String::new(),
            time: MsgTime::default(),
            attachments: Vec::new(),
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: Provenance {
                item_sha256: String::new(),
                inner_path: None,
                location: Location::Bytes {
                    start: 0,
                    end: 0,
                    line: None,
                },
                parser: String::new(),
            },
            extra: serde_json::Value::Null,
        }
    }

    #[test]
    fn messages_are_written_as_serde_json_writes_them() {
        let full = Message {
            id: "m\"1\\".into(),
            conversation: "会话 \u{1}".into(),
            sender: Party {
                name: Some("张三 \u{200e}~".into()),
                account: Some("+86 138".into()),
            },
            direction: Direction::Outgoing,
            kind: MessageKind::RedPacket,
            body: "line 1\nline 2\r\n\ttab \u{8}\u{c}\u{1f}\u{7f} \"quoted\" back\\slash 👍 end"
                .into(),
            time: time("12/01/2023, 10:00"),
            attachments: vec![
                Attachment {
                    name: Some("IMG-1.jpg".into()),
                    mime: Some("image/jpeg".into()),
                    size: Some(12_345),
                    item_sha256: Some("ab".into()),
                    omitted: true,
                },
                Attachment::default(),
            ],
            reply_to: Some("L0".into()),
            edited: Some(MsgTime::default()),
            forwarded_from: Some("Bob".into()),
            money: Some(Money {
                amount: "50000.00".into(),
                currency: Some("CNY".into()),
            }),
            recovered: true,
            provenance: Provenance {
                item_sha256: "0".repeat(64),
                inner_path: Some("a/b.txt".into()),
                location: Location::Bytes {
                    start: 1,
                    end: u64::MAX,
                    line: Some(3),
                },
                parser: "whatsapp-txt 1".into(),
            },
            extra: serde_json::json!({"label": "x", "n": [1, 2]}),
        };
        let mut cases = vec![minimal(), full.clone()];
        let mut row = full.clone();
        row.provenance.location = Location::Row {
            table: "message".into(),
            rowid: -5,
        };
        row.money = Some(Money {
            amount: "1".into(),
            currency: None,
        });
        cases.push(row);
        let mut page = minimal();
        page.provenance.location = Location::Page {
            source: "freelist".into(),
            page: 7,
            offset: 4096,
        };
        cases.push(page);
        for kind in [
            MessageKind::Text,
            MessageKind::Image,
            MessageKind::Voice,
            MessageKind::Video,
            MessageKind::File,
            MessageKind::Sticker,
            MessageKind::Location,
            MessageKind::Link,
            MessageKind::Transfer,
            MessageKind::RedPacket,
            MessageKind::Call,
            MessageKind::System,
            MessageKind::Recalled,
            MessageKind::Contact,
            MessageKind::Poll,
        ] {
            for direction in [Direction::Incoming, Direction::Outgoing, Direction::Unknown] {
                let mut m = minimal();
                m.kind = kind;
                m.direction = direction;
                cases.push(m);
            }
        }
        // One byte to escape at every place in strings of 0 to 20 bytes.
        for len in 0..=20 {
            for at in 0..len {
                for c in [b'"', b'\\', b'\n', 0x01, 0x1f] {
                    let mut body = vec![b'a'; len];
                    body[at] = c;
                    let mut m = minimal();
                    m.body = String::from_utf8(body).expect("ascii");
                    cases.push(m);
                }
            }
        }
        // Every byte value that can start or sit in a string, at every word alignment.
        for lead in 0..9 {
            let mut m = minimal();
            let mut body = "x".repeat(lead);
            body.extend((0u8..0x80).map(char::from));
            body.push_str("é中👍");
            m.body = body;
            cases.push(m);
        }
        for m in &cases {
            let (fast, slow) = (fast_line(m), serde_line(m));
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&slow)
            );
        }
    }

    #[test]
    fn records() {
        let mut out = Vec::new();
        record(&mut out, "report", &serde_json::json!({})).expect("empty");
        record(&mut out, "x", &serde_json::json!({"a": 1})).expect("one");
        assert_eq!(
            out,
            b"{\"record\":\"report\"}\n{\"record\":\"x\",\"a\":1}\n"
        );
    }
}
