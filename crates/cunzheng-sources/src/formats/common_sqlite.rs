//! Reading SQLite evidence: opened read-only and immutable, schema read from `sqlite_master`,
//! cells read leniently (a column declared INTEGER may hold text in a damaged or upgraded
//! database, and one type-confused cell must not lose the row).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::source::{Input, MAX_RECORD, SourceError};

/// The first 16 bytes of every SQLite 3 database file.
pub(crate) const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether `head` starts like an SQLite 3 database.
pub(crate) fn is_sqlite(head: &[u8]) -> bool {
    head.starts_with(SQLITE_MAGIC)
}

/// `file:` URI for `path` with `mode=ro&immutable=1`: SQLite then neither writes nor creates
/// anything (no `-wal`/`-shm` beside the evidence) and does not read a `-wal` file either.
fn uri(path: &Path) -> String {
    let raw = path.to_string_lossy();
    let mut out = String::from("file:");
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

/// Opens `path` read-only and immutable, with values longer than [`MAX_RECORD`] refused by
/// SQLite itself (the row then fails alone and becomes an `Unparsed` record).
pub(crate) fn open(path: &Path) -> Result<Connection, SourceError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri(path), flags).map_err(|e| SourceError::Format {
        location: "database header".into(),
        message: format!("cannot open as SQLite: {e}"),
    })?;
    limit(&conn);
    Ok(conn)
}

/// A database open for reading, and the scratch folder of the copy it was opened from when
/// its write-ahead log was applied.
pub(crate) struct Db {
    conn: Connection,
    _scratch: Option<tempfile::TempDir>,
    /// How it was read, for a reader of the parse (the log applied, or why not).
    pub(crate) note: Option<String>,
}

impl std::ops::Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// Opens the database of `input` as the app last saw it: with the committed transactions of
/// its write-ahead log ([`Input::wal`]) applied, else the file alone, read-only and immutable.
///
/// SQLite applies a log only to a database it may write (it keeps a `-shm` index beside it),
/// and evidence is never opened that way: the database and its log are copied to a scratch
/// folder and the copy is opened. SQLite then applies the frames of transactions that were
/// committed and whose checksums hold, as the app would have on its next start. When that
/// fails the file alone is read, and the note says why.
pub(crate) fn open_input(input: &Input) -> Result<Db, SourceError> {
    let Some(wal) = &input.wal else {
        return Ok(Db {
            conn: open(&input.path)?,
            _scratch: None,
            note: None,
        });
    };
    match open_with_wal(&input.path, wal) {
        Ok((conn, dir)) => Ok(Db {
            conn,
            _scratch: Some(dir),
            note: Some(
                "read with its write-ahead log: the log's committed transactions applied, as \
                 the app saw the database"
                    .into(),
            ),
        }),
        Err(e) => Ok(Db {
            conn: open(&input.path)?,
            _scratch: None,
            note: Some(format!(
                "its write-ahead log could not be applied ({e}); the database file alone was read"
            )),
        }),
    }
}

/// Copies `db` and `wal` into a new scratch folder as `db` and `db-wal`; returns the folder
/// and the copy of the database.
pub(crate) fn scratch_with_wal(
    db: &Path,
    wal: &Path,
) -> std::io::Result<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("db");
    std::fs::copy(db, &copy)?;
    std::fs::copy(wal, dir.path().join("db-wal"))?;
    Ok((dir, copy))
}

fn open_with_wal(db: &Path, wal: &Path) -> Result<(Connection, tempfile::TempDir), String> {
    let (dir, copy) = scratch_with_wal(db, wal).map_err(|e| format!("copying it: {e}"))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&copy, flags).map_err(|e| e.to_string())?;
    limit(&conn);
    // The log is read here, not at the first query of a parser.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(|e| e.to_string())?;
    Ok((conn, dir))
}

/// Limits and settings every evidence connection gets.
fn limit(conn: &Connection) {
    let cap = i32::try_from(MAX_RECORD).unwrap_or(i32::MAX);
    let _ = conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, cap);
    // Plans must not depend on bound values: otherwise SQLite re-prepares a per-message
    // statement at every bind (seen as most of the time on a 500 000-message chat.db).
    let _ = conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    );
}

/// Tables and their columns, names lower-cased.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    tables: HashMap<String, HashSet<String>>,
}

