//! Third-party ground truth: the SQLite Forensic Corpus of Nemetz, Schmitt and Freiling
//! (DFRWS EU 2018, CC0). Every `NN-xx.db` comes with an answer key `NN-xx.xml` in which
//! `<row deleted="1">` marks a deleted row. Recovery runs on each database; recall and
//! precision of deleted rows are scored per category (folder) and printed as a table.
//!
//! The deleted-contents folders are copied into `tests/data/sqlite-forensic/` (see NOTE.md
//! there); the full set of folders 01-0C is scored too when /work/shared holds the corpus
//! (`CUNZHENG_SHARED` overrides the location), and skipped with a message when it does not.

use cunzheng_sqlite::{RecoveredRow, recover};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One row of an answer key.
#[derive(Debug)]
struct KeyRow {
    table: String,
    deleted: bool,
    values: Vec<String>,
}

/// Parses an answer key; `Err` for the keys that are not well-formed XML.
fn parse_key(path: &Path) -> Result<Vec<KeyRow>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut r = Reader::from_str(&text);
    let mut stack: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    let mut table = String::new();
    let mut row: Option<KeyRow> = None;
    let mut content: Option<String> = None;
    let mut name_text: Option<String> = None;
    loop {
        match r.read_event() {
            Err(e) => return Err(format!("byte {}: {e}", r.error_position())),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                let name = e.name().as_ref().to_owned();
                match name.as_str() {
                    "row" => {
                        let deleted = e
                            .attributes()
                            .flatten()
                            .any(|a| a.key.as_ref() == "deleted" && a.value.as_ref() == "1");
                        row = Some(KeyRow {
                            table: table.clone(),
                            deleted,
                            values: Vec::new(),
                        });
                    }
                    "content" => content = Some(String::new()),
                    "name" if stack.ends_with(&["element".into(), "meta".into()]) => {
                        name_text = Some(String::new())
                    }
                    _ => {}
                }
                stack.push(name);
            }
            Ok(Event::Empty(e)) => {
                if e.name().as_ref() == "content"
                    && let Some(row) = row.as_mut()
                {
                    row.values.push(String::new());
                }
            }
            Ok(Event::Text(t)) => {
                let s = t.xml10_content();
                if let Some(c) = content.as_mut() {
                    c.push_str(&s);
                }
                if let Some(n) = name_text.as_mut() {
                    n.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(g)) => {
                let raw: String = (*g).to_owned();
                let s = match g.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&raw)
                        .map(str::to_owned)
                        .unwrap_or(format!("&{raw};")),
                };
                if let Some(c) = content.as_mut() {
                    c.push_str(&s);
                }
                if let Some(n) = name_text.as_mut() {
                    n.push_str(&s);
                }
            }
            Ok(Event::CData(c)) => {
                if let Some(x) = content.as_mut() {
                    x.push_str(&c);
                }
            }
            Ok(Event::End(e)) => {
                stack.pop();
                match e.name().as_ref() {
                    "content" => {
                        if let (Some(c), Some(row)) = (content.take(), row.as_mut()) {
                            row.values.push(c);
                        }
                    }
                    "row" => rows.extend(row.take()),
                    "name" => {
                        if let Some(n) = name_text.take() {
                            table = n;
                        }
                    }
                    _ => {}
                }
            }
            Ok(_) => {}
        }
    }
    Ok(rows)
}

/// Whether a recovered value is the answer key's text for it.
fn same(v: &serde_json::Value, key: &str) -> bool {
    use serde_json::Value as J;
    let num = |k: &str| k.trim().parse::<f64>().ok();
    match v {
        J::Null => key.is_empty() || key == "NULL" || key == "None",
        J::Number(n) => {
            if let (Some(i), Ok(k)) = (n.as_i64(), key.trim().parse::<i64>()) {
                return i == k;
            }
            match (n.as_f64(), num(key)) {
                // The keys print reals with 5 decimals.
                (Some(a), Some(b)) => (a - b).abs() <= 1e-5 + 1e-12 * b.abs(),
                _ => false,
            }
        }
        J::String(s) => s == key || s.eq_ignore_ascii_case(key.trim_start_matches("0x")),
        _ => false,
    }
}

/// Every value the recovered row gives agrees with the key row.
fn agrees(r: &RecoveredRow, k: &KeyRow) -> bool {
    let bare = |t: &str| {
        t.trim_matches(|c| matches!(c, '\'' | '"' | '`' | '[' | ']'))
            .to_lowercase()
    };
    bare(&r.table) == bare(&k.table)
        && r.values.len() == k.values.len()
        && r.missing.len() < r.values.len()
        && r.values
            .iter()
            .zip(&k.values)
            .enumerate()
            .all(|(i, (v, s))| r.missing.contains(&i) || same(v, s))
}

#[derive(Debug, Default)]
struct Tally {
    dbs: usize,
    bad_keys: usize,
    failed: usize,
    deleted: usize,
    found_whole: usize,
    found_partial: usize,
    recovered: usize,
    true_pos: usize,
}

