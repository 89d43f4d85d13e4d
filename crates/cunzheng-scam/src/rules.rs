//! Expert rules: cues (keywords and regexes) with a weight per type, and sequence rules that
//! fire when cues appear in a given order across a conversation.
//!
//! Weights are in logit units. A type's rule score is the sum of the weights of the distinct
//! cues of that type found in the input (a cue counts once however often it repeats) plus the
//! sequence rules of that type that fired. Cues without a type are evidence of fraud in general.
//! Untyped cues of negative weight are counter-evidence (a real bank asks you to its branch).
//! The rules' scam probability is `sigmoid(max type score + general score + counter - offset)`.

use crate::error::Error;
use crate::input::{Input, Reason, Source};
use crate::taxonomy;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Deserialize;

/// The rules shipped with the crate.
pub const BUILTIN_RULES: &str = include_str!("../rules/rules.toml");

/// Hits kept per cue and input: enough to show the pattern, bounded on hostile input.
const MAX_HITS_PER_CUE: usize = 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: String,
    offset: f64,
    unseen_type_prior: f64,
    min_type_cues: usize,
    #[serde(default)]
    cue: Vec<CueDef>,
    #[serde(default)]
    sequence: Vec<SequenceDef>,
    #[serde(default)]
    notice: Vec<NoticeDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeDef {
    id: String,
    patterns: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CueDef {
    id: String,
    #[serde(rename = "type")]
    scam_type: Option<String>,
    weight: f64,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)] // Documentation for people reading the file.
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SequenceDef {
    id: String,
    #[serde(rename = "type")]
    scam_type: String,
    weight: f64,
    steps: Vec<Vec<String>>,
    #[serde(default = "one")]
    min_turn_gap: usize,
    /// Whether the sequence counts as a distinct cue of its type (see `min_type_cues`): set
    /// where the order itself is the scheme (affection, then a platform: 杀猪盘).
    #[serde(default)]
    cue: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

fn one() -> usize {
    1
}

/// A compiled cue.
#[derive(Debug)]
pub struct Cue {
    /// Stable id, e.g. `zh.safe_account`.
    pub id: String,
    /// Type index in [`taxonomy::TYPES`], or `None` for general fraud evidence.
    pub scam_type: Option<usize>,
    /// Weight in logit units.
    pub weight: f64,
}

#[derive(Debug)]
enum Selector {
    Cue(usize),
    Type(usize),
}

/// A machine-written notice (bank or payment notification, parcel pick-up code, an export
/// tool's "[转账]" line): a turn it matches carries no evidence either way, unless one of the
/// `unless` cues hits the same turn (a "bank notice" with a link is phishing, not a notice).
#[derive(Debug)]
struct Notice {
    id: String,
    patterns: Vec<Regex>,
    unless: Vec<Selector>,
}

#[derive(Debug)]
struct Sequence {
    id: String,
    scam_type: usize,
    weight: f64,
    steps: Vec<Vec<Selector>>,
    min_turn_gap: usize,
    cue: bool,
}

/// One place where a cue matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Position of the text in the input (0 for a single text).
    pub turn: usize,
    /// Byte start in that text.
    pub start: usize,
    /// Byte end in that text.
    pub end: usize,
    /// Index of the cue.
    pub cue: usize,
}

/// The compiled rules.
#[derive(Debug)]
pub struct Rules {
    version: String,
    offset: f64,
    unseen_type_prior: f64,
    min_type_cues: usize,
    cues: Vec<Cue>,
    sequences: Vec<Sequence>,
    notices: Vec<Notice>,
    keywords: AhoCorasick,
    /// Keyword index → (cue index, whether each end must sit on an ASCII word boundary).
    keyword_cue: Vec<(usize, bool, bool)>,
    regexes: Vec<(usize, Regex)>,
}

