//! mbox mailboxes (mboxo, mboxrd, mboxcl, mboxcl2): messages one after another, each
//! starting with a `From sender date` separator line. Written by mail spools, Thunderbird,
//! Apple Mail exports and Google Takeout (Gmail), and often many gigabytes large: read line by
//! line, one message in memory at a time.
//!
//! Variants: mboxo and mboxrd escape body lines starting `From ` as `>From `; mboxrd also
//! escapes `>From ` as `>>From `, and so on. Reading undoes one level of `>` before
//! `>…>From ` (the mboxrd rule, the same as mboxo for one `>`). mboxcl/mboxcl2 add a
//! `Content-Length` header; mboxcl2 does not escape. A `Content-Length` is followed when it
//! ends exactly at the next separator (or the end of the file); then `From ` lines inside that
//! length stay in the body, and when there were such lines the message is mboxcl2 and is not
//! unescaped. A `Content-Length` that does not end at a separator is ignored and its message is
//! split at the separators it covered.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader};

use cunzheng_model::{Conversation, Location, Platform, Unparsed};
use mail_parser::MessageParser;
use serde_json::Value;

use super::common_mail::{
    Digest, Threads, Warnings, build, excerpt, has_header_fields, is_from_line, message_id,
};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::Zone;

/// mbox: many e-mail messages in one file.
pub struct Mbox;

