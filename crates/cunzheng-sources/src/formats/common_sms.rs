//! Android telephony codes shared by the SMS Backup & Restore XML and `mmssms.db` parsers:
//! message boxes, MMS address and PDU types, and the time units both write. The codes are
//! from AOSP `Telephony.java` / `PduHeaders.java`, which both formats copy verbatim.

use cunzheng_model::{Direction, MessageKind, MsgTime};

use crate::time::{self, Zone};

/// An SMS `type` or MMS `msg_box` code: the direction it implies and its AOSP name.
/// Drafts, outbox, failed and queued messages were written on the device, so they count as
/// outgoing; the box name (kept in `extra`) says they may never have been sent.
pub(crate) fn message_box(code: Option<i64>) -> (Direction, &'static str) {
    match code {
        Some(1) => (Direction::Incoming, "inbox"),
        Some(2) => (Direction::Outgoing, "sent"),
        Some(3) => (Direction::Outgoing, "draft"),
        Some(4) => (Direction::Outgoing, "outbox"),
        Some(5) => (Direction::Outgoing, "failed"),
        Some(6) => (Direction::Outgoing, "queued"),
        Some(0) => (Direction::Unknown, "all"),
        _ => (Direction::Unknown, "unknown"),
    }
}

/// MMS `addr.type` (PDU header field): 137 FROM, 151 TO, 130 BCC, 129 CC.
pub(crate) fn addr_type(code: Option<i64>) -> &'static str {
    match code {
        Some(137) => "from",
        Some(151) => "to",
        Some(130) => "bcc",
        Some(129) => "cc",
        _ => "unknown",
    }
}

/// The placeholder Android stores instead of the device's own number in sent MMS.
pub(crate) const OWN_ADDRESS_TOKEN: &str = "insert-address-token";

/// MMS `m_type` (X-Mms-Message-Type): which PDUs are messages and which are reports.
pub(crate) fn mms_type(code: Option<i64>) -> &'static str {
    match code {
        Some(128) => "send_req",
        Some(130) => "notification_ind",
        Some(132) => "retrieve_conf",
        Some(134) => "delivery_ind",
        Some(136) => "read_orig_ind",
        _ => "other",
    }
}

/// The kind a part of this MIME type gives a message.
pub(crate) fn kind_for_mime(mime: &str) -> MessageKind {
    let m = mime.trim().to_ascii_lowercase();
    if m.starts_with("image/") {
        MessageKind::Image
    } else if m.starts_with("video/") {
        MessageKind::Video
    } else if m.starts_with("audio/") {
        // MMS and iMessage audio parts are, in practice, recorded voice.
        MessageKind::Voice
    } else if m == "text/x-vcard" || m == "text/vcard" {
        MessageKind::Contact
    } else {
        MessageKind::File
    }
}

/// Whether an MMS part carries the message text (as opposed to layout or an attachment).
pub(crate) fn is_text_part(mime: &str) -> bool {
    mime.trim().eq_ignore_ascii_case("text/plain")
}

/// Whether an MMS part is the SMIL layout, which is neither text nor attachment.
pub(crate) fn is_smil_part(mime: &str) -> bool {
    mime.trim().eq_ignore_ascii_case("application/smil")
}

/// The Unix epoch unit of an Android time value. SMS times are milliseconds; MMS `date` is
/// seconds in the database, and `date_sent` stays seconds even in backups that convert
/// `date` to milliseconds. Decided per value: 10^11 s is the year 5138, 10^11 ms is 1973,
/// so values from 10^11 up are milliseconds.
pub(crate) fn unix_unit(value: i64) -> &'static str {
    if value.unsigned_abs() >= 100_000_000_000 {
        "unix_ms"
    } else {
        "unix_s"
    }
}

/// A time from an Android epoch value. 0 and absent mean "not recorded" in these formats,
/// so they give no instant rather than 1970-01-01.
pub(crate) fn android_time(zone: &Zone, raw: &str, value: Option<i64>) -> MsgTime {
    match value {
        Some(v) if v != 0 => zone.epoch(raw, unix_unit(v), v),
        Some(v) => time::unresolved(raw, unix_unit(v)),
        None => time::unresolved(raw, "unix_ms"),
    }
}

/// `{raw, unit, utc}` of a secondary time, for `extra`.
pub(crate) fn time_json(t: &MsgTime) -> serde_json::Value {
    serde_json::json!({ "raw": t.raw, "unit": t.unit, "utc": t.utc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_by_magnitude() {
        assert_eq!(unix_unit(1_720_997_593), "unix_s");
        assert_eq!(unix_unit(1_720_997_593_000), "unix_ms");
        let z = Zone::given("UTC").expect("utc");
        assert_eq!(android_time(&z, "0", Some(0)).utc, None);
        assert_eq!(
            android_time(&z, "1383065788038", Some(1_383_065_788_038))
                .utc
                .as_deref(),
            Some("2013-10-29T16:56:28.038Z")
        );
    }

    /// Throughput and memory check on a large file, run by hand:
    /// `CUNZHENG_BENCH_FILE=… CUNZHENG_BENCH_FORMAT=sms-backup-xml cargo test -p
    /// cunzheng-sources bench_file -- --ignored --nocapture` (see the report for numbers).
    #[test]
    #[ignore = "needs a large input file named by CUNZHENG_BENCH_FILE"]
    fn bench_file() {
        use crate::source::{Input, Options, Sink};
        #[derive(Default)]
        struct Count(u64, u64, u64, u64, usize);
        impl Sink for Count {
            fn conversation(&mut self, _: cunzheng_model::Conversation) {
                self.0 += 1;
            }
            fn message(&mut self, m: cunzheng_model::Message) {
                self.1 += 1;
                self.4 += m.body.len();
            }
            fn unparsed(&mut self, _: cunzheng_model::Unparsed) {
                self.2 += 1;
            }
            fn warning(&mut self, _: String) {
                self.3 += 1;
            }
        }
        let (Ok(file), Ok(format)) = (
            std::env::var("CUNZHENG_BENCH_FILE"),
            std::env::var("CUNZHENG_BENCH_FORMAT"),
        ) else {
            println!("SKIP: CUNZHENG_BENCH_FILE / CUNZHENG_BENCH_FORMAT not set");
            return;
        };
        let source = crate::by_id(&format).expect("format");
        let input = Input::open(std::path::Path::new(&file)).expect("open");
        let t = std::time::Instant::now();
        let mut sink = Count::default();
        source
            .parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        let secs = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&file).expect("meta").len() as f64;
        println!(
            "{format}: {:.0} MB in {secs:.2} s ({:.0} MB/s); {} conversations, {} messages \
             ({} body bytes), {} unparsed, {} warnings",
            size / 1e6,
            size / 1e6 / secs,
            sink.0,
            sink.1,
            sink.4,
            sink.2,
            sink.3
        );
    }

    #[test]
    fn boxes_and_kinds() {
        assert_eq!(message_box(Some(1)).0, Direction::Incoming);
        assert_eq!(message_box(Some(3)), (Direction::Outgoing, "draft"));
        assert_eq!(message_box(Some(99)).0, Direction::Unknown);
        assert_eq!(kind_for_mime("IMAGE/JPEG"), MessageKind::Image);
        assert_eq!(kind_for_mime("text/x-vCard"), MessageKind::Contact);
        assert_eq!(kind_for_mime("application/pdf"), MessageKind::File);
    }
}
