//! Timeline checks over a case: can the record's times be trusted, is anything missing?
//!
//! Each check is one function over the case's messages (and, where it needs them, the
//! exhibits' observed file times and acquisition times) returning [`Finding`]s. Findings say what
//! the data shows; a finding is a question for the examiner, not proof of tampering (a phone's
//! clock can be wrong, an export can be re-saved).

use crate::money::MessageRef;
use cunzheng_model::{Location, Message, MessageKind};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// One preserved original, as far as the timeline needs it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exhibit {
    /// Exhibit number.
    pub number: u64,
    /// SHA-256 of the original.
    pub sha256: String,
    /// Its path or archive entry name as acquired.
    pub name: String,
    /// Modification time the file system reported at acquisition (UTC, RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_utc: Option<String>,
    /// When it was acquired (the custody log's ingest event, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquired_utc: Option<String>,
}

/// Settings of the checks.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// A silence longer than this inside a conversation is a gap (seconds).
    pub gap_seconds: i64,
    /// Differences up to this are clock noise, not findings (seconds).
    pub tolerance_seconds: i64,
    /// Time of an RFC 3161 timestamp token over the case, when one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_utc: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            gap_seconds: 7 * 24 * 3600,
            tolerance_seconds: 300,
            token_utc: None,
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check: `after_acquisition`, `after_file_modified`, `file_modified_after_acquisition`,
    /// `token_before_acquisition`, `ids_out_of_order`, `gap`, `recalled`, `edited`, `recovered`,
    /// `differs_between_sources`.
    pub check: &'static str,
    /// `warning` (needs explaining) or `info` (listed for the reader).
    pub severity: &'static str,
    /// In words.
    pub message: String,
    /// The exhibit concerned, when one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhibit: Option<u64>,
    /// The messages concerned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageRef>,
}

fn ts(s: &Option<String>) -> Option<Timestamp> {
    s.as_deref().and_then(|t| t.parse().ok())
}

fn by_item(exhibits: &[Exhibit]) -> BTreeMap<&str, &Exhibit> {
    let mut m = BTreeMap::new();
    for e in exhibits {
        m.entry(e.sha256.as_str()).or_insert(e);
    }
    m
}

/// Messages dated after their exhibit was acquired: the device clock was ahead, or the
/// message did not come from this acquisition.
pub fn after_acquisition(messages: &[Message], exhibits: &[Exhibit], s: &Settings) -> Vec<Finding> {
    let items = by_item(exhibits);
    let mut out = Vec::new();
    for m in messages {
        let Some(ex) = items.get(m.provenance.item_sha256.as_str()) else {
            continue;
        };
        let (Some(t), Some(acq)) = (ts(&m.time.utc), ts(&ex.acquired_utc)) else {
            continue;
        };
        if t.as_second() > acq.as_second() + s.tolerance_seconds {
            out.push(Finding {
                check: "after_acquisition",
                severity: "warning",
                message: format!(
                    "message dated {t} is later than exhibit {}'s acquisition at {acq}",
                    ex.number
                ),
                exhibit: Some(ex.number),
                messages: vec![MessageRef::of(m)],
            });
        }
    }
    out
}

