//! Dev-split metrics: F1 of scam vs not per dataset, macro-F1 over the fraud types of the
//! datasets that name them; each for the rules alone, the model alone and the combination.

use crate::classifier::Classifier;
use crate::data::{DATASETS, Sample, Split};
use crate::taxonomy::{self, TYPES};
use serde_json::{Value, json};

/// Rounds for the metrics file, so a recomputation compares equal.
fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn add(&mut self, pred: bool, gold: bool) {
        match (pred, gold) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    fn f1(&self) -> f64 {
        let d = 2 * self.tp + self.fp + self.fn_;
        if d == 0 {
            0.0
        } else {
            2.0 * self.tp as f64 / d as f64
        }
    }

    fn json(&self) -> Value {
        let p = |a: usize, b: usize| {
            if a + b == 0 {
                0.0
            } else {
                a as f64 / (a + b) as f64
            }
        };
        json!({
            "precision": r4(p(self.tp, self.fp)),
            "recall": r4(p(self.tp, self.fn_)),
            "f1": r4(self.f1()),
            "accuracy": r4(p(self.tp + self.tn, self.fp + self.fn_)),
        })
    }
}

/// Macro-F1 over `classes` for (prediction, gold) pairs.
fn macro_f1(classes: &[usize], pairs: &[(Option<usize>, usize)]) -> f64 {
    if classes.is_empty() {
        return 0.0;
    }
    let sum: f64 = classes
        .iter()
        .map(|&c| {
            let mut k = Counts::default();
            for &(p, g) in pairs {
                k.add(p == Some(c), g == c);
            }
            k.f1()
        })
        .sum();
    sum / classes.len() as f64
}

/// Scores the `Dev` rows of `samples` and returns the metrics document.
pub fn evaluate(c: &Classifier, samples: &[Sample]) -> Value {
    let mut scam = serde_json::Map::new();
    let mut types = serde_json::Map::new();
    for (di, d) in DATASETS.iter().enumerate() {
        let dev: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.dataset == di && s.split == Split::Dev)
            .collect();
        if dev.is_empty() {
            continue;
        }
        let mut rules = Counts::default();
        let mut model = Counts::default();
        let mut comb = Counts::default();
        let mut typed: [Vec<(Option<usize>, usize)>; 3] = Default::default();
        for s in &dev {
            let det = c.classify_detail(&s.input);
            rules.add(det.verdict.rules_scam >= 0.5, s.label);
            model.add(det.verdict.model_scam >= 0.5, s.label);
            comb.add(det.verdict.scam >= 0.5, s.label);
            if let Some(g) = s.scam_type.and_then(taxonomy::index) {
                typed[0].push((det.rules_type, g));
                typed[1].push((det.model_type, g));
                typed[2].push((det.combined_type, g));
            }
        }
        scam.insert(
            d.name.into(),
            json!({
                "n": dev.len(),
                "scam": dev.iter().filter(|s| s.label).count(),
                "rules": rules.json(),
                "model": model.json(),
                "combined": comb.json(),
            }),
        );
        if !typed[0].is_empty() {
            let mut classes: Vec<usize> = typed[0].iter().map(|&(_, g)| g).collect();
            classes.sort_unstable();
            classes.dedup();
            types.insert(
                d.name.into(),
                json!({
                    "n": typed[0].len(),
                    "classes": classes.iter().map(|&c| TYPES[c].id).collect::<Vec<_>>(),
                    "rules": r4(macro_f1(&classes, &typed[0])),
                    "model": r4(macro_f1(&classes, &typed[1])),
                    "combined": r4(macro_f1(&classes, &typed[2])),
                }),
            );
        }
    }
    json!({
        "split": "dev",
        "threshold": 0.5,
        "rules_version": c.rules_version(),
        "model_version": c.model_version(),
        "scam_f1": scam,
        "type_macro_f1": types,
    })
}

/// The metrics as a Markdown table (the README's "Scam detection" table).
pub fn markdown(m: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Dev split, threshold 0.5; rules {}, model {}.\n\n",
        m["rules_version"].as_str().unwrap_or("?"),
        m["model_version"].as_str().unwrap_or("?")
    ));
    out.push_str("| dataset (dev) | n | metric | rules | model | combined |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    let f = |v: &Value| format!("{:.3}", v.as_f64().unwrap_or(f64::NAN));
    if let Some(o) = m["scam_f1"].as_object() {
        for (name, v) in o {
            out.push_str(&format!(
                "| {name} | {} | F1 scam vs not | {} | {} | {} |\n",
                v["n"],
                f(&v["rules"]["f1"]),
                f(&v["model"]["f1"]),
                f(&v["combined"]["f1"])
            ));
        }
    }
    if let Some(o) = m["type_macro_f1"].as_object() {
        for (name, v) in o {
            out.push_str(&format!(
                "| {name} (scam rows) | {} | macro-F1 over {} types | {} | {} | {} |\n",
                v["n"],
                v["classes"].as_array().map_or(0, Vec::len),
                f(&v["rules"]),
                f(&v["model"]),
                f(&v["combined"])
            ));
        }
    }
    out
}
