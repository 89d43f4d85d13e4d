//! One analysis run over a set of messages: entities, money trail and timeline checks, written
//! as two files that are a pure function of the inputs (same inputs, same bytes):
//! `findings.json` (summary, money trail, timeline findings, and a `scam` section filled by
//! the scam classifier when it is wired in) and `entities.jsonl` (every entity occurrence with
//! its message's provenance).

use crate::entity::{self, Entity, Kind};
use crate::money::{self, MessageRef, MoneyTrail};
use crate::timeline::{self, Exhibit, Finding, Settings};
use cunzheng_model::{Conversation, Message};
use serde::Serialize;
use std::collections::BTreeMap;

/// Format tag of `findings.json`.
pub const FORMAT: &str = "cunzheng-findings/1";

/// What a scan reads.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Case id.
    pub case_id: String,
    /// Tool name and version.
    pub tool: String,
    /// The message files read (bag path, SHA-256), for the record.
    pub files: Vec<(String, String)>,
    /// All messages, in file order.
    pub messages: Vec<Message>,
    /// All conversations.
    pub conversations: Vec<Conversation>,
    /// The exhibits.
    pub exhibits: Vec<Exhibit>,
    /// Names or accounts of the device owner.
    pub owner: Vec<String>,
    /// Timeline settings.
    pub settings: Settings,
    /// The scam classifier's result over these messages (per conversation: type, score,
    /// reasons), computed by the caller; copied into [`Findings::scam`]. `None` until the
    /// classifier is wired into `scan`.
    pub scam: Option<serde_json::Value>,
}

/// One distinct identifier and where it appears.
#[derive(Debug, Clone, Serialize)]
pub struct Identifier {
    /// Kind.
    pub kind: Kind,
    /// Normalised value.
    pub value: String,
    /// Occurrences.
    pub count: u64,
    /// Sensitive personal data.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pii: bool,
    /// Issuer by BIN table, note, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The first message it appears in (by time, then position).
    pub first: MessageRef,
}

/// A file the scan read.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// Bag path.
    pub path: String,
    /// SHA-256.
    pub sha256: String,
}

/// Counts.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// Messages analysed.
    pub messages: u64,
    /// Entity occurrences per kind.
    pub entities: BTreeMap<&'static str, u64>,
    /// Timeline findings per check.
    pub timeline: BTreeMap<&'static str, u64>,
}

/// `findings.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// [`FORMAT`].
    pub format: &'static str,
    /// Tool name and version.
    pub tool: String,
    /// Case id.
    pub case_id: String,
    /// The message files read.
    pub inputs: Vec<InputFile>,
    /// Timeline settings used.
    pub settings: Settings,
    /// Counts.
    pub counts: Counts,
    /// Distinct identifiers (everything but amounts), by kind then value.
    pub identifiers: Vec<Identifier>,
    /// Transfers, per counterparty and account, and the owner's loss.
    pub money: MoneyTrail,
    /// Timeline findings.
    pub timeline: Vec<Finding>,
    /// Scam type per conversation with reasons: `null` until the scam classifier is wired in.
    pub scam: Option<serde_json::Value>,
}

/// One line of `entities.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct EntityLine<'a> {
    /// The entity.
    #[serde(flatten)]
    pub entity: &'a Entity,
    /// Its message.
    #[serde(flatten)]
    pub at: MessageRef,
    /// The message's UTC time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_utc: Option<&'a str>,
}

/// The result of a scan: the findings and both files' bytes.
#[derive(Debug, Clone)]
pub struct Output {
    /// The findings (also in `findings_json`).
    pub findings: Findings,
    /// `findings.json`, pretty-printed with a final newline.
    pub findings_json: Vec<u8>,
    /// `entities.jsonl`.
    pub entities_jsonl: Vec<u8>,
}

/// Entities in earlier versions of an edited message (`extra.edit_history`, as the iMessage
/// parser writes it) that its current text does not hold; their offsets are into that
/// version's text, which the note names.
fn earlier_version_entities(m: &Message, current: &[Entity]) -> Vec<Entity> {
    let Some(history) = m.extra.get("edit_history").and_then(|h| h.as_array()) else {
        return Vec::new();
    };
    let mut out: Vec<Entity> = Vec::new();
    for v in history {
        let Some(text) = v.get("text").and_then(|t| t.as_str()) else {
            continue;
        };
        if text == m.body {
            continue;
        }
        let version = v.get("version").and_then(|n| n.as_u64()).unwrap_or(0);
        let part = v.get("part").and_then(|n| n.as_u64()).unwrap_or(0);
        for mut e in entity::extract(text) {
            let known = |x: &Entity| x.kind == e.kind && x.value == e.value;
            if current.iter().any(known) || out.iter().any(known) {
                continue;
            }
            let was = format!(
                "only in an earlier version of this edited message (part {part}, version {version}); offsets are into that version"
            );
            e.note = Some(match e.note.take() {
                Some(n) => format!("{n}; {was}"),
                None => was,
            });
            out.push(e);
        }
    }
    out
}