impl Source for Mbox {
    fn id(&self) -> &'static str {
        "mbox"
    }

    fn name(&self) -> &'static str {
        "mbox mailbox"
    }

    fn description(&self) -> &'static str {
        "An mbox mailbox (mboxo, mboxrd, mboxcl, mboxcl2; Thunderbird, mail spools, Google \
         Takeout Gmail export), read as a stream: every message between `From ` separator \
         lines becomes one message as in `eml` (sender, recipients, text body, attachments \
         listed, In-Reply-To, Date with its own offset; GBK/GB18030 included), with its byte \
         range and line. `>From ` lines are unescaped one level (mboxrd rule; in mboxo an \
         original `>From ` line cannot be told from an escaped one). Threads by \
         References/In-Reply-To, else by subject, over the whole file (two passes). Of a message \
         over 16 MiB the header and first parts are read and the rest is kept as unparsed; text \
         before the first separator is kept as unparsed. Does not read \
         MMDF, Maildir folders, Outlook .pst or X-Mozilla-Status flags (kept in the file)."
    }

    fn globs(&self) -> &'static [&'static str] {
        &["*.mbox", "*.mbx", "*.mbs", "Inbox", "Sent", "*.mbox/mbox"]
    }

    fn tier(&self) -> Tier {
        // The variants are documented (qmail's mbox(5), RFC 4155); tested on Takeout-style and
        // mboxrd samples from other projects, not on a case's own exports.
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let head = &input.head;
        let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
        let Some(first) = head.get(..end) else {
            return 0;
        };
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        if !is_from_line(first) {
            return 0;
        }
        // What follows the separator should be a header field.
        let rest = head.get(end + 1..).unwrap_or_default();
        let next = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        let colon = next.iter().position(|&b| b == b':');
        match colon {
            Some(c) if super::common_mail::is_field_name(next.get(..c).unwrap_or_default()) => 95,
            _ => 60,
        }
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let (zone, w) = Zone::from_options(opts);
        if let Some(w) = w {
            sink.warning(w);
        }
        let tag = self.parser_tag();
        let open = || -> Result<Splitter<BufReader<std::fs::File>>, SourceError> {
            let f =
                std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
            Ok(Splitter::new(BufReader::with_capacity(1 << 16, f)))
        };
        let io = |e| SourceError::io(&input.path, e);

        // Pass 1: threads over the whole file (headers only), so that every conversation is
        // emitted, complete, before its first message.
        let mut threads = Threads::default();
        let mut split = open()?;
        let mut messages = 0u64;
        let mut text_outside = false;
        while let Some(chunk) = split.next_chunk().map_err(io)? {
            if chunk.from_line.is_none() {
                text_outside |= !chunk.data.iter().all(u8::is_ascii_whitespace);
                continue;
            }
            messages += 1;
            // An oversized message is read from its start (headers, text parts): see pass 2.
            let bytes = chunk.message_bytes();
            if let Some(msg) = MessageParser::new()
                .parse_headers(bytes)
                .filter(|m| has_header_fields(m))
            {
                threads.add(&Digest::of(&msg, &format!("L{}", chunk.line)));
            }
        }
        if messages == 0 {
            if text_outside {
                return Err(SourceError::Format {
                    location: "line 1".into(),
                    message: "no `From ` separator line: not an mbox".into(),
                });
            }
            return Ok(());
        }

        // Pass 2: the messages.
        let mut warnings = Warnings::default();
        if threads.dropped_keys > 0 {
            warnings.warn(
                sink,
                "threads",
                format!(
                    "{}: too many Message-IDs to thread them all; {} later ids were not linked",
                    input.name, threads.dropped_keys
                ),
            );
        }
        let mut emitted: HashSet<String> = HashSet::new();
        let mut unescaped_total = 0u64;
        let mut split = open()?;
        while let Some(chunk) = split.next_chunk().map_err(io)? {
            let location = Location::Bytes {
                start: chunk.start,
                end: chunk.end,
                line: Some(chunk.line),
            };
            let Some(from_line) = &chunk.from_line else {
                if !chunk.data.iter().all(u8::is_ascii_whitespace) {
                    sink.unparsed(Unparsed {
                        provenance: input.provenance(&tag, location),
                        reason: "text before the first `From ` separator line".into(),
                        excerpt: excerpt(&chunk.data),
                    });
                }
                continue;
            };
            // A message larger than one record (a big attachment): its first MAX_RECORD bytes
            // hold the header and, as mail clients write them, the text parts; those are read
            // and the rest is recorded as unparsed with its byte range.
            let read_end = chunk.start + from_line.len() as u64 + chunk.data.len() as u64;
            if chunk.oversized {
                sink.unparsed(Unparsed {
                    provenance: input.provenance(
                        &tag,
                        Location::Bytes {
                            start: read_end,
                            end: chunk.end,
                            line: None,
                        },
                    ),
                    reason: format!(
                        "rest of the message at line {} ({} bytes in all): past the {MAX_RECORD}-byte limit for one record; its header and first parts were read",
                        chunk.line,
                        chunk.end - chunk.start
                    ),
                    excerpt: String::new(),
                });
                warnings.warn(
                    sink,
                    "oversized",
                    format!(
                        "{}: message at line {} is {} bytes; only its first {MAX_RECORD} bytes were read (parts after them, usually attachments, are not listed)",
                        input.name,
                        chunk.line,
                        chunk.end - chunk.start
                    ),
                );
            }
            let (bytes, unescaped) = if chunk.mboxcl2 {
                (chunk.message_bytes().to_vec(), 0)
            } else {
                unescape(chunk.message_bytes())
            };
            unescaped_total += unescaped;
            let Some(msg) = MessageParser::new()
                .parse(&bytes)
                .filter(|m| has_header_fields(m))
            else {
                sink.unparsed(Unparsed {
                    provenance: input.provenance(&tag, location),
                    reason: "no RFC 5322 header fields after the `From ` line".into(),
                    excerpt: excerpt(&chunk.data),
                });
                continue;
            };
            let digest = Digest::of(&msg, &format!("L{}", chunk.line));
            let conv = threads.lookup(&digest);
            if conv.truncated && emitted.insert(format!("!{}", conv.id)) {
                warnings.warn(
                    sink,
                    "participants",
                    format!(
                        "{}: conversation {} lists only its first participants",
                        input.name, conv.id
                    ),
                );
            }
            if emitted.insert(conv.id.clone()) {
                sink.conversation(Conversation {
                    platform: Platform::Email,
                    id: conv.id.clone(),
                    title: conv.title.clone(),
                    kind: None,
                    participants: conv.participants.clone(),
                });
            }
            let own = message_id(&msg);
            let id = match (&own, conv.duplicate) {
                (Some(id), None) => id.clone(),
                (Some(id), Some(total)) => {
                    warnings.warn(
                        sink,
                        "duplicate",
                        format!(
                            "{}: Message-ID <{id}> occurs {total} times; the copy at line {} has id `{id}#L{}`",
                            input.name, chunk.line, chunk.line
                        ),
                    );
                    format!("{id}#L{}", chunk.line)
                }
                (None, _) => format!("L{}", chunk.line),
            };
            let mut built = build(
                &msg,
                &digest,
                &zone,
                opts,
                id,
                conv.id,
                input.provenance(&tag, location),
            );
            if let Value::Object(extra) = &mut built.message.extra {
                extra.insert(
                    "from_line".into(),
                    String::from_utf8_lossy(from_line).trim_end().into(),
                );
                if unescaped > 0 {
                    extra.insert("unescaped_from_lines".into(), unescaped.into());
                }
                if let Some((n, consistent)) = chunk.content_length {
                    extra.insert(
                        "content_length".into(),
                        serde_json::json!({"value": n, "matches": consistent}),
                    );
                }
                if chunk.mboxcl2 {
                    extra.insert("mbox_variant".into(), "mboxcl2".into());
                }
                if chunk.oversized {
                    extra.insert(
                        "truncated".into(),
                        serde_json::json!({"message_bytes": chunk.end - chunk.start,
                                           "read_bytes": read_end - chunk.start}),
                    );
                }
                if conv.duplicate.is_some() {
                    extra.insert("duplicate_message_id".into(), true.into());
                }
            }
            for (kind, text) in built.problems {
                warnings.warn(
                    sink,
                    kind,
                    format!("{} line {}: {text}", input.name, chunk.line),
                );
            }
            sink.message(built.message);
        }
        if unescaped_total > 0 {
            sink.warning(format!(
                "{}: {unescaped_total} body lines starting `>From ` had one `>` removed (mboxrd \
                 rule); if this mbox is mboxo, a line that was written `>From ` cannot be told \
                 from an escaped `From ` line (each message's byte range points at the original)",
                input.name
            ));
        }
        warnings.finish(sink);
        Ok(())
    }
}

