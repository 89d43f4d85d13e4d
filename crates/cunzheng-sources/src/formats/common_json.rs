//! A streaming reader for the JSON chat exports (Telegram, DiscordChatExporter, Facebook).
//!
//! Exports can be gigabytes, but each message in them is a small object inside one big array.
//! [`Scanner`] walks the outer structure (objects, keys, arrays) byte by byte and hands each
//! array element over as its raw bytes with its exact byte range and 1-based line, so that
//! every message gets `Location::Bytes` and memory stays bounded by [`MAX_RECORD`]. The raw
//! element is then parsed with `serde_json`; an element that does not parse becomes an
//! `Unparsed` record and the walk goes on. Only a break in the outer structure (truncation,
//! mismatched brackets) stops it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use cunzheng_model::{Direction, Location, Party, Unparsed};
use serde_json::Value;

use crate::source::{Input, SourceError};

const BUF_LEN: usize = 256 * 1024;
/// Deeper nesting than this is not a chat export; it also bounds the bracket stack.
const MAX_DEPTH: usize = 512;
/// Longest object key we accept (keys in these formats are short identifiers).
const MAX_KEY: usize = 64 * 1024;
/// Bytes of a record shown in an `Unparsed` excerpt.
const EXCERPT: usize = 200;

/// Why the walk over the outer structure stopped.
#[derive(Debug)]
pub(crate) enum ScanError {
    Io(std::io::Error),
    Syntax {
        offset: u64,
        line: u64,
        what: String,
    },
}

impl ScanError {
    pub(crate) fn offset(&self) -> Option<u64> {
        match self {
            Self::Io(_) => None,
            Self::Syntax { offset, .. } => Some(*offset),
        }
    }
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Io(e) => format!("read error: {e}"),
            Self::Syntax { offset, line, what } => format!("byte {offset} (line {line}): {what}"),
        }
    }
}

impl From<std::io::Error> for ScanError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Where a value lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u64,
    pub end: u64,
    pub line: u64,
}

impl Span {
    pub(crate) fn location(&self) -> Location {
        Location::Bytes {
            start: self.start,
            end: self.end,
            line: Some(self.line),
        }
    }
}

/// One value read whole: its bytes (`None` when longer than the cap) and where it lies.
pub(crate) struct RawValue {
    pub span: Span,
    pub bytes: Option<Vec<u8>>,
}

/// Walks a JSON file without holding more than one element of it.
pub(crate) struct Scanner {
    file: File,
    buf: Vec<u8>,
    idx: usize,
    len: usize,
    /// File offset of `buf[idx]`.
    pos: u64,
    /// 1-based line of `buf[idx]`.
    line: u64,
    /// Start of the value most recently begun (for reporting a break inside it).
    value_start: Option<Span>,
}

