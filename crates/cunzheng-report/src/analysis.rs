//! The analysis stage's sealed findings (`data/derived/analysis/<digest>/findings.json`, written
//! by `cunzheng scan`) turned into the report's money-trail, scam-type and timeline sections.
//!
//! Only sealed findings are read, and only the file the last `analyze` custody event names
//! with its SHA-256: a report cites what anyone can recompute from the bag. The findings are
//! read as JSON values so that a field this version does not know is ignored, not fatal.

use crate::model::{Cited, MoneyTrail, ReportInput, ScamFinding, TimelineCheck, Transfer};
use cunzheng_case::bag;
use cunzheng_case::layout::{self, Layout};
use cunzheng_model::CustodyEvent;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Rows of each table kept in the report (the findings file holds them all).
const MAX_ROWS: usize = 500;
/// Messages cited per scam finding.
const MAX_CITED: usize = 8;

/// The bag path and SHA-256 of the newest sealed findings, by the custody log.
fn newest_findings(layout: &Layout) -> Option<(String, String)> {
    let bytes = bag::read(layout, layout::CUSTODY).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut found = None;
    for line in text.lines() {
        let Ok(ev) = serde_json::from_str::<CustodyEvent>(line) else {
            continue;
        };
        if ev.action != "analyze" {
            continue;
        }
        for o in &ev.outputs {
            let mut parts = o.split(' ');
            if let (Some(path), Some(sha)) = (parts.next(), parts.next())
                && path.ends_with("/findings.json")
            {
                found = Some((
                    path.to_owned(),
                    sha.trim_start_matches("sha256:").to_owned(),
                ));
            }
        }
    }
    found
}

/// Fills `input.money`, `input.scam` and `input.timeline` from the sealed findings, if any;
/// a problem reading them becomes a parse note, never an error: the rest of the report stands.
pub fn fill(layout: &Layout, by_sha: &HashMap<String, u64>, input: &mut ReportInput) {
    let Some((path, sha)) = newest_findings(layout) else {
        return;
    };
    let bytes = match bag::read(layout, &path) {
        Ok(b) => b,
        Err(_) => {
            // Staged by a scan after the last seal: not sealed yet, so not cited.
            return;
        }
    };
    if hex::encode(Sha256::digest(&bytes)) != sha {
        input.parse_notes.push(format!(
            "{path}: its SHA-256 is not the one the custody log names; analysis sections left out (run `cunzheng verify`)"
        ));
        return;
    }
    let f: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            input
                .parse_notes
                .push(format!("{path}: not readable as JSON ({e})"));
            return;
        }
    };
    let views: HashMap<(u64, &str), (&str, &str, &str)> = input
        .conversations
        .iter()
        .flat_map(|c| c.messages.iter())
        .map(|m| {
            let exhibit = m
                .cite
                .strip_prefix('E')
                .and_then(|c| c.split_once('-'))
                .and_then(|(n, _)| n.parse::<u64>().ok())
                .unwrap_or(0);
            let id = m.cite.split_once('-').map_or("", |(_, id)| id);
            (
                (exhibit, id),
                (m.time.as_str(), m.sender.as_str(), m.body.as_str()),
            )
        })
        .collect();
    let cite = |r: &Value| -> String {
        let item = r["item_sha256"].as_str().unwrap_or("");
        let msg = r["message"].as_str().unwrap_or("");
        match by_sha.get(item) {
            Some(n) => format!("E{n}-{msg}"),
            None => msg.to_owned(),
        }
    };
    let money = money(&f["money"], &cite);
    let timeline = timeline(&f["timeline"], &cite);
    let scam = scam(&f["scam"], by_sha, &views);
    input.money = Some(money);
    input.timeline = Some(timeline);
    input.scam = scam;
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn money(m: &Value, cite: &dyn Fn(&Value) -> String) -> MoneyTrail {
    let transfers = m["transfers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .take(MAX_ROWS)
        .map(|t| {
            let flow = t["flow"].as_str().unwrap_or("unknown");
            let other = t["account"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| text(&t["counterparty"]));
            let (from, to) = match flow {
                "out" => ("owner".to_owned(), other),
                "in" => (other, "owner".to_owned()),
                _ => (String::new(), other),
            };
            Transfer {
                time: text(&t["time_utc"]),
                from,
                to,
                amount: text(&t["amount"]),
                currency: text(&t["currency"]),
                channel: format!("{} ({})", text(&t["basis"]), text(&t["source"])),
                cites: vec![cite(&t["at"])],
            }
        })
        .collect();
    let total_loss = m["loss"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|l| (text(&l["currency"]), text(&l["loss"])))
        .collect();
    MoneyTrail {
        transfers,
        total_loss,
        method: "paid out by the owner minus money returned, per currency, from transfer records \
                 and completed payments stated in the messages (source `text`: claims, check \
                 them against bank records)"
            .into(),
    }
}

fn timeline(t: &Value, cite: &dyn Fn(&Value) -> String) -> Vec<TimelineCheck> {
    t.as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .take(MAX_ROWS)
        .map(|f| {
            let refs: Vec<String> = f["messages"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .take(5)
                .map(cite)
                .collect();
            let mut detail = text(&f["message"]);
            if !refs.is_empty() {
                detail.push_str(&format!(" [{}]", refs.join(", ")));
            }
            TimelineCheck {
                check: text(&f["check"]),
                result: text(&f["severity"]),
                detail,
            }
        })
        .collect()
}

fn scam(
    s: &Value,
    by_sha: &HashMap<String, u64>,
    views: &HashMap<(u64, &str), (&str, &str, &str)>,
) -> Option<Vec<ScamFinding>> {
    let convs = s["conversations"].as_array()?;
    let mut out = Vec::new();
    for c in convs {
        let score = c["scam"].as_f64().unwrap_or(0.0);
        let ty = match (c["type_zh"].as_str(), c["type"].as_str()) {
            (Some(zh), Some(id)) => format!("{zh} / {id}"),
            _ => "no type named".into(),
        };
        let title = c["title"]
            .as_str()
            .or(c["conversation"].as_str())
            .unwrap_or("?");
        let reasons = c["reasons"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let mut cues: Vec<&str> = Vec::new();
        let mut cited: Vec<Cited> = Vec::new();
        for r in reasons.iter().filter(|r| r["source"] == "rule") {
            if let Some(t) = r["text"].as_str()
                && !cues.contains(&t)
            {
                cues.push(t);
            }
            let item = r["provenance"]["item_sha256"].as_str().unwrap_or("");
            let msg = r["message"].as_str().unwrap_or("");
            let exhibit = by_sha.get(item).copied().unwrap_or(0);
            let reference = format!("E{exhibit}-{msg}");
            if cited.len() < MAX_CITED && !cited.iter().any(|x| x.reference == reference) {
                let (time, sender, body) =
                    views.get(&(exhibit, msg)).copied().unwrap_or(("", "", ""));
                cited.push(Cited {
                    reference,
                    time: time.to_owned(),
                    sender: sender.to_owned(),
                    text: body.to_owned(),
                });
            }
        }
        out.push(ScamFinding {
            scam_type: format!("{title}: {ty}"),
            confidence: format!(
                "{score:.2} (model {:.2}, rules {:.2})",
                c["model_scam"].as_f64().unwrap_or(0.0),
                c["rules_scam"].as_f64().unwrap_or(0.0)
            ),
            rationale: if cues.is_empty() {
                "no expert-rule cue fired; the score is the statistical model's alone".into()
            } else {
                format!("expert-rule cues: {}", cues.join(", "))
            },
            cited,
        });
    }
    Some(out)
}