/// Clock skew between device, file and acquisition times: an exhibit holding messages dated
/// after its file was last modified, a file modified after it was acquired, a timestamp token
/// older than the acquisition.
pub fn clock_skew(messages: &[Message], exhibits: &[Exhibit], s: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut latest: BTreeMap<&str, (Timestamp, &Message)> = BTreeMap::new();
    for m in messages {
        if let Some(t) = ts(&m.time.utc) {
            let e = latest
                .entry(m.provenance.item_sha256.as_str())
                .or_insert((t, m));
            if t > e.0 {
                *e = (t, m);
            }
        }
    }
    for ex in exhibits {
        let mtime = ts(&ex.modified_utc);
        if let (Some(mt), Some((t, m))) = (mtime, latest.get(ex.sha256.as_str()))
            && t.as_second() > mt.as_second() + s.tolerance_seconds
        {
            out.push(Finding {
                check: "after_file_modified",
                severity: "warning",
                message: format!(
                    "exhibit {} holds a message dated {t}, after the file's modification time {mt}: the device clock and the file time disagree",
                    ex.number
                ),
                exhibit: Some(ex.number),
                messages: vec![MessageRef::of(m)],
            });
        }
        if let (Some(mt), Some(acq)) = (mtime, ts(&ex.acquired_utc))
            && mt.as_second() > acq.as_second() + s.tolerance_seconds
        {
            out.push(Finding {
                check: "file_modified_after_acquisition",
                severity: "warning",
                message: format!(
                    "exhibit {}'s file time {mt} is after its acquisition at {acq}: the acquiring machine's clock or the file time is wrong",
                    ex.number
                ),
                exhibit: Some(ex.number),
                messages: vec![],
            });
        }
        if let (Some(tok), Some(acq)) = (ts(&s.token_utc), ts(&ex.acquired_utc))
            && tok.as_second() + s.tolerance_seconds < acq.as_second()
        {
            out.push(Finding {
                check: "token_before_acquisition",
                severity: "warning",
                message: format!(
                    "the timestamp token ({tok}) is older than exhibit {}'s acquisition ({acq})",
                    ex.number
                ),
                exhibit: Some(ex.number),
                messages: vec![],
            });
        }
    }
    out
}

/// The row id or numeric message id a source stored, which grows as messages are written.
fn sequence(m: &Message) -> Option<i64> {
    match &m.provenance.location {
        Location::Row { rowid, .. } => Some(*rowid),
        _ => m.id.parse().ok(),
    }
}

/// Messages whose row ids (or numeric ids) run against their times inside one conversation of
/// one exhibit: a message inserted later with an earlier date, or a changed time. Recovered
/// rows are left out (their slots are reused).
pub fn ids_out_of_order(messages: &[Message], s: &Settings) -> Vec<Finding> {
    type Row<'a> = (i64, Timestamp, &'a Message);
    let mut groups: BTreeMap<(&str, &str), Vec<Row>> = BTreeMap::new();
    for m in messages.iter().filter(|m| !m.recovered) {
        if let (Some(seq), Some(t)) = (sequence(m), ts(&m.time.utc)) {
            groups
                .entry((m.provenance.item_sha256.as_str(), m.conversation.as_str()))
                .or_default()
                .push((seq, t, m));
        }
    }
    let mut out = Vec::new();
    for ((_, conv), mut v) in groups {
        v.sort_by_key(|x| x.0);
        // Compare each message with the latest time seen at a lower id.
        let mut max: Option<(Timestamp, &Message)> = None;
        for &(seq, t, m) in &v {
            if let Some((mt, prev)) = max
                && t.as_second() + s.tolerance_seconds < mt.as_second()
            {
                out.push(Finding {
                        check: "ids_out_of_order",
                        severity: "warning",
                        message: format!(
                            "in conversation {conv}, id {seq} is dated {t}, earlier than {mt} of lower id {}",
                            sequence(prev).unwrap_or_default()
                        ),
                        exhibit: None,
                        messages: vec![MessageRef::of(prev), MessageRef::of(m)],
                    });
                continue;
            }
            if max.is_none_or(|(mt, _)| t > mt) {
                max = Some((t, m));
            }
        }
    }
    out
}

/// Silences longer than [`Settings::gap_seconds`] inside a conversation: messages may be
/// missing (deleted, not exported), or the parties spoke elsewhere.
pub fn gaps(messages: &[Message], s: &Settings) -> Vec<Finding> {
    let mut groups: BTreeMap<&str, Vec<(Timestamp, &Message)>> = BTreeMap::new();
    for m in messages {
        if let Some(t) = ts(&m.time.utc) {
            groups
                .entry(m.conversation.as_str())
                .or_default()
                .push((t, m));
        }
    }
    let mut out = Vec::new();
    for (conv, mut v) in groups {
        v.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        for w in v.windows(2) {
            let secs = w[1].0.as_second() - w[0].0.as_second();
            if secs > s.gap_seconds {
                out.push(Finding {
                    check: "gap",
                    severity: "info",
                    message: format!(
                        "conversation {conv} is silent for {} days, from {} to {}",
                        secs / 86_400,
                        w[0].0,
                        w[1].0
                    ),
                    exhibit: None,
                    messages: vec![MessageRef::of(w[0].1), MessageRef::of(w[1].1)],
                });
            }
        }
    }
    out
}

