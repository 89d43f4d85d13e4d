//! CSV written by PyWxDump (FORMATS-CN.md §4.2, [C1] `exportCSV.py`, `dbMSG.py`):
//! `<wxid>_<from>_<to>.csv`, UTF-8 without BOM, header
//! `id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime`, where `type_name` is
//! PyWxDump's Chinese name of the (Type, SubType) pair and `CreateTime` is local wall-clock
//! text `YYYY-MM-DD HH:MM:SS` of the exporting PC (no offset written).

use cunzheng_model::{Attachment, Conversation, Direction, Location, Message, Party, Platform};
use serde_json::Value;

use super::common_cn_lines::{LineReader, TextEncoding, next_csv_record};
use super::wechat_common as wc;
use crate::source::{Input, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The PyWxDump CSV parser.
pub struct WechatPywxdumpCsv;

const HEADER: [&str; 9] = [
    "id",
    "MsgSvrID",
    "type_name",
    "is_sender",
    "talker",
    "room_name",
    "msg",
    "src",
    "CreateTime",
];

/// PyWxDump's type names (two revisions of its table) back to (Type, SubType).
fn type_of(name: &str) -> Option<(i64, i64)> {
    let n = name.trim();
    if let Some(k) = n.strip_prefix("消息撤回") {
        return Some((10000, k.parse().unwrap_or(57)));
    }
    Some(match n {
        "文本" => (1, 0),
        "图片" => (3, 0),
        "语音" => (34, 0),
        "添加好友" => (37, 0),
        "推荐公众号" => (42, 0),
        "视频" => (43, 0),
        "动画表情" => (47, 0),
        "位置" | "地图信息" => (48, 0),
        "文件" | "文件(猜)" => (49, 6),
        "粘贴的文本" | "类似文字消息而不一样的消息" => (49, 1),
        "(分享)音乐" => (49, 3),
        "(分享)卡片式链接" | "卡片式链接" => (49, 5),
        "用户上传的GIF表情" | "用户上传的 GIF 表情" => (49, 8),
        "位置共享" => (49, 17),
        "合并转发的聊天记录" => (49, 19),
        "(分享)笔记" => (49, 24),
        "(分享)小程序" | "分享的小程序" => (49, 33),
        "(分享)收藏夹" | "分享收藏夹" => (49, 40),
        "接龙" => (49, 53),
        "引用回复" | "带有引用的文本消息" => (49, 57),
        "视频号直播或直播回放" | "视频号直播或直播回放等" => (49, 63),
        "群公告" => (49, 87),
        "转账" | "转账消息" => (49, 2000),
        "赠送红包封面" => (49, 2003),
        "语音通话" => (50, 0),
        "系统通知" => (10000, 0),
        "拍一拍" => (10000, 4),
        "邀请加群" => (10000, 8000),
        _ => return None,
    })
}

impl Source for WechatPywxdumpCsv {
    fn id(&self) -> &'static str {
        "wechat-pywxdump-csv"
    }
    fn name(&self) -> &'static str {
        "WeChat export CSV (PyWxDump)"
    }
    fn description(&self) -> &'static str {
        "CSV written by PyWxDump's export: id,MsgSvrID,type_name,is_sender,talker,room_name,msg,\
         src,CreateTime. Kinds from PyWxDump's Chinese type names; wall-clock CreateTime read in \
         the given zone else Asia/Shanghai (guessed); media only as the `src` path. Transfer \
         amounts are taken from `msg` only when it is a plain ￥ amount."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["wxid_*.csv", "*.csv"]
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
            Ok(Some(h)) if h.fields.iter().map(|f| f.trim()).eq(HEADER) => 92,
            Ok(Some(h))
                if HEADER
                    .iter()
                    .all(|c| h.fields.iter().any(|f| f.trim() == *c)) =>
            {
                80
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
        let col = |name: &str| header.fields.iter().position(|f| f.trim() == name);
        if HEADER.iter().any(|c| col(c).is_none()) {
            return Err(SourceError::Format {
                location: "line 1".into(),
                message: format!("not a PyWxDump CSV header (needs {})", HEADER.join(",")),
            });
        }
        let [
            c_id,
            c_svr,
            c_type,
            c_send,
            c_talker,
            c_room,
            c_msg,
            c_src,
            c_time,
        ] = HEADER.map(col);
        let (zone, w) = Zone::from_options(opts);
        if let Some(w) = w {
            sink.warning(w);
        }
        if zone.is_guessed() {
            sink.warning(format!(
                "wechat-pywxdump-csv: CreateTime has no offset; read as {} (guessed)",
                zone.name()
            ));
        }
        let tag = self.parser_tag();
        let mut convs: Vec<String> = Vec::new();
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
            let reason = match rec.broken {
                Some(why) => Some(why.to_owned()),
                None if rec.fields.len() != header.fields.len() => Some(format!(
                    "{} fields where the header has {}",
                    rec.fields.len(),
                    header.fields.len()
                )),
                None => None,
            };
            if let Some(reason) = reason {
                sink.unparsed(cunzheng_model::Unparsed {
                    provenance: prov,
                    reason,
                    excerpt: rec.text.chars().take(200).collect(),
                });
                continue;
            }
            let f = |c: Option<usize>| -> &str {
                c.and_then(|i| rec.fields.get(i)).map_or("", |s| s.as_str())
            };
            let room = f(c_room).trim().to_owned();
            if !convs.contains(&room) {
                sink.conversation(Conversation {
                    platform: Platform::WeChat,
                    id: room.clone(),
                    title: None,
                    kind: Some(
                        if room.ends_with("@chatroom") {
                            "group"
                        } else {
                            "private"
                        }
                        .into(),
                    ),
                    participants: Vec::new(),
                });
                convs.push(room.clone());
            }
            let type_name = f(c_type);
            let msg = f(c_msg);
            let (kind_base, known) = match type_of(type_name) {
                Some((t, s)) => (wc::classify_pc(t, s), true),
                None => (wc::Base::Unknown, false),
            };
            let mut d = wc::decode_content(kind_base, msg);
            if matches!(kind_base, wc::Base::App(_)) && !wc::looks_like_xml(msg) {
                d.body = msg.to_owned();
            }
            if d.kind == cunzheng_model::MessageKind::Transfer && d.money.is_none() {
                d.money = wc::parse_money(msg);
            }
            let src = f(c_src).trim();
            if !src.is_empty() {
                d.attachments.push(Attachment {
                    name: Some(src.to_owned()),
                    ..Default::default()
                });
            }
            let raw_time = f(c_time).trim();
            let time = match jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", raw_time) {
                Ok(dt) => zone.wall(raw_time, dt),
                Err(_) => unresolved(raw_time, "wall"),
            };
            let is_sender = f(c_send).trim().parse::<i64>().ok();
            let talker = f(c_talker).trim();
            let e = &mut d.extra;
            e.insert("type_name".into(), type_name.into());
            if !known {
                e.insert("unknown_type_name".into(), true.into());
            }
            let svr = f(c_svr).trim();
            if !svr.is_empty() {
                e.insert("MsgSvrID".into(), svr.into());
            }
            sink.message(Message {
                id: Some(f(c_id).trim())
                    .filter(|s| !s.is_empty())
                    .map_or_else(|| format!("L{}", rec.line), str::to_owned),
                conversation: room,
                sender: Party {
                    name: None,
                    account: (!talker.is_empty()).then(|| talker.to_owned()),
                },
                direction: match is_sender {
                    Some(1) => Direction::Outgoing,
                    Some(0) => Direction::Incoming,
                    _ => Direction::Unknown,
                },
                kind: d.kind,
                body: d.body,
                time,
                attachments: d.attachments,
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
    //! No PyWxDump CSV export is openly licensed: the sample is built from the header in
    //! FORMATS-CN.md §4.2 and PyWxDump's type-name table.
    use super::*;
    use crate::source::Collect;
    use cunzheng_model::MessageKind;

    pub(crate) const SAMPLE: &str = "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime\r\n\
1,9001,文本,0,wxid_abc,wxid_abc,你好,,2023-11-15 06:13:20\r\n\
2,9002,图片,1,wxid_me,wxid_abc,,FileStorage/Image/a.dat,2023-11-15 06:14:20\r\n\
3,9003,转账,1,wxid_me,wxid_abc,￥50000.00,,2023-11-15 06:15:20\r\n\
4,9004,消息撤回57,0,wxid_abc,wxid_abc,\"\"\"王五\"\" 撤回了一条消息\",,2023-11-15 06:16:20\r\n\
5,9005,文本,0,wxid_x,123@chatroom,\"群消息, 带逗号\",,2023-11-15 06:17:20\r\n\
6,9006,新类型,0,wxid_x,123@chatroom,?,,not a time\r\n";

    #[test]
    fn wall_times_across_shanghai_dst() {
        let text = "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime\n\
            1,1,文本,0,a,a,x,,1988-07-01 12:00:00\n2,2,文本,0,a,a,y,,1988-04-17 02:30:00\n";
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv");
        std::fs::write(&path, text).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        WechatPywxdumpCsv
            .parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        assert_eq!(sink.messages[0].time.offset.as_deref(), Some("+09:00"));
        assert_eq!(
            sink.messages[0].time.utc.as_deref(),
            Some("1988-07-01T03:00:00Z")
        );
        assert_eq!(
            sink.messages[1].time.utc.as_deref(),
            Some("1988-04-16T18:30:00Z")
        );
    }

    #[test]
    fn documented_sample() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wxid_me_0_100.csv");
        std::fs::write(&path, SAMPLE).expect("write");
        let input = Input::open(&path).expect("open");
        assert!(WechatPywxdumpCsv.sniff(&input) >= 90);
        assert_eq!(
            super::super::wechat_export_csv::WechatExportCsv.sniff(&input),
            0
        );
        let mut sink = Collect::default();
        WechatPywxdumpCsv
            .parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        assert_eq!(sink.conversations.len(), 2);
        let m = &sink.messages;
        assert_eq!(m.len(), 6);
        assert_eq!(m[0].time.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(m[0].time.zone_basis, "guessed");
        assert_eq!(m[1].kind, MessageKind::Image);
        assert_eq!(
            m[1].attachments[0].name.as_deref(),
            Some("FileStorage/Image/a.dat")
        );
        assert_eq!(m[2].kind, MessageKind::Transfer);
        assert_eq!(
            m[2].money.as_ref().map(|x| x.amount.as_str()),
            Some("50000.00")
        );
        assert_eq!(m[3].kind, MessageKind::Recalled);
        assert_eq!(m[4].body, "群消息, 带逗号");
        assert_eq!(m[5].extra["unknown_type_name"], true);
        assert_eq!(m[5].time.utc, None);
    }
}
