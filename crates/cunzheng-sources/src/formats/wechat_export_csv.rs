//! CSV written by WeChatMsg / MemoTrace (FORMATS-CN.md §4.1): `<备注>_utf8.csv`, UTF-8 with BOM,
//! header `localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,
//! NickName,Sender`. `CreateTime` is epoch seconds (the instant used); `StrTime` is the same
//! time as wall-clock text of the exporting PC (kept in `extra`). One conversation per file.

use cunzheng_model::{Conversation, Direction, Location, Message, Party, Platform, Unparsed};
use serde_json::Value;

use super::common_cn_lines::{LineReader, TextEncoding, next_csv_record};
use super::wechat_common as wc;
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The WeChatMsg/MemoTrace CSV parser.
pub struct WechatExportCsv;

const REQUIRED: [&str; 6] = [
    "localId",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "StrContent",
];

/// The conversation name from `<备注>_utf8.csv`.
pub(crate) fn stem(name: &str, suffixes: &[&str]) -> String {
    let mut s = name;
    for ext in [".csv", ".CSV", ".txt", ".TXT", ".html", ".HTML", ".htm"] {
        s = s.strip_suffix(ext).unwrap_or(s);
    }
    for suf in suffixes {
        s = s.strip_suffix(suf).unwrap_or(s);
    }
    if s.is_empty() {
        "chat".to_owned()
    } else {
        s.to_owned()
    }
}

fn header_ok(fields: &[String]) -> bool {
    REQUIRED
        .iter()
        .all(|r| fields.iter().any(|f| f.trim() == *r))
}

