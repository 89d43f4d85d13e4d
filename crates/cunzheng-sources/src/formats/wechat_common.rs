//! Pieces shared by the WeChat parsers (FORMATS-CN.md §1-§4): message type tables (Android
//! 32-bit codes, PC `(Type, SubType)`), the app-message and system XML, money text, the group
//! sender prefix, a bounds-checked protobuf reader (PC `BytesExtra`, `RoomData`) and read-only
//! SQLite access to evidence.

use std::borrow::Cow;
use std::path::Path;

use cunzheng_model::{Attachment, MessageKind, Money};
use quick_xml::events::Event;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};

use crate::source::MAX_RECORD;

// ---------------------------------------------------------------------------------------------
// SQLite

/// The first 16 bytes of every plain SQLite database.
pub(crate) const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Whether the head of a file is a plain (not encrypted) SQLite database.
pub(crate) fn is_plain_sqlite(head: &[u8]) -> bool {
    head.starts_with(SQLITE_MAGIC)
}

/// Opens evidence read-only and immutable (no -wal/-shm is ever written beside it).
pub(crate) fn open_ro(path: &Path) -> rusqlite::Result<Connection> {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Fails here, not later, when the file is not a database (or is encrypted).
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(conn)
}

/// The database of `input` as the app saw it, its write-ahead log applied when one came with
/// it (see [`super::common_sqlite::open_input`]); how it was read goes to `sink` as a warning.
pub(crate) fn open_input(
    input: &crate::source::Input,
    sink: &mut dyn crate::source::Sink,
) -> Result<super::common_sqlite::Db, crate::source::SourceError> {
    let db = super::common_sqlite::open_input(input)?;
    // Fails here, not later, when the file is not a database (or is encrypted).
    db.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(|e| crate::source::SourceError::Format {
            location: "file".into(),
            message: format!("cannot open as SQLite: {e}"),
        })?;
    if let Some(n) = &db.note {
        sink.warning(n.clone());
    }
    Ok(db)
}

/// The column names of `table`, or `None` when there is no such table.
pub(crate) fn columns(conn: &Connection, table: &str) -> Option<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .ok()?;
    let cols: Vec<String> = stmt
        .query_map([table], |r| r.get::<_, String>(0))
        .ok()?
        .filter_map(Result::ok)
        .collect();
    (!cols.is_empty()).then_some(cols)
}

/// Whether `cols` has `name` (SQLite names are case-insensitive).
pub(crate) fn has(cols: &[String], name: &str) -> bool {
    cols.iter().any(|c| c.eq_ignore_ascii_case(name))
}

/// `name` when the table has it, else `NULL` (older schemas lack later columns).
pub(crate) fn col_or_null(cols: &[String], name: &str) -> String {
    if has(cols, name) {
        format!("\"{name}\"")
    } else {
        "NULL".to_owned()
    }
}

/// An integer from a cell, leniently (hostile files store text in integer columns).
pub(crate) fn int_of(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18 => {
            Some(f as i64)
        }
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Text from a cell, at most [`MAX_RECORD`] bytes; `.1` is true when bytes were not UTF-8,
/// `.2` when the cell was longer and cut.
pub(crate) fn text_of(v: ValueRef<'_>) -> (Option<String>, bool, bool) {
    match v {
        ValueRef::Null => (None, false, false),
        ValueRef::Integer(i) => (Some(i.to_string()), false, false),
        ValueRef::Real(f) => (Some(f.to_string()), false, false),
        ValueRef::Text(b) | ValueRef::Blob(b) => {
            let cut = b.len() > MAX_RECORD;
            let b = b.get(..MAX_RECORD).unwrap_or(b);
            match std::str::from_utf8(b) {
                Ok(s) => (Some(s.to_owned()), false, cut),
                Err(e) if cut && e.error_len().is_none() => (
                    Some(
                        String::from_utf8_lossy(b.get(..e.valid_up_to()).unwrap_or(b)).into_owned(),
                    ),
                    false,
                    cut,
                ),
                Err(_) => (Some(String::from_utf8_lossy(b).into_owned()), true, cut),
            }
        }
    }
}

/// Bytes of a cell (BLOB or TEXT), at most [`MAX_RECORD`].
pub(crate) fn blob_of(v: ValueRef<'_>) -> Option<&[u8]> {
    match v {
        ValueRef::Blob(b) | ValueRef::Text(b) => Some(b.get(..MAX_RECORD).unwrap_or(b)),
        _ => None,
    }
}

/// Hex of at most the first 4 KiB of some bytes (for `extra`), with `…` when cut.
pub(crate) fn hex_capped(b: &[u8]) -> String {
    let mut s = hex::encode(b.get(..4096).unwrap_or(b));
    if b.len() > 4096 {
        s.push('…');
    }
    s
}

/// A string for `extra`, cut at 64 KiB on a character boundary.
pub(crate) fn capped(s: &str) -> String {
    const CAP: usize = 64 * 1024;
    if s.len() <= CAP {
        return s.to_owned();
    }
    let mut end = CAP;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s.get(..end).unwrap_or(""))
}

