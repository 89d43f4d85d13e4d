//! Ground truth built here with the real SQLite (rusqlite): databases in the settings phones
//! use, rows inserted and deleted in known patterns, then recall and precision of the deleted
//! rows `recover` finds.
//!
//! "Intact" deleted record: every byte of its record body (the column values) still occurs
//! in the evidence files (checked by 32-byte windows at a 16-byte stride over each piece of
//! the payload: the on-page part and each overflow-page part). The rowid is not part of the
//! body: a freeblock header overwrites the cell prefix that holds it, so a recovered row may
//! list its INTEGER PRIMARY KEY column as missing and still count.

use cunzheng_sqlite::read::btree::local_size;
use cunzheng_sqlite::read::header::TextEncoding;
use cunzheng_sqlite::read::record::Value;
use cunzheng_sqlite::{RecoveredRow, recover};
use rusqlite::Connection;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Delete,
    Wal,
    Persist,
}

#[derive(Clone, Copy, Debug)]
struct Setting {
    mode: Mode,
    vacuum: &'static str,
    secure: bool,
    page_size: u32,
    enc: TextEncoding,
}

impl Setting {
    fn label(&self) -> String {
        format!(
            "{:?}/{}/secure_delete={}/{}/{:?}",
            self.mode,
            self.vacuum,
            if self.secure { "ON" } else { "OFF" },
            self.page_size,
            self.enc
        )
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PHRASES: &[&str] = &[
    "您好，我是客服，您的订单出现异常",
    "请把验证码发给我",
    "transfer to the safe account now",
    "投资平台收益稳定，每天返利",
    "好的",
    "明天见",
    "刷单任务完成后立即返款",
    "ok 👍",
    "公安局通知：您的账户涉嫌洗钱",
    "lunch?",
];

/// message: like WeChat's (INTEGER PRIMARY KEY first); contact: no rowid alias.
const SCHEMA: &str = "CREATE TABLE message(msgId INTEGER PRIMARY KEY, msgSvrId INTEGER, type INT, \
    isSend INT, createTime INTEGER, talker TEXT, content TEXT, amount REAL, thumb BLOB);
    CREATE TABLE contact(username TEXT, nickname TEXT, conRemark TEXT, type INTEGER);
    CREATE INDEX message_talker ON message(talker);";

fn message_row(rng: &mut Rng, id: i64, page_size: u32) -> Vec<Value> {
    let mut content = String::new();
    let long = rng.below(15) == 0;
    let target = if long {
        page_size as usize * 3 / 2 + rng.below(500) as usize
    } else {
        20 + rng.below(120) as usize
    };
    while content.len() < target {
        content.push_str(PHRASES[rng.below(PHRASES.len() as u64) as usize]);
        // A marker unique to this message, so that the intactness check cannot be
        // satisfied by another message made of the same phrases.
        content.push_str(&format!(" #{id}.{} ", content.len()));
    }
    let thumb = if rng.below(3) == 0 {
        Value::Null
    } else {
        Value::Blob((0..(1 + rng.below(40))).map(|_| rng.next() as u8).collect())
    };
    vec![
        Value::Integer(id),
        Value::Integer(6_000_000_000_000_000_000 + rng.below(1 << 40) as i64),
        Value::Integer([1, 3, 34, 49, 10000][rng.below(5) as usize]),
        Value::Integer(rng.below(2) as i64),
        Value::Integer(1_700_000_000_000 + rng.below(10_000_000_000) as i64),
        Value::Text(format!("wxid_{:08x}", rng.below(1 << 32))),
        Value::Text(content),
        if rng.below(4) == 0 {
            Value::Real(rng.below(1_000_000) as f64 / 100.0 + 0.25)
        } else {
            Value::Null
        },
        thumb,
    ]
}

fn contact_row(rng: &mut Rng, i: u64) -> Vec<Value> {
    vec![
        Value::Text(format!("wxid_contact_{i}_{:06x}", rng.below(1 << 24))),
        Value::Text(format!("{} 昵称{}", PHRASES[rng.below(10) as usize], i)),
        if rng.below(2) == 0 {
            Value::Null
        } else {
            Value::Text(format!("备注 remark {i}"))
        },
        Value::Integer(rng.below(100) as i64),
    ]
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Integer(i) => rusqlite::types::Value::Integer(*i),
        Value::Real(f) => rusqlite::types::Value::Real(*f),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

/// The record (header + body) SQLite writes for these values, and the header length.
fn record(values: &[Value], enc: TextEncoding, alias: Option<usize>) -> (Vec<u8>, usize) {
    let mut types = Vec::new();
    let mut body = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if Some(i) == alias {
            types.push(0u64);
            continue;
        }
        match v {
            Value::Null => types.push(0),
            Value::Integer(0) => types.push(8),
            Value::Integer(1) => types.push(9),
            Value::Integer(n) => {
                let (t, len) = match *n {
                    -128..=127 => (1, 1),
                    -32768..=32767 => (2, 2),
                    -8_388_608..=8_388_607 => (3, 3),
                    -2_147_483_648..=2_147_483_647 => (4, 4),
                    -140_737_488_355_328..=140_737_488_355_327 => (5, 6),
                    _ => (6, 8),
                };
                types.push(t);
                body.extend_from_slice(&n.to_be_bytes()[8 - len..]);
            }
            Value::Real(f) => {
                types.push(7);
                body.extend_from_slice(&f.to_be_bytes());
            }
            Value::Text(s) => {
                let b: Vec<u8> = match enc {
                    TextEncoding::Utf8 => s.as_bytes().to_vec(),
                    TextEncoding::Utf16le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                    TextEncoding::Utf16be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
                };
                types.push(13 + 2 * b.len() as u64);
                body.extend_from_slice(&b);
            }
            Value::Blob(b) => {
                types.push(12 + 2 * b.len() as u64);
                body.extend_from_slice(b);
            }
        }
    }
    let mut hdr = Vec::new();
    for t in types {
        hdr.extend(varint(t));
    }
    let mut hl = hdr.len() + 1;
    if hl >= 128 {
        hl += 1;
    }
    let mut rec = varint(hl as u64);
    rec.extend(hdr);
    rec.extend(body);
    (rec, hl)
}

fn varint(v: u64) -> Vec<u8> {
    let n = cunzheng_sqlite::reader::varint_len(v);
    (0..n)
        .map(|i| {
            let b = ((v >> (7 * (n - 1 - i))) & 0x7f) as u8;
            if i + 1 < n { b | 0x80 } else { b }
        })
        .collect()
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
    })
}

