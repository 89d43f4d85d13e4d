//! WhatsApp "Export chat" text: `12/01/2023, 10:00 - Name: text` (Android) and
//! `[12/01/2023, 10:00:00] Name: text` (iOS), in any locale.
//!
//! Two streaming passes over the file. The first reads only the headers, to decide the date
//! order once per file (the first dates of a chat are often ambiguous, `01/02/23`, until a
//! `13/02/23` settles it), and to list the senders and the title so that the conversation can
//! be emitted before its messages. The second emits. Lines are found with a word-at-a-time
//! search and headers are parsed by hand, byte by byte: no regex, and no allocation for a line
//! that is not a message.
//!
//! A large UTF-8 file goes through both passes in chunks of whole lines on every core
//! ([`super::common_chunks`]): each chunk's survey is merged into the one before (a group's
//! first and last dates carry the time order across the cut), and each chunk's second pass
//! leaves the lines before its first header, and the message its last header starts, to the
//! chunks around it. The output is the same as from one pass over the whole file (the tests
//! parse every fixture both ways).

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, MsgTime, Party, Platform,
    Unparsed,
};

use super::common_chunks::{self as chunks, Chunk, Done, Split, lines as chunk_lines};
use crate::source::{Input, MAX_RECORD, Options, Sink, SinkPart, Source, SourceError, Tier};
use crate::time::{self, Zone};

/// WhatsApp chat export (`WhatsApp Chat with X.txt`, `_chat.txt`).
pub struct WhatsappTxt;

impl Source for WhatsappTxt {
    fn id(&self) -> &'static str {
        "whatsapp-txt"
    }

    fn name(&self) -> &'static str {
        "WhatsApp chat export (text)"
    }

    fn description(&self) -> &'static str {
        "The text file of WhatsApp's \"Export chat\" (Android `WhatsApp Chat with X.txt`, iOS \
         `_chat.txt` inside the export zip), in any locale: Android `date, time - Name: text` and \
         iOS `[date, time] Name: text`, 12h and 24h clocks (AM/PM words in several languages), \
         day/month/year, month/day/year or year/month/day decided once per file from all its \
         dates (a warning says when no date settled it), Arabic-Indic and Persian digits, \
         invisible direction marks, UTF-8 or UTF-16. Multi-line messages, attachment lines \
         (`<Media omitted>`, `IMG-….jpg (file attached)`, `<attached: …>`, `image omitted`), \
         deleted messages (recalled), system lines (kind system, no sender) and the \
         `<This message was edited>` marker. Times are wall-clock times in the zone given, else \
         guessed. Does not read: the zip or its media (separate items), reactions, replies and \
         edit times (exports do not contain them); Solar Hijri or Hijri dates are kept raw and \
         not converted. The Android/iOS English layouts are observed in real exports; other \
         locales' words are from documentation and other parsers."
    }

    fn globs(&self) -> &'static [&'static str] {
        &["WhatsApp Chat*.txt", "_chat.txt", "*.txt"]
    }

    fn tier(&self) -> Tier {
        Tier::Observed
    }

    fn sniff(&self, input: &Input) -> u8 {
        sniff_head(&input.head)
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        parse_file(self, input, opts, sink)
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding and lines

/// How the file's text is encoded (exports are UTF-8; re-saved copies may be UTF-16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    Utf8,
    Utf16Le,
    Utf16Be,
    Gb18030,
}

/// The encoding and the length of its byte-order mark, from the first bytes of the file.
fn detect_encoding(head: &[u8]) -> (Enc, usize) {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (Enc::Utf8, 3);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return (Enc::Utf16Le, 2);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return (Enc::Utf16Be, 2);
    }
    let sample = head.get(..head.len().min(4096)).unwrap_or(head);
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, &b) in sample.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let half = sample.len() / 2;
    if half > 0 && odd * 4 > half {
        return (Enc::Utf16Le, 0);
    }
    if half > 0 && even * 4 > half {
        return (Enc::Utf16Be, 0);
    }
    // A few bad bytes in a UTF-8 export are damage, not another encoding: only text that is
    // mostly not UTF-8 is read as GB18030 (what Chinese Windows tools write).
    let mut rest = head;
    let (mut errors, mut non_ascii) = (0usize, 0usize);
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                non_ascii += s.bytes().filter(|b| !b.is_ascii()).count();
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                non_ascii += rest
                    .get(..good)
                    .unwrap_or_default()
                    .iter()
                    .filter(|b| !b.is_ascii())
                    .count();
                match e.error_len() {
                    // Cut off at the end of the head: not an error.
                    None => break,
                    Some(n) => {
                        errors += 1;
                        non_ascii += n;
                        rest = rest.get(good + n..).unwrap_or_default();
                    }
                }
            }
        }
    }
    if errors > 0 && errors * 4 >= non_ascii {
        (Enc::Gb18030, 0)
    } else {
        (Enc::Utf8, 0)
    }
}

fn enc_name(enc: Enc) -> &'static str {
    match enc {
        Enc::Utf8 => "UTF-8",
        Enc::Utf16Le => "UTF-16LE",
        Enc::Utf16Be => "UTF-16BE",
        Enc::Gb18030 => "GB18030",
    }
}

/// Position of the first `needle` byte in `hay`, eight bytes at a time.
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(bytes) ^ pattern;
        // The lowest set bit marks the first zero byte (higher ones may be false positives).
        let t = w.wrapping_sub(LO) & !w & HI;
        if t != 0 {
            return Some(base + (t.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|p| base + p)
}

/// One line as read: where it is, and its bytes (without the line terminator).
#[derive(Debug)]
enum RawLine {
    /// A line: file offsets of its first byte and one past its last (terminator excluded),
    /// and where its bytes are in the reader's buffer.
    Line {
        start: u64,
        end: u64,
        at: (usize, usize),
    },
    /// A line longer than [`MAX_RECORD`]: only its start is kept.
    Long {
        start: u64,
        end: u64,
        excerpt: Vec<u8>,
    },
}

/// Splits a file into lines without holding more than one (capped) line in memory.
struct Lines<R> {
    r: R,
    enc: Enc,
    buf: Vec<u8>,
    /// First unconsumed byte in `buf`.
    pos: usize,
    /// End of the data in `buf`.
    end: usize,
    /// Where to go on looking for a line end (everything before it was looked at).
    scan: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// 1-based number of the last line returned.
    line: u64,
}

const CHUNK: usize = 1 << 20;

impl<R: Read> Lines<R> {
    fn new(r: R, enc: Enc, base: u64) -> Self {
        Self {
            r,
            enc,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            scan: 0,
            base,
            eof: false,
            line: 0,
        }
    }

    /// Lines from file offset `base`, which is the start of line `line + 1`.
    fn at(r: R, enc: Enc, base: u64, line: u64) -> Self {
        Self {
            line,
            ..Self::new(r, enc, base)
        }
    }

    /// The end of the next line in `buf[from..self.end]`: (content end, terminator end).
    fn find_end(&self, from: usize) -> Result<(usize, usize), usize> {
        let mut at = from;
        loop {
            let hay = self.buf.get(at..self.end).unwrap_or_default();
            let Some(p) = find_byte(hay, b'\n') else {
                return Err(self.end);
            };
            let p = at + p;
            match self.enc {
                Enc::Utf8 | Enc::Gb18030 => return Ok((self.trim_cr(p), p + 1)),
                Enc::Utf16Le => {
                    let even = (self.base + p as u64).is_multiple_of(2);
                    if even {
                        match self.buf.get(p + 1) {
                            Some(0) if p + 1 < self.end => return Ok((self.trim_cr(p), p + 2)),
                            _ if p + 1 >= self.end => return Err(p),
                            _ => {}
                        }
                    }
                }
                Enc::Utf16Be => {
                    let odd = (self.base + p as u64) % 2 == 1;
                    if odd && p > self.pos && self.buf.get(p - 1) == Some(&0) {
                        return Ok((self.trim_cr(p - 1), p + 1));
                    }
                }
            }
            at = p + 1;
        }
    }

    /// `end` less a CR just before it (CRLF line ends).
    fn trim_cr(&self, end: usize) -> usize {
        let unit: &[u8] = match self.enc {
            Enc::Utf8 | Enc::Gb18030 => b"\r",
            Enc::Utf16Le => b"\r\0",
            Enc::Utf16Be => b"\0\r",
        };
        match end.checked_sub(unit.len()) {
            Some(s) if s >= self.pos && self.buf.get(s..end) == Some(unit) => s,
            _ => end,
        }
    }

    /// Reads more into `buf`, moving unconsumed data to the front and growing as needed.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.scan = self.scan.saturating_sub(self.pos);
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let len = (self.buf.len() * 2).min(MAX_RECORD + 2 * CHUNK);
            self.buf.resize(len.max(self.end + CHUNK), 0);
        }
        loop {
            match self
                .r
                .read(self.buf.get_mut(self.end..).unwrap_or_default())
            {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn next(&mut self) -> std::io::Result<Option<RawLine>> {
        loop {
            match self.find_end(self.scan.max(self.pos)) {
                Ok((content_end, term_end)) => {
                    let start = self.pos;
                    self.pos = term_end;
                    self.scan = term_end;
                    self.line += 1;
                    if content_end - start > MAX_RECORD {
                        return Ok(Some(RawLine::Long {
                            start: self.base + start as u64,
                            end: self.base + content_end as u64,
                            excerpt: self
                                .buf
                                .get(start..start + 512)
                                .unwrap_or_default()
                                .to_vec(),
                        }));
                    }
                    return Ok(Some(RawLine::Line {
                        start: self.base + start as u64,
                        end: self.base + content_end as u64,
                        at: (start, content_end),
                    }));
                }
                Err(scanned) => self.scan = scanned,
            }
            if self.eof {
                if self.pos < self.end {
                    let start = self.pos;
                    let end = self.trim_cr(self.end);
                    self.pos = self.end;
                    self.scan = self.end;
                    self.line += 1;
                    return Ok(Some(RawLine::Line {
                        start: self.base + start as u64,
                        end: self.base + end as u64,
                        at: (start, end),
                    }));
                }
                return Ok(None);
            }
            if self.end - self.pos > MAX_RECORD {
                return self.skip_long().map(Some);
            }
            self.fill()?;
        }
    }

    /// Skips a line longer than [`MAX_RECORD`], keeping its first bytes.
    fn skip_long(&mut self) -> std::io::Result<RawLine> {
        let start = self.base + self.pos as u64;
        let excerpt = self
            .buf
            .get(self.pos..self.end.min(self.pos + 512))
            .unwrap_or_default()
            .to_vec();
        self.line += 1;
        loop {
            if let Ok((content_end, term_end)) = self.find_end(self.scan.max(self.pos)) {
                let end = self.base + content_end as u64;
                self.pos = term_end;
                self.scan = term_end;
                return Ok(RawLine::Long {
                    start,
                    end,
                    excerpt,
                });
            }
            if self.eof {
                let end = self.base + self.end as u64;
                self.pos = self.end;
                self.scan = self.end;
                return Ok(RawLine::Long {
                    start,
                    end,
                    excerpt,
                });
            }
            // Drop all but the last byte (a UTF-16 line end may straddle the chunk boundary).
            let keep = self.end.saturating_sub(1).max(self.pos);
            self.pos = keep;
            self.scan = keep;
            self.fill()?;
        }
    }

    fn bytes(&self, at: (usize, usize)) -> &[u8] {
        self.buf.get(at.0..at.1).unwrap_or_default()
    }
}

/// A line's bytes as UTF-8 text, with a trailing CR removed; `true` when bytes were invalid.
fn decode_line(bytes: &[u8], enc: Enc) -> (Cow<'_, str>, bool) {
    let (text, bad) = match enc {
        Enc::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => (Cow::Borrowed(s), false),
            Err(_) => (String::from_utf8_lossy(bytes), true),
        },
        Enc::Utf16Le => {
            let (t, bad) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
            (t, bad)
        }
        Enc::Utf16Be => {
            let (t, bad) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
            (t, bad)
        }
        Enc::Gb18030 => {
            let (t, bad) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            (t, bad)
        }
    };
    let text = match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_suffix('\r').unwrap_or(s)),
        Cow::Owned(mut s) => {
            if s.ends_with('\r') {
                s.pop();
            }
            Cow::Owned(s)
        }
    };
    (text, bad)
}

// ---------------------------------------------------------------------------------------------
// Headers

/// Skips invisible marks: LRM, RLM, ALM, embeddings and isolates, BOM.
#[inline]
fn skip_marks(b: &[u8], mut i: usize) -> usize {
    loop {
        match b.get(i) {
            Some(&c) if c < 0x80 => return i,
            None => return i,
            _ => {}
        }
        match (b.get(i), b.get(i + 1), b.get(i + 2)) {
            // U+200E, U+200F, U+202A..U+202E
            (Some(0xE2), Some(0x80), Some(0x8E | 0x8F | 0xAA..=0xAE)) => i += 3,
            // U+2066..U+2069
            (Some(0xE2), Some(0x81), Some(0xA6..=0xA9)) => i += 3,
            // U+FEFF
            (Some(0xEF), Some(0xBB), Some(0xBF)) => i += 3,
            // U+061C
            (Some(0xD8), Some(0x9C), _) => i += 2,
            _ => return i,
        }
    }
}

/// Skips spaces (space, tab, NBSP, narrow NBSP, thin space) and marks; also returns whether a
/// space was among them.
#[inline]
fn skip_spaces(b: &[u8], mut i: usize) -> (usize, bool) {
    let mut space = false;
    loop {
        match b.get(i) {
            Some(b' ') => {
                i += 1;
                space = true;
                continue;
            }
            Some(&c) if c < 0x80 && c != b'\t' => return (i, space),
            None => return (i, space),
            _ => {}
        }
        i = skip_marks(b, i);
        match (b.get(i), b.get(i + 1), b.get(i + 2)) {
            (Some(b' ' | b'\t'), _, _) => i += 1,
            (Some(0xC2), Some(0xA0), _) => i += 2,
            (Some(0xE2), Some(0x80), Some(0xAF | 0x89)) => i += 3,
            _ => return (i, space),
        }
        space = true;
    }
}

/// A decimal digit in ASCII, Arabic-Indic, Persian, Devanagari or Bengali script.
#[inline]
fn digit(b: &[u8], i: usize) -> Option<(u32, usize)> {
    match *b.get(i)? {
        c @ b'0'..=b'9' => Some((u32::from(c - b'0'), 1)),
        // U+0660..U+0669
        0xD9 => match *b.get(i + 1)? {
            c @ 0xA0..=0xA9 => Some((u32::from(c - 0xA0), 2)),
            _ => None,
        },
        // U+06F0..U+06F9
        0xDB => match *b.get(i + 1)? {
            c @ 0xB0..=0xB9 => Some((u32::from(c - 0xB0), 2)),
            _ => None,
        },
        // U+0966..U+096F, U+09E6..U+09EF
        0xE0 => match (*b.get(i + 1)?, *b.get(i + 2)?) {
            (0xA5 | 0xA7, c @ 0xA6..=0xAF) => Some((u32::from(c - 0xA6), 3)),
            _ => None,
        },
        _ => None,
    }
}

