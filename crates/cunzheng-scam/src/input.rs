//! What the classifier reads and what it answers.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who wrote it, as the source names them (not used for scoring; may be empty).
    #[serde(default)]
    pub speaker: String,
    /// The message text.
    pub text: String,
}

/// A single message or a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One message on its own: reasons carry no turn index.
    Text(String),
    /// A conversation in order: reasons carry the index of their turn.
    Turns(Vec<Turn>),
}

impl Input {
    /// The texts in order, with the turn index reasons report for each.
    pub fn texts(&self) -> Vec<(Option<usize>, &str)> {
        match self {
            Input::Text(t) => vec![(None, t.as_str())],
            Input::Turns(ts) => ts
                .iter()
                .enumerate()
                .map(|(i, t)| (Some(i), t.text.as_str()))
                .collect(),
        }
    }

    /// Total bytes of text.
    pub fn len(&self) -> usize {
        self.texts().iter().map(|(_, t)| t.len()).sum()
    }

    /// No text at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which layer produced a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An expert rule from the rules file.
    Rule,
    /// The statistical model: an n-gram that pushed the score.
    Model,
}

/// One piece of evidence behind a score: what matched, where, and how much it counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Rule or model.
    pub source: Source,
    /// The cue or sequence-rule id; for the model `ngram:scam` or `ngram:<type>`.
    pub id: String,
    /// The type the evidence is for; `None` for evidence of fraud in general.
    pub scam_type: Option<&'static str>,
    /// For rules the cue weight (logit units); for the model the n-gram's contribution to the
    /// logit, shared out over its occurrences.
    pub weight: f64,
    /// Index of the turn in [`Input::Turns`]; `None` for [`Input::Text`].
    pub turn: Option<usize>,
    /// Byte span in that turn's text.
    pub span: Range<usize>,
    /// The matched text (the span's bytes).
    pub text: String,
}

/// The classifier's answer for one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Probability (0-1) that the input is a scam: model and rules combined.
    pub scam: f64,
    /// The most likely type, if `scam >= 0.5` and some type has evidence.
    pub scam_type: Option<&'static str>,
    /// Every type with a share of at least 1 %, highest first (shares sum to at most 1).
    pub type_scores: Vec<(&'static str, f64)>,
    /// Probability from the model alone.
    pub model_scam: f64,
    /// Probability from the rules alone.
    pub rules_scam: f64,
    /// The evidence: rule hits (all, capped per cue) and the model's strongest n-grams.
    pub reasons: Vec<Reason>,
}