const W: usize = 32;

struct Haystack(HashSet<u64>);
impl Haystack {
    fn new(files: &[PathBuf]) -> Haystack {
        let mut set = HashSet::new();
        for f in files {
            let Ok(b) = std::fs::read(f) else { continue };
            for w in b.windows(W) {
                set.insert(fnv(w));
            }
        }
        Haystack(set)
    }
    fn contains(&self, piece: &[u8]) -> bool {
        if piece.len() < W {
            // Too short to check by windows: counted as present (bodies here are longer).
            return true;
        }
        let mut i = 0;
        loop {
            let s = i.min(piece.len() - W);
            if !self.0.contains(&fnv(&piece[s..s + W])) {
                return false;
            }
            if s == piece.len() - W {
                return true;
            }
            i += W / 2;
        }
    }
}

/// Whether the record body of a row survives, piece by piece (on-page part, overflow parts).
fn intact(
    hay: &Haystack,
    values: &[Value],
    enc: TextEncoding,
    alias: Option<usize>,
    usable: u32,
) -> bool {
    let (rec, hl) = record(values, enc, alias);
    let local = local_size(true, usable, rec.len() as u64);
    let mut pieces = vec![&rec[hl.min(local)..local]];
    let mut pos = local;
    while pos < rec.len() {
        let end = (pos + usable as usize - 4).min(rec.len());
        pieces.push(&rec[pos..end]);
        pos = end;
    }
    pieces.iter().all(|p| hay.contains(p))
}