/// Removes one `>` from lines matching `>+From ` (mboxrd); returns the text and how many.
fn unescape(bytes: &[u8]) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut n = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && line.get(quotes..).is_some_and(|r| r.starts_with(b"From ")) {
            out.extend_from_slice(line.get(1..).unwrap_or_default());
            n += 1;
        } else {
            out.extend_from_slice(line);
        }
    }
    (out, n)
}

/// One line as read: where it starts, its number, its first bytes (up to the cap asked for)
/// and its full length with the line end.
#[derive(Debug)]
struct Line {
    start: u64,
    no: u64,
    bytes: Vec<u8>,
    len: u64,
    truncated: bool,
}

/// A `From ` line met inside a `Content-Length` body.
#[derive(Debug)]
struct Held {
    /// Offset of the line in the message data.
    at: usize,
    start: u64,
    no: u64,
    len: usize,
}

/// One message (or the text before the first one) with where it is.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// First byte (of the `From ` line).
    pub start: u64,
    /// One past the last byte (the start of the next `From ` line, or the end of the file).
    pub end: u64,
    /// 1-based line of `start`.
    pub line: u64,
    /// The separator line; `None` for text before the first separator.
    pub from_line: Option<Vec<u8>>,
    /// The bytes after the separator line, as in the file (escaped), up to [`MAX_RECORD`].
    pub data: Vec<u8>,
    /// The message was longer than [`MAX_RECORD`]; `data` holds its start.
    pub oversized: bool,
    /// `Content-Length` and whether it ended at the next separator.
    pub content_length: Option<(u64, bool)>,
    /// Where the message ends by a matching `Content-Length` (header + that many bytes).
    exact_len: Option<usize>,
    /// `From ` lines stayed in the body by `Content-Length`: written unescaped (mboxcl2).
    pub mboxcl2: bool,
}

impl Chunk {
    /// The message as handed to the mail parser: by a matching `Content-Length` exactly,
    /// else without the blank line that separates it from the next `From ` line.
    pub fn message_bytes(&self) -> &[u8] {
        if let Some(n) = self.exact_len {
            return self.data.get(..n).unwrap_or(&self.data);
        }
        let d = &self.data;
        // The separator blank line is the last line, after another line's end.
        let cut = if d.ends_with(b"\n\r\n") {
            2
        } else if d.ends_with(b"\n\n") {
            1
        } else {
            0
        };
        d.get(..d.len() - cut).unwrap_or(d)
    }
}

/// Splits an mbox into [`Chunk`]s with a line scanner, holding at most one message.
pub(crate) struct Splitter<R: BufRead> {
    r: R,
    pos: u64,
    line_no: u64,
    /// A separator already read: it starts the next message.
    ahead: Option<Line>,
    /// Pieces of a message split after a `Content-Length` proved wrong.
    queue: VecDeque<Chunk>,
    started: bool,
}

/// Smallest cap when reading a line: enough to recognise a `From ` line.
const MIN_LINE: usize = 1024;

impl<R: BufRead> Splitter<R> {
    pub fn new(r: R) -> Self {
        Self {
            r,
            pos: 0,
            line_no: 1,
            ahead: None,
            queue: VecDeque::new(),
            started: false,
        }
    }

