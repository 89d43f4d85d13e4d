//! Trains the scam model from the labelled datasets and writes `model.bin`, `metrics.json` and
//! `METRICS.md`. Deterministic: the same datasets give the same bytes.
//!
//! Usage: `cunzheng-scam-train DATASETS_DIR --out DIR [--epochs N] [--balance]`

use cunzheng_scam::data;
use cunzheng_scam::eval;
use cunzheng_scam::model::Model;
use cunzheng_scam::rules::Rules;
use cunzheng_scam::train::{self, Config};
use cunzheng_scam::{Classifier, Error};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut out = None;
    let mut cfg = Config::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--balance" => cfg.balance = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--epochs" => match args.next().and_then(|v| v.parse().ok()) {
                Some(e) => cfg.epochs = e,
                None => return usage("--epochs needs a number"),
            },
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => return usage(&format!("unexpected argument {a:?}")),
        }
    }
    let (Some(dir), Some(out)) = (dir, out) else {
        return usage("DATASETS_DIR and --out are required");
    };
    match run(&dir, &out, &cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cunzheng-scam-train: error: {e}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: cunzheng-scam-train DATASETS_DIR --out DIR [--epochs N] [--balance]

Trains on the train split of the datasets in DATASETS_DIR (shared/datasets), scores the dev
split and writes model.bin, metrics.json and METRICS.md to DIR. Deterministic.
  --epochs N      passes over the data (default 12)
  --balance       weigh each dataset's scam and legitimate rows equally (off: see
                  Config::balance for what it measured)";

fn usage(msg: &str) -> ExitCode {
    eprintln!("cunzheng-scam-train: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn run(dir: &std::path::Path, out: &std::path::Path, cfg: &Config) -> Result<(), Error> {
    let (samples, missing) = data::load(dir)?;
    for m in &missing {
        eprintln!(
            "note: dataset {m} not found under {}, skipped",
            dir.display()
        );
    }
    eprintln!(
        "training on {} rows (train split only) …",
        samples
            .iter()
            .filter(|s| s.split == data::Split::Train)
            .count()
    );
    let rules = Rules::builtin()?;
    let bytes = train::train(&samples, &rules, cfg);
    let model = Model::from_bytes(&bytes)?;
    let classifier = Classifier::new(rules, model);
    eprintln!("scoring the dev split …");
    let metrics = eval::evaluate(&classifier, &samples);
    let md = eval::markdown(&metrics);
    let write = |name: &str, data: &[u8]| {
        let p = out.join(name);
        std::fs::write(&p, data).map_err(|e| Error::Io { path: p, source: e })
    };
    std::fs::create_dir_all(out).map_err(|e| Error::Io {
        path: out.to_path_buf(),
        source: e,
    })?;
    write("model.bin", &bytes)?;
    let mut json = serde_json::to_string_pretty(&metrics).unwrap_or_default();
    json.push('\n');
    write("metrics.json", json.as_bytes())?;
    write("METRICS.md", md.as_bytes())?;
    println!("{md}");
    println!(
        "model {} ({} bytes) written to {}",
        classifier.model_version(),
        bytes.len(),
        out.display()
    );
    Ok(())
}
