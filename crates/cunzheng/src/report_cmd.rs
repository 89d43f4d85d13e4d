//! `cunzheng report`, and the report `preserve` writes into the case by default.

use anyhow::{Context, Result};
use cunzheng_report::run::{ReportOptions, Written, default_stem};
use cunzheng_report::{Lang, load::LoadOptions};
use std::path::{Path, PathBuf};

/// Flags of `cunzheng report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The case folder.
    pub case_dir: PathBuf,
    /// Write the PDF/A report here (default, when no output is named:
    /// CASE_DIR/reports/report-LANG.pdf).
    #[arg(long)]
    pub pdf: Option<PathBuf>,
    /// Write the self-contained HTML report here (default as for --pdf, with .html).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write the case as CASE/UCO JSON-LD here.
    #[arg(long)]
    pub case_uco: Option<PathBuf>,
    /// Write the drafts (platform request, police report, evidence list, deadlines; Chinese
    /// and English) into this folder.
    #[arg(long)]
    pub drafts: Option<PathBuf>,
    /// Report language: zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: Lang,
    /// Mask third parties' ID, phone and bank card numbers (for disclosure); writes a
    /// redaction log beside the report.
    #[arg(long)]
    pub redact: bool,
    /// A number or account of the suspect, left unmasked by --redact (repeatable).
    #[arg(long, value_name = "VALUE")]
    pub suspect: Vec<String>,
    /// A file of suspect values, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub suspect_file: Option<PathBuf>,
    /// Where to write the redaction log (default: beside the PDF or HTML).
    #[arg(long)]
    pub redaction_log: Option<PathBuf>,
    /// Most messages shown in the transcripts (the rest are counted).
    #[arg(long, default_value_t = 200_000)]
    pub max_messages: u64,
}

fn print(json: bool, written: &[Written]) -> Result<()> {
    if json {
        println!("{}", serde_json::json!({ "written": written }));
    } else {
        for w in written {
            match w.pages {
                Some(p) => println!(
                    "wrote {} {} ({p} pages, sha256 {})",
                    w.kind,
                    w.path.display(),
                    w.sha256
                ),
                None => println!(
                    "wrote {} {} (sha256 {})",
                    w.kind,
                    w.path.display(),
                    w.sha256
                ),
            }
        }
    }
    Ok(())
}

/// `cunzheng report`.
pub fn report(json: bool, mut a: ReportArgs) -> Result<u8> {
    if let Some(f) = &a.suspect_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading the suspect list {}", f.display()))?;
        a.suspect.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    cunzheng_case::Case::open(&a.case_dir)
        .with_context(|| format!("cannot open the case {}", a.case_dir.display()))?;
    if a.pdf.is_none() && a.html.is_none() && a.case_uco.is_none() && a.drafts.is_none() {
        let stem = default_stem(&a.case_dir, a.lang, a.redact);
        a.pdf = Some(stem.with_extension("pdf"));
        a.html = Some(stem.with_extension("html"));
    }
    let opts = ReportOptions {
        lang: a.lang,
        pdf: a.pdf,
        html: a.html,
        case_uco: a.case_uco,
        drafts: a.drafts,
        redact: a.redact,
        suspects: a.suspect,
        redaction_log: a.redaction_log,
        load: LoadOptions {
            max_messages: a.max_messages,
            ..LoadOptions::default()
        },
    };
    let written = cunzheng_report::run(&a.case_dir, &opts).with_context(|| {
        format!(
            "cannot make the report of {} (the case itself is not changed)",
            a.case_dir.display()
        )
    })?;
    print(json, &written)?;
    Ok(crate::cli::EXIT_OK)
}

/// The report `preserve` writes into `CASE_DIR/reports/` once the case is sealed: Chinese PDF
/// and HTML. Returns what was written, or the error as text: a failed render never undoes
/// the preservation.
pub fn after_preserve(case_dir: &Path) -> Result<Vec<Written>, String> {
    cunzheng_case::fault::point("report-render");
    let stem = default_stem(case_dir, Lang::Zh, false);
    let opts = ReportOptions {
        pdf: Some(stem.with_extension("pdf")),
        html: Some(stem.with_extension("html")),
        ..ReportOptions::default()
    };
    cunzheng_report::run(case_dir, &opts).map_err(|e| e.to_string())
}