// ---------------------------------------------------------------------------------------------
// Group sender prefix

/// Splits `wxid_abc:\n晚上开会` into (`wxid_abc`, `晚上开会`): on the first `:\n`, and only
/// when what precedes it looks like an account id (no spaces, no markup).
pub(crate) fn split_sender_prefix(content: &str) -> Option<(&str, &str)> {
    let i = content.find(":\n")?;
    let prefix = content.get(..i)?;
    let ok = !prefix.is_empty()
        && prefix.len() <= 128
        && !prefix.contains(|c: char| c.is_whitespace() || c == '<' || c == ':');
    ok.then(|| (prefix, content.get(i + 2..).unwrap_or("")))
}

// ---------------------------------------------------------------------------------------------
// Protobuf (only what BytesExtra and RoomData need)

/// A protobuf field value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pb<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// 32- or 64-bit fixed value (skipped).
    Fixed,
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        if shift < 64 {
            v |= u64::from(b & 0x7f) << shift;
        }
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The top-level fields of a protobuf message, or `None` when it is malformed.
pub(crate) fn pb_fields(buf: &[u8]) -> Option<Vec<(u64, Pb<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        if out.len() >= 1 << 16 {
            return None;
        }
        let key = varint(buf, &mut pos)?;
        let field = key >> 3;
        let val = match key & 7 {
            0 => Pb::Varint(varint(buf, &mut pos)?),
            1 => {
                buf.get(pos..pos.checked_add(8)?)?;
                pos += 8;
                Pb::Fixed
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let b = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Pb::Bytes(b)
            }
            5 => {
                buf.get(pos..pos.checked_add(4)?)?;
                pos += 4;
                Pb::Fixed
            }
            _ => return None,
        };
        out.push((field, val));
    }
    Some(out)
}

/// PC `BytesExtra`: `repeated 3 { 1: type, 2: value }` (FORMATS-CN.md §2.3).
pub(crate) fn bytes_extra(buf: &[u8]) -> Option<Vec<(u64, String)>> {
    let mut out = Vec::new();
    for (f, v) in pb_fields(buf)? {
        if let (3, Pb::Bytes(inner)) = (f, v) {
            let mut ty = None;
            let mut val = String::new();
            for (f2, v2) in pb_fields(inner)? {
                match (f2, v2) {
                    (1, Pb::Varint(t)) => ty = Some(t),
                    (2, Pb::Bytes(s)) => val = String::from_utf8_lossy(s).into_owned(),
                    _ => {}
                }
            }
            if let Some(t) = ty {
                out.push((t, val));
            }
        }
    }
    Some(out)
}

