//! QQ 消息管理器 MHT export (QQ before 9.7.25; the only export that keeps images),
//! FORMATS-CN.md §5.2: a MIME `multipart/related` file (`From: <Save by Tencent MsgMgr>`) whose
//! first part is the HTML page and whose further parts are the images (base64, with a
//! `Content-Location` matching `<IMG src=…>`).
//!
//! The HTML is one table: rows `消息分组:` / `消息对象:`, date rows `日期: YYYY-MM-DD`, and one
//! row per message: `td` > `div` (sender `昵称(QQ号)` in an inner `div`, then `HH:MM:SS`) +
//! `div` (content in `<font>`, `<IMG src>`). Rows are cut from the HTML part as they stream by
//! and parsed one at a time with scraper, so the page is never held whole. Images are indexed
//! in a first pass (type, decoded size, byte range) and become attachments named by their
//! Content-Location. Times are wall-clock (date row + time), Asia/Shanghai unless given.
//!
//! Not documented publicly (so not handled beyond tolerance): the exact markup of forwarded
//! records, system rows and files inside the HTML; whether the HTML part is ever base64 or
//! quoted-printable (both are decoded if declared); the encoding of pre-UTF-8 clients.

use std::collections::HashMap;
use std::sync::LazyLock;

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Platform, Unparsed,
};
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use serde_json::{Map, Value};

use super::common_cn_lines::{LineReader, TextEncoding};
use super::qq_common::{QqSender, body_kind, group_kind};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The QQ MHT export parser.
pub struct QqMht;

static BOUNDARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)boundary\s*=\s*"?([^";\r\n]+)"?"#).unwrap_or_else(|_| unreachable!())
});
static DATE_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"日期[:：]\s*(\d{4})-(\d{1,2})-(\d{1,2})").unwrap_or_else(|_| unreachable!())
});
static TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{1,2}):(\d{2}):(\d{2})").unwrap_or_else(|_| unreachable!()));

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|_| unreachable!())
}

/// One MIME part's headers, as far as needed.
#[derive(Debug, Default, Clone)]
struct PartHead {
    content_type: String,
    encoding: String,
    location: Option<String>,
    charset: Option<String>,
}

fn parse_part_head(lines: &[String]) -> PartHead {
    // Unfold continuation lines.
    let mut fields: Vec<String> = Vec::new();
    for l in lines {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(l.trim());
            }
        } else {
            fields.push(l.trim().to_owned());
        }
    }
    let mut h = PartHead::default();
    for f in fields {
        let Some((k, v)) = f.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "content-type" => {
                h.content_type = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                h.charset = v.split(';').find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("charset")
                        .then(|| v.trim().trim_matches('"').to_owned())
                });
            }
            "content-transfer-encoding" => h.encoding = v.to_ascii_lowercase(),
            "content-location" => h.location = Some(v.to_owned()),
            _ => {}
        }
    }
    h
}

/// An image part: MIME type, decoded size, where its body is.
#[derive(Debug, Clone)]
struct ImagePart {
    mime: String,
    size: u64,
    start: u64,
    end: u64,
}

/// What the first pass finds.
#[derive(Debug, Default)]
struct Index {
    boundary: Option<String>,
    images: HashMap<String, ImagePart>,
    image_order: Vec<String>,
}

fn base64_len(line: &str) -> u64 {
    let t = line.trim();
    let pad = t.bytes().rev().take_while(|&b| b == b'=').count() as u64;
    let n = t.bytes().filter(|b| !b.is_ascii_whitespace()).count() as u64;
    (n / 4 * 3).saturating_sub(pad)
}

/// Decodes base64 text (one or more whole 4-character groups); invalid characters are skipped.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        if let Some(v) = val(c) {
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
    }
    out
}