/// A run of 1..=`max` digits: value, digit count, position after it.
#[inline]
fn number(b: &[u8], mut i: usize, max: u8) -> Option<(u32, u8, usize)> {
    let (mut v, mut n) = (0u32, 0u8);
    while let Some((d, len)) = digit(b, i) {
        if n == max {
            return None;
        }
        v = v * 10 + d;
        n += 1;
        i += len;
    }
    (n > 0).then_some((v, n, i))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meridiem {
    Am,
    Pm,
}

/// AM/PM words written after the time: (text, which, English-style `AM`/`PM`).
const SUFFIX_MERIDIEM: &[(&str, Meridiem, bool)] = &[
    ("a. m.", Meridiem::Am, false),
    ("p. m.", Meridiem::Pm, false),
    ("a.m.", Meridiem::Am, false),
    ("p.m.", Meridiem::Pm, false),
    ("a. m", Meridiem::Am, false),
    ("p. m", Meridiem::Pm, false),
    ("a.m", Meridiem::Am, false),
    ("p.m", Meridiem::Pm, false),
    ("am", Meridiem::Am, true),
    ("pm", Meridiem::Pm, true),
    ("ق.ظ.", Meridiem::Am, false),
    ("ب.ظ.", Meridiem::Pm, false),
    ("ق.ظ", Meridiem::Am, false),
    ("ب.ظ", Meridiem::Pm, false),
    ("ص", Meridiem::Am, false),
    ("م", Meridiem::Pm, false),
    ("上午", Meridiem::Am, false),
    ("下午", Meridiem::Pm, false),
    ("午前", Meridiem::Am, false),
    ("午後", Meridiem::Pm, false),
    ("오전", Meridiem::Am, false),
    ("오후", Meridiem::Pm, false),
    ("π.μ.", Meridiem::Am, false),
    ("μ.μ.", Meridiem::Pm, false),
    ("vorm.", Meridiem::Am, false),
    ("nachm.", Meridiem::Pm, false),
];

/// AM/PM words written before the time (Chinese, Japanese, Korean).
const PREFIX_MERIDIEM: &[(&str, Meridiem)] = &[
    ("上午", Meridiem::Am),
    ("下午", Meridiem::Pm),
    ("午前", Meridiem::Am),
    ("午後", Meridiem::Pm),
    ("오전", Meridiem::Am),
    ("오후", Meridiem::Pm),
];

fn suffix_meridiem(b: &[u8]) -> Option<(Meridiem, usize, bool)> {
    // Most headers go on with ` - ` or `]`: no word starts with an ASCII byte but these.
    let first = *b.first()?;
    if first.is_ascii() && !matches!(first | 0x20, b'a' | b'p' | b'v' | b'n') {
        return None;
    }
    for &(word, m, en) in SUFFIX_MERIDIEM {
        let w = word.as_bytes();
        let Some(head) = b.get(..w.len()) else {
            continue;
        };
        if head.eq_ignore_ascii_case(w) {
            // `10:00 Amy: hi` is not `10:00 AM`.
            if b.get(w.len()).is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            return Some((m, w.len(), en));
        }
    }
    None
}

fn prefix_meridiem(b: &[u8]) -> Option<(Meridiem, usize)> {
    PREFIX_MERIDIEM
        .iter()
        .find(|(w, _)| b.starts_with(w.as_bytes()))
        .map(|&(w, m)| (m, w.len()))
}

/// How the header sets the time off from the rest of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Layout {
    /// `12/01/2023, 10:00 - `
    Android,
    /// `[12/01/2023, 10:00:00] `
    Bracket,
    /// `12/01/2023, 10:00:00 ` then `Name: ` (seen in mixed files; needs a sender).
    Bare,
}

/// A parsed message header.
#[derive(Clone, Copy, Debug)]
struct Header {
    /// The three date fields as written, and their digit counts.
    f: [u32; 3],
    w: [u8; 3],
    sep: u8,
    hour: u8,
    min: u8,
    sec: u8,
    meridiem: Option<Meridiem>,
    /// `AM`/`PM` without dots (en-US style; hints month-first when nothing else does).
    en_meridiem: bool,
    layout: Layout,
    /// Byte range of the date and time as written (the raw time).
    raw: (usize, usize),
    /// Where the sender or system text starts.
    rest: usize,
}

impl Header {
    /// Which date orders the digit counts allow.
    fn width_orders(&self) -> u8 {
        width_orders(self.w)
    }

    /// Groups headers whose date order must be the same.
    fn key(&self) -> (Layout, u8, u8) {
        let year = if self.w[0] == 4 {
            0
        } else if self.w[2] == 4 {
            2
        } else {
            1
        };
        (self.layout, self.sep, year)
    }
}

const DMY: u8 = 1;
const MDY: u8 = 2;
const YMD: u8 = 4;
const ORDERS: [u8; 3] = [DMY, MDY, YMD];

fn order_name(o: u8) -> &'static str {
    match o {
        DMY => "day/month/year",
        MDY => "month/day/year",
        _ => "year/month/day",
    }
}

fn width_orders(w: [u8; 3]) -> u8 {
    if w[0] == 4 {
        return if w[2] <= 2 { YMD } else { 0 };
    }
    if w[2] == 4 {
        return DMY | MDY;
    }
    let mut o = 0;
    if w[2] == 2 {
        o |= DMY | MDY;
    }
    if w[0] == 2 {
        o |= YMD;
    }
    o
}

/// Year, month, day of date fields `f` (digit counts `w`) read in `order`, if it is a date.
fn civil(order: u8, f: [u32; 3], w: [u8; 3]) -> Option<(u32, u32, u32)> {
    if width_orders(w) & order == 0 {
        return None;
    }
    let (y, yw, m, d) = match order {
        DMY => (f[2], w[2], f[1], f[0]),
        MDY => (f[2], w[2], f[0], f[1]),
        _ => (f[0], w[0], f[1], f[2]),
    };
    let y = if yw == 2 { 2000 + y } else { y };
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses a message header at the start of `b` (one line, UTF-8).
fn parse_header(b: &[u8]) -> Option<Header> {
    let mut i = skip_marks(b, 0);
    let bracket = b.get(i) == Some(&b'[');
    if bracket {
        i = skip_marks(b, i + 1);
    }
    let raw_start = i;
    let (f0, w0, j) = number(b, i, 4)?;
    let sep = *b.get(j)?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    let field = |i: usize| -> usize {
        // `2023. 01. 12.` (Korean, Hungarian) puts a space after the separator.
        let i = skip_marks(b, i);
        if b.get(i) == Some(&b' ') { i + 1 } else { i }
    };
    let (f1, w1, j) = number(b, field(j + 1), 2)?;
    let j = skip_marks(b, j);
    if b.get(j) != Some(&sep) {
        return None;
    }
    let (f2, w2, mut i) = number(b, field(j + 1), 4)?;
    let w = [w0, w1, w2];
    if w0 == 3 || w2 == 3 || width_orders(w) == 0 {
        return None;
    }
    if sep == b'.' && b.get(i) == Some(&b'.') {
        i += 1;
    }
    i = skip_marks(b, i);
    if b.get(i) == Some(&b',') {
        i += 1;
    } else if b.get(i..i + 2) == Some("،".as_bytes()) {
        i += 2;
    }
    let (mut i, space) = skip_spaces(b, i);
    if !space {
        return None;
    }
    if b.get(i..i + 4) == Some(b"klo ") {
        i = skip_spaces(b, i + 3).0;
    }
    let mut meridiem = None;
    if let Some((m, len)) = prefix_meridiem(b.get(i..).unwrap_or_default()) {
        meridiem = Some(m);
        i = skip_spaces(b, i + len).0;
    }
    let (hour, _, j) = number(b, i, 2)?;
    let tsep = *b.get(j)?;
    if tsep != b':' && tsep != b'.' {
        return None;
    }
    let (min, wm, mut i) = number(b, j + 1, 2)?;
    let mut sec = 0;
    if b.get(i) == Some(&tsep) && digit(b, i + 1).is_some() {
        let (s, ws, k) = number(b, i + 1, 2)?;
        if ws != 2 {
            return None;
        }
        sec = s;
        i = k;
    }
    if wm != 2 || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut time_end = i;
    let mut en_meridiem = false;
    if meridiem.is_none() {
        let (mut k, _) = skip_spaces(b, i);
        // `3:22_AM` has been seen in the wild.
        if k == i && b.get(k) == Some(&b'_') {
            k += 1;
        }
        if let Some((m, len, en)) = suffix_meridiem(b.get(k..).unwrap_or_default()) {
            meridiem = Some(m);
            en_meridiem = en;
            i = k + len;
            time_end = i;
        }
    }
    let (layout, rest) = if bracket {
        let (k, _) = skip_spaces(b, i);
        if b.get(k) != Some(&b']') {
            return None;
        }
        (Layout::Bracket, skip_spaces(b, k + 1).0)
    } else {
        let (k, space) = skip_spaces(b, i);
        let dash = match b.get(k) {
            Some(b'-') => Some(k + 1),
            // U+2013, U+2014
            Some(0xE2) if matches!(b.get(k + 1..k + 3), Some([0x80, 0x93 | 0x94])) => Some(k + 3),
            _ => None,
        };
        match dash {
            Some(d) => {
                let (r, sp) = skip_spaces(b, d);
                if !sp && r < b.len() {
                    return None;
                }
                (Layout::Android, r)
            }
            None if b.get(k) == Some(&b':') => (Layout::Bare, skip_spaces(b, k + 1).0),
            None if space => (Layout::Bare, k),
            None => return None,
        }
    };
    Some(Header {
        f: [f0, f1, f2],
        w,
        sep,
        hour: hour as u8,
        min: min as u8,
        sec: sec as u8,
        meridiem,
        en_meridiem,
        layout,
        raw: (raw_start, time_end),
        rest,
    })
}

/// The 24-hour hour of a header, if its clock reading is possible.
fn hour24(h: &Header) -> Option<u8> {
    match h.meridiem {
        None => Some(h.hour),
        Some(_) if h.hour > 12 => None,
        Some(Meridiem::Am) => Some(h.hour % 12),
        Some(Meridiem::Pm) => Some(h.hour % 12 + 12),
    }
}

// ---------------------------------------------------------------------------------------------
// Sender, system lines, kinds

/// Who wrote a line, as far as its first line tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who<'a> {
    /// `Name: text`.
    Sender(&'a str),
    /// A system line that names the chat or a person first (iOS `Group: ‎Alice added Bob`,
    /// `Chat: Messages and calls are end-to-end encrypted`).
    Label(&'a str),
    /// A system line without a name.
    System,
}

/// Splits `Name: text` at the first colon followed by a space (or ending the line). A colon
/// inside an opened quotation (`X changed the subject to "a: b"`) is not a separator.
fn split_sender(rest: &str) -> Option<(&str, &str)> {
    let b = rest.as_bytes();
    let mut from = 0;
    while let Some(p) = find_byte(b.get(from..).unwrap_or_default(), b':') {
        let p = from + p;
        from = p + 1;
        let after = b.get(p + 1);
        let separates = match after {
            None | Some(b' ') => true,
            // NBSP, narrow NBSP, LRM
            Some(0xC2) => b.get(p + 2) == Some(&0xA0),
            Some(0xE2) => matches!(b.get(p + 2..p + 4), Some([0x80, 0xAF | 0x8E])),
            _ => false,
        };
        if !separates {
            continue;
        }
        let name = rest.get(..p)?.trim_end();
        if name.is_empty() || name.len() > 256 || open_quote(name) {
            return None;
        }
        let body = rest.get(p + 1..)?;
        let body = body.strip_prefix(' ').unwrap_or(body);
        return Some((name, body));
    }
    None
}

fn open_quote(s: &str) -> bool {
    let (mut ascii, mut open, mut close) = (0, 0, 0);
    for c in s.chars() {
        match c {
            '"' => ascii += 1,
            '“' | '«' | '„' | '「' => open += 1,
            '”' | '»' | '」' => close += 1,
            _ => {}
        }
    }
    ascii % 2 == 1 || open > close
}

const LRM: &str = "\u{200E}";

/// Encryption and security notices: system lines even when a chat name precedes them.
const NOTICES: &[&str] = &[
    "Messages and calls are end-to-end encrypted",
    "Messages to this group are now secured with end-to-end encryption",
    "Messages you send to this group are now secured with end-to-end encryption",
    "Messages you send to this chat and calls are now secured with end-to-end encryption",
    "Los mensajes y las llamadas están cifrados de extremo a extremo",
    "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt",
    "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta",
    "Les messages et les appels sont chiffrés de bout en bout",
    "I messaggi e le chiamate sono crittografati end-to-end",
    "消息和通话都进行端到端加密",
];

/// What a line's first-line text says about who wrote it (the same in both passes).
fn who<'a>(rest: &'a str, layout: Layout) -> Option<(Who<'a>, &'a str)> {
    match split_sender(rest) {
        Some((name, body)) => {
            let plain = body.strip_prefix(LRM).unwrap_or(body);
            // iOS writes app-made lines after a left-to-right mark; media, deletions and
            // calls keep their sender, anything else is a system line under the chat's name.
            // (Android does not, and a user's text may start with one.)
            let app_made = layout != Layout::Android
                && body.starts_with(LRM)
                && kind_of(plain, plain).0 == MessageKind::Text
                && !plain.starts_with("POLL:");
            let notice = || {
                plain.len() >= 40
                    && plain.starts_with(['M', 'L', 'N', 'A', 'I', '消'])
                    && NOTICES.iter().any(|n| plain.starts_with(n))
            };
            if app_made || notice() {
                Some((Who::Label(name), plain))
            } else {
                Some((Who::Sender(name), body))
            }
        }
        // Without a dash or brackets only `Name: text` marks a header.
        None if layout == Layout::Bare => None,
        None => Some((Who::System, rest)),
    }
}

/// Attachment lines: `<Media omitted>` and its translations (the medium is not said).
const MEDIA_OMITTED: &[&str] = &[
    "<Media omitted>",
    "<Medien ausgeschlossen>",
    "<Multimedia omitido>",
    "<Mídia oculta>",
    "<Arquivo de mídia oculto>",
    "<Médias omis>",
    "<Media omessi>",
    "<Media weggelaten>",
    "<Без медиафайлов>",
    "<省略影音內容>",
    "<省略了媒体文件>",
];

/// `NAME (file attached)` and its translations (Android, with media).
const FILE_ATTACHED: &[&str] = &[
    " (file attached)",
    " (Datei angehängt)",
    " (archivo adjunto)",
    " (arquivo anexado)",
    " (fichier joint)",
    " (file allegato)",
    " (bestand bijgevoegd)",
    " (файл добавлен)",
];

/// `<attached: NAME>` labels (iOS, with media).
const ATTACHED: &[&str] = &[
    "attached:",
    "附件：",
    "附件:",
    "Anhang:",
    "adjunto:",
    "anexo:",
    "allegato:",
    "pièce jointe :",
    "pièce jointe:",
    "bijlage:",
];

/// iOS `image omitted` and its translations.
const IOS_OMITTED: &[(&str, MessageKind)] = &[
    ("image omitted", MessageKind::Image),
    ("video omitted", MessageKind::Video),
    ("audio omitted", MessageKind::Voice),
    ("sticker omitted", MessageKind::Sticker),
    ("GIF omitted", MessageKind::Video),
    ("document omitted", MessageKind::File),
    ("Contact card omitted", MessageKind::Contact),
    ("imagen omitida", MessageKind::Image),
    ("video omitido", MessageKind::Video),
    ("audio omitido", MessageKind::Voice),
    ("sticker omitido", MessageKind::Sticker),
    ("documento omitido", MessageKind::File),
    ("Bild weggelassen", MessageKind::Image),
    ("Video weggelassen", MessageKind::Video),
    ("Audio weggelassen", MessageKind::Voice),
    ("Sticker weggelassen", MessageKind::Sticker),
    ("Dokument weggelassen", MessageKind::File),
    ("图片已忽略", MessageKind::Image),
    ("视频已忽略", MessageKind::Video),
    ("音频已忽略", MessageKind::Voice),
];

/// Deleted-message notices (the sender recalled the message).
const DELETED: &[&str] = &[
    "This message was deleted",
    "You deleted this message",
    "Se eliminó este mensaje",
    "Eliminaste este mensaje",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht",
    "Mensagem apagada",
    "Esta mensagem foi apagada",
    "Você apagou esta mensagem",
    "Ce message a été supprimé",
    "Vous avez supprimé ce message",
    "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio",
    "此消息已删除",
    "你删除了此消息",
    "此訊息已被刪除",
    "Это сообщение удалено",
];

/// Edit markers appended to an edited message's text.
const EDITED: &[&str] = &[
    "<This message was edited>",
    "<Se editó este mensaje.>",
    "<Diese Nachricht wurde bearbeitet.>",
    "<Esta mensagem foi editada>",
    "<Ce message a été modifié>",
];

/// Kind of a file attachment, by WhatsApp's file-name prefixes and the extension.
fn kind_of_file(name: &str) -> MessageKind {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if name.starts_with("STK-") || name.contains("-STICKER-") || ext == "webp" {
        MessageKind::Sticker
    } else if name.starts_with("PTT-")
        || name.starts_with("AUD-")
        || name.contains("-AUDIO-")
        || matches!(
            ext.as_str(),
            "opus" | "ogg" | "m4a" | "mp3" | "aac" | "amr" | "wav"
        )
    {
        MessageKind::Voice
    } else if name.starts_with("VID-")
        || name.contains("-VIDEO-")
        || matches!(ext.as_str(), "mp4" | "3gp" | "mov" | "mkv" | "avi")
    {
        MessageKind::Video
    } else if name.starts_with("IMG-")
        || name.contains("-PHOTO-")
        || matches!(ext.as_str(), "jpg" | "jpeg" | "png" | "gif" | "heic")
    {
        MessageKind::Image
    } else if ext == "vcf" {
        MessageKind::Contact
    } else {
        MessageKind::File
    }
}

/// Kind and attachment of a message, from its first line and its whole text (both without a
/// leading LRM).
fn kind_of(first: &str, all: &str) -> (MessageKind, Option<Attachment>) {
    let first = first.trim_end();
    let trimmed = all.trim_end().trim_end_matches('.');
    let angled = first.ends_with('>');
    if angled && MEDIA_OMITTED.contains(&first) {
        return (
            MessageKind::File,
            Some(Attachment {
                omitted: true,
                ..Attachment::default()
            }),
        );
    }
    for suffix in FILE_ATTACHED.iter().filter(|_| first.ends_with(')')) {
        if let Some(name) = first.strip_suffix(suffix) {
            let name = name.trim_start_matches('\u{200e}').trim();
            if !name.is_empty() {
                return (kind_of_file(name), Some(named(name)));
            }
        }
    }
    if let Some(inner) = first
        .trim_start_matches('\u{200e}')
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .filter(|_| angled)
    {
        for label in ATTACHED {
            if let Some(name) = inner.strip_prefix(label) {
                let name = name.trim();
                return (kind_of_file(name), Some(named(name)));
            }
        }
    }
    // `‎image omitted`, `‎name.pdf • 3 pages ‎document omitted`: the phrase after the last mark.
    let omitted = ["omitted", "omitida", "omitido", "weggelassen", "忽略"]
        .iter()
        .any(|w| first.ends_with(w));
    for &(phrase, kind) in IOS_OMITTED.iter().filter(|_| omitted) {
        let Some(before) = first.strip_suffix(phrase) else {
            continue;
        };
        let before = before.trim_end_matches([' ', '\u{a0}']);
        if before.is_empty() || before.ends_with(LRM) {
            return (
                kind,
                Some(Attachment {
                    omitted: true,
                    ..Attachment::default()
                }),
            );
        }
    }
    if trimmed.len() <= 48 && DELETED.contains(&trimmed) {
        return (MessageKind::Recalled, None);
    }
    if let Some(call) = first.strip_prefix("Missed ")
        && (call.starts_with("voice call") || call.starts_with("video call"))
    {
        return (MessageKind::Call, None);
    }
    let lower_loc = first
        .get(..10)
        .is_some_and(|s| s.eq_ignore_ascii_case("location: "));
    if lower_loc
        && first
            .get(10..)
            .is_some_and(|s| s.starts_with("https://maps."))
    {
        return (MessageKind::Location, None);
    }
    if first.starts_with("POLL:") && all.contains("\nOPTION:") {
        return (MessageKind::Poll, None);
    }
    (MessageKind::Text, None)
}

fn named(name: &str) -> Attachment {
    Attachment {
        name: Some(name.to_owned()),
        ..Attachment::default()
    }
}

/// Strips an edit marker from the end of a message's text.
fn strip_edited(body: &str) -> Option<(&str, &'static str)> {
    let t = body.trim_end();
    if !t.ends_with('>') {
        return None;
    }
    EDITED.iter().find_map(|m| {
        let rest = t.strip_suffix(m)?;
        let rest = rest
            .trim_end_matches('\u{200e}')
            .trim_end_matches([' ', '\u{a0}']);
        Some((rest, *m))
    })
}

// ---------------------------------------------------------------------------------------------
// Date order, per file

/// What the headers of one date layout say about the date order.
#[derive(Debug, Clone)]
struct Group {
    key: (Layout, u8, u8),
    /// Orders every header of the group allows.
    all: u8,
    /// Headers valid in each order (`ORDERS` index).
    valid: [u64; 3],
    /// First and last date seen valid in each order, as `y * 10000 + m * 100 + d` (0: none;
    /// the first lets the surveys of consecutive chunks be merged).
    first: [u32; 3],
    last: [u32; 3],
    /// Times the date went backwards in each order.
    backwards: [u64; 3],
    /// Pairs of orders that gave one header two different dates (bit `1 << pair(a, b)`).
    differ: u8,
    headers: u64,
    en_meridiem: bool,
    example: String,
    /// Decided order.
    order: u8,
}

/// Index of a pair of orders in [`Group::differ`].
fn pair(a: u8, b: u8) -> u8 {
    match a | b {
        x if x == DMY | MDY => 0,
        x if x == DMY | YMD => 1,
        _ => 2,
    }
}

impl Group {
    fn new(h: &Header, raw: &str) -> Self {
        Self {
            key: h.key(),
            all: DMY | MDY | YMD,
            valid: [0; 3],
            first: [0; 3],
            last: [0; 3],
            backwards: [0; 3],
            differ: 0,
            headers: 0,
            en_meridiem: false,
            example: raw.chars().take(40).collect(),
            order: 0,
        }
    }

    fn add(&mut self, h: &Header) {
        self.headers += 1;
        self.en_meridiem |= h.en_meridiem;
        let mut ok = 0;
        let mut dates = [0u32; 3];
        for (k, &o) in ORDERS.iter().enumerate() {
            if let Some((y, m, d)) = civil(o, h.f, h.w) {
                ok |= o;
                self.valid[k] += 1;
                let packed = y * 10_000 + m * 100 + d;
                dates[k] = packed;
                if packed < self.last[k] {
                    self.backwards[k] += 1;
                }
                if self.first[k] == 0 {
                    self.first[k] = packed;
                }
                self.last[k] = packed;
            }
        }
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            if dates[i] != 0 && dates[j] != 0 && dates[i] != dates[j] {
                self.differ |= 1 << pair(ORDERS[i], ORDERS[j]);
            }
        }
        self.all &= ok & h.width_orders();
    }

    /// Takes in the same group's headers that come right after this one's (the survey of the
    /// next chunk): the result is what one survey over both would have found.
    fn merge(&mut self, later: &Group) {
        self.headers += later.headers;
        self.en_meridiem |= later.en_meridiem;
        self.all &= later.all;
        self.differ |= later.differ;
        for k in 0..ORDERS.len() {
            self.valid[k] += later.valid[k];
            self.backwards[k] += later.backwards[k];
            if later.first[k] != 0 {
                if later.first[k] < self.last[k] {
                    self.backwards[k] += 1;
                }
                if self.first[k] == 0 {
                    self.first[k] = later.first[k];
                }
                self.last[k] = later.last[k];
            }
        }
    }

    /// The order people in this layout's locales usually write.
    fn usual(&self, allowed: u8) -> u8 {
        let guess = if self.key.2 == 0 {
            YMD
        } else if self.key.1 == b'/' && self.en_meridiem {
            // `1/23/23, 3:19 AM`: en-US.
            MDY
        } else {
            DMY
        };
        if allowed & guess != 0 {
            guess
        } else {
            ORDERS
                .into_iter()
                .find(|o| allowed & o != 0)
                .unwrap_or(guess)
        }
    }

    /// Decides the order; returns a warning when the dates did not settle it.
    fn decide(&mut self) -> Option<String> {
        let n = self.headers;
        let mut all = self.all;
        // A two-digit year first (`23/01/12`) is rare enough to be read so only when no
        // day-month order fits.
        if self.key.2 == 1 && all & (DMY | MDY) != 0 {
            all &= DMY | MDY;
        }
        if all == 0 {
            // No order fits every header: take the one most fit; the rest stay unresolved.
            let guess = self.usual(DMY | MDY | YMD);
            let best = ORDERS
                .iter()
                .enumerate()
                .max_by_key(|(k, o)| (self.valid[*k], **o == guess))
                .map_or(DMY, |(_, o)| *o);
            self.order = best;
            let k = ORDERS.iter().position(|o| *o == best).unwrap_or(0);
            return Some(format!(
                "{} of {n} header(s) with dates like \"{}\" are not dates in the order that \
                 fits the others ({}); their times are left unresolved",
                n - self.valid[k],
                self.example,
                order_name(best)
            ));
        }
        let in_order: Vec<u8> = ORDERS
            .iter()
            .enumerate()
            .filter(|(k, o)| all & **o != 0 && self.backwards[*k] == 0)
            .map(|(_, o)| *o)
            .collect();
        let (order, why) = match in_order.as_slice() {
            [only] if all.count_ones() > 1 => {
                (*only, "the only order that keeps the dates in time order")
            }
            _ => (
                self.usual(all),
                "the usual order for this layout, as no date decides it",
            ),
        };
        self.order = order;
        // Orders that would have given some header another date.
        let others: Vec<&str> = ORDERS
            .iter()
            .filter(|o| {
                all & **o != 0 && **o != order && self.differ & (1 << pair(**o, order)) != 0
            })
            .map(|o| order_name(*o))
            .collect();
        if others.is_empty() {
            return None;
        }
        Some(format!(
            "date order not settled by the dates: no date among {n} header(s) like \"{}\" \
             shows which field is the day; read as {} ({why}), though {} also fits; check \
             the phone's date format",
            self.example,
            order_name(order),
            others.join(" or ")
        ))
    }
}

