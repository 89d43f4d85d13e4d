//! One report run: load the case, redact if asked, render what was asked, write the files.

use crate::doc::{DocOptions, document};
use crate::error::{ReportError, Result};
use crate::labels::Lang;
use crate::load::{LoadOptions, load};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What to produce.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// Language of the report and of the drafts included in the HTML.
    pub lang: Lang,
    /// Where to write the PDF.
    pub pdf: Option<PathBuf>,
    /// Where to write the HTML.
    pub html: Option<PathBuf>,
    /// Where to write the CASE/UCO JSON-LD.
    pub case_uco: Option<PathBuf>,
    /// Folder to write the drafts to (both languages).
    pub drafts: Option<PathBuf>,
    /// Mask third parties' ID, phone and card numbers.
    pub redact: bool,
    /// Values the examiner marks as the suspect's (not masked).
    pub suspects: Vec<String>,
    /// Where to write the redaction log (default: beside the first output).
    pub redaction_log: Option<PathBuf>,
    /// Limits for reading the case.
    pub load: LoadOptions,
}

/// One file written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Written {
    /// What it is: `pdf`, `html`, `case-uco`, `draft`, `redaction-log`.
    pub kind: String,
    /// Where.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// Pages, for the PDF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
}

/// Default output folder and file stem for a case: `CASE_DIR/reports/report-zh`.
pub fn default_stem(case_dir: &Path, lang: Lang, redacted: bool) -> PathBuf {
    let name = format!(
        "report-{}{}",
        lang.code(),
        if redacted { "-redacted" } else { "" }
    );
    cunzheng_case::layout::Layout::new(case_dir)
        .reports()
        .join(name)
}

fn write(kind: &str, path: &Path, bytes: &[u8], pages: Option<usize>) -> Result<Written> {
    // A bare file name is in the current folder (the atomic write needs a parent).
    let here;
    let path = if path.parent().is_some_and(|p| p.as_os_str().is_empty()) {
        here = Path::new(".").join(path);
        here.as_path()
    } else {
        path
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io("creating", dir, e))?;
    }
    cunzheng_case::fsio::write_atomic(path, bytes)
        .map_err(|e| ReportError::io("writing", path, e))?;
    Ok(Written {
        kind: kind.into(),
        path: path.to_owned(),
        sha256: hex::encode(Sha256::digest(bytes)),
        pages,
    })
}

/// Runs the report for the case at `case_dir`; returns the files written.
pub fn run(case_dir: &Path, opts: &ReportOptions) -> Result<Vec<Written>> {
    let mut input = load(case_dir, &opts.load)?;
    input.suspects = opts.suspects.clone();
    let mut out = Vec::new();
    // The CASE/UCO export describes the sealed evidence, never the masked view.
    if let Some(p) = &opts.case_uco {
        let v = crate::uco::export(&input);
        let mut bytes = serde_json::to_vec_pretty(&v)?;
        bytes.push(b'\n');
        out.push(write("case-uco", p, &bytes, None)?);
    }
    let mut doc_opts = DocOptions {
        lang: opts.lang,
        redaction: None,
    };
    if opts.redact {
        let key = crate::redact::case_key(case_dir, &input)?;
        let policy = crate::redact::Policy::new(&opts.suspects).with_lang(opts.lang);
        let (summary, log) = crate::redact::redact(&mut input, &policy, &key);
        let log_path = opts.redaction_log.clone().unwrap_or_else(|| {
            let first = opts.pdf.as_ref().or(opts.html.as_ref());
            match first.and_then(|p| p.parent()) {
                Some(dir) => dir.join("redaction-log.json"),
                None => PathBuf::from("redaction-log.json"),
            }
        });
        let mut bytes = serde_json::to_vec_pretty(&log)?;
        bytes.push(b'\n');
        out.push(write("redaction-log", &log_path, &bytes, None)?);
        doc_opts.redaction = Some(summary);
    }
    let drafts = crate::drafts::drafts(&input, doc_opts.redaction.is_some());
    if let Some(dir) = &opts.drafts {
        for d in &drafts {
            out.push(write("draft", &dir.join(&d.file), d.text.as_bytes(), None)?);
        }
    }
    if let Some(p) = &opts.html {
        let shown: Vec<(String, String)> = drafts
            .iter()
            .filter(|d| d.lang == opts.lang)
            .map(|d| (d.title.clone(), d.text.clone()))
            .collect();
        let html = crate::html::render(&input, &doc_opts, &shown);
        out.push(write("html", p, html.as_bytes(), None)?);
    }
    if let Some(p) = &opts.pdf {
        let doc = document(&input, &doc_opts);
        let (ident, date) = match &input.case.seal {
            Some(s) => (
                format!("{} seal {}", input.case.case_id, s.version),
                s.sealed_at.clone(),
            ),
            None => (input.case.case_id.clone(), input.case.created_utc.clone()),
        };
        let ident = format!(
            "{ident} {} {}",
            opts.lang.code(),
            if opts.redact { "redacted" } else { "full" }
        );
        let r = crate::pdf::render(&doc, &ident, &date)?;
        out.push(write("pdf", p, &r.pdf, Some(r.pages))?);
    }
    Ok(out)
}