struct Truth {
    table: &'static str,
    values: Vec<serde_json::Value>,
    alias: Option<usize>,
    intact: bool,
}

fn matches(t: &Truth, r: &RecoveredRow) -> bool {
    r.table == t.table
        && r.values.len() == t.values.len()
        && r.missing.iter().all(|&m| Some(m) == t.alias)
        && r.values
            .iter()
            .zip(&t.values)
            .enumerate()
            .all(|(i, (a, b))| r.missing.contains(&i) || a == b)
}

/// A correct partial recovery: every value it gives is right (used for precision).
fn matches_partial(t: &Truth, r: &RecoveredRow) -> bool {
    r.table == t.table
        && r.values.len() == t.values.len()
        && r.values
            .iter()
            .zip(&t.values)
            .enumerate()
            .all(|(i, (a, b))| r.missing.contains(&i) || a == b)
}

#[derive(Debug, Default)]
struct Score {
    deleted: usize,
    intact: usize,
    found_intact: usize,
    found_all: usize,
    recovered: usize,
    true_pos: usize,
    rowid_known: usize,
}

impl Score {
    fn recall_intact(&self) -> f64 {
        if self.intact == 0 {
            1.0
        } else {
            self.found_intact as f64 / self.intact as f64
        }
    }
    fn precision(&self) -> f64 {
        if self.recovered == 0 {
            1.0
        } else {
            self.true_pos as f64 / self.recovered as f64
        }
    }
}