impl Scanner {
    /// Opens `input` read-only; a UTF-8 byte order mark is skipped.
    pub(crate) fn open(input: &Input) -> Result<Self, SourceError> {
        let file = File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let mut s = Self {
            file,
            buf: vec![0; BUF_LEN],
            idx: 0,
            len: 0,
            pos: 0,
            line: 1,
            value_start: None,
        };
        if input.head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            for _ in 0..3 {
                s.bump().map_err(|e| SourceError::io(&input.path, e))?;
            }
        }
        Ok(s)
    }

    /// Offset of the next unread byte.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The value begun last, if its read did not finish.
    pub(crate) fn value_start(&self) -> Option<Span> {
        self.value_start
    }

    fn fill(&mut self) -> std::io::Result<bool> {
        if self.idx < self.len {
            return Ok(true);
        }
        self.idx = 0;
        self.len = 0;
        loop {
            match self.file.read(&mut self.buf) {
                Ok(n) => {
                    self.len = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if !self.fill()? {
            return Ok(None);
        }
        Ok(self.buf.get(self.idx).copied())
    }

    fn bump(&mut self) -> std::io::Result<()> {
        if let Some(b) = self.peek()? {
            self.idx += 1;
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(())
    }

    fn syntax(&self, what: impl Into<String>) -> ScanError {
        ScanError::Syntax {
            offset: self.pos,
            line: self.line,
            what: what.into(),
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub(crate) fn peek_token(&mut self) -> Result<Option<u8>, ScanError> {
        while let Some(b) = self.peek()? {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.bump()?;
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    fn expect(&mut self, want: u8) -> Result<(), ScanError> {
        match self.peek_token()? {
            Some(b) if b == want => {
                self.bump()?;
                Ok(())
            }
            Some(b) => Err(self.syntax(format!(
                "expected `{}`, found `{}`",
                want as char,
                (b as char).escape_default()
            ))),
            None => Err(self.syntax(format!("expected `{}`, found end of file", want as char))),
        }
    }

    /// Consumes the `{` of an object.
    pub(crate) fn enter_object(&mut self) -> Result<(), ScanError> {
        self.expect(b'{')
    }

    /// Consumes the `[` of an array.
    pub(crate) fn enter_array(&mut self) -> Result<(), ScanError> {
        self.expect(b'[')
    }

    /// The next key of the object entered last (consuming `,` before and `:` after it), or
    /// `None` at its closing `}` (consumed). `first` tracks the comma rule.
    pub(crate) fn next_key(&mut self, first: &mut bool) -> Result<Option<String>, ScanError> {
        if self.peek_token()? == Some(b'}') {
            self.bump()?;
            return Ok(None);
        }
        if !*first {
            self.expect(b',')?;
        }
        *first = false;
        if self.peek_token()? != Some(b'"') {
            return Err(self.syntax("expected a key"));
        }
        let raw = self.read_value(MAX_KEY)?;
        let key = raw
            .bytes
            .and_then(|b| serde_json::from_slice::<String>(&fix_escapes(&b)).ok())
            .ok_or_else(|| self.syntax("unreadable key"))?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// Moves to the next element of the array entered last (consuming the `,`), or returns
    /// `false` at its closing `]` (consumed).
    pub(crate) fn next_item(&mut self, first: &mut bool) -> Result<bool, ScanError> {
        if self.peek_token()? == Some(b']') {
            self.bump()?;
            return Ok(false);
        }
        if !*first {
            self.expect(b',')?;
        }
        *first = false;
        if self.peek_token()?.is_none() {
            return Err(self.syntax("unexpected end of file in an array"));
        }
        Ok(true)
    }

    /// Skips one value.
    pub(crate) fn skip_value(&mut self) -> Result<Span, ScanError> {
        self.scan_value(None, 0).map(|(s, _)| s)
    }

    /// Reads one value whole; its bytes are dropped (but its extent still found) when longer
    /// than `cap`.
    pub(crate) fn read_value(&mut self, cap: usize) -> Result<RawValue, ScanError> {
        let mut out = Vec::new();
        let (span, fits) = self.scan_value(Some(&mut out), cap)?;
        Ok(RawValue {
            span,
            bytes: fits.then_some(out),
        })
    }

    /// Finds the end of the value starting at the next token, copying it into `out` while it
    /// fits in `cap`. Strings are followed with their escapes; brackets must match.
    fn scan_value(
        &mut self,
        mut out: Option<&mut Vec<u8>>,
        cap: usize,
    ) -> Result<(Span, bool), ScanError> {
        let first = match self.peek_token()? {
            Some(b) => b,
            None => return Err(self.syntax("expected a value, found end of file")),
        };
        let start = Span {
            start: self.pos,
            end: self.pos,
            line: self.line,
        };
        self.value_start = Some(start);
        let mut fits = true;
        let push = |out: &mut Option<&mut Vec<u8>>, bytes: &[u8], fits: &mut bool| {
            if let Some(o) = out.as_deref_mut()
                && *fits
            {
                if o.len() + bytes.len() > cap {
                    *fits = false;
                    o.clear();
                    o.shrink_to_fit();
                } else {
                    o.extend_from_slice(bytes);
                }
            }
        };
        if !matches!(first, b'{' | b'[' | b'"') {
            // A scalar: runs to the next delimiter.
            loop {
                match self.peek()? {
                    Some(b) if !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') => {
                        push(&mut out, &[b], &mut fits);
                        self.bump()?;
                    }
                    _ => break,
                }
            }
            self.value_start = None;
            if self.pos == start.start {
                return Err(self.syntax(format!(
                    "expected a value, found `{}`",
                    (first as char).escape_default()
                )));
            }
            return Ok((
                Span {
                    end: self.pos,
                    ..start
                },
                fits,
            ));
        }
        // Bracket stack: `true` for an object. Strings count as depth 0 with `in_str`.
        let mut stack: Vec<bool> = Vec::new();
        let mut in_str = false;
        let mut esc = false;
        let mut done = false;
        while !done {
            if !self.fill()? {
                return Err(self.syntax("unexpected end of file inside a value"));
            }
            let chunk = self.buf.get(self.idx..self.len).unwrap_or(&[]);
            let mut seg = 0;
            let mut used = 0;
            let mut lines = 0;
            let mut fixes: Vec<usize> = Vec::new();
            let mut bad: Option<&'static str> = None;
            for (i, &b) in chunk.iter().enumerate() {
                used = i + 1;
                if b == b'\n' {
                    lines += 1;
                }
                if in_str {
                    if esc {
                        esc = false;
                        if b == b'x' {
                            fixes.push(i);
                        }
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                        if stack.is_empty() {
                            done = true;
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => {
                        if stack.len() >= MAX_DEPTH {
                            bad = Some("nesting too deep");
                            used = i;
                            break;
                        }
                        stack.push(b == b'{');
                    }
                    b'}' | b']' => match stack.pop() {
                        Some(obj) if obj == (b == b'}') => {
                            if stack.is_empty() {
                                done = true;
                                break;
                            }
                        }
                        _ => {
                            bad = Some("mismatched bracket");
                            used = i;
                            break;
                        }
                    },
                    _ => {}
                }
            }
            // Copy what was consumed, rewriting Telegram's `\xHH` escapes (not JSON) as `\u00HH`.
            if out.is_some() && fits {
                let mut parts: Vec<&[u8]> = Vec::with_capacity(fixes.len() * 2 + 1);
                for &f in &fixes {
                    parts.push(chunk.get(seg..f).unwrap_or(&[]));
                    parts.push(b"u00");
                    seg = f + 1;
                }
                parts.push(chunk.get(seg..used).unwrap_or(&[]));
                for p in parts {
                    push(&mut out, p, &mut fits);
                }
            }
            self.idx += used;
            self.pos += used as u64;
            self.line += lines;
            if let Some(what) = bad {
                return Err(self.syntax(what));
            }
        }
        self.value_start = None;
        Ok((
            Span {
                end: self.pos,
                ..start
            },
            fits,
        ))
    }
}

/// Rewrites `\xHH` (written by some Telegram Desktop versions for control characters) as
/// `\u00HH` inside a captured value. [`Scanner::read_value`] already does this; keys and
/// tests call it directly.
pub(crate) fn fix_escapes(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !bytes.windows(2).any(|w| w == b"\\x") {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut esc = false;
    for &b in bytes {
        if esc {
            esc = false;
            if b == b'x' {
                out.extend_from_slice(b"u00");
                continue;
            }
        } else if b == b'\\' {
            esc = true;
        }
        out.push(b);
    }
    std::borrow::Cow::Owned(out)
}

/// Parses one element. Invalid UTF-8 is decoded lossily on a second try (the flag says so),
/// so that one bad byte does not lose a message.
pub(crate) fn parse_element(bytes: &[u8]) -> Result<(Value, bool), String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Ok((v, false)),
        Err(e) => {
            if std::str::from_utf8(bytes).is_err() {
                let text = String::from_utf8_lossy(bytes);
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    return Ok((v, true));
                }
            }
            Err(format!("invalid JSON: {e}"))
        }
    }
}

/// The first bytes of a record, for a person to look at.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let cut = bytes.get(..EXCERPT).unwrap_or(bytes);
    String::from_utf8_lossy(cut).into_owned()
}

/// The first bytes at `offset` of the input, read again from the file.
pub(crate) fn excerpt_at(input: &Input, offset: u64) -> String {
    let mut buf = Vec::new();
    if let Ok(mut f) = File::open(&input.path)
        && f.seek(SeekFrom::Start(offset)).is_ok()
    {
        let _ = f.take(EXCERPT as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// An `Unparsed` record for a value.
pub(crate) fn unparsed(input: &Input, tag: &str, raw: &RawValue, reason: String) -> Unparsed {
    Unparsed {
        provenance: input.provenance(tag, raw.span.location()),
        reason,
        excerpt: match &raw.bytes {
            Some(b) => excerpt(b),
            None => excerpt_at(input, raw.span.start),
        },
    }
}

/// What to do when the outer structure breaks: before anything was read it is not this
/// format (an error); after, the rest of the file becomes one `Unparsed` record.
pub(crate) fn broken_tail(
    input: &Input,
    tag: &str,
    scanner: &Scanner,
    err: &ScanError,
    started: bool,
) -> Result<Unparsed, SourceError> {
    if !started {
        return Err(match err {
            ScanError::Io(e) => SourceError::Io {
                path: input.path.clone(),
                source: std::io::Error::new(e.kind(), e.to_string()),
            },
            ScanError::Syntax { offset, line, what } => SourceError::Format {
                location: format!("byte {offset} (line {line})"),
                message: what.clone(),
            },
        });
    }
    let file_len = std::fs::metadata(&input.path).map(|m| m.len()).ok();
    let (start, line) = match scanner.value_start() {
        Some(s) => (s.start, s.line),
        None => (err.offset().unwrap_or(scanner.pos()), 0),
    };
    let end = file_len.unwrap_or(scanner.pos()).max(start);
    Ok(Unparsed {
        provenance: input.provenance(
            tag,
            Location::Bytes {
                start,
                end,
                line: (line > 0).then_some(line),
            },
        ),
        reason: format!(
            "the JSON structure breaks here; the rest of the file was not read ({})",
            err.describe()
        ),
        excerpt: excerpt_at(input, start),
    })
}

/// A string field, or a number written as text (ids are either, depending on the version).
pub(crate) fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer field written as a number or as decimal text.
pub(crate) fn int_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether `party` is the device owner, by the examiner's list of names and accounts.
pub(crate) fn is_owner(owner: &[String], party: &Party) -> bool {
    owner.iter().any(|o| {
        party.name.as_deref() == Some(o.as_str()) || party.account.as_deref() == Some(o.as_str())
    })
}

/// Outgoing when the sender is a known owner, incoming when the owner is known and it is not
/// them, unknown when nobody said who the owner is.
pub(crate) fn direction(owner_known: bool, is_owner: bool) -> Direction {
    match (owner_known, is_owner) {
        (_, true) => Direction::Outgoing,
        (true, false) => Direction::Incoming,
        (false, false) => Direction::Unknown,
    }
}

/// Helpers for the format tests.
#[cfg(test)]
pub(crate) mod testutil {
    use std::path::{Path, PathBuf};

    use crate::source::{Collect, Input, Options, Source, SourceError};

    /// `tests/data/<format>/<rel>` in the workspace.
    pub(crate) fn fixture(format: &str, rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data")
            .join(format)
            .join(rel)
    }

    /// `../shared/corpus/<format>` next to the workspace, when present.
    pub(crate) fn corpus(format: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus")
            .join(format);
        p.is_dir().then_some(p)
    }

    /// Parses a file; panics on a whole-file error.
    pub(crate) fn parse_path(src: &dyn Source, path: &Path, opts: &Options) -> Collect {
        let input = Input::open(path).expect("open fixture");
        let mut out = Collect::default();
        src.parse(&input, opts, &mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out
    }

    /// Parses bytes written to a temporary file.
    pub(crate) fn parse_bytes(src: &dyn Source, data: &[u8], opts: &Options) -> Collect {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("input.json");
        std::fs::write(&path, data).expect("write");
        parse_path(src, &path, opts)
    }

    /// The whole-file error for bytes that must not parse.
    pub(crate) fn parse_err(src: &dyn Source, data: &[u8]) -> SourceError {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("input.json");
        std::fs::write(&path, data).expect("write");
        let input = Input::open(&path).expect("open");
        let mut out = Collect::default();
        match src.parse(&input, &Options::default(), &mut out) {
            Ok(()) => panic!("parsed: {out:?}"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(data: &[u8]) -> (tempfile::TempDir, Scanner) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.json");
        std::fs::write(&path, data).expect("write");
        let input = Input::open(&path).expect("open");
        let s = Scanner::open(&input).expect("scanner");
        (dir, s)
    }

    #[test]
    fn elements_with_exact_ranges() {
        let data = "\u{feff}{\"a\": [ {\"x\": \"}\\\"]\"},\n  [1, {\"y\": 2}] , \"s\", 12.5e3, null ], \"b\": true}";
        let bytes = data.as_bytes();
        let (_d, mut s) = scanner(bytes);
        s.enter_object().expect("obj");
        let mut first = true;
        assert_eq!(s.next_key(&mut first).expect("key").as_deref(), Some("a"));
        s.enter_array().expect("arr");
        let mut f = true;
        let mut got = Vec::new();
        while s.next_item(&mut f).expect("item") {
            let raw = s.read_value(1000).expect("value");
            let b = raw.bytes.expect("fits");
            let slice = bytes
                .get(raw.span.start as usize..raw.span.end as usize)
                .expect("range");
            assert_eq!(slice, b.as_slice());
            got.push((String::from_utf8(b).expect("utf8"), raw.span.line));
        }
        assert_eq!(
            got,
            vec![
                ("{\"x\": \"}\\\"]\"}".to_owned(), 1),
                ("[1, {\"y\": 2}]".to_owned(), 2),
                ("\"s\"".to_owned(), 2),
                ("12.5e3".to_owned(), 2),
                ("null".to_owned(), 2),
            ]
        );
        assert_eq!(s.next_key(&mut first).expect("key").as_deref(), Some("b"));
        s.skip_value().expect("skip");
        assert_eq!(s.next_key(&mut first).expect("end"), None);
    }

    #[test]
    fn breaks_are_reported_with_offsets() {
        let (_d, mut s) = scanner(b"[{\"a\": [1}]");
        s.enter_array().expect("arr");
        let mut f = true;
        assert!(s.next_item(&mut f).expect("item"));
        match s.read_value(100) {
            Err(ScanError::Syntax { offset, what, .. }) => {
                assert_eq!(offset, 9);
                assert_eq!(what, "mismatched bracket");
            }
            other => panic!("{:?}", other.map(|r| r.span)),
        }
        let (_d, mut s) = scanner(b"[{\"a\": \"unterminated");
        s.enter_array().expect("arr");
        let mut f = true;
        assert!(s.next_item(&mut f).expect("item"));
        assert!(s.read_value(100).is_err());
        assert_eq!(s.value_start().map(|v| v.start), Some(1));
        let deep = "[".repeat(100_000);
        let (_d, mut s) = scanner(deep.as_bytes());
        assert!(s.skip_value().is_err());
    }

    #[test]
    fn over_cap_values_are_measured_not_kept() {
        let big = format!("[\"{}\", 1]", "a".repeat(5000));
        let (_d, mut s) = scanner(big.as_bytes());
        s.enter_array().expect("arr");
        let mut f = true;
        assert!(s.next_item(&mut f).expect("item"));
        let raw = s.read_value(100).expect("value");
        assert!(raw.bytes.is_none());
        assert_eq!(raw.span.end - raw.span.start, 5002);
        assert!(s.next_item(&mut f).expect("item"));
        assert_eq!(
            s.read_value(100).expect("v").bytes.as_deref(),
            Some(&b"1"[..])
        );
    }

    #[test]
    fn telegram_hex_escapes_and_bad_utf8() {
        let (_d, mut s) = scanner(b"{\"t\": \"a\\x0Bb\"}");
        let raw = s.read_value(100).expect("value");
        let (v, lossy) = parse_element(&raw.bytes.expect("fits")).expect("parse");
        assert_eq!(v["t"], "a\u{b}b");
        assert!(!lossy);
        assert_eq!(raw.span.end, 15);
        let (v, lossy) = parse_element(b"{\"t\": \"a\xffb\"}").expect("lossy");
        assert_eq!(v["t"], "a\u{fffd}b");
        assert!(lossy);
        assert!(parse_element(b"{\"t\": 1,}").is_err());
    }
}
