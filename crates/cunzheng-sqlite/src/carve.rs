//! Record carving: finding records in bytes that no b-tree points to any more.
//!
//! Three hypotheses are tried at each place a cell could start:
//! * a whole cell (payload size, rowid, record header, body) whose payload size agrees with
//!   its header: the case of cells freed at the top of the content area or on freed pages;
//! * a record header whose cell prefix was lost (payload size and rowid varints);
//! * at freeblock starts, where SQLite writes 4 bytes (next-freeblock, size) over the cell:
//!   the serial types after those 4 bytes, matched against each table's column count and
//!   affinities, with the header length (and, at worst, the first serial type) inferred.
//!
//! Each hypothesis must fit the table's schema exactly (column count, types its affinity
//! allows, rowid alias stored as NULL, text valid in the database encoding) and lie inside
//! the free region; confidence says how much of the cell was checked.

// Carving hypotheses need the page, its number, the region bounds, the table prior and the
// source together; a struct for them would only move the arguments.
#![allow(clippy::too_many_arguments)]

use crate::read::btree::local_size;
use crate::read::header::TextEncoding;
use crate::read::pager::{Pager, Version};
use crate::read::record::{
    StorageClass, Value, decode_value, parse_header, parse_types, serial_size, storage_class,
};
use crate::reader::{varint, varint_len};
use crate::schema::{Affinity, Column};
use std::collections::{HashMap, HashSet};

/// A table records can be matched against.
#[derive(Debug, Clone)]
pub struct Target {
    /// Table name.
    pub name: String,
    /// Stored columns.
    pub columns: Vec<Column>,
}

/// Where a recovered record was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A freeblock inside a page that is in use.
    Freeblock,
    /// The unallocated gap of a page that is in use.
    Unallocated,
    /// A page on the freelist.
    Freelist,
    /// A page in no b-tree and not on the freelist.
    Unreferenced,
    /// A database-file page whose current version is in the WAL (the file holds an older one).
    Superseded,
    /// A WAL frame (1-based frame number).
    Wal(u32),
    /// A rollback-journal page record (1-based record number).
    Journal(u32),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Freeblock => f.write_str("freeblock"),
            Source::Unallocated => f.write_str("unallocated"),
            Source::Freelist => f.write_str("freelist"),
            Source::Unreferenced => f.write_str("unreferenced"),
            Source::Superseded => f.write_str("superseded"),
            Source::Wal(n) => write!(f, "wal:{n}"),
            Source::Journal(n) => write!(f, "journal:{n}"),
        }
    }
}

/// A carved or old-version record.
#[derive(Debug, Clone)]
pub struct Found {
    /// Index into the targets.
    pub table: usize,
    /// One value per column (`Value::Null` where missing).
    pub values: Vec<Value>,
    /// Columns whose value could not be recovered.
    pub missing: Vec<usize>,
    /// Where.
    pub source: Source,
    /// Database page number.
    pub page: u32,
    /// Offset of the cell (or what is left of it) in the page.
    pub offset: usize,
    /// In [0, 1].
    pub confidence: f64,
    /// Length and hash ([`body_prefix_hash`]) of the first bytes of the record body that
    /// were read from this record's own bytes (before any newer cell); for deduplication
    /// against live rows. `None` for records read through a cell pointer.
    pub prefix: Option<(usize, u64)>,
}

/// Bytes of a record body compared with live rows to tell a stale copy from a deleted row.
pub const PREFIX_MAX: usize = 128;

/// FNV-1a over `b`: the hash [`Found::prefix`] and live bodies are compared by.
pub fn body_prefix_hash(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Everything carving needs to know about the database.
pub struct Carver<'a> {
    targets: &'a [Target],
    by_cols: HashMap<usize, Vec<usize>>,
    col_counts: Vec<usize>,
    /// Infer a lost first serial type from the freeblock's size (off: too many false hits
    /// where freeblocks merged; kept for experiments).
    infer_first: bool,
    /// Reject records whose tail holds a newer cell (off: the check also fires inside
    /// intact records and costs more recall than it gains precision; see the tests).
    check_tails: bool,
    max_cols: usize,
    enc: TextEncoding,
    usable: u32,
    pager: Option<&'a Pager>,
    /// Pages in use now (b-tree, overflow of a live cell, freelist trunk, pointer map): an
    /// old record's overflow chain that runs through one of them was overwritten.
    live: HashSet<u32>,
    /// WAL frame number → the commit frame that ends its transaction (`u32::MAX`: none).
    wal_commits: Vec<u32>,
}