/// What the rules found in one input.
#[derive(Debug, Clone)]
pub struct RuleScores {
    /// Score per type in [`taxonomy::TYPES`] order.
    pub per_type: Vec<f64>,
    /// Distinct cues with a positive weight per type, in [`taxonomy::TYPES`] order.
    pub cues_per_type: Vec<usize>,
    /// Per text of the input (see [`Input::texts`]): whether it is a notice that carries no
    /// evidence (its cues are not counted, the model does not read it).
    pub notice: Vec<bool>,
    /// Score of the cues without a type.
    pub general: f64,
    /// Sum of the untyped cues of negative weight (≤ 0): evidence against fraud.
    pub counter: f64,
    /// `max(0, max per_type) + general`: the evidence in logit units.
    pub evidence: f64,
    /// `sigmoid(evidence - offset)`.
    pub probability: f64,
    /// The hits and fired sequences, as reasons.
    pub reasons: Vec<Reason>,
}

impl Rules {
    /// The rules shipped with the crate.
    pub fn builtin() -> Result<Rules, Error> {
        Rules::parse(BUILTIN_RULES)
    }

    /// Compiles a rules file.
    pub fn parse(text: &str) -> Result<Rules, Error> {
        let file: File = toml::from_str(text).map_err(|e| Error::RulesSyntax {
            version: version_hint(text),
            source: Box::new(e),
        })?;
        let bad = |rule: &str, reason: String| Error::Rule {
            rule: rule.to_string(),
            reason,
        };
        if !file.offset.is_finite() {
            return Err(bad("offset", "must be a finite number".into()));
        }
        if !(file.unseen_type_prior > 0.0 && file.unseen_type_prior < 1.0) {
            return Err(bad("unseen_type_prior", "must be between 0 and 1".into()));
        }
        let mut cues = Vec::new();
        let mut words = Vec::new();
        let mut keyword_cue = Vec::new();
        let mut patterns = Vec::new();
        for (ci, c) in file.cue.iter().enumerate() {
            if file.cue[..ci].iter().any(|o| o.id == c.id) {
                return Err(bad(&c.id, "duplicate id".into()));
            }
            if !c.weight.is_finite() {
                return Err(bad(&c.id, "weight must be finite".into()));
            }
            if c.keywords.is_empty() && c.patterns.is_empty() {
                return Err(bad(&c.id, "needs keywords or patterns".into()));
            }
            let scam_type = match &c.scam_type {
                None => None,
                Some(t) => Some(
                    taxonomy::index(t).ok_or_else(|| bad(&c.id, format!("unknown type {t:?}")))?,
                ),
            };
            for k in &c.keywords {
                if k.is_empty() {
                    return Err(bad(&c.id, "empty keyword".into()));
                }
                let first = k
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_alphanumeric());
                let last = k
                    .chars()
                    .next_back()
                    .is_some_and(|ch| ch.is_ascii_alphanumeric());
                words.push(k.clone());
                keyword_cue.push((ci, first, last));
            }
            for p in &c.patterns {
                let re = Regex::new(p).map_err(|e| Error::RulePattern {
                    rule: c.id.clone(),
                    pattern: p.clone(),
                    source: Box::new(e),
                })?;
                if re.is_match("") {
                    return Err(bad(
                        &c.id,
                        format!("pattern {p:?} matches the empty string"),
                    ));
                }
                patterns.push((ci, re));
            }
            cues.push(Cue {
                id: c.id.clone(),
                scam_type,
                weight: c.weight,
            });
        }
        let mut sequences = Vec::new();
        for s in &file.sequence {
            if file.cue.iter().any(|c| c.id == s.id)
                || sequences.iter().any(|o: &Sequence| o.id == s.id)
            {
                return Err(bad(&s.id, "duplicate id".into()));
            }
            let scam_type = taxonomy::index(&s.scam_type)
                .ok_or_else(|| bad(&s.id, format!("unknown type {:?}", s.scam_type)))?;
            if s.steps.len() < 2 || s.steps.iter().any(|st| st.is_empty()) {
                return Err(bad(&s.id, "needs at least two non-empty steps".into()));
            }
            if !s.weight.is_finite() {
                return Err(bad(&s.id, "weight must be finite".into()));
            }
            let mut steps = Vec::new();
            for st in &s.steps {
                let mut sel = Vec::new();
                for name in st {
                    sel.push(selector(name, &cues).map_err(|r| bad(&s.id, r))?);
                }
                steps.push(sel);
            }
            sequences.push(Sequence {
                id: s.id.clone(),
                scam_type,
                weight: s.weight,
                steps,
                min_turn_gap: s.min_turn_gap,
                cue: s.cue,
            });
        }
        let mut notices: Vec<Notice> = Vec::new();
        for n in &file.notice {
            if file.cue.iter().any(|c| c.id == n.id)
                || file.sequence.iter().any(|q| q.id == n.id)
                || notices.iter().any(|o| o.id == n.id)
            {
                return Err(bad(&n.id, "duplicate id".into()));
            }
            if n.patterns.is_empty() {
                return Err(bad(&n.id, "needs patterns".into()));
            }
            let mut patterns = Vec::new();
            for p in &n.patterns {
                let re = Regex::new(p).map_err(|e| Error::RulePattern {
                    rule: n.id.clone(),
                    pattern: p.clone(),
                    source: Box::new(e),
                })?;
                if re.is_match("") {
                    return Err(bad(
                        &n.id,
                        format!("pattern {p:?} matches the empty string"),
                    ));
                }
                patterns.push(re);
            }
            let unless = n
                .unless
                .iter()
                .map(|name| selector(name, &cues).map_err(|r| bad(&n.id, r)))
                .collect::<Result<Vec<_>, _>>()?;
            notices.push(Notice {
                id: n.id.clone(),
                patterns,
                unless,
            });
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&words)?;
        Ok(Rules {
            version: file.version,
            offset: file.offset,
            unseen_type_prior: file.unseen_type_prior,
            min_type_cues: file.min_type_cues,
            cues,
            sequences,
            notices,
            keywords,
            keyword_cue,
            regexes: patterns,
        })
    }

    /// The `version` field of the rules file.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The compiled cues, in file order.
    pub fn cues(&self) -> &[Cue] {
        &self.cues
    }

    /// The offset subtracted from the evidence before the logistic.
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// Prior share of a type the model never saw in the input's script, given at least
    /// [`Rules::min_type_cues`] distinct cues of it (see [`crate::classifier::type_shares`]).
    pub fn unseen_type_prior(&self) -> f64 {
        self.unseen_type_prior
    }

    /// Distinct cues of one type that make it a candidate against the model.
    pub fn min_type_cues(&self) -> usize {
        self.min_type_cues
    }

    /// Every cue hit in the input, sorted by (turn, start), at most [`MAX_HITS_PER_CUE`] each.
    pub fn hits(&self, input: &Input) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut per_cue = vec![0usize; self.cues.len()];
        for (ti, (_, text)) in input.texts().into_iter().enumerate() {
            let bytes = text.as_bytes();
            for m in self.keywords.find_overlapping_iter(text) {
                let Some(&(cue, left, right)) = self.keyword_cue.get(m.pattern().as_usize()) else {
                    continue;
                };
                // An English keyword must not be part of a longer word ("loan" in "sloane").
                if left && m.start() > 0 && bytes[m.start() - 1].is_ascii_alphanumeric() {
                    continue;
                }
                if right
                    && bytes
                        .get(m.end())
                        .is_some_and(|b| b.is_ascii_alphanumeric())
                {
                    continue;
                }
                push_hit(&mut hits, &mut per_cue, ti, m.start(), m.end(), cue);
            }
            // Each regex on its own rather than a RegexSet: a set over Chinese text falls back
            // to the slow PikeVM (measured: 38 % of all time), single regexes use their literal
            // prefilters.
            for (cue, re) in &self.regexes {
                for m in re.find_iter(text) {
                    if per_cue[*cue] >= MAX_HITS_PER_CUE {
                        break;
                    }
                    push_hit(&mut hits, &mut per_cue, ti, m.start(), m.end(), *cue);
                }
            }
        }
        hits.sort_unstable();
        hits.dedup_by(|a, b| a.cue == b.cue && a.turn == b.turn && a.start == b.start);
        hits
    }

    /// Scores the input.
    pub fn score(&self, input: &Input) -> RuleScores {
        let mut hits = self.hits(input);
        let texts = input.texts();
        let mut seen = vec![false; self.cues.len()];
        let mut per_type = vec![0.0; taxonomy::TYPES.len()];
        let mut cues_per_type = vec![0usize; taxonomy::TYPES.len()];
        let mut general = 0.0;
        let mut counter = 0.0;
        let mut reasons = Vec::new();
        // Notices first: their turns' hits are dropped before anything counts.
        let mut notice = vec![false; texts.len()];
        for (ti, (turn, text)) in texts.iter().enumerate() {
            let found = self.notices.iter().find_map(|n| {
                let m = n.patterns.iter().find_map(|re| re.find(text))?;
                let vetoed = hits.iter().any(|h| {
                    h.turn == ti
                        && n.unless.iter().any(|sel| match sel {
                            Selector::Cue(c) => h.cue == *c,
                            Selector::Type(t) => self.cues[h.cue].scam_type == Some(*t),
                        })
                });
                (!vetoed).then_some((n, m.start(), m.end()))
            });
            if let Some((n, start, end)) = found {
                notice[ti] = true;
                reasons.push(Reason {
                    source: Source::Rule,
                    id: n.id.clone(),
                    scam_type: None,
                    weight: 0.0,
                    turn: *turn,
                    span: start..end,
                    text: text.get(start..end).unwrap_or("").to_string(),
                });
            }
        }
        hits.retain(|h| !notice.get(h.turn).copied().unwrap_or(false));
        let reason = |id: &str, t: Option<usize>, w: f64, h: &Hit| {
            let (turn, text) = texts.get(h.turn).copied().unwrap_or((None, ""));
            Reason {
                source: Source::Rule,
                id: id.to_string(),
                scam_type: t.map(|t| taxonomy::TYPES[t].id),
                weight: w,
                turn,
                span: h.start..h.end,
                text: text.get(h.start..h.end).unwrap_or("").to_string(),
            }
        };
        for h in &hits {
            let c = &self.cues[h.cue];
            if !seen[h.cue] {
                seen[h.cue] = true;
                match c.scam_type {
                    Some(t) => {
                        per_type[t] += c.weight;
                        // A negative cue cancels weight; it is not another cue of the type.
                        if c.weight > 0.0 {
                            cues_per_type[t] += 1;
                        }
                    }
                    None if c.weight < 0.0 => counter += c.weight,
                    None => general += c.weight,
                }
            }
            reasons.push(reason(&c.id, c.scam_type, c.weight, h));
        }
        for s in &self.sequences {
            if let Some(chain) = self.sequence_chain(s, &hits) {
                per_type[s.scam_type] += s.weight;
                // Its steps are cues already counted, unless the rule says the order is itself
                // the evidence.
                if s.cue {
                    cues_per_type[s.scam_type] += 1;
                }
                for h in chain {
                    reasons.push(reason(&s.id, Some(s.scam_type), s.weight, h));
                }
            }
        }
        let best = per_type.iter().copied().fold(0.0_f64, f64::max);
        let evidence = best + general;
        RuleScores {
            per_type,
            cues_per_type,
            notice,
            general,
            counter,
            evidence,
            probability: sigmoid(evidence + counter - self.offset),
            reasons,
        }
    }

    /// The earliest chain of hits, one per step, each in a later turn than the one before
    /// (at least `min_turn_gap` turns later), or `None`.
    fn sequence_chain<'h>(&self, s: &Sequence, hits: &'h [Hit]) -> Option<Vec<&'h Hit>> {
        let mut chain: Vec<&Hit> = Vec::new();
        let mut from = 0;
        for step in &s.steps {
            let earliest = chain.last().map(|h| h.turn + s.min_turn_gap);
            let found = hits[from..].iter().position(|h| {
                earliest.is_none_or(|e| h.turn >= e)
                    && (chain.is_empty() || s.min_turn_gap > 0 || h.start >= chain[0].end)
                    && step.iter().any(|sel| match sel {
                        Selector::Cue(c) => h.cue == *c,
                        Selector::Type(t) => self.cues[h.cue].scam_type == Some(*t),
                    })
            })?;
            chain.push(&hits[from + found]);
            from += found + 1;
        }
        Some(chain)
    }
}

