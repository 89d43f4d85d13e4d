//! HTML written by WeChatMsg / MemoTrace (FORMATS-CN.md §4.1, `exporter_html.py`): a page
//! template whose script holds `const chatMessages = [ … ];`, one JavaScript object literal per
//! message: `{ type:1, text: '…',is_send:0,avatar_path:'…',timestamp:1700000000,
//! is_chatroom:1,displayname:'…'}` plus per-type keys (`sub_type`, `refer_text`, `paysubtype`,
//! `feedesc`, `pay_memo`, `file_name`, `file_size`, `voice_to_text`, `call_type`, `title`,
//! `url`…); system rows have `type:0`. The objects are read with a small streaming tokenizer
//! (the file is not parsed as HTML): single- or double-quoted strings with backslash escapes,
//! bare numbers and words. Some values are written unescaped by the tool, so an object can be
//! broken JavaScript: it becomes an unparsed record and reading goes on after it.

use std::io::{BufRead, BufReader, Read};

use cunzheng_model::{
    Attachment, Conversation, Direction, Location, Message, MessageKind, Party, Platform, Unparsed,
};
use serde_json::{Map, Value};

use super::wechat_common as wc;
use super::wechat_export_csv::stem;
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// The WeChatMsg/MemoTrace HTML parser.
pub struct WechatExportHtml;

const MARKER: &[u8] = b"chatMessages = [";

/// A byte reader that knows its offset and line.
struct Bytes<R: Read> {
    inner: BufReader<R>,
    pos: u64,
    line: u64,
}

impl<R: Read> Bytes<R> {
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.inner.fill_buf()?.first().copied())
    }
    fn next(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.inner.consume(1);
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }
}