/// How a record's start was established (sets the base confidence).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// Cell pointer of an old page version: SQLite's own structure.
    Pointer,
    /// Whole cell with consistent payload size.
    WholeCell,
    /// Header found where the cell prefix fits a freeblock start.
    HeaderAtBlock,
    /// Header found, prefix lost.
    Header,
    /// Header length lost to the freeblock header.
    NoHeaderLen,
    /// Header length and first serial type lost.
    NoFirstType,
}

impl Method {
    fn base(self) -> f64 {
        match self {
            Method::Pointer | Method::WholeCell => 1.0,
            Method::HeaderAtBlock => 0.9,
            Method::Header => 0.8,
            Method::NoHeaderLen => 0.75,
            Method::NoFirstType => 0.6,
        }
    }
}

/// A hypothesis: serial types (None = unknown), where the payload and body begin.
struct Layout {
    types: Vec<Option<u64>>,
    /// Page offset where the payload (record header) starts; may be inside clobbered bytes.
    payload_start: usize,
    /// Offset of the body within the payload.
    header_len: usize,
    /// Payload size (header + body), when all types are known.
    payload_len: u64,
    rowid: Option<i64>,
    method: Method,
    cell_start: usize,
}

/// NULL and all-zero blobs or text say nothing about whether the bytes are a record.
fn informative_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Blob(b) => b.iter().any(|&x| x != 0),
        Value::Text(t) => t.chars().any(|c| c != '\0'),
        _ => true,
    }
}

/// Carved text with NUL characters, or long runs of zero bytes, is not a chat record.
fn plausible_value(v: &Value) -> bool {
    match v {
        Value::Text(t) => {
            let n = t.chars().count();
            // ASCII read as UTF-16 at the wrong alignment gives U+XX00 characters.
            let shifted = t
                .chars()
                .filter(|&c| {
                    let c = c as u32;
                    c > 0xff && c & 0xff == 0 && (0x20..0x7f).contains(&(c >> 8))
                })
                .count();
            let control = t
                .chars()
                .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'));
            !control && shifted * 4 <= n
        }
        Value::Blob(b) => b.len() < 8 || b.iter().any(|&x| x != 0),
        // Eight misaligned bytes read as a double give wild exponents (1e+68, 3e-225);
        // amounts, coordinates and times stored as REAL do not.
        Value::Real(f) => f.is_finite() && (*f == 0.0 || (1e-12..1e18).contains(&f.abs())),
        _ => true,
    }
}

/// How well a stored type fits a column: 0 = impossible, 1 = what SQLite would store.
fn compat(col: &Column, st: u64) -> f64 {
    use StorageClass as S;
    if col.rowid_alias {
        return if st == 0 { 1.0 } else { 0.0 };
    }
    let sc = storage_class(st);
    if sc == S::Null {
        return 0.9;
    }
    match (col.affinity, sc) {
        (Affinity::Integer, S::Integer) => 1.0,
        (Affinity::Integer, S::Real) => 0.5,
        (Affinity::Integer, S::Text) => 0.3,
        (Affinity::Integer, S::Blob) => 0.3,
        (Affinity::Real, S::Real | S::Integer) => 1.0,
        (Affinity::Real, _) => 0.3,
        (Affinity::Text, S::Text) => 1.0,
        (Affinity::Text, S::Blob) => 0.4,
        // TEXT affinity converts numbers to text before storing them.
        (Affinity::Text, _) => 0.0,
        (Affinity::Numeric, S::Integer | S::Real) => 1.0,
        (Affinity::Numeric, _) => 0.4,
        (Affinity::Blob, _) => 0.8,
        (_, S::Null) => 0.9,
    }
}