type Built = (
    PathBuf,
    Option<PathBuf>,
    Option<PathBuf>,
    Vec<Truth>,
    u32,
    Vec<(&'static str, Vec<serde_json::Value>)>,
);

fn build(dir: &Path, s: Setting) -> Built {
    let path = dir.join("msg.db");
    let c = Connection::open(&path).expect("open");
    let enc = match s.enc {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Utf16le => "UTF-16le",
        TextEncoding::Utf16be => "UTF-16be",
    };
    let mode = match s.mode {
        Mode::Delete => "DELETE",
        Mode::Wal => "WAL",
        Mode::Persist => "PERSIST",
    };
    c.execute_batch(&format!(
        "PRAGMA page_size={}; PRAGMA auto_vacuum={}; PRAGMA encoding='{enc}'; \
         PRAGMA secure_delete={}; PRAGMA journal_mode={mode};",
        s.page_size,
        s.vacuum,
        if s.secure { "ON" } else { "OFF" },
    ))
    .expect("pragmas");
    c.execute_batch(SCHEMA).expect("schema");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ u64::from(s.page_size));
    let mut messages = Vec::new();
    let mut contacts = Vec::new();
    let insert = |c: &Connection, table: &str, row: &[Value]| {
        let q = if table == "message" {
            "INSERT INTO message VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"
        } else {
            "INSERT INTO contact VALUES (?1,?2,?3,?4)"
        };
        c.execute(q, rusqlite::params_from_iter(row.iter().map(to_sql)))
            .expect("insert");
    };
    // Phase 1: a history of messages and contacts.
    c.execute_batch("BEGIN").expect("begin");
    for id in 1..=400 {
        let row = message_row(&mut rng, id, s.page_size);
        insert(&c, "message", &row);
        messages.push(row);
    }
    for i in 0..60 {
        let row = contact_row(&mut rng, i);
        insert(&c, "contact", &row);
        contacts.push(row);
    }
    c.execute_batch("COMMIT").expect("commit");
    let mut deleted_ids: Vec<i64> = Vec::new();
    let mut deleted_contacts: Vec<usize> = Vec::new();
    // Phase 2: scattered deletes, one conversation, a contiguous range, every long message.
    for id in (3..=400).step_by(7) {
        deleted_ids.push(id);
    }
    deleted_ids.extend(150..=170);
    let victim = match &messages[10][5] {
        Value::Text(t) => t.clone(),
        _ => unreachable!(),
    };
    for (i, m) in messages.iter().enumerate() {
        if m[5] == Value::Text(victim.clone()) || matches!(&m[6], Value::Text(t) if t.len() > 1000)
        {
            deleted_ids.push(i as i64 + 1);
        }
    }
    deleted_ids.sort_unstable();
    deleted_ids.dedup();
    c.execute_batch("BEGIN").expect("begin");
    for id in &deleted_ids {
        c.execute("DELETE FROM message WHERE msgId = ?1", [id])
            .expect("delete");
    }
    for i in (0..60).step_by(5) {
        c.execute("DELETE FROM contact WHERE rowid = ?1", [i as i64 + 1])
            .expect("delete");
        deleted_contacts.push(i);
    }
    c.execute_batch("COMMIT").expect("commit");
    if s.mode == Mode::Wal {
        c.execute_batch("PRAGMA wal_checkpoint(PASSIVE);")
            .expect("checkpoint");
    }
    // Phase 3: life goes on (reuses some free space), then one more deletion.
    for id in 401..=430 {
        let row = message_row(&mut rng, id, s.page_size);
        insert(&c, "message", &row);
        messages.push(row);
    }
    for id in [405i64, 406, 20, 21] {
        if !deleted_ids.contains(&id) {
            c.execute("DELETE FROM message WHERE msgId = ?1", [id])
                .expect("delete");
            deleted_ids.push(id);
        }
    }
    if s.vacuum == "INCREMENTAL" {
        c.execute_batch("PRAGMA incremental_vacuum(5);")
            .expect("incremental vacuum");
    }
    let usable = s.page_size;
    // Copy the evidence while the connection is open (as an acquisition of a running phone).
    let out = dir.join("evidence");
    std::fs::create_dir_all(&out).expect("dir");
    let db = out.join("msg.db");
    let (wal, journal) = match s.mode {
        Mode::Wal => {
            std::fs::copy(&path, &db).expect("copy");
            let w = out.join("msg.db-wal");
            std::fs::copy(dir.join("msg.db-wal"), &w).expect("copy wal");
            (Some(w), None)
        }
        Mode::Persist => {
            drop(c);
            std::fs::copy(&path, &db).expect("copy");
            let j = out.join("msg.db-journal");
            std::fs::copy(dir.join("msg.db-journal"), &j).expect("copy journal");
            (None, Some(j))
        }
        Mode::Delete => {
            drop(c);
            std::fs::copy(&path, &db).expect("copy");
            (None, None)
        }
    };
    let files: Vec<PathBuf> = [Some(db.clone()), wal.clone(), journal.clone()]
        .into_iter()
        .flatten()
        .collect();
    let hay = Haystack::new(&files);
    let mut truth = Vec::new();
    for id in &deleted_ids {
        let v = &messages[*id as usize - 1];
        truth.push(Truth {
            table: "message",
            values: v.iter().map(Value::to_json).collect(),
            alias: Some(0),
            intact: intact(&hay, v, s.enc, Some(0), usable),
        });
    }
    for i in &deleted_contacts {
        let v = &contacts[*i];
        truth.push(Truth {
            table: "contact",
            values: v.iter().map(Value::to_json).collect(),
            alias: None,
            intact: intact(&hay, v, s.enc, None, usable),
        });
    }
    let all = messages
        .iter()
        .map(|m| ("message", m.iter().map(Value::to_json).collect()))
        .chain(
            contacts
                .iter()
                .map(|m| ("contact", m.iter().map(Value::to_json).collect())),
        )
        .collect();
    (db, wal, journal, truth, usable, all)
}

