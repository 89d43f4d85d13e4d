//! `message.message_summary_info` of iOS 16+ / macOS 13+ Messages: the edit history and
//! unsent parts of a message.
//!
//! A binary property list. Facts (from Apple's behaviour and public write-ups of the format,
//! checked against the plists ReagentX/imessage-exporter publishes as test data):
//! - `otr`: dictionary "part index" → `{lo, le}`: the parts of the message body;
//! - `ec`: dictionary "part index" → array of `{d, t, bcg?}`, one per version of that part,
//!   oldest (the original) first: `d` the time of that version in Apple-epoch seconds (a real),
//!   `t` the text as an `NSAttributedString` typedstream (like `attributedBody`), `bcg` the
//!   guid of a balloon (link preview) message that version produced;
//! - `ep`: parts edited; `rp`: parts unsent ("retracted"); `ust`, `amc`, `euh`: flags not
//!   needed here.
//!
//! For evidence the earlier versions matter most: a sender who edits a bank account number
//! or unsends a threat leaves the original here even though the message now reads otherwise.

use super::ios_sms_db::typedstream;
use crate::time::Zone;
use cunzheng_model::MsgTime;
use plist::Value;

/// Larger blobs are not decoded: a real one is a few kilobytes (five edits at most).
pub(super) const MAX_BLOB: usize = 1 << 20;
/// More versions than iMessage allows (five edits) by far; bounds the output.
const MAX_VERSIONS: usize = 64;

/// One version of one part of a message.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Version {
    /// Index of the message part.
    pub(super) part: u64,
    /// 0 = the original text; the last is the text as it stands.
    pub(super) index: usize,
    pub(super) time: MsgTime,
    /// `None` when the typedstream could not be read (the reason is in `error`).
    pub(super) text: Option<String>,
    pub(super) error: Option<String>,
    pub(super) balloon_guid: Option<String>,
}

/// What `message_summary_info` says about a message.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct SummaryInfo {
    /// Parts listed in `otr`.
    pub(super) parts: u64,
    /// Every version of every edited part, by part then age.
    pub(super) versions: Vec<Version>,
    /// Parts unsent.
    pub(super) unsent: Vec<u64>,
    /// Parts marked edited (`ep`).
    pub(super) edited: Vec<u64>,
}

impl SummaryInfo {
    /// Whether there is anything for an examiner here.
    pub(super) fn is_notable(&self) -> bool {
        !self.versions.is_empty() || !self.unsent.is_empty() || !self.edited.is_empty()
    }

    /// The text as it stands of part 0, when it was edited (the last version).
    pub(super) fn current_text(&self) -> Option<&str> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.part == 0)
            .and_then(|v| v.text.as_deref())
    }

    /// The edit history as JSON for `extra`.
    pub(super) fn versions_json(&self) -> serde_json::Value {
        self.versions
            .iter()
            .map(|v| {
                let mut o = serde_json::Map::new();
                o.insert("part".into(), v.part.into());
                o.insert("version".into(), v.index.into());
                o.insert("time".into(), super::common_sms::time_json(&v.time));
                o.insert("text".into(), v.text.clone().into());
                if let Some(e) = &v.error {
                    o.insert("error".into(), e.clone().into());
                }
                if let Some(g) = &v.balloon_guid {
                    o.insert("balloon_guid".into(), g.clone().into());
                }
                serde_json::Value::Object(o)
            })
            .collect()
    }
}

/// Reads a `message_summary_info` blob; the error says what was wrong and where.
pub(super) fn read(blob: &[u8], zone: &Zone) -> Result<SummaryInfo, String> {
    if blob.len() > MAX_BLOB {
        return Err(format!(
            "{} bytes, more than the {MAX_BLOB} read",
            blob.len()
        ));
    }
    let root = Value::from_reader(std::io::Cursor::new(blob))
        .map_err(|e| format!("not a property list: {e}"))?;
    let root = root
        .as_dictionary()
        .ok_or("the property list is not a dictionary")?;
    let mut info = SummaryInfo {
        parts: root
            .get("otr")
            .and_then(Value::as_dictionary)
            .map_or(0, |d| d.len() as u64),
        unsent: indexes(root.get("rp"), "rp")?,
        edited: indexes(root.get("ep"), "ep")?,
        ..SummaryInfo::default()
    };
    if let Some(ec) = root.get("ec") {
        let ec = ec.as_dictionary().ok_or("`ec` is not a dictionary")?;
        let mut parts: Vec<(u64, &Value)> = Vec::new();
        for (key, history) in ec {
            let part = key
                .parse::<u64>()
                .map_err(|_| format!("`ec` key {key:?} is not a part number"))?;
            parts.push((part, history));
        }
        parts.sort_by_key(|(p, _)| *p);
        for (part, history) in parts {
            let history = history
                .as_array()
                .ok_or_else(|| format!("`ec`/{part} is not an array"))?;
            for (index, event) in history.iter().enumerate() {
                if info.versions.len() == MAX_VERSIONS {
                    return Err(format!("more than {MAX_VERSIONS} versions"));
                }
                info.versions.push(
                    version(event, part, index, zone)
                        .map_err(|e| format!("`ec`/{part}/{index}: {e}"))?,
                );
            }
        }
    }
    Ok(info)
}

