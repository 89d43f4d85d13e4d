//! Line-by-line reading of text exports of unknown encoding (QQ and WeChat exports), with the
//! exact byte range and 1-based line number of every line, without holding the file whole.
//!
//! The encoding is chosen once from the file's head with [`crate::text::decode`] (BOM, then
//! UTF-8, then UTF-16 without BOM, else GB18030); lines are split on the encoding's own
//! newline unit, so a UTF-16 `0x0A` byte inside a character (上 = `0A 4E`) never splits a line.

use std::io::{BufRead, BufReader, Read};

use encoding_rs::Encoding;

use crate::source::MAX_RECORD;

/// The encoding of a text file and how many BOM bytes precede its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextEncoding {
    pub enc: &'static Encoding,
    pub bom_len: usize,
}

impl TextEncoding {
    /// From the first bytes of the file.
    pub fn detect(head: &[u8]) -> Self {
        if let Some((enc, bom_len)) = Encoding::for_bom(head) {
            return Self { enc, bom_len };
        }
        // A head cut in the middle of a UTF-8 character is still UTF-8.
        let sample = match std::str::from_utf8(head) {
            Err(e) if e.error_len().is_none() => head.get(..e.valid_up_to()).unwrap_or(head),
            _ => head,
        };
        let (_, name) = crate::text::decode(sample);
        let enc = Encoding::for_label(name.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        Self { enc, bom_len: 0 }
    }

    /// The encoding's name (`UTF-8`, `GB18030`, `UTF-16LE`, …), with `+BOM` when it had one.
    pub fn label(&self) -> String {
        if self.bom_len > 0 {
            format!("{}+BOM", self.enc.name())
        } else {
            self.enc.name().to_owned()
        }
    }

    fn unit(&self) -> Unit {
        if self.enc == encoding_rs::UTF_16LE {
            Unit::Le16
        } else if self.enc == encoding_rs::UTF_16BE {
            Unit::Be16
        } else {
            Unit::Byte
        }
    }

    /// Decodes one line's bytes (newline included or not); `true` when bytes were invalid.
    pub fn decode_line(&self, bytes: &[u8]) -> (String, bool) {
        let (text, had_errors) = self.enc.decode_without_bom_handling(bytes);
        let t = text.trim_end_matches(['\n', '\r']).to_owned();
        (t, had_errors)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Byte,
    Le16,
    Be16,
}

/// One line as read: where it is, and its bytes (with the newline).
#[derive(Debug)]
pub(crate) struct RawLine {
    /// Byte offset of its first byte in the file.
    pub start: u64,
    /// One past its last byte (newline included).
    pub end: u64,
    /// 1-based line number.
    pub line: u64,
    /// Its bytes, at most [`MAX_RECORD`]; `truncated` says when more were skipped.
    pub bytes: Vec<u8>,
    /// The line was longer than [`MAX_RECORD`]: the rest was skipped, up to the newline.
    pub truncated: bool,
}

/// Reads lines of an encoded text file, skipping its BOM.
pub(crate) struct LineReader<R: Read> {
    inner: BufReader<R>,
    unit: Unit,
    pos: u64,
    line: u64,
    /// First byte of a UTF-16 code unit whose second byte is still to come.
    half: Option<u8>,
}

fn push(b: u8, bytes: &mut Vec<u8>, truncated: &mut bool) {
    if bytes.len() < MAX_RECORD {
        bytes.push(b);
    } else {
        *truncated = true;
    }
}

impl<R: Read> LineReader<R> {
    /// A reader positioned after the BOM (the BOM bytes are consumed here).
    pub fn new(inner: R, enc: TextEncoding) -> std::io::Result<Self> {
        let mut inner = BufReader::with_capacity(64 * 1024, inner);
        let mut skip = enc.bom_len;
        while skip > 0 {
            let n = inner.fill_buf()?.len().min(skip);
            if n == 0 {
                break;
            }
            inner.consume(n);
            skip -= n;
        }
        Ok(Self {
            inner,
            unit: enc.unit(),
            pos: (enc.bom_len - skip) as u64,
            line: 0,
            half: None,
        })
    }

    /// Bytes read so far (the offset of the next line).
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// The next line, `None` at the end of the file.
    pub fn next_line(&mut self) -> std::io::Result<Option<RawLine>> {
        let start = self.pos;
        let mut bytes = Vec::new();
        let mut truncated = false;
        let mut done = false;
        while !done {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let mut used = 0;
            match self.unit {
                Unit::Byte => {
                    let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
                        Some(i) => (buf.get(..=i).unwrap_or(buf), true),
                        None => (buf, false),
                    };
                    let room = MAX_RECORD.saturating_sub(bytes.len());
                    if chunk.len() > room {
                        truncated = true;
                    }
                    bytes.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or(&[]));
                    used = chunk.len();
                    done = found;
                }
                Unit::Le16 | Unit::Be16 => {
                    for &b in buf {
                        used += 1;
                        push(b, &mut bytes, &mut truncated);
                        match self.half.take() {
                            None => self.half = Some(b),
                            Some(first) => {
                                let nl = match self.unit {
                                    Unit::Le16 => first == 0x0A && b == 0,
                                    _ => first == 0 && b == 0x0A,
                                };
                                if nl {
                                    done = true;
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            self.inner.consume(used);
            self.pos += used as u64;
        }
        let end = self.pos;
        if end == start {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some(RawLine {
            start,
            end,
            line: self.line,
            bytes,
            truncated,
        }))
    }
}

/// One CSV record (RFC 4180 quoting, fields may span lines) with its byte range.
#[derive(Debug)]
pub(crate) struct CsvRecord {
    pub start: u64,
    pub end: u64,
    /// 1-based line of its first byte.
    pub line: u64,
    pub fields: Vec<String>,
    /// Longer than [`MAX_RECORD`], or a quote never closed before the end of the file.
    pub broken: Option<&'static str>,
    /// Some bytes were invalid in the file's encoding.
    pub decode_errors: bool,
    /// The record's text (for excerpts).
    pub text: String,
}

/// Splits one record's text into fields.
fn split_csv(text: &str) -> (Vec<String>, bool) {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    fields.push(cur);
    (fields, quoted)
}

/// Reads CSV records over a [`LineReader`].
pub(crate) fn next_csv_record<R: Read>(
    reader: &mut LineReader<R>,
    enc: &TextEncoding,
) -> std::io::Result<Option<CsvRecord>> {
    let Some(first) = reader.next_line()? else {
        return Ok(None);
    };
    let (mut text, mut bad) = enc.decode_line(&first.bytes);
    let mut rec = CsvRecord {
        start: first.start,
        end: first.end,
        line: first.line,
        fields: Vec::new(),
        broken: first
            .truncated
            .then_some("record longer than the record limit"),
        decode_errors: false,
        text: String::new(),
    };
    // An odd number of quotes so far means a field goes on to the next line.
    while rec.broken.is_none() && text.matches('"').count() % 2 == 1 {
        match reader.next_line()? {
            Some(l) => {
                let (t, b) = enc.decode_line(&l.bytes);
                bad |= b;
                rec.end = l.end;
                if l.truncated || text.len() + t.len() > MAX_RECORD {
                    rec.broken = Some("record longer than the record limit");
                    break;
                }
                text.push('\n');
                text.push_str(&t);
            }
            None => {
                rec.broken = Some("quoted field not closed before the end of the file");
                break;
            }
        }
    }
    if rec.broken.is_none() {
        let (fields, open) = split_csv(&text);
        rec.fields = fields;
        if open {
            rec.broken = Some("quoted field not closed");
        }
    }
    rec.decode_errors = bad;
    rec.text = text;
    Ok(Some(rec))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8]) -> Vec<(u64, u64, u64, String)> {
        let enc = TextEncoding::detect(data);
        let mut r = LineReader::new(data, enc).expect("reader");
        let mut out = Vec::new();
        while let Some(l) = r.next_line().expect("line") {
            out.push((l.start, l.end, l.line, enc.decode_line(&l.bytes).0));
        }
        out
    }

    #[test]
    fn utf16_newline_inside_a_character_does_not_split() {
        // 上 is U+4E0A: its little-endian bytes are 0A 4E.
        let mut data = vec![0xFF, 0xFE];
        data.extend("上\r\n下".encode_utf16().flat_map(u16::to_le_bytes));
        let l = lines(&data);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0], (2, 8, 1, "上".to_owned()));
        assert_eq!(l[1], (8, 10, 2, "下".to_owned()));
    }

    #[test]
    fn csv_records_span_lines() {
        let data = "a,b\r\n1,\"x\r\n\"\"y\"\"\",z\r\n2,\"open\r\n".as_bytes();
        let enc = TextEncoding::detect(data);
        let mut r = LineReader::new(data, enc).expect("reader");
        let h = next_csv_record(&mut r, &enc).expect("io").expect("rec");
        assert_eq!(h.fields, ["a", "b"]);
        let rec = next_csv_record(&mut r, &enc).expect("io").expect("rec");
        assert_eq!(rec.fields, ["1", "x\n\"y\"", "z"]);
        assert_eq!((rec.start, rec.line), (5, 2));
        let bad = next_csv_record(&mut r, &enc).expect("io").expect("rec");
        assert!(bad.broken.is_some());
        assert!(next_csv_record(&mut r, &enc).expect("io").is_none());
    }

    #[test]
    fn byte_ranges_and_gb18030() {
        let (gbk, _, _) = encoding_rs::GBK.encode("消息\n记录\n");
        let l = lines(&gbk);
        assert_eq!(l[0], (0, 5, 1, "消息".to_owned()));
        assert_eq!(l[1], (5, 10, 2, "记录".to_owned()));
        assert_eq!(TextEncoding::detect(&gbk).label(), "gb18030");
    }
}