/// Messages the sender recalled (撤回): what was said is gone, the notice remains.
pub fn recalled(messages: &[Message]) -> Vec<Finding> {
    messages
        .iter()
        .filter(|m| m.kind == MessageKind::Recalled)
        .map(|m| Finding {
            check: "recalled",
            severity: "info",
            message: format!(
                "message recalled in conversation {} at {}",
                m.conversation,
                m.time.utc.as_deref().unwrap_or(&m.time.raw)
            ),
            exhibit: None,
            messages: vec![MessageRef::of(m)],
        })
        .collect()
}

/// Messages edited after sending, with the original text when the source kept it (iMessage
/// keeps every version): what the victim first read may not be what the record now shows.
pub fn edited(messages: &[Message]) -> Vec<Finding> {
    messages
        .iter()
        .filter(|m| m.edited.is_some() || m.extra.get("edit_history").is_some())
        .map(|m| {
            let when = m
                .edited
                .as_ref()
                .and_then(|t| t.utc.as_deref())
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            let original = m
                .extra
                .get("edit_history")
                .and_then(|h| h.as_array())
                .and_then(|h| h.first())
                .and_then(|v| v.get("text"))
                .and_then(|t| t.as_str())
                .filter(|t| *t != m.body);
            let (severity, message) = match original {
                Some(o) => (
                    "warning",
                    format!(
                        "message edited{when} in conversation {}: first sent as “{}”, now reads “{}”",
                        m.conversation,
                        clip(o),
                        clip(&m.body)
                    ),
                ),
                None => (
                    "info",
                    format!("message edited{when} in conversation {}", m.conversation),
                ),
            };
            Finding {
                check: "edited",
                severity,
                message,
                exhibit: None,
                messages: vec![MessageRef::of(m)],
            }
        })
        .collect()
}

/// Messages recovered from deleted space rather than read from live records.
pub fn recovered(messages: &[Message]) -> Vec<Finding> {
    messages
        .iter()
        .filter(|m| m.recovered)
        .map(|m| Finding {
            check: "recovered",
            severity: "info",
            message: format!(
                "message recovered from deleted space in conversation {} ({})",
                m.conversation,
                m.time.utc.as_deref().unwrap_or(&m.time.raw)
            ),
            exhibit: None,
            messages: vec![MessageRef::of(m)],
        })
        .collect()
}

