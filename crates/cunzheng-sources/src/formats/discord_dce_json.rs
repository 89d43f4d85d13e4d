//! DiscordChatExporter's JSON export: one channel (or thread, or DM) per file.
//!
//! Shape, from DiscordChatExporter's `JsonMessageWriter`: `{guild: {id, name, iconUrl},
//! channel: {id, type, categoryId, category, name, topic}, dateRange: {after, before},
//! exportedAt, messages: [...], messageCount}`. Each message has `id`, `type` (`Default`,
//! `Reply`, `Call`, `GuildMemberJoin`, `ThreadCreated`, …), `timestamp` and `timestampEdited`
//! (ISO 8601 with the exporting computer's offset), `content`, `author {id, name,
//! discriminator, nickname, isBot, …}`, `attachments`, `embeds`, `stickers`, `reactions`,
//! `mentions`, `reference {messageId, channelId, guildId}` and, in newer versions,
//! `forwardedMessage`. Read as a stream.

use cunzheng_model::{Attachment, Conversation, Message, MessageKind, MsgTime, Party, Platform};
use serde_json::{Map, Value};

use super::common_json::{
    RawValue, ScanError, Scanner, Span, broken_tail, direction, int_of, is_owner, parse_element,
    text_of, unparsed,
};
use crate::source::{Input, MAX_RECORD, Options, Sink, Source, SourceError, Tier};
use crate::time::{Zone, unresolved};

/// DiscordChatExporter JSON.
pub struct DiscordDceJson;

impl Source for DiscordDceJson {
    fn id(&self) -> &'static str {
        "discord-dce-json"
    }
    fn name(&self) -> &'static str {
        "DiscordChatExporter JSON"
    }
    fn description(&self) -> &'static str {
        "DiscordChatExporter (Tyrrrz) JSON export of one channel, thread or DM: messages with \
         their snowflake ids, authors (id, nickname, user name), timestamps with the offset the \
         exporter wrote, edit times, replies (reference), attachments (name, size; the file's \
         URL or local path in extra), stickers, embeds, reactions, mentions, forwarded messages \
         and system messages (joins, calls, pins, thread creation). Warns when messageCount \
         disagrees with the messages present or when the export was limited to a date range. \
         Markdown in content is kept as written; attachment files are not opened. Read as a \
         stream. Not read: DiscordChatExporter's HTML, CSV and text formats."
    }
    fn globs(&self) -> &'static [&'static str] {
        &["*.json"]
    }
    fn tier(&self) -> Tier {
        // Checked against DiscordChatExporter output (the -frontend project's example guild).
        Tier::Observed
    }

    fn sniff(&self, input: &Input) -> u8 {
        let head = input
            .head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&input.head);
        let text = String::from_utf8_lossy(head);
        if !text.trim_start().starts_with('{') {
            return 0;
        }
        let mut score = 0u32;
        if text.contains("\"guild\"") && text.contains("\"channel\"") {
            score += 40;
        }
        if text.contains("\"messages\"") {
            score += 20;
        }
        if text.contains("\"timestampEdited\"") || text.contains("\"isPinned\"") {
            score += 30;
        } else if text.contains("\"author\"") {
            score += 10;
        }
        if text.contains("\"dateRange\"") {
            score += 10;
        }
        score.min(100) as u8
    }

    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError> {
        let (zone, zone_warning) = Zone::from_options(opts);
        if let Some(w) = zone_warning {
            sink.warning(w);
        }
        let mut ctx = Ctx {
            input,
            opts,
            sink,
            tag: self.parser_tag(),
            zone,
            started: false,
            guild: None,
            channel: None,
            conv: None,
            seen: 0,
            count: None,
            lossy: 0,
            late_meta: false,
        };
        let mut scanner = Scanner::open(input)?;
        if let Err(e) = walk(&mut scanner, &mut ctx) {
            let u = broken_tail(input, &ctx.tag, &scanner, &e, ctx.started)?;
            ctx.sink.unparsed(u);
        }
        ctx.finish();
        Ok(())
    }
}

struct Ctx<'a> {
    input: &'a Input,
    opts: &'a Options,
    sink: &'a mut dyn Sink,
    tag: String,
    zone: Zone,
    started: bool,
    guild: Option<Map<String, Value>>,
    channel: Option<Map<String, Value>>,
    conv: Option<String>,
    /// Message elements met (parsed or not), to compare with `messageCount`.
    seen: u64,
    count: Option<i64>,
    lossy: u64,
    late_meta: bool,
}

