//! QQ 消息管理器 "导出消息记录" text export (classic PC QQ, before QQ NT).
//!
//! Layout (FORMATS-CN.md §5.1): an optional title line, blocks of `消息分组:` / `消息对象:`
//! between lines of `=`, then messages: a header line `2019-07-16 18:15:05 地瓜(23333233)`
//! (or `昵称<mail>`, or a bare nickname in private chats; hour may be one digit; Windows may
//! write `8:43:38 PM`), body lines, a blank line. Times are wall-clock times of the exporting
//! machine with no offset written: they are read in the examiner's zone, else Asia/Shanghai,
//! and marked guessed.

use std::collections::HashSet;

use cunzheng_model::{Conversation, Direction, Location, Message, Platform, Unparsed};
use regex::Regex;
use std::sync::LazyLock;

use super::common_cn_lines::{LineReader, RawLine, TextEncoding};
use super::qq_common::{QqSender, body_kind, group_kind};
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The QQ TXT export parser.
pub struct QqTxt;

static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))? (\S.*)$")
        .unwrap_or_else(|_| unreachable!())
});

fn is_separator(line: &str) -> bool {
    line.len() >= 3 && line.bytes().all(|b| b == b'=')
}

fn label<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?;
    rest.strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))
        .map(str::trim)
}

impl Source for QqTxt {
    fn id(&self) -> &'static str {
        "qq-txt"
    }
    fn name(&self) -> &'static str {
        "QQ text export (消息管理器 .txt)"
    }
    fn description(&self) -> &'static str {
        "Classic PC QQ 消息管理器 text export: 消息分组/消息对象 blocks and `date time 昵称(QQ号)` \
         or `昵称<e-mail>` headers with body lines; GB18030/GBK, UTF-8 (with or without BOM) or \
         UTF-16. Wall times, read in the given zone else Asia/Shanghai (guessed). Images and \
         files are only placeholders ([图片]); QQ NT cannot write this export."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["*.txt"]
    }
    fn tier(&self) -> Tier {
        // Built from public parsers' documentation and tests; one tiny synthetic sample.
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let enc = TextEncoding::detect(&input.head);
        let (text, _) = enc
            .enc
            .decode_without_bom_handling(input.head.get(enc.bom_len..).unwrap_or(&[]));
        let mut score = 0u8;
        let mut headers = 0;
        for line in text.lines().take(200) {
            let line = line.trim_end_matches('\r');
            if line.starts_with("消息记录（此消息记录为文本格式") {
                score = score.max(70);
            }
            if label(line, "消息分组").is_some() || label(line, "消息对象").is_some() {
                score = score.max(80);
            }
            if let Some(c) = HEADER.captures(line) {
                let s = QqSender::parse(c.get(8).map_or("", |m| m.as_str()));
                if s.account.is_some() {
                    headers += 1;
                }
            }
        }
        if headers > 0 {
            score = score.saturating_add(if score > 0 { 15 } else { 45 });
            if headers > 1 {
                score = score.saturating_add(10);
            }
        }
        score.min(95)
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let enc = TextEncoding::detect(&input.head);
        let mut reader = LineReader::new(file, enc).map_err(|e| SourceError::io(&input.path, e))?;
        let (zone, zone_warning) = Zone::from_options(opts);
        if let Some(w) = zone_warning {
            sink.warning(w);
        }
        if zone.is_guessed() {
            sink.warning(format!(
                "qq-txt: times have no offset in the file; read as {} (guessed)",
                zone.name()
            ));
        }
        let mut st = State {
            tag: self.parser_tag(),
            input,
            opts,
            zone,
            enc,
            enc_label: enc.label(),
            group: None,
            conv: None,
            conv_ids: HashSet::new(),
            pending: None,
            prev_blank: true,
            after_sep: false,
            decode_errors: 0,
        };
        loop {
            let raw = match reader.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    st.flush(sink);
                    return Err(SourceError::Format {
                        location: format!("byte {}", reader.pos()),
                        message: format!("read error: {e}"),
                    });
                }
            };
            st.line(raw, sink);
        }
        st.flush(sink);
        if st.decode_errors > 0 {
            sink.warning(format!(
                "qq-txt: {} line(s) had bytes invalid in {} (shown as U+FFFD)",
                st.decode_errors, st.enc_label
            ));
        }
        Ok(())
    }
}