/// `RoomData`: `repeated 1 { 1: userName, 2: displayName (群昵称) }` (FORMATS-CN.md §1.3).
pub(crate) fn room_members(buf: &[u8]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for (f, v) in pb_fields(buf).unwrap_or_default() {
        if let (1, Pb::Bytes(inner)) = (f, v) {
            let mut user = None;
            let mut display = None;
            for (f2, v2) in pb_fields(inner).unwrap_or_default() {
                match (f2, v2) {
                    (1, Pb::Bytes(s)) => user = Some(String::from_utf8_lossy(s).into_owned()),
                    (2, Pb::Bytes(s)) if !s.is_empty() => {
                        display = Some(String::from_utf8_lossy(s).into_owned())
                    }
                    _ => {}
                }
            }
            if let Some(u) = user {
                out.push((u, display));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// XML

/// An XML document flattened to `(path, text)` pairs (`msg/appmsg/title`) and attributes
/// (`msg/location@label`), in closing order. WeChat XML is sometimes malformed: what was read
/// before an error is kept and the error noted.
#[derive(Debug, Default)]
pub(crate) struct Xml {
    fields: Vec<(String, String)>,
    /// The first parse error, if any.
    pub error: Option<String>,
}

const MAX_XML_FIELDS: usize = 4096;

fn resolve_ref(name: &str) -> Cow<'static, str> {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let n = name.strip_prefix('#').and_then(|n| {
                match n.strip_prefix('x').or_else(|| n.strip_prefix('X')) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => n.parse().ok(),
                }
            });
            match n.and_then(char::from_u32) {
                Some(c) => c.to_string().into(),
                None => format!("&{name};").into(),
            }
        }
    }
}