fn score(s: Setting) -> (Score, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, wal, journal, truth, _, all) = build(dir.path(), s);
    let r = recover(&db, wal.as_deref(), journal.as_deref()).expect("recover");
    if let Ok(keep) = std::env::var("CUNZHENG_KEEP") {
        // Debugging: keep the evidence and every recovered row.
        let to = Path::new(&keep);
        std::fs::create_dir_all(to).expect("keep dir");
        for f in [Some(&db), wal.as_ref(), journal.as_ref()]
            .into_iter()
            .flatten()
        {
            std::fs::copy(f, to.join(f.file_name().expect("name"))).expect("keep");
        }
        let rows: Vec<String> = r
            .rows
            .iter()
            .map(|x| serde_json::to_string(x).unwrap_or_default())
            .collect();
        std::fs::write(to.join("rows.jsonl"), rows.join("\n")).expect("keep rows");
    }
    let mut sc = Score {
        deleted: truth.len(),
        intact: truth.iter().filter(|t| t.intact).count(),
        recovered: r.rows.len(),
        ..Score::default()
    };
    let mut notes = Vec::new();
    for t in &truth {
        let hits: Vec<&RecoveredRow> = r.rows.iter().filter(|row| matches(t, row)).collect();
        if !hits.is_empty() {
            sc.found_all += 1;
            if t.intact {
                sc.found_intact += 1;
            }
            if hits.iter().any(|h| h.missing.is_empty()) {
                sc.rowid_known += 1;
            }
        } else if t.intact {
            notes.push(format!(
                "missed intact {} {}",
                t.table,
                serde_json::Value::from(t.values.clone())
            ));
        }
    }
    for row in &r.rows {
        if truth.iter().any(|t| matches_partial(t, row)) {
            sc.true_pos += 1;
        } else {
            // The original row it is closest to, and the columns that differ.
            let near = all
                .iter()
                .filter(|(t, v)| *t == row.table && v.len() == row.values.len())
                .map(|(_, v)| {
                    let diff: Vec<usize> = (0..v.len())
                        .filter(|&i| !row.missing.contains(&i) && row.values[i] != v[i])
                        .collect();
                    (diff, v)
                })
                .min_by_key(|(d, _)| d.len());
            let near = near.map(|(d, v)| {
                let deleted = truth.iter().any(|t| &t.values == v);
                format!(
                    "nearest {} row {} differs in {d:?}",
                    if deleted { "deleted" } else { "live" },
                    v.first().map(|x| x.to_string()).unwrap_or_default()
                )
            });
            notes.push(format!(
                "false positive [{}] {}",
                near.unwrap_or_default(),
                serde_json::to_string(row).unwrap_or_default()
            ));
        }
    }
    (sc, notes)
}

fn matrix() -> Vec<Setting> {
    let mut out = Vec::new();
    for mode in [Mode::Delete, Mode::Wal] {
        for vacuum in ["NONE", "FULL", "INCREMENTAL"] {
            for secure in [false, true] {
                for page_size in [1024, 4096, 65536] {
                    out.push(Setting {
                        mode,
                        vacuum,
                        secure,
                        page_size,
                        enc: TextEncoding::Utf8,
                    });
                }
            }
        }
    }
    for page_size in [2048, 8192, 16384, 32768] {
        out.push(Setting {
            mode: Mode::Delete,
            vacuum: "NONE",
            secure: false,
            page_size,
            enc: TextEncoding::Utf8,
        });
    }
    for enc in [TextEncoding::Utf16le, TextEncoding::Utf16be] {
        for mode in [Mode::Delete, Mode::Wal] {
            out.push(Setting {
                mode,
                vacuum: "NONE",
                secure: false,
                page_size: 4096,
                enc,
            });
        }
    }
    out.push(Setting {
        mode: Mode::Persist,
        vacuum: "NONE",
        secure: false,
        page_size: 4096,
        enc: TextEncoding::Utf8,
    });
    out.push(Setting {
        mode: Mode::Persist,
        vacuum: "NONE",
        secure: true,
        page_size: 4096,
        enc: TextEncoding::Utf8,
    });
    out
}

