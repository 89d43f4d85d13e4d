//! `cunzheng classify`: scam type of texts outside a case, JSON lines in, one verdict per line
//! out. A malformed line yields an error line with its number and the rest goes on (exit 3).

use crate::cli::{EXIT_INCOMPLETE, EXIT_OK};
use anyhow::{Context, Result};
use cunzheng_scam::{Classifier, Input, Reason, Source, Turn, Verdict, taxonomy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::{BufRead, BufWriter, Write};

/// Longest input line accepted; longer lines are reported and skipped without being held.
const MAX_LINE: usize = 16 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Value,
    text: Option<String>,
    turns: Option<Vec<Turn>>,
}

/// Reads stdin, writes verdicts to stdout.
pub fn run(json: bool) -> Result<u8> {
    let classifier =
        Classifier::builtin().context("the built-in scam rules or model do not load")?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let code = classify_stream(&classifier, stdin.lock(), &mut out, json)?;
    out.flush()?;
    Ok(code)
}

/// The loop, over any reader and writer.
fn classify_stream(
    c: &Classifier,
    mut input: impl BufRead,
    out: &mut impl Write,
    json: bool,
) -> Result<u8> {
    let mut code = EXIT_OK;
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        line_no += 1;
        let (read, too_long) = read_line(&mut input, &mut buf).context("reading stdin")?;
        if read == 0 {
            break;
        }
        if !too_long && buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = if too_long {
            Err(format!("line longer than {MAX_LINE} bytes, skipped"))
        } else {
            parse(&buf)
        };
        match parsed {
            Ok((id, inp)) => {
                let v = c.classify(&inp);
                if json {
                    serde_json::to_writer(&mut *out, &verdict_out(c, &id, &v))?;
                    out.write_all(b"\n")?;
                } else {
                    writeln!(out, "{}", verdict_text(&id, &v))?;
                }
            }
            Err(e) => {
                code = EXIT_INCOMPLETE;
                if json {
                    serde_json::to_writer(&mut *out, &json!({"line": line_no, "error": e}))?;
                    out.write_all(b"\n")?;
                } else {
                    eprintln!("cunzheng: stdin line {line_no}: {e}");
                }
            }
        }
    }
    Ok(code)
}

/// Reads one line into `buf` (without the newline). Returns bytes consumed and whether the
/// line was longer than [`MAX_LINE`] (then `buf` holds only its start).
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    buf.clear();
    let mut total = 0;
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok((total, too_long));
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let data = &chunk[..if done { take - 1 } else { take }];
        if buf.len() + data.len() > MAX_LINE {
            too_long = true;
        } else if !too_long {
            buf.extend_from_slice(data);
        }
        total += take;
        r.consume(take);
        if done {
            return Ok((total, too_long));
        }
    }
}

fn parse(bytes: &[u8]) -> Result<(Value, Input), String> {
    let line: Line = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a JSON object of the expected shape: {e}"))?;
    let input = match (line.text, line.turns) {
        (Some(t), None) => Input::Text(t),
        (None, Some(turns)) => Input::Turns(turns),
        (Some(_), Some(_)) => return Err("has both `text` and `turns`; give one".into()),
        (None, None) => return Err("needs `text` or `turns`".into()),
    };
    Ok((line.id, input))
}

/// One reason as printed: borrowed from the verdict, serialised without an intermediate map.
#[derive(Serialize)]
struct ReasonOut<'a> {
    source: &'static str,
    id: &'a str,
    #[serde(rename = "type")]
    scam_type: Option<&'static str>,
    weight: f64,
    turn: Option<usize>,
    start: usize,
    end: usize,
    text: &'a str,
}

#[derive(Serialize)]
struct VerdictOut<'a> {
    id: &'a Value,
    scam: f64,
    #[serde(rename = "type")]
    scam_type: Option<&'static str>,
    type_zh: Option<&'static str>,
    type_scores: Vec<(&'static str, f64)>,
    model_scam: f64,
    rules_scam: f64,
    reasons: Vec<ReasonOut<'a>>,
    rules_version: &'a str,
    model_version: &'a str,
}

fn reason_out(r: &Reason) -> ReasonOut<'_> {
    ReasonOut {
        source: match r.source {
            Source::Rule => "rule",
            Source::Model => "model",
        },
        id: &r.id,
        scam_type: r.scam_type,
        weight: round(r.weight),
        turn: r.turn,
        start: r.span.start,
        end: r.span.end,
        text: &r.text,
    }
}

/// One reason as JSON (for `scan`, which adds the message it points to).
pub(crate) fn reason_json(r: &Reason) -> Value {
    serde_json::to_value(reason_out(r)).unwrap_or(Value::Null)
}

pub(crate) fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn verdict_out<'a>(c: &'a Classifier, id: &'a Value, v: &'a Verdict) -> VerdictOut<'a> {
    VerdictOut {
        id,
        scam: round(v.scam),
        scam_type: v.scam_type,
        type_zh: v.scam_type.and_then(taxonomy::get).map(|t| t.zh),
        type_scores: v
            .type_scores
            .iter()
            .take(5)
            .map(|(t, s)| (*t, round(*s)))
            .collect(),
        model_scam: round(v.model_scam),
        rules_scam: round(v.rules_scam),
        reasons: v.reasons.iter().map(reason_out).collect(),
        rules_version: c.rules_version(),
        model_version: c.model_version(),
    }
}

fn verdict_text(id: &Value, v: &Verdict) -> String {
    let id = match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let ty = match v.scam_type.and_then(taxonomy::get) {
        Some(t) => format!("{} ({})", t.zh, t.id),
        None => "-".into(),
    };
    let mut cues: Vec<&str> = Vec::new();
    for r in v.reasons.iter().filter(|r| r.source == Source::Rule) {
        if !cues.contains(&r.text.as_str()) {
            cues.push(&r.text);
        }
    }
    format!(
        "{id}\tscam {:.2}\t{ty}\tcues: {}",
        v.scam,
        if cues.is_empty() {
            "-".into()
        } else {
            cues.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn long_lines_are_skipped_not_held() {
        let mut data = vec![b'a'; MAX_LINE + 10];
        data.extend_from_slice(b"\n{\"id\":1,\"text\":\"x\"}\n");
        let mut r = std::io::Cursor::new(data);
        let mut buf = Vec::new();
        let (n, long) = read_line(&mut r, &mut buf).unwrap();
        assert!(long && n == MAX_LINE + 11 && buf.len() <= MAX_LINE);
        let (_, long) = read_line(&mut r, &mut buf).unwrap();
        assert!(!long);
        assert_eq!(buf, b"{\"id\":1,\"text\":\"x\"}");
        assert_eq!(read_line(&mut r, &mut buf).unwrap().0, 0);
    }
}