impl Xml {
    /// Parses `s` (leading `<?xml …?>` and whitespace allowed).
    pub fn parse(s: &str) -> Self {
        let mut out = Xml::default();
        let mut reader = quick_xml::Reader::from_str(s);
        {
            let c = reader.config_mut();
            c.check_end_names = false;
            c.allow_unmatched_ends = true;
        }
        let mut stack: Vec<(String, String)> = Vec::new();
        let path_of = |stack: &[(String, String)], name: &str| -> String {
            let mut p = String::new();
            for (n, _) in stack {
                p.push_str(n);
                p.push('/');
            }
            p.push_str(name);
            p
        };
        loop {
            if out.fields.len() >= MAX_XML_FIELDS {
                out.error = Some("too many XML fields".into());
                break;
            }
            match reader.read_event() {
                Ok(Event::Start(e)) => {
                    let name = e.name().as_ref().to_owned();
                    let path = path_of(&stack, &name);
                    for a in e.attributes().with_checks(false).flatten() {
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned());
                        let v = v.unwrap_or_else(|_| a.value.to_string());
                        out.fields.push((format!("{path}@{}", a.key.as_ref()), v));
                    }
                    stack.push((name, String::new()));
                }
                Ok(Event::Empty(e)) => {
                    let name = e.name().as_ref().to_owned();
                    let path = path_of(&stack, &name);
                    for a in e.attributes().with_checks(false).flatten() {
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned());
                        let v = v.unwrap_or_else(|_| a.value.to_string());
                        out.fields.push((format!("{path}@{}", a.key.as_ref()), v));
                    }
                    out.fields.push((path, String::new()));
                }
                Ok(Event::Text(t)) => {
                    if let Some((_, txt)) = stack.last_mut() {
                        txt.push_str(&t.xml10_content());
                    }
                }
                Ok(Event::CData(t)) => {
                    if let Some((_, txt)) = stack.last_mut() {
                        txt.push_str(&t.xml10_content());
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    if let Some((_, txt)) = stack.last_mut() {
                        txt.push_str(&resolve_ref(&r));
                    }
                }
                Ok(Event::End(e)) => {
                    let name = e.name().as_ref().to_owned();
                    // Close up to the matching open element (tolerates a missing end tag).
                    if let Some(i) = stack.iter().rposition(|(n, _)| *n == name) {
                        while stack.len() > i {
                            if let Some((n, txt)) = stack.pop() {
                                let path = path_of(&stack, &n);
                                out.fields.push((path, txt.trim().to_owned()));
                            }
                        }
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => {
                    out.error = Some(format!(
                        "XML error at byte {}: {e}",
                        reader.error_position()
                    ));
                    break;
                }
            }
        }
        while let Some((n, txt)) = stack.pop() {
            let path = path_of(&stack, &n);
            out.fields.push((path, txt.trim().to_owned()));
        }
        out
    }

    /// The first value whose path is `suffix` or ends with `/suffix`.
    pub fn get(&self, suffix: &str) -> Option<&str> {
        self.fields.iter().find_map(|(p, v)| {
            let ok = p == suffix
                || (p.len() > suffix.len()
                    && p.ends_with(suffix)
                    && p.as_bytes().get(p.len() - suffix.len() - 1) == Some(&b'/'));
            ok.then_some(v.as_str())
        })
    }

    /// Like [`Xml::get`], `None` when empty.
    pub fn text(&self, suffix: &str) -> Option<&str> {
        self.get(suffix).map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Whether `s` looks like XML (after an optional group prefix and whitespace).
pub(crate) fn looks_like_xml(s: &str) -> bool {
    s.trim_start().starts_with('<')
}

// ---------------------------------------------------------------------------------------------
// Money

/// `￥50000.00`, `¥1.00`, `50,000.00元`, `CNY 5.00` → amount text and CNY. Anything that is
/// not a plain decimal after the currency marks is not claimed as money.
pub(crate) fn parse_money(text: &str) -> Option<Money> {
    let t = text.trim();
    let mut cny = false;
    let mut rest = t;
    for p in ["￥", "¥", "CNY", "RMB", "人民币"] {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r.trim_start();
            cny = true;
            break;
        }
    }
    if let Some(r) = rest.strip_suffix('元') {
        rest = r.trim_end();
        cny = true;
    }
    let amount: String = rest.chars().filter(|&c| c != ',').collect();
    let mut parts = amount.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    // WeChat Pay amounts are renminbi; a bare number in `feedesc` is taken as such.
    (ok && amount.len() <= 32).then(|| Money {
        amount,
        currency: Some("CNY".into()).filter(|_| cny || !t.is_empty()),
    })
}

// ---------------------------------------------------------------------------------------------
// Message types

/// What a row's type code stands for, before its content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    Text,
    Image,
    Voice,
    Card,
    Video,
    Sticker,
    Location,
    /// An app message; the appmsg `<type>` implied by the row type code, when it implies one.
    App(Option<i64>),
    Call,
    /// Plain-text grey system line (10000).
    System,
    /// Revoked message (Android 268445456, PC 10000 with a revoke subtype).
    Recalled,
    /// Pat (拍一拍) as a system line (PC 10000/4).
    Pat,
    /// `<sysmsg>` XML (10002).
    SysMsg,
    /// Friend request / verification (37).
    FriendRequest,
    /// Location sharing (Android -1879048186, PC 49/17).
    LocationSharing,
    Unknown,
}

/// Android `message.type` (FORMATS-CN.md §1.4): known full 32-bit codes first, then the low
/// 16 bits (49-family codes carry a variant in the high byte).
pub(crate) fn classify_android(code: i64) -> Base {
    match code {
        268_445_456 => Base::Recalled,
        436_207_665 | 469_762_097 => Base::App(Some(2001)),
        419_430_449 | 704_643_121 => Base::App(Some(2000)),
        1_090_519_089 => Base::App(Some(6)),
        822_083_633 => Base::App(Some(57)),
        1_040_187_441 => Base::App(Some(3)),
        805_306_417 => Base::App(Some(53)),
        1_107_296_305 => Base::App(Some(87)),
        -1_879_048_186 => Base::LocationSharing,
        16_777_265 | 1_048_625 | 570_425_393 | 536_870_961 | 973_078_577 => Base::App(None),
        _ => match code & 0xffff {
            1 => Base::Text,
            3 => Base::Image,
            34 => Base::Voice,
            37 => Base::FriendRequest,
            42 | 66 => Base::Card,
            43 | 62 => Base::Video,
            47 => Base::Sticker,
            48 => Base::Location,
            49 => Base::App(None),
            50 => Base::Call,
            10000 => Base::System,
            10002 => Base::SysMsg,
            _ => Base::Unknown,
        },
    }
}

/// PC 3.x `(Type, SubType)` (FORMATS-CN.md §2.5).
pub(crate) fn classify_pc(ty: i64, sub: i64) -> Base {
    match ty {
        1 => Base::Text,
        3 => Base::Image,
        34 => Base::Voice,
        37 => Base::FriendRequest,
        42 => Base::Card,
        43 => Base::Video,
        47 => Base::Sticker,
        48 => Base::Location,
        49 if sub == 17 => Base::LocationSharing,
        49 => Base::App((sub != 0).then_some(sub)),
        50 => Base::Call,
        10000 => match sub {
            4 => Base::Pat,
            1 | 5 | 6 | 33 | 36 | 57 => Base::Recalled,
            _ => Base::System,
        },
        10002 => Base::SysMsg,
        _ => Base::Unknown,
    }
}

/// What a message's content decoded to.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    pub kind: MessageKind,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub money: Option<Money>,
    /// Quoted message's server id (appmsg 57 `refermsg/svrid`).
    pub refer_svrid: Option<String>,
    /// Revoked message's server id (`revokemsg/newmsgid`).
    pub revoked_svrid: Option<String>,
    pub extra: Map<String, Value>,
}