impl Tally {
    fn recall(&self) -> f64 {
        ratio(self.found_whole, self.deleted)
    }
    fn precision(&self) -> f64 {
        ratio(self.true_pos, self.recovered)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Scores every database under `root` (folders `NN/`), per folder.
fn score(root: &Path) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let cat = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut dbs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("category dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "db"))
            .collect();
        dbs.sort();
        let t = out.entry(cat).or_default();
        for db in dbs {
            t.dbs += 1;
            let key = match parse_key(&db.with_extension("xml")) {
                Ok(k) => k,
                Err(e) => {
                    println!(
                        "    {}: answer key not readable ({e}); skipped",
                        db.display()
                    );
                    t.bad_keys += 1;
                    continue;
                }
            };
            let r = match recover(&db, None, None) {
                Ok(r) => r,
                Err(e) => {
                    println!("    {}: recovery failed: {e}", db.display());
                    t.failed += 1;
                    continue;
                }
            };
            let deleted: Vec<&KeyRow> = key.iter().filter(|k| k.deleted).collect();
            t.deleted += deleted.len();
            for k in &deleted {
                let hits: Vec<&RecoveredRow> = r.rows.iter().filter(|x| agrees(x, k)).collect();
                if hits.iter().any(|h| h.missing.is_empty()) {
                    t.found_whole += 1;
                } else if !hits.is_empty() {
                    t.found_partial += 1;
                } else if std::env::var("CUNZHENG_VERBOSE").is_ok() {
                    println!("    {} missed: {} {:?}", db.display(), k.table, k.values);
                }
            }
            t.recovered += r.rows.len();
            for row in &r.rows {
                if deleted.iter().any(|k| agrees(row, k)) {
                    t.true_pos += 1;
                } else if std::env::var("CUNZHENG_VERBOSE").is_ok() {
                    let live = key.iter().any(|k| !k.deleted && agrees(row, k));
                    println!(
                        "    {} false positive ({}): {}",
                        db.display(),
                        if live { "a live row" } else { "no key row" },
                        serde_json::to_string(row).unwrap_or_default()
                    );
                }
            }
        }
    }
    out
}

fn print(title: &str, m: &BTreeMap<String, Tally>) -> Tally {
    println!("{title}");
    println!(
        "{:<6} {:>4} {:>8} {:>8} {:>7} {:>7} {:>7} {:>9} {:>7} {:>9}",
        "folder",
        "dbs",
        "bad key",
        "deleted",
        "whole",
        "partial",
        "recall",
        "recovered",
        "true",
        "precision"
    );
    let mut all = Tally::default();
    for (cat, t) in m {
        println!(
            "{cat:<6} {:>4} {:>8} {:>8} {:>7} {:>7} {:>7.3} {:>9} {:>7} {:>9.3}",
            t.dbs,
            t.bad_keys,
            t.deleted,
            t.found_whole,
            t.found_partial,
            t.recall(),
            t.recovered,
            t.true_pos,
            t.precision()
        );
        all.dbs += t.dbs;
        all.bad_keys += t.bad_keys;
        all.failed += t.failed;
        all.deleted += t.deleted;
        all.found_whole += t.found_whole;
        all.found_partial += t.found_partial;
        all.recovered += t.recovered;
        all.true_pos += t.true_pos;
    }
    println!(
        "{:<6} {:>4} {:>8} {:>8} {:>7} {:>7} {:>7.3} {:>9} {:>7} {:>9.3}",
        "all",
        all.dbs,
        all.bad_keys,
        all.deleted,
        all.found_whole,
        all.found_partial,
        all.recall(),
        all.recovered,
        all.true_pos,
        all.precision()
    );
    all
}

#[test]
fn forensic_corpus_subset_in_repo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sqlite-forensic");
    let m = score(&root);
    let all = print("SQLite Forensic Corpus, subset in tests/data", &m);
    assert_eq!(all.failed, 0, "every database opens");
    assert_eq!(all.bad_keys, 0, "the copied keys are well-formed");
    // What is measured (see docs/sqlite-recovery.md), as bars against regressions.
    let c = &m["0C"];
    assert_eq!(c.deleted, 101);
    assert!(c.recall() >= 0.66, "0C recall {:.3}", c.recall());
    assert!(c.precision() >= 0.93, "0C precision {:.3}", c.precision());
    assert_eq!(m["07"].found_whole, 1);
}

#[test]
fn forensic_corpus_full_set() {
    let shared = std::env::var("CUNZHENG_SHARED").unwrap_or_else(|_| "/work/shared".into());
    let root = Path::new(&shared).join("sqlite-forensic-corpus/sqlite_forensic_corpus_v2.0");
    if !root.is_dir() {
        println!("skipped: {} is not present", root.display());
        return;
    }
    let m = score(&root);
    let all = print("SQLite Forensic Corpus v2.0, folders 01-0C", &m);
    assert_eq!(all.failed, 0, "every database opens");
    assert!(
        all.bad_keys <= 2,
        "two keys of the corpus are known to be ill-formed"
    );
}
