//! The labelled datasets of `shared/datasets` (see its README.md): four JSONL files, each row
//! with `label` (1 = scam/spam) and `split` (`train`/`dev`).

use crate::error::Error;
use crate::input::{Input, Turn};
use crate::taxonomy;
use serde::Deserialize;
use std::path::Path;

/// One of the four datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dataset {
    /// Short name used in metrics.
    pub name: &'static str,
    /// Path under the datasets folder.
    pub file: &'static str,
}

/// The datasets, in a fixed order.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "uci_sms_spam",
        file: "uci_sms_spam/uci_sms_spam.trainval.jsonl",
    },
    Dataset {
        name: "bothbosu_scam_dialogues",
        file: "bothbosu_scam_dialogues/single_agent.trainval.jsonl",
    },
    Dataset {
        name: "teleantifraud_multiagent_zh",
        file: "teleantifraud_multiagent_zh/dialogues.trainval.jsonl",
    },
    Dataset {
        name: "text_antispam_zh",
        file: "text_antispam_zh/msglog.trainval.jsonl",
    },
];

/// The split a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Training rows.
    Train,
    /// Held-out development rows: only ever scored.
    Dev,
}

/// A labelled example.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Index into [`DATASETS`].
    pub dataset: usize,
    /// Row id.
    pub id: String,
    /// The text.
    pub input: Input,
    /// 1 = scam/spam.
    pub label: bool,
    /// Our type for the row, when the dataset names one.
    pub scam_type: Option<&'static str>,
    /// Train or dev.
    pub split: Split,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    label: u8,
    split: String,
    text: Option<String>,
    dialogue: Option<String>,
    turns: Option<Vec<Turn>>,
    fraud_type: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Loads every dataset present under `dir`, in [`DATASETS`] order then file order. A missing
/// dataset file is skipped (its name is returned in the second list).
pub fn load(dir: &Path) -> Result<(Vec<Sample>, Vec<&'static str>), Error> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (di, d) in DATASETS.iter().enumerate() {
        let path = dir.join(d.file);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(d.name);
                continue;
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        for (li, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| Error::Dataset {
                path: path.clone(),
                line: li + 1,
                reason,
            };
            let row: Row = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            let split = match row.split.as_str() {
                "train" => Split::Train,
                "dev" => Split::Dev,
                s => return Err(bad(format!("unknown split {s:?}"))),
            };
            let label = match row.label {
                0 => false,
                1 => true,
                l => return Err(bad(format!("label {l} is not 0 or 1"))),
            };
            let input = if let Some(turns) = row.turns {
                Input::Turns(turns)
            } else if let Some(d) = row.dialogue {
                Input::Turns(split_dialogue(&d))
            } else if let Some(t) = row.text {
                Input::Text(t)
            } else {
                return Err(bad("no text, dialogue or turns".into()));
            };
            let scam_type = match (label, &row.fraud_type, &row.kind) {
                (true, Some(f), _) => taxonomy::from_teleantifraud(f),
                (true, None, Some(k)) => taxonomy::from_bothbosu(k),
                _ => None,
            };
            out.push(Sample {
                dataset: di,
                id: row.id,
                input,
                label,
                scam_type,
                split,
            });
        }
    }
    Ok((out, missing))
}

/// Splits a BothBosu dialogue ("Suspect: … Innocent: …") into turns, so the speaker tags are
/// not features (real chats do not label the caller "Suspect").
pub fn split_dialogue(d: &str) -> Vec<Turn> {
    let tags = ["Suspect:", "Innocent:"];
    let mut turns: Vec<Turn> = Vec::new();
    let mut rest = d;
    let mut speaker = String::new();
    loop {
        let next = tags
            .iter()
            .filter_map(|t| rest.find(t).map(|i| (i, *t)))
            .min_by_key(|(i, _)| *i);
        let (text, after) = match next {
            Some((i, tag)) => (&rest[..i], Some((tag, &rest[i + tag.len()..]))),
            None => (rest, None),
        };
        let text = text.trim();
        if !text.is_empty() {
            turns.push(Turn {
                speaker: speaker.clone(),
                text: text.to_string(),
            });
        }
        match after {
            Some((tag, r)) => {
                speaker = tag.trim_end_matches(':').to_string();
                rest = r;
            }
            None => break,
        }
    }
    turns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogue_split() {
        let t = split_dialogue("Suspect: Hi, this is Karen.   Innocent: Oh hi.  Suspect: Bye");
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].speaker, "Suspect");
        assert_eq!(t[0].text, "Hi, this is Karen.");
        assert_eq!(t[1].text, "Oh hi.");
        assert_eq!(split_dialogue("no tags").len(), 1);
    }
}