impl Source for WechatExportCsv {
    fn id(&self) -> &'static str {
        "wechat-export-csv"
    }
    fn name(&self) -> &'static str {
        "WeChat export CSV (WeChatMsg / MemoTrace)"
    }
    fn description(&self) -> &'static str {
        "CSV written by WeChatMsg/MemoTrace from WeChat for Windows 3.x: one conversation per file, \
         columns localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,\
         Remark,NickName,Sender. Epoch-second CreateTime; (Type, SubType) kinds; app messages \
         only as far as StrContent carries their XML (the tool leaves CompressContent out, so \
         transfer amounts are usually absent). Not the PyWxDump CSV (wechat-pywxdump-csv)."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["*_utf8.csv", "*.csv"]
    }
    fn tier(&self) -> Tier {
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let enc = TextEncoding::detect(&input.head);
        let Ok(mut r) = LineReader::new(input.head.as_slice(), enc) else {
            return 0;
        };
        match next_csv_record(&mut r, &enc) {
            Ok(Some(h)) if header_ok(&h.fields) => {
                if h.fields.iter().any(|f| f == "StrTime") && h.fields.iter().any(|f| f == "Sender")
                {
                    90
                } else {
                    70
                }
            }
            _ => 0,
        }
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let enc = TextEncoding::detect(&input.head);
        let mut reader = LineReader::new(file, enc).map_err(|e| SourceError::io(&input.path, e))?;
        let io = |e: std::io::Error| SourceError::io(&input.path, e);
        let header = next_csv_record(&mut reader, &enc)
            .map_err(io)?
            .ok_or_else(|| SourceError::Format {
                location: "line 1".into(),
                message: "empty file".into(),
            })?;
        if !header_ok(&header.fields) {
            return Err(SourceError::Format {
                location: "line 1".into(),
                message: format!(
                    "not a WeChatMsg CSV header (needs {}): {}",
                    REQUIRED.join(","),
                    header.text.chars().take(200).collect::<String>()
                ),
            });
        }
        let col = |name: &str| header.fields.iter().position(|f| f.trim() == name);
        let c_local = col("localId");
        let c_type = col("Type");
        let c_sub = col("SubType");
        let c_send = col("IsSender");
        let c_ct = col("CreateTime");
        let c_content = col("StrContent");
        let c_strtime = col("StrTime");
        let c_remark = col("Remark");
        let c_nick = col("NickName");
        let c_sender = col("Sender");
        let c_talker_id = col("TalkerId");
        let c_status = col("Status");
        let (zone, _) = Zone::from_options(opts);
        let tag = self.parser_tag();
        let conv = stem(&input.name, &["_utf8"]);
        sink.conversation(Conversation {
            platform: Platform::WeChat,
            id: conv.clone(),
            title: Some(conv.clone()),
            kind: None,
            participants: Vec::new(),
        });
        while let Some(rec) = next_csv_record(&mut reader, &enc).map_err(io)? {
            let prov = input.provenance(
                &tag,
                Location::Bytes {
                    start: rec.start,
                    end: rec.end,
                    line: Some(rec.line),
                },
            );
            if rec.text.trim().is_empty() && rec.broken.is_none() {
                continue;
            }
            if let Some(why) = rec.broken {
                sink.unparsed(Unparsed {
                    provenance: prov,
                    reason: why.into(),
                    excerpt: rec.text.chars().take(200).collect(),
                });
                continue;
            }
            if rec.fields.len() != header.fields.len() {
                sink.unparsed(Unparsed {
                    provenance: prov,
                    reason: format!(
                        "{} fields where the header has {}",
                        rec.fields.len(),
                        header.fields.len()
                    ),
                    excerpt: rec.text.chars().take(200).collect(),
                });
                continue;
            }
            let f = |c: Option<usize>| -> Option<&str> {
                c.and_then(|i| rec.fields.get(i)).map(|s| s.as_str())
            };
            let num = |c: Option<usize>| f(c).and_then(|s| s.trim().parse::<i64>().ok());
            let Some(ty) = num(c_type) else {
                sink.unparsed(Unparsed {
                    provenance: prov,
                    reason: "Type is not a number".into(),
                    excerpt: rec.text.chars().take(200).collect(),
                });
                continue;
            };
            let sub = num(c_sub).unwrap_or(0);
            let is_sender = num(c_send);
            let strtime = f(c_strtime).unwrap_or("");
            let time = match (num(c_ct), f(c_ct)) {
                (Some(s), _) => zone.epoch(&s.to_string(), "unix_s", s),
                (None, _) if !strtime.is_empty() => {
                    match jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", strtime) {
                        Ok(dt) => zone.wall(strtime, dt),
                        Err(_) => unresolved(strtime, "wall"),
                    }
                }
                (None, raw) => unresolved(raw.unwrap_or(""), "unix_s"),
            };
            let content = f(c_content).unwrap_or("");
            let mut d = wc::decode_content(wc::classify_pc(ty, sub), content);
            let remark = f(c_remark).map(str::trim).filter(|s| !s.is_empty());
            let nick = f(c_nick).map(str::trim).filter(|s| !s.is_empty());
            let sender_id = f(c_sender).map(str::trim).filter(|s| !s.is_empty());
            let sender = Party {
                name: remark.or(nick).map(str::to_owned),
                account: sender_id.map(str::to_owned),
            };
            let e = &mut d.extra;
            e.insert("Type".into(), ty.into());
            e.insert("SubType".into(), sub.into());
            for (k, c) in [
                ("StrTime", c_strtime),
                ("TalkerId", c_talker_id),
                ("Status", c_status),
                ("Remark", c_remark),
                ("NickName", c_nick),
            ] {
                if let Some(v) = f(c).filter(|v| !v.is_empty()) {
                    e.insert(k.into(), Value::String(v.to_owned()));
                }
            }
            if !matches!(d.kind, cunzheng_model::MessageKind::Text) && !content.is_empty() {
                e.insert("content".into(), wc::capped(content).into());
            }
            if rec.decode_errors {
                e.insert("decode_errors".into(), true.into());
            }
            sink.message(Message {
                id: f(c_local)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map_or_else(|| format!("L{}", rec.line), str::to_owned),
                conversation: conv.clone(),
                sender,
                direction: match is_sender {
                    Some(1) => Direction::Outgoing,
                    Some(0) => Direction::Incoming,
                    _ => Direction::Unknown,
                },
                kind: d.kind,
                body: d.body,
                time,
                attachments: d.attachments,
                // Quotes in this export carry no resolvable id; the quoted text is in extra.
                reply_to: None,
                edited: None,
                forwarded_from: None,
                money: d.money,
                recovered: false,
                provenance: prov,
                extra: Value::Object(d.extra),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! No exported WeChatMsg CSV is openly licensed: the file here is built from the header and
    //! example row in FORMATS-CN.md §4.1 (from WeChatMsg `exporter_csv.py`, `msg.py`).
    use super::*;
    use crate::source::Collect;
    use cunzheng_model::MessageKind;

    pub(crate) const SAMPLE: &str = "\u{FEFF}localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\r\n\
1,3,1,0,0,1700000000,2,你好,2023-11-15 06:13:20,老王,王五,wxid_abc\r\n\
2,3,1,0,1,1700000060,2,\"多行,\r\n带逗号和\"\"引号\"\"\",2023-11-15 06:14:20,,我,wxid_me\r\n\
3,3,3,0,0,1700000120,2,\"<?xml version=\"\"1.0\"\"?><msg><img md5=\"\"aa\"\"/></msg>\",2023-11-15 06:15:20,老王,王五,wxid_abc\r\n\
4,3,10000,0,0,1700000180,2,\"\"\"王五\"\" 撤回了一条消息\",2023-11-15 06:16:20,,,\r\n\
5,3,49,2000,0,1700000240,2,,2023-11-15 06:17:20,老王,王五,wxid_abc\r\n\
6,3,1,0,0,1700000300,2,少了列\r\n";

    fn run(bytes: &[u8], name: &str) -> (Collect, Result<(), SourceError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        let r = WechatExportCsv.parse(&input, &Options::default(), &mut sink);
        (sink, r)
    }

    #[test]
    fn documented_sample() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("老王_utf8.csv");
        std::fs::write(&path, SAMPLE).expect("write");
        let input = Input::open(&path).expect("open");
        assert!(WechatExportCsv.sniff(&input) >= 90);
        let (sink, r) = run(SAMPLE.as_bytes(), "老王_utf8.csv");
        r.expect("parse");
        assert_eq!(sink.conversations[0].id, "老王");
        assert_eq!(sink.messages.len(), 5);
        assert_eq!(sink.unparsed.len(), 1);
        assert_eq!(sink.unparsed[0].reason, "8 fields where the header has 12");
        let m = &sink.messages;
        assert_eq!(m[0].body, "你好");
        assert_eq!(m[0].sender.name.as_deref(), Some("老王"));
        assert_eq!(m[0].sender.account.as_deref(), Some("wxid_abc"));
        assert_eq!(m[0].time.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(m[0].time.offset.as_deref(), Some("+08:00"));
        assert_eq!(m[0].time.zone_basis, "source");
        assert_eq!(m[0].extra["StrTime"], "2023-11-15 06:13:20");
        assert_eq!(
            m[0].provenance.location,
            Location::Bytes {
                start: 103,
                end: 177,
                line: Some(2)
            }
        );
        assert_eq!(m[1].body, "多行,\n带逗号和\"引号\"");
        assert_eq!(m[1].direction, Direction::Outgoing);
        assert_eq!(m[1].sender.name.as_deref(), Some("我"));
        assert_eq!(m[2].kind, MessageKind::Image);
        assert_eq!(m[3].kind, MessageKind::Recalled);
        assert_eq!(m[4].kind, MessageKind::Transfer);
        assert_eq!(m[4].money, None);
        assert_eq!(m[4].time.utc.as_deref(), Some("2023-11-14T22:17:20Z"));
    }

    #[test]
    fn hostile() {
        assert!(run(b"", "x.csv").1.is_err());
        assert!(run(b"a,b,c\n1,2,3\n", "x.csv").1.is_err());
        let (sink, r) = run(
            b"localId,Type,SubType,IsSender,CreateTime,StrContent\n1,1,0,0,99999999999999999,x\n2,x,0,0,1,y\n3,1,0,0,1,\"open",
            "x.csv",
        );
        r.expect("parse");
        assert_eq!(sink.messages.len(), 1);
        assert_eq!(sink.messages[0].time.utc, None);
        assert_eq!(sink.unparsed.len(), 2);
    }
}