fn indexes(value: Option<&Value>, key: &str) -> Result<Vec<u64>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let array = value
        .as_array()
        .ok_or_else(|| format!("`{key}` is not an array"))?;
    array
        .iter()
        .take(MAX_VERSIONS)
        .enumerate()
        .map(|(i, v)| {
            v.as_unsigned_integer()
                .ok_or_else(|| format!("`{key}`/{i} is not a part number"))
        })
        .collect()
}

fn version(event: &Value, part: u64, index: usize, zone: &Zone) -> Result<Version, String> {
    let event = event.as_dictionary().ok_or("not a dictionary")?;
    let time = match event.get("d") {
        Some(Value::Real(s)) => apple_seconds(zone, &s.to_string(), *s),
        Some(Value::Integer(i)) => match i.as_signed() {
            Some(s) => zone.epoch(&s.to_string(), "apple_s", s),
            None => crate::time::unresolved(&i.to_string(), "apple_s"),
        },
        Some(_) => return Err("`d` is neither a real nor an integer".into()),
        None => crate::time::unresolved("", "apple_s"),
    };
    let (text, error) = match event.get("t") {
        Some(Value::Data(t)) => match typedstream::string(t) {
            Ok(d) => (Some(d.text), d.lossy.then(|| "decoded lossily".to_owned())),
            Err(e) => (None, Some(e.to_string())),
        },
        Some(_) => return Err("`t` is not data".into()),
        // A version without text: a part turned into a balloon only.
        None => (None, None),
    };
    Ok(Version {
        part,
        index,
        time,
        text,
        error,
        balloon_guid: event
            .get("bcg")
            .and_then(Value::as_string)
            .map(str::to_owned),
    })
}