/// Decodes one quoted-printable line; `true` when it ends in a soft break.
fn qp_decode(line: &str) -> (Vec<u8>, bool) {
    let b = line.trim_end_matches(['\r', '\n']).as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let soft = b.last() == Some(&b'=');
    let end = if soft { b.len() - 1 } else { b.len() };
    while i < end {
        let c = b.get(i).copied().unwrap_or(0);
        if c == b'='
            && let Some(h) = b.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    (out, soft)
}

/// `--boundary` or `--boundary--`.
fn is_delimiter(line: &str, boundary: &str) -> bool {
    line.strip_prefix("--")
        .and_then(|x| x.strip_prefix(boundary))
        .is_some_and(|rest| rest.is_empty() || rest == "--")
}

fn first_pass(input: &Input) -> Result<Index, SourceError> {
    let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
    let enc = TextEncoding {
        enc: encoding_rs::UTF_8,
        bom_len: TextEncoding::detect(&input.head).bom_len,
    };
    let mut r = LineReader::new(file, enc).map_err(|e| SourceError::io(&input.path, e))?;
    let mut idx = Index::default();
    let mut head: Vec<String> = Vec::new();
    let mut in_top = true;
    let mut part_head: Option<Vec<String>> = None;
    let mut cur: Option<(String, ImagePart)> = None;
    while let Some(l) = r.next_line().map_err(|e| SourceError::io(&input.path, e))? {
        let text = String::from_utf8_lossy(&l.bytes);
        let t = text.trim_end();
        if in_top {
            if t.is_empty() && !head.is_empty() {
                let joined = head.join("\n");
                idx.boundary = BOUNDARY
                    .captures(&joined)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().trim().to_owned());
                in_top = false;
            } else if head.len() < 200 {
                head.push(t.to_owned());
            }
            continue;
        }
        let Some(b) = &idx.boundary else { break };
        if is_delimiter(t, b) {
            if let Some((loc, img)) = cur.take() {
                idx.image_order.push(loc.clone());
                idx.images.insert(loc, img);
            }
            part_head = Some(Vec::new());
            continue;
        }
        if let Some(ph) = &mut part_head {
            if t.is_empty() {
                let h = parse_part_head(ph);
                part_head = None;
                if h.content_type.starts_with("image/") {
                    let loc = h.location.clone().unwrap_or_else(|| format!("@{}", l.end));
                    cur = Some((
                        loc,
                        ImagePart {
                            mime: h.content_type,
                            size: 0,
                            start: l.end,
                            end: l.end,
                        },
                    ));
                }
            } else if ph.len() < 100 {
                ph.push(text.trim_end_matches(['\r', '\n']).to_owned());
            }
            continue;
        }
        if let Some((_, img)) = &mut cur {
            img.size += base64_len(t);
            img.end = l.end;
        }
    }
    if let Some((loc, img)) = cur.take() {
        idx.image_order.push(loc.clone());
        idx.images.insert(loc, img);
    }
    Ok(idx)
}