impl Schema {
    /// Reads every table's columns.
    pub(crate) fn read(conn: &Connection) -> Result<Self, SourceError> {
        let err = |e: rusqlite::Error| SourceError::Format {
            location: "table sqlite_master".into(),
            message: format!("cannot read the schema: {e}"),
        };
        let mut names = Vec::new();
        {
            let mut st = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                .map_err(err)?;
            let mut rows = st.query([]).map_err(err)?;
            while let Some(row) = rows.next().map_err(err)? {
                if let ValueRef::Text(t) = row.get_ref(0).map_err(err)? {
                    names.push(String::from_utf8_lossy(t).into_owned());
                }
            }
        }
        let mut tables = HashMap::new();
        for name in names {
            let mut cols = HashSet::new();
            // A virtual table whose module is missing fails here; it is skipped, not fatal.
            if let Ok(mut st) = conn.prepare("SELECT name FROM pragma_table_info(?1)")
                && let Ok(mut rows) = st.query([&name])
            {
                while let Ok(Some(row)) = rows.next() {
                    if let Ok(ValueRef::Text(t)) = row.get_ref(0) {
                        cols.insert(String::from_utf8_lossy(t).to_lowercase());
                    }
                }
            }
            tables.insert(name.to_lowercase(), cols);
        }
        Ok(Self { tables })
    }

    /// Opens the input and reads its schema, for sniffing: `None` unless it is SQLite.
    pub(crate) fn sniff(input: &Input) -> Option<Self> {
        if !is_sqlite(&input.head) {
            return None;
        }
        let conn = open(&input.path).ok()?;
        Self::read(&conn).ok()
    }

    /// Whether the table exists.
    pub(crate) fn has_table(&self, table: &str) -> bool {
        self.tables.contains_key(&table.to_lowercase())
    }

    /// Whether the table exists and has the column.
    pub(crate) fn has(&self, table: &str, column: &str) -> bool {
        self.tables
            .get(&table.to_lowercase())
            .is_some_and(|c| c.contains(&column.to_lowercase()))
    }

    /// `"table"."column"` when present, else `NULL`: builds SELECT lists over schemas that
    /// differ between OS versions without failing on a missing optional column.
    pub(crate) fn col(&self, table: &str, column: &str) -> String {
        if self.has(table, column) {
            format!("\"{table}\".\"{column}\"")
        } else {
            "NULL".into()
        }
    }
}

/// One cell, read without trusting the declared column type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text (lossily decoded if it was not UTF-8).
    Text(String),
    /// A blob.
    Blob(Vec<u8>),
}

impl Cell {
    /// Reads column `idx` of `row`; an unreadable cell is `Null`.
    pub(crate) fn get(row: &rusqlite::Row<'_>, idx: usize) -> Self {
        match row.get_ref(idx) {
            Ok(ValueRef::Null) | Err(_) => Self::Null,
            Ok(ValueRef::Integer(i)) => Self::Int(i),
            Ok(ValueRef::Real(f)) => Self::Real(f),
            Ok(ValueRef::Text(t)) => Self::Text(String::from_utf8_lossy(t).into_owned()),
            Ok(ValueRef::Blob(b)) => Self::Blob(b.to_vec()),
        }
    }

    /// The value as an integer: integers, integral floats and numeric text.
    pub(crate) fn int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            Self::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(*f as i64),
            Self::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as text (numbers formatted, blobs lossily decoded); `None` for NULL.
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Self::Null => None,
            Self::Int(i) => Some(i.to_string()),
            Self::Real(f) => Some(f.to_string()),
            Self::Text(t) => Some(t.clone()),
            Self::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        }
    }

    /// Non-empty text, treating the literal `null` some writers store as absent.
    pub(crate) fn some_text(&self) -> Option<String> {
        self.text().filter(|t| !t.is_empty() && t != "null")
    }

    /// The raw value as text, for [`cunzheng_model::MsgTime::raw`] and `extra`.
    pub(crate) fn raw(&self) -> String {
        match self {
            Self::Null => "NULL".into(),
            Self::Blob(b) => format!("x'{}'", hex::encode(&b[..b.len().min(64)])),
            other => other.text().unwrap_or_default(),
        }
    }

    /// The value as JSON for `extra`.
    pub(crate) fn json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Int(i) => (*i).into(),
            Self::Real(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Self::Text(t) => t.clone().into(),
            Self::Blob(_) => self.raw().into(),
        }
    }
}

/// Most unreadable rows one table may have before the rest of it is reported unread.
const MAX_BAD_ROWS: usize = 10_000;

