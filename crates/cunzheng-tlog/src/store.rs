//! The SQLite layout of a log: entries (leaf hash, data, time), interior nodes of perfect
//! subtrees, every checkpoint signed, and a meta table naming the log.
//!
//! Durability: WAL mode with `synchronous=FULL`, so a commit returns only after the WAL is
//! fsync'd; with `NORMAL` a power cut could roll back a commit whose entries were already
//! acknowledged. Group commit (see [`crate::log`]) pays that fsync once per batch.

use crate::error::{Error, Result};
use crate::layout::NodeId;
use crate::tree::NodeSource;
use cunzheng_seal::merkle::Hash;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;

/// Version of the table layout below; stored in `meta`.
pub const LAYOUT_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
    idx INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    data BLOB NOT NULL,
    time_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_leaf ON entries(leaf);
CREATE TABLE IF NOT EXISTS nodes(
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY(level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints(
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    time_ms INTEGER NOT NULL,
    note TEXT NOT NULL
);
";

/// Opens (creating) a log database with the durability settings above.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(Error::sql("open"))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(Error::sql("busy_timeout"))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(Error::sql("journal_mode"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            reason: format!("could not switch to WAL mode (got {mode})"),
        });
    }
    conn.execute_batch("PRAGMA synchronous=FULL;")
        .map_err(Error::sql("synchronous"))?;
    conn.execute_batch(SCHEMA).map_err(Error::sql("schema"))?;
    Ok(conn)
}

/// Reads a meta value.
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(Error::sql("read meta"))
}

/// Checks that the database is this log's (or claims it when new).
pub fn claim(conn: &Connection, path: &Path, key: &str, want: &str) -> Result<()> {
    match meta(conn, key)? {
        Some(found) if found != want => Err(Error::WrongLog {
            path: path.to_owned(),
            found,
            wanted: want.to_owned(),
        }),
        Some(_) => Ok(()),
        None => {
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                params![key, want],
            )
            .map_err(Error::sql("write meta"))?;
            Ok(())
        }
    }
}

/// Number of entries.
pub fn size(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
            r.get(0)
        })
        .map_err(Error::sql("count entries"))?;
    Ok(n as u64)
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Leaf index.
    pub index: u64,
    /// Leaf hash.
    pub leaf: Hash,
    /// The entry bytes.
    pub data: Vec<u8>,
    /// When the log sequenced it (ms since the epoch).
    pub time_ms: u64,
}

fn hash_of(v: Vec<u8>, what: &str) -> Result<Hash> {
    v.try_into().map_err(|_| Error::Corrupt {
        path: Default::default(),
        reason: format!("{what} is not 32 bytes"),
    })
}

/// The first entry with this leaf hash.
pub fn entry_by_leaf(conn: &Connection, leaf: &Hash) -> Result<Option<Entry>> {
    let row = conn
        .prepare_cached(
            "SELECT idx, data, time_ms FROM entries WHERE leaf = ?1 ORDER BY idx LIMIT 1",
        )
        .and_then(|mut st| {
            st.query_row([&leaf[..]], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()
        })
        .map_err(Error::sql("find entry by leaf hash"))?;
    Ok(row.map(|(i, data, t)| Entry {
        index: i as u64,
        leaf: *leaf,
        data,
        time_ms: t as u64,
    }))
}

/// The entry at `index`.
pub fn entry_at(conn: &Connection, index: u64) -> Result<Option<Entry>> {
    let Ok(i) = i64::try_from(index) else {
        return Ok(None);
    };
    let row = conn
        .prepare_cached("SELECT leaf, data, time_ms FROM entries WHERE idx = ?1")
        .and_then(|mut st| {
            st.query_row([i], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()
        })
        .map_err(Error::sql("read entry"))?;
    row.map(|(leaf, data, t)| {
        Ok(Entry {
            index,
            leaf: hash_of(leaf, "leaf hash")?,
            data,
            time_ms: t as u64,
        })
    })
    .transpose()
}

/// The latest stored checkpoint note and its size.
pub fn latest_checkpoint(conn: &Connection) -> Result<Option<(u64, String)>> {
    conn.query_row(
        "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
    )
    .optional()
    .map_err(Error::sql("read latest checkpoint"))
}

/// Largest entry time (ms), 0 for an empty log.
pub fn last_time(conn: &Connection) -> Result<u64> {
    let t: i64 = conn
        .query_row(
            "SELECT COALESCE((SELECT time_ms FROM entries ORDER BY idx DESC LIMIT 1), 0)",
            [],
            |r| r.get(0),
        )
        .map_err(Error::sql("read last time"))?;
    Ok(t as u64)
}

/// Node reads over one connection.
pub struct Nodes<'c>(pub &'c Connection);

impl NodeSource for Nodes<'_> {
    type Error = Error;

    fn node(&mut self, id: NodeId) -> Result<Hash> {
        let index = i64::try_from(id.index)
            .map_err(|_| Error::NotFound(format!("node {}/{}", id.level, id.index)))?;
        let got: Option<Vec<u8>> = if id.level == 0 {
            self.0
                .prepare_cached("SELECT leaf FROM entries WHERE idx = ?1")
                .and_then(|mut st| st.query_row([index], |r| r.get(0)).optional())
        } else {
            self.0
                .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
                .and_then(|mut st| {
                    st.query_row(params![id.level, index], |r| r.get(0))
                        .optional()
                })
        }
        .map_err(Error::sql("read tree node"))?;
        match got {
            Some(v) => hash_of(v, "tree node"),
            None => Err(Error::Corrupt {
                path: Default::default(),
                reason: format!("tree node {}/{} is missing", id.level, id.index),
            }),
        }
    }
}

/// Read-only connections for proof requests, reused across requests (WAL lets them read
/// while the writer commits).
#[derive(Debug)]
pub struct ReaderPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    /// A pool over the database at `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with a connection, opening one when none is idle.
    pub fn with<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let conn = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path).map_err(Error::sql("open reader"))?;
                c.busy_timeout(std::time::Duration::from_secs(10))
                    .map_err(Error::sql("busy_timeout"))?;
                c.execute_batch("PRAGMA query_only=1;")
                    .map_err(Error::sql("query_only"))?;
                c
            }
        };
        let out = f(&conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < 32
        {
            idle.push(conn);
        }
        out
    }
}