impl Ctx<'_> {
    fn ensure_conv(&mut self) -> String {
        if let Some(c) = &self.conv {
            return c.clone();
        }
        let ch = self.channel.clone().unwrap_or_default();
        let guild_name = self.guild.as_ref().and_then(|g| text_of(g.get("name")));
        let title = [
            guild_name,
            text_of(ch.get("category")),
            text_of(ch.get("name")),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
        let id = text_of(ch.get("id")).unwrap_or_else(|| "channel".to_owned());
        self.sink.conversation(Conversation {
            platform: Platform::Discord,
            id: id.clone(),
            title: (!title.is_empty()).then_some(title),
            kind: text_of(ch.get("type")),
            participants: Vec::new(),
        });
        self.conv = Some(id.clone());
        id
    }

    fn unparsed(&mut self, raw: &RawValue, reason: String) {
        let u = unparsed(self.input, &self.tag, raw, reason);
        self.sink.unparsed(u);
    }

    fn small_object(
        &mut self,
        s: &mut Scanner,
        what: &str,
    ) -> Result<Option<Map<String, Value>>, ScanError> {
        let raw = s.read_value(MAX_RECORD)?;
        match raw.bytes.as_deref().map(parse_element) {
            Some(Ok((Value::Object(m), _))) => Ok(Some(m)),
            Some(Ok((Value::Null, _))) => Ok(None),
            Some(Ok(_)) => {
                self.unparsed(&raw, format!("`{what}` is not an object"));
                Ok(None)
            }
            Some(Err(e)) => {
                self.unparsed(&raw, format!("{what}: {e}"));
                Ok(None)
            }
            None => {
                self.unparsed(&raw, format!("{what} larger than {MAX_RECORD} bytes"));
                Ok(None)
            }
        }
    }

    fn finish(&mut self) {
        if self.started && self.conv.is_none() {
            self.ensure_conv();
        }
        if let Some(n) = self.count
            && n != self.seen as i64
        {
            self.sink.warning(format!(
                "the export says messageCount {n} but holds {} message(s); the file may have been \
                 edited or cut, or written by a version that counts differently",
                self.seen
            ));
        }
        if self.lossy > 0 {
            self.sink.warning(format!(
                "{} message(s) held invalid UTF-8; the bad bytes were replaced by U+FFFD (extra.lossy_utf8)",
                self.lossy
            ));
        }
        if self.late_meta {
            self.sink.warning(
                "guild or channel came after the messages; the conversation record lacks it"
                    .to_owned(),
            );
        }
    }
}

fn walk(s: &mut Scanner, ctx: &mut Ctx) -> Result<(), ScanError> {
    s.enter_object()?;
    ctx.started = true;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key.as_str() {
            "guild" | "channel" => {
                let v = ctx.small_object(s, &key)?;
                if ctx.conv.is_some() {
                    ctx.late_meta = true;
                }
                if key == "guild" {
                    ctx.guild = v;
                } else {
                    ctx.channel = v;
                }
            }
            "dateRange" => {
                if let Some(r) = ctx.small_object(s, "dateRange")? {
                    let after = text_of(r.get("after"));
                    let before = text_of(r.get("before"));
                    if after.is_some() || before.is_some() {
                        ctx.sink.warning(format!(
                            "the export was limited to messages after {} and before {}: messages \
                             outside that range are absent from this file, not proven not to exist",
                            after.as_deref().unwrap_or("(no limit)"),
                            before.as_deref().unwrap_or("(no limit)")
                        ));
                    }
                }
            }
            "messageCount" => {
                let raw = s.read_value(64)?;
                ctx.count = raw
                    .bytes
                    .as_deref()
                    .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                    .and_then(|v| int_of(Some(&v)));
            }
            "messages" => messages(s, ctx)?,
            _ => {
                s.skip_value()?;
            }
        }
    }
    if s.peek_token()?.is_some() {
        let start = s.pos();
        let raw = RawValue {
            span: Span {
                start,
                end: std::fs::metadata(&ctx.input.path)
                    .map(|m| m.len())
                    .unwrap_or(start),
                line: 0,
            },
            bytes: None,
        };
        ctx.unparsed(&raw, "data after the end of the JSON document".to_owned());
    }
    Ok(())
}

