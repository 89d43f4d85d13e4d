//! The held-out chat check set (`tests/data/scam-chats/checkset.jsonl`): realistic chats, one
//! or more per scam type, and benign chats that look scam-ish (bank notices, family money
//! talk …). Never trained on; it measures what the dev splits cannot: chat-shaped text in the
//! types the datasets lack.

use crate::classifier::Classifier;
use crate::error::Error;
use crate::input::{Input, Turn};
use crate::taxonomy;
use serde::Deserialize;
use std::path::Path;

/// One labelled conversation.
#[derive(Debug, Clone)]
pub struct Row {
    /// Row id.
    pub id: String,
    /// Scam or not.
    pub label: bool,
    /// The expected type (index in [`taxonomy::TYPES`]) of a scam row.
    pub scam_type: Option<usize>,
    /// The conversation.
    pub input: Input,
}

#[derive(Deserialize)]
struct Line {
    id: String,
    label: u8,
    #[serde(rename = "type")]
    scam_type: Option<String>,
    turns: Vec<Turn>,
    #[allow(dead_code)] // For people: which public case description the chat follows.
    basis: String,
}

/// Reads a check-set file.
pub fn load(path: &Path) -> Result<Vec<Row>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text, path)
}

/// Parses check-set JSON lines (`path` only names errors).
pub fn parse(text: &str, path: &Path) -> Result<Vec<Row>, Error> {
    let mut out = Vec::new();
    for (li, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| Error::Dataset {
            path: path.to_path_buf(),
            line: li + 1,
            reason,
        };
        let l: Line = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let scam_type = match &l.scam_type {
            None => None,
            Some(t) => Some(taxonomy::index(t).ok_or_else(|| bad(format!("unknown type {t:?}")))?),
        };
        let label = match l.label {
            0 => false,
            1 => true,
            n => return Err(bad(format!("label {n} is not 0 or 1"))),
        };
        if label != scam_type.is_some() {
            return Err(bad("a scam row needs a type, a benign row none".into()));
        }
        out.push(Row {
            id: l.id,
            label,
            scam_type,
            input: Input::Turns(l.turns),
        });
    }
    Ok(out)
}

/// The verdict on one row.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Row id.
    pub id: String,
    /// Gold label.
    pub label: bool,
    /// Gold type.
    pub gold_type: Option<usize>,
    /// Scam probability.
    pub scam: f64,
    /// Combined top type, whatever the probability.
    pub top_type: Option<usize>,
    /// Whether `top_type` is the gold type, its parent or its child.
    pub type_ok: bool,
}

/// Scores of the whole set.
#[derive(Debug, Clone)]
pub struct Report {
    /// One outcome per row, in file order.
    pub rows: Vec<Outcome>,
}

/// The gold type or a parent/child of it (冒充快递 is a kind of 冒充电商物流客服).
pub fn same_family(pred: usize, gold: usize) -> bool {
    let (p, g) = (&taxonomy::TYPES[pred], &taxonomy::TYPES[gold]);
    pred == gold || p.parent == Some(g.id) || g.parent == Some(p.id)
}

/// Classifies every row.
pub fn evaluate(c: &Classifier, rows: &[Row]) -> Report {
    let rows = rows
        .iter()
        .map(|r| {
            let d = c.classify_detail(&r.input);
            let type_ok = match (d.combined_type, r.scam_type) {
                (Some(p), Some(g)) => same_family(p, g),
                _ => false,
            };
            Outcome {
                id: r.id.clone(),
                label: r.label,
                gold_type: r.scam_type,
                scam: d.verdict.scam,
                top_type: d.combined_type,
                type_ok,
            }
        })
        .collect();
    Report { rows }
}

impl Report {
    /// Scam rows.
    pub fn scams(&self) -> impl Iterator<Item = &Outcome> {
        self.rows.iter().filter(|o| o.label)
    }

    /// Benign rows.
    pub fn benign(&self) -> impl Iterator<Item = &Outcome> {
        self.rows.iter().filter(|o| !o.label)
    }

    /// Share of scam rows whose top type is right (see [`same_family`]).
    pub fn type_accuracy(&self) -> f64 {
        ratio(
            self.scams().filter(|o| o.type_ok).count(),
            self.scams().count(),
        )
    }

    /// F1 of scam ≥ 0.5 against the labels.
    pub fn scam_f1(&self) -> f64 {
        let tp = self.scams().filter(|o| o.scam >= 0.5).count();
        let fn_ = self.scams().count() - tp;
        let fp = self.benign().filter(|o| o.scam >= 0.5).count();
        ratio(2 * tp, 2 * tp + fp + fn_)
    }

    /// Share of benign rows with scam ≥ 0.5.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(
            self.benign().filter(|o| o.scam >= 0.5).count(),
            self.benign().count(),
        )
    }

    /// A table for people: every row, then the three numbers.
    pub fn text(&self) -> String {
        let name = |t: Option<usize>| t.map_or("-", |t| taxonomy::TYPES[t].id);
        let mut s = String::new();
        for o in &self.rows {
            let ok = if o.label {
                o.scam >= 0.5 && o.type_ok
            } else {
                o.scam < 0.5
            };
            s.push_str(&format!(
                "{} {:<28} scam {:.3}  gold {:<18} top {}\n",
                if ok { "ok  " } else { "MISS" },
                o.id,
                o.scam,
                name(o.gold_type),
                name(o.top_type)
            ));
        }
        s.push_str(&format!(
            "type accuracy {:.3} ({} scam chats), scam F1 {:.3}, benign false-positive rate {:.3} ({} benign)\n",
            self.type_accuracy(),
            self.scams().count(),
            self.scam_f1(),
            self.false_positive_rate(),
            self.benign().count()
        ));
        s
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}