fn put(extra: &mut Map<String, Value>, key: &str, v: Option<&str>) {
    if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
        extra.insert(key.to_owned(), Value::String(capped(v)));
    }
}

/// `paysubtype` meanings ([C2] FORMATS-CN.md §3).
pub(crate) fn paysubtype_meaning(v: &str) -> Option<&'static str> {
    Some(match v.trim() {
        "1" => "sent (发起转账)",
        "3" => "received / accepted (已收款)",
        "4" => "returned (已退还)",
        "5" => "accepted, delayed transfer (非实时转账收款)",
        "7" => "delayed transfer sent (发起非实时转账)",
        _ => return None,
    })
}

fn join_lines(parts: &[Option<&str>]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in parts.iter().flatten() {
        let p = p.trim();
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out.join("\n")
}

/// Decodes an app message's XML (`<msg><appmsg>…`).
pub(crate) fn decode_appmsg(xml: &Xml, implied: Option<i64>) -> Decoded {
    let mut d = Decoded::default();
    let t: Option<i64> = xml
        .text("appmsg/type")
        .and_then(|t| t.parse().ok())
        .or(implied);
    let title = xml.text("appmsg/title");
    let des = xml.text("appmsg/des");
    let url = xml.text("appmsg/url");
    let e = &mut d.extra;
    if let Some(t) = t {
        e.insert("appmsg_type".into(), t.into());
    }
    put(e, "title", title);
    put(e, "des", des);
    put(e, "url", url);
    put(e, "app_name", xml.text("appinfo/appname"));
    put(e, "source_username", xml.text("appmsg/sourceusername"));
    put(
        e,
        "source_display_name",
        xml.text("appmsg/sourcedisplayname"),
    );
    match t {
        Some(2000) => {
            d.kind = MessageKind::Transfer;
            let feedesc = xml.text("wcpayinfo/feedesc");
            let memo = xml.text("wcpayinfo/pay_memo");
            let sub = xml.text("wcpayinfo/paysubtype");
            for k in [
                "feedesc",
                "paysubtype",
                "pay_memo",
                "transferid",
                "transcationid",
                "invalidtime",
                "begintransfertime",
                "effectivedate",
                "payer_username",
                "receiver_username",
            ] {
                put(&mut d.extra, k, xml.text(&format!("wcpayinfo/{k}")));
            }
            if let Some(m) = sub.and_then(paysubtype_meaning) {
                d.extra.insert("paysubtype_meaning".into(), m.into());
            }
            d.money = feedesc.and_then(parse_money);
            let memo_line = memo.map(|m| format!("备注: {m}"));
            d.body = join_lines(&[title, des, feedesc, memo_line.as_deref()]);
        }
        Some(2001) | Some(2003) => {
            d.kind = MessageKind::RedPacket;
            for k in [
                "sendertitle",
                "receivertitle",
                "scenetext",
                "paymsgid",
                "nativeurl",
                "invalidtime",
            ] {
                put(&mut d.extra, k, xml.text(&format!("wcpayinfo/{k}")));
            }
            // The amount is not in the red-packet XML (FORMATS-CN.md §3): no money claimed.
            d.body = join_lines(&[title, des, xml.text("wcpayinfo/sendertitle")]);
        }
        Some(6) | Some(74) => {
            d.kind = MessageKind::File;
            let size = xml
                .text("appattach/totallen")
                .and_then(|s| s.parse::<u64>().ok());
            for k in ["fileext", "attachid", "md5", "totallen"] {
                put(&mut d.extra, k, xml.text(&format!("appattach/{k}")));
            }
            put(&mut d.extra, "md5", xml.text("appmsg/md5"));
            d.attachments.push(Attachment {
                name: title.map(str::to_owned),
                size,
                ..Attachment::default()
            });
            d.body = join_lines(&[title]);
        }
        Some(57) => {
            d.kind = MessageKind::Text;
            d.refer_svrid = xml.text("refermsg/svrid").map(str::to_owned);
            let mut r = Map::new();
            for k in [
                "type",
                "svrid",
                "fromusr",
                "chatusr",
                "displayname",
                "content",
                "createtime",
            ] {
                put(&mut r, k, xml.text(&format!("refermsg/{k}")));
            }
            if !r.is_empty() {
                d.extra.insert("refer".into(), Value::Object(r));
            }
            d.body = title.unwrap_or("").to_owned();
        }
        Some(33) | Some(36) => {
            d.kind = MessageKind::Link;
            for k in ["username", "appid", "pagepath"] {
                put(
                    &mut d.extra,
                    &format!("weapp_{k}"),
                    xml.text(&format!("weappinfo/{k}")),
                );
            }
            d.body = join_lines(&[title, xml.text("appmsg/sourcedisplayname"), url]);
        }
        Some(62) => {
            d.kind = MessageKind::System;
            d.body = join_lines(&[title, xml.text("patMsg/records/record/templete")]);
        }
        Some(8) => {
            d.kind = MessageKind::Sticker;
            d.body = join_lines(&[title]);
        }
        Some(17) => {
            d.kind = MessageKind::Location;
            d.body = join_lines(&[title, des]);
        }
        Some(19) => {
            // A forwarded chat record (合并转发): the items are in `recorditem`.
            d.kind = MessageKind::Link;
            put(&mut d.extra, "recorditem", xml.text("appmsg/recorditem"));
            d.body = join_lines(&[title, des]);
        }
        Some(1) | Some(53) | Some(87) => {
            d.kind = MessageKind::Text;
            d.body = join_lines(&[title, des]);
        }
        _ => {
            d.kind = MessageKind::Link;
            d.body = join_lines(&[title, des, url]);
        }
    }
    if d.body.is_empty() {
        d.body = "[应用消息]".into();
    }
    d
}

/// Decodes `<sysmsg type="revokemsg">`, `type="pat"` and other system XML.
pub(crate) fn decode_sysmsg(xml: &Xml, raw: &str) -> Decoded {
    let mut d = Decoded {
        kind: MessageKind::System,
        ..Decoded::default()
    };
    let ty = xml.get("sysmsg@type").unwrap_or("");
    put(&mut d.extra, "sysmsg_type", Some(ty));
    match ty {
        "revokemsg" => {
            d.kind = MessageKind::Recalled;
            d.revoked_svrid = xml.text("revokemsg/newmsgid").map(str::to_owned);
            put(
                &mut d.extra,
                "revoked_session",
                xml.text("revokemsg/session"),
            );
            d.body = xml
                .text("revokemsg/replacemsg")
                .or_else(|| xml.text("revokemsg/content"))
                .map(strip_revoke_markup)
                .unwrap_or_default();
        }
        "pat" => {
            for k in [
                "fromusername",
                "chatusername",
                "pattedusername",
                "patsuffix",
            ] {
                put(&mut d.extra, k, xml.text(&format!("pat/{k}")));
            }
            d.body = xml.text("pat/template").unwrap_or("").to_owned();
        }
        _ => {
            d.body = xml
                .text("sysmsgtemplate/content_template/template")
                .or_else(|| xml.text("text"))
                .unwrap_or(raw)
                .to_owned();
        }
    }
    if d.body.is_empty() {
        d.body = raw.to_owned();
    }
    d
}

/// Removes the `重新编辑` link PC WeChat appends to one's own revoke notice.
pub(crate) fn strip_revoke_markup(s: &str) -> String {
    s.replace(" <a href=\"weixin://revoke_edit_click\">重新编辑</a>", "")
        .replace("<![CDATA[", "")
        .replace("]]>", "")
        .trim()
        .to_owned()
}

/// Whether a plain system line is a recall notice (own or someone else's).
pub(crate) fn is_recall_text(s: &str) -> bool {
    s.contains("撤回了一条消息") || s.contains("recalled a message") || s.contains("You recalled")
}

/// Decodes a row's content for its base type. `content` is without the group prefix.
pub(crate) fn decode_content(base: Base, content: &str) -> Decoded {
    let is_xml = looks_like_xml(content);
    let parsed = is_xml.then(|| Xml::parse(content));
    let empty = Xml::default();
    let xml = || -> &Xml { parsed.as_ref().unwrap_or(&empty) };
    let mut d = Decoded::default();
    match base {
        Base::Text => {
            d.kind = MessageKind::Text;
            d.body = content.to_owned();
        }
        Base::Image => {
            d.kind = MessageKind::Image;
            d.body = "[图片]".into();
            if is_xml {
                let x = xml();
                put(&mut d.extra, "md5", x.get("img@md5"));
                put(&mut d.extra, "length", x.get("img@length"));
            }
        }
        Base::Voice => {
            d.kind = MessageKind::Voice;
            d.body = "[语音]".into();
            if is_xml {
                let x = xml();
                put(
                    &mut d.extra,
                    "voice_length_ms",
                    x.get("voicemsg@voicelength"),
                );
            }
        }
        Base::Video => {
            d.kind = MessageKind::Video;
            d.body = "[视频]".into();
            if is_xml {
                let x = xml();
                put(&mut d.extra, "play_length_s", x.get("videomsg@playlength"));
                put(&mut d.extra, "md5", x.get("videomsg@md5"));
            }
        }
        Base::Sticker => {
            d.kind = MessageKind::Sticker;
            d.body = "[表情]".into();
            if is_xml {
                let x = xml();
                put(&mut d.extra, "md5", x.get("emoji@md5"));
                put(&mut d.extra, "cdnurl", x.get("emoji@cdnurl"));
            }
        }
        Base::Card => {
            d.kind = MessageKind::Contact;
            let x = xml();
            let nick = x.get("msg@nickname");
            let user = x.get("msg@username");
            put(&mut d.extra, "card_username", user);
            put(&mut d.extra, "card_nickname", nick);
            put(&mut d.extra, "card_alias", x.get("msg@alias"));
            d.body = format!(
                "[名片] {}{}",
                nick.unwrap_or(""),
                user.map(|u| format!(" ({u})")).unwrap_or_default()
            )
            .trim()
            .to_owned();
        }
        Base::Location => {
            d.kind = MessageKind::Location;
            let x = xml();
            for k in ["x", "y", "scale", "label", "poiname"] {
                put(&mut d.extra, k, x.get(&format!("location@{k}")));
            }
            d.body = format!(
                "[位置] {}",
                join_lines(&[x.get("location@poiname"), x.get("location@label")])
                    .replace('\n', " ")
            )
            .trim()
            .to_owned();
        }
        Base::LocationSharing => {
            d.kind = MessageKind::Location;
            d.body = if is_xml {
                let x = xml();
                join_lines(&[x.text("appmsg/title"), Some("[位置共享]")])
            } else {
                content.to_owned()
            };
        }
        Base::App(implied) => {
            if is_xml {
                d = decode_appmsg(xml(), implied);
            } else {
                d = decode_appmsg(&Xml::default(), implied);
                if !content.trim().is_empty() {
                    d.body = content.to_owned();
                }
            }
        }
        Base::Call => {
            d.kind = MessageKind::Call;
            d.body = if is_xml {
                let x = xml();
                put(&mut d.extra, "room_type", x.text("VoIPBubbleMsg/room_type"));
                x.text("VoIPBubbleMsg/msg").unwrap_or(content).to_owned()
            } else {
                content.to_owned()
            };
        }
        Base::System | Base::Pat | Base::FriendRequest => {
            if is_xml && content.contains("<sysmsg") {
                d = decode_sysmsg(xml(), content);
            } else {
                d.kind = if base != Base::Pat && is_recall_text(content) {
                    MessageKind::Recalled
                } else {
                    MessageKind::System
                };
                d.body = if is_xml {
                    strip_revoke_markup(content)
                } else {
                    content.to_owned()
                };
            }
        }
        Base::SysMsg => {
            d = decode_sysmsg(xml(), content);
        }
        Base::Recalled => {
            if is_xml && content.contains("<sysmsg") {
                d = decode_sysmsg(xml(), content);
            } else {
                d.body = strip_revoke_markup(content);
            }
            d.kind = MessageKind::Recalled;
        }
        Base::Unknown => {
            d.kind = MessageKind::Text;
            d.body = content.to_owned();
            d.extra.insert("unknown_type".into(), true.into());
        }
    }
    if !matches!(base, Base::Text | Base::Unknown)
        && let Some(err) = parsed.as_ref().and_then(|p| p.error.clone())
    {
        d.extra.insert("xml_error".into(), err.into());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appmsg_transfer() {
        // Built from FORMATS-CN.md §3 (2000 transfer): no real sample is licensed.
        let x = Xml::parse(
            "<?xml version=\"1.0\"?>\n<msg><appmsg appid=\"\" sdkver=\"\"><title><![CDATA[微信转账]]></title>\
             <des><![CDATA[收到转账50000.00元。如需收钱，请点此升级至最新版本]]></des><type>2000</type>\
             <wcpayinfo><paysubtype>1</paysubtype><feedesc><![CDATA[￥50000.00]]></feedesc>\
             <transferid><![CDATA[1000050001202301011200000000000]]></transferid>\
             <pay_memo><![CDATA[安全账户]]></pay_memo><invalidtime>1672632000</invalidtime>\
             </wcpayinfo></appmsg><fromusername>wxid_a</fromusername></msg>",
        );
        assert_eq!(x.error, None);
        let d = decode_appmsg(&x, None);
        assert_eq!(d.kind, MessageKind::Transfer);
        let m = d.money.expect("money");
        assert_eq!(m.amount, "50000.00");
        assert_eq!(m.currency.as_deref(), Some("CNY"));
        assert_eq!(d.extra["paysubtype"], "1");
        assert!(d.body.contains("备注: 安全账户"), "{}", d.body);
    }

    #[test]
    fn malformed_xml_keeps_what_was_read() {
        let x = Xml::parse(
            "<msg><appmsg><title>a &amp; b &#x4E0A;</title><type>5</type><url>http://x?a=1&b=2</url>",
        );
        assert_eq!(x.get("appmsg/title"), Some("a & b 上"));
        assert_eq!(x.get("appmsg/type"), Some("5"));
        let _ = Xml::parse("<<<>>></a></b><c a='1' a='2'>&bogus;&#0;&#xFFFFFFFF;");
    }

    #[test]
    fn money() {
        assert_eq!(parse_money("¥1.00").map(|m| m.amount), Some("1.00".into()));
        assert_eq!(
            parse_money("50,000.00元").map(|m| m.amount),
            Some("50000.00".into())
        );
        assert_eq!(parse_money("HK$1.00"), None);
        assert_eq!(parse_money("1.2.3"), None);
        assert_eq!(parse_money(""), None);
    }

    #[test]
    fn protobuf_and_prefix() {
        // BytesExtra: field 3 { 1: 1, 2: "wxid_b" }
        let item = [0x08, 0x01, 0x12, 0x06, b'w', b'x', b'i', b'd', b'_', b'b'];
        let mut buf = vec![0x1a, item.len() as u8];
        buf.extend_from_slice(&item);
        assert_eq!(bytes_extra(&buf), Some(vec![(1, "wxid_b".into())]));
        assert_eq!(bytes_extra(&[0x1a, 0xff]), None);
        assert_eq!(pb_fields(&[0xff; 20]).map(|v| v.len()), None);
        assert_eq!(
            split_sender_prefix("wxid_abc123:\n晚上开会"),
            Some(("wxid_abc123", "晚上开会"))
        );
        assert_eq!(split_sender_prefix("hello world:\nx"), None);
        assert_eq!(split_sender_prefix("no prefix"), None);
    }

    #[test]
    fn android_codes() {
        assert_eq!(classify_android(436_207_665), Base::App(Some(2001)));
        assert_eq!(classify_android(0x1A00_0031), Base::App(Some(2001)));
        assert_eq!(classify_android(268_445_456), Base::Recalled);
        assert_eq!(classify_android(49), Base::App(None));
        assert_eq!(classify_android(10000), Base::System);
        assert_eq!(classify_pc(10000, 57), Base::Recalled);
        assert_eq!(classify_pc(49, 2000), Base::App(Some(2000)));
    }
}