    /// Reads one line, keeping at most `cap` bytes of it; `None` at the end.
    fn read_line(&mut self, cap: usize) -> std::io::Result<Option<Line>> {
        let start = self.pos;
        let mut bytes = Vec::new();
        let mut len = 0u64;
        let mut truncated = false;
        loop {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = cap.saturating_sub(bytes.len());
            let keep = take.min(room);
            bytes.extend_from_slice(buf.get(..keep).unwrap_or_default());
            truncated |= keep < take;
            self.r.consume(take);
            len += take as u64;
            if done {
                break;
            }
        }
        if len == 0 {
            return Ok(None);
        }
        self.pos += len;
        let no = self.line_no;
        self.line_no += 1;
        Ok(Some(Line {
            start,
            no,
            bytes,
            len,
            truncated,
        }))
    }

    /// The next message, or the text before the first separator; `None` at the end.
    pub fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        if let Some(c) = self.queue.pop_front() {
            return Ok(Some(c));
        }
        let (start, line, from_line) = match self.ahead.take() {
            Some(l) => (l.start, l.no, Some(l.bytes)),
            None if !self.started => (self.pos, self.line_no, None),
            None => return Ok(None),
        };
        self.started = true;
        let mut data: Vec<u8> = Vec::new();
        let mut oversized = false;
        let mut total = 0u64; // bytes after the separator line, kept or not
        let mut in_headers = from_line.is_some();
        let mut body_start: Option<u64> = None;
        let mut lengths: Vec<u64> = Vec::new();
        let mut held: Vec<Held> = Vec::new();
        loop {
            let cap = if oversized {
                MIN_LINE
            } else {
                (MAX_RECORD - data.len().min(MAX_RECORD) + 1).max(MIN_LINE)
            };
            let Some(l) = self.read_line(cap)? else {
                break;
            };
            let text = l.bytes.strip_suffix(b"\n").unwrap_or(&l.bytes);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if !l.truncated && is_from_line(text) {
                // Inside a trusted Content-Length body a `From ` line is body text.
                let within = match (body_start, lengths.as_slice()) {
                    (Some(b), [n]) => {
                        total - b < *n
                            && b.saturating_add(*n).saturating_add(2) <= MAX_RECORD as u64
                    }
                    _ => false,
                };
                if !within || oversized {
                    self.ahead = Some(l);
                    break;
                }
                held.push(Held {
                    at: data.len(),
                    start: l.start,
                    no: l.no,
                    len: l.bytes.len(),
                });
            }
            if in_headers {
                if text.is_empty() {
                    in_headers = false;
                    body_start = Some(total + l.len);
                } else if let Some(v) = text
                    .get(..15)
                    .filter(|h| h.eq_ignore_ascii_case(b"content-length:"))
                    .and_then(|_| text.get(15..))
                {
                    let v = String::from_utf8_lossy(v);
                    lengths.push(v.trim().parse().unwrap_or(u64::MAX));
                }
            }
            total += l.len;
            if !oversized {
                if l.truncated || data.len() + l.bytes.len() > MAX_RECORD {
                    oversized = true;
                } else {
                    data.extend_from_slice(&l.bytes);
                }
            }
        }
        let end = self.ahead.as_ref().map_or(self.pos, |l| l.start);
        if from_line.is_none() && data.is_empty() && !oversized {
            // Nothing before the first separator.
            return self.next_chunk();
        }
        // Does a single Content-Length end at this separator (allowing the blank line)?
        let mut content_length = None;
        let mut exact_len = None;
        if let (Some(b), [n]) = (body_start, lengths.as_slice()) {
            let body = total - b;
            // The bytes past the length may only be the blank separator line.
            let tail_ok = || {
                let from = usize::try_from(b.saturating_add(*n)).unwrap_or(usize::MAX);
                oversized
                    || data
                        .get(from..)
                        .is_some_and(|t| t.iter().all(|&c| c == b'\r' || c == b'\n'))
            };
            let consistent = *n != u64::MAX && body >= *n && body - n <= 2 && tail_ok();
            content_length = Some((*n, consistent));
            if consistent && !oversized {
                exact_len = usize::try_from(b + n).ok();
            }
            if !consistent && !held.is_empty() {
                self.queue = split_held(start, line, from_line, data, held, end, oversized, *n);
                return Ok(self.queue.pop_front());
            }
        }
        let mboxcl2 = exact_len.is_some() && !held.is_empty();
        Ok(Some(Chunk {
            start,
            end,
            line,
            from_line,
            data,
            oversized,
            content_length,
            exact_len,
            mboxcl2,
        }))
    }
}