impl<'a> Carver<'a> {
    /// A carver over these tables.
    pub fn new(
        targets: &'a [Target],
        enc: TextEncoding,
        usable: u32,
        pager: Option<&'a Pager>,
    ) -> Self {
        let mut by_cols: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, t) in targets.iter().enumerate() {
            by_cols.entry(t.columns.len()).or_default().push(i);
        }
        let max_cols = targets.iter().map(|t| t.columns.len()).max().unwrap_or(0);
        let mut col_counts: Vec<usize> = by_cols.keys().copied().collect();
        col_counts.sort_unstable();
        Carver {
            targets,
            by_cols,
            col_counts,
            infer_first: true,
            check_tails: false,
            max_cols,
            enc,
            usable,
            pager,
            live: HashSet::new(),
            wal_commits: Vec::new(),
        }
    }

    /// For each WAL frame number (index 0 unused), the commit frame ending its transaction.
    pub fn set_wal_commits(&mut self, commits: Vec<u32>) {
        self.wal_commits = commits;
    }

    /// Pages in use now; overflow data read from them is not the old record's any more.
    pub fn set_live_pages(&mut self, live: HashSet<u32>) {
        self.live = live;
    }

    /// Where a newer cell begins inside `[from, to)`: SQLite allocates new cells at the top
    /// of a page's free space, so an old record there keeps its head and loses its tail.
    /// Detected by a consistent table-leaf cell header (payload size = header length + body,
    /// types that fit a table) or by two table-interior cells (child page, rowid) in a row.
    fn newer_cell_at(&self, page: &[u8], from: usize, to: usize) -> Option<usize> {
        // Child numbers may point past a file that has shrunk since (auto-vacuum).
        let pages = self.pager.map_or(u32::MAX, |p| p.page_count.max(0xffff));
        let child = |q: usize| -> Option<usize> {
            let b = page.get(q..q + 4)?;
            let c = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            (c >= 2 && c <= pages).then_some(q + 4)
        };
        let to = to.min(page.len());
        (from..to).find(|&q| {
            if page[q] == 0 {
                // Interior cells: a child page number's high byte is 0 in all but huge files.
                return child(q)
                    .and_then(|r| {
                        let (_, n) = varint(page.get(r..)?)?;
                        child(r + n)
                    })
                    .is_some();
            }
            let Some((p, n1)) = page.get(q..).and_then(varint) else {
                return false;
            };
            let Some((_, n2)) = page.get(q + n1..).and_then(varint) else {
                return false;
            };
            let Some(hdr) = page
                .get(q + n1 + n2..)
                .and_then(|b| parse_header(b, self.max_cols))
            else {
                return false;
            };
            hdr.body_len > 0
                && hdr.header_len as u64 + hdr.body_len == p
                && self.by_cols.contains_key(&hdr.types.len())
                && self
                    .best_table(
                        &hdr.types.into_iter().map(Some).collect::<Vec<_>>(),
                        None,
                        true,
                    )
                    .is_some()
        })
    }

    /// The best table for these types: (index, plausibility, ambiguous).
    fn best_table(
        &self,
        types: &[Option<u64>],
        prior: Option<usize>,
        strict: bool,
    ) -> Option<(usize, f64)> {
        let cands = self.by_cols.get(&types.len())?;
        let mut best: Option<(usize, f64)> = None;
        let mut ties = 0;
        for &t in cands {
            let cols = &self.targets[t].columns;
            let mut sum = 0.0;
            let mut ok = true;
            for (c, st) in cols.iter().zip(types) {
                let s = match st {
                    Some(st) => compat(c, *st),
                    None => 0.7,
                };
                // Carved bytes have no structure vouching for them: a type the column would
                // not normally hold is taken as a sign the bytes are not this table's record.
                if s == 0.0 || (strict && s < 0.5) {
                    ok = false;
                    break;
                }
                sum += s;
            }
            if !ok {
                continue;
            }
            let mut score = sum / cols.len() as f64;
            if prior == Some(t) {
                score += 0.05;
            }
            match best {
                Some((_, b)) if (score - b).abs() < 1e-9 => ties += 1,
                Some((_, b)) if score < b => {}
                _ => {
                    best = Some((t, score));
                    ties = 0;
                }
            }
        }
        let (t, score) = best?;
        let score = score.min(1.0) * if ties > 0 { 0.8 } else { 1.0 };
        (score >= 0.5).then_some((t, score))
    }

    /// Decodes a layout into a found record, reading overflow pages when the payload spills.
    /// `limit`: the end of the region the local part must fit in.
    fn materialize(
        &self,
        page: &[u8],
        pgno: u32,
        lay: &Layout,
        limit: usize,
        table: usize,
        plaus: f64,
        source: Source,
    ) -> Option<(Found, usize)> {
        let local = local_size(true, self.usable, lay.payload_len);
        let local_end = lay.payload_start.checked_add(local)?;
        let spills = (local as u64) < lay.payload_len;
        let cell_end = if spills { local_end + 4 } else { local_end };
        if cell_end > limit || lay.payload_start + lay.header_len > limit {
            return None;
        }
        let local_part = page.get(lay.payload_start..local_end)?;
        let cols = &self.targets[table].columns;
        let strict = lay.method != Method::Pointer;
        let mut values = Vec::with_capacity(cols.len());
        let mut missing = Vec::new();
        let mut informative = 0;
        // A newer cell written over the tail: values from there on are not this record's.
        let clobber = if strict {
            self.newer_cell_at(page, lay.payload_start + lay.header_len + 1, cell_end)
                .map(|q| q - lay.payload_start)
        } else {
            None
        };
        // Overflow pages may have been reused: one value from them that does not decode
        // makes every value from them unreliable. An old record's chain is read as it was in
        // the record's own generation (file, WAL up to its commit, its journal transaction),
        // then as it is now. Own generation first: a page freed since (zeroed by
        // secure_delete, or reused by a row that is not live either) can still decode now,
        // with the wrong text (seen on the ground truth with secure_delete on: wrong message
        // bodies that the record's own generation gets right).
        let first = if spills && clobber.is_none() {
            page.get(local_end..local_end + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        } else {
            None
        };
        let mut versions = Vec::with_capacity(2);
        match source {
            Source::Superseded => versions.push(Version::File),
            Source::Wal(n) => versions.push(Version::WalUpTo(
                self.wal_commits
                    .get(n as usize)
                    .copied()
                    .unwrap_or(u32::MAX),
            )),
            Source::Journal(n) => versions.push(Version::Journal(n)),
            _ => {}
        }
        versions.push(Version::Current);
        let mut decoded: Vec<(usize, Option<Value>, bool)> = Vec::new();
        let mut overflow_bad = true;
        for (vi, &version) in versions.iter().enumerate() {
            let mut payload = local_part.to_vec();
            let mut complete = !spills;
            if let (Some(first), Some(pager)) = (first, self.pager) {
                match pager.overflow_version(first, lay.payload_len - local as u64, version) {
                    Ok((rest, pages))
                        if version != Version::Current
                            || !pages.iter().any(|p| self.live.contains(p)) =>
                    {
                        payload.extend_from_slice(&rest);
                        complete = true;
                    }
                    _ => {}
                }
            }
            overflow_bad = !complete;
            decoded.clear();
            let mut pos = lay.header_len;
            for (i, st) in lay.types.iter().enumerate() {
                let Some(st) = *st else {
                    decoded.push((i, None, false));
                    continue;
                };
                let size = serial_size(st)? as usize;
                let start = pos;
                pos += size;
                let in_overflow = spills && pos > local;
                if clobber.is_some_and(|c| pos > c && start < local) {
                    decoded.push((i, None, in_overflow));
                    continue;
                }
                let v = payload
                    .get(start..pos)
                    .and_then(|b| decode_value(st, b, self.enc, true))
                    .filter(|v| !strict || plausible_value(v));
                match v {
                    Some(v) => decoded.push((i, Some(v), in_overflow)),
                    // A value we hold whole that does not decode: the hypothesis is wrong.
                    None if !in_overflow => return None,
                    None => {
                        overflow_bad = true;
                        decoded.push((i, None, true));
                    }
                }
            }
            if !overflow_bad || !spills || vi + 1 == versions.len() {
                break;
            }
        }
        if clobber.is_some() && spills {
            overflow_bad = true;
        }
        let payload = local_part;
        for (i, v, in_overflow) in decoded {
            let v = if in_overflow && overflow_bad { None } else { v };
            match v {
                Some(_) if cols.get(i).is_some_and(|c| c.rowid_alias) => match lay.rowid {
                    Some(r) => values.push(Value::Integer(r)),
                    None => {
                        values.push(Value::Null);
                        missing.push(i);
                    }
                },
                Some(v) => {
                    if informative_value(&v) {
                        informative += 1;
                    }
                    values.push(v);
                }
                None => {
                    values.push(Value::Null);
                    missing.push(i);
                }
            }
        }
        let stored = cols.iter().filter(|c| !c.rowid_alias).count();
        if strict && informative < stored.min(2) {
            return None;
        }
        if informative == 0 {
            return None;
        }
        // The record's own body bytes (local part, before a newer cell), for deduplication.
        let own_end = clobber.unwrap_or(usize::MAX).min(local).min(payload.len());
        let prefix = payload
            .get(lay.header_len..own_end)
            .filter(|b| strict && b.len() >= 8)
            .map(|b| {
                let b = &b[..b.len().min(PREFIX_MAX)];
                (b.len(), body_prefix_hash(b))
            });
        let n = cols.len().max(1) as f64;
        let conf = lay.method.base() * plaus * (1.0 - 0.5 * missing.len() as f64 / n);
        Some((
            Found {
                table,
                values,
                missing,
                source,
                page: pgno,
                offset: lay.cell_start,
                confidence: (conf * 1000.0).round() / 1000.0,
                prefix,
            },
            // Carving goes on at the newer cell.
            clobber.map_or(cell_end, |c| lay.payload_start + c),
        ))
    }

    fn finish(
        &self,
        page: &[u8],
        pgno: u32,
        lay: Layout,
        limit: usize,
        prior: Option<usize>,
        source: Source,
    ) -> Option<(Found, usize)> {
        let (t, plaus) = self.best_table(&lay.types, prior, lay.method != Method::Pointer)?;
        self.materialize(page, pgno, &lay, limit, t, plaus, source)
    }

    /// A record header at `h` (prefix unknown).
    fn header_at(
        &self,
        page: &[u8],
        h: usize,
        limit: usize,
    ) -> Option<(Vec<Option<u64>>, usize, u64)> {
        let hdr = parse_header(page.get(h..limit)?, self.max_cols)?;
        if !self.by_cols.contains_key(&hdr.types.len()) || hdr.body_len == 0 {
            return None;
        }
        Some((
            hdr.types.into_iter().map(Some).collect(),
            hdr.header_len,
            hdr.body_len,
        ))
    }

    /// A whole table-leaf cell at `pos`.
    fn whole_cell(
        &self,
        page: &[u8],
        pgno: u32,
        pos: usize,
        limit: usize,
        prior: Option<usize>,
        source: Source,
    ) -> Option<(Found, usize)> {
        let (p, n1) = varint(page.get(pos..limit)?)?;
        let (rowid, n2) = varint(page.get(pos + n1..limit)?)?;
        let h = pos + n1 + n2;
        let (types, header_len, body) = self.header_at(page, h, limit)?;
        if header_len as u64 + body != p {
            return None;
        }
        let lay = Layout {
            types,
            payload_start: h,
            header_len,
            payload_len: p,
            rowid: Some(rowid as i64),
            method: Method::WholeCell,
            cell_start: pos,
        };
        self.finish(page, pgno, lay, limit, prior, source)
    }

    fn bare_header(
        &self,
        page: &[u8],
        pgno: u32,
        h: usize,
        limit: usize,
        prior: Option<usize>,
        source: Source,
        block: Option<usize>,
    ) -> Option<(Found, usize)> {
        let (types, header_len, body) = self.header_at(page, h, limit)?;
        let p = header_len as u64 + body;
        let mut method = Method::Header;
        let mut cell_start = h;
        if let Some(fb) = block {
            // The prefix (payload size p bytes + rowid 1..=9 bytes) must end exactly here.
            let prefix = h.checked_sub(fb)?;
            let r = prefix.checked_sub(varint_len(p))?;
            if !(1..=9).contains(&r) {
                return None;
            }
            method = Method::HeaderAtBlock;
            cell_start = fb;
        }
        let lay = Layout {
            types,
            payload_start: h,
            header_len,
            payload_len: p,
            rowid: None,
            method,
            cell_start,
        };
        self.finish(page, pgno, lay, limit, prior, source)
    }

    /// Hypotheses for a cell whose first 4 bytes were overwritten by a freeblock header.
    fn clobbered(
        &self,
        page: &[u8],
        pgno: u32,
        fb: usize,
        limit: usize,
        prior: Option<usize>,
        source: Source,
        hard: bool,
    ) -> Option<(Found, usize)> {
        let mut best: Option<(Found, usize)> = None;
        let mut consider = |c: Option<(Found, usize)>| {
            if let Some(c) = c
                && best
                    .as_ref()
                    .is_none_or(|b| c.0.confidence > b.0.confidence)
            {
                best = Some(c);
            }
        };
        for h in fb + 4..=(fb + 12).min(limit) {
            consider(self.bare_header(page, pgno, h, limit, prior, source, Some(fb)));
        }
        let s = fb + 4;
        let tail = page.get(s..limit)?;
        for &n in &self.col_counts {
            // Header length at fb+3 lost: types start at fb+4.
            if let Some((types, used, body)) = parse_types(tail, n) {
                let header_len = used + 1;
                let p = header_len as u64 + body;
                if body > 0 && varint_len(p) <= 2 {
                    let lay = Layout {
                        types: types.into_iter().map(Some).collect(),
                        payload_start: s - 1,
                        header_len,
                        payload_len: p,
                        rowid: None,
                        method: Method::NoHeaderLen,
                        cell_start: fb,
                    };
                    consider(self.finish(page, pgno, lay, limit, prior, source));
                }
            }
            // Header length at fb+2 and the first type at fb+3 lost (1-byte payload size
            // and rowid): infer the first type from the schema and the block's end.
            if n >= 2
                && let Some((rest, used, body_rest)) = parse_types(tail, n - 1)
            {
                let header_len = used + 2;
                for first in self.first_type_guesses(n, limit, s + used, body_rest, hard) {
                    let mut types = vec![first];
                    types.extend(rest.iter().copied().map(Some));
                    let p =
                        header_len as u64 + first.and_then(serial_size).unwrap_or(0) + body_rest;
                    if p >= 128 || body_rest == 0 && first.is_none() {
                        continue;
                    }
                    let lay = Layout {
                        types,
                        payload_start: s - 2,
                        header_len,
                        payload_len: p,
                        rowid: None,
                        method: Method::NoFirstType,
                        cell_start: fb,
                    };
                    consider(self.finish(page, pgno, lay, limit, prior, source));
                }
            }
        }
        best
    }

    /// Serial types the first column could have had, given the tables with `n` columns.
    fn first_type_guesses(
        &self,
        n: usize,
        limit: usize,
        body_start: usize,
        body_rest: u64,
        hard: bool,
    ) -> Vec<Option<u64>> {
        let mut out = Vec::new();
        let len1 = (limit as u64).checked_sub(body_start as u64 + body_rest);
        for &t in self.by_cols.get(&n).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(c) = self.targets[t].columns.first() else {
                continue;
            };
            let g = if c.rowid_alias {
                Some(0)
            } else if !hard || !self.infer_first {
                continue;
            } else {
                // Only when the cell ends where the block ends can the length be inferred.
                len1.and_then(|l| match (c.affinity, l) {
                    (_, 0) => None,
                    (Affinity::Text, l) => Some(13 + 2 * l),
                    (Affinity::Blob, l) => Some(12 + 2 * l),
                    (Affinity::Real, 8) => Some(7),
                    (_, 1) => Some(1),
                    (_, 2) => Some(2),
                    (_, 3) => Some(3),
                    (_, 4) => Some(4),
                    (_, 6) => Some(5),
                    (_, 8) => Some(6),
                    _ => None,
                })
            };
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }

    /// SQLite carves new cells from the end of a free slot, so an old record can keep its
    /// head and lose its tail to a newer cell (itself maybe freed since, its first 4 bytes a
    /// freeblock header). True when such a newer cell starts inside `(start, end)`.
    #[allow(clippy::too_many_arguments)]
    fn overwritten_tail(
        &self,
        page: &[u8],
        pgno: u32,
        start: usize,
        end: usize,
        limit: usize,
        prior: Option<usize>,
        source: Source,
    ) -> bool {
        for q in start + 4..end.saturating_sub(4) {
            let Some(h) = page.get(q..q + 4) else { break };
            let next = usize::from(u16::from_be_bytes([h[0], h[1]]));
            let size = usize::from(u16::from_be_bytes([h[2], h[3]]));
            if (next != 0 && next <= q) || size < 8 || q + size > limit.max(end) {
                continue;
            }
            if self
                .clobbered(page, pgno, q, q + size, prior, source, true)
                .is_some_and(|(f, _)| f.confidence >= 0.7)
            {
                return true;
            }
        }
        false
    }

    /// Carves `[lo, hi)` of a page. `blocks`: freeblock starts inside the region, whose first
    /// 4 bytes are a freeblock header. Returns records in order of offset.
    #[allow(clippy::too_many_arguments)]
    pub fn carve(
        &self,
        page: &[u8],
        pgno: u32,
        lo: usize,
        hi: usize,
        blocks: &[(usize, usize)],
        prior: Option<usize>,
        source: Source,
        out: &mut Vec<Found>,
    ) {
        if self.targets.is_empty() {
            return;
        }
        let hi = hi.min(page.len());
        let mut pos = lo;
        // End of the block containing `pos`, and whether `pos` follows a carved record.
        let mut soft_boundary = false;
        while pos < hi {
            let block = blocks
                .iter()
                .find(|(s, len)| *s <= pos && pos < s + len)
                .copied();
            let limit = block.map_or(hi, |(s, len)| (s + len).min(hi));
            if let Some((s, _)) = block.filter(|(s, _)| *s == pos) {
                if let Some((f, end)) = self
                    .clobbered(page, pgno, s, limit, prior, source, true)
                    .filter(|(f, end)| {
                        !self.check_tails
                            || !self
                                .overwritten_tail(page, pgno, f.offset, *end, limit, prior, source)
                    })
                {
                    out.push(f);
                    pos = end.max(pos + 1);
                    soft_boundary = true;
                    continue;
                }
                pos = s + 4;
                continue;
            }
            // No cell or record header starts with a zero byte; a clobbered cell after a
            // carved one may (its freeblock header's next pointer is often 0).
            if page[pos] == 0 && !soft_boundary {
                pos += 1;
                continue;
            }
            let found = self
                .whole_cell(page, pgno, pos, limit, prior, source)
                .or_else(|| self.bare_header(page, pgno, pos, limit, prior, source, None))
                .or_else(|| {
                    soft_boundary
                        .then(|| self.clobbered(page, pgno, pos, limit, prior, source, false))
                        .flatten()
                });
            match found {
                Some((f, end))
                    if self.check_tails
                        && self
                            .overwritten_tail(page, pgno, f.offset, end, limit, prior, source) =>
                {
                    // Its tail was reused by a newer cell: not this record's bytes any more.
                    let _ = f;
                    pos += 1;
                    soft_boundary = false;
                }
                Some((f, end)) => {
                    out.push(f);
                    pos = end.max(pos + 1);
                    soft_boundary = true;
                }
                None => {
                    pos += 1;
                    soft_boundary = false;
                }
            }
        }
    }

    /// A table-leaf cell reached through an old page's cell pointer: decoded as SQLite would.
    pub fn pointer_cell(
        &self,
        page: &[u8],
        pgno: u32,
        offset: usize,
        limit: usize,
        prior: Option<usize>,
        source: Source,
    ) -> Option<Found> {
        let (p, n1) = varint(page.get(offset..limit)?)?;
        let (rowid, n2) = varint(page.get(offset + n1..limit)?)?;
        let h = offset + n1 + n2;
        let hdr = parse_header(page.get(h..limit)?, self.max_cols)?;
        let lay = Layout {
            types: hdr.types.into_iter().map(Some).collect(),
            payload_start: h,
            header_len: hdr.header_len,
            payload_len: p,
            rowid: Some(rowid as i64),
            method: Method::Pointer,
            cell_start: offset,
        };
        self.finish(page, pgno, lay, limit, prior, source)
            .map(|(f, _)| f)
    }
}
