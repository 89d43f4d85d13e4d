//! TXT written by WeChatMsg / MemoTrace (FORMATS-CN.md §4.1, `exporter_txt.py`): per message a
//! line `YYYY-MM-DD HH:MM:SS <display name>`, the content line(s), a blank line; system lines
//! are `YYYY-MM-DD HH:MM:SS <text>` with no content; placeholders `[图片] [语音] [视频] [表情包]
//! [文件] [音乐分享]`; quotes add `引用:<name>:<text>`; display names are HTML/JS-escaped.
//! Times are wall-clock times of the exporting PC, with no offset written.

use std::sync::LazyLock;

use cunzheng_model::{Conversation, Direction, Location, Message, MessageKind, Party, Platform};
use regex::Regex;
use serde_json::{Map, Value};

use super::common_cn_lines::{LineReader, TextEncoding};
use super::wechat_common as wc;
use super::wechat_export_csv::stem;
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The WeChatMsg/MemoTrace TXT parser.
pub struct WechatExportTxt;

static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (.*)$").unwrap_or_else(|_| unreachable!())
});

/// Undoes WeChatMsg's `escape_js_and_html` (applied to names even in TXT).
pub(crate) fn unescape_js_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

struct Pending {
    start: u64,
    end: u64,
    line: u64,
    time_raw: String,
    rest: String,
    body: Vec<String>,
    blank_run: usize,
    decode_error: bool,
}