impl Source for QqMht {
    fn id(&self) -> &'static str {
        "qq-mht"
    }
    fn name(&self) -> &'static str {
        "QQ MHT export (消息管理器 .mht)"
    }
    fn description(&self) -> &'static str {
        "Classic PC QQ 消息管理器 MHT export (QQ < 9.7.25): the HTML table of messages (消息分组/\
         消息对象, 日期 rows, `昵称(QQ号)` + time, text and images) and the embedded images as \
         attachments named by Content-Location (type and size from the MIME parts). Wall times, \
         given zone else Asia/Shanghai (guessed). Forwarded records, files and system rows are \
         read as plain rows: their markup is not publicly documented."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["*.mht", "*.mhtml"]
    }
    fn tier(&self) -> Tier {
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let h =
            String::from_utf8_lossy(input.head.get(..input.head.len().min(8192)).unwrap_or(&[]));
        let related = h.to_ascii_lowercase().contains("multipart/related");
        if h.contains("Save by Tencent MsgMgr") {
            95
        } else if related && (h.contains("Tencent IM Message") || h.contains("消息记录")) {
            85
        } else {
            0
        }
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let idx = first_pass(input)?;
        let Some(boundary) = idx.boundary.clone() else {
            return Err(SourceError::Format {
                location: "MIME header".into(),
                message: "no multipart boundary: not an MHT file".into(),
            });
        };
        let (zone, w) = Zone::from_options(opts);
        if let Some(w) = w {
            sink.warning(w);
        }
        if zone.is_guessed() {
            sink.warning(format!(
                "qq-mht: times have no offset in the file; read as {} (guessed)",
                zone.name()
            ));
        }
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let bom = TextEncoding::detect(&input.head).bom_len;
        let mut r = LineReader::new(
            file,
            TextEncoding {
                enc: encoding_rs::UTF_8,
                bom_len: bom,
            },
        )
        .map_err(|e| SourceError::io(&input.path, e))?;
        let mut st = Rows {
            tag: self.parser_tag(),
            input,
            opts,
            zone,
            idx: &idx,
            group: None,
            conv: None,
            date: None,
            buf: String::new(),
            buf_start: 0,
            buf_line: 0,
            seq: 0,
            used: std::collections::HashSet::new(),
        };
        // 0: top headers, 1: part headers, 2: HTML body, 3: other part body.
        let mut state = 0;
        let mut html_done = false;
        let mut ph: Vec<String> = Vec::new();
        let mut head: Option<PartHead> = None;
        let mut qp_pending: Vec<u8> = Vec::new();
        let mut decoder_enc = encoding_rs::UTF_8;
        while let Some(l) = r.next_line().map_err(|e| SourceError::io(&input.path, e))? {
            let text = String::from_utf8_lossy(&l.bytes).into_owned();
            let t = text.trim_end();
            let is_boundary = is_delimiter(t, &boundary);
            if is_boundary {
                if state == 2 {
                    st.rows(sink, None, l.start, true);
                    html_done = true;
                }
                state = 1;
                ph.clear();
                continue;
            }
            match state {
                0 => {}
                1 => {
                    if t.is_empty() {
                        let h = parse_part_head(&ph);
                        state = if h.content_type == "text/html" && !html_done {
                            2
                        } else {
                            3
                        };
                        decoder_enc = h
                            .charset
                            .as_deref()
                            .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
                            .unwrap_or(encoding_rs::UTF_8);
                        head = Some(h);
                    } else if ph.len() < 100 {
                        ph.push(t.to_owned());
                    }
                }
                2 => {
                    let cte = head.as_ref().map_or("", |h| h.encoding.as_str());
                    let bytes: Vec<u8> = match cte {
                        "base64" => base64_decode(t),
                        "quoted-printable" => {
                            let (mut b, soft) = qp_decode(&text);
                            if soft {
                                qp_pending.append(&mut b);
                                if qp_pending.len() < MAX_RECORD {
                                    continue;
                                }
                                std::mem::take(&mut qp_pending)
                            } else {
                                qp_pending.append(&mut b);
                                qp_pending.push(b'\n');
                                std::mem::take(&mut qp_pending)
                            }
                        }
                        _ => l.bytes.clone(),
                    };
                    let (decoded, _) = decoder_enc.decode_without_bom_handling(&bytes);
                    if l.truncated {
                        sink.unparsed(Unparsed {
                            provenance: input.provenance(
                                &st.tag,
                                Location::Bytes {
                                    start: l.start,
                                    end: l.end,
                                    line: Some(l.line),
                                },
                            ),
                            reason: "HTML line longer than the record limit; cut".into(),
                            excerpt: decoded.chars().take(200).collect(),
                        });
                    }
                    st.push(&decoded, l.start, l.line, l.end, sink);
                }
                _ => {}
            }
            if state == 0 && t.is_empty() {
                state = 3;
            }
        }
        if state == 2 {
            st.rows(sink, None, st.buf_start, true);
        }
        if st.conv.is_none() {
            st.open_conversation(None, sink);
        }
        // Images no message refers to are still reported (never dropped silently).
        let unused: Vec<&String> = idx
            .image_order
            .iter()
            .filter(|l| !st.used.contains(*l))
            .collect();
        if !unused.is_empty() {
            sink.warning(format!(
                "qq-mht: {} embedded image(s) referenced by no message: {}",
                unused.len(),
                unused
                    .iter()
                    .take(20)
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }
}

/// Cuts `<tr>…</tr>` rows out of the HTML stream and turns them into messages.
struct Rows<'a> {
    tag: String,
    input: &'a Input,
    opts: &'a Options,
    zone: Zone,
    idx: &'a Index,
    group: Option<String>,
    conv: Option<String>,
    date: Option<(i16, i8, i8)>,
    buf: String,
    buf_start: u64,
    buf_line: u64,
    seq: u64,
    used: std::collections::HashSet<String>,
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

impl Rows<'_> {
    fn push(&mut self, text: &str, start: u64, line: u64, end: u64, sink: &mut dyn Sink) {
        if self.buf.is_empty() {
            self.buf_start = start;
            self.buf_line = line;
        }
        self.buf.push_str(text);
        self.rows(sink, Some((start, line, text.len())), end, false);
        if self.buf.len() > MAX_RECORD {
            sink.unparsed(Unparsed {
                provenance: self.input.provenance(
                    &self.tag,
                    Location::Bytes {
                        start: self.buf_start,
                        end,
                        line: Some(self.buf_line),
                    },
                ),
                reason: "HTML row longer than the record limit".into(),
                excerpt: self.buf.chars().take(200).collect(),
            });
            self.buf.clear();
        }
    }

    /// Processes every complete row in the buffer (all of it at the end of the part). `cur`
    /// is the line just added (start, line number, decoded length): a row that begins after
    /// the buffer's older text is attributed to that line.
    fn rows(&mut self, sink: &mut dyn Sink, cur: Option<(u64, u64, usize)>, end: u64, last: bool) {
        loop {
            let Some(open) = find_ci(&self.buf, "<tr") else {
                if last || self.buf.len() > 4096 {
                    // Nothing row-like: keep only a tail that may start a tag.
                    let mut k = self.buf.len().saturating_sub(3);
                    while !self.buf.is_char_boundary(k) {
                        k -= 1;
                    }
                    self.buf.drain(..k);
                }
                self.reanchor(cur);
                return;
            };
            let Some(close_rel) = find_ci(self.buf.get(open..).unwrap_or(""), "</tr>") else {
                if last {
                    let row = self.buf.get(open..).unwrap_or("").to_owned();
                    let (rs, rl) = (self.buf_start, self.buf_line);
                    self.row(&row, rs, rl, end, sink);
                    self.buf.clear();
                }
                if open > 0 {
                    self.buf.drain(..open);
                }
                self.reanchor(cur);
                return;
            };
            let stop = open + close_rel + "</tr>".len();
            let (rs, rl) = match cur {
                Some((s, l, len)) if open >= self.buf.len().saturating_sub(len) => (s, l),
                _ => (self.buf_start, self.buf_line),
            };
            let row = self.buf.get(open..stop).unwrap_or("").to_owned();
            // A nested <tr> before this </tr> starts the real row (outer table rows).
            let row = match find_ci(row.get(3..).unwrap_or(""), "<tr") {
                Some(i) => row.get(i + 3..).unwrap_or("").to_owned(),
                None => row,
            };
            self.row(&row, rs, rl, end, sink);
            self.buf.drain(..stop);
            self.reanchor(cur);
        }
    }

    /// What is left in the buffer began in the current line when it is no longer than it.
    fn reanchor(&mut self, cur: Option<(u64, u64, usize)>) {
        if let Some((start, line, len)) = cur
            && self.buf.len() <= len
        {
            self.buf_start = start;
            self.buf_line = line;
        }
    }

    fn open_conversation(&mut self, title: Option<String>, sink: &mut dyn Sink) {
        let id = title.clone().unwrap_or_else(|| "qq-mht".to_owned());
        let id = if self.conv.as_deref() == Some(id.as_str()) {
            format!("{id}#{}", self.seq)
        } else {
            id
        };
        sink.conversation(Conversation {
            platform: Platform::Qq,
            id: id.clone(),
            title,
            kind: self.group.as_deref().and_then(group_kind),
            participants: Vec::new(),
        });
        self.conv = Some(id);
    }

    fn row(&mut self, html: &str, start: u64, line: u64, end: u64, sink: &mut dyn Sink) {
        self.seq += 1;
        let prov = self.input.provenance(
            &self.tag,
            Location::Bytes {
                start,
                end: end.max(start),
                line: Some(line),
            },
        );
        let frag = Html::parse_fragment(&format!("<table>{html}</table>"));
        let td_sel = sel("td");
        let Some(td) = frag.select(&td_sel).next() else {
            return;
        };
        let all: String = td.text().collect::<String>();
        let all_t = all.trim();
        if all_t.is_empty() {
            return;
        }
        if let Some(g) = all_t
            .strip_prefix("消息分组")
            .and_then(|r| r.strip_prefix([':', '：']))
        {
            self.group = Some(g.trim().to_owned());
            return;
        }
        if let Some(o) = all_t
            .strip_prefix("消息对象")
            .and_then(|r| r.strip_prefix([':', '：']))
        {
            self.open_conversation(Some(o.trim().to_owned()), sink);
            return;
        }
        if let Some(c) = DATE_ROW.captures(all_t) {
            let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
            self.date = (|| {
                Some((
                    i16::try_from(n(1)?).ok()?,
                    i8::try_from(n(2)?).ok()?,
                    i8::try_from(n(3)?).ok()?,
                ))
            })();
            return;
        }
        let divs: Vec<ElementRef<'_>> = td.children().filter_map(ElementRef::wrap).collect();
        let (Some(head), Some(content)) = (divs.first(), divs.get(1)) else {
            if self.conv.is_some() {
                sink.unparsed(Unparsed {
                    provenance: prov,
                    reason: "row is not a message (expected header div + content div)".into(),
                    excerpt: all_t.chars().take(200).collect(),
                });
            }
            return;
        };
        let sender_el = head.children().filter_map(ElementRef::wrap).next();
        let sender_text = sender_el
            .map(|e| e.text().collect::<String>())
            .unwrap_or_default();
        let head_text: String = head.text().collect();
        let rest = head_text.replacen(sender_text.as_str(), "", 1);
        let Some(tc) = TIME.captures(&rest) else {
            sink.unparsed(Unparsed {
                provenance: prov,
                reason: "message row without a time".into(),
                excerpt: all_t.chars().take(200).collect(),
            });
            return;
        };
        let time_raw = tc.get(0).map_or("", |m| m.as_str()).to_owned();
        let tn = |i: usize| tc.get(i).and_then(|m| m.as_str().parse::<i8>().ok());
        let time = match (self.date, tn(1), tn(2), tn(3)) {
            (Some((y, mo, d)), Some(h), Some(mi), Some(s)) => {
                let raw = format!("{y:04}-{mo:02}-{d:02} {time_raw}");
                match jiff::civil::DateTime::new(y, mo, d, h, mi, s, 0) {
                    Ok(dt) => self.zone.wall(&raw, dt),
                    Err(_) => unresolved(&raw, "wall"),
                }
            }
            _ => unresolved(&time_raw, "wall"),
        };
        let sender = QqSender::parse(sender_text.trim());
        // Body text in document order; <br> is a line break, an image a placeholder.
        let mut body = String::new();
        let mut attachments = Vec::new();
        for node in content.descendants() {
            match node.value() {
                Node::Text(t) => body.push_str(t),
                Node::Element(e) if e.name().eq_ignore_ascii_case("br") => body.push('\n'),
                Node::Element(e) if e.name().eq_ignore_ascii_case("img") => {
                    let src = e.attr("src").unwrap_or("").trim().to_owned();
                    body.push_str("[图片]");
                    let img = self.idx.images.get(&src);
                    if img.is_some() {
                        self.used.insert(src.clone());
                    }
                    attachments.push(Attachment {
                        name: Some(src),
                        mime: img.map(|i| i.mime.clone()),
                        size: img.map(|i| i.size),
                        item_sha256: None,
                        omitted: false,
                    });
                }
                _ => {}
            }
        }
        let body = body.trim().to_owned();
        let mut kind = body_kind(&body, sender.is_system());
        if kind == MessageKind::Text
            && !attachments.is_empty()
            && body.replace("[图片]", "").trim().is_empty()
        {
            kind = MessageKind::Image;
        }
        // DS: own messages are styled colour #42B475 (on the header div or the name div).
        let own_colour = [Some(*head), sender_el]
            .into_iter()
            .flatten()
            .filter_map(|e| e.value().attr("style"))
            .any(|s| s.to_ascii_uppercase().contains("42B475"));
        let direction = if own_colour || sender.is_owner(&self.opts.owner) {
            Direction::Outgoing
        } else if !self.opts.owner.is_empty() {
            Direction::Incoming
        } else {
            Direction::Unknown
        };
        let mut extra = Map::new();
        extra.insert("sender_raw".into(), sender.raw.clone().into());
        extra.insert("row".into(), self.seq.into());
        if let Some(b) = &sender.badge {
            extra.insert("title_badge".into(), b.clone().into());
        }
        for a in &attachments {
            if let Some(img) = a.name.as_ref().and_then(|n| self.idx.images.get(n)) {
                extra.insert(
                    format!("image_part_bytes:{}", a.name.as_deref().unwrap_or("")),
                    format!("{}-{}", img.start, img.end).into(),
                );
            }
        }
        if self.conv.is_none() {
            self.open_conversation(None, sink);
        }
        sink.message(Message {
            id: format!("R{}", self.seq),
            conversation: self.conv.clone().unwrap_or_default(),
            sender: sender.party(),
            direction,
            kind,
            body,
            time,
            attachments,
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: prov,
            extra: Value::Object(extra),
        });
    }
}

#[cfg(test)]
mod tests {
    //! No openly licensed QQ MHT export exists (corpus SOURCES.md). The file here is built from
    //! the structure in FORMATS-CN.md §5.2 (preamble from QQMessageParse, parts from
    //! qq-chat-converter `read_mht`, table layout from ChatImporter `win_qq_html.rs` and
    //! qq-chat-converter `parse_message`).
    use super::*;
    use crate::source::Collect;

    /// A 1×1 PNG, base64.
    const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    pub(crate) fn sample() -> String {
        format!(
            "From: <Save by Tencent MsgMgr>\r\nSubject: Tencent IM Message\r\nMIME-Version: 1.0\r\n\
Content-Type:multipart/related;\r\n\tcharset=\"utf-8\"\r\n\ttype=\"text/html\";\r\n\tboundary=\"----=_NextPart_20190716_1234\"\r\n\r\n\
------=_NextPart_20190716_1234\r\nContent-Type:text/html\r\nContent-Transfer-Encoding:7bit\r\n\r\n\
<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" /><title>QQ Message</title></head><body><table border=0 cellspacing=0 cellpadding=0 width=\"100%\" style=\"font-size:9pt\">\r\n\
<tr><td><div style=padding-left:10px;><br><b>消息记录</b>（此消息记录为文本格式，不支持重新导入）<br><br></div></td></tr>\r\n\
<tr><td><div style=padding-left:10px;>消息分组:我的群聊</div></td></tr>\r\n\
<tr><td><div style=padding-left:10px;>消息对象:反诈交流群</div></td></tr>\r\n\
<tr><td><div style=padding-left:10px;>&nbsp;</div></td></tr>\r\n\
<tr><td style=border-bottom-width:1px;><div style=color:#375;padding-left:10px;>日期: 2019-07-16</div></td></tr>\r\n\
<tr><td><div style=color:#006EFE;padding-left:10px;><div style=float:left;margin-right:6px;>地瓜(23333233)</div>18:15:05</div><div style=padding-left:20px;><font style=\"font-size:10pt;font-family:'宋体';\" color='000000'>第一行<br>第二行</font></div></td></tr>\r\n\
<tr><td><div style=color:#42B475;padding-left:10px;><div style=float:left;margin-right:6px;>我自己(10001)</div>18:16:00</div><div style=padding-left:20px;><IMG src=\"{{A1B2C3D4-0000-0000-0000-000000000001}}.dat\"></div></td></tr>\r\n\
<tr><td><div style=color:#006EFE;padding-left:10px;><div style=float:left;margin-right:6px;>Bob&lt;bob@example.com&gt;</div>8:01:02</div><div style=padding-left:20px;><font>看图 </font><IMG src=\"{{A1B2C3D4-0000-0000-0000-000000000002}}.dat\"><font>转账 50000</font></div></td></tr>\r\n\
<tr><td><div style=color:#375;padding-left:10px;>日期: 2019-07-17</div></td></tr>\r\n\
<tr><td><div style=color:#006EFE;padding-left:10px;><div style=float:left;margin-right:6px;>【管理员】张三(123)</div>00:00:01</div><div style=padding-left:20px;><font>[表情]</font></div></td></tr>\r\n\
</table></body></html>\r\n\r\n\
------=_NextPart_20190716_1234\r\nContent-Type:image/png\r\nContent-Transfer-Encoding:base64\r\nContent-Location:{{A1B2C3D4-0000-0000-0000-000000000001}}.dat\r\n\r\n{PNG_B64}\r\n\r\n\
------=_NextPart_20190716_1234\r\nContent-Type:image/png\r\nContent-Transfer-Encoding:base64\r\nContent-Location:{{A1B2C3D4-0000-0000-0000-000000000002}}.dat\r\n\r\n{PNG_B64}\r\n\r\n\
------=_NextPart_20190716_1234\r\nContent-Type:image/png\r\nContent-Transfer-Encoding:base64\r\nContent-Location:{{UNUSED}}.dat\r\n\r\n{PNG_B64}\r\n\r\n\
------=_NextPart_20190716_1234--\r\n"
        )
    }

    fn run(bytes: &[u8]) -> (Collect, Result<(), SourceError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chat.mht");
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        let r = QqMht.parse(&input, &Options::default(), &mut sink);
        (sink, r)
    }

    #[test]
    fn documented_shape() {
        let s = sample();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chat.mht");
        std::fs::write(&path, &s).expect("write");
        assert!(QqMht.sniff(&Input::open(&path).expect("open")) >= 90);
        let (sink, r) = run(s.as_bytes());
        r.expect("parse");
        assert_eq!(sink.conversations.len(), 1);
        assert_eq!(sink.conversations[0].id, "反诈交流群");
        assert_eq!(sink.conversations[0].kind.as_deref(), Some("group"));
        let m = &sink.messages;
        assert_eq!(m.len(), 4, "{:?}", sink.unparsed);
        assert_eq!(m[0].sender.name.as_deref(), Some("地瓜"));
        assert_eq!(m[0].sender.account.as_deref(), Some("23333233"));
        assert_eq!(m[0].body, "第一行\n第二行");
        assert_eq!(m[0].time.raw, "2019-07-16 18:15:05");
        assert_eq!(m[0].time.utc.as_deref(), Some("2019-07-16T10:15:05Z"));
        assert_eq!(m[0].time.zone_basis, "guessed");
        assert_eq!(m[1].kind, MessageKind::Image);
        assert_eq!(m[1].direction, Direction::Outgoing);
        let a = &m[1].attachments[0];
        assert_eq!(
            a.name.as_deref(),
            Some("{A1B2C3D4-0000-0000-0000-000000000001}.dat")
        );
        assert_eq!(a.mime.as_deref(), Some("image/png"));
        assert_eq!(a.size, Some(base64_decode(PNG_B64).len() as u64));
        assert_eq!(m[2].sender.account.as_deref(), Some("bob@example.com"));
        assert_eq!(m[2].kind, MessageKind::Text);
        assert_eq!(m[2].body, "看图 [图片]转账 50000");
        assert_eq!(m[2].time.utc.as_deref(), Some("2019-07-16T00:01:02Z"));
        assert_eq!(m[3].kind, MessageKind::Sticker);
        assert_eq!(m[3].sender.name.as_deref(), Some("张三"));
        assert_eq!(m[3].time.utc.as_deref(), Some("2019-07-16T16:00:01Z"));
        assert!(sink.warnings.iter().any(|w| w.contains("{UNUSED}.dat")));
        let Location::Bytes { line, .. } = m[0].provenance.location else {
            panic!("location")
        };
        assert_eq!(line, Some(19));
    }

    #[test]
    fn wall_times_across_shanghai_dst() {
        // China observed DST in 1988 (04-17 02:00 → 03:00): 12:00 in July is +09:00, a time
        // in the gap takes the offset before it.
        let s = sample()
            .replace("日期: 2019-07-16", "日期: 1988-07-01")
            .replace("日期: 2019-07-17", "日期: 1988-04-17")
            .replace("00:00:01", "02:30:00");
        let (sink, r) = run(s.as_bytes());
        r.expect("parse");
        let m = &sink.messages;
        assert_eq!(m[0].time.utc.as_deref(), Some("1988-07-01T09:15:05Z"));
        assert_eq!(m[0].time.offset.as_deref(), Some("+09:00"));
        assert_eq!(m[3].time.utc.as_deref(), Some("1988-04-16T18:30:00Z"));
    }

    /// Writes the sample as the fuzz seed (run by hand with `--ignored`).
    #[test]
    #[ignore]
    fn write_fuzz_seed() {
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/qq-mht");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::write(out.join("sample.mht"), sample()).expect("write");
    }

    #[test]
    fn quoted_printable_html_and_hostile() {
        let s = sample()
            .replace(
                "Content-Transfer-Encoding:7bit",
                "Content-Transfer-Encoding:quoted-printable",
            )
            .replace("第一行<br>第二行", "=E7=AC=AC=E4=B8=80=E8=A1=8C=\r\n<br>x");
        let (sink, r) = run(s.as_bytes());
        r.expect("parse");
        assert_eq!(sink.messages[0].body, "第一行\nx");
        for data in [
            &b""[..],
            b"From: <Save by Tencent MsgMgr>\r\n\r\n",
            b"Content-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<tr><td><div><div>x(1)</div>nope</div><div>y</div></td></tr>",
            b"Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n--b--",
        ] {
            let _ = run(data);
        }
        let (sink, _) = run(&sample().as_bytes()[..sample().len() / 2]);
        assert!(!sink.messages.is_empty());
    }
}