/// The same message (same conversation, time and sender) in two exhibits with different text:
/// one of the sources was changed, or they are different exports of a chat that changed.
pub fn differs_between_sources(
    messages: &[Message],
    titles: &BTreeMap<String, String>,
) -> Vec<Finding> {
    type Key<'a> = (String, &'a str, Option<&'a str>);
    let mut groups: BTreeMap<Key, Vec<&Message>> = BTreeMap::new();
    for m in messages {
        let Some(t) = m.time.utc.as_deref() else {
            continue;
        };
        let conv = titles
            .get(&m.conversation)
            .cloned()
            .unwrap_or_else(|| m.conversation.clone());
        let sender = m.sender.account.as_deref().or(m.sender.name.as_deref());
        groups.entry((conv, t, sender)).or_default().push(m);
    }
    let mut out = Vec::new();
    for ((conv, t, _), v) in groups {
        let mut by_item: BTreeMap<&str, Vec<&Message>> = BTreeMap::new();
        for m in &v {
            by_item
                .entry(m.provenance.item_sha256.as_str())
                .or_default()
                .push(m);
        }
        if by_item.len() < 2 {
            continue;
        }
        // Bodies per item; a message in one item matching none in another item is a conflict.
        let items: Vec<(&str, Vec<&Message>)> = by_item.into_iter().collect();
        let mut reported: Vec<(&str, &str)> = Vec::new();
        for (i, (_, a)) in items.iter().enumerate() {
            for (_, b) in items.iter().skip(i + 1) {
                for ma in a {
                    if b.iter().any(|mb| mb.body == ma.body) {
                        continue;
                    }
                    if let Some(mb) = b.first() {
                        if reported.contains(&(ma.body.as_str(), mb.body.as_str())) {
                            continue;
                        }
                        reported.push((ma.body.as_str(), mb.body.as_str()));
                        out.push(Finding {
                            check: "differs_between_sources",
                            severity: "warning",
                            message: format!(
                                "in conversation {conv} at {t}, two sources give different text: {:?} vs {:?}",
                                clip(&ma.body),
                                clip(&mb.body)
                            ),
                            exhibit: None,
                            messages: vec![MessageRef::of(ma), MessageRef::of(mb)],
                        });
                    }
                }
            }
        }
    }
    out
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Every check, findings in check order.
pub fn run_all(
    messages: &[Message],
    exhibits: &[Exhibit],
    titles: &BTreeMap<String, String>,
    s: &Settings,
) -> Vec<Finding> {
    let mut out = after_acquisition(messages, exhibits, s);
    out.extend(clock_skew(messages, exhibits, s));
    out.extend(ids_out_of_order(messages, s));
    out.extend(gaps(messages, s));
    out.extend(recalled(messages));
    out.extend(edited(messages));
    out.extend(recovered(messages));
    out.extend(differs_between_sources(messages, titles));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::money::tests::msg;
    use MessageKind::Text;
    use cunzheng_model::Direction::{Incoming as I, Outgoing as O};

    fn exhibit(sha: &str, modified: &str, acquired: &str) -> Exhibit {
        Exhibit {
            number: 1,
            sha256: sha.into(),
            name: "chat.db".into(),
            modified_utc: Some(modified.into()),
            acquired_utc: Some(acquired.into()),
        }
    }

    fn with_item(mut m: Message, sha: &str, rowid: i64) -> Message {
        m.provenance.item_sha256 = sha.into();
        m.provenance.location = Location::Row {
            table: "message".into(),
            rowid,
        };
        m
    }

    fn ids(f: &[Finding]) -> Vec<Vec<String>> {
        f.iter()
            .map(|f| f.messages.iter().map(|r| r.message.clone()).collect())
            .collect()
    }

    #[test]
    fn message_after_acquisition() {
        let ex = [exhibit(
            "aa",
            "2024-03-01T00:00:00Z",
            "2024-03-02T00:00:00Z",
        )];
        let ms = [
            with_item(
                msg("1", "c", I, Text, "hi", "2024-03-01T23:59:00Z"),
                "aa",
                1,
            ),
            with_item(
                msg("2", "c", I, Text, "from the future", "2024-03-05T00:00:00Z"),
                "aa",
                2,
            ),
        ];
        let f = after_acquisition(&ms, &ex, &Settings::default());
        assert_eq!(ids(&f), vec![vec!["2".to_owned()]]);
        assert_eq!(f[0].exhibit, Some(1));
    }

    #[test]
    fn skew_between_message_file_acquisition_and_token() {
        // The file claims it was last modified before its newest message, and after it was
        // acquired; the token predates the acquisition.
        let ex = [
            exhibit("aa", "2024-03-03T00:00:00Z", "2024-03-02T00:00:00Z"),
            exhibit("bb", "2024-02-01T00:00:00Z", "2024-03-02T00:00:00Z"),
        ];
        let ms = [with_item(
            msg("1", "c", I, Text, "x", "2024-02-10T00:00:00Z"),
            "bb",
            1,
        )];
        let s = Settings {
            token_utc: Some("2024-03-01T00:00:00Z".into()),
            ..Settings::default()
        };
        let f = clock_skew(&ms, &ex, &s);
        let checks: Vec<&str> = f.iter().map(|f| f.check).collect();
        assert_eq!(
            checks,
            vec![
                "file_modified_after_acquisition",
                "token_before_acquisition",
                "after_file_modified",
                "token_before_acquisition"
            ]
        );
        let consistent = [exhibit(
            "bb",
            "2024-02-11T00:00:00Z",
            "2024-03-02T00:00:00Z",
        )];
        assert!(clock_skew(&ms, &consistent, &Settings::default()).is_empty());
    }

    #[test]
    fn row_ids_against_times() {
        let ms = [
            with_item(
                msg("a", "c", I, Text, "1", "2024-01-01T10:00:00Z"),
                "aa",
                10,
            ),
            with_item(
                msg("b", "c", O, Text, "2", "2024-01-01T10:05:00Z"),
                "aa",
                11,
            ),
            // Written after row 11 but dated an hour earlier.
            with_item(
                msg("c", "c", I, Text, "3", "2024-01-01T09:00:00Z"),
                "aa",
                12,
            ),
            with_item(
                msg("d", "c", O, Text, "4", "2024-01-01T10:10:00Z"),
                "aa",
                13,
            ),
        ];
        let f = ids_out_of_order(&ms, &Settings::default());
        assert_eq!(ids(&f), vec![vec!["b".to_owned(), "c".to_owned()]]);
        // Within tolerance: not a finding.
        let ok = [
            with_item(msg("a", "c", I, Text, "1", "2024-01-01T10:00:00Z"), "aa", 1),
            with_item(msg("b", "c", I, Text, "2", "2024-01-01T09:59:00Z"), "aa", 2),
        ];
        assert!(ids_out_of_order(&ok, &Settings::default()).is_empty());
    }

    #[test]
    fn gaps_in_a_conversation() {
        let ms = [
            msg("1", "c", I, Text, "a", "2024-01-01T00:00:00Z"),
            msg("2", "c", O, Text, "b", "2024-01-02T00:00:00Z"),
            msg("3", "c", I, Text, "c", "2024-02-01T00:00:00Z"),
            msg("4", "d", I, Text, "other chat", "2024-01-15T00:00:00Z"),
        ];
        let f = gaps(&ms, &Settings::default());
        assert_eq!(ids(&f), vec![vec!["2".to_owned(), "3".to_owned()]]);
        assert!(f[0].message.contains("30 days"));
    }

    #[test]
    fn recalled_and_recovered_listed() {
        let mut ms = vec![
            msg(
                "1",
                "c",
                I,
                MessageKind::Recalled,
                "\"客服\" 撤回了一条消息",
                "2024-01-01T00:00:00Z",
            ),
            msg("2", "c", I, Text, "账户是6222…", "2024-01-01T00:01:00Z"),
            msg("3", "c", I, Text, "normal", "2024-01-01T00:02:00Z"),
        ];
        ms[1].recovered = true;
        assert_eq!(ids(&recalled(&ms)), vec![vec!["1".to_owned()]]);
        assert_eq!(ids(&recovered(&ms)), vec![vec!["2".to_owned()]]);
    }

    #[test]
    fn edits_listed_with_the_original_text() {
        let mut ms = vec![
            msg(
                "1",
                "c",
                I,
                Text,
                "卡号 6217 0000 9999 8888",
                "2024-01-01T00:00:00Z",
            ),
            msg("2", "c", I, Text, "ok", "2024-01-01T00:01:00Z"),
            msg("3", "c", I, Text, "fixed typo", "2024-01-01T00:02:00Z"),
        ];
        ms[0].extra = serde_json::json!({"edit_history": [
            {"part": 0, "version": 0, "text": "卡号 6222 0200 1234 5678"},
            {"part": 0, "version": 1, "text": "卡号 6217 0000 9999 8888"}
        ]});
        ms[2].edited = Some(ms[2].time.clone());
        let f = edited(&ms);
        assert_eq!(ids(&f), vec![vec!["1".to_owned()], vec!["3".to_owned()]]);
        assert_eq!(f[0].severity, "warning");
        assert!(
            f[0].message
                .contains("first sent as “卡号 6222 0200 1234 5678”")
        );
        assert_eq!(f[1].severity, "info");
    }

    #[test]
    fn same_message_differs_between_sources() {
        let ms = [
            with_item(
                msg("1", "c", I, Text, "转5000到这个卡", "2024-01-01T00:00:00Z"),
                "aa",
                1,
            ),
            with_item(
                msg("9", "c", I, Text, "转5000到这个卡", "2024-01-01T00:00:00Z"),
                "bb",
                1,
            ),
            with_item(
                msg("2", "c", I, Text, "安全账户", "2024-01-01T00:01:00Z"),
                "aa",
                2,
            ),
            with_item(
                msg("8", "c", I, Text, "普通账户", "2024-01-01T00:01:00Z"),
                "bb",
                2,
            ),
        ];
        let f = differs_between_sources(&ms, &BTreeMap::new());
        assert_eq!(ids(&f), vec![vec!["2".to_owned(), "8".to_owned()]]);
    }
}