fn messages(s: &mut Scanner, ctx: &mut Ctx) -> Result<(), ScanError> {
    if s.peek_token()? != Some(b'[') {
        let raw = s.read_value(MAX_RECORD)?;
        ctx.unparsed(&raw, "`messages` is not an array".to_owned());
        return Ok(());
    }
    let conv = ctx.ensure_conv();
    s.enter_array()?;
    let mut first = true;
    while s.next_item(&mut first)? {
        let raw = s.read_value(MAX_RECORD)?;
        let pointer = format!("/messages/{}", ctx.seen);
        ctx.seen += 1;
        let Some(bytes) = raw.bytes.as_deref() else {
            ctx.unparsed(
                &raw,
                format!("{pointer}: message larger than {MAX_RECORD} bytes"),
            );
            continue;
        };
        match parse_element(bytes) {
            Ok((Value::Object(m), lossy)) => {
                if lossy {
                    ctx.lossy += 1;
                }
                let msg = message(ctx, &conv, m, raw.span, pointer, lossy);
                ctx.sink.message(msg);
            }
            Ok(_) => ctx.unparsed(&raw, format!("{pointer}: message is not an object")),
            Err(e) => ctx.unparsed(&raw, format!("{pointer}: {e}")),
        }
    }
    Ok(())
}

/// An ISO 8601 time with offset, as DiscordChatExporter writes it.
fn iso_time(zone: &Zone, v: Option<&Value>) -> Option<MsgTime> {
    let raw = match v? {
        Value::Null => return None,
        other => text_of(Some(other)).unwrap_or_else(|| other.to_string()),
    };
    Some(match raw.parse::<jiff::Timestamp>() {
        Ok(ts) => zone.instant(&raw, "rfc3339", ts),
        Err(_) => unresolved(&raw, "rfc3339"),
    })
}

/// Kind of an attachment by its file name's extension.
fn kind_of_file(name: &str) -> MessageKind {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" | "heic" | "avif" => MessageKind::Image,
        "mp4" | "mov" | "webm" | "mkv" | "avi" | "m4v" => MessageKind::Video,
        // Discord names recorded voice messages `voice-message.ogg`.
        "ogg" if lower.starts_with("voice-message") => MessageKind::Voice,
        _ => MessageKind::File,
    }
}

fn attachments_of(v: Option<&Value>) -> Vec<Attachment> {
    let Some(Value::Array(list)) = v else {
        return Vec::new();
    };
    list.iter()
        .map(|a| Attachment {
            name: text_of(a.get("fileName")).or_else(|| text_of(a.get("url"))),
            mime: None,
            size: a.get("fileSizeBytes").and_then(Value::as_u64),
            item_sha256: None,
            omitted: false,
        })
        .collect()
}

