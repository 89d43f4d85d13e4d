//! Rules and model together: one verdict with its reasons.
//!
//! Combination: rule weights are logit units, so the model's view of the scam logit is its own
//! logit plus `gain × rule evidence` (rules only add: no cue is no evidence either way); the
//! scam probability is the larger of that and the rules' own probability, so either layer can
//! raise the alarm. Type shares are a
//! softmax of `ln p_model(type) + gain × rule score(type)`. The two gains are stored in the model
//! and were chosen by the training command on out-of-fold train scores, never on dev. Each type
//! also has a rules-only view, `ln TYPE_FLOOR + rule score`, and takes the larger of the two
//! (see [`type_shares`]): types the model was never trained on (刷单返利, 杀猪盘 …) are named by
//! the rules alone, and strong rule evidence can override the model.

use crate::error::Error;
use crate::features::{Features, Scratch, for_each_ngram};
use crate::input::{Input, Reason, Source, Verdict};
use crate::model::{Head, Model, softmax};
use crate::rules::{Rules, sigmoid};
use crate::taxonomy::TYPES;

/// Model probability given to types the model cannot predict.
const TYPE_FLOOR: f64 = 0.02;
/// N-grams reported for the scam score.
const MODEL_REASONS: usize = 8;
/// N-grams reported for the top type.
const TYPE_REASONS: usize = 5;
/// Smallest type share listed in [`Verdict::type_scores`].
const MIN_SHARE: f64 = 0.01;

/// Rules plus model.
#[derive(Debug)]
pub struct Classifier {
    rules: Rules,
    model: Model,
}

/// A verdict plus what each layer would have said alone (for the metrics).
#[derive(Debug, Clone)]
pub struct Detail {
    /// The verdict.
    pub verdict: Verdict,
    /// The rules' top type (index in [`TYPES`]), if any cue of a type matched.
    pub rules_type: Option<usize>,
    /// The model's top type.
    pub model_type: Option<usize>,
    /// The combined top type, whatever the scam probability.
    pub combined_type: Option<usize>,
}

impl Classifier {
    /// The rules and model shipped with the crate.
    pub fn builtin() -> Result<Classifier, Error> {
        Ok(Classifier::new(Rules::builtin()?, Model::builtin()?))
    }

    /// A classifier from given rules and model.
    pub fn new(rules: Rules, model: Model) -> Classifier {
        Classifier { rules, model }
    }

    /// The rules file's version.
    pub fn rules_version(&self) -> &str {
        self.rules.version()
    }

    /// The model's version.
    pub fn model_version(&self) -> &str {
        self.model.version()
    }

    /// Scores one input.
    pub fn classify(&self, input: &Input) -> Verdict {
        self.classify_detail(input).verdict
    }

    /// Scores one input and keeps each layer's own answer.
    pub fn classify_detail(&self, input: &Input) -> Detail {
        let mut scratch = Scratch::new();
        let rules = self.rules.score(input);
        let x = Features::extract(input, self.model.bits(), &mut scratch);
        let zb = f64::from(self.model.scam.logit(&x));
        let model_scam = sigmoid(zb);
        let combine = self.model.header.combine;
        // Either layer can raise the alarm: the model (helped by the rules with the fitted gain)
        // or the rules alone, whose evidence each cue in the reasons accounts for.
        let scam =
            sigmoid(zb + combine.rules_scam_gain * rules.evidence.max(0.0)).max(rules.probability);

        let pt = softmax(&self.model.type_logits(&x));
        let model_p: Vec<(usize, f32)> = self.model.types.iter().map(|(t, _)| *t).zip(pt).collect();
        let model_type = argmax_p(&model_p);
        let shares = type_shares(&model_p, &rules.per_type, combine.rules_type_gain);
        let mut type_scores: Vec<(usize, f64)> = shares.into_iter().enumerate().collect();
        // Highest first; ties in taxonomy order.
        type_scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let combined_type = type_scores.first().map(|&(i, _)| i);
        let rules_type = argmax_positive(&rules.per_type);

        let mut reasons = rules.reasons;
        // The n-grams that pushed the scam score the way it went.
        let sign = if scam >= 0.5 { 1.0 } else { -1.0 };
        reasons.extend(self.ngram_reasons(
            input,
            &x,
            &self.model.scam,
            sign,
            None,
            MODEL_REASONS,
            &mut scratch,
        ));
        let scam_type = if scam >= 0.5 { combined_type } else { None };
        if let Some(t) = scam_type
            && let Some((_, head)) = self.model.types.iter().find(|(i, _)| *i == t)
        {
            reasons.extend(self.ngram_reasons(
                input,
                &x,
                head,
                1.0,
                Some(t),
                TYPE_REASONS,
                &mut scratch,
            ));
        }
        let verdict = Verdict {
            scam,
            scam_type: scam_type.map(|t| TYPES[t].id),
            type_scores: type_scores
                .into_iter()
                .filter(|&(_, s)| s >= MIN_SHARE)
                .map(|(i, s)| (TYPES[i].id, s))
                .collect(),
            model_scam,
            rules_scam: rules.probability,
            reasons,
        };
        Detail {
            verdict,
            rules_type,
            model_type,
            combined_type,
        }
    }