/// Why an object could not be read.
enum ObjError {
    Syntax(&'static str),
    TooLong,
    Eof,
}

type Obj = Vec<(String, String)>;

fn read_string<R: Read>(
    b: &mut Bytes<R>,
    quote: u8,
    raw: &mut Vec<u8>,
) -> Result<String, ObjError> {
    let mut out = Vec::new();
    loop {
        let c = b.next().map_err(|_| ObjError::Eof)?.ok_or(ObjError::Eof)?;
        raw.push(c);
        if raw.len() > MAX_RECORD {
            return Err(ObjError::TooLong);
        }
        if c == quote {
            break;
        }
        if c == b'\\' {
            let e = b.next().map_err(|_| ObjError::Eof)?.ok_or(ObjError::Eof)?;
            raw.push(e);
            match e {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn skip_ws<R: Read>(b: &mut Bytes<R>, raw: &mut Vec<u8>) -> Result<Option<u8>, ObjError> {
    loop {
        match b.peek().map_err(|_| ObjError::Eof)? {
            Some(c) if c.is_ascii_whitespace() => {
                raw.push(c);
                b.next().map_err(|_| ObjError::Eof)?;
            }
            other => return Ok(other),
        }
    }
}

/// Reads one `{ key: value, … }` after its `{` was consumed.
fn read_object<R: Read>(b: &mut Bytes<R>, raw: &mut Vec<u8>) -> Result<Obj, ObjError> {
    let mut obj = Vec::new();
    loop {
        let c = skip_ws(b, raw)?.ok_or(ObjError::Eof)?;
        if c == b'}' {
            raw.push(c);
            b.next().map_err(|_| ObjError::Eof)?;
            return Ok(obj);
        }
        if c == b',' {
            raw.push(c);
            b.next().map_err(|_| ObjError::Eof)?;
            continue;
        }
        // Key: a bare word or a quoted string.
        let key = if c == b'\'' || c == b'"' {
            raw.push(c);
            b.next().map_err(|_| ObjError::Eof)?;
            read_string(b, c, raw)?
        } else {
            let mut k = Vec::new();
            while let Some(c) = b.peek().map_err(|_| ObjError::Eof)? {
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' {
                    k.push(c);
                    raw.push(c);
                    b.next().map_err(|_| ObjError::Eof)?;
                } else {
                    break;
                }
            }
            if k.is_empty() {
                return Err(ObjError::Syntax("expected a key"));
            }
            String::from_utf8_lossy(&k).into_owned()
        };
        if skip_ws(b, raw)? != Some(b':') {
            return Err(ObjError::Syntax("expected ':' after a key"));
        }
        raw.push(b':');
        b.next().map_err(|_| ObjError::Eof)?;
        let c = skip_ws(b, raw)?.ok_or(ObjError::Eof)?;
        let value = if c == b'\'' || c == b'"' {
            raw.push(c);
            b.next().map_err(|_| ObjError::Eof)?;
            read_string(b, c, raw)?
        } else {
            let mut v = Vec::new();
            while let Some(c) = b.peek().map_err(|_| ObjError::Eof)? {
                if c == b',' || c == b'}' || c.is_ascii_whitespace() {
                    break;
                }
                if c == b'{' || c == b'[' || c == b'\'' || c == b'"' {
                    return Err(ObjError::Syntax("unexpected character in a bare value"));
                }
                v.push(c);
                raw.push(c);
                b.next().map_err(|_| ObjError::Eof)?;
                if v.len() > 64 {
                    return Err(ObjError::Syntax("bare value too long"));
                }
            }
            String::from_utf8_lossy(&v).into_owned()
        };
        if raw.len() > MAX_RECORD {
            return Err(ObjError::TooLong);
        }
        obj.push((key, value));
        match skip_ws(b, raw)? {
            Some(b',') | Some(b'}') => {}
            _ => return Err(ObjError::Syntax("expected ',' or '}' after a value")),
        }
    }
}

fn title_of(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    let s = text.find("<title>")? + "<title>".len();
    let e = text.get(s..)?.find("</title>")? + s;
    let t = text.get(s..e)?.trim();
    (!t.is_empty()).then(|| {
        t.replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
    })
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Source for WechatExportHtml {
    fn id(&self) -> &'static str {
        "wechat-export-html"
    }
    fn name(&self) -> &'static str {
        "WeChat export HTML (WeChatMsg / MemoTrace)"
    }
    fn description(&self) -> &'static str {
        "HTML page written by WeChatMsg/MemoTrace: the `chatMessages` JavaScript array (type, \
         text, is_send, timestamp in epoch seconds, displayname, is_chatroom, and per-type keys: \
         transfers with feedesc/paysubtype, quotes with refer_text, files, calls). Media are \
         referenced by relative path (./image/…), not embedded. Account ids are not in the file; \
         stickers and images share type 3."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["*.html", "*.htm"]
    }
    fn tier(&self) -> Tier {
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        let h = &input.head;
        let has = |n: &[u8]| h.windows(n.len()).any(|w| w == n);
        if !has(MARKER) {
            return 0;
        }
        if has(b"is_send:") && has(b"displayname:") {
            90
        } else if has(b"<html") || has(b"<!DOCTYPE") || has(b"<!doctype") {
            55
        } else {
            40
        }
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let mut b = Bytes {
            inner: BufReader::with_capacity(64 * 1024, file),
            pos: 0,
            line: 1,
        };
        let io = |e: std::io::Error| SourceError::io(&input.path, e);
        // Find the array.
        let mut window: Vec<u8> = Vec::with_capacity(MARKER.len());
        loop {
            let Some(c) = b.next().map_err(io)? else {
                return Err(SourceError::Format {
                    location: format!("byte {}", b.pos),
                    message: "no `chatMessages = [` array: not a WeChatMsg HTML export".into(),
                });
            };
            if window.len() == MARKER.len() {
                window.remove(0);
            }
            window.push(c);
            if window == MARKER {
                break;
            }
        }
        let (zone, _) = Zone::from_options(opts);
        let tag = self.parser_tag();
        let conv = title_of(&input.head).unwrap_or_else(|| stem(&input.name, &[]));
        let mut conv_emitted = false;
        let mut broken: Option<(u64, u64, Vec<u8>, String)> = None;
        let flush_broken =
            |broken: &mut Option<(u64, u64, Vec<u8>, String)>, end: u64, sink: &mut dyn Sink| {
                if let Some((start, line, raw, why)) = broken.take() {
                    sink.unparsed(Unparsed {
                        provenance: input.provenance(
                            &tag,
                            Location::Bytes {
                                start,
                                end,
                                line: Some(line),
                            },
                        ),
                        reason: format!("not a readable message object: {why}"),
                        excerpt: String::from_utf8_lossy(raw.get(..600).unwrap_or(&raw))
                            .chars()
                            .take(200)
                            .collect(),
                    });
                }
            };
        loop {
            let mut ws = Vec::new();
            let c = match skip_ws(&mut b, &mut ws) {
                Ok(Some(c)) => c,
                Ok(None) | Err(_) => {
                    flush_broken(&mut broken, b.pos, sink);
                    sink.warning("wechat-export-html: file ends inside the message array".into());
                    break;
                }
            };
            if c == b']' && broken.is_none() {
                break;
            }
            if c == b',' {
                b.next().map_err(io)?;
                continue;
            }
            let start = b.pos;
            let line = b.line;
            if c != b'{' {
                // Resynchronise: skip to the end of the broken object.
                let entry = broken.get_or_insert((
                    start,
                    line,
                    Vec::new(),
                    "text outside a message object".into(),
                ));
                while let Some(x) = b.next().map_err(io)? {
                    if entry.2.len() < 4096 {
                        entry.2.push(x);
                    }
                    if x == b'}' {
                        break;
                    }
                }
                if b.peek().map_err(io)?.is_none() {
                    flush_broken(&mut broken, b.pos, sink);
                    break;
                }
                continue;
            }
            b.next().map_err(io)?;
            let mut raw = vec![b'{'];
            match read_object(&mut b, &mut raw) {
                Ok(obj) => {
                    flush_broken(&mut broken, start, sink);
                    if !conv_emitted {
                        let group = obj.iter().any(|(k, v)| k == "is_chatroom" && v == "1");
                        sink.conversation(Conversation {
                            platform: Platform::WeChat,
                            id: conv.clone(),
                            title: Some(conv.clone()),
                            kind: Some(if group { "group" } else { "private" }.into()),
                            participants: Vec::new(),
                        });
                        conv_emitted = true;
                    }
                    let prov = input.provenance(
                        &tag,
                        Location::Bytes {
                            start,
                            end: b.pos,
                            line: Some(line),
                        },
                    );
                    sink.message(to_message(&obj, &conv, &zone, prov, start));
                }
                Err(e) => {
                    let why = match &e {
                        ObjError::Syntax(s) => (*s).to_owned(),
                        ObjError::TooLong => "object longer than the record limit".to_owned(),
                        ObjError::Eof => "file ends inside the object".to_owned(),
                    };
                    let entry = broken.get_or_insert((start, line, Vec::new(), why));
                    entry.2.extend_from_slice(raw.get(..4096).unwrap_or(&raw));
                    if matches!(e, ObjError::Eof) {
                        flush_broken(&mut broken, b.pos, sink);
                        sink.warning("wechat-export-html: file ends inside a message".into());
                        break;
                    }
                    if matches!(e, ObjError::TooLong) {
                        entry.2.truncate(600);
                    }
                }
            }
        }
        if !conv_emitted {
            sink.conversation(Conversation {
                platform: Platform::WeChat,
                id: conv.clone(),
                title: Some(conv),
                kind: None,
                participants: Vec::new(),
            });
        }
        Ok(())
    }
}

fn to_message(
    obj: &Obj,
    conv: &str,
    zone: &Zone,
    provenance: cunzheng_model::Provenance,
    start: u64,
) -> Message {
    let get = |k: &str| {
        obj.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty() && *v != "None")
    };
    let num = |k: &str| get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let ty = num("type");
    let sub = num("sub_type");
    let text = get("text").map(html_unescape).unwrap_or_default();
    let mut extra = Map::new();
    for (k, v) in obj {
        if !matches!(k.as_str(), "text" | "avatar_path") {
            extra.insert(k.clone(), Value::String(wc::capped(v)));
        }
    }
    let mut attachments = Vec::new();
    let mut money = None;
    let (kind, body) = match (ty, sub) {
        (Some(0), _) => {
            let k = if wc::is_recall_text(&text) {
                MessageKind::Recalled
            } else {
                MessageKind::System
            };
            (k, text)
        }
        (Some(1), _) => (MessageKind::Text, text),
        (Some(3), _) | (Some(47), _) => {
            attachments.push(Attachment {
                name: Some(text.clone()),
                ..Default::default()
            });
            // The tool writes stickers with type 3 too; its paths tell them apart.
            let k = if text.contains("emoji") {
                MessageKind::Sticker
            } else {
                MessageKind::Image
            };
            (k, text)
        }
        (Some(34), _) => {
            attachments.push(Attachment {
                name: Some(text.clone()),
                ..Default::default()
            });
            let b = get("voice_to_text")
                .map(html_unescape)
                .unwrap_or_else(|| "[语音]".into());
            (MessageKind::Voice, b)
        }
        (Some(43), _) => {
            attachments.push(Attachment {
                name: Some(text.clone()),
                ..Default::default()
            });
            (MessageKind::Video, "[视频]".into())
        }
        (Some(49), Some(6)) => {
            attachments.push(Attachment {
                name: get("file_name").map(str::to_owned).or(Some(text.clone())),
                size: num("file_size").and_then(|s| u64::try_from(s).ok()),
                ..Default::default()
            });
            (
                MessageKind::File,
                get("file_name").unwrap_or(&text).to_owned(),
            )
        }
        (Some(49), Some(2000)) => {
            money = get("feedesc").and_then(wc::parse_money);
            if let Some(m) = get("paysubtype").and_then(wc::paysubtype_meaning) {
                extra.insert("paysubtype_meaning".into(), m.into());
            }
            let lines: Vec<&str> = [Some(text.as_str()), get("feedesc")]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect();
            (MessageKind::Transfer, lines.join("\n"))
        }
        (Some(49), Some(3)) | (Some(49), Some(5)) => {
            let lines: Vec<String> = [get("title"), get("description"), get("url")]
                .into_iter()
                .flatten()
                .map(html_unescape)
                .collect();
            (MessageKind::Link, lines.join("\n"))
        }
        (Some(49), _) => {
            if let Some(r) = get("refer_text") {
                extra.insert("quote".into(), html_unescape(r).into());
            }
            (MessageKind::Text, text)
        }
        (Some(50), _) => (MessageKind::Call, text),
        _ => {
            extra.insert("unknown_type".into(), true.into());
            (MessageKind::Text, text)
        }
    };
    let time = match (num("timestamp"), get("timestamp")) {
        (Some(s), _) => zone.epoch(&s.to_string(), "unix_s", s),
        (None, raw) => unresolved(raw.unwrap_or(""), "unix_s"),
    };
    let is_send = num("is_send");
    let name = get("displayname").map(html_unescape);
    Message {
        id: format!("B{start}"),
        conversation: conv.to_owned(),
        sender: if ty == Some(0) {
            Party::default()
        } else {
            Party {
                name,
                account: None,
            }
        },
        direction: match is_send {
            Some(1) => Direction::Outgoing,
            Some(0) => Direction::Incoming,
            _ => Direction::Unknown,
        },
        kind,
        body,
        time,
        attachments,
        reply_to: None,
        edited: None,
        forwarded_from: None,
        money,
        recovered: false,
        provenance,
        extra: Value::Object(extra),
    }
}

#[cfg(test)]
mod tests {
    //! No WeChatMsg HTML export is openly licensed: the page is built from the object shapes in
    //! FORMATS-CN.md §4.1 (WeChatMsg `exporter_html.py`, `template.html`).
    use super::*;
    use crate::source::Collect;