#[test]
fn recall_and_precision_per_setting() {
    let only = std::env::var("CUNZHENG_SETTING").ok();
    let mut failures = Vec::new();
    println!(
        "{:<58} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "setting", "deleted", "intact", "rec(int)", "rec(all)", "precision", "rowid"
    );
    for s in matrix() {
        let label = s.label();
        if only.as_deref().is_some_and(|o| !label.contains(o)) {
            continue;
        }
        let (sc, notes) = score(s);
        println!(
            "{label:<58} {:>7} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9}",
            sc.deleted,
            sc.intact,
            sc.recall_intact(),
            sc.found_all as f64 / sc.deleted as f64,
            sc.precision(),
            sc.rowid_known
        );
        for n in notes.iter().take(if only.is_some() { 50 } else { 3 }) {
            println!("    {}", n.chars().take(300).collect::<String>());
        }
        // Issue 4: with secure_delete OFF and no vacuum, recall of intact deleted records
        // and precision must both be 100%. Met in DELETE, WAL and PERSIST mode at every page
        // size and encoding (PERSIST: a long message whose overflow pages survive only in an
        // older transaction's stale journal records is read with that transaction's images).
        let strict = !s.secure && s.vacuum == "NONE";
        if strict && sc.recall_intact() < 1.0 {
            failures.push(format!(
                "{label}: recall of intact records {:.3}",
                sc.recall_intact()
            ));
        }
        if strict && sc.precision() < 1.0 {
            failures.push(format!("{label}: precision {:.3}", sc.precision()));
        }
        // With a vacuum or secure_delete, what is measured (see the table) is kept as a bar
        // against regressions.
        if !s.secure && sc.recall_intact() < 0.95 {
            failures.push(format!(
                "{label}: recall of intact records {:.3}",
                sc.recall_intact()
            ));
        }
        if sc.precision() < 0.92 {
            failures.push(format!("{label}: precision {:.3}", sc.precision()));
        }
    }
    assert!(failures.is_empty(), "settings below the bar: {failures:#?}");
}

#[test]
#[ignore]
fn debug_one() {
    let want = std::env::var("CUNZHENG_SETTING").unwrap_or_default();
    let Some(s) = matrix().into_iter().find(|s| s.label() == want) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, wal, journal, truth, usable, _) = build(dir.path(), s);
    let r = recover(&db, wal.as_deref(), journal.as_deref()).expect("recover");
    let files: Vec<PathBuf> = [Some(db.clone()), wal.clone(), journal.clone()]
        .into_iter()
        .flatten()
        .collect();
    for t in truth.iter().filter(|t| t.intact) {
        if r.rows.iter().any(|row| matches(t, row)) {
            continue;
        }
        let vals: Vec<Value> = t
            .values
            .iter()
            .map(|v| match v {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Number(n) if n.is_i64() => {
                    Value::Integer(n.as_i64().unwrap_or(0))
                }
                serde_json::Value::Number(n) => Value::Real(n.as_f64().unwrap_or(0.0)),
                serde_json::Value::String(x) => {
                    if t.table == "message" && t.values.len() == 9 && std::ptr::eq(v, &t.values[8])
                    {
                        Value::Blob(hex::decode(x).unwrap_or_default())
                    } else {
                        Value::Text(x.clone())
                    }
                }
                _ => Value::Null,
            })
            .collect();
        let (rec, hl) = record(&vals, s.enc, t.alias);
        let body = &rec[hl..hl + 24.min(rec.len() - hl)];
        println!(
            "MISSED {} {:?} rec_len={} hl={} usable={usable}",
            t.table,
            &t.values[..2],
            rec.len(),
            hl
        );
        for f in &files {
            let b = std::fs::read(f).unwrap_or_default();
            if let Some(p) = b.windows(body.len()).position(|w| w == body) {
                let pg = p / s.page_size as usize;
                println!(
                    "  in {} at {} (page {} off {}): before = {:02x?}",
                    f.display(),
                    p,
                    pg + 1,
                    p % s.page_size as usize,
                    &b[p.saturating_sub(hl + 6)..p]
                );
                println!("  expected header {:02x?}", &rec[..hl]);
                for row in r.rows.iter().filter(|row| row.page as usize == pg + 1) {
                    println!(
                        "    near: {} off {} src {} miss {:?} {}",
                        row.table,
                        row.offset,
                        row.source,
                        row.missing,
                        serde_json::to_string(&row.values)
                            .unwrap_or_default()
                            .chars()
                            .take(80)
                            .collect::<String>()
                    );
                }
            }
        }
    }
}