fn group_index(groups: &mut Vec<Group>, h: &Header, line: &str) -> usize {
    let key = h.key();
    if let Some(i) = groups.iter().position(|g| g.key == key) {
        return i;
    }
    let raw = line.get(h.raw.0..h.raw.1).unwrap_or_default();
    groups.push(Group::new(h, raw));
    groups.len() - 1
}

// ---------------------------------------------------------------------------------------------
// Parse

/// Most distinct senders listed as participants (a hostile file could invent millions).
const MAX_PARTICIPANTS: usize = 10_000;

/// What the first pass found.
struct Survey {
    groups: Vec<Group>,
    senders: Vec<String>,
    known: HashSet<String>,
    too_many_senders: bool,
    label: Option<String>,
    /// The name in `X created group "Name"`.
    group_name: Option<String>,
    headers: u64,
    first_text_line: Option<u64>,
    /// Index in `groups` of the last header's group (most headers share it).
    last_group: usize,
}

fn open(input: &Input) -> Result<(std::fs::File, Enc, u64), SourceError> {
    let (enc, bom) = detect_encoding(&input.head);
    let f = open_at(input, bom as u64)?;
    Ok((f, enc, bom as u64))
}

/// The file, positioned at `offset`.
fn open_at(input: &Input, offset: u64) -> Result<std::fs::File, SourceError> {
    let mut f = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| SourceError::io(&input.path, e))?;
    Ok(f)
}

impl Survey {
    fn new() -> Self {
        Self {
            groups: Vec::new(),
            senders: Vec::new(),
            known: HashSet::new(),
            too_many_senders: false,
            label: None,
            group_name: None,
            headers: 0,
            first_text_line: None,
            last_group: usize::MAX,
        }
    }

    /// Takes in line `line_no`: its bytes and, when already decoded, its text.
    fn line(&mut self, line_no: u64, bytes: &[u8], enc: Enc, text: Option<&str>) {
        if self.first_text_line.is_none() && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
            self.first_text_line = Some(line_no);
        }
        if !could_be_header(bytes, enc) {
            return;
        }
        let text = match text {
            Some(t) => Cow::Borrowed(t),
            None => decode_line(bytes, enc).0,
        };
        let Some(h) = parse_header(text.as_bytes()) else {
            return;
        };
        let rest = text.get(h.rest..).unwrap_or_default();
        let Some((w, body)) = who(rest, h.layout) else {
            return;
        };
        self.headers += 1;
        let key = h.key();
        if self
            .groups
            .get(self.last_group)
            .is_none_or(|g| g.key != key)
        {
            self.last_group = group_index(&mut self.groups, &h, &text);
        }
        if let Some(g) = self.groups.get_mut(self.last_group) {
            g.add(&h);
        }
        match w {
            Who::Sender(name) => {
                if !self.known.contains(name) {
                    if self.known.len() < MAX_PARTICIPANTS {
                        self.known.insert(name.to_owned());
                        self.senders.push(name.to_owned());
                    } else {
                        self.too_many_senders = true;
                    }
                }
            }
            Who::Label(name) => {
                if self.label.is_none() {
                    self.label = Some(name.to_owned());
                }
            }
            Who::System => {
                if self.group_name.is_none() {
                    self.group_name = created_group(body).map(str::to_owned);
                }
            }
        }
    }

    /// Reads every line `lines` has left.
    fn read<R: Read>(&mut self, lines: &mut Lines<R>, input: &Input) -> Result<(), SourceError> {
        let enc = lines.enc;
        loop {
            let raw = lines.next().map_err(|e| SourceError::io(&input.path, e))?;
            match raw {
                None => return Ok(()),
                Some(RawLine::Line { at, .. }) => self.line(lines.line, lines.bytes(at), enc, None),
                Some(RawLine::Long { excerpt, .. }) => {
                    // Only to find the first line with text: a long line is no header.
                    if self.first_text_line.is_none()
                        && excerpt.iter().any(|b| !b.is_ascii_whitespace())
                    {
                        self.first_text_line = Some(lines.line);
                    }
                }
            }
        }
    }

    /// Surveys one chunk of whole UTF-8 lines.
    fn chunk(chunk: &Chunk) -> Self {
        let mut s = Self::new();
        let text = simdutf8::basic::from_utf8(&chunk.buf).ok();
        for (i, (start, end)) in chunk_lines(&chunk.buf).enumerate() {
            let bytes = chunk.buf.get(start..end).unwrap_or_default();
            let line = text.and_then(|t| t.get(start..end)).map(strip_cr);
            s.line(chunk.line + 1 + i as u64, bytes, Enc::Utf8, line);
        }
        s
    }

    /// Takes in the survey of the lines that come right after this one's: the result is what
    /// one survey over both would have found.
    fn merge(&mut self, later: Survey) {
        for g in &later.groups {
            match self.groups.iter_mut().find(|m| m.key == g.key) {
                Some(mine) => mine.merge(g),
                None => self.groups.push(g.clone()),
            }
        }
        // A chunk lists its first distinct senders; the first of the file are among them.
        for name in later.senders {
            if !self.known.contains(&name) {
                if self.known.len() < MAX_PARTICIPANTS {
                    self.known.insert(name.clone());
                    self.senders.push(name);
                } else {
                    self.too_many_senders = true;
                }
            }
        }
        self.too_many_senders |= later.too_many_senders;
        self.label = self.label.take().or(later.label);
        self.group_name = self.group_name.take().or(later.group_name);
        self.headers += later.headers;
        self.first_text_line = self.first_text_line.or(later.first_text_line);
    }
}