fn message(
    ctx: &mut Ctx,
    conv: &str,
    mut m: Map<String, Value>,
    span: Span,
    pointer: String,
    lossy: bool,
) -> Message {
    let id = text_of(m.get("id")).unwrap_or_else(|| format!("B{}", span.start));
    m.remove("id");
    let time = iso_time(&ctx.zone, m.get("timestamp")).unwrap_or_else(|| unresolved("", "rfc3339"));
    m.remove("timestamp");
    let edited = iso_time(&ctx.zone, m.get("timestampEdited"));
    if edited.is_some() {
        m.remove("timestampEdited");
    }
    let author = m.get("author").and_then(Value::as_object);
    let sender = Party {
        name: author.and_then(|a| {
            text_of(a.get("nickname"))
                .filter(|n| !n.is_empty())
                .or_else(|| text_of(a.get("name")))
        }),
        account: author.and_then(|a| text_of(a.get("id"))),
    };
    let user_name = author.and_then(|a| text_of(a.get("name")));
    let content = text_of(m.get("content")).unwrap_or_default();
    m.remove("content");
    let ty = text_of(m.get("type")).unwrap_or_default();

    let mut attachments = attachments_of(m.get("attachments"));
    let forwarded = m.get("forwardedMessage").and_then(Value::as_object);
    let forwarded_from = forwarded.map(|_| "(original author not given in the export)".to_owned());
    let mut body = content;
    if let Some(f) = forwarded {
        if body.is_empty() {
            body = text_of(f.get("content")).unwrap_or_default();
        }
        attachments.extend(attachments_of(f.get("attachments")));
    }
    let stickers: Vec<String> = match m.get("stickers") {
        Some(Value::Array(list)) => list.iter().filter_map(|s| text_of(s.get("name"))).collect(),
        _ => Vec::new(),
    };
    let kind = match ty.as_str() {
        "Call" => MessageKind::Call,
        "RecipientAdd"
        | "RecipientRemove"
        | "ChannelNameChange"
        | "ChannelIconChange"
        | "ChannelPinnedMessage"
        | "GuildMemberJoin"
        | "ThreadCreated" => MessageKind::System,
        _ => {
            if let Some(first) = attachments.first() {
                kind_of_file(first.name.as_deref().unwrap_or(""))
            } else if !stickers.is_empty() {
                MessageKind::Sticker
            } else {
                MessageKind::Text
            }
        }
    };
    if body.is_empty() && !stickers.is_empty() {
        body = stickers.join(", ");
    }
    // `reference` also points at a created thread or, for a forward, at the original.
    let reference = m.get("reference");
    let reply_to = reference
        .and_then(|r| text_of(r.get("messageId")))
        .filter(|_| {
            ty != "ThreadCreated"
                && forwarded.is_none()
                && reference.and_then(|r| text_of(r.get("type"))).as_deref() != Some("Forward")
        });
    // Nulls and empty lists say nothing; everything else stays for the examiner.
    m.retain(|_, v| !(v.is_null() || matches!(v, Value::Array(a) if a.is_empty())));
    m.insert("json_pointer".into(), pointer.into());
    if lossy {
        m.insert("lossy_utf8".into(), true.into());
    }
    let owner_match = is_owner(&ctx.opts.owner, &sender)
        || user_name
            .as_ref()
            .is_some_and(|u| ctx.opts.owner.iter().any(|o| o == u));
    let direction = direction(!ctx.opts.owner.is_empty(), owner_match);
    Message {
        id,
        conversation: conv.to_owned(),
        sender,
        direction,
        kind,
        body,
        time,
        attachments,
        reply_to,
        edited,
        forwarded_from,
        money: None,
        recovered: false,
        provenance: ctx.input.provenance(&ctx.tag, span.location()),
        extra: Value::Object(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::common_json::testutil::{
        corpus, fixture, parse_bytes, parse_err, parse_path,
    };
    use cunzheng_model::{Direction, Location};

    const SRC: &DiscordDceJson = &DiscordDceJson;
    const OWN: &str = "cunzheng/dce-guild-channel.json";

    fn utc(m: &Message) -> &str {
        m.time.utc.as_deref().unwrap_or("-")
    }

    /// Our own fixture, written from DiscordChatExporter's JSON writer (see its NOTE.md).
    #[test]
    fn documented_fixture() {
        let path = fixture("discord-dce-json", OWN);
        let out = parse_path(SRC, &path, &Options::default());
        assert!(out.unparsed.is_empty(), "{:?}", out.unparsed);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert_eq!(out.conversations.len(), 1);
        let c = &out.conversations[0];
        assert_eq!(c.platform, Platform::Discord);
        assert_eq!(c.id, "1100000000000000002");
        assert_eq!(
            c.title.as_deref(),
            Some("Example Trading Group / Text Channels / vip-signals")
        );
        assert_eq!(c.kind.as_deref(), Some("GuildTextChat"));
        assert_eq!(out.messages.len(), 8);
        let m = &out.messages;
        use MessageKind::*;
        let kinds: Vec<_> = m.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [System, Text, Text, Image, Voice, Sticker, Call, Text]
        );
        assert_eq!(m[0].body, "Joined the server.");
        assert_eq!(m[1].id, "1100000000000000101");
        assert_eq!(m[1].sender.name.as_deref(), Some("Teacher Wang"));
        assert_eq!(m[1].sender.account.as_deref(), Some("1100000000000000011"));
        assert_eq!(m[1].body, "今天的**内部消息**: buy at 0.5 USDT");
        assert_eq!(utc(&m[1]), "2024-03-01T01:00:00.123Z");
        assert_eq!(m[1].time.raw, "2024-03-01T09:00:00.123+08:00");
        assert_eq!(m[1].time.unit, "rfc3339");
        assert_eq!(m[1].time.zone_basis, "source");
        assert_eq!(
            m[1].edited.as_ref().and_then(|e| e.utc.as_deref()),
            Some("2024-03-01T01:05:00Z")
        );
        assert_eq!(m[2].reply_to.as_deref(), Some("1100000000000000101"));
        assert_eq!(m[2].extra["reference"]["channelId"], "1100000000000000002");
        assert_eq!(
            m[3].attachments[0].name.as_deref(),
            Some("transfer-receipt.png")
        );
        assert_eq!(m[3].attachments[0].size, Some(48213));
        assert!(
            m[3].extra["attachments"][0]["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("transfer-receipt-0F3A1.png"))
        );
        assert_eq!(m[5].body, "money-bag");
        assert_eq!(
            m[6].extra["callEndedTimestamp"],
            "2024-03-01T09:20:00+08:00"
        );
        assert_eq!(
            m[7].forwarded_from.as_deref(),
            Some("(original author not given in the export)")
        );
        assert_eq!(m[7].body, "Withdrawal approved: 50000 USDT");
        assert_eq!(utc(&m[7]), "2024-03-02T00:00:00Z");
        // Empty lists and nulls are dropped from extra; the rest is kept.
        assert!(m[1].extra.get("embeds").is_none());
        assert_eq!(m[1].extra["reactions"][0]["count"], 3);
        assert_eq!(m[1].extra["json_pointer"], "/messages/1");
        // Owner by user name.
        let out = parse_path(
            SRC,
            &path,
            &Options {
                owner: vec!["wang.teacher".into()],
                ..Options::default()
            },
        );
        assert_eq!(out.messages[1].direction, Direction::Outgoing);
        assert_eq!(out.messages[2].direction, Direction::Incoming);
    }

    #[test]
    fn byte_ranges_slice_back() {
        let path = fixture("discord-dce-json", OWN);
        let bytes = std::fs::read(&path).expect("read");
        let out = parse_path(SRC, &path, &Options::default());
        for m in &out.messages {
            let Location::Bytes { start, end, line } = m.provenance.location else {
                panic!("not bytes")
            };
            let slice = bytes.get(start as usize..end as usize).expect("range");
            let v: Value = serde_json::from_slice(slice).expect("an object");
            assert_eq!(text_of(v.get("id")).as_deref(), Some(m.id.as_str()));
            let before = bytes.get(..start as usize).expect("prefix");
            assert_eq!(
                line,
                Some(before.iter().filter(|&&b| b == b'\n').count() as u64 + 1)
            );
        }
    }

    /// The GPL-3.0 samples in ../shared (not copied into the repository).
    #[test]
    fn dce_frontend_example_guild() {
        let Some(dir) = corpus("discord-dce-json") else {
            eprintln!("SKIP: ../shared/corpus/discord-dce-json absent");
            return;
        };
        let base =
            dir.join("slatinsky__DiscordChatExporter-frontend/release/exports/example_guild");
        let general =
            base.join("Example guild - Text Channels - general [1012224565567721552].json");
        let out = parse_path(SRC, &general, &Options::default());
        assert!(out.unparsed.is_empty());
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert_eq!(out.conversations[0].id, "1012224565567721552");
        assert_eq!(
            out.conversations[0].title.as_deref(),
            Some("Example guild / Text Channels / general")
        );
        let m = &out.messages;
        assert_eq!(m.len(), 35);
        let mut senders: Vec<_> = m.iter().filter_map(|m| m.sender.name.as_deref()).collect();
        senders.sort_unstable();
        senders.dedup();
        assert_eq!(senders, ["Adam", "Patrick", "RICK NITRO", "Thomas"]);
        assert_eq!(m[0].id, "1045178587575242772");
        assert_eq!(utc(&m[0]), "2023-01-06T14:03:03.853Z");
        assert_eq!(m[0].time.raw, "2023-01-06T14:03:03.853+00:00");
        assert_eq!(utc(&m[34]), "2023-01-06T16:05:35.86Z");
        assert_eq!(m[1].kind, MessageKind::System);
        assert_eq!(m[3].kind, MessageKind::Sticker);
        assert_eq!(m[3].body, "pepecute");
        assert_eq!(m[4].body, "Hello 👏");
        assert_eq!(m[11].reply_to.as_deref(), Some("1060926317920538735"));
        assert!(m[13].edited.is_some());
        let kinds = |k| m.iter().filter(|x| x.kind == k).count();
        assert_eq!(kinds(MessageKind::Image), 5);
        assert_eq!(kinds(MessageKind::Video), 1);
        assert_eq!(kinds(MessageKind::File), 1);
        assert_eq!(kinds(MessageKind::System), 4);
        let thread = m
            .iter()
            .find(|x| x.extra["type"] == "ThreadCreated")
            .expect("thread");
        assert_eq!(thread.reply_to, None);

        // The re-export with one message deleted still claims 35: the count check says so.
        for (name, n) in [
            (
                "Example guild - Text Channels - chill talk [1012224565567125544].json",
                6,
            ),
            (
                "Example guild - Text Channels - chill talk [1012224565567125544] without deleted message.json",
                5,
            ),
        ] {
            let out = parse_path(SRC, &base.join(name), &Options::default());
            assert_eq!(out.messages.len(), n);
            assert_eq!(out.conversations[0].id, "1012224565567875236");
            assert!(out.warnings.iter().any(|w| w.contains("messageCount 35")));
            assert_eq!(out.messages[n - 1].id, "1060954419862188072");
        }
        let out = parse_path(
            SRC,
            &base.join(
                "_threads/Example guild - general - Thomas is Thomas [1060927310439657577].json",
            ),
            &Options::default(),
        );
        assert_eq!(
            out.conversations[0].kind.as_deref(),
            Some("GuildPublicThread")
        );
        assert_eq!(out.messages.len(), 5);
        assert_eq!(
            out.messages[4].reply_to.as_deref(),
            Some("1060927555093413928")
        );
    }

    #[test]
    fn sniffing() {
        let dir = tempfile::tempdir().expect("tmp");
        let score = |data: &[u8]| {
            let p = dir.path().join("x.json");
            std::fs::write(&p, data).expect("write");
            SRC.sniff(&Input::open(&p).expect("open"))
        };
        let own = std::fs::read(fixture("discord-dce-json", OWN)).expect("read");
        assert!(score(&own) >= 90);
        assert!(score(br#"{"name": "x", "type": "personal_chat", "messages": []}"#) < 50);
        assert!(score(br#"{"participants": [], "messages": [{"sender_name": "a"}]}"#) < 50);
        assert_eq!(score(b"\x00\x01"), 0);
    }

    #[test]
    fn broken_inputs_do_not_panic() {
        let own = std::fs::read(fixture("discord-dce-json", OWN)).expect("read");
        // Truncated at every 97th byte: never a panic; once past `{`, never an error.
        for cut in (0..own.len()).step_by(97) {
            let part = own.get(..cut).expect("prefix");
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("x.json");
            std::fs::write(&p, part).expect("write");
            let input = Input::open(&p).expect("open");
            let mut out = crate::Collect::default();
            let r = SRC.parse(&input, &Options::default(), &mut out);
            if cut > 0 {
                assert!(r.is_ok(), "cut at {cut}: {r:?}");
                assert!(!out.unparsed.is_empty(), "cut at {cut}");
            }
        }
        assert!(matches!(
            parse_err(SRC, b"not json"),
            SourceError::Format { .. }
        ));
        // Bad timestamps and non-object messages.
        let out = parse_bytes(
            SRC,
            br#"{"channel": {"id": "5"}, "messages": [{"id": "1", "timestamp": "yesterday", "content": "x"}, [], {"id": "2", "timestamp": null}]}"#,
            &Options::default(),
        );
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[0].time.utc, None);
        assert_eq!(out.messages[0].time.raw, "yesterday");
        assert_eq!(out.unparsed.len(), 1);
        // A date-limited export says so.
        let out = parse_bytes(
            SRC,
            br#"{"dateRange": {"after": "2024-01-01T00:00:00+08:00", "before": null}, "messages": []}"#,
            &Options::default(),
        );
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("absent from this file"))
        );
        assert_eq!(out.conversations.len(), 1);
    }

    #[test]
    fn offsets_and_dst() {
        // The exporter writes the exporting computer's offset; the instant is the same
        // whatever zone is shown, and the shown offset follows DST in the given zone.
        let data = br#"{"channel": {"id": "1"}, "messages": [
  {"id": "1", "timestamp": "2023-03-26T01:59:59+01:00", "content": "a"},
  {"id": "2", "timestamp": "2023-03-26T03:00:01+02:00", "content": "b"},
  {"id": "3", "timestamp": "2023-03-26T01:00:01Z", "content": "c"}
]}"#;
        let opts = Options {
            zone: Some("Europe/Berlin".into()),
            ..Options::default()
        };
        let out = parse_bytes(SRC, data, &opts);
        let got: Vec<_> = out
            .messages
            .iter()
            .map(|m| (utc(m).to_owned(), m.time.offset.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            [
                ("2023-03-26T00:59:59Z".to_owned(), "+01:00".to_owned()),
                ("2023-03-26T01:00:01Z".to_owned(), "+02:00".to_owned()),
                ("2023-03-26T01:00:01Z".to_owned(), "+02:00".to_owned()),
            ]
        );
    }
}