/// Splits a message whose `Content-Length` proved wrong at the `From ` lines it covered.
#[allow(clippy::too_many_arguments)]
fn split_held(
    start: u64,
    line: u64,
    from_line: Option<Vec<u8>>,
    data: Vec<u8>,
    held: Vec<Held>,
    end: u64,
    oversized: bool,
    length: u64,
) -> VecDeque<Chunk> {
    let mut out = VecDeque::new();
    let mut bounds: Vec<(u64, u64, Option<Vec<u8>>, usize)> = vec![(start, line, from_line, 0)];
    for h in &held {
        let from = data.get(h.at..h.at + h.len).map(<[u8]>::to_vec);
        bounds.push((h.start, h.no, from, h.at + h.len));
    }
    let count = bounds.len();
    for (i, (s, no, from, body_at)) in bounds.into_iter().enumerate() {
        let (next_start, data_end) = match held.get(i) {
            Some(h) => (h.start, h.at),
            None => (end, data.len()),
        };
        out.push_back(Chunk {
            start: s,
            end: next_start,
            line: no,
            from_line: from,
            data: data.get(body_at..data_end).unwrap_or_default().to_vec(),
            oversized: oversized && i + 1 == count,
            content_length: (i == 0).then_some((length, false)),
            exact_len: None,
            mboxcl2: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use std::path::{Path, PathBuf};

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/mbox")
    }

    fn run_path(path: &Path, opts: &Options) -> (Result<(), SourceError>, Collect) {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let r = Mbox.parse(&input, opts, &mut sink);
        (r, sink)
    }

    fn run_bytes(bytes: &[u8]) -> (Result<(), SourceError>, Collect) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("box.mbox");
        std::fs::write(&path, bytes).expect("write");
        run_path(&path, &Options::default())
    }

    fn range(m: &cunzheng_model::Message) -> (u64, u64, u64) {
        match m.provenance.location {
            Location::Bytes {
                start,
                end,
                line: Some(line),
            } => (start, end, line),
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mboxrd_unescaping() {
        let path = data_dir().join("andris9__random-message/test/fixtures/test.mbox");
        let input = Input::open(&path).expect("open");
        assert_eq!(Mbox.sniff(&input), 95);
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages.len(), 3);
        assert!(c.unparsed.is_empty());
        let bodies: Vec<&str> = c.messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(
            bodies[0],
            "Line 1\nFrom Line 2\nLine 3\n>From Line 4\nLine 5\n>>From Line 6\nLine 7\n"
        );
        assert!(
            bodies[2].ends_with(">>From Line 26\nLine 27\n"),
            "{:?}",
            bodies[2]
        );
        assert_eq!(c.messages[0].extra["unescaped_from_lines"], 3);
        assert!(
            c.warnings.iter().any(|w| w.contains("9 body lines")),
            "{:?}",
            c.warnings
        );
        // No Message-IDs, replies by subject only: one conversation.
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.conversations[0].id, "subject:testsubject");
        assert_eq!(c.conversations[0].title.as_deref(), Some("testsubject"));
        assert_eq!(c.conversations[0].participants.len(), 2);
        let senders: Vec<_> = c
            .messages
            .iter()
            .map(|m| m.sender.account.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            senders,
            [
                "test@example.com",
                "someone@example.com",
                "test@example.com"
            ]
        );
        assert_eq!(c.messages[0].id, "L1");
        assert_eq!(c.messages[1].id, "L15");
        assert_eq!(c.messages[2].id, "L29");
        // Fri, 12 Nov 2010 12:28:33 +0200 .. 12:33:33 +0200
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2010-11-12T10:28:33Z")
        );
        assert_eq!(
            c.messages[2].time.utc.as_deref(),
            Some("2010-11-12T10:33:33Z")
        );
        assert_eq!(c.messages[2].extra["date_offset"], "+02:00");
        // Byte ranges tile the file; each starts at its `From ` line.
        let len = std::fs::metadata(&path).expect("meta").len();
        let bytes = std::fs::read(&path).expect("read");
        let mut at = 0;
        for m in &c.messages {
            let (s, e, _) = range(m);
            assert_eq!(s, at);
            assert!(bytes[s as usize..].starts_with(b"From "));
            at = e;
        }
        assert_eq!(at, len);
    }

    #[test]
    fn takeout_sample() {
        let path = data_dir().join("DrDiabelsBafian__TakeoutReader/tests/fixtures/sample.mbox");
        let (r, c) = run_path(
            &path,
            &Options {
                zone: Some("Europe/Paris".into()),
                ..Options::default()
            },
        );
        r.expect("parse");
        assert_eq!(c.messages.len(), 3);
        assert_eq!(c.conversations.len(), 3);
        let m = &c.messages[0];
        assert_eq!(m.id, "test001@example.com");
        assert_eq!(m.sender.name.as_deref(), Some("Alice"));
        assert_eq!(m.sender.account.as_deref(), Some("alice@example.com"));
        assert_eq!(m.body, "Hey Bob, happy new year!\n");
        assert_eq!(m.time.utc.as_deref(), Some("2024-01-01T11:00:00Z"));
        assert_eq!(m.time.offset.as_deref(), Some("+01:00"));
        assert_eq!(m.time.zone_basis, "source");
        assert_eq!(m.extra["gmail_labels"], "Inbox,Important");
        assert_eq!(
            m.extra["from_line"],
            "From sender@example.com Mon Jan 01 12:00:00 2024"
        );
        assert_eq!(range(m), (0, 299, 1));
        let last = &c.messages[2];
        assert_eq!(last.sender.name.as_deref(), Some("Boursorama"));
        assert_eq!(last.time.utc.as_deref(), Some("2024-01-03T09:00:00Z"));
        assert_eq!(last.extra["subject"], "Votre releve de compte");
        assert_eq!(range(last), (625, 940, 23));
        assert_eq!(c.conversations[0].id, "<test001@example.com>");
        assert_eq!(c.conversations[0].participants.len(), 2);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn edge_cases_sample() {
        // Empty From: and Subject:, `Date: not-a-real-date`, a duplicated Message-ID.
        let path = data_dir().join("DrDiabelsBafian__TakeoutReader/tests/fixtures/edge_cases.mbox");
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages.len(), 3);
        let m = &c.messages[0];
        assert_eq!(m.sender.account, None);
        assert_eq!(m.sender.name, None);
        assert_eq!(m.time.raw, "not-a-real-date");
        assert_eq!(m.time.utc, None);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("line 1") && w.contains("not-a-real-date"))
        );
        assert_eq!(c.messages[1].id, "dupe001@test.com");
        assert_eq!(c.messages[2].id, "dupe001@test.com#L20");
        assert_eq!(c.messages[2].extra["duplicate_message_id"], true);
        assert_eq!(c.messages[2].extra["gmail_labels"], "Important");
        assert!(c.warnings.iter().any(|w| w.contains("occurs 2 times")));
        assert_eq!(c.messages[1].conversation, c.messages[2].conversation);
        assert_eq!(c.conversations.len(), 2);
    }

    #[test]
    fn empty_mbox() {
        let path = data_dir().join("DrDiabelsBafian__TakeoutReader/tests/fixtures/empty.mbox");
        let input = Input::open(&path).expect("open");
        assert_eq!(Mbox.sniff(&input), 0);
        let (r, c) = run_path(&path, &Options::default());
        r.expect("an empty mailbox is no error");
        assert!(c.messages.is_empty() && c.unparsed.is_empty());
    }

    #[test]
    fn threads_across_the_file() {
        // A reply before its parent, one with only In-Reply-To, one with only `Re:`; CRLF.
        let text = "From a@x Mon Jan  1 10:00:00 2024\r\n\
            From: B <b@x>\r\nTo: A <a@x>\r\nSubject: Re: plan\r\nMessage-ID: <2@x>\r\n\
            In-Reply-To: <1@x>\r\nReferences: <1@x>\r\nDate: Mon, 1 Jan 2024 11:00:00 +0800\r\n\r\nok\r\n\r\n\
            From a@x Mon Jan  1 10:00:00 2024\r\n\
            From: A <a@x>\r\nTo: B <b@x>, C <c@x>\r\nSubject: plan\r\nMessage-ID: <1@x>\r\n\
            Date: Mon, 1 Jan 2024 10:00:00 +0800\r\n\r\nhello\r\n\r\n\
            From a@x Mon Jan  1 12:00:00 2024\r\n\
            From: C <c@x>\r\nSubject: Re: plan\r\nMessage-ID: <3@x>\r\nIn-Reply-To: <2@x>\r\n\
            Date: Mon, 1 Jan 2024 12:00:00 +0800\r\n\r\n+1\r\n\r\n\
            From d@x Mon Jan  1 13:00:00 2024\r\n\
            From: D <d@x>\r\nSubject: RE: Plan\r\nDate: Mon, 1 Jan 2024 13:00:00 +0800\r\n\r\nme too\r\n\r\n\
            From e@x Mon Jan  1 14:00:00 2024\r\n\
            From: E <e@x>\r\nSubject: other\r\nDate: Mon, 1 Jan 2024 14:00:00 +0800\r\n\r\nunrelated\r\n";
        let (r, c) = run_bytes(text.as_bytes());
        r.expect("parse");
        assert_eq!(c.messages.len(), 5);
        assert_eq!(c.conversations.len(), 2);
        let conv = &c.conversations[0];
        assert_eq!(conv.id, "<1@x>");
        // The root's subject, though a reply comes first in the file.
        assert_eq!(conv.title.as_deref(), Some("plan"));
        // Participants of the whole thread, known before its first message.
        assert_eq!(conv.participants.len(), 4);
        for m in &c.messages[..4] {
            assert_eq!(m.conversation, "<1@x>", "{}", m.id);
        }
        assert_eq!(c.messages[4].conversation, "subject:other");
        assert_eq!(c.messages[0].reply_to.as_deref(), Some("1@x"));
        assert_eq!(c.messages[0].body, "ok\r\n");
        assert_eq!(c.messages[3].extra["thread_basis"], "subject");
        assert_eq!(range(&c.messages[0]).2, 1);
        assert_eq!(range(&c.messages[1]).2, 12);
    }

    #[test]
    fn content_length_variants() {
        // mboxcl2: a matching Content-Length keeps an unescaped `From ` line in the body and
        // `>From ` as written.
        let body = "line\nFrom me Mon Jan  1 10:00:00 2024\n>From you\n";
        let text = format!(
            "From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\nContent-Length: {}\n\n{body}\n\
             From b@x Mon Jan  1 11:00:00 2024\nFrom: b@x\n\nsecond\n",
            body.len()
        );
        let (r, c) = run_bytes(text.as_bytes());
        r.expect("parse");
        assert_eq!(c.messages.len(), 2);
        assert_eq!(c.messages[0].body, body);
        assert_eq!(c.messages[0].extra["mbox_variant"], "mboxcl2");
        assert_eq!(c.messages[0].extra["content_length"]["matches"], true);
        assert_eq!(c.messages[1].body, "second\n");

        // A Content-Length that is too long (hostile or stale) does not swallow messages.
        let text = "From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\nContent-Length: 100000\n\none\n\n\
             From b@x Mon Jan  1 11:00:00 2024\nFrom: b@x\n\ntwo\n\n\
             From c@x Mon Jan  1 12:00:00 2024\nFrom: c@x\n\nthree\n";
        let (r, c) = run_bytes(text.as_bytes());
        r.expect("parse");
        let bodies: Vec<_> = c.messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["one\n", "two\n", "three\n"]);
        assert_eq!(c.messages[0].extra["content_length"]["matches"], false);
        let lines: Vec<_> = c.messages.iter().map(|m| range(m).2).collect();
        assert_eq!(lines, [1, 7, 12]);
        let mut at = 0;
        for m in &c.messages {
            assert_eq!(range(m).0, at);
            at = range(m).1;
        }
        assert_eq!(at, text.len() as u64);

        // mboxcl (escaped and with Content-Length): `>From ` unescaped as usual.
        let body = "a\n>From here\n";
        let text = format!(
            "From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\nContent-Length: {}\n\n{body}",
            body.len()
        );
        let (_, c) = run_bytes(text.as_bytes());
        assert_eq!(c.messages[0].body, "a\nFrom here\n");
    }

    #[test]
    fn hostile_inputs() {
        // Not an mbox at all: a whole-file error with a location.
        let (r, _) = run_bytes(b"hello\nworld\n");
        match r {
            Err(SourceError::Format { location, .. }) => assert_eq!(location, "line 1"),
            other => panic!("{other:?}"),
        }
        // Text before the first separator, a message with no headers, garbage bytes,
        // a truncated last message.
        let text = b"junk line\n\nFrom a@x Mon Jan  1 10:00:00 2024\n\x00\xff\xfe garbage\n\n\
            From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\nSubject: cut\nDate: Mon, 1 Jan 2024 10:0";
        let (r, c) = run_bytes(text);
        r.expect("parse");
        assert_eq!(c.unparsed.len(), 2, "{:?}", c.unparsed);
        assert!(c.unparsed[0].reason.contains("before the first"));
        assert_eq!(
            c.unparsed[0].provenance.location,
            Location::Bytes {
                start: 0,
                end: 11,
                line: Some(1)
            }
        );
        assert!(c.unparsed[1].reason.contains("no RFC 5322 header"));
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.messages[0].time.utc, None);
        assert_eq!(c.messages[0].time.raw, "Mon, 1 Jan 2024 10:0");
        // A message larger than one record, then a normal one: the large one is read from
        // its start, the rest is unparsed with its range; the next is read.
        let mut big = b"From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\n\n".to_vec();
        for _ in 0..(MAX_RECORD / 1000 + 10) {
            big.extend(std::iter::repeat_n(b'z', 999));
            big.push(b'\n');
        }
        let big_end = big.len() as u64;
        big.extend_from_slice(b"From b@x Mon Jan  1 11:00:00 2024\nFrom: b@x\n\nsmall\n");
        let (r, c) = run_bytes(&big);
        r.expect("parse");
        assert_eq!(c.unparsed.len(), 1);
        let Location::Bytes { start, end, .. } = c.unparsed[0].provenance.location else {
            panic!("bytes")
        };
        assert_eq!(end, big_end);
        // The start was read up to a line end before the limit.
        assert!(
            start > (MAX_RECORD as u64) - 1000 && start < big_end,
            "{start}"
        );
        assert_eq!(c.messages.len(), 2);
        assert_eq!(c.messages[0].sender.account.as_deref(), Some("a@x"));
        assert_eq!(c.messages[0].extra["truncated"]["message_bytes"], big_end);
        assert_eq!(c.messages[1].body, "small\n");
        // One huge line with no line end: the header is still read.
        let mut line = b"From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\n\n".to_vec();
        line.resize(MAX_RECORD + 100, b'q');
        let (r, c) = run_bytes(&line);
        r.expect("parse");
        assert_eq!(c.unparsed.len(), 1);
        assert_eq!(c.messages.len(), 1);
    }

    #[test]
    fn from_lines() {
        assert!(is_from_line(
            b"From sender@example.com Mon Jan 01 12:00:00 2024"
        ));
        assert!(is_from_line(b"From - Tue Jan  2 10:00:00 2024"));
        assert!(is_from_line(
            b"From 1787712345678901234@xxx Tue Jan 02 10:00:00 +0000 2024"
        ));
        assert!(is_from_line(b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011"));
        assert!(!is_from_line(b"From the desk of the director"));
        assert!(!is_from_line(b"From: a@b"));
        assert!(!is_from_line(b">From a@b Mon Jan 01 12:00:00 2024"));
        assert!(!is_from_line(b"From a@b"));
    }
}

/// Throughput on a large mailbox (not run by default):
/// `CUNZHENG_BENCH_MBOX=/path/to/big.mbox cargo test -p cunzheng-sources --release -- --ignored --nocapture mbox_throughput`.
#[cfg(test)]
mod bench {
    use super::*;

    /// Counts without keeping records, so memory is the parser's own.
    #[derive(Default)]
    struct Count {
        conversations: u64,
        messages: u64,
        unparsed: u64,
        warnings: u64,
    }

    impl Sink for Count {
        fn conversation(&mut self, _: Conversation) {
            self.conversations += 1;
        }
        fn message(&mut self, _: cunzheng_model::Message) {
            self.messages += 1;
        }
        fn unparsed(&mut self, _: Unparsed) {
            self.unparsed += 1;
        }
        fn warning(&mut self, _: String) {
            self.warnings += 1;
        }
    }

    #[test]
    #[ignore]
    fn mbox_throughput() {
        let Some(path) = std::env::var_os("CUNZHENG_BENCH_MBOX") else {
            println!("SKIP: set CUNZHENG_BENCH_MBOX");
            return;
        };
        let input = Input::open(std::path::Path::new(&path)).expect("open");
        let len = std::fs::metadata(&path).expect("meta").len();
        let mut sink = Count::default();
        let t = std::time::Instant::now();
        Mbox.parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{len} bytes, {} messages, {} conversations, {} unparsed, {} warnings in {secs:.2} s: {:.1} MB/s, {:.0} messages/s",
            sink.messages,
            sink.conversations,
            sink.unparsed,
            sink.warnings,
            len as f64 / secs / 1e6,
            sink.messages as f64 / secs
        );
    }
}