    /// The `limit` n-grams with the largest `sign × weight × value`, each at its first
    /// occurrence, skipping n-grams inside a span already reported.
    #[allow(clippy::too_many_arguments)]
    fn ngram_reasons(
        &self,
        input: &Input,
        x: &Features,
        head: &Head,
        sign: f32,
        scam_type: Option<usize>,
        limit: usize,
        scratch: &mut Scratch,
    ) -> Vec<Reason> {
        let mut contrib: Vec<(u32, f32)> = x
            .values
            .iter()
            .map(|&(b, v)| (b, head.weight(b) * v))
            .filter(|&(_, c)| c * sign > 0.0)
            .collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| {
            (b.1 * sign).total_cmp(&(a.1 * sign)).then(a.0.cmp(&b.0))
        };
        let keep = limit * 6;
        if contrib.len() > keep {
            contrib.select_nth_unstable_by(keep, order);
            contrib.truncate(keep);
        }
        contrib.sort_by(order);
        if contrib.is_empty() {
            return Vec::new();
        }
        // First occurrence of each candidate bucket.
        let mask = self.model.mask();
        let mut found: Vec<Option<(usize, usize, usize)>> = vec![None; contrib.len()];
        let mut left = contrib.len();
        let mut lookup: Vec<(u32, usize)> = contrib
            .iter()
            .enumerate()
            .map(|(k, &(b, _))| (b, k))
            .collect();
        lookup.sort_unstable();
        for (ti, (_, text)) in input.texts().into_iter().enumerate() {
            if left == 0 {
                break;
            }
            for_each_ngram(text, scratch, |h, s, e| {
                if let Ok(at) = lookup.binary_search_by_key(&(h & mask), |&(b, _)| b)
                    && let Some(&(_, k)) = lookup.get(at)
                    && found[k].is_none()
                {
                    found[k] = Some((ti, s, e));
                    left -= 1;
                }
            });
        }
        let texts = input.texts();
        let mut out: Vec<Reason> = Vec::new();
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for (k, &(_, c)) in contrib.iter().enumerate() {
            let Some((ti, s, e)) = found[k] else { continue };
            let text_of = texts.get(ti).and_then(|(_, t)| t.get(s..e)).unwrap_or("");
            // A lone Latin letter or digit explains nothing to a reader.
            if text_of.trim().chars().count() < 2 && text_of.trim().is_ascii() {
                continue;
            }
            if spans
                .iter()
                .any(|&(t, a, b)| t == ti && a <= s && e <= b || t == ti && s <= a && b <= e)
            {
                continue;
            }
            spans.push((ti, s, e));
            let (turn, text) = texts.get(ti).copied().unwrap_or((None, ""));
            out.push(Reason {
                source: Source::Model,
                id: format!("ngram:{}", scam_type.map(|t| TYPES[t].id).unwrap_or("scam")),
                scam_type: scam_type.map(|t| TYPES[t].id),
                weight: f64::from(c),
                turn,
                span: s..e,
                text: text.get(s..e).unwrap_or("").to_string(),
            });
            if out.len() == limit {
                break;
            }
        }
        out
    }
}

/// Type shares over [`TYPES`]: a softmax over each type's logit, the larger of two views:
/// the model's, `ln max(p, floor) + gain × rule score` (for the types the model knows), and the
/// rules', `ln floor + rule score` (for every type). The rules' view is how types without
/// training data get named, and how overwhelming rule evidence (安全账户 + 资金清查 + 涉嫌洗钱)
/// overrides a model that only ever saw that type in another language.
pub fn type_shares(model_p: &[(usize, f32)], per_type: &[f64], gain: f64) -> Vec<f64> {
    let mut z: Vec<f64> = per_type.iter().map(|s| TYPE_FLOOR.ln() + s).collect();
    z.resize(TYPES.len(), TYPE_FLOOR.ln());
    for &(t, p) in model_p {
        if let Some(zt) = z.get_mut(t) {
            let model_view =
                f64::from(p).max(TYPE_FLOOR).ln() + gain * per_type.get(t).copied().unwrap_or(0.0);
            *zt = zt.max(model_view);
        }
    }
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// The top type of [`type_shares`] (ties to the first in taxonomy order).
pub fn combine_types(model_p: &[(usize, f32)], per_type: &[f64], gain: f64) -> usize {
    let s = type_shares(model_p, per_type, gain);
    let mut best = 0;
    for (i, v) in s.iter().enumerate() {
        if *v > s[best] {
            best = i;
        }
    }
    best
}

fn argmax_p(v: &[(usize, f32)]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for &(t, p) in v {
        if best.is_none_or(|(_, b)| p > b) {
            best = Some((t, p));
        }
    }
    best.map(|(t, _)| t)
}

fn argmax_positive(v: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &s) in v.iter().enumerate() {
        if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}