/// Reads `select` (a column list, may use subqueries) from `table` in rowid order, calling
/// `row` with each rowid and row. A row SQLite cannot read (a corrupt page, a value over the
/// length cap) goes to `bad` with its rowid and reading resumes after it; `bad(None, …)`
/// means the rest of the table could not be read.
pub(crate) fn each_row(
    conn: &Connection,
    table: &str,
    select: &str,
    mut row: impl FnMut(i64, &rusqlite::Row<'_>),
    mut bad: impl FnMut(Option<i64>, String),
) -> Result<(), SourceError> {
    let err = |e: rusqlite::Error| SourceError::Format {
        location: format!("table {table}"),
        message: e.to_string(),
    };
    let t = format!("\"{table}\"");
    let mut first = conn
        .prepare(&format!(
            "SELECT {t}.rowid, {select} FROM {t} ORDER BY {t}.rowid"
        ))
        .map_err(err)?;
    let mut resume = conn
        .prepare(&format!(
            "SELECT {t}.rowid, {select} FROM {t} WHERE {t}.rowid > ?1 ORDER BY {t}.rowid"
        ))
        .map_err(err)?;
    let next_sql = format!("SELECT rowid FROM {t} WHERE rowid > ?1 ORDER BY rowid LIMIT 1");
    let mut after: Option<i64> = None;
    let mut bad_rows = 0usize;
    // A damaged b-tree can hand rows back out of order, or again after a seek: such rows
    // are counted and reported once, never read twice.
    let mut repeated = 0usize;
    let mut repeated_range: Option<(i64, i64)> = None;
    let report_repeated = |bad: &mut dyn FnMut(Option<i64>, String),
                           n: usize,
                           r: Option<(i64, i64)>| {
        if let Some((lo, hi)) = r {
            bad(
                None,
                format!(
                    "{n} rows of table {table} (rowids {lo}..={hi}) came back out of rowid order \
                     (damaged b-tree) and were not read again"
                ),
            );
        }
    };
    loop {
        let mut rows = match after {
            None => first.query([]),
            Some(a) => resume.query([a]),
        }
        .map_err(err)?;
        let failure = loop {
            match rows.next() {
                Ok(Some(r)) => {
                    let id = Cell::get(r, 0).int().unwrap_or(0);
                    if after.is_some_and(|a| id <= a) {
                        repeated += 1;
                        repeated_range = Some(
                            repeated_range.map_or((id, id), |(lo, hi)| (lo.min(id), hi.max(id))),
                        );
                        if repeated >= MAX_BAD_ROWS {
                            report_repeated(&mut bad, repeated, repeated_range);
                            bad(None, format!("the rest of table {table} was not read"));
                            return Ok(());
                        }
                        continue;
                    }
                    after = Some(id);
                    row(id, r);
                }
                Ok(None) => {
                    report_repeated(&mut bad, repeated, repeated_range);
                    return Ok(());
                }
                Err(e) => break e,
            }
        };
        drop(rows);
        let from = after.unwrap_or(i64::MIN);
        match conn.query_row(&next_sql, [from], |r| r.get::<_, i64>(0)) {
            Ok(id) if after.is_none_or(|a| id > a) => {
                bad(Some(id), failure.to_string());
                after = Some(id);
                bad_rows += 1;
                if bad_rows >= MAX_BAD_ROWS {
                    report_repeated(&mut bad, repeated, repeated_range);
                    bad(
                        None,
                        format!(
                            "{bad_rows} unreadable rows; the rest of table {table} was not read"
                        ),
                    );
                    return Ok(());
                }
            }
            _ => {
                report_repeated(&mut bad, repeated, repeated_range);
                bad(
                    None,
                    format!("table {table} unreadable after rowid {from}: {failure}"),
                );
                return Ok(());
            }
        }
    }
}

/// Warnings about how the database was read: with its write-ahead log or not, and a header
/// saying the database is in WAL mode when no log came with it.
pub(crate) fn wal_warnings(input: &Input, db: &Db) -> Vec<String> {
    let mut out: Vec<String> = db.note.iter().cloned().collect();
    // Header bytes 18 and 19 are the write and read format versions; 2 means WAL.
    if input.wal.is_none() && (input.head.get(18) == Some(&2) || input.head.get(19) == Some(&2)) {
        out.push(
            "database header says WAL mode and no write-ahead log (NAME-wal) came with it: \
             rows only in the log, if there was one, are missing; preserve the -wal file with \
             the database"
                .to_owned(),
        );
    }
    out
}

/// Deleted rows of `table` that `cunzheng-sqlite` recovers from the file's free space, each
/// with its cells in the order of `cols` (a column the table lacks, or that could not be
/// recovered, is `Null`). A rowid-alias column holds the rowid when it was recovered.
/// A recovery that fails is a warning, never an error of the parse.
pub(crate) fn recovered_rows(
    input: &Input,
    table: &str,
    cols: &[&str],
    sink: &mut dyn crate::source::Sink,
    parser: &str,
) -> Vec<(cunzheng_sqlite::RecoveredRow, Vec<Cell>)> {
    let rec = match recover(input) {
        Ok(r) => r,
        Err(e) => {
            sink.warning(format!("{parser}: deleted rows not recovered: {e}"));
            return Vec::new();
        }
    };
    let Some(t) = rec
        .tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(table))
    else {
        return Vec::new();
    };
    let idx: Vec<Option<usize>> = cols
        .iter()
        .map(|c| t.columns.iter().position(|x| x.eq_ignore_ascii_case(c)))
        .collect();
    let blob = |i: usize| {
        t.declared_types
            .get(i)
            .is_some_and(|d| d.to_ascii_uppercase().contains("BLOB"))
    };
    rec.rows
        .into_iter()
        .filter(|r| r.table.eq_ignore_ascii_case(table))
        .map(|r| {
            let cells = idx
                .iter()
                .map(|i| match i.and_then(|i| r.values.get(i).map(|v| (i, v))) {
                    Some((_, serde_json::Value::Number(n))) => match n.as_i64() {
                        Some(i) => Cell::Int(i),
                        None => Cell::Real(n.as_f64().unwrap_or(0.0)),
                    },
                    Some((i, serde_json::Value::String(s))) if blob(i) => {
                        hex::decode(s).map_or_else(|_| Cell::Text(s.clone()), Cell::Blob)
                    }
                    Some((_, serde_json::Value::String(s))) => Cell::Text(s.clone()),
                    _ => Cell::Null,
                })
                .collect();
            (r, cells)
        })
        .collect()
}