/// `type:ID` (any cue of that type) or a cue id.
fn selector(name: &str, cues: &[Cue]) -> Result<Selector, String> {
    if let Some(t) = name.strip_prefix("type:") {
        taxonomy::index(t)
            .map(Selector::Type)
            .ok_or_else(|| format!("unknown type {t:?}"))
    } else {
        cues.iter()
            .position(|c| c.id == name)
            .map(Selector::Cue)
            .ok_or_else(|| format!("unknown cue {name:?}"))
    }
}

fn push_hit(
    hits: &mut Vec<Hit>,
    per_cue: &mut [usize],
    turn: usize,
    start: usize,
    end: usize,
    cue: usize,
) {
    if let Some(n) = per_cue.get_mut(cue)
        && *n < MAX_HITS_PER_CUE
    {
        *n += 1;
        hits.push(Hit {
            turn,
            start,
            end,
            cue,
        });
    }
}

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn version_hint(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("version"))
        .map(|v| {
            v.trim_start_matches([' ', '='])
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::input::Turn;

    fn rules() -> Rules {
        Rules::builtin().unwrap()
    }

    fn text(s: &str) -> Input {
        Input::Text(s.to_string())
    }

    fn turns(ts: &[&str]) -> Input {
        Input::Turns(
            ts.iter()
                .enumerate()
                .map(|(i, t)| Turn {
                    speaker: if i % 2 == 0 { "a" } else { "b" }.into(),
                    text: t.to_string(),
                })
                .collect(),
        )
    }

    fn top(s: &RuleScores) -> &'static str {
        let (i, _) = s
            .per_type
            .iter()
            .enumerate()
            .fold((0, f64::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
        taxonomy::TYPES[i].id
    }

    #[test]
    fn builtin_rules_compile_and_have_a_version() {
        let r = rules();
        assert!(!r.version().is_empty());
        assert!(r.cues().len() > 40);
        // Every type has at least one cue.
        for (i, t) in taxonomy::TYPES.iter().enumerate() {
            assert!(
                r.cues().iter().any(|c| c.scam_type == Some(i)),
                "no cue for {}",
                t.id
            );
        }
    }

    #[test]
    fn authority_safe_account() {
        let input = text(
            "我是市公安局刑侦支队的王警官，你的身份证涉嫌一起洗钱案，需要配合资金清查，\
             把钱转到安全账户，不要告诉任何人。",
        );
        let s = rules().score(&input);
        assert_eq!(top(&s), "authority");
        assert!(s.probability > 0.9, "{}", s.probability);
        let safe = s
            .reasons
            .iter()
            .find(|r| r.id == "zh.safe_account")
            .unwrap();
        assert_eq!(safe.text, "安全账户");
        assert_eq!(
            &"我是市公安局刑侦支队的王警官，你的身份证涉嫌一起洗钱案，需要配合资金清查，把钱转到安全账户，不要告诉任何人。"
                [safe.span.clone()],
            "安全账户"
        );
        assert_eq!(safe.turn, None);
    }

    #[test]
    fn task_rebate() {
        let s = rules().score(&text(
            "兼职刷单，动动手指日赚三百，先垫付本金，完成任务后立即返利，佣金当天结算。",
        ));
        assert_eq!(top(&s), "task_rebate");
        assert!(s.probability > 0.9);
    }

    #[test]
    fn campus_loan_and_credit() {
        let s = rules().score(&text(
            "您好，我是京东金融客服，您大学时开通过校园贷，现在需要注销校园贷账户，否则会影响征信。",
        ));
        assert!(s.per_type[taxonomy::index("credit_record").unwrap()] > 0.0);
        assert!(s.probability > 0.8);
        let s = rules().score(&text(
            "无抵押低息贷款秒到账，你的银行卡号填错了导致资金冻结，需要先交解冻费和保证金才能放款。",
        ));
        assert_eq!(top(&s), "loan");
    }

    #[test]
    fn english_tech_support_and_gift_cards() {
        let s = rules().score(&text(
            "This is Microsoft support. Your computer is infected with a virus. Please install \
             AnyDesk so I can get remote access, and pay the fee in Google Play gift cards.",
        ));
        assert_eq!(top(&s), "tech_support");
        assert!(s.probability > 0.9);
        let gift = s
            .reasons
            .iter()
            .find(|r| r.text.to_lowercase() == "gift cards")
            .unwrap();
        assert_eq!(gift.scam_type, None);
    }

    #[test]
    fn english_keywords_need_word_boundaries() {
        let r = rules();
        let hits = r.hits(&text("Sloane's overdraft"));
        assert!(
            hits.iter().all(|h| r.cues()[h.cue].id != "en.loan"),
            "{hits:?}"
        );
    }

    #[test]
    fn ordinary_messages_stay_low() {
        for t in [
            "晚上一起吃饭吗？我在公司楼下等你。",
            "妈，我周末回家，给你带了点水果。",
            "Are we still on for dinner tonight? I'll bring the wine.",
            "您好，您的外卖已送达，请到门口取餐。",
        ] {
            let s = rules().score(&text(t));
            assert!(s.probability < 0.2, "{t}: {}", s.probability);
        }
    }

    #[test]
    fn romance_then_investment_platform_is_a_sequence() {
        let chat = [
            "亲爱的，早安，今天也要想我哦",
            "哈哈，好的宝贝",
            "我好想你，等我们见面了就结婚好不好",
            "好呀",
            "我舅舅在一个投资平台做内部数据分析，稳赚不赔，你下载这个APP：https://abc-invest.vip/app 我带你一起赚钱",
        ];
        let s = rules().score(&turns(&chat));
        let seq: Vec<_> = s
            .reasons
            .iter()
            .filter(|r| r.id == "seq.romance_then_investment")
            .collect();
        assert_eq!(seq.len(), 2, "{:?}", s.reasons);
        assert_eq!(seq[0].turn, Some(0));
        assert_eq!(seq[1].turn, Some(4));
        assert_eq!(top(&s), "romance");
        // The same words in one message are not a sequence.
        let s = rules().score(&text(&chat.concat()));
        assert!(
            !s.reasons
                .iter()
                .any(|r| r.id == "seq.romance_then_investment")
        );
    }

    #[test]
    fn boss_impersonation() {
        let s = rules().score(&text(
            "我是你们王总，换了个新微信，加一下。我在开会不方便接电话，有个客户的款急需周转，你先帮我转过去。",
        ));
        assert_eq!(top(&s), "boss_acquaintance");
    }

    #[test]
    fn one_crafted_text_per_type() {
        let cases = [
            (
                "investment",
                "老师带单炒数字货币，稳赚不赔，高回报，赶紧到投资平台充值。",
            ),
            (
                "game_trade",
                "游戏装备低价出售，代充点券打五折，不走平台私下交易更快。",
            ),
            (
                "fake_kidnapping",
                "你儿子在我们手上，被绑了，马上准备五十万赎金，不许报警。",
            ),
            (
                "advance_fee",
                "恭喜您中奖了！奖金十万元，领奖前需先交个人所得税和公证费。",
            ),
            (
                "parcel",
                "您的快递包裹在海关被扣留，里面有违禁品，需要缴纳清关费。",
            ),
            (
                "customer_service",
                "我是淘宝客服，您买的商品有质量问题，给您双倍赔偿退款，请关闭自动扣费。",
            ),
            (
                "phishing",
                "您好，请点击链接登录，然后把收到的验证码告诉我。",
            ),
            (
                "advance_fee",
                "Congratulations, you have won the lottery! To claim your prize pay the processing fee and tax first.",
            ),
            (
                "romance",
                "My love, I am a military doctor deployed overseas, I need money for the plane ticket.",
            ),
            (
                "task_rebate",
                "Work from home part-time job, earn $300 per day: complete the tasks and get daily commission.",
            ),
            (
                "authority",
                "This is the Social Security Administration. Your social security number has been suspended; there is an arrest warrant.",
            ),
        ];
        for (want, t) in cases {
            let s = rules().score(&text(t));
            assert_eq!(top(&s), want, "{t}: {:?}", s.per_type);
            assert!(s.probability > 0.5, "{t}: {}", s.probability);
        }
    }

    #[test]
    fn hostile_input_is_bounded() {
        let r = rules();
        let many = "安全账户".repeat(100_000);
        let hits = r.hits(&text(&many));
        assert!(hits.len() <= MAX_HITS_PER_CUE * r.cues().len());
        // Not UTF-8 boundaries: spans must still slice.
        let s = r.score(&text("\u{0}\u{FFFF}安全账户\u{10FFFF}"));
        assert!(s.reasons.iter().all(|x| !x.text.is_empty()));
    }

    #[test]
    fn bad_rule_files_are_errors_naming_the_rule() {
        let e = Rules::parse(
            "version = \"t\"\noffset = 1.0\nunseen_type_prior = 0.2\nmin_type_cues = 2\n[[cue]]\nid = \"x\"\ntype = \"nope\"\nweight = 1.0\nkeywords = [\"a\"]\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("\"x\"") && e.to_string().contains("nope"),
            "{e}"
        );
        let e = Rules::parse(
            "version = \"t\"\noffset = 1.0\nunseen_type_prior = 0.2\nmin_type_cues = 2\n[[cue]]\nid = \"y\"\nweight = 1.0\npatterns = [\"(\"]\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"y\""), "{e}");
        let e = Rules::parse("version = \"t9\"\noffset = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("t9"), "{e}");
    }

    #[test]
    fn notices_carry_no_evidence_unless_vetoed() {
        let r = rules();
        let chat = turns(&[
            "【工商银行】您尾号1234卡12月5日14:32支出(消费)500.00元，余额12,345.67元。",
            "[转账] 2000.00元",
            "【建设银行】验证码：482913，您正在进行转账。请勿向任何人泄露验证码，银行工作人员不会向您索取。",
        ]);
        let s = r.score(&chat);
        assert_eq!(s.notice, vec![true, true, true]);
        assert!(s.per_type.iter().all(|&v| v == 0.0), "{:?}", s.per_type);
        assert_eq!(s.general, 0.0);
        let ids: Vec<&str> = s.reasons.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "notice.bank_transaction",
                "notice.export_system_line",
                "notice.one_time_code"
            ]
        );
        assert_eq!(s.reasons[0].turn, Some(0));
        // A "bank notice" that carries a link, or a code request, is not a notice.
        let s = r.score(&turns(&[
            "【工商银行】您尾号1234卡支出500.00元，余额异常，请点击 http://icbc-verify.top 处理",
            "您尾号1234的账户转出500元，余额100元，请把验证码告诉我",
        ]));
        assert_eq!(s.notice, vec![false, false]);
        // The anti-fraud centre's warning negates the cues it names.
        let s = r.score(&text(
            "【国家反诈中心】提醒您：公检法机关不会通过电话办案，不存在安全账户。凡是要求转账到安全账户的都是诈骗。",
        ));
        assert_eq!(s.notice, vec![true]);
        assert!(s.probability < 0.1);
        // A media placeholder with words after it is not a system line.
        assert_eq!(
            r.score(&text("[图片] 你自己看，他现在被绑了")).notice,
            vec![false]
        );
    }

    #[test]
    fn counter_cues_and_negative_cues_lower_the_score() {
        let r = rules();
        let s = r.score(&text(
            "请您本周带身份证原件到我们网点面签，放款直接打到开发商的监管账户。",
        ));
        assert!(s.counter < 0.0);
        let authority = taxonomy::index("authority").unwrap();
        // 监管账户 is cancelled by its escrow context, and is not a second authority cue.
        assert_eq!(s.per_type[authority], 0.0);
        assert_eq!(s.cues_per_type[authority], 1);
        assert!(s.probability < 0.05);
    }

    #[test]
    fn distinct_cues_are_counted_per_type() {
        let s = rules().score(&text(
            "我是你们刘总，换了个新微信。我在开会不方便接电话，你先帮我转一下。",
        ));
        let boss = taxonomy::index("boss_acquaintance").unwrap();
        // zh.boss_identity (twice) and zh.boss_urgent (three keywords): two distinct cues.
        assert_eq!(s.cues_per_type[boss], 2);
    }
}