    pub(crate) const SAMPLE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>老王</title></head>\n\
<body><p id=\"title\">老王</p><script>\nconst chatMessages = [\n\
{ type:1, text: '你好，我是客服\\n有事找我',is_send:0,avatar_path:'./avatar/a.png',timestamp:1700000000,is_chatroom:0,displayname:'老王'},\
{ type:3, text: './image/abc.jpg',is_send:1,avatar_path:'',timestamp:1700000060,is_chatroom:0,displayname:'我'},\
{ type:49,sub_type:2000,text:'发起转账',is_send:1,avatar_path:'',timestamp:1700000120,is_chatroom:0,displayname:'我',paysubtype:1,pay_memo:'',feedesc:'￥50000.00',},\n\
{ type:49, text: '真的吗',is_send:1,sub_type:57,refer_text: '老王：先交保证金',avatar_path:'',timestamp:1700000180,is_chatroom:0,displayname:'我'},\
{ type:0, text: '\"老王\" 撤回了一条消息',is_send:0,avatar_path:'',timestamp:1700000240,is_chatroom:0,displayname:''},\
{ type:49,sub_type:5, text:'',is_send:0,avatar_path:'',url:'https://example.invalid/x',timestamp:1700000300,is_chatroom:0,displayname:'老王',title:'It's broken',description:'x',thumbnail:'',app_logo:'',app_name:'None'},\n\
{ type:50, text:'通话时长 00:42',call_type:0,avatar_path:'',timestamp:1700000360,is_chatroom:0,displayname:'老王',},\n\
{ type:49, text: './file/合同.pdf',is_send:0,avatar_path:'',timestamp:1700000420,is_chatroom:0,displayname:'老王',icon_path: './icon/pdf.png',sub_type:6,file_name: '合同.pdf',file_size: '123456',app_name: 'None'},\
\n];\n</script></body></html>\n";

