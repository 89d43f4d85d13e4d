#![allow(clippy::unwrap_used)]
use cunzheng_scam::{checkset, rules::Rules, model::{Model, softmax}, features::{Features, Scratch}, taxonomy::TYPES, Classifier};
#[test]
fn dbg() {
    let rows = checkset::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/scam-chats/checkset.jsonl"))).unwrap();
    let rules = Rules::builtin().unwrap();
    let m = Model::builtin().unwrap();
    println!("combine {:?}", m.header.combine);
    let c = Classifier::builtin().unwrap();
    let only = std::env::var("ONLY").unwrap_or_default();
    for r in &rows {
        if !only.is_empty() && !r.id.contains(&only) { continue; }
        let s = rules.score(&r.input);
        let mut sc = Scratch::new();
        let x = Features::extract(&r.input, m.bits(), &mut sc);
        let zb = m.scam.logit(&x);
        let p = softmax(&m.type_logits(&x));
        let v = c.classify(&r.input);
        let pt: Vec<String> = s.per_type.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, v)| format!("{}={v}", TYPES[i].id)).collect();
        let mut mp: Vec<(usize, f32)> = m.types.iter().map(|(t, _)| *t).zip(p).collect();
        mp.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mps: Vec<String> = mp.iter().take(3).map(|(t, p)| format!("{}={p:.2}", TYPES[*t].id)).collect();
        let cues: Vec<String> = v.reasons.iter().filter(|r| r.source == cunzheng_scam::Source::Rule).map(|r| format!("{}:{}", r.id, r.text)).collect();
        let ng: Vec<String> = v.reasons.iter().filter(|r| r.source == cunzheng_scam::Source::Model).map(|r| format!("{}({:.2})", r.text, r.weight)).collect();
        println!("{} zb={zb:.2} gen={} ev={:.1} rp={:.2} | {} | model {} | cues {}\n   ngrams {}", r.id, s.general, s.evidence, s.probability, pt.join(" "), mps.join(" "), cues.join(" "), ng.join(" "));
    }
}
#[test]
fn dev_errors() {
    use cunzheng_scam::data::{self, Split, DATASETS};
    let (samples, _) = data::load(std::path::Path::new("/work/shared/datasets")).unwrap();
    let c = Classifier::builtin().unwrap();
    for s in samples.iter().filter(|s| s.split == Split::Dev) {
        let d = c.classify_detail(&s.input);
        let wrong_scam = (d.verdict.scam >= 0.5) != s.label;
        let wrong_type = s.scam_type.is_some() && d.combined_type.map(|t| TYPES[t].id) != s.scam_type && d.model_type.map(|t| TYPES[t].id) == s.scam_type;
        if wrong_scam || wrong_type {
            let cues: Vec<String> = d.verdict.reasons.iter().filter(|r| r.source == cunzheng_scam::Source::Rule).map(|r| format!("{}:{}", r.id, r.text)).collect();
            println!("{} {} label={} gold={:?} scam={:.2} model={:.2} rules={:.2} comb={:?} model_t={:?} | {}", DATASETS[s.dataset].name, s.id, s.label, s.scam_type, d.verdict.scam, d.verdict.model_scam, d.verdict.rules_scam, d.combined_type.map(|t| TYPES[t].id), d.model_type.map(|t| TYPES[t].id), cues.join(" "));
        }
    }
}
