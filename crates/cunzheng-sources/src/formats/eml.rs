//! One e-mail message saved as a file (`.eml`, RFC 5322 with MIME), as mail clients and
//! webmail "download original" write it.

use std::io::Read;

use cunzheng_model::{Conversation, Location, Platform, Unparsed};
use mail_parser::MessageParser;
use serde_json::Value;

use super::common_mail::{
    Digest, Threads, Warnings, build, excerpt, has_header_fields, is_field_name, is_from_line,
};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::Zone;

/// `.eml`: one RFC 5322 message.
pub struct Eml;

/// Header names that mark a mail message rather than any MIME entity.
const STRONG: &[&str] = &[
    "from",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "delivered-to",
    "dkim-signature",
];

/// Header names common in mail.
const KNOWN: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "date",
    "subject",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "in-reply-to",
    "references",
    "reply-to",
    "sender",
    "delivered-to",
    "dkim-signature",
    "authentication-results",
    "x-mailer",
    "user-agent",
    "thread-index",
    "thread-topic",
];

impl Source for Eml {
    fn id(&self) -> &'static str {
        "eml"
    }

    fn name(&self) -> &'static str {
        "E-mail message (.eml)"
    }

    fn description(&self) -> &'static str {
        "One RFC 5322 e-mail message with MIME (.eml, a saved or downloaded original): one \
         message with sender (From), recipients, subject, text body (text/plain, else the HTML \
         part turned roughly into text), attachments (name, type, size; contents not \
         extracted), reply link (In-Reply-To) and the Date header's instant with its own \
         offset. Encoded words and bodies in any charset mail-parser knows, GBK/GB18030 \
         included. Threads by References/In-Reply-To, else by subject. Does not read mbox \
         files (see `mbox`), Outlook .msg or MHTML page saves, and does not check DKIM or \
         Received chains (they are kept in the file)."
    }

    fn globs(&self) -> &'static [&'static str] {
        &["*.eml"]
    }

    fn tier(&self) -> Tier {
        // The format is RFC 5322/MIME; tested on messages from mail-parser's and Dovecot's
        // test suites and a Gmail-written message, not on a case's own exports.
        Tier::Documented
    }

    fn sniff(&self, input: &Input) -> u8 {
        sniff_headers(&input.head)
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let (zone, w) = Zone::from_options(opts);
        if let Some(w) = w {
            sink.warning(w);
        }
        let file = std::fs::File::open(&input.path).map_err(|e| SourceError::io(&input.path, e))?;
        let mut data = Vec::new();
        file.take(MAX_RECORD as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| SourceError::io(&input.path, e))?;
        let len = std::fs::metadata(&input.path)
            .map(|m| m.len())
            .unwrap_or(data.len() as u64);
        let tag = self.parser_tag();
        let whole = Location::Bytes {
            start: 0,
            end: len,
            line: Some(1),
        };
        // A message larger than one record (a big attachment): its start holds the header
        // and, as mail clients write them, the text parts; those are read, the rest is
        // recorded as unparsed with its byte range.
        let oversized = data.len() > MAX_RECORD;
        if oversized {
            data.truncate(MAX_RECORD);
            sink.unparsed(Unparsed {
                provenance: input.provenance(
                    &tag,
                    Location::Bytes {
                        start: MAX_RECORD as u64,
                        end: len,
                        line: None,
                    },
                ),
                reason: format!(
                    "rest of a message of {len} bytes: past the {MAX_RECORD}-byte limit for one record; its header and first parts were read"
                ),
                excerpt: String::new(),
            });
            sink.warning(format!(
                "{}: message is {len} bytes; only its first {MAX_RECORD} bytes were read (parts after them, usually attachments, are not listed)",
                input.name
            ));
        }
        if data.iter().all(u8::is_ascii_whitespace) {
            return Err(SourceError::Format {
                location: "byte 0".into(),
                message: "empty file, no e-mail message".into(),
            });
        }
        // Some tools save a message with its mbox `From ` line in front; it is no header.
        let first_end = data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| i + 1);
        let first = data.get(..first_end).unwrap_or_default();
        let (skip, from_line) = if is_from_line(first) {
            (
                first_end,
                Some(String::from_utf8_lossy(first).trim_end().to_owned()),
            )
        } else {
            (0, None)
        };
        let bytes = data.get(skip..).unwrap_or_default();
        let parsed = MessageParser::new()
            .parse(bytes)
            .filter(|m| has_header_fields(m));
        let Some(msg) = parsed else {
            sink.unparsed(Unparsed {
                provenance: input.provenance(&tag, whole),
                reason: "no RFC 5322 header fields; not an e-mail message".into(),
                excerpt: excerpt(&data),
            });
            return Ok(());
        };
        let digest = Digest::of(&msg, "L1");
        let mut threads = Threads::default();
        threads.add(&digest);
        let conv = threads.lookup(&digest);
        sink.conversation(Conversation {
            platform: Platform::Email,
            id: conv.id.clone(),
            title: conv.title,
            kind: None,
            participants: conv.participants,
        });
        let id = super::common_mail::message_id(&msg).unwrap_or_else(|| "L1".into());
        let mut built = build(
            &msg,
            &digest,
            &zone,
            opts,
            id,
            conv.id,
            input.provenance(&tag, whole),
        );
        if let Value::Object(extra) = &mut built.message.extra {
            if let Some(f) = from_line {
                extra.insert("from_line".into(), f.into());
            }
            if oversized {
                extra.insert(
                    "truncated".into(),
                    serde_json::json!({"message_bytes": len, "read_bytes": MAX_RECORD}),
                );
            }
        }
        let mut warnings = Warnings::default();
        for (kind, text) in built.problems {
            warnings.warn(sink, kind, format!("{}: {text}", input.name));
        }
        sink.message(built.message);
        warnings.finish(sink);
        Ok(())
    }
}