impl Source for WechatExportTxt {
    fn id(&self) -> &'static str {
        "wechat-export-txt"
    }
    fn name(&self) -> &'static str {
        "WeChat export TXT (WeChatMsg / MemoTrace)"
    }
    fn description(&self) -> &'static str {
        "TXT written by WeChatMsg/MemoTrace: `date time name` lines, content lines, blank line; \
         placeholders for media ([图片], [语音], [表情包], [文件]); quotes as 引用:name:text; \
         system lines without a name. Wall times, read in the given zone else Asia/Shanghai \
         (guessed). A message with empty content cannot be told from a system line; the file \
         holds no account ids and no direction."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["*.txt"]
    }
    fn tier(&self) -> Tier {
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let enc = TextEncoding::detect(&input.head);
        let (text, _) = enc
            .enc
            .decode_without_bom_handling(input.head.get(enc.bom_len..).unwrap_or(&[]));
        if text.contains("消息分组:") || text.contains("消息对象:") || text.contains("消息记录（")
        {
            return 0;
        }
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let Some(first) = lines.next() else { return 0 };
        if !HEADER.is_match(first) {
            return 0;
        }
        let mut headers = 1;
        let mut prev_blank = false;
        let mut wechat_marks = 0;
        for l in lines.take(400) {
            if prev_blank && HEADER.is_match(l) {
                headers += 1;
            }
            if matches!(l, "[表情包]" | "[音乐分享]") || l.starts_with("引用:") {
                wechat_marks += 1;
            }
            prev_blank = l.is_empty();
        }
        let mut score: u8 = if headers >= 3 { 60 } else { 50 };
        if wechat_marks > 0 {
            score += 10;
        }
        score
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let enc = TextEncoding::detect(&input.head);
        let mut reader = LineReader::new(file, enc).map_err(|e| SourceError::io(&input.path, e))?;
        let (zone, w) = Zone::from_options(opts);
        if let Some(w) = w {
            sink.warning(w);
        }
        if zone.is_guessed() {
            sink.warning(format!(
                "wechat-export-txt: times have no offset in the file; read as {} (guessed)",
                zone.name()
            ));
        }
        let tag = self.parser_tag();
        let conv = stem(&input.name, &[]);
        sink.conversation(Conversation {
            platform: Platform::WeChat,
            id: conv.clone(),
            title: Some(conv.clone()),
            kind: None,
            participants: Vec::new(),
        });
        let mut pending: Option<Pending> = None;
        let mut prev_blank = true;
        let flush = |p: Pending, sink: &mut dyn Sink| {
            let mut body = p.body;
            while body.last().is_some_and(|l| l.trim().is_empty()) {
                body.pop();
            }
            let time = match jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &p.time_raw) {
                Ok(dt) => zone.wall(&p.time_raw, dt),
                Err(_) => unresolved(&p.time_raw, "wall"),
            };
            let mut extra = Map::new();
            let (kind, sender, text) = if body.is_empty() {
                // No content lines: a system line (`time text`).
                let text = p.rest.clone();
                let kind = if wc::is_recall_text(&text) {
                    MessageKind::Recalled
                } else {
                    MessageKind::System
                };
                (kind, Party::default(), text)
            } else {
                let name = unescape_js_html(&p.rest);
                if name != p.rest {
                    extra.insert("name_raw".into(), p.rest.clone().into());
                }
                if let Some(q) = body.last().and_then(|l| l.strip_prefix("引用:")) {
                    extra.insert("quote".into(), q.to_owned().into());
                    body.pop();
                }
                let joined = body.join("\n");
                let kind = match joined.trim() {
                    "[图片]" => MessageKind::Image,
                    "[语音]" => MessageKind::Voice,
                    "[视频]" => MessageKind::Video,
                    "[表情包]" => MessageKind::Sticker,
                    "[文件]" => MessageKind::File,
                    "[音乐分享]" => MessageKind::Link,
                    t if t.starts_with("[链接]:") => MessageKind::Link,
                    _ => MessageKind::Text,
                };
                let text = if kind == MessageKind::Link {
                    body.iter().map(|l| l.trim()).collect::<Vec<_>>().join("\n")
                } else {
                    joined
                };
                (
                    kind,
                    Party {
                        name: Some(name),
                        account: None,
                    },
                    text,
                )
            };
            let direction = match &sender.name {
                Some(n) if opts.owner.iter().any(|o| o == n) => Direction::Outgoing,
                Some(_) if !opts.owner.is_empty() => Direction::Incoming,
                _ => Direction::Unknown,
            };
            if p.decode_error {
                extra.insert("decode_errors".into(), true.into());
            }
            sink.message(Message {
                id: format!("L{}", p.line),
                conversation: conv.clone(),
                sender,
                direction,
                kind,
                body: text,
                time,
                attachments: Vec::new(),
                reply_to: None,
                edited: None,
                forwarded_from: None,
                money: None,
                recovered: false,
                provenance: input.provenance(
                    &tag,
                    Location::Bytes {
                        start: p.start,
                        end: p.end,
                        line: Some(p.line),
                    },
                ),
                extra: if extra.is_empty() {
                    Value::Null
                } else {
                    Value::Object(extra)
                },
            });
        };
        loop {
            let raw = match reader.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    if let Some(p) = pending.take() {
                        flush(p, sink);
                    }
                    return Err(SourceError::io(&input.path, e));
                }
            };
            let (text, bad) = enc.decode_line(&raw.bytes);
            if raw.truncated {
                if let Some(p) = pending.take() {
                    flush(p, sink);
                }
                sink.unparsed(cunzheng_model::Unparsed {
                    provenance: input.provenance(
                        &tag,
                        Location::Bytes {
                            start: raw.start,
                            end: raw.end,
                            line: Some(raw.line),
                        },
                    ),
                    reason: "line longer than the record limit; skipped".into(),
                    excerpt: text.chars().take(200).collect(),
                });
                prev_blank = false;
                continue;
            }
            let is_blank = text.trim().is_empty();
            let header = if prev_blank {
                HEADER.captures(&text)
            } else {
                None
            };
            if let Some(c) = header {
                if let Some(p) = pending.take() {
                    flush(p, sink);
                }
                pending = Some(Pending {
                    start: raw.start,
                    end: raw.end,
                    line: raw.line,
                    time_raw: c.get(1).map_or("", |m| m.as_str()).to_owned(),
                    rest: c.get(2).map_or("", |m| m.as_str()).to_owned(),
                    body: Vec::new(),
                    blank_run: 0,
                    decode_error: bad,
                });
            } else if let Some(p) = &mut pending {
                if is_blank {
                    p.blank_run += 1;
                } else {
                    p.end = raw.end;
                    p.blank_run = 0;
                }
                p.body.push(text);
                p.decode_error |= bad;
            } else if !is_blank {
                sink.unparsed(cunzheng_model::Unparsed {
                    provenance: input.provenance(
                        &tag,
                        Location::Bytes {
                            start: raw.start,
                            end: raw.end,
                            line: Some(raw.line),
                        },
                    ),
                    reason: "line before the first message header".into(),
                    excerpt: text.chars().take(200).collect(),
                });
            }
            prev_blank = is_blank;
        }
        if let Some(p) = pending.take() {
            flush(p, sink);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! No WeChatMsg TXT export is openly licensed: the sample is built from the writer's shape
    //! in FORMATS-CN.md §4.1 (WeChatMsg `exporter_txt.py`).
    use super::*;
    use crate::source::Collect;

    const SAMPLE: &str = "2023-11-15 06:13:20 老王\n你好\n\n\
2023-11-15 06:14:20 我\n第一段\n\n第二段\n\n\
2023-11-15 06:15:20 老王\n[图片]\n\n\
2023-11-15 06:16:20 \"老王\" 撤回了一条消息\n\n\
2023-11-15 06:17:20 我\n真的吗\n引用:老王:先交保证金\n\n\
2023-11-15 06:18:20 O\\'Brien &amp; 王\n[表情包]\n\n\
2023-11-15 06:19:20 老王\n            [链接]:title:高收益\n            description:稳赚\n            url:https://example.invalid\n            name:None\n            \n\n";

    fn run(bytes: &[u8], opts: &Options) -> Collect {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("老王.txt");
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        WechatExportTxt
            .parse(&input, opts, &mut sink)
            .expect("parse");
        sink
    }

    #[test]
    fn documented_sample() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("老王.txt");
        std::fs::write(&path, SAMPLE).expect("write");
        let input = Input::open(&path).expect("open");
        assert!(WechatExportTxt.sniff(&input) >= 60);
        // The QQ parser does not claim it (no QQ numbers, no 消息分组).
        assert!(super::super::qq_txt::QqTxt.sniff(&input) < 50);
        let opts = Options {
            owner: vec!["我".into()],
            ..Options::default()
        };
        let sink = run(SAMPLE.as_bytes(), &opts);
        assert!(sink.unparsed.is_empty());
        let m = &sink.messages;
        assert_eq!(m.len(), 7);
        assert_eq!(sink.conversations[0].id, "老王");
        assert_eq!(m[0].sender.name.as_deref(), Some("老王"));
        assert_eq!(m[0].direction, Direction::Incoming);
        assert_eq!(m[0].time.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(m[0].time.zone_basis, "guessed");
        assert_eq!(m[1].body, "第一段\n\n第二段");
        assert_eq!(m[1].direction, Direction::Outgoing);
        assert_eq!(m[2].kind, MessageKind::Image);
        assert_eq!(m[3].kind, MessageKind::Recalled);
        assert_eq!(m[3].sender, Party::default());
        assert_eq!(m[4].body, "真的吗");
        assert_eq!(m[4].extra["quote"], "老王:先交保证金");
        assert_eq!(m[5].sender.name.as_deref(), Some("O'Brien & 王"));
        assert_eq!(m[5].kind, MessageKind::Sticker);
        assert_eq!(m[6].kind, MessageKind::Link);
        assert!(
            m[6].body
                .starts_with("[链接]:title:高收益\ndescription:稳赚")
        );
        assert_eq!(
            m[0].provenance.location,
            Location::Bytes {
                start: 0,
                end: 34,
                line: Some(1)
            }
        );
    }

    #[test]
    fn wall_times_across_shanghai_dst_and_given_zone() {
        let text = "1988-07-01 12:00:00 老王\n夏令时\n\n1988-04-17 02:30:00 老王\n缺口\n\n";
        let s = run(text.as_bytes(), &Options::default());
        assert_eq!(
            s.messages[0].time.utc.as_deref(),
            Some("1988-07-01T03:00:00Z")
        );
        assert_eq!(s.messages[0].time.offset.as_deref(), Some("+09:00"));
        assert_eq!(
            s.messages[1].time.utc.as_deref(),
            Some("1988-04-16T18:30:00Z")
        );
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let s = run(text.as_bytes(), &opts);
        assert_eq!(s.messages[0].time.zone_basis, "given");
        assert_eq!(
            s.messages[0].time.utc.as_deref(),
            Some("1988-07-01T10:00:00Z")
        );
    }

    #[test]
    fn hostile_and_encodings() {
        let _ = run(b"", &Options::default());
        let s = run(
            b"garbage\n\n2023-99-99 99:99:99 x\ny\n",
            &Options::default(),
        );
        assert_eq!(s.unparsed.len(), 1);
        assert_eq!(s.messages[0].time.utc, None);
        let (gb, _, _) = encoding_rs::GB18030.encode(SAMPLE);
        assert_eq!(run(&gb, &Options::default()).messages.len(), 7);
    }
}