/// Runs entities, money trail and timeline checks.
pub fn run(input: &Input) -> Output {
    let entities: Vec<Vec<Entity>> = input
        .messages
        .iter()
        .map(|m| entity::extract(&m.body))
        .collect();
    let titles: BTreeMap<String, String> = input
        .conversations
        .iter()
        .filter_map(|c| c.title.clone().map(|t| (c.id.clone(), t)))
        .collect();
    let money = money::trail(&input.messages, &entities, &titles, &input.owner);
    let timeline = timeline::run_all(&input.messages, &input.exhibits, &titles, &input.settings);
    // Identifiers that only earlier versions of edited messages hold (an account number
    // changed after sending) are listed too; the money trail counts the text as it stands.
    let entities: Vec<Vec<Entity>> = input
        .messages
        .iter()
        .zip(entities)
        .map(|(m, mut ents)| {
            ents.extend(earlier_version_entities(m, &ents));
            ents
        })
        .collect();

    let mut lines = Vec::new();
    let mut per_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut ids: BTreeMap<(Kind, String), Identifier> = BTreeMap::new();
    for (m, ents) in input.messages.iter().zip(&entities) {
        for e in ents {
            *per_kind.entry(e.kind.name()).or_default() += 1;
            let line = EntityLine {
                entity: e,
                at: MessageRef::of(m),
                time_utc: m.time.utc.as_deref(),
            };
            // Plain data: serialisation cannot fail.
            if let Ok(s) = serde_json::to_string(&line) {
                lines.extend_from_slice(s.as_bytes());
                lines.push(b'\n');
            }
            if !e.kind.is_identifier() {
                continue;
            }
            let at = MessageRef::of(m);
            let id = ids
                .entry((e.kind, e.value.clone()))
                .or_insert_with(|| Identifier {
                    kind: e.kind,
                    value: e.value.clone(),
                    count: 0,
                    pii: e.pii,
                    detail: e.bank.clone().or_else(|| e.note.clone()),
                    first: at.clone(),
                });
            id.count += 1;
        }
    }
    // `first` by time: a second pass keeps the earliest.
    let mut first_time: BTreeMap<(Kind, String), (Option<&str>, MessageRef)> = BTreeMap::new();
    for (m, ents) in input.messages.iter().zip(&entities) {
        for e in ents.iter().filter(|e| e.kind.is_identifier()) {
            let t = m.time.utc.as_deref();
            let key = (e.kind, e.value.clone());
            let better = match first_time.get(&key) {
                None => true,
                Some((ft, _)) => {
                    matches!((t, ft), (Some(a), Some(b)) if a < *b) || (t.is_some() && ft.is_none())
                }
            };
            if better {
                first_time.insert(key, (t, MessageRef::of(m)));
            }
        }
    }
    for (k, (_, r)) in first_time {
        if let Some(id) = ids.get_mut(&k) {
            id.first = r;
        }
    }
    let mut per_check: BTreeMap<&'static str, u64> = BTreeMap::new();
    for f in &timeline {
        *per_check.entry(f.check).or_default() += 1;
    }
    let findings = Findings {
        format: FORMAT,
        tool: input.tool.clone(),
        case_id: input.case_id.clone(),
        inputs: input
            .files
            .iter()
            .map(|(p, h)| InputFile {
                path: p.clone(),
                sha256: h.clone(),
            })
            .collect(),
        settings: input.settings.clone(),
        counts: Counts {
            messages: input.messages.len() as u64,
            entities: per_kind,
            timeline: per_check,
        },
        identifiers: ids.into_values().collect(),
        money,
        timeline,
        scam: input.scam.clone(),
    };
    let mut findings_json = serde_json::to_vec_pretty(&findings).unwrap_or_default();
    findings_json.push(b'\n');
    Output {
        findings,
        findings_json,
        entities_jsonl: lines,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::money::tests::msg;
    use cunzheng_model::{Direction, MessageKind};

    #[test]
    fn accounts_only_in_earlier_versions_are_listed_but_not_counted_twice() {
        let mut m = msg(
            "1",
            "c",
            Direction::Incoming,
            MessageKind::Text,
            "转 5000 元到 6217000010000000003",
            "2024-01-01T00:00:00Z",
        );
        m.extra = serde_json::json!({"edit_history": [
            {"part": 0, "version": 0, "text": "转 5000 元到 6222020200000000006"},
            {"part": 0, "version": 1, "text": "转 5000 元到 6217000010000000003"}
        ]});
        let current = entity::extract(&m.body);
        let earlier = earlier_version_entities(&m, &current);
        // The amount is in both versions: not repeated; the first card only in version 0.
        assert_eq!(earlier.len(), 1, "{earlier:?}");
        assert_eq!(earlier[0].value, "6222020200000000006");
        assert!(
            earlier[0]
                .note
                .as_deref()
                .unwrap()
                .contains("earlier version")
        );
        let out = run(&Input {
            messages: vec![m],
            ..Input::default()
        });
        let lines = String::from_utf8(out.entities_jsonl).unwrap();
        assert!(lines.contains("6222020200000000006"));
        assert!(
            out.findings
                .timeline
                .iter()
                .any(|f| f.check == "edited" && f.severity == "warning")
        );
    }
}