/// A message being read: its header and the body lines so far.
struct Pending {
    start: u64,
    end: u64,
    line: u64,
    date_raw: String,
    dt: Option<jiff::civil::DateTime>,
    sender: QqSender,
    body: Vec<String>,
    /// Where the body ends without trailing blank lines.
    body_end: u64,
    decode_error: bool,
}

struct State<'a> {
    tag: String,
    input: &'a Input,
    opts: &'a Options,
    zone: Zone,
    enc: TextEncoding,
    enc_label: String,
    group: Option<String>,
    /// Current conversation id, once emitted.
    conv: Option<String>,
    conv_ids: HashSet<String>,
    pending: Option<Pending>,
    prev_blank: bool,
    /// The previous non-blank line was a `====` separator: 消息分组/消息对象 lines count
    /// only there, so a message body that starts with those words is not a header.
    after_sep: bool,
    decode_errors: u64,
}

impl State<'_> {
    fn unparsed(&self, raw: &RawLine, text: &str, reason: &str, sink: &mut dyn Sink) {
        sink.unparsed(Unparsed {
            provenance: self.input.provenance(
                &self.tag,
                Location::Bytes {
                    start: raw.start,
                    end: raw.end,
                    line: Some(raw.line),
                },
            ),
            reason: reason.to_owned(),
            excerpt: text.chars().take(200).collect(),
        });
    }

    fn open_conversation(&mut self, title: Option<String>, sink: &mut dyn Sink) {
        let base = title.clone().unwrap_or_else(|| "qq-txt".to_owned());
        let mut id = base.clone();
        let mut n = 1;
        while !self.conv_ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}#{n}");
        }
        sink.conversation(Conversation {
            platform: Platform::Qq,
            id: id.clone(),
            title,
            kind: self.group.as_deref().and_then(group_kind),
            participants: Vec::new(),
        });
        self.conv = Some(id);
    }

    fn line(&mut self, raw: RawLine, sink: &mut dyn Sink) {
        let (text, bad) = self.enc.decode_line(&raw.bytes);
        if bad {
            self.decode_errors += 1;
        }
        if raw.truncated {
            self.flush(sink);
            self.unparsed(
                &raw,
                &text,
                "line longer than the record limit; skipped",
                sink,
            );
            self.prev_blank = false;
            return;
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            self.prev_blank = true;
            return;
        }
        if is_separator(trimmed) {
            self.flush(sink);
            self.after_sep = true;
            self.prev_blank = true;
            return;
        }
        let after_sep = std::mem::replace(&mut self.after_sep, false);
        if let Some(g) = label(trimmed, "消息分组").filter(|_| after_sep) {
            self.flush(sink);
            self.group = Some(g.to_owned());
            self.prev_blank = true;
            return;
        }
        if let Some(o) = label(trimmed, "消息对象").filter(|_| after_sep) {
            self.flush(sink);
            self.open_conversation(Some(o.to_owned()), sink);
            self.prev_blank = true;
            return;
        }
        if trimmed.starts_with("消息记录（此消息记录为文本格式") && self.pending.is_none()
        {
            self.prev_blank = true;
            return;
        }
        if let Some(c) = HEADER.captures(&text) {
            let sender = QqSender::parse(c.get(8).map_or("", |m| m.as_str()));
            // A bare-nickname header only counts after a blank line: a body line may
            // start with a date.
            if self.prev_blank || sender.account.is_some() || self.pending.is_none() {
                self.flush(sink);
                let num = |i: usize| -> Option<i64> { c.get(i)?.as_str().parse().ok() };
                let mut hour = num(4).unwrap_or(99);
                if let Some(ampm) = c.get(7) {
                    let pm = ampm.as_str().eq_ignore_ascii_case("pm");
                    hour = match (hour, pm) {
                        (12, false) => 0,
                        (12, true) => 12,
                        (h, true) => h + 12,
                        (h, false) => h,
                    };
                }
                let dt = (|| {
                    jiff::civil::DateTime::new(
                        i16::try_from(num(1)?).ok()?,
                        i8::try_from(num(2)?).ok()?,
                        i8::try_from(num(3)?).ok()?,
                        i8::try_from(hour).ok()?,
                        i8::try_from(num(5)?).ok()?,
                        i8::try_from(num(6)?).ok()?,
                        0,
                    )
                    .ok()
                })();
                let date_end = c.get(8).map_or(0, |m| m.start());
                self.pending = Some(Pending {
                    start: raw.start,
                    end: raw.end,
                    line: raw.line,
                    date_raw: text.get(..date_end).unwrap_or("").trim_end().to_owned(),
                    dt,
                    sender,
                    body: Vec::new(),
                    body_end: raw.end,
                    decode_error: bad,
                });
                self.prev_blank = false;
                return;
            }
        }
        match &mut self.pending {
            Some(p) => {
                // Blank lines inside a body are kept as written.
                if self.prev_blank && !p.body.is_empty() {
                    p.body.push(String::new());
                }
                p.body.push(text.clone());
                p.end = raw.end;
                p.body_end = raw.end;
                p.decode_error |= bad;
            }
            None => {
                let reason = if after_sep {
                    "header line not recognised (not 消息分组/消息对象)"
                } else {
                    "line outside any message"
                };
                self.unparsed(&raw, &text, reason, sink);
            }
        }
        self.prev_blank = false;
    }

    fn flush(&mut self, sink: &mut dyn Sink) {
        let Some(p) = self.pending.take() else {
            return;
        };
        if self.conv.is_none() {
            self.open_conversation(None, sink);
        }
        let conversation = self.conv.clone().unwrap_or_default();
        let time = match p.dt {
            Some(dt) => self.zone.wall(&p.date_raw, dt),
            None => unresolved(&p.date_raw, "wall"),
        };
        let body = p.body.join("\n");
        let system = p.sender.is_system();
        let kind = body_kind(&body, system);
        let direction = if p.sender.is_owner(&self.opts.owner) {
            Direction::Outgoing
        } else if self.opts.owner.is_empty() {
            Direction::Unknown
        } else {
            Direction::Incoming
        };
        let mut extra = serde_json::Map::new();
        extra.insert("sender_raw".into(), p.sender.raw.clone().into());
        if let Some(b) = &p.sender.badge {
            extra.insert("title_badge".into(), b.clone().into());
        }
        if let Some(g) = &self.group {
            extra.insert("group".into(), g.clone().into());
        }
        extra.insert("encoding".into(), self.enc_label.clone().into());
        if p.decode_error {
            extra.insert("decode_errors".into(), true.into());
        }
        sink.message(Message {
            id: format!("L{}", p.line),
            conversation,
            sender: if system {
                cunzheng_model::Party {
                    name: Some(p.sender.name.clone()),
                    account: p.sender.account.clone(),
                }
            } else {
                p.sender.party()
            },
            direction,
            kind,
            body,
            time,
            attachments: Vec::new(),
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: self.input.provenance(
                &self.tag,
                Location::Bytes {
                    start: p.start,
                    end: p.body_end.max(p.end),
                    line: Some(p.line),
                },
            ),
            extra: serde_json::Value::Object(extra),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use cunzheng_model::MessageKind;
    use std::path::PathBuf;

    fn data_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/qq-txt")
    }

    fn run_bytes(bytes: &[u8], opts: &Options) -> (Collect, Result<(), SourceError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("export.txt");
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        let r = QqTxt.parse(&input, opts, &mut sink);
        (sink, r)
    }

    #[test]
    fn real_sample_hikariyo() {
        // tests/data/qq-txt/hikariyo__qq-chat-history/tests/file.txt (MIT): a tiny synthetic
        // file in the export's shape, the only openly licensed QQ TXT sample there is.
        let path = data_dir().join("hikariyo__qq-chat-history/tests/file.txt");
        let input = Input::open(&path).expect("fixture");
        assert!(QqTxt.sniff(&input) >= 50, "sniff {}", QqTxt.sniff(&input));
        let mut sink = Collect::default();
        QqTxt
            .parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        assert_eq!(sink.conversations.len(), 1);
        assert_eq!(sink.messages.len(), 2);
        let m = &sink.messages[0];
        assert_eq!(m.sender.name.as_deref(), Some("A"));
        assert_eq!(m.sender.account.as_deref(), Some("123123"));
        assert_eq!(m.body, "A");
        assert_eq!(m.time.raw, "1883-03-07 11:22:33");
        // 1883 Shanghai is local mean time, +08:05:43.
        assert_eq!(m.time.utc.as_deref(), Some("1883-03-07T03:16:50Z"));
        assert_eq!(m.time.zone_basis, "guessed");
        let last = &sink.messages[1];
        assert_eq!(last.sender.account.as_deref(), Some("456456"));
        assert_eq!(last.time.utc.as_deref(), Some("1883-03-07T04:29:13Z"));
        assert_eq!(
            last.provenance.location,
            Location::Bytes {
                start: 64,
                end: 96,
                line: Some(8)
            }
        );
        // "假装我是文件头" between the === lines is not a 消息分组/消息对象 line: kept as unparsed.
        assert_eq!(sink.unparsed.len(), 1);
        assert_eq!(sink.unparsed[0].excerpt, "假装我是文件头");
    }

    /// Built from FORMATS-CN.md §5.1 (no openly licensed full export exists): title line,
    /// two conversations, e-mail sender, badge, one-digit hour, 12-hour clock, system sender,
    /// multi-line body, placeholders, CRLF line ends.
    const DOC_SAMPLE: &str = "消息记录（此消息记录为文本格式，不支持重新导入）\r\n\r\n\
================================================================\r\n\
消息分组:我的群聊\r\n\
================================================================\r\n\
消息对象:反诈交流群\r\n\
================================================================\r\n\
\r\n\
2019-07-16 18:15:05 地瓜(23333233)\r\n\
第一行\r\n\
第二行\r\n\
\r\n\
2019-07-16 8:01:00 【管理员】张三(123)\r\n\
[图片]\r\n\
\r\n\
2019-09-23 8:43:38 PM 骰娘(87200175)\r\n\
晚上好\r\n\
\r\n\
2019-09-23 21:00:00 Bob<bob@example.com>\r\n\
转账 50000\r\n\
\r\n\
2019-09-23 21:01:00 系统消息(10000)\r\n\
张三撤回了一条消息\r\n\
\r\n\
================================================================\r\n\
消息分组:我的好友\r\n\
================================================================\r\n\
消息对象:李四\r\n\
================================================================\r\n\
\r\n\
2020-01-01 00:00:00 李四\r\n\
新年好\r\n\
\r\n\
2020-01-01 00:00:05 我\r\n\
2020-01-02 10:00:00 开会\r\n\r\n";

    fn check_doc_sample(sink: &Collect) {
        assert_eq!(sink.conversations.len(), 2, "{:?}", sink.unparsed);
        assert_eq!(sink.conversations[0].id, "反诈交流群");
        assert_eq!(sink.conversations[0].kind.as_deref(), Some("group"));
        assert_eq!(sink.conversations[1].kind.as_deref(), Some("private"));
        assert_eq!(sink.messages.len(), 7, "{:?}", sink.unparsed);
        assert!(sink.unparsed.is_empty(), "{:?}", sink.unparsed);
        let m = &sink.messages;
        assert_eq!(m[0].body, "第一行\n第二行");
        assert_eq!(m[0].time.utc.as_deref(), Some("2019-07-16T10:15:05Z"));
        assert_eq!(m[0].time.offset.as_deref(), Some("+08:00"));
        assert_eq!(m[1].kind, MessageKind::Image);
        assert_eq!(m[1].sender.name.as_deref(), Some("张三"));
        assert_eq!(m[1].extra["title_badge"], "【管理员】");
        assert_eq!(m[1].time.utc.as_deref(), Some("2019-07-16T00:01:00Z"));
        assert_eq!(m[2].time.raw, "2019-09-23 8:43:38 PM");
        assert_eq!(m[2].time.utc.as_deref(), Some("2019-09-23T12:43:38Z"));
        assert_eq!(m[3].sender.account.as_deref(), Some("bob@example.com"));
        assert_eq!(m[4].kind, MessageKind::Recalled);
        assert_eq!(m[5].conversation, "李四");
        assert_eq!(m[5].sender.account, None);
        // A body line starting with a date is not a header (no blank line before it, no id).
        assert_eq!(m[6].body, "2020-01-02 10:00:00 开会");
        assert_eq!(m[6].direction, Direction::Outgoing);
        assert_eq!(m[5].direction, Direction::Incoming);
    }

    fn owner_opts() -> Options {
        Options {
            owner: vec!["我".into()],
            ..Options::default()
        }
    }

    #[test]
    fn documented_shape_in_four_encodings() {
        // UTF-8
        let (sink, r) = run_bytes(DOC_SAMPLE.as_bytes(), &owner_opts());
        r.expect("utf-8");
        check_doc_sample(&sink);
        assert_eq!(sink.messages[0].extra["encoding"], "UTF-8");
        // UTF-8 with BOM
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(DOC_SAMPLE.as_bytes());
        let (sink, r) = run_bytes(&bom, &owner_opts());
        r.expect("utf-8 bom");
        check_doc_sample(&sink);
        // The BOM shifts byte ranges by 3.
        let Location::Bytes { start, .. } = sink.messages[0].provenance.location else {
            panic!("location")
        };
        let plain = DOC_SAMPLE.find("2019-07-16 18:15:05").expect("find") as u64;
        assert_eq!(start, plain + 3);
        // GB18030 (what GBK Windows QQ writes)
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(DOC_SAMPLE);
        assert!(!unmappable);
        let (sink, r) = run_bytes(&gb, &owner_opts());
        r.expect("gb18030");
        check_doc_sample(&sink);
        assert_eq!(sink.messages[0].extra["encoding"], "gb18030");
        // UTF-16LE with BOM, and without
        let mut le = vec![0xFF, 0xFE];
        le.extend(DOC_SAMPLE.encode_utf16().flat_map(u16::to_le_bytes));
        let (sink, r) = run_bytes(&le, &owner_opts());
        r.expect("utf-16le");
        check_doc_sample(&sink);
        let (sink, r) = run_bytes(le.get(2..).expect("bytes"), &owner_opts());
        r.expect("utf-16le no bom");
        check_doc_sample(&sink);
        // UTF-16BE with BOM
        let mut be = vec![0xFE, 0xFF];
        be.extend(DOC_SAMPLE.encode_utf16().flat_map(u16::to_be_bytes));
        let (sink, r) = run_bytes(&be, &owner_opts());
        r.expect("utf-16be");
        check_doc_sample(&sink);
    }

    #[test]
    fn sniff_documented_shape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.txt");
        let (gb, _, _) = encoding_rs::GB18030.encode(DOC_SAMPLE);
        std::fs::write(&path, &gb).expect("write");
        let input = Input::open(&path).expect("open");
        assert!(QqTxt.sniff(&input) >= 80);
        std::fs::write(&path, "hello\nworld\n").expect("write");
        let input = Input::open(&path).expect("open");
        assert_eq!(QqTxt.sniff(&input), 0);
    }

    #[test]
    fn times_across_shanghai_dst_and_given_zone() {
        // China observed DST 1986-1991: 1988-04-17 02:00 jumped to 03:00, 1988-09-11 02:00
        // went back to 01:00. A wall time in the gap takes the offset before it.
        let text = "2019-07-16 18:15:05 A(1)\nx\n\n1988-04-17 02:30:00 A(1)\ngap\n\n\
                    1988-07-01 12:00:00 A(1)\nsummer\n\n1988-09-11 01:30:00 A(1)\nfold\n\n";
        let (sink, r) = run_bytes(text.as_bytes(), &Options::default());
        r.expect("parse");
        let t: Vec<_> = sink
            .messages
            .iter()
            .map(|m| {
                (
                    m.time.utc.clone().unwrap_or_default(),
                    m.time.offset.clone(),
                )
            })
            .collect();
        assert_eq!(t[1].0, "1988-04-16T18:30:00Z");
        assert_eq!(t[2], ("1988-07-01T03:00:00Z".into(), Some("+09:00".into())));
        // In the fold the earlier (summer) reading is taken.
        assert_eq!(t[3], ("1988-09-10T16:30:00Z".into(), Some("+09:00".into())));
        // A given zone is used and marked given.
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let (sink, _) = run_bytes(text.as_bytes(), &opts);
        assert_eq!(sink.messages[0].time.zone_basis, "given");
        assert_eq!(
            sink.messages[0].time.utc.as_deref(),
            Some("2019-07-16T16:15:05Z")
        );
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for data in [
            &b""[..],
            b"\xff\xfe",
            b"\xfe\xff\x00",
            b"=====\n",
            b"2019-13-45 99:99:99 A(1)\nbody\n",
            b"\x00\x01\x02garbage\xff\xfe\xfd",
            b"2019-07-16 18:15:05 A(1)\nbody without newline",
            "消息对象:".as_bytes(),
        ] {
            let _ = run_bytes(data, &Options::default());
        }
        // 消息对象 in a body (no ==== line before it) is text, not a new conversation.
        let (sink, _) = run_bytes(
            "2019-07-16 18:15:05 A(1)\n消息对象:假的\n\n".as_bytes(),
            &Options::default(),
        );
        assert_eq!(sink.conversations.len(), 1);
        assert_eq!(sink.messages[0].body, "消息对象:假的");
        // An impossible date keeps its raw text, no instant claimed.
        let (sink, _) = run_bytes(b"2019-13-45 23:59:59 A(1)\nbody\n", &Options::default());
        assert_eq!(sink.messages.len(), 1);
        assert_eq!(sink.messages[0].time.utc, None);
        assert_eq!(sink.messages[0].time.raw, "2019-13-45 23:59:59");
    }

    #[test]
    fn huge_line_becomes_unparsed() {
        let mut data = b"2019-07-16 18:15:05 A(1)\nok\n\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', crate::source::MAX_RECORD + 10));
        data.extend_from_slice(b"\n\n2019-07-16 18:15:06 A(1)\nafter\n");
        let (sink, r) = run_bytes(&data, &Options::default());
        r.expect("parse");
        assert_eq!(sink.messages.len(), 2);
        assert_eq!(sink.unparsed.len(), 1);
        assert_eq!(sink.messages[1].body, "after");
    }

    #[test]
    fn truncated_file() {
        let cut = &DOC_SAMPLE.as_bytes()[..DOC_SAMPLE.len() / 2];
        let (sink, r) = run_bytes(cut, &Options::default());
        r.expect("parse");
        assert!(!sink.messages.is_empty());
        // GB18030 cut in the middle of a character: decoded with U+FFFD, flagged.
        let (gb, _, _) = encoding_rs::GB18030.encode(DOC_SAMPLE);
        let (sink, _) = run_bytes(&gb[..gb.len() - 5], &Options::default());
        assert!(!sink.messages.is_empty());
    }
}