/// Deleted rows of the whole database, from its free space and from the older page images in
/// its write-ahead log and rollback journal when they came with it.
pub(crate) fn recover(input: &Input) -> cunzheng_sqlite::Result<cunzheng_sqlite::Recovery> {
    cunzheng_sqlite::recover(&input.path, input.wal.as_deref(), input.journal.as_deref())
}

/// Turns a message built from recovered cells into a recovered one: flag, a unique id, page
/// provenance, and how it was recovered in `extra`.
pub(crate) fn mark_recovered(
    m: &mut cunzheng_model::Message,
    r: &cunzheng_sqlite::RecoveredRow,
    input: &crate::source::Input,
    parser: &str,
    columns: &[&str],
) {
    m.recovered = true;
    m.extra
        .as_object_mut()
        .map(|e| {
            e.insert("recovered_source".into(), r.source.to_string().into());
            e.insert("recovered_confidence".into(), r.confidence.into());
            e.insert("source_id".into(), m.id.clone().into());
            if !r.missing.is_empty() {
                let names: Vec<serde_json::Value> = r
                    .missing
                    .iter()
                    .filter_map(|&i| columns.get(i).map(|c| (*c).into()))
                    .collect();
                e.insert("recovered_missing".into(), names.into());
            }
        })
        .unwrap_or_default();
    m.id = format!("recovered:{}:{}", r.page, r.offset);
    m.provenance = input.provenance(
        parser,
        cunzheng_model::Location::Page {
            source: r.source.to_string(),
            page: u64::from(r.page),
            offset: r.offset as u64,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_reserved_characters() {
        assert_eq!(
            uri(Path::new("/tmp/a b/x?y#z%.db")),
            "file:/tmp/a%20b/x%3Fy%23z%25.db?mode=ro&immutable=1"
        );
    }

    #[test]
    fn cells_are_lenient() {
        assert_eq!(Cell::Text(" 12 ".into()).int(), Some(12));
        assert_eq!(Cell::Text("trash\n".into()).int(), None);
        assert_eq!(Cell::Real(3.0).int(), Some(3));
        assert_eq!(Cell::Text("null".into()).some_text(), None);
        assert_eq!(Cell::Blob(vec![1, 2]).raw(), "x'0102'");
    }

    #[test]
    fn open_does_not_create_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("evidence.db");
        {
            let c = Connection::open(&path).expect("create");
            c.execute_batch(
                "PRAGMA journal_mode=WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1);",
            )
            .expect("fill");
        }
        let before: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        let conn = open(&path).expect("open");
        let schema = Schema::read(&conn).expect("schema");
        assert!(schema.has("t", "a"));
        assert_eq!(schema.col("t", "b"), "NULL");
        assert!(conn.execute("INSERT INTO t VALUES (2)", []).is_err());
        drop(conn);
        let after: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(before, after);
    }
}