    fn run(bytes: &[u8]) -> (Collect, Result<(), SourceError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("老王.html");
        std::fs::write(&path, bytes).expect("write");
        let input = Input::open(&path).expect("open");
        let mut sink = Collect::default();
        let r = WechatExportHtml.parse(&input, &Options::default(), &mut sink);
        (sink, r)
    }

    #[test]
    fn documented_sample() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.html");
        std::fs::write(&path, SAMPLE).expect("write");
        assert!(WechatExportHtml.sniff(&Input::open(&path).expect("open")) >= 90);
        let (sink, r) = run(SAMPLE.as_bytes());
        r.expect("parse");
        assert_eq!(sink.conversations[0].id, "老王");
        assert_eq!(sink.conversations[0].kind.as_deref(), Some("private"));
        let m = &sink.messages;
        // The object with an unescaped quote in `title` is unparsed; the rest are read.
        assert_eq!(m.len(), 7, "{:?}", sink.unparsed);
        assert_eq!(sink.unparsed.len(), 1);
        assert!(sink.unparsed[0].excerpt.contains("It"));
        assert_eq!(m[0].body, "你好，我是客服\n有事找我");
        assert_eq!(m[0].sender.name.as_deref(), Some("老王"));
        assert_eq!(m[0].time.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(m[0].time.offset.as_deref(), Some("+08:00"));
        assert_eq!(m[1].kind, MessageKind::Image);
        assert_eq!(m[1].direction, Direction::Outgoing);
        assert_eq!(m[2].kind, MessageKind::Transfer);
        let money = m[2].money.as_ref().expect("money");
        assert_eq!(money.amount, "50000.00");
        assert_eq!(m[3].extra["quote"], "老王：先交保证金");
        assert_eq!(m[4].kind, MessageKind::Recalled);
        assert_eq!(m[5].kind, MessageKind::Call);
        assert_eq!(m[6].kind, MessageKind::File);
        assert_eq!(m[6].attachments[0].size, Some(123_456));
        let Location::Bytes { line, .. } = &m[0].provenance.location else {
            panic!("location")
        };
        assert_eq!(*line, Some(5));
    }

    #[test]
    fn hostile() {
        assert!(run(b"").1.is_err());
        assert!(run(b"<html>no array</html>").1.is_err());
        for data in [
            &b"chatMessages = ["[..],
            b"chatMessages = [{ type:1, text: 'unterminated",
            b"chatMessages = [{{{{{{]",
            b"chatMessages = [{ type:1, timestamp:99999999999999999999, text:'x'}]",
            b"chatMessages = [}}}}} ,,, { type :1 , 'text' : \"a\\\"b\" }]",
        ] {
            let (s, r) = run(data);
            r.expect("parse");
            let _ = s;
        }
        let (s, _) = run(b"chatMessages = [}}}}} ,,, { type :1 , 'text' : \"a\\\"b\" }]");
        assert_eq!(s.messages.len(), 1);
        assert_eq!(s.messages[0].body, "a\"b");
    }
}