/// The first pass: on all cores when `split` allows it for this file.
fn survey(input: &Input, split: &Split) -> Result<Survey, SourceError> {
    let (f, enc, bom) = open(input)?;
    let mut s = Survey::new();
    if !split.worth_it(&f, enc == Enc::Utf8) {
        s.read(&mut Lines::new(f, enc, bom), input)?;
        return Ok(s);
    }
    let mut result = Ok(());
    chunks::in_order(f, bom, split, Survey::chunk, |done| match done {
        Done::Chunk((part, _)) => {
            s.merge(part);
            true
        }
        Done::Rest { base, line } => {
            result = open_at(input, base)
                .and_then(|f| s.read(&mut Lines::at(f, enc, base, line), input));
            false
        }
        Done::Error(e) => {
            result = Err(SourceError::io(&input.path, e));
            false
        }
    });
    result.map(|()| s)
}

/// A line's text less one trailing CR (the line splitter removed the one before `\n`; a
/// second one is dropped from the text as [`decode_line`] does).
fn strip_cr(s: &str) -> &str {
    s.strip_suffix('\r').unwrap_or(s)
}

/// A cheap test before decoding and parsing: a header starts with a digit or `[` (after
/// marks). UTF-16 lines are decoded first.
#[inline]
fn could_be_header(b: &[u8], enc: Enc) -> bool {
    if matches!(enc, Enc::Utf16Le | Enc::Utf16Be) {
        return true;
    }
    let i = skip_marks(b, 0);
    match b.get(i) {
        Some(b'0'..=b'9' | b'[') => true,
        Some(_) => digit(b, i).is_some(),
        None => false,
    }
}

/// The group's name from `X created group "Name"` (English exports).
fn created_group(text: &str) -> Option<&str> {
    let (_, name) = text.split_once(" created group ")?;
    let name = name.trim_end();
    name.strip_prefix('“')
        .and_then(|n| n.strip_suffix('”'))
        .or_else(|| name.strip_prefix('"').and_then(|n| n.strip_suffix('"')))
        .filter(|n| !n.is_empty())
}

/// The chat's name from an export's file name (`WhatsApp Chat with Alice.txt`).
fn title_from_name(name: &str) -> Option<String> {
    const PREFIXES: &[&str] = &[
        "WhatsApp Chat with ",
        "WhatsApp Chat - ",
        "WhatsApp-Chat mit ",
        "Chat de WhatsApp con ",
        "Conversa do WhatsApp com ",
        "Discussion WhatsApp avec ",
        "Chat WhatsApp con ",
        "WhatsApp-chat met ",
    ];
    let stem = name.strip_suffix(".txt").unwrap_or(name);
    PREFIXES
        .iter()
        .find_map(|p| stem.strip_prefix(p))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn party(name: String) -> Party {
    // Unsaved contacts show as their phone number: that is the account too.
    let phone = name.starts_with('+')
        && name.len() > 4
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'(' | b')'));
    Party {
        account: phone.then(|| name.clone()),
        name: Some(name),
    }
}

/// A stretch of lines that belong to no message, reported as one [`Unparsed`].
struct Stray {
    start: u64,
    end: u64,
    line: u64,
    excerpt: String,
    reason: &'static str,
    blank: bool,
}

/// The message being read (its continuation lines may follow).
struct Pending {
    start: u64,
    end: u64,
    line: u64,
    time: MsgTime,
    sender: Option<String>,
    label: Option<String>,
    body: String,
    invalid_utf8: bool,
    truncated: bool,
}

/// What the second pass counts, for the warnings at the end.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    bad_times: u64,
    odd_years: u64,
    invalid_utf8: u64,
    first_invalid: u64,
}

impl Counts {
    fn invalid(&mut self, line: u64) {
        self.invalid_utf8 += 1;
        if self.first_invalid == 0 {
            self.first_invalid = line;
        }
    }

    /// Adds the counts of the lines that come after these.
    fn add(&mut self, later: Counts) {
        self.bad_times += later.bad_times;
        self.odd_years += later.odd_years;
        self.invalid_utf8 += later.invalid_utf8;
        if self.first_invalid == 0 {
            self.first_invalid = later.first_invalid;
        }
    }
}

/// Where the second pass is between two lines.
struct State {
    pending: Option<Pending>,
    stray: Option<Stray>,
    /// Index in the groups of the last header's group.
    last_group: usize,
}

impl State {
    fn new() -> Self {
        Self {
            pending: None,
            stray: None,
            last_group: usize::MAX,
        }
    }
}

/// A line's file offsets (start, end of content) and its 1-based number.
type Span = (u64, u64, u64);

/// A message header line: the header, who wrote it, and the body's first line.
type Recognised<'t> = (Header, Who<'t>, &'t str);

/// The header that starts line `text` (`bytes` as read), if it is a message header.
fn recognise<'t>(bytes: &[u8], text: &'t str, enc: Enc) -> Option<Recognised<'t>> {
    if !could_be_header(bytes, enc) {
        return None;
    }
    let h = parse_header(text.as_bytes())?;
    let rest = text.get(h.rest..).unwrap_or_default();
    who(rest, h.layout).map(|(w, body)| (h, w, body))
}

/// What every thread of the second pass shares (all of it decided by the first pass).
struct Shared<'a> {
    input: &'a Input,
    tag: String,
    conv: String,
    zone: Zone,
    owners: Vec<&'a str>,
    known: &'a HashSet<String>,
    groups: &'a [Group],
    /// A part of the sink, when it takes records on other threads.
    part: Option<Box<dyn SinkPart>>,
}

impl Shared<'_> {
    fn emitter<'s>(&'s self, sink: &'s mut dyn Sink) -> Emitter<'s> {
        Emitter {
            input: self.input,
            tag: self.tag.clone(),
            conv: self.conv.clone(),
            clock: WallClock::new(self.zone.clone()),
            owners: self.owners.clone(),
            sink,
            known: self.known,
            groups: self.groups,
            counts: Counts::default(),
        }
    }
}

struct Emitter<'a> {
    input: &'a Input,
    tag: String,
    conv: String,
    clock: WallClock,
    owners: Vec<&'a str>,
    sink: &'a mut dyn Sink,
    known: &'a HashSet<String>,
    groups: &'a [Group],
    counts: Counts,
}

/// What a chunk's thread emitted, kept in order for the sink.
// Nearly all records are messages: boxing them would add an allocation each, for nothing.
#[allow(clippy::large_enum_variant)]
enum Record {
    Message(Message),
    Unparsed(Unparsed),
    Warning(String),
}

/// A [`Sink`] that keeps the records of one chunk.
struct Records(Vec<Record>);

impl Sink for Records {
    fn conversation(&mut self, _: Conversation) {}
    fn message(&mut self, m: Message) {
        self.0.push(Record::Message(m));
    }
    fn unparsed(&mut self, u: Unparsed) {
        self.0.push(Record::Unparsed(u));
    }
    fn warning(&mut self, w: String) {
        self.0.push(Record::Warning(w));
    }
}

/// Where a chunk's thread put its records.
enum Out {
    /// Kept, for the sink to take one by one.
    Records(Vec<Record>),
    /// Given to a part of the sink, to be joined to it.
    Part(Box<dyn SinkPart>),
}

/// What the second pass made of one chunk.
struct Part {
    /// The lines before the chunk's first header, (start, end) in its buffer: continuations
    /// of the message that the chunk before left pending.
    head: Vec<(usize, usize)>,
    /// What the lines from the first header on emitted.
    out: Out,
    /// Where the pass was after the chunk's last line; `None` when it holds no header.
    tail: Option<State>,
    counts: Counts,
}

/// The second pass over one chunk, as far as it can go without the chunks before it.
fn part(shared: &Shared<'_>, chunk: &Chunk) -> Part {
    let mut records = Records(Vec::new());
    let mut part = shared.part.as_ref().map(|p| p.another());
    let sink: &mut dyn Sink = match &mut part {
        Some(p) => p.as_mut(),
        None => &mut records,
    };
    let mut em = shared.emitter(sink);
    let mut head = Vec::new();
    let mut state: Option<State> = None;
    // Validated once for the chunk; each line is then a slice of it.
    let text = simdutf8::basic::from_utf8(&chunk.buf).ok();
    for (i, (start, end)) in chunk_lines(&chunk.buf).enumerate() {
        let bytes = chunk.buf.get(start..end).unwrap_or_default();
        let (line, bad) = match text.and_then(|t| t.get(start..end)) {
            Some(t) => (Cow::Borrowed(strip_cr(t)), false),
            None => decode_line(bytes, Enc::Utf8),
        };
        let span = (
            chunk.base + start as u64,
            chunk.base + end as u64,
            chunk.line + 1 + i as u64,
        );
        let rec = recognise(bytes, &line, Enc::Utf8);
        match (&mut state, rec) {
            (None, None) => head.push((start, end)),
            (None, Some(r)) => {
                let mut first = State::new();
                if bad {
                    em.counts.invalid(span.2);
                }
                em.header(&mut first, span, &line, bad, r);
                state = Some(first);
            }
            (Some(st), rec) => em.recognised(st, span, &line, bad, rec),
        }
    }
    let counts = em.counts;
    Part {
        head,
        out: match part {
            Some(p) => Out::Part(p),
            None => Out::Records(records.0),
        },
        tail: state,
        counts,
    }
}

impl Emitter<'_> {
    fn provenance(&self, start: u64, end: u64, line: u64) -> cunzheng_model::Provenance {
        self.input.provenance(
            &self.tag,
            Location::Bytes {
                start,
                end,
                line: Some(line),
            },
        )
    }

    fn stray(&mut self, s: Stray) {
        if s.blank {
            return;
        }
        let provenance = self.provenance(s.start, s.end, s.line);
        self.sink.unparsed(Unparsed {
            provenance,
            reason: s.reason.to_owned(),
            excerpt: s.excerpt,
        });
    }

    fn message(&mut self, p: Pending) {
        let Pending {
            start,
            end,
            line,
            time,
            sender,
            label,
            mut body,
            invalid_utf8,
            truncated,
        } = p;
        let mut edited = None;
        if let Some((rest, marker)) = strip_edited(&body) {
            let len = rest.len();
            edited = Some(time::unresolved(marker, "marker"));
            body.truncate(len);
        }
        let plain = body.strip_prefix(LRM).unwrap_or(&body);
        let first = plain.split_once('\n').map_or(plain, |(f, _)| f);
        let (mut kind, attachment) = kind_of(first, plain);
        if label.is_some() || (sender.is_none() && kind == MessageKind::Text) {
            kind = MessageKind::System;
        }
        if let Some(stripped) = body.strip_prefix(LRM) {
            body = stripped.to_owned();
        }
        let direction = match &sender {
            Some(s) if self.owners.iter().any(|o| o.eq_ignore_ascii_case(s)) => Direction::Outgoing,
            _ => Direction::Unknown,
        };
        let mut extra = serde_json::Map::new();
        if let Some(l) = label {
            extra.insert("label".into(), l.into());
        }
        if invalid_utf8 {
            extra.insert("invalid_utf8".into(), true.into());
        }
        if truncated {
            extra.insert("truncated".into(), true.into());
        }
        let provenance = self.provenance(start, end, line);
        self.sink.message(Message {
            id: line_id(line),
            conversation: self.conv.clone(),
            sender: sender.map(party).unwrap_or_default(),
            direction,
            kind,
            body,
            time,
            attachments: attachment.into_iter().collect(),
            reply_to: None,
            edited,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance,
            extra: if extra.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::Object(extra)
            },
        });
    }

    /// Emits the message or stray text being read (a header or the end follows).
    fn flush(&mut self, st: &mut State) {
        if let Some(p) = st.pending.take() {
            self.message(p);
        }
        if let Some(s) = st.stray.take() {
            self.stray(s);
        }
    }

    /// Reads every line `lines` has left.
    fn read<R: Read>(&mut self, st: &mut State, lines: &mut Lines<R>) -> Result<(), SourceError> {
        let enc = lines.enc;
        loop {
            let raw = lines
                .next()
                .map_err(|e| SourceError::io(&self.input.path, e))?;
            let Some(raw) = raw else { return Ok(()) };
            let line_no = lines.line;
            match raw {
                RawLine::Long {
                    start,
                    end,
                    excerpt,
                } => self.long_line(st, (start, end, line_no), &excerpt, enc),
                RawLine::Line { start, end, at } => {
                    let bytes = lines.bytes(at);
                    let (text, bad) = decode_line(bytes, enc);
                    let rec = recognise(bytes, &text, enc);
                    self.recognised(st, (start, end, line_no), &text, bad, rec);
                }
            }
        }
    }

    /// A line longer than [`MAX_RECORD`]: it and the lines up to the next header are unparsed.
    fn long_line(&mut self, st: &mut State, (start, end, line_no): Span, excerpt: &[u8], enc: Enc) {
        self.flush(st);
        let provenance = self.provenance(start, end, line_no);
        self.sink.unparsed(Unparsed {
            provenance,
            reason: format!("line longer than {MAX_RECORD} bytes"),
            excerpt: excerpt_of(&decode_line(excerpt, enc).0),
        });
        st.stray = Some(Stray {
            start: end,
            end,
            line: line_no + 1,
            excerpt: String::new(),
            reason: "lines after an over-long line, before the next message header",
            blank: true,
        });
    }

    /// A line, its header if it has one (from [`recognise`]).
    fn recognised(
        &mut self,
        st: &mut State,
        span: Span,
        text: &str,
        bad: bool,
        rec: Option<Recognised<'_>>,
    ) {
        if bad {
            self.counts.invalid(span.2);
        }
        match rec {
            None => self.continuation(st, span, text, bad),
            Some(r) => {
                self.flush(st);
                self.header(st, span, text, bad, r);
            }
        }
    }

    /// A line that starts no message.
    fn continuation(&mut self, st: &mut State, (start, end, line_no): Span, text: &str, bad: bool) {
        match (&mut st.pending, &mut st.stray) {
            (Some(p), None) if p.body.len() + text.len() < MAX_RECORD => {
                p.body.push('\n');
                p.body.push_str(text);
                p.end = end;
                p.invalid_utf8 |= bad;
            }
            (Some(_), None) => {
                if let Some(mut p) = st.pending.take() {
                    p.truncated = true;
                    self.message(p);
                }
                st.stray = Some(Stray {
                    start,
                    end,
                    line: line_no,
                    excerpt: excerpt_of(text),
                    reason: "continuation of a message longer than the record limit",
                    blank: false,
                });
            }
            (_, Some(s)) => {
                s.end = end;
                if s.blank && !text.trim().is_empty() {
                    s.blank = false;
                    s.start = start;
                    s.line = line_no;
                    s.excerpt = excerpt_of(text);
                }
            }
            (None, None) => {
                st.stray = Some(Stray {
                    start,
                    end,
                    line: line_no,
                    excerpt: excerpt_of(text),
                    reason: "text before the first message header",
                    blank: text.trim().is_empty(),
                });
            }
        }
    }

    /// A header line (what was pending before it is flushed): its message becomes pending.
    fn header(
        &mut self,
        st: &mut State,
        (start, end, line_no): Span,
        text: &str,
        bad: bool,
        (h, w, body): Recognised<'_>,
    ) {
        let key = h.key();
        if self.groups.get(st.last_group).is_none_or(|g| g.key != key) {
            st.last_group = self
                .groups
                .iter()
                .position(|g| g.key == key)
                .unwrap_or(usize::MAX);
        }
        let order = self.groups.get(st.last_group).map_or(DMY, |g| g.order);
        let raw_time = text.get(h.raw.0..h.raw.1).unwrap_or_default();
        let time = self.time(&h, raw_time, order);
        let (sender, label, body) = match w {
            Who::Sender(name) => (Some(name.to_owned()), None, body),
            Who::Label(name) => (None, Some(name.to_owned()), body),
            Who::System => {
                // `John Doe:.`: a known sender's colon without the space.
                let rest = text.get(h.rest..).unwrap_or_default();
                match rest.split_once(':') {
                    Some((name, b)) if self.known.contains(name) => {
                        (Some(name.to_owned()), None, b)
                    }
                    _ => (None, None, body),
                }
            }
        };
        st.pending = Some(Pending {
            start,
            end,
            line: line_no,
            time,
            sender,
            label,
            body: body.to_owned(),
            invalid_utf8: bad,
            truncated: false,
        });
    }

    /// Takes in a chunk's part of the second pass (the chunk right after the lines so far).
    fn absorb(&mut self, st: &mut State, p: Part, chunk: &Chunk) {
        let Part {
            head,
            out,
            tail,
            counts,
        } = p;
        for (i, &(start, end)) in head.iter().enumerate() {
            let bytes = chunk.buf.get(start..end).unwrap_or_default();
            let (text, bad) = decode_line(bytes, Enc::Utf8);
            let line_no = chunk.line + 1 + i as u64;
            if bad {
                self.counts.invalid(line_no);
            }
            let span = (chunk.base + start as u64, chunk.base + end as u64, line_no);
            self.continuation(st, span, &text, bad);
        }
        if let Some(tail) = tail {
            self.flush(st);
            match out {
                Out::Records(records) => {
                    for r in records {
                        match r {
                            Record::Message(m) => self.sink.message(m),
                            Record::Unparsed(u) => self.sink.unparsed(u),
                            Record::Warning(w) => self.sink.warning(w),
                        }
                    }
                }
                Out::Part(p) => self.sink.join(p),
            }
            *st = tail;
        }
        self.counts.add(counts);
    }

    /// The time of a header, in the order decided for its group.
    fn time(&mut self, h: &Header, raw: &str, order: u8) -> MsgTime {
        match (civil(order, h.f, h.w), hour24(h)) {
            (Some((y, m, d)), Some(hour)) if (1900..=2200).contains(&y) => {
                match self.clock.at(raw, (y, m, d), (hour, h.min, h.sec.min(59))) {
                    Some(t) => t,
                    None => {
                        self.counts.bad_times += 1;
                        time::unresolved(raw, "wall")
                    }
                }
            }
            (Some(_), Some(_)) => {
                self.counts.odd_years += 1;
                time::unresolved(raw, "wall")
            }
            _ => {
                self.counts.bad_times += 1;
                time::unresolved(raw, "wall")
            }
        }
    }
}