/// Apple-epoch seconds given as a real, to the nanosecond f64 can carry.
fn apple_seconds(zone: &Zone, raw: &str, secs: f64) -> MsgTime {
    // ±10^11 s is ±3000 years: anything outside is not a date.
    if !secs.is_finite() || secs.abs() > 1e11 {
        return crate::time::unresolved(raw, "apple_s");
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round() as i64;
    let ns = (whole as i64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nanos);
    let mut t = zone.epoch(raw, "apple_ns", ns);
    // The source's unit is seconds; the nanoseconds were only the way in.
    t.unit = "apple_s".into();
    t
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use plist::{Dictionary, Value};
    use std::path::Path;

    /// An `NSAttributedString` typedstream around `text`, as Messages writes it.
    pub(crate) fn attributed(text: &str) -> Vec<u8> {
        let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+".to_vec();
        let n = text.len();
        if n < 0x80 {
            b.push(n as u8);
        } else {
            b.push(0x81);
            b.extend_from_slice(&(n as u16).to_le_bytes());
        }
        b.extend_from_slice(text.as_bytes());
        b.extend_from_slice(b"\x86\x84\x02iI\x01\x0c");
        b
    }

    fn binary(v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        v.to_writer_binary(&mut out).unwrap();
        out
    }

    fn utc() -> Zone {
        Zone::given("UTC").unwrap()
    }

    /// An edited message built the way iOS 17 writes one: two versions of part 0.
    pub(crate) fn edited_blob(original: &str, now: &str) -> Vec<u8> {
        let event = |d: f64, t: &str| {
            let mut e = Dictionary::new();
            e.insert("d".into(), Value::Real(d));
            e.insert("t".into(), Value::Data(attributed(t)));
            Value::Dictionary(e)
        };
        let mut ec = Dictionary::new();
        ec.insert(
            "0".into(),
            Value::Array(vec![
                event(731_000_000.25, original),
                event(731_000_060.5, now),
            ]),
        );
        let mut part = Dictionary::new();
        part.insert("lo".into(), Value::Integer(0.into()));
        part.insert("le".into(), Value::Integer((now.len() as u64).into()));
        let mut otr = Dictionary::new();
        otr.insert("0".into(), Value::Dictionary(part));
        let mut root = Dictionary::new();
        root.insert("amc".into(), Value::Integer(0.into()));
        root.insert("ec".into(), Value::Dictionary(ec));
        root.insert("ep".into(), Value::Array(vec![Value::Integer(0.into())]));
        root.insert("otr".into(), Value::Dictionary(otr));
        root.insert("ust".into(), Value::Boolean(true));
        binary(Value::Dictionary(root))
    }

    #[test]
    fn edit_history_built() {
        let blob = edited_blob("请转到 6222 0200 1234 5678", "请转到 6217 0000 9999 8888");
        let info = read(&blob, &utc()).unwrap();
        assert_eq!(info.parts, 1);
        assert_eq!(info.edited, vec![0]);
        assert_eq!(info.versions.len(), 2);
        assert_eq!(
            info.versions[0].text.as_deref(),
            Some("请转到 6222 0200 1234 5678")
        );
        assert_eq!(
            info.versions[0].time.utc.as_deref(),
            Some("2024-03-01T15:33:20.25Z")
        );
        assert_eq!(info.versions[0].time.unit, "apple_s");
        assert_eq!(info.versions[0].time.raw, "731000000.25");
        assert_eq!(info.current_text(), Some("请转到 6217 0000 9999 8888"));
    }

    #[test]
    fn hostile_blobs() {
        for bad in [
            &b""[..],
            b"bplist00",
            b"bplist00\xd1\x01\x02",
            &[0xff; 64],
            b"<?xml version=\"1.0\"?><plist><array/></plist>",
        ] {
            assert!(read(bad, &utc()).is_err(), "{bad:?}");
        }
        let mut root = Dictionary::new();
        root.insert("ec".into(), Value::Array(vec![]));
        assert!(read(&binary(Value::Dictionary(root)), &utc()).is_err());
        let mut root = Dictionary::new();
        root.insert("rp".into(), Value::Array(vec![Value::String("x".into())]));
        assert!(read(&binary(Value::Dictionary(root)), &utc()).is_err());
        let mut ec = Dictionary::new();
        ec.insert("zero".into(), Value::Array(vec![]));
        let mut root = Dictionary::new();
        root.insert("ec".into(), Value::Dictionary(ec));
        assert!(read(&binary(Value::Dictionary(root)), &utc()).is_err());
        // Every truncation of a real blob: an error or a result, never a panic.
        let blob = edited_blob("a", "b");
        for n in 0..blob.len() {
            let _ = read(&blob[..n], &utc());
        }
        assert!(read(&vec![0; MAX_BLOB + 1], &utc()).is_err());
    }

    /// GPL samples from ReagentX/imessage-exporter, read from ../shared only.
    #[test]
    fn reagentx_edited_plists() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../../shared/corpus/ios-sms-db/ReagentX__imessage-exporter/imessage-database/test_data/edited_message",
        );
        if !dir.is_dir() {
            eprintln!("skipped: {} not present", dir.display());
            return;
        }
        let read_one = |name: &str| read(&std::fs::read(dir.join(name)).unwrap(), &utc()).unwrap();

        let e = read_one("Edited.plist");
        let texts: Vec<_> = e.versions.iter().map(|v| v.text.clone().unwrap()).collect();
        assert_eq!(
            texts,
            ["First message  ", "Edit 1", "Edit 2", "Edited message"]
        );
        // 690513474.2725511 s after 2001-01-01.
        assert_eq!(
            e.versions[0].time.utc.as_deref(),
            Some("2022-11-19T01:17:54.27255106Z")
        );
        assert_eq!(e.edited, vec![0]);
        assert!(e.unsent.is_empty());

        let d = read_one("Deleted.plist");
        assert_eq!(d.unsent, vec![0]);
        assert!(d.versions.is_empty());
        assert!(d.is_notable());

        let l = read_one("EditedToLink.plist");
        assert_eq!(l.parts, 2);
        assert!(l.versions.iter().all(|v| v.part == 1));
        assert_eq!(l.versions[0].text.as_deref(), Some("here we go!"));
        assert_eq!(
            l.versions[1].balloon_guid.as_deref(),
            Some("292BF9C6-C9B8-4827-BE65-6EA1C9B5B384")
        );

        let b = read_one("EditedToLinkAndBack.plist");
        assert_eq!(
            b.current_text(),
            Some("And edit it back to a normal message...")
        );
    }
}