/// Scores a head of bytes as an RFC 5322 header block: every line up to the first empty one
/// is a `Name: value` field or a folded continuation, with names mail uses. Strict on purpose,
/// so that chat text exports (`12/01/2023, 10:00 - Bob: hi`, QQ's `消息记录`) never look like
/// mail: their first line's "name" holds spaces or non-ASCII.
pub(crate) fn sniff_headers(head: &[u8]) -> u8 {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut names: Vec<String> = Vec::new();
    let mut related = false;
    let mut from_has_at = false;
    let mut last = String::new();
    let mut lines = head.split(|&b| b == b'\n').peekable();
    let mut complete = false;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if lines.peek().is_none() {
            // The last piece may be cut off by the head's end.
            break;
        }
        if line.is_empty() {
            complete = true;
            break;
        }
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            if names.is_empty() {
                return 0;
            }
            if last == "from" {
                from_has_at |= line.contains(&b'@');
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return 0;
        };
        let (name, value) = line.split_at(colon);
        if !is_field_name(name) {
            return 0;
        }
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if name == "from" {
            from_has_at |= value.contains(&b'@');
        }
        last.clone_from(&name);
        if name == "content-type" {
            related = value
                .get(1..)
                .unwrap_or_default()
                .trim_ascii()
                .to_ascii_lowercase()
                .starts_with(b"multipart/related");
        }
        names.push(name);
    }
    if names.is_empty() || (!complete && names.len() < 3) {
        return 0;
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    let known = KNOWN.iter().filter(|k| has(k)).count();
    let strong = STRONG.iter().filter(|k| has(k)).count();
    if related && (!from_has_at || has("snapshot-content-location")) {
        // A saved web page (MHTML: `From: <Saved by Blink>`, QQ's .mht export) is MIME too
        // but no mail.
        return 40;
    }
    if has("from") && (has("date") || has("message-id") || has("received")) && known >= 3 {
        90
    } else if strong >= 1 && known >= 2 {
        70
    } else if known >= 1 {
        30
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Collect;
    use cunzheng_model::{Direction, MessageKind};
    use std::path::{Path, PathBuf};

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/eml")
    }

    fn run_path(path: &Path, opts: &Options) -> (Result<(), SourceError>, Collect) {
        let input = Input::open(path).expect("open");
        let mut sink = Collect::default();
        let r = Eml.parse(&input, opts, &mut sink);
        (r, sink)
    }

    fn run_bytes(bytes: &[u8], opts: &Options) -> (Result<(), SourceError>, Collect) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.eml");
        std::fs::write(&path, bytes).expect("write");
        run_path(&path, opts)
    }

    fn sniff_bytes(bytes: &[u8]) -> u8 {
        sniff_headers(bytes)
    }

    fn shanghai() -> Options {
        Options {
            zone: Some("Asia/Shanghai".into()),
            ..Options::default()
        }
    }

    #[test]
    fn gmail_message_with_attachment() {
        let path = data_dir()
            .join("langchain-ai__langchain-community/libs/community/tests/examples/fake-email-attachment.eml");
        let input = Input::open(&path).expect("open");
        assert_eq!(Eml.sniff(&input), 90);
        let (r, c) = run_path(&path, &shanghai());
        r.expect("parse");
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.messages.len(), 1);
        assert!(c.unparsed.is_empty());
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let m = &c.messages[0];
        assert_eq!(
            m.id,
            "CAPgNNXSzLVJ-d1OCX_TjFgJU7ugtQrjFybPtAMmmYZzphxNFYg@mail.gmail.com"
        );
        assert_eq!(m.sender.name.as_deref(), Some("Mallori Harrell"));
        assert_eq!(m.sender.account.as_deref(), Some("mallori@unstructured.io"));
        assert_eq!(m.kind, MessageKind::Text);
        assert!(
            m.body.starts_with("Hello!\n\nHere's the attachments!"),
            "{:?}",
            m.body
        );
        assert!(m.body.contains("   - Little to no content"));
        // Date: Fri, 23 Dec 2022 12:08:48 -0600
        assert_eq!(m.time.raw, "Fri, 23 Dec 2022 12:08:48 -0600");
        assert_eq!(m.time.unit, "rfc2822");
        assert_eq!(m.time.utc.as_deref(), Some("2022-12-23T18:08:48Z"));
        assert_eq!(m.time.offset.as_deref(), Some("+08:00"));
        assert_eq!(m.time.zone_basis, "source");
        assert_eq!(m.extra["date_offset"], "-06:00");
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.name.as_deref(), Some("fake-attachment.txt"));
        assert_eq!(a.mime.as_deref(), Some("text/plain"));
        // base64 `SGV5IHRoaXMgaXMgYSBmYWtlIGF0dGFjaG1lbnQh` = "Hey this is a fake attachment!"
        assert_eq!(a.size, Some(30));
        let conv = &c.conversations[0];
        assert_eq!(
            conv.id,
            "<CAPgNNXSzLVJ-d1OCX_TjFgJU7ugtQrjFybPtAMmmYZzphxNFYg@mail.gmail.com>"
        );
        assert_eq!(conv.title.as_deref(), Some("Fake email with attachment"));
        assert_eq!(
            conv.participants.len(),
            1,
            "From and To are the same address"
        );
        assert_eq!(m.conversation, conv.id);
        assert_eq!(
            m.provenance.location,
            Location::Bytes {
                start: 0,
                end: 1654,
                line: Some(1)
            }
        );
        assert_eq!(m.provenance.parser, "eml 1");
    }

    #[test]
    fn rfc_multipart_example() {
        // RFC 2049 appendix A: preamble, implicit text part, nested multipart/parallel with
        // audio and image, an enriched-text part and a message/rfc822 part.
        let path = data_dir().join("stalwartlabs__mail-parser/resources/eml/rfc/000.eml");
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages.len(), 1);
        let m = &c.messages[0];
        assert_eq!(m.sender.name.as_deref(), Some("Nathaniel Borenstein"));
        assert_eq!(m.sender.account.as_deref(), Some("nsb@nsb.fv.com"));
        assert_eq!(m.id, "L1", "no Message-ID: id from the location");
        assert_eq!(m.time.raw, "Fri, 07 Oct 1994 16:15:05 -0700 (PDT)");
        assert_eq!(m.time.utc.as_deref(), Some("1994-10-07T23:15:05Z"));
        // No zone given: the instant still comes from the header; the shown offset is the
        // fallback zone's.
        assert_eq!(m.time.zone_basis, "source");
        assert_eq!(m.time.zone.as_deref(), Some("Asia/Shanghai"));
        assert!(
            m.body.starts_with("... Some text appears here ..."),
            "{:?}",
            m.body
        );
        assert!(
            m.body
                .contains("This could have been part of the previous part")
        );
        let mimes: Vec<_> = m.attachments.iter().map(|a| a.mime.clone()).collect();
        assert!(mimes.contains(&Some("audio/basic".into())), "{mimes:?}");
        assert!(mimes.contains(&Some("image/jpeg".into())), "{mimes:?}");
        assert!(mimes.contains(&Some("message/rfc822".into())), "{mimes:?}");
        assert_eq!(c.conversations[0].id, "subject:a multipart example");
        assert_eq!(m.extra["thread_basis"], "subject");
    }

    #[test]
    fn unreadable_date_is_unresolved_with_a_warning() {
        // `Date: Whenever`, no real addresses.
        let path = data_dir().join("stalwartlabs__mail-parser/resources/eml/rfc/001.eml");
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        let m = &c.messages[0];
        assert_eq!(m.time.raw, "Whenever");
        assert_eq!(m.time.utc, None);
        assert_eq!(m.time.zone_basis, "unknown");
        assert!(
            c.warnings.iter().any(|w| w.contains("Whenever")),
            "{:?}",
            c.warnings
        );
        assert_eq!(m.id, "id1@host.com");
        assert_eq!(m.sender.name.as_deref(), Some("Whomever"));
        assert_eq!(c.conversations[0].id, "<id1@host.com>");
    }

    #[test]
    fn missing_date_and_forwarded_message() {
        // The outer message has no Date; a message/rfc822 part carries the forwarded mail.
        let path = data_dir().join("stalwartlabs__mail-parser/resources/eml/rfc/002.eml");
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        let m = &c.messages[0];
        assert_eq!(m.time.raw, "");
        assert_eq!(m.time.utc, None);
        assert!(c.warnings.iter().any(|w| w.contains("no Date header")));
        assert_eq!(
            m.sender.account.as_deref(),
            Some("vice-president@whitehouse.gov")
        );
        assert!(
            m.body.starts_with("Fred,\n\nFire up Air Force One!"),
            "{:?}",
            m.body
        );
        let fwd = m
            .attachments
            .iter()
            .find(|a| a.mime.as_deref() == Some("message/rfc822"))
            .expect("forwarded message");
        assert_eq!(fwd.size, Some(1979));
        assert_eq!(
            c.conversations[0].title.as_deref(),
            Some("[Fwd: Map of Argentina with Description]")
        );
        // The recipient in the To header, folded over two lines, is a participant.
        assert!(
            c.conversations[0]
                .participants
                .iter()
                .any(|p| p.account.as_deref() == Some("transport@whitehouse.gov"))
        );
    }

    #[test]
    fn windows_1252_inline_image_and_attachment() {
        let path = data_dir().join("stalwartlabs__mail-parser/resources/eml/thirdparty/019.eml");
        let (r, c) = run_path(&path, &shanghai());
        r.expect("parse");
        let m = &c.messages[0];
        assert_eq!(m.body.trim_end(), "Search for hähä");
        assert_eq!(m.time.utc.as_deref(), Some("2017-12-30T19:50:01Z"));
        assert_eq!(m.extra["date_offset"], "+01:00");
        let names: Vec<_> = m.attachments.iter().map(|a| a.name.clone()).collect();
        assert!(names.contains(&Some("attach2.png".into())), "{names:?}");
        let a = m
            .attachments
            .iter()
            .find(|a| a.name.as_deref() == Some("attach2.png"))
            .expect("attachment");
        assert_eq!(a.mime.as_deref(), Some("image/png"));
        assert!(a.size.is_some_and(|s| s > 0 && s < 200));
    }

    #[test]
    fn encoded_word_subject_and_charsets() {
        let path = data_dir().join("stalwartlabs__mail-parser/resources/eml/thirdparty/010.eml");
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages[0].extra["subject"], "こんにちは");
        assert_eq!(c.messages[0].body, "人権の無視及");
        // UTF-16 and EUC-JP parts, and an undecodable one: nothing is lost, nothing panics.
        let path = data_dir().join("stalwartlabs__mail-parser/resources/eml/thirdparty/005.eml");
        let (r, c) = run_path(&path, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages.len(), 1);
        assert!(
            c.messages[0].body.contains("Test message"),
            "{:?}",
            c.messages[0].body
        );
    }

    /// Standard base64, for building encoded words in tests.
    pub(crate) fn b64(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in bytes.chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// A GBK message built here (no licensed GBK sample exists): encoded-word subject and
    /// sender name in GBK and GB2312, a GBK 8-bit body, a GB18030 four-byte character, a reply.
    #[test]
    fn gbk_message() {
        let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
        let gb18030 = |s: &str| encoding_rs::GB18030.encode(s).0.into_owned();
        let mut m = Vec::new();
        m.extend_from_slice(
            format!(
                "From: =?GB2312?B?{}?= <zhangsan@example.cn>\r\n",
                b64(&gbk("张三"))
            )
            .as_bytes(),
        );
        m.extend_from_slice(b"To: =?gbk?B?");
        m.extend_from_slice(b64(&gbk("李四")).as_bytes());
        m.extend_from_slice(b"?= <lisi@example.cn>\r\n");
        m.extend_from_slice(
            format!(
                "Subject: =?GBK?B?{}?=\r\n",
                b64(&gbk("回复: 关于转账的确认"))
            )
            .as_bytes(),
        );
        m.extend_from_slice(b"Date: Wed, 03 Jan 2024 09:30:00 +0800\r\n");
        m.extend_from_slice(b"Message-ID: <r1@example.cn>\r\nIn-Reply-To: <q1@example.cn>\r\n");
        m.extend_from_slice(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=GB18030\r\n");
        m.extend_from_slice(b"Content-Transfer-Encoding: 8bit\r\n\r\n");
        m.extend_from_slice(&gb18030("您好，请把五万元转到安全账户。𠀀\r\n"));
        let (r, c) = run_bytes(&m, &shanghai());
        r.expect("parse");
        let msg = &c.messages[0];
        assert_eq!(msg.sender.name.as_deref(), Some("张三"));
        assert_eq!(msg.sender.account.as_deref(), Some("zhangsan@example.cn"));
        assert_eq!(msg.extra["subject"], "回复: 关于转账的确认");
        assert_eq!(msg.body, "您好，请把五万元转到安全账户。𠀀\r\n");
        assert_eq!(msg.reply_to.as_deref(), Some("q1@example.cn"));
        assert_eq!(msg.time.utc.as_deref(), Some("2024-01-03T01:30:00Z"));
        assert_eq!(msg.time.offset.as_deref(), Some("+08:00"));
        assert_eq!(msg.time.zone_basis, "source");
        let conv = &c.conversations[0];
        assert_eq!(
            conv.id, "<q1@example.cn>",
            "thread named by the message replied to"
        );
        assert_eq!(conv.title.as_deref(), Some("回复: 关于转账的确认"));
        assert!(
            conv.participants
                .iter()
                .any(|p| p.name.as_deref() == Some("李四"))
        );

        // Raw 8-bit GBK in the Subject (old clients, no encoded word): decoded as GB18030,
        // not replaced by U+FFFD.
        let mut m = b"From: a@example.cn\r\nSubject: ".to_vec();
        m.extend_from_slice(&gbk("汇款确认"));
        m.extend_from_slice(b"\r\nDate: Wed, 03 Jan 2024 09:30:00 +0800\r\n\r\nx\r\n");
        let (r, c) = run_bytes(&m, &shanghai());
        r.expect("parse");
        assert_eq!(c.messages[0].extra["subject"], "汇款确认");
        assert_eq!(c.conversations[0].id, "subject:汇款确认");
    }

    /// Every message of the shared corpus (read in place, not copied): one message or one
    /// unparsed record each, never an error or a panic.
    #[test]
    fn whole_shared_corpus() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/eml");
        if !root.is_dir() {
            println!("SKIP: {} is absent", root.display());
            return;
        }
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "eml") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(&root, &mut files);
        assert!(files.len() >= 50, "{}", files.len());
        let mut messages = 0;
        for f in &files {
            let (r, c) = run_path(f, &Options::default());
            r.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert_eq!(c.messages.len() + c.unparsed.len(), 1, "{}", f.display());
            assert_eq!(c.conversations.len(), c.messages.len(), "{}", f.display());
            messages += c.messages.len();
        }
        println!("{} files, {messages} messages", files.len());
    }

    #[test]
    fn sniffing() {
        let mail = b"Received: from x\r\nFrom: a@b.c\r\nTo: d@e.f\r\nDate: Tue, 02 Jan 2024 10:00:00 +0800\r\nSubject: hi\r\n\r\nbody\r\n";
        assert_eq!(sniff_bytes(mail), 90);
        // WhatsApp, QQ and other chat text must not look like mail.
        assert_eq!(
            sniff_bytes(b"12/01/2023, 10:00 - Bob: hi\n12/01/2023, 10:01 - Al: ok\n"),
            0
        );
        assert_eq!(sniff_bytes("[12.01.23, 10:00:00] Bob: hi\n".as_bytes()), 0);
        assert_eq!(
            sniff_bytes(
                "消息记录（此消息记录为文本格式，不支持重新导入）\r\n\r\n================================================================\r\n消息分组:我的好友\r\n".as_bytes()
            ),
            0
        );
        assert_eq!(
            sniff_bytes("2023-01-01 10:00:00 张三(123456)\r\nhello\r\n\r\n".as_bytes()),
            0
        );
        assert_eq!(sniff_bytes(b"Subject: hi\nFrom: chat\nhello there\n\n"), 0);
        assert_eq!(sniff_bytes(b""), 0);
        assert_eq!(
            sniff_bytes(b"From a@b Mon Jan 01 12:00:00 2024\nFrom: a@b\n\n"),
            0
        );
        // An MHTML page save is MIME but no mail.
        let mht = b"From: <Saved by Windows Internet Explorer 8>\r\nSubject: QQ\r\nDate: Tue, 2 Jan 2024 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype=\"text/html\"\r\n\r\n";
        assert_eq!(sniff_bytes(mht), 40);
        // ... but a mail with HTML and inline images is multipart/related too.
        let related = b"From: test <test@example.com>\r\nSubject: s\r\nDate: Sat, 27 Feb 2016 17:11:45 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n boundary=\"r\"\r\n\r\n";
        assert_eq!(sniff_bytes(related), 90);
        // A bare MIME entity (mail-parser's malformed samples): known, not claimed.
        assert_eq!(sniff_bytes(b"Content-Type: text/plain\n\nbody\n"), 30);
    }

    #[test]
    fn hostile_inputs() {
        let (r, c) = run_bytes(b"", &Options::default());
        assert!(matches!(r, Err(SourceError::Format { .. })));
        assert!(c.messages.is_empty());
        let (r, c) = run_bytes(
            b"\x00\x01\x02garbage\xff\xfe no headers at all",
            &Options::default(),
        );
        r.expect("unparsed, not an error");
        assert_eq!(c.unparsed.len(), 1);
        assert!(c.messages.is_empty());
        // Truncated in the middle of a header and of a multipart body.
        let (r, c) = run_bytes(
            b"From: a@b.c\r\nDate: Tue, 02 Jan 2024 10:00:00 +0800\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/pl",
            &Options::default(),
        );
        r.expect("parse");
        assert_eq!(c.messages.len(), 1);
        // A huge single line.
        let mut big = b"From: a@b.c\nSubject: big\n\n".to_vec();
        big.extend(std::iter::repeat_n(b'x', 3 << 20));
        let (r, c) = run_bytes(&big, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages[0].body.len(), 3 << 20);
        // Larger than one record: a text part, then an attachment of 20 MB. The header and
        // text are read; the rest is unparsed with its range.
        let mut huge = b"From: a@b.c\nSubject: huge\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee the contract\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n".to_vec();
        while huge.len() < 20 << 20 {
            huge.extend_from_slice(&[b'Q'; 76]);
            huge.push(b'\n');
        }
        let total = huge.len() as u64;
        let (r, c) = run_bytes(&huge, &Options::default());
        r.expect("parse");
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.messages[0].body.trim_end(), "see the contract");
        assert_eq!(c.messages[0].extra["truncated"]["message_bytes"], total);
        assert_eq!(c.unparsed.len(), 1);
        assert!(matches!(
            c.unparsed[0].provenance.location,
            Location::Bytes { start, end, .. } if start == MAX_RECORD as u64 && end == total
        ));
        assert!(c.warnings.iter().any(|w| w.contains("only its first")));
    }

    #[test]
    fn dates() {
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let mail = |date: &str| {
            let text = format!("From: a@b.c\r\nDate: {date}\r\nSubject: t\r\n\r\nx\r\n");
            let (r, c) = run_bytes(text.as_bytes(), &opts);
            r.expect("parse");
            c
        };
        // Across Berlin's DST change (2023-03-26 01:00 UTC): the instant is the header's, the
        // shown offset is the given zone's at that instant.
        let c = mail("Sun, 26 Mar 2023 01:59:59 +0000");
        let t = &c.messages[0].time;
        assert_eq!(t.utc.as_deref(), Some("2023-03-26T01:59:59Z"));
        assert_eq!(t.offset.as_deref(), Some("+02:00"));
        assert_eq!(t.zone_basis, "source");
        assert_eq!(t.zone.as_deref(), Some("Europe/Berlin"));
        let c = mail("Sun, 26 Mar 2023 00:59:59 +0000");
        assert_eq!(c.messages[0].time.offset.as_deref(), Some("+01:00"));
        // China: +0800 with a (CST) comment.
        let c = mail("Tue, 02 Jan 2024 10:00:00 +0800 (CST)");
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2024-01-02T02:00:00Z")
        );
        assert_eq!(c.messages[0].extra["date_offset"], "+08:00");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        // A bare `CST` is US Central by RFC 5322: read so, and said.
        let c = mail("Tue, 02 Jan 2024 10:00:00 CST");
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2024-01-02T16:00:00Z")
        );
        assert!(c.warnings.iter().any(|w| w.contains("China Standard Time")));
        // Wrong weekday: read, and said.
        let c = mail("Mon, 02 Jan 2024 08:00:00 +0100");
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2024-01-02T07:00:00Z")
        );
        assert!(c.warnings.iter().any(|w| w.contains("wrong weekday")));
        // Not RFC 5322 but unambiguous: read leniently, marked, said.
        let c = mail("2 Jan 2024 9:05 +0000");
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2024-01-02T09:05:00Z")
        );
        assert_eq!(c.messages[0].extra["date_lenient"], true);
        assert!(c.warnings.iter().any(|w| w.contains("leniently")));
        // Two-digit year and obsolete GMT.
        let c = mail("Tue, 2 Jan 24 10:00:00 GMT");
        assert_eq!(
            c.messages[0].time.utc.as_deref(),
            Some("2024-01-02T10:00:00Z")
        );
        // Impossible date: unresolved.
        let c = mail("Fri, 31 Feb 2024 10:00:00 +0000");
        assert_eq!(c.messages[0].time.utc, None);
        assert_eq!(c.messages[0].time.raw, "Fri, 31 Feb 2024 10:00:00 +0000");
        assert!(!c.warnings.is_empty());
    }

    #[test]
    fn leading_from_line_is_kept_aside() {
        let text = b"From alice@x.cn Tue Jan  2 10:00:00 2024\nFrom: alice@x.cn\nDate: Tue, 02 Jan 2024 10:00:00 +0800\nSubject: s\n\nbody\n";
        let (r, c) = run_bytes(text, &Options::default());
        r.expect("parse");
        let m = &c.messages[0];
        assert_eq!(m.sender.account.as_deref(), Some("alice@x.cn"));
        assert_eq!(m.body, "body\n");
        assert_eq!(
            m.extra["from_line"],
            "From alice@x.cn Tue Jan  2 10:00:00 2024"
        );
    }

    #[test]
    fn owner_sets_direction() {
        let text = b"From: Me <me@x.cn>\r\nTo: You <you@y.cn>\r\nDate: Tue, 02 Jan 2024 10:00:00 +0800\r\n\r\nhi\r\n";
        let opts = Options {
            owner: vec!["ME@x.cn".into()],
            ..Options::default()
        };
        let (_, c) = run_bytes(text, &opts);
        assert_eq!(c.messages[0].direction, Direction::Outgoing);
        let opts = Options {
            owner: vec!["you@y.cn".into()],
            ..Options::default()
        };
        let (_, c) = run_bytes(text, &opts);
        assert_eq!(c.messages[0].direction, Direction::Incoming);
        let (_, c) = run_bytes(text, &Options::default());
        assert_eq!(c.messages[0].direction, Direction::Unknown);
    }
}