/// [`Zone::wall`], with the zone's offset looked up once per wall-clock hour: a chat has many
/// messages an hour, and the offset is the same all through an hour unless a DST change
/// falls inside it (then every time of that hour goes to [`Zone::wall`]).
struct WallClock {
    zone: Zone,
    /// The hour last looked up, and its offset when uniform.
    hour: Option<(HourKey, Option<HourOffset>)>,
}

impl WallClock {
    fn new(zone: Zone) -> Self {
        Self { zone, hour: None }
    }

    /// The time of a wall-clock reading; `None` when it is not one.
    fn at(
        &mut self,
        raw: &str,
        (y, m, d): (u32, u32, u32),
        (h, mi, s): (u8, u8, u8),
    ) -> Option<MsgTime> {
        let dt = |mi: u8, s: u8| {
            jiff::civil::DateTime::new(y as i16, m as i8, d as i8, h as i8, mi as i8, s as i8, 0)
                .ok()
        };
        let key = (y, m, d, h);
        if self.hour.as_ref().is_none_or(|(k, _)| *k != key) {
            let uniform = match (dt(0, 0), dt(59, 59)) {
                (Some(a), Some(b)) => {
                    let (a, b) = (self.zone.wall("", a), self.zone.wall("", b));
                    let off = a.offset.as_deref().and_then(offset_seconds);
                    match off {
                        // Checked against jiff's own reading, so that the fast path can only
                        // give what `Zone::wall` gives.
                        Some(off)
                            if a.offset == b.offset
                                && a.utc.as_deref()
                                    == Some(
                                        utc_text(local_seconds(y, m, d, h, 0, 0) - off).as_str(),
                                    ) =>
                        {
                            a.offset.map(|text| (off, text))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            self.hour = Some((key, uniform));
        }
        match self.hour.as_ref().and_then(|(_, o)| o.as_ref()) {
            Some((off, text)) => Some(MsgTime {
                raw: raw.to_owned(),
                unit: "wall".into(),
                utc: Some(utc_text(local_seconds(y, m, d, h, mi, s) - off)),
                offset: Some(text.clone()),
                zone_basis: if self.zone.is_guessed() {
                    "guessed"
                } else {
                    "given"
                }
                .into(),
                zone: Some(self.zone.name().to_owned()),
            }),
            None => dt(mi, s).map(|dt| self.zone.wall(raw, dt)),
        }
    }
}

/// Year, month, day, hour.
type HourKey = (u32, u32, u32, u8);

/// Seconds east of UTC, and as `+HH:MM`.
type HourOffset = (i64, String);

/// Seconds east of UTC from `+HH:MM`.
fn offset_seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |i: usize| -> Option<i64> {
        let (a, c) = (*b.get(i)?, *b.get(i + 1)?);
        (a.is_ascii_digit() && c.is_ascii_digit()).then(|| i64::from((a - b'0') * 10 + (c - b'0')))
    };
    let secs = num(1)? * 3600 + num(4)? * 60;
    match (b.len(), b.first(), b.get(3)) {
        (6, Some(b'+'), Some(b':')) => Some(secs),
        (6, Some(b'-'), Some(b':')) => Some(-secs),
        _ => None,
    }
}

/// Seconds since 1970 of a civil time read as UTC (days from civil, H. Hinnant).
fn local_seconds(y: u32, m: u32, d: u32, h: u8, mi: u8, s: u8) -> i64 {
    let (y, m, d) = (i64::from(y), i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as jiff prints a whole-second timestamp (years 1000-9999).
fn utc_text(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mut out = String::with_capacity(20);
    let two = |out: &mut String, v: i64, then: char| {
        let v = v.rem_euclid(100) as u8;
        out.push(char::from(b'0' + v / 10));
        out.push(char::from(b'0' + v % 10));
        out.push(then);
    };
    two(&mut out, y / 100, '\0');
    out.pop();
    two(&mut out, y, '-');
    two(&mut out, m, '-');
    two(&mut out, d, 'T');
    two(&mut out, rem / 3600, ':');
    two(&mut out, rem / 60 % 60, ':');
    two(&mut out, rem % 60, 'Z');
    out
}

/// `L123`: a message id from its line number.
fn line_id(line: u64) -> String {
    let mut digits = [0u8; 20];
    let mut n = line;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut id = String::with_capacity(1 + digits.len() - i);
    id.push('L');
    id.extend(digits.iter().skip(i).map(|&d| char::from(d)));
    id
}

fn parse_file(
    source: &WhatsappTxt,
    input: &Input,
    opts: &Options,
    sink: &mut dyn Sink,
) -> Result<(), SourceError> {
    parse_split(source, input, opts, sink, &Split::auto())
}

/// [`parse_file`], both passes in chunks as `split` says when the file is large enough.
/// The output is the same however the file is split (the tests check it).
fn parse_split(
    source: &WhatsappTxt,
    input: &Input,
    opts: &Options,
    sink: &mut dyn Sink,
    split: &Split,
) -> Result<(), SourceError> {
    let mut survey = survey(input, split)?;
    if survey.headers == 0
        && let Some(line) = survey.first_text_line
    {
        return Err(SourceError::Format {
            location: format!("line {line}"),
            message: "no line starts with a WhatsApp date and time header".into(),
        });
    }
    let (enc, _) = detect_encoding(&input.head);
    if enc != Enc::Utf8 {
        sink.warning(format!(
            "the file is not UTF-8 (as WhatsApp writes exports); read as {}, {}",
            enc_name(enc),
            if enc == Enc::Gb18030 {
                "a guess"
            } else {
                "from its byte pattern"
            }
        ));
    }
    let (zone, zone_warning) = Zone::from_options(opts);
    if let Some(w) = zone_warning {
        sink.warning(w);
    }
    if zone.is_guessed() && survey.headers > 0 {
        sink.warning(format!(
            "times are wall-clock times read in {}, a guess: no time zone was given",
            zone.name()
        ));
    }
    for g in &mut survey.groups {
        if let Some(w) = g.decide() {
            sink.warning(w);
        }
    }
    if survey.groups.len() > 1 {
        let kinds: Vec<String> = survey
            .groups
            .iter()
            .map(|g| format!("\"{}\" as {}", g.example, order_name(g.order)))
            .collect();
        sink.warning(format!(
            "the file mixes {} date layouts, each read on its own: {}",
            survey.groups.len(),
            kinds.join(", ")
        ));
    }
    if survey.too_many_senders {
        sink.warning(format!(
            "more than {MAX_PARTICIPANTS} distinct senders; only the first are listed as participants"
        ));
    }

    let conv = if !input.name.is_empty() {
        input
            .name
            .strip_suffix(".txt")
            .unwrap_or(&input.name)
            .to_owned()
    } else if let Some(h) = input.item_sha256.get(..16) {
        format!("sha256:{h}")
    } else {
        "whatsapp".to_owned()
    };
    sink.conversation(Conversation {
        platform: Platform::WhatsApp,
        id: conv.clone(),
        title: title_from_name(&input.name)
            .or(survey.label.clone())
            .or(survey.group_name.clone()),
        kind: None,
        participants: survey.senders.iter().cloned().map(party).collect(),
    });

    let shared = Shared {
        input,
        tag: source.parser_tag(),
        conv,
        zone,
        owners: opts.owner.iter().map(|o| o.trim()).collect(),
        known: &survey.known,
        groups: &survey.groups,
        part: sink.fork(),
    };
    let (f, enc, bom) = open(input)?;
    let mut em = shared.emitter(sink);
    let mut st = State::new();
    if split.worth_it(&f, enc == Enc::Utf8) {
        let mut result = Ok(());
        chunks::in_order(
            f,
            bom,
            split,
            |c| part(&shared, c),
            |done| match done {
                Done::Chunk((p, chunk)) => {
                    em.absorb(&mut st, p, chunk);
                    true
                }
                Done::Rest { base, line } => {
                    result = open_at(input, base)
                        .and_then(|f| em.read(&mut st, &mut Lines::at(f, enc, base, line)));
                    false
                }
                Done::Error(e) => {
                    result = Err(SourceError::io(&input.path, e));
                    false
                }
            },
        );
        result?;
    } else {
        em.read(&mut st, &mut Lines::new(f, enc, bom))?;
    }
    em.flush(&mut st);
    let counts = em.counts;
    if counts.bad_times > 0 {
        em.sink.warning(format!(
            "{} header(s) have a date or clock reading that does not exist; their times are \
             left unresolved (raw kept)",
            counts.bad_times
        ));
    }
    if counts.odd_years > 0 {
        em.sink.warning(format!(
            "{} header(s) have a year outside 1900-2200 (a Solar Hijri or Hijri date?); their \
             times are left unresolved (raw kept)",
            counts.odd_years
        ));
    }
    if counts.invalid_utf8 > 0 {
        em.sink.warning(format!(
            "{} line(s) are not valid {} (first: line {}); they were decoded with \
             replacement characters, the original bytes are at their provenance",
            counts.invalid_utf8,
            enc_name(enc),
            counts.first_invalid
        ));
    }
    Ok(())
}

fn excerpt_of(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Scores the first bytes: how many of the first lines are message headers.
fn sniff_head(head: &[u8]) -> u8 {
    let (enc, bom) = detect_encoding(head);
    let body = head.get(bom..).unwrap_or_default();
    let text = match enc {
        Enc::Utf8 => String::from_utf8_lossy(body),
        Enc::Utf16Le => encoding_rs::UTF_16LE.decode_without_bom_handling(body).0,
        Enc::Utf16Be => encoding_rs::UTF_16BE.decode_without_bom_handling(body).0,
        Enc::Gb18030 => encoding_rs::GB18030.decode_without_bom_handling(body).0,
    };
    let (mut lines, mut headers, mut first_is_header, mut signal_like) = (0, 0, None, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(50) {
        lines += 1;
        let h = parse_header(line.as_bytes()).filter(|h| {
            let rest = line.get(h.rest..).unwrap_or_default();
            who(rest, h.layout).is_some()
        });
        if first_is_header.is_none() {
            first_is_header = Some(h.is_some());
        }
        if let Some(h) = h {
            headers += 1;
            // `[2019-12-24, 12:23] Name: text` is also Signal's text export; WhatsApp's iOS
            // brackets carry seconds.
            if h.layout == Layout::Bracket && h.w[0] == 4 && h.raw.1 - h.raw.0 <= 17 {
                signal_like += 1;
            }
        }
    }
    if headers == 0 {
        return 0;
    }
    let score: u8 = match (first_is_header, headers) {
        (Some(true), n) if n >= 3 || n == lines => 90,
        (Some(true), _) => 75,
        _ if headers * 2 >= lines => 60,
        _ => 30,
    };
    if signal_like == headers {
        score.min(55)
    } else {
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use std::path::{Path, PathBuf};

    const CHAT_MINER: &str = "joweich__chat-miner/test/whatsapp";
    const PUSTUR: &str =
        "Pustur__whatsapp-chat-parser-website/src/assets/whatsapp-chat-parser-example/_chat.txt";
    const EMMA: &str = "emmaakachukwu__whatsapp-chat-parser-rb/spec/fixtures/files/sample.txt";
    const LC_EXAMPLES: &str =
        "langchain-ai__langchain-community/libs/community/tests/examples/whatsapp_chat.txt";
    const LC_LOADER: &str = "langchain-ai__langchain-community/libs/community/tests/unit_tests/chat_loaders/data/whatsapp_chat.txt";

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/whatsapp-txt")
            .join(rel)
    }

    fn zone(name: &str) -> Options {
        Options {
            zone: Some(name.into()),
            ..Options::default()
        }
    }

    fn run(path: &Path, opts: &Options) -> Collect {
        let input = Input::open(path).expect("open");
        let (r, c) = parse_all_ways(&input, opts);
        r.expect("parse");
        c
    }

    /// Parses `bytes` written to a file called `name`.
    fn run_bytes(name: &str, bytes: &[u8], opts: &Options) -> (Result<(), SourceError>, Collect) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        parse_all_ways(&input, opts)
    }

    /// Splits that send every test file through the chunked passes: chunks of one line and
    /// more, on two and three threads, and lines over 64 bytes leaving the rest of the file
    /// to the line reader.
    const SPLITS: [Split; 3] = [
        Split {
            threads: 2,
            chunk: 1,
            max_line: 1 << 20,
        },
        Split {
            threads: 3,
            chunk: 100,
            max_line: 64,
        },
        Split {
            threads: 2,
            chunk: 4096,
            max_line: 1 << 20,
        },
    ];

    /// One thread: the line reader alone.
    const WHOLE: Split = Split {
        threads: 1,
        chunk: 1 << 20,
        max_line: 4 << 20,
    };

    /// Everything a parse yields, as text.
    /// Index of the first line where `a` and `b` differ (0 when one is a prefix of the other).
    fn first_difference(a: &str, b: &str) -> usize {
        a.lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0)
    }

    fn everything(r: &Result<(), SourceError>, c: &Collect) -> String {
        format!(
            "{r:?}\n{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "conversations": c.conversations,
                "messages": c.messages,
                "unparsed": c.unparsed,
                "warnings": c.warnings,
            }))
            .expect("json")
        )
    }

    /// A sink that takes records on other threads (as the CLI's JSON printer does), keeping
    /// every record as a line of text.
    #[derive(Default)]
    struct Forking(Vec<String>);

    impl Forking {
        fn keep<T: serde::Serialize>(&mut self, kind: &str, v: &T) {
            self.0.push(format!(
                "{kind} {}",
                serde_json::to_string(v).expect("json")
            ));
        }
    }

    impl Sink for Forking {
        fn conversation(&mut self, c: Conversation) {
            self.keep("conversation", &c);
        }
        fn message(&mut self, m: Message) {
            self.keep("message", &m);
        }
        fn unparsed(&mut self, u: Unparsed) {
            self.keep("unparsed", &u);
        }
        fn warning(&mut self, w: String) {
            self.keep("warning", &w);
        }
        fn fork(&self) -> Option<Box<dyn SinkPart>> {
            Some(Box::new(Forking::default()))
        }
        fn join(&mut self, part: Box<dyn SinkPart>) {
            let part = part.into_any().downcast::<Forking>().expect("own part");
            self.0.extend(part.0);
        }
    }

    impl SinkPart for Forking {
        fn another(&self) -> Box<dyn SinkPart> {
            Box::new(Forking::default())
        }
        fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
            self
        }
    }

    /// Parses `input` with the line reader alone and in chunks with every split in
    /// [`SPLITS`], into a [`Collect`] and into a [`Forking`] sink: all must yield the same.
    fn parse_all_ways(input: &Input, opts: &Options) -> (Result<(), SourceError>, Collect) {
        let mut whole = Collect::default();
        let r = parse_split(&WhatsappTxt, input, opts, &mut whole, &WHOLE);
        let want = everything(&r, &whole);
        let mut forking = Forking::default();
        let r2 = parse_split(&WhatsappTxt, input, opts, &mut forking, &WHOLE);
        let want_lines = (format!("{r2:?}"), forking.0);
        for split in &SPLITS {
            let mut c = Collect::default();
            let r = parse_split(&WhatsappTxt, input, opts, &mut c, split);
            let got = everything(&r, &c);
            if got != want {
                let at = first_difference(&want, &got);
                panic!(
                    "{}: in chunks ({split:?}) differs at line {}:\nwhole:  {}\nchunks: {}",
                    input.name,
                    at + 1,
                    want.lines().nth(at).unwrap_or("<end>"),
                    got.lines().nth(at).unwrap_or("<end>")
                );
            }
            let mut forking = Forking::default();
            let r = parse_split(&WhatsappTxt, input, opts, &mut forking, split);
            assert!(
                (format!("{r:?}"), forking.0) == want_lines,
                "{}: in chunks into a forking sink ({split:?}) differs",
                input.name
            );
        }
        (r, whole)
    }

    fn parse_text(text: &str, opts: &Options) -> Collect {
        let (r, c) = run_bytes("chat.txt", text.as_bytes(), opts);
        r.expect("parse");
        c
    }

    fn utc(m: &Message) -> &str {
        m.time.utc.as_deref().unwrap_or("-")
    }

    fn range(m: &Message) -> (u64, u64, u64) {
        match m.provenance.location {
            Location::Bytes { start, end, line } => (start, end, line.unwrap_or(0)),
            _ => panic!("not a byte range"),
        }
    }

    fn sender(m: &Message) -> &str {
        m.sender.name.as_deref().unwrap_or("")
    }

    /// Compares everything a parse yields with `<fixture>.expected.json`;
    /// `CUNZHENG_UPDATE_GOLDEN=1` rewrites it.
    fn golden(rel: &str, c: &Collect) {
        let got = serde_json::to_string_pretty(&serde_json::json!({
            "conversations": c.conversations,
            "messages": c.messages,
            "unparsed": c.unparsed,
            "warnings": c.warnings,
        }))
        .expect("json")
            + "\n";
        let path = data(&format!("{rel}.expected.json"));
        if std::env::var_os("CUNZHENG_UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).expect("write golden");
            return;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            let at = first_difference(&want, &got);
            panic!(
                "{} differs from the parse at line {}:\nexpected: {}\ngot:      {}\n\
                 (CUNZHENG_UPDATE_GOLDEN=1 rewrites it)",
                path.display(),
                at + 1,
                want.lines().nth(at).unwrap_or("<end>"),
                got.lines().nth(at).unwrap_or("<end>")
            );
        }
    }

    /// A generated chat with what crosses chunk boundaries: text before the first header,
    /// multi-line messages, CRLF line ends, bad UTF-8, lines longer than a chunk, a date
    /// order that only the last dates settle, and more senders than are listed.
    #[test]
    fn chunked_passes_match_the_line_reader() {
        let n = MAX_PARTICIPANTS + 300;
        let mut text = b"some text before the first header\r\n\r\n".to_vec();
        for i in 0..n {
            // Valid UTF-8 text around the bad bytes (else the file reads as GB18030). Days 1-12
            // (either order fits) until the last 100 lines, which say day first.
            let day = if i + 100 < n {
                1 + i * 12 / n
            } else {
                13 + i % 10
            };
            let eol: &[u8] = if i % 5 == 0 { b"\r\n" } else { b"\n" };
            text.extend(
                format!(
                    "{day:02}/01/2023, {:02}:{:02} - Sender {i}: message {i} 你好",
                    i / 60 % 24,
                    i % 60
                )
                .as_bytes(),
            );
            if i % 97 == 0 {
                text.extend(b" bad \xff byte");
            }
            if i % 50 == 0 {
                text.extend(b" long".repeat(60));
            }
            text.extend(eol);
            if i % 7 == 0 {
                text.extend(b"a second line\n\nand a fourth");
                text.extend(eol);
            }
        }
        let (r, c) = run_bytes("chat.txt", &text, &zone("UTC"));
        r.expect("parse");
        assert_eq!(c.messages.len(), n);
        assert_eq!(c.conversations[0].participants.len(), MAX_PARTICIPANTS);
        assert_eq!(c.unparsed.len(), 1);
        assert!(c.warnings.iter().any(|w| w.contains("distinct senders")));
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("line(s) are not valid UTF-8"))
        );
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2023-01-01T00:00:00Z")
        );
        assert_eq!(
            c.messages[7].body,
            "message 7 你好\na second line\n\nand a fourth"
        );
    }

    #[test]
    fn golden_outputs() {
        let mut files: Vec<String> = [
            "test_ddmmyy_24hrs.txt",
            "test_mmddyy_24hrs.txt",
            "test_mmddyyyy_12hrs.txt",
            "test_yyyymmdd_24hrs.txt",
            "test_[mmddyy]_24hrs.txt",
        ]
        .iter()
        .map(|f| format!("{CHAT_MINER}/{f}"))
        .collect();
        files.extend([PUSTUR, EMMA, LC_EXAMPLES, LC_LOADER].map(String::from));
        for f in files {
            golden(&f, &run(&data(&f), &Options::default()));
        }
    }

    /// The five chat-miner files hold one chat in five header formats; its `target.json`
    /// lists the wall times, authors and texts of the text messages.
    #[test]
    fn chat_miner_every_date_order() {
        let target: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("{CHAT_MINER}/target.json"))).expect("read"),
        )
        .expect("json");
        let target = target.as_array().expect("array");
        assert_eq!(target.len(), 6);
        let tz = jiff::tz::TimeZone::get("Asia/Kolkata").expect("tz");
        for (file, first_raw) in [
            ("test_ddmmyy_24hrs.txt", "01/01/19, 11:25"),
            ("test_mmddyy_24hrs.txt", "01/01/19, 11:25"),
            ("test_mmddyyyy_12hrs.txt", "01/01/2019, 11:25 a. m."),
            ("test_yyyymmdd_24hrs.txt", "2019/01/01, 11:25"),
            ("test_[mmddyy]_24hrs.txt", "01/01/19 11:25"),
        ] {
            let path = data(&format!("{CHAT_MINER}/{file}"));
            let c = run(&path, &zone("Asia/Kolkata"));
            assert!(c.warnings.is_empty(), "{file}: {:?}", c.warnings);
            assert!(c.unparsed.is_empty(), "{file}");
            assert_eq!(c.conversations.len(), 1);
            let conv = &c.conversations[0];
            assert_eq!(conv.platform, Platform::WhatsApp);
            assert_eq!(conv.id, file.trim_end_matches(".txt"));
            let names: Vec<_> = conv
                .participants
                .iter()
                .filter_map(|p| p.name.as_deref())
                .collect();
            assert_eq!(
                names,
                ["John Doe", "Jahn Doe", "John-John Doe", "John Doe 🤓", "🤓"],
                "{file}"
            );
            let m = &c.messages;
            assert_eq!(m.len(), 9, "{file}");
            assert_eq!(m[0].time.raw, first_raw);
            assert_eq!(utc(&m[0]), "2019-01-01T05:55:00Z", "{file}");
            assert_eq!(m[0].time.offset.as_deref(), Some("+05:30"));
            assert_eq!(m[0].time.zone_basis, "given");
            assert_eq!(utc(&m[8]), "2021-12-30T16:31:00Z", "{file}");
            // `John Doe:.`: a known sender without the space after the colon.
            assert_eq!((sender(&m[1]), m[1].body.as_str()), ("John Doe", "."));
            assert_eq!(utc(&m[1]), "2019-01-20T05:53:00Z", "{file}");
            // System lines: no `Name:` part.
            assert_eq!(m[4].kind, MessageKind::System);
            assert_eq!(m[4].body, "+12 345 578 created group \"Groupname\"");
            assert_eq!(m[4].sender, Party::default());
            assert_eq!(utc(&m[4]), "2020-06-19T18:38:00Z", "{file}");
            assert_eq!(
                (m[5].kind, m[5].body.as_str()),
                (MessageKind::System, "You were added")
            );
            // A message over two lines: the body keeps both, the range covers both.
            assert_eq!(m[2].id, "L3");
            assert_eq!(m[3].id, "L5");
            assert_eq!(
                m[2].body,
                "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
            );
            let bytes = std::fs::read(&path).expect("read");
            let (start, end, line) = range(&m[2]);
            assert_eq!(line, 3);
            let text = std::str::from_utf8(&bytes[start as usize..end as usize]).expect("utf8");
            assert!(
                text.ends_with(
                    ": Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
                ),
                "{file}"
            );
            assert_eq!(
                range(&m[8]).1,
                bytes.len() as u64,
                "last line has no newline"
            );
            // Every text message of the target, at its wall time.
            for t in target {
                let wall: jiff::civil::DateTime =
                    t["timestamp"].as_str().expect("ts").parse().expect("civil");
                let when = tz
                    .to_ambiguous_zoned_datetime(wall)
                    .compatible()
                    .expect("zoned")
                    .timestamp()
                    .to_string();
                let body = t["message"].as_str().expect("message");
                assert!(
                    m.iter().any(|m| utc(m) == when
                        && sender(m) == t["author"].as_str().expect("author")
                        && m.body.replace('\n', " ") == body
                        && m.kind == MessageKind::Text),
                    "{file}: {t}"
                );
            }
        }
    }

    #[test]
    fn ios_export_with_media() {
        let c = run(&data(PUSTUR), &zone("Europe/Zurich"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert!(c.unparsed.is_empty());
        let conv = &c.conversations[0];
        assert_eq!(conv.id, "_chat");
        assert_eq!(conv.title.as_deref(), Some("WhatsApp Chat Parser Example"));
        let names: Vec<_> = conv
            .participants
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();
        assert_eq!(names, ["John", "Loris", "Emily"]);
        let m = &c.messages;
        assert_eq!(m.len(), 52);
        assert_eq!(m[0].time.raw, "20.06.19, 15:58:47");
        assert_eq!(utc(&m[0]), "2019-06-20T13:58:47Z");
        assert_eq!(m[0].time.offset.as_deref(), Some("+02:00"));
        assert_eq!(m[0].time.zone.as_deref(), Some("Europe/Zurich"));
        assert_eq!(utc(&m[51]), "2019-06-20T14:45:28Z");
        assert_eq!(m[51].id, "L60");
        assert_eq!(
            m[51].body,
            "Links:\n- https://github.com/Pustur/whatsapp-chat-parser\n- https://github.com/Pustur/whatsapp-chat-parser-website"
        );
        let count = |k| m.iter().filter(|m| m.kind == k).count();
        assert_eq!(count(MessageKind::System), 4);
        assert!(m[..4].iter().all(|m| m.sender == Party::default()));
        assert_eq!(
            m[1].body,
            "Loris created group “WhatsApp Chat Parser Example”"
        );
        assert_eq!(count(MessageKind::Poll), 1);
        let media: Vec<_> = m
            .iter()
            .filter(|m| !m.attachments.is_empty())
            .map(|m| (m.kind, m.attachments[0].name.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            media,
            [
                (MessageKind::Image, "00000001-PHOTO-2019-06-20-16-00-15.jpg"),
                (MessageKind::Video, "00000002-VIDEO-2019-06-20-16-01-42.mp4"),
                (MessageKind::Voice, "00000003-AUDIO-2019-06-20-16-03-55.mp3"),
                (
                    MessageKind::File,
                    "00000004-whatsapp-chat-parser-example.zip"
                ),
            ]
        );
        // CRLF lines: no CR in bodies; the range ends before the CR.
        assert!(m.iter().all(|m| !m.body.contains('\r')));
        let bytes = std::fs::read(data(PUSTUR)).expect("read");
        let (start, end, _) = range(&m[4]);
        assert_eq!(
            &bytes[start as usize..end as usize],
            "[20.06.19, 15:58:53] John: Hey 👋".as_bytes()
        );
        assert_eq!(m[4].direction, Direction::Unknown);
    }

    #[test]
    fn owner_messages_are_outgoing() {
        let opts = Options {
            owner: vec!["loris".into()],
            ..Options::default()
        };
        let c = run(&data(PUSTUR), &opts);
        for m in &c.messages {
            let want = if sender(m) == "Loris" {
                Direction::Outgoing
            } else {
                Direction::Unknown
            };
            assert_eq!(m.direction, want, "{}", m.id);
        }
    }

    #[test]
    fn ios_marks_and_omitted_media() {
        let c = run(&data(LC_LOADER), &zone("America/Sao_Paulo"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let conv = &c.conversations[0];
        assert_eq!(conv.title.as_deref(), Some("Dr. Feather"));
        let names: Vec<_> = conv
            .participants
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();
        assert_eq!(names, ["Dr. Feather", "Jungle Jane"]);
        let m = &c.messages;
        assert_eq!(m.len(), 12);
        // `Dr. Feather: ‎Messages and calls are end-to-end encrypted`: the chat's name, then a
        // system line.
        assert_eq!(m[0].kind, MessageKind::System);
        assert_eq!(m[0].sender, Party::default());
        assert_eq!(m[0].extra["label"], "Dr. Feather");
        assert!(
            m[0].body
                .starts_with("Messages and calls are end-to-end encrypted.")
        );
        assert_eq!(utc(&m[0]), "2023-08-15T12:12:33Z");
        assert_eq!(m[0].time.offset.as_deref(), Some("-03:00"));
        let images: Vec<_> = m.iter().filter(|m| m.kind == MessageKind::Image).collect();
        assert_eq!(images.len(), 3);
        for i in images {
            assert_eq!(sender(i), "Dr. Feather");
            assert_eq!(i.body, "image omitted");
            assert!(i.attachments[0].omitted && i.attachments[0].name.is_none());
        }
        assert_eq!(utc(&m[11]), "2023-08-16T00:25:16Z");
        assert_eq!(m[11].time.raw, "8/15/23, 9:25:16 PM");
    }

    #[test]
    fn mixed_header_formats_in_one_file() {
        let c = run(&data(LC_EXAMPLES), &zone("UTC"));
        let m = &c.messages;
        let got: Vec<_> = m.iter().map(|m| (sender(m), utc(m), m.kind)).collect();
        use MessageKind::*;
        assert_eq!(
            got,
            [
                ("James", "2023-05-05T15:48:11Z", Text),
                ("User name", "2021-11-08T09:41:32Z", Text),
                ("User 2", "2023-01-23T03:19:00Z", Text),
                ("User 1", "2023-01-23T03:22:00Z", Text),
                ("~ User name 2", "2021-01-24T12:41:03Z", Text),
                ("~ User 2", "2023-05-04T16:13:23Z", Text),
                ("User 1", "2022-07-19T23:32:00Z", Text),
                ("User 2", "2022-07-20T11:32:00Z", Text),
                ("User 3", "2023-04-20T09:42:00Z", File),
                ("User 4", "2023-06-29T00:16:00Z", Recalled),
            ]
        );
        // Narrow no-break space before PM, kept in the raw time.
        assert_eq!(m[6].time.raw, "7/19/22, 11:32\u{202f}PM");
        assert!(m[8].attachments[0].omitted);
        assert_eq!(m[8].body, "<Media omitted>");
        assert_eq!(m[9].body, "This message was deleted");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("mixes 4 date layouts"));

        let c = run(&data(EMMA), &zone("UTC"));
        let got: Vec<_> = c
            .messages
            .iter()
            .map(|m| (sender(m), utc(m), m.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("John Doe", "2025-12-15T10:30:00Z", Text),
                ("Jane Smith", "2025-12-15T10:31:00Z", Text),
                ("Alice", "2025-12-15T10:32:03Z", Text),
                ("Bob", "2025-12-15T10:33:00Z", Text),
                ("Charlie", "2025-12-15T10:34:00Z", Text),
                ("", "2025-12-15T10:35:00Z", System),
                ("", "2025-12-15T10:36:00Z", System),
            ]
        );
        assert_eq!(
            c.messages[1].body,
            "Hi John! This is another Android message.\nIt has multiple lines\nto test grouping."
        );
        assert_eq!(c.messages[6].body, "Note System message on iOS.");
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("mixes 3 date layouts"))
        );
    }

    /// whatstk's samples are GPL-3.0: read from ../shared when it is there.
    #[test]
    fn whatstk_samples() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/whatsapp-txt/lucasrodes__whatstk/chats/whatsapp");
        if !dir.is_dir() {
            println!("SKIP: {} is absent", dir.display());
            return;
        }
        let c = run(&dir.join("pokemon.txt"), &zone("Europe/Berlin"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let m = &c.messages;
        assert_eq!(m.len(), 20);
        assert_eq!(
            (m[0].kind, m[0].extra["label"].as_str()),
            (MessageKind::System, Some("Pokemon Chat"))
        );
        assert_eq!(m[1].kind, MessageKind::System);
        assert_eq!(utc(&m[0]), "2016-04-15T13:04:00Z");
        assert_eq!(sender(&m[12]), "Jessie & James");
        assert_eq!(c.conversations[0].participants.len(), 8);
        assert_eq!(c.conversations[0].title.as_deref(), Some("Pokemon Chat"));

        for (file, n, first, last, people) in [
            (
                "lorem.txt",
                500,
                "2020-01-15T01:22:56Z",
                "2020-05-11T20:32:48Z",
                4,
            ),
            (
                "lorem-2000.txt",
                2000,
                "2019-04-16T00:09:00Z",
                "2020-06-12T22:00:00Z",
                4,
            ),
            (
                "lorem-merge-part1.txt",
                300,
                "2019-10-20T08:16:00Z",
                "2020-01-09T23:00:00Z",
                4,
            ),
            (
                "lorem-merge-part2.txt",
                300,
                "2020-06-20T08:16:00Z",
                "2020-09-09T22:00:00Z",
                5,
            ),
        ] {
            let c = run(&dir.join(file), &zone("Europe/Berlin"));
            assert!(c.warnings.is_empty(), "{file}: {:?}", c.warnings);
            assert!(c.unparsed.is_empty(), "{file}");
            assert_eq!(c.messages.len(), n, "{file}");
            assert_eq!(utc(&c.messages[0]), first, "{file}");
            assert_eq!(utc(&c.messages[n - 1]), last, "{file}");
            assert_eq!(c.conversations[0].participants.len(), people, "{file}");
            assert!(
                c.messages
                    .iter()
                    .all(|m| m.kind == MessageKind::Text && m.time.utc.is_some())
            );
        }
    }

    #[test]
    fn date_order_is_decided_per_file() {
        // Ambiguous until line 3: every line is read day-first, and nothing is left to warn.
        let c = parse_text(
            "01/02/2023, 10:00 - A: x\n05/02/2023, 10:00 - A: y\n13/02/2023, 10:00 - A: z\n",
            &zone("UTC"),
        );
        let got: Vec<_> = c.messages.iter().map(utc).collect();
        assert_eq!(
            got,
            [
                "2023-02-01T10:00:00Z",
                "2023-02-05T10:00:00Z",
                "2023-02-13T10:00:00Z"
            ]
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);

        // Never settled, but only month-first keeps the dates in time order.
        let c = parse_text(
            "01/02/23, 10:00 - A: x\n02/01/23, 10:00 - A: y\n",
            &zone("UTC"),
        );
        let got: Vec<_> = c.messages.iter().map(utc).collect();
        assert_eq!(got, ["2023-01-02T10:00:00Z", "2023-02-01T10:00:00Z"]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0].contains(
                "read as month/day/year (the only order that keeps the dates in time order)"
            ),
            "{}",
            c.warnings[0]
        );

        // Both orders keep time order: the usual order of the layout, with a warning.
        let c = parse_text(
            "01/02/23, 10:00 - A: x\n01/03/23, 10:00 - A: y\n",
            &zone("UTC"),
        );
        assert_eq!(utc(&c.messages[1]), "2023-03-01T10:00:00Z");
        assert!(
            c.warnings[0].contains("read as day/month/year (the usual order"),
            "{:?}",
            c.warnings
        );
        assert!(c.warnings[0].contains("month/day/year also fits"));
        let c = parse_text(
            "1/2/23, 10:00 AM - A: x\n1/3/23, 10:00 PM - A: y\n",
            &zone("UTC"),
        );
        assert_eq!(utc(&c.messages[1]), "2023-01-03T22:00:00Z");
        assert!(c.warnings[0].contains("read as month/day/year (the usual order"));

        // Day and month the same: whichever order, the same date; nothing to warn about.
        let c = parse_text("05/05/23, 10:00 - A: x\n", &zone("UTC"));
        assert_eq!(utc(&c.messages[0]), "2023-05-05T10:00:00Z");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);

        // Year first with two digits only when nothing else is a date.
        let c = parse_text("30/02/12, 10:00 - A: x\n", &zone("UTC"));
        assert_eq!(utc(&c.messages[0]), "2030-02-12T10:00:00Z");
        let c = parse_text(
            "2023-01-12 10:00 - A: x\n2023-01-13 10:00 - A: y\n",
            &zone("UTC"),
        );
        assert_eq!(utc(&c.messages[1]), "2023-01-13T10:00:00Z");
        assert!(c.warnings.is_empty());

        // No order fits both: the first is kept, the other's time is left unresolved.
        let c = parse_text(
            "13/01/2023, 10:00 - A: x\n01/13/2023, 10:00 - A: y\n",
            &zone("UTC"),
        );
        assert_eq!(c.messages.len(), 2);
        assert_eq!(utc(&c.messages[0]), "2023-01-13T10:00:00Z");
        assert_eq!(c.messages[1].time.utc, None);
        assert_eq!(c.messages[1].time.raw, "01/13/2023, 10:00");
        assert_eq!(c.messages[1].time.zone_basis, "unknown");
        assert!(
            c.warnings.iter().any(|w| w.contains("1 of 2 header(s)")),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn wall_times_across_dst_and_guessed_zone() {
        let text = "13/01/2023, 10:00 - A: winter\n26/03/2023, 02:30 - A: in the gap\n\
                    26/03/2023, 03:30 - A: summer\n29/10/2023, 02:30 - A: twice\n\
                    29/10/2023, 03:30 - A: winter again\n";
        let c = parse_text(text, &zone("Europe/Berlin"));
        let got: Vec<_> = c
            .messages
            .iter()
            .map(|m| (utc(m), m.time.offset.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                ("2023-01-13T09:00:00Z", "+01:00"),
                // Not a wall time in Berlin: read with the offset before the gap (as phones
                // do), which is the instant 03:30 summer time.
                ("2023-03-26T01:30:00Z", "+02:00"),
                ("2023-03-26T01:30:00Z", "+02:00"),
                // Twice a wall time: the first.
                ("2023-10-29T00:30:00Z", "+02:00"),
                ("2023-10-29T02:30:00Z", "+01:00"),
            ]
        );
        assert!(
            c.messages
                .iter()
                .all(|m| m.time.zone_basis == "given" && m.time.unit == "wall")
        );
        assert!(c.warnings.is_empty());

        let c = parse_text(text, &Options::default());
        assert_eq!(utc(&c.messages[0]), "2023-01-13T02:00:00Z");
        assert_eq!(c.messages[0].time.zone_basis, "guessed");
        assert_eq!(c.messages[0].time.zone.as_deref(), Some("Asia/Shanghai"));
        assert!(c.warnings[0].contains("a guess"));

        let c = parse_text(text, &zone("Mars/Olympus"));
        assert_eq!(c.messages[0].time.zone_basis, "guessed");
        assert!(c.warnings.iter().any(|w| w.contains("unknown time zone")));
    }

    #[test]
    fn locales() {
        let cases: &[(&str, &str, &str, &str)] = &[
            // (line, sender, UTC, body)
            (
                "١٣/٠١/٢٠٢٣، ١٠:٠٠ م - أحمد: مرحبا",
                "أحمد",
                "2023-01-13T22:00:00Z",
                "مرحبا",
            ),
            (
                "\u{200f}١٣/٠١/٢٠٢٣، ٩:٠٥ ص - أحمد: صباح",
                "أحمد",
                "2023-01-13T09:05:00Z",
                "صباح",
            ),
            (
                "۱۳/۰۱/۲۰۲۳، ۱۰:۳۰ ق.ظ. - علی: سلام",
                "علی",
                "2023-01-13T10:30:00Z",
                "سلام",
            ),
            (
                "۱۳/۰۱/۲۰۲۳، ۱۰:۳۰ ب.ظ. - علی: شب",
                "علی",
                "2023-01-13T22:30:00Z",
                "شب",
            ),
            (
                "2023/1/13 下午3:45 - 张三: 你好",
                "张三",
                "2023-01-13T15:45:00Z",
                "你好",
            ),
            (
                "[2023/1/13 上午12:05:09] 张三: 早",
                "张三",
                "2023-01-13T00:05:09Z",
                "早",
            ),
            (
                "13/1/23, 3:45 p. m. - Ana: hola",
                "Ana",
                "2023-01-13T15:45:00Z",
                "hola",
            ),
            (
                "13/1/23, 12:10 a. m. - Ana: tarde",
                "Ana",
                "2023-01-13T00:10:00Z",
                "tarde",
            ),
            (
                "13.01.23, 15:45 - Hans: Hallo",
                "Hans",
                "2023-01-13T15:45:00Z",
                "Hallo",
            ),
            (
                "2023. 1. 13. 오후 3:45 - 민수: 안녕",
                "민수",
                "2023-01-13T15:45:00Z",
                "안녕",
            ),
            (
                "13.1.2023 klo 15.45 - Matti: Hei",
                "Matti",
                "2023-01-13T15:45:00Z",
                "Hei",
            ),
            (
                "[13/01/2023, 3:45:00\u{202f}PM] Bob: nnbsp",
                "Bob",
                "2023-01-13T15:45:00Z",
                "nnbsp",
            ),
            (
                "\u{feff}13-01-2023 15:45 - Jan: bom",
                "Jan",
                "2023-01-13T15:45:00Z",
                "bom",
            ),
            (
                "\u{200e}[13/01/2023, 15:45:00] \u{200e}Eve: lrm",
                "Eve",
                "2023-01-13T15:45:00Z",
                "lrm",
            ),
        ];
        for (line, who, when, body) in cases {
            let c = parse_text(&format!("{line}\n"), &zone("UTC"));
            assert_eq!(c.messages.len(), 1, "{line}");
            let m = &c.messages[0];
            assert_eq!(
                (sender(m), utc(m), m.body.as_str()),
                (*who, *when, *body),
                "{line}"
            );
            assert!(c.warnings.is_empty(), "{line}: {:?}", c.warnings);
        }
        // The raw time keeps the digits as written.
        let c = parse_text("١٣/٠١/٢٠٢٣، ١٠:٠٠ م - أحمد: مرحبا\n", &zone("UTC"));
        assert_eq!(c.messages[0].time.raw, "١٣/٠١/٢٠٢٣، ١٠:٠٠ م");
        // A Solar Hijri year is kept raw, not read as Gregorian.
        let c = parse_text("۱۴۰۲/۱۰/۲۲، ۱۰:۳۰ - علی: سلام\n", &zone("UTC"));
        assert_eq!(c.messages[0].time.utc, None);
        assert!(c.warnings.iter().any(|w| w.contains("outside 1900-2200")));
    }

    #[test]
    fn kinds_attachments_and_markers() {
        use MessageKind::*;
        let text = "\
12/01/2023, 10:00 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.
12/01/2023, 10:01 - Alice created group \"Trip: Paris\"
12/01/2023, 10:02 - Alice changed the subject from \"Trip: Paris\" to \"Trip: Rome\"
12/01/2023, 10:03 - Alice added Bob
13/01/2023, 10:04 - Alice: IMG-20230113-WA0001.jpg (file attached)
Look at this
13/01/2023, 10:05 - Bob: PTT-20230113-WA0002.opus (file attached)
13/01/2023, 10:06 - Bob: STK-20230113-WA0003.webp (file attached)
13/01/2023, 10:07 - Bob: VID-20230113-WA0004.mp4 (file attached)
13/01/2023, 10:08 - Bob: Contract.pdf (file attached)
13/01/2023, 10:09 - Bob: Alice.vcf (file attached)
13/01/2023, 10:10 - Bob: <Media omitted>
13/01/2023, 10:11 - Alice: This message was deleted
13/01/2023, 10:12 - Bob: You deleted this message
13/01/2023, 10:13 - Alice: Send it now <This message was edited>
13/01/2023, 10:14 - Bob: location: https://maps.google.com/?q=1.0,2.0
13/01/2023, 10:15 - Alice: Missed voice call
13/01/2023, 10:16 - Alice: <Media omitted> is what it said
";
        let c = parse_text(text, &zone("UTC"));
        assert!(c.unparsed.is_empty());
        let got: Vec<_> = c
            .messages
            .iter()
            .map(|m| {
                let a = m.attachments.first();
                (
                    sender(m),
                    m.kind,
                    a.and_then(|a| a.name.as_deref()).unwrap_or(""),
                    a.is_some_and(|a| a.omitted),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("", System, "", false),
                ("", System, "", false),
                ("", System, "", false),
                ("", System, "", false),
                ("Alice", Image, "IMG-20230113-WA0001.jpg", false),
                ("Bob", Voice, "PTT-20230113-WA0002.opus", false),
                ("Bob", Sticker, "STK-20230113-WA0003.webp", false),
                ("Bob", Video, "VID-20230113-WA0004.mp4", false),
                ("Bob", File, "Contract.pdf", false),
                ("Bob", Contact, "Alice.vcf", false),
                ("Bob", File, "", true),
                ("Alice", Recalled, "", false),
                ("Bob", Recalled, "", false),
                ("Alice", Text, "", false),
                ("Bob", Location, "", false),
                ("Alice", Call, "", false),
                ("Alice", Text, "", false),
            ]
        );
        let m = &c.messages;
        assert_eq!(
            m[2].body,
            "Alice changed the subject from \"Trip: Paris\" to \"Trip: Rome\""
        );
        assert_eq!(
            m[4].body,
            "IMG-20230113-WA0001.jpg (file attached)\nLook at this"
        );
        assert_eq!(m[13].body, "Send it now");
        assert_eq!(
            m[13].edited.as_ref().map(|e| e.raw.as_str()),
            Some("<This message was edited>")
        );
        assert!(m[12].edited.is_none());
        let names: Vec<_> = c.conversations[0]
            .participants
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();
        assert_eq!(names, ["Alice", "Bob"]);
        assert_eq!(c.conversations[0].title.as_deref(), Some("Trip: Paris"));

        let ios = "\
[13/01/2023, 10:00:00] Trip: \u{200e}Messages and calls are end-to-end encrypted.
[13/01/2023, 10:00:01] Trip: \u{200e}Alice added Bob
\u{200e}[13/01/2023, 10:00:02] Alice: \u{200e}<attached: 00000012-PHOTO-2023-01-13-10-00-02.jpg>
[13/01/2023, 10:00:03] 张三: <附件：00000013-VIDEO-2023-01-13-10-00-03.mp4>
\u{200e}[13/01/2023, 10:00:04] Bob: \u{200e}sticker omitted
\u{200e}[13/01/2023, 10:00:05] Bob: \u{200e}audio omitted
\u{200e}[13/01/2023, 10:00:06] Bob: \u{200e}This message was deleted.
\u{200e}[13/01/2023, 10:00:07] Bob: \u{200e}Contract.pdf • 3 pages \u{200e}document omitted
[13/01/2023, 10:00:08] Alice: fixed \u{200e}<This message was edited>
\u{200e}[13/01/2023, 10:00:09] Alice: \u{200e}Missed video call
";
        let c = parse_text(ios, &zone("UTC"));
        let got: Vec<_> = c
            .messages
            .iter()
            .map(|m| {
                let a = m.attachments.first();
                (
                    sender(m),
                    m.kind,
                    a.and_then(|a| a.name.as_deref()).unwrap_or(""),
                    a.is_some_and(|a| a.omitted),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("", System, "", false),
                ("", System, "", false),
                (
                    "Alice",
                    Image,
                    "00000012-PHOTO-2023-01-13-10-00-02.jpg",
                    false
                ),
                (
                    "张三",
                    Video,
                    "00000013-VIDEO-2023-01-13-10-00-03.mp4",
                    false
                ),
                ("Bob", Sticker, "", true),
                ("Bob", Voice, "", true),
                ("Bob", Recalled, "", false),
                ("Bob", File, "", true),
                ("Alice", Text, "", false),
                ("Alice", Call, "", false),
            ]
        );
        let m = &c.messages;
        assert_eq!(m[1].body, "Alice added Bob");
        assert_eq!(m[1].extra["label"], "Trip");
        assert_eq!(m[8].body, "fixed");
        assert!(m[8].edited.is_some());
        assert_eq!(c.conversations[0].title.as_deref(), Some("Trip"));
        let names: Vec<_> = c.conversations[0]
            .participants
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();
        assert_eq!(names, ["Alice", "张三", "Bob"]);
    }

    #[test]
    fn conversation_from_file_name_and_phone_senders() {
        let text = "12/01/2023, 10:00 - +86 138 0013 8000: 转账五万\n";
        let (r, c) = run_bytes(
            "WhatsApp Chat with Alice.txt",
            text.as_bytes(),
            &zone("UTC"),
        );
        r.expect("parse");
        assert_eq!(c.conversations[0].id, "WhatsApp Chat with Alice");
        assert_eq!(c.conversations[0].title.as_deref(), Some("Alice"));
        assert_eq!(c.messages[0].conversation, "WhatsApp Chat with Alice");
        assert_eq!(
            c.messages[0].sender.account.as_deref(),
            Some("+86 138 0013 8000")
        );
        assert_eq!(c.messages[0].provenance.parser, "whatsapp-txt 1");
        assert_eq!(c.messages[0].id, "L1");
    }

    #[test]
    fn stray_text_and_unparsed_records() {
        let text = "\nexported by a tool\nsecond line\n12/01/2023, 10:00 - A: hi\n";
        let c = parse_text(text, &zone("UTC"));
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.unparsed.len(), 1);
        let u = &c.unparsed[0];
        assert_eq!(u.reason, "text before the first message header");
        assert_eq!(u.excerpt, "exported by a tool");
        assert_eq!(
            u.provenance.location,
            Location::Bytes {
                start: 1,
                end: 31,
                line: Some(2)
            }
        );
        assert_eq!(range(&c.messages[0]), (32, 57, 4));

        // Nothing that looks like WhatsApp: an error with a location.
        let (r, c) = run_bytes("x.txt", b"\n\nhello world\n", &zone("UTC"));
        match r {
            Err(SourceError::Format { location, .. }) => assert_eq!(location, "line 3"),
            other => panic!("{other:?}"),
        }
        assert!(c.messages.is_empty() && c.conversations.is_empty());

        // Empty: nothing, and no error.
        let (r, c) = run_bytes("x.txt", b"", &zone("UTC"));
        r.expect("empty");
        assert!(c.messages.is_empty());
    }

    #[test]
    fn huge_line_becomes_unparsed() {
        let mut text = b"12/01/2023, 10:00 - A: before\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_RECORD + 10));
        text.extend(b"\nstill the long message's tail\n12/01/2023, 10:01 - A: after\n");
        let (r, c) = run_bytes("x.txt", &text, &zone("UTC"));
        r.expect("parse");
        let bodies: Vec<_> = c.messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["before", "after"]);
        assert_eq!(c.unparsed.len(), 2);
        assert!(c.unparsed[0].reason.contains("longer than"));
        assert_eq!(
            c.unparsed[0].provenance.location,
            Location::Bytes {
                start: 30,
                end: 30 + MAX_RECORD as u64 + 10,
                line: Some(2)
            }
        );
        assert_eq!(c.unparsed[0].excerpt.len(), 200);
        assert_eq!(c.unparsed[1].excerpt, "still the long message's tail");
        assert_eq!(range(&c.messages[1]).2, 4);

        // A message that grows past the limit in continuation lines is cut, and said so.
        let mut text = b"12/01/2023, 10:00 - A: start\n".to_vec();
        let line = vec![b'y'; 1 << 20];
        for _ in 0..17 {
            text.extend(&line);
            text.push(b'\n');
        }
        text.extend(b"12/01/2023, 10:01 - A: after\n");
        let (r, c) = run_bytes("x.txt", &text, &zone("UTC"));
        r.expect("parse");
        assert_eq!(c.messages.len(), 2);
        assert_eq!(c.messages[0].extra["truncated"], true);
        assert!(c.messages[0].body.len() < MAX_RECORD);
        assert_eq!(c.unparsed.len(), 1);
        assert_eq!(c.messages[1].body, "after");
    }

    #[test]
    fn encodings() {
        let text = "12/01/2023, 10:00 - 张三: 转账\r\n第二行\r\n13/01/2023, 10:01 - Bob: ok\r\n";
        let want: Vec<(String, String)> = vec![
            ("张三".into(), "转账\n第二行".into()),
            ("Bob".into(), "ok".into()),
        ];
        let pairs = |c: &Collect| -> Vec<(String, String)> {
            c.messages
                .iter()
                .map(|m| (sender(m).to_owned(), m.body.clone()))
                .collect()
        };
        // UTF-16LE with BOM: ranges are in the file's own bytes.
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (r, c) = run_bytes("x.txt", &le, &zone("UTC"));
        r.expect("utf-16le");
        assert_eq!(pairs(&c), want);
        let first_line_units = "12/01/2023, 10:00 - 张三: 转账\r\n第二行"
            .encode_utf16()
            .count() as u64;
        assert_eq!(range(&c.messages[0]), (2, 2 + first_line_units * 2, 1));
        assert!(c.warnings.iter().any(|w| w.contains("UTF-16LE")));
        // UTF-16BE without BOM.
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let (r, c) = run_bytes("x.txt", &be, &zone("UTC"));
        r.expect("utf-16be");
        assert_eq!(pairs(&c), want);
        // GBK, as re-saved on Chinese Windows.
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let (r, c) = run_bytes("x.txt", &gbk, &zone("UTC"));
        r.expect("gbk");
        assert_eq!(pairs(&c), want);
        assert!(c.warnings.iter().any(|w| w.contains("GB18030")));
        // One bad byte in a UTF-8 file: replaced, marked, counted.
        let mut bad = text.as_bytes().to_vec();
        bad.splice(30..30, [0xFF]);
        let (r, c) = run_bytes("x.txt", &bad, &zone("UTC"));
        r.expect("bad utf-8");
        assert_eq!(c.messages.len(), 2);
        assert!(c.messages[0].body.contains('\u{fffd}'));
        assert_eq!(c.messages[0].extra["invalid_utf8"], true);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("1 line(s) are not valid UTF-8 (first: line 1)")),
            "{:?}",
            c.warnings
        );
    }

    /// Hands out data a few bytes at a time, so that lines straddle every read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = self.1 % 7 + 1;
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn line_splitting_across_reads() {
        let text = "a\r\nbb\n\nccc 张三\nlast";
        let want = ["a\r", "bb", "", "ccc 张三", "last"];
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (enc, bytes) in [
            (Enc::Utf8, text.as_bytes().to_vec()),
            (Enc::Utf16Le, utf16le),
            (Enc::Utf16Be, utf16be),
        ] {
            let mut lines = Lines::new(Trickle(&bytes, 0), enc, 0);
            let mut got = Vec::new();
            let mut ends = Vec::new();
            while let Some(l) = lines.next().expect("read") {
                let RawLine::Line { start, end, at } = l else {
                    panic!("long")
                };
                let b = lines.bytes(at);
                assert_eq!(&bytes[start as usize..end as usize], b);
                got.push(decode_line(b, enc).0.into_owned());
                ends.push(end);
            }
            let want: Vec<String> = want
                .iter()
                .map(|w| w.trim_end_matches('\r').to_owned())
                .collect();
            assert_eq!(got, want, "{enc:?}");
            assert_eq!(*ends.last().expect("lines"), bytes.len() as u64);
        }
        assert_eq!(find_byte(b"0123456789abcdef\n", b'\n'), Some(16));
        assert_eq!(find_byte(b"\x8a\x0a", b'\n'), Some(1));
        assert_eq!(
            find_byte(b"\x8a\x8a\x8a\x8a\x8a\x8a\x8a\x8a\x8a", b'\n'),
            None
        );
    }

    #[test]
    fn never_panics_on_damaged_input() {
        let good = std::fs::read(data(PUSTUR)).expect("read");
        // Cut anywhere, including inside a UTF-8 sequence.
        for cut in (0..good.len()).step_by(97).chain([1, 2, 3, good.len() - 1]) {
            let (r, c) = run_bytes("x.txt", &good[..cut], &zone("UTC"));
            if r.is_ok() && cut > 40 {
                assert!(!c.messages.is_empty(), "cut {cut}");
            }
        }
        // Garbage, and garbage that starts like a header.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut noise = Vec::new();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise.push((x >> 24) as u8);
        }
        for prefix in [
            &b""[..],
            b"12/01/2023, 10:00 - A: ",
            b"[1/2/3, 4:5:6] ",
            b"\xd9\xa1/",
        ] {
            let mut input = prefix.to_vec();
            input.extend(&noise);
            let (r, _) = run_bytes("x.txt", &input, &zone("UTC"));
            if let Err(e) = r {
                assert!(matches!(e, SourceError::Format { .. }), "{e}");
            }
        }
        for line in [
            "99/99/9999, 99:99 - A: x",
            "1/2/2023, 10:00 PM - A: x",
            "12/01/2023, 13:00 PM - A: x",
            "0/0/00, 0:00 - : ",
            "[12/01/2023, 10:00:60] A: leap",
            "12/01/2023,10:00 - A: no space",
            "\u{200e}\u{200e}[",
        ] {
            let _ = run_bytes("x.txt", line.as_bytes(), &zone("UTC"));
        }
        let c = parse_text("12/01/2023, 13:00 PM - A: x\n", &zone("UTC"));
        assert_eq!(c.messages[0].time.utc, None);
        assert!(c.warnings.iter().any(|w| w.contains("does not exist")));
    }

    /// The per-hour offset cache gives exactly what `Zone::wall` gives, DST changes included
    /// (30-minute and negative DST, a skipped day, offsets with seconds).
    #[test]
    fn wall_clock_matches_zone_wall() {
        for name in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Lord_Howe",
            "Europe/Dublin",
            "Pacific/Apia",
            "Asia/Kathmandu",
            "Africa/Monrovia",
            "Asia/Shanghai",
            "UTC",
        ] {
            let zone = Zone::given(name).expect("zone");
            let mut clock = WallClock::new(zone.clone());
            for (year, step) in [(2023, 7), (2011, 13), (1971, 29), (1950, 61)] {
                let mut t = jiff::civil::date(year, 1, 1).at(0, 0, 0, 0);
                let end = jiff::civil::date(year + 1, 1, 1).at(0, 0, 0, 0);
                while t < end {
                    let raw = t.to_string();
                    let ymd = (t.year() as u32, t.month() as u32, t.day() as u32);
                    let hms = (t.hour() as u8, t.minute() as u8, t.second() as u8);
                    assert_eq!(
                        clock.at(&raw, ymd, hms),
                        Some(zone.wall(&raw, t)),
                        "{name} {t}"
                    );
                    t = t.checked_add(jiff::Span::new().minutes(step)).expect("add");
                }
            }
        }
        assert_eq!(offset_seconds("+05:45"), Some(20_700));
        assert_eq!(offset_seconds("-00:44"), Some(-2640));
        assert_eq!(offset_seconds("+5:45"), None);
        assert_eq!(line_id(0), "L0");
        assert_eq!(line_id(1_234_567), "L1234567");
    }

    /// Times the two passes on `$WA_BENCH_FILE`:
    /// `WA_BENCH_FILE=… cargo test --release -p cunzheng-sources -- --ignored --nocapture time_passes`
    #[test]
    #[ignore]
    fn time_passes() {
        struct Count(u64);
        impl Sink for Count {
            fn conversation(&mut self, _: Conversation) {}
            fn message(&mut self, _: Message) {
                self.0 += 1;
            }
            fn unparsed(&mut self, _: Unparsed) {}
            fn warning(&mut self, _: String) {}
        }
        let Some(path) = std::env::var_os("WA_BENCH_FILE") else {
            println!("SKIP: WA_BENCH_FILE is not set");
            return;
        };
        let input = Input::open(Path::new(&path)).expect("open");
        let t = std::time::Instant::now();
        let s = survey(&input, &Split::auto()).expect("survey");
        println!("survey: {} headers in {:?}", s.headers, t.elapsed());
        let t = std::time::Instant::now();
        let mut sink = Count(0);
        WhatsappTxt
            .parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        println!(
            "parse (both passes): {} messages in {:?}",
            sink.0,
            t.elapsed()
        );
    }

    #[test]
    fn sniffing() {
        let sniff = |bytes: &[u8]| sniff_head(bytes);
        for f in [PUSTUR, EMMA, LC_EXAMPLES, LC_LOADER] {
            let bytes = std::fs::read(data(f)).expect("read");
            assert!(sniff(&bytes) >= 75, "{f}: {}", sniff(&bytes));
        }
        for f in [
            "test_ddmmyy_24hrs.txt",
            "test_[mmddyy]_24hrs.txt",
            "test_mmddyyyy_12hrs.txt",
        ] {
            let bytes = std::fs::read(data(&format!("{CHAT_MINER}/{f}"))).expect("read");
            assert_eq!(sniff(&bytes), 90, "{f}");
        }
        // Signal's text export looks like a year-first iOS header without seconds.
        assert!(sniff(b"[2019-12-24, 12:23] Jane Doe: Hello John!\n[2020-01-17, 21:49] John Doe: Hello\nJane!\n") <= 55);
        assert_eq!(
            sniff(b"===\nheader\n===\n\n1883-03-07 11:22:33 A(123123)\nA\n"),
            0
        );
        assert_eq!(sniff(b"{\"messages\": []}"), 0);
        assert_eq!(sniff(b""), 0);
        let utf16: Vec<u8> = "\u{feff}12/01/2023, 10:00 - A: x\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(sniff(&utf16), 90);
    }
}
