//! Rules and model together: one verdict with its reasons.
//!
//! Notices first: turns the rules recognise as machine-written notices (a bank's balance SMS,
//! a parcel pick-up code, an export tool's "[转账]" line) are read by neither layer; a reason
//! names each. Then the scam probability: rule weights are logit units, so the model's view of
//! the scam logit is its own logit plus `gain × rule evidence` plus the counter-evidence of
//! negative cues (no cue is no evidence either way); the scam probability is the larger of that and the rules' own
//! probability, so either layer can raise the alarm. Type shares: see [`type_shares`]. The
//! gains are stored in the model and were chosen by the training command on out-of-fold train
//! scores, never on dev; the priors for types the model never saw are in the rules file.

use crate::error::Error;
use crate::features::{Features, Scratch, Script, for_each_ngram};
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
        let keep = |ti: usize| !rules.notice.get(ti).copied().unwrap_or(false);
        let x = Features::extract_where(input, self.model.bits(), &mut scratch, keep);
        let texts = input.texts();
        let only_notices = !texts.is_empty() && rules.notice.iter().all(|&n| n);
        // Nothing but notices: nothing for the model to read, no evidence either way.
        let zb = if only_notices {
            -self.rules.offset()
        } else {
            f64::from(self.model.scam.logit(&x))
        };
        let model_scam = sigmoid(zb);
        let combine = &self.model.header.combine;
        // Either layer can raise the alarm: the model (helped by the rules with the fitted gain)
        // or the rules alone, whose evidence each cue in the reasons accounts for.
        // Counter-evidence (negative untyped cues) counts in full against both.
        let scam = sigmoid(zb + combine.rules_scam_gain * rules.evidence.max(0.0) + rules.counter)
            .max(rules.probability);
        let script = Script::of(
            texts
                .iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, (_, t))| *t),
        );
        let seen = self.model.seen_types(script);

        let pt = softmax(&self.model.type_logits(&x));
        let model_p: Vec<(usize, f32)> = self.model.types.iter().map(|(t, _)| *t).zip(pt).collect();
        let model_type = argmax_p(&model_p);
        let shares = type_shares(
            &TypeEvidence {
                model_p: &model_p,
                seen: &seen,
                per_type: &rules.per_type,
                cues_per_type: &rules.cues_per_type,
            },
            &self.type_params(),
        );
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
            &rules.notice,
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
                &rules.notice,
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

    /// The combination settings for types.
    pub fn type_params(&self) -> TypeParams {
        TypeParams {
            gain: self.model.header.combine.rules_type_gain,
            unseen_prior: self.rules.unseen_type_prior(),
            min_cues: self.rules.min_type_cues(),
        }
    }

    /// The `limit` n-grams with the largest `sign × weight × value`, each at its first
    /// occurrence, skipping n-grams inside a span already reported.
    #[allow(clippy::too_many_arguments)]
    fn ngram_reasons(
        &self,
        input: &Input,
        notice: &[bool],
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
            if notice.get(ti).copied().unwrap_or(false) {
                continue;
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

/// What the type combination reads about one input.
#[derive(Debug, Clone, Copy)]
pub struct TypeEvidence<'a> {
    /// The model's type probabilities: (index in [`TYPES`], p).
    pub model_p: &'a [(usize, f32)],
    /// Per type in [`TYPES`]: the model saw training rows of it in the input's script.
    pub seen: &'a [bool],
    /// Rule score per type.
    pub per_type: &'a [f64],
    /// Distinct cues per type.
    pub cues_per_type: &'a [usize],
}

/// How the type combination weighs the layers.
#[derive(Debug, Clone, Copy)]
pub struct TypeParams {
    /// Weight of the rule score on the model's view of a type it knows.
    pub gain: f64,
    /// Prior of a type the model never saw in this script, once the rules found
    /// `min_cues` distinct cues of it.
    pub unseen_prior: f64,
    /// See `unseen_prior`.
    pub min_cues: usize,
}

/// Type shares over [`TYPES`]: a softmax over one logit per type.
///
/// - A type the model saw in the input's script: `ln max(p, floor) + gain × rule score`, or the
///   rules' view below if larger.
/// - Any other type: `ln floor + rule score`; with at least `min_cues` distinct cues of it,
///   `ln unseen_prior + rule score`. The model's probabilities are a distribution over the
///   types it was trained on and say nothing of the rest: a Chinese 冒充领导 chat is not
///   绑架 because 绑架 is the closest thing the model knows. Several distinct cues of one type
///   it never saw (我是刘总 + 在开会 + 先帮我转) therefore outweigh it, one cue does not, and
///   with no cue the model decides (`floor` is below any seen type's share).
pub fn type_shares(e: &TypeEvidence<'_>, p: &TypeParams) -> Vec<f64> {
    let rule = |t: usize| e.per_type.get(t).copied().unwrap_or(0.0);
    let seen = |t: usize| e.seen.get(t).copied().unwrap_or(false);
    let mut z: Vec<f64> = (0..TYPES.len())
        .map(|t| {
            let strong = e.cues_per_type.get(t).copied().unwrap_or(0) >= p.min_cues.max(1);
            let prior = if strong && !seen(t) {
                p.unseen_prior
            } else {
                TYPE_FLOOR
            };
            prior.ln() + rule(t)
        })
        .collect();
    for &(t, pt) in e.model_p {
        if seen(t)
            && let Some(zt) = z.get_mut(t)
        {
            let model_view = f64::from(pt).max(TYPE_FLOOR).ln() + p.gain * rule(t);
            *zt = zt.max(model_view);
        }
    }
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ex: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = ex.iter().sum();
    ex.into_iter().map(|v| v / sum).collect()
}

/// The top type of [`type_shares`] (ties to the first in taxonomy order).
pub fn combine_types(e: &TypeEvidence<'_>, p: &TypeParams) -> usize {
    let s = type_shares(e, p);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::taxonomy::index;

    fn params() -> TypeParams {
        TypeParams {
            gain: 0.0,
            unseen_prior: 0.1,
            min_cues: 2,
        }
    }

    /// Model: 绑架 0.8, 投资 0.2, seen in this script; 冒充领导 never seen.
    fn shares(per: &[(&str, f64, usize)]) -> Vec<f64> {
        let k = index("fake_kidnapping").unwrap();
        let inv = index("investment").unwrap();
        let model_p = [(inv, 0.2f32), (k, 0.8f32)];
        let mut seen = vec![false; TYPES.len()];
        seen[k] = true;
        seen[inv] = true;
        let mut per_type = vec![0.0; TYPES.len()];
        let mut cues = vec![0; TYPES.len()];
        for &(id, s, n) in per {
            per_type[index(id).unwrap()] = s;
            cues[index(id).unwrap()] = n;
        }
        type_shares(
            &TypeEvidence {
                model_p: &model_p,
                seen: &seen,
                per_type: &per_type,
                cues_per_type: &cues,
            },
            &params(),
        )
    }

    fn top(s: &[f64]) -> &'static str {
        let mut best = 0;
        for (i, v) in s.iter().enumerate() {
            if *v > s[best] {
                best = i;
            }
        }
        TYPES[best].id
    }

    #[test]
    fn silent_rules_leave_the_type_to_the_model() {
        let s = shares(&[]);
        assert_eq!(top(&s), "fake_kidnapping");
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn several_cues_of_an_unseen_type_beat_the_model_one_does_not() {
        assert_eq!(
            top(&shares(&[("boss_acquaintance", 3.5, 2)])),
            "boss_acquaintance"
        );
        assert_eq!(
            top(&shares(&[("boss_acquaintance", 2.0, 1)])),
            "fake_kidnapping"
        );
        // A type the model saw is decided by the model (gain 0) unless the rules alone are
        // overwhelming (floor view).
        assert_eq!(top(&shares(&[("investment", 3.5, 2)])), "fake_kidnapping");
    }
}
