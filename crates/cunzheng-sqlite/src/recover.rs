//! The whole job: live tables, then every place an old record can hide, then deduplication.

use crate::carve::{Carver, Found, PREFIX_MAX, Source, Target, body_prefix_hash};
use crate::error::{Error, Location, Result};
use crate::read::btree::{BtreePage, PageKind, local_size};
use crate::read::header::Header;
use crate::read::pager::{EvidenceFile, Pager};
use crate::read::record::{Value, decode_record};
use crate::read::{freelist, journal, wal};
use crate::schema;
use crate::spill::{Parked, Spill};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::path::Path;

/// A live table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableSummary {
    /// Table name.
    pub name: String,
    /// Root page of its b-tree.
    pub root_page: u32,
    /// Stored column names.
    pub columns: Vec<String>,
    /// Declared types, as written.
    pub declared_types: Vec<String>,
    /// Rows reachable from the root (the live rows).
    pub live_rows: u64,
    /// Deleted rows recovered for it.
    pub recovered_rows: u64,
    /// The CREATE statement.
    pub sql: String,
}

/// A row that is no longer live, found in free space, an old page version, the WAL or a journal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecoveredRow {
    /// The table it most likely belongs to.
    pub table: String,
    /// One JSON scalar per column: integers and reals as numbers, text as strings, NULL as
    /// null, blobs as lowercase hex; a value that could not be recovered is null and listed in
    /// `missing`.
    pub values: Vec<serde_json::Value>,
    /// Indexes of the columns whose value could not be recovered.
    pub missing: Vec<usize>,
    /// Where it was found: `freeblock`, `unallocated`, `freelist`, `unreferenced`,
    /// `superseded` (database-file page replaced by a WAL frame), `wal:N` (frame N),
    /// `journal:N` (page record N).
    #[serde(serialize_with = "display")]
    pub source: Source,
    /// Database page number (for WAL and journal: the page the frame or record holds).
    pub page: u32,
    /// Byte offset of the cell, or what is left of it, inside that page.
    pub offset: usize,
    /// How much of the record's structure was verified, in [0, 1].
    pub confidence: f64,
}

fn display<S: serde::Serializer>(s: &Source, ser: S) -> std::result::Result<S::Ok, S::Error> {
    ser.collect_str(s)
}

/// What [`recover`] found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recovery {
    /// The database header (from the committed view, so the WAL's page 1 if it has one).
    pub header: Header,
    /// Pages in the database.
    pub page_count: u32,
    /// Live tables.
    pub tables: Vec<TableSummary>,
    /// Recovered rows, in the order found (pages ascending, then superseded pages, WAL
    /// frames, journal records).
    pub rows: Vec<RecoveredRow>,
    /// Problems met on the way (each with its location); the rest of the work went on.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Table(usize),
    Index,
    Overflow,
    PtrMap,
    Trunk(usize),
    FreeLeaf,
}

/// Recovers deleted rows from a database file, optionally with its WAL and rollback journal.
/// Nothing is written: every file is opened read-only and read page by page.
pub fn recover(db: &Path, wal: Option<&Path>, journal: Option<&Path>) -> Result<Recovery> {
    recover_files(
        EvidenceFile::open(db)?,
        wal.map(EvidenceFile::open).transpose()?,
        journal.map(EvidenceFile::open).transpose()?,
    )
}

/// [`recover`] over already opened evidence.
pub fn recover_files(
    db: EvidenceFile,
    wal: Option<EvidenceFile>,
    journal: Option<EvidenceFile>,
) -> Result<Recovery> {
    let mut rows = Vec::new();
    let mut r = recover_each(
        Inputs {
            db,
            wal,
            journal,
            cipher: None,
        },
        &mut |row| {
            rows.push(row);
            ControlFlow::Continue(())
        },
    )?;
    r.rows = rows;
    Ok(r)
}

/// What [`recover_each`] reads.
#[derive(Debug)]
pub struct Inputs {
    /// The database file (for an encrypted database: its decrypted working copy, see
    /// [`crate::cipher::decrypt_file`]).
    pub db: EvidenceFile,
    /// Its write-ahead log, as found.
    pub wal: Option<EvidenceFile>,
    /// Its rollback journal, as found.
    pub journal: Option<EvidenceFile>,
    /// For an encrypted database: the cipher that opened it, which decrypts the page images
    /// of the WAL and the journal (they stay encrypted on disk; their checksums are over the
    /// encrypted bytes).
    pub cipher: Option<crate::cipher::PageCipher>,
}

impl Inputs {
    /// Opens the files read-only.
    pub fn open(db: &Path, wal: Option<&Path>, journal: Option<&Path>) -> Result<Inputs> {
        Ok(Inputs {
            db: EvidenceFile::open(db)?,
            wal: wal.map(EvidenceFile::open).transpose()?,
            journal: journal.map(EvidenceFile::open).transpose()?,
            cipher: None,
        })
    }
}

/// [`recover`], handing each recovered row to `sink` as soon as deduplication has placed it
/// instead of collecting them ([`Recovery::rows`] stays empty), so that memory does not grow
/// with the number of rows: while the database is carved, candidates are parked in a compact
/// binary form (in a temporary file past 64 MiB) and only what deduplication compares stays
/// in memory. `sink` may stop the run early with [`ControlFlow::Break`] (e.g. a closed pipe).
pub fn recover_each(
    inputs: Inputs,
    sink: &mut dyn FnMut(RecoveredRow) -> ControlFlow<()>,
) -> Result<Recovery> {
    let Inputs {
        db,
        wal: wal_file,
        journal: journal_file,
        cipher,
    } = inputs;
    let mut hb = [0u8; crate::format::HEADER_SIZE];
    let n = db.read_at(0, &mut hb)?;
    let header = Header::parse(hb.get(..n).unwrap_or(&[]))?;
    let mut problems = Vec::new();
    let mut pager = Pager::new(db, &header);
    if let Some(c) = cipher {
        pager.set_cipher(c);
    }

    // WAL first: its committed frames are the current version of their pages.
    let mut wal = None;
    let mut current_frame: HashMap<u32, u32> = HashMap::new();
    if let Some(wf) = wal_file {
        match wal::scan(&wf, header.page_size) {
            Ok(w) => {
                let (map, size) = w.committed_view();
                for f in w.frames.iter().filter(|f| f.committed) {
                    current_frame.insert(f.page, f.index);
                }
                if !w.header.header_ok {
                    problems.push("WAL: header checksum does not match at byte 24".to_owned());
                }
                pager.set_wal(wf, map, size);
                pager.set_wal_frames(w.frames.iter().map(|f| (f.page, f.index, f.data_offset)));
                wal = Some(w);
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    // A header may claim more pages than exist; trust only what is there.
    let wal_max = wal
        .as_ref()
        .and_then(|w| {
            w.frames
                .iter()
                .filter(|f| f.committed)
                .map(|f| f.page)
                .max()
        })
        .unwrap_or(0);
    let present = pager.file_pages.max(wal_max).max(1);
    if pager.page_count > present {
        problems.push(format!(
            "header says {} pages, the files hold {present}; reading {present}",
            pager.page_count
        ));
        pager.page_count = present;
    }
    let header = match pager.in_wal(1).then(|| pager.page(1)) {
        Some(Ok(p1)) => {
            Header::parse(p1.get(..crate::format::HEADER_SIZE).unwrap_or(&[])).unwrap_or(header)
        }
        _ => header,
    };
    let enc = header.encoding;
    let usable = header.usable_size();

    // Schema and live tables.
    let mut owner: HashMap<u32, Owner> = HashMap::new();
    let mut master = Vec::new();
    walk(
        &pager,
        1,
        usize::MAX,
        &mut owner,
        &mut problems,
        enc,
        &mut |_, v, _| master.push(v),
    );
    struct Tbl {
        name: String,
        root: u32,
        sql: String,
        shape: Option<schema::Shape>,
    }
    let mut tables = Vec::new();
    let mut indexes = Vec::new();
    let mut virtual_tables: Vec<String> = Vec::new();
    for row in master {
        let text = |i: usize| match row.get(i) {
            Some(Value::Text(s)) => s.clone(),
            _ => String::new(),
        };
        let root = match row.get(3) {
            Some(Value::Integer(r)) => u32::try_from(*r).unwrap_or(0),
            _ => 0,
        };
        let (kind, name, sql) = (text(0), text(1), text(4));
        if kind == "table"
            && sql
                .get(..20)
                .is_some_and(|h| h.eq_ignore_ascii_case("CREATE VIRTUAL TABLE"))
        {
            virtual_tables.push(name.to_ascii_lowercase());
        }
        if root == 0 {
            continue;
        }
        match kind.as_str() {
            "table" => {
                let shape = schema::parse_create_table(&sql);
                tables.push(Tbl {
                    name,
                    root,
                    sql,
                    shape,
                })
            }
            "index" => indexes.push(root),
            _ => {}
        }
    }
    let mut live_hashes: Vec<HashSet<u64>> = vec![HashSet::new(); tables.len()];
    let mut live_counts = vec![0u64; tables.len()];
    for (i, t) in tables.iter().enumerate() {
        let without_rowid = t.shape.as_ref().is_some_and(|s| s.without_rowid);
        let alias = alias_column(t.shape.as_ref());
        let (hs, count) = (&mut live_hashes[i], &mut live_counts[i]);
        let tag = if without_rowid { usize::MAX - 1 } else { i };
        walk(
            &pager,
            t.root,
            tag,
            &mut owner,
            &mut problems,
            enc,
            &mut |rowid, mut v, _| {
                *count += 1;
                if let (Some(a), Some(r)) = (alias, rowid)
                    && let Some(slot) = v.get_mut(a)
                {
                    *slot = Value::Integer(r);
                }
                hs.insert(row_hash(&v, &[]));
            },
        );
    }
    for root in indexes {
        walk(
            &pager,
            root,
            usize::MAX - 1,
            &mut owner,
            &mut problems,
            enc,
            &mut |_, _, _| {},
        );
    }
    if header.autovacuum_top_root != 0 {
        // Pointer-map pages: page 2, then one every usable/5 + 1 pages.
        let step = usable / 5 + 1;
        let mut p = 2u32;
        while p <= pager.page_count {
            owner.entry(p).or_insert(Owner::PtrMap);
            p = match p.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
    }
    let fl = freelist::walk(&pager, header.freelist_trunk);
    if let Some(p) = &fl.problem {
        problems.push(format!("freelist: {p}"));
    }
    for &(t, n) in &fl.trunks {
        owner.entry(t).or_insert(Owner::Trunk(n));
    }
    for &l in &fl.leaves {
        owner.entry(l).or_insert(Owner::FreeLeaf);
    }

    // Carve.
    let targets: Vec<Target> = tables
        .iter()
        .filter_map(|t| {
            let s = t.shape.as_ref().filter(|s| !s.without_rowid)?;
            // SQLite's own tables are not evidence, and a record of fewer than two stored
            // columns has too little structure to be told from other bytes (on real phone
            // databases such targets matched fragments of CREATE statements and FTS data).
            let stored = s.columns.iter().filter(|c| !c.rowid_alias).count();
            let lower = t.name.to_ascii_lowercase();
            // Full-text index shadow tables hold binary index data, not rows of evidence
            // (`<vt>_content`, the indexed text itself, stays).
            let fts_index = virtual_tables.iter().any(|v| {
                lower.strip_prefix(v.as_str()).is_some_and(|rest| {
                    matches!(
                        rest,
                        "_segdir"
                            | "_segments"
                            | "_stat"
                            | "_docsize"
                            | "_data"
                            | "_idx"
                            | "_config"
                    )
                })
            });
            if lower.starts_with("sqlite_") || stored < 2 || fts_index {
                return None;
            }
            Some(Target {
                name: t.name.clone(),
                columns: s.columns.clone(),
            })
        })
        .collect();
    let target_of: HashMap<usize, usize> = tables
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let ti = targets.iter().position(|x| x.name == t.name)?;
            Some((i, ti))
        })
        .collect();
    let mut journal_pages = Vec::new();
    if let Some(jf) = journal_file {
        match journal::scan(&jf, header.page_size, pager.page_count) {
            Ok(j) => {
                pager.set_journal(
                    jf,
                    j.pages
                        .iter()
                        .map(|p| (p.page, p.index, p.nonce, p.data_offset)),
                );
                journal_pages = j.pages;
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    // Each WAL frame's transaction ends at the next commit frame (an old record's overflow
    // pages were written in the same transaction).
    let mut wal_commits = Vec::new();
    if let Some(w) = &wal {
        let max = w.frames.iter().map(|f| f.index).max().unwrap_or(0) as usize;
        wal_commits = vec![u32::MAX; max + 1];
        let mut next = u32::MAX;
        let mut frames: Vec<_> = w.frames.iter().collect();
        frames.sort_by_key(|f| std::cmp::Reverse(f.index));
        for f in frames {
            if f.commit_size != 0 {
                next = f.index;
            }
            wal_commits[f.index as usize] = next;
        }
    }
    let mut carver = Carver::new(&targets, enc, usable, Some(&pager));
    carver.set_wal_commits(wal_commits);
    carver.set_live_pages(
        owner
            .iter()
            .filter(|(_, o)| **o != Owner::FreeLeaf)
            .map(|(p, _)| *p)
            .collect(),
    );
    let prior_of = |p: u32| match owner.get(&p) {
        Some(Owner::Table(i)) => target_of.get(i).copied(),
        _ => None,
    };
    let mut found: Vec<Found> = Vec::new();
    let mut spill = Spill::new();
    let scan_pages = pager.page_count.max(pager.file_pages);
    for pgno in 1..=scan_pages {
        let role = owner.get(&pgno).copied();
        if matches!(role, Some(Owner::Overflow | Owner::PtrMap)) {
            continue;
        }
        let data = if pgno <= pager.page_count {
            pager.page(pgno)
        } else {
            pager.file_page(pgno)
        };
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        if data.iter().all(|&b| b == 0) {
            continue;
        }
        let from_wal = current_frame
            .get(&pgno)
            .copied()
            .filter(|_| pager.in_wal(pgno));
        let before = found.len();
        match role {
            // Free space of index pages holds index records, not rows.
            Some(Owner::Index) => {}
            Some(Owner::Table(_)) => {
                let prior = prior_of(pgno);
                page_areas(
                    &carver,
                    &data,
                    pgno,
                    usable,
                    prior,
                    false,
                    Source::Freeblock,
                    Source::Unallocated,
                    &mut found,
                    &mut problems,
                );
            }
            Some(Owner::Trunk(n)) => {
                let lo = crate::format::TRUNK_HEADER + 4 * n;
                carver.carve(
                    &data,
                    pgno,
                    lo,
                    usable as usize,
                    &[],
                    None,
                    Source::Freelist,
                    &mut found,
                );
            }
            Some(Owner::FreeLeaf) => {
                page_areas(
                    &carver,
                    &data,
                    pgno,
                    usable,
                    None,
                    true,
                    Source::Freelist,
                    Source::Freelist,
                    &mut found,
                    &mut problems,
                );
            }
            _ => {
                page_areas(
                    &carver,
                    &data,
                    pgno,
                    usable,
                    None,
                    true,
                    Source::Unreferenced,
                    Source::Unreferenced,
                    &mut found,
                    &mut problems,
                );
            }
        }
        if let Some(frame) = from_wal {
            for f in &mut found[before..] {
                f.source = Source::Wal(frame);
            }
        }
        park(&mut found, &mut spill)?;
    }
    // Older versions: database-file pages replaced by the WAL, other WAL frames, the journal.
    let mut superseded: Vec<u32> = current_frame
        .keys()
        .copied()
        .filter(|&p| p <= pager.file_pages)
        .collect();
    superseded.sort_unstable();
    let ptrmap = |p: u32| owner.get(&p) == Some(&Owner::PtrMap);
    for pgno in superseded {
        if ptrmap(pgno) {
            continue;
        }
        let data = pager.file_page(pgno)?;
        page_areas(
            &carver,
            &data,
            pgno,
            usable,
            prior_of(pgno),
            true,
            Source::Superseded,
            Source::Superseded,
            &mut found,
            &mut problems,
        );
        park(&mut found, &mut spill)?;
    }
    if let Some(w) = &wal {
        let mut buf = vec![0u8; header.page_size as usize];
        for f in &w.frames {
            if (current_frame.get(&f.page) == Some(&f.index) && f.committed) || ptrmap(f.page) {
                continue;
            }
            if let Err(e) = pager.wal_read(f.page, f.data_offset, &mut buf) {
                problems.push(format!("WAL frame {}: {e}", f.index));
                continue;
            }
            let mult = if f.committed {
                1.0
            } else if f.chain_ok || f.self_ok {
                0.95
            } else {
                0.8
            };
            let before = found.len();
            let src = Source::Wal(f.index);
            page_areas(
                &carver,
                &buf,
                f.page,
                usable,
                prior_of(f.page),
                true,
                src,
                src,
                &mut found,
                &mut problems,
            );
            scale(&mut found[before..], mult);
            park(&mut found, &mut spill)?;
        }
    }
    {
        let mut buf = vec![0u8; header.page_size as usize];
        for p in &journal_pages {
            if ptrmap(p.page) {
                continue;
            }
            if let Err(e) = pager.journal_read(p.page, p.data_offset, &mut buf) {
                problems.push(format!("journal record {}: {e}", p.index));
                continue;
            }
            let before = found.len();
            let src = Source::Journal(p.index);
            page_areas(
                &carver,
                &buf,
                p.page,
                usable,
                prior_of(p.page),
                true,
                src,
                src,
                &mut found,
                &mut problems,
            );
            scale(&mut found[before..], if p.checksum_ok { 1.0 } else { 0.85 });
            park(&mut found, &mut spill)?;
        }
    }

    // Deduplicate: against live rows, then among themselves.
    let masks = std::mem::take(&mut spill.masks);
    let summaries = std::mem::take(&mut spill.summaries);
    let parked = spill.finish()?;
    let keep = dedup(
        &summaries,
        &masks,
        &parked,
        &targets,
        &tables.iter().map(|t| t.root).collect::<Vec<_>>(),
        &target_of,
        &live_hashes,
        &pager,
        enc,
    )?;
    drop(summaries);
    let mut summaries: Vec<TableSummary> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| TableSummary {
            name: t.name.clone(),
            root_page: t.root,
            columns: t
                .shape
                .as_ref()
                .map(|s| s.columns.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default(),
            declared_types: t
                .shape
                .as_ref()
                .map(|s| s.columns.iter().map(|c| c.declared.clone()).collect())
                .unwrap_or_default(),
            live_rows: live_counts[i],
            recovered_rows: 0,
            sql: t.sql.clone(),
        })
        .collect();
    let summary_of: Vec<Option<usize>> = targets
        .iter()
        .map(|t| summaries.iter().position(|s| s.name == t.name))
        .collect();
    for at in keep {
        let f = parked.get(at)?;
        if let Some(&Some(i)) = summary_of.get(f.table) {
            summaries[i].recovered_rows += 1;
        }
        let row = RecoveredRow {
            table: targets[f.table].name.clone(),
            values: f.values.iter().map(Value::to_json).collect(),
            missing: f.missing,
            source: f.source,
            page: f.page,
            offset: f.offset,
            confidence: f.confidence,
        };
        if sink(row).is_break() {
            break;
        }
    }
    Ok(Recovery {
        header,
        page_count: pager.page_count,
        tables: summaries,
        rows: Vec::new(),
        problems,
    })
}

/// Moves the candidates of one page into the spill.
fn park(found: &mut Vec<Found>, spill: &mut Spill) -> Result<()> {
    for f in found.drain(..) {
        spill.push(&f, row_hash(&f.values, &f.missing))?;
    }
    Ok(())
}

fn scale(found: &mut [Found], mult: f64) {
    for f in found {
        f.confidence = (f.confidence * mult * 1000.0).round() / 1000.0;
    }
}

fn alias_column(shape: Option<&schema::Shape>) -> Option<usize> {
    shape?.columns.iter().position(|c| c.rowid_alias)
}

/// Carves one page's free areas; with `cells`, also its cells (an old page version).
#[allow(clippy::too_many_arguments)]
fn page_areas(
    carver: &Carver<'_>,
    data: &[u8],
    pgno: u32,
    usable: u32,
    prior: Option<usize>,
    cells: bool,
    block_src: Source,
    gap_src: Source,
    found: &mut Vec<Found>,
    problems: &mut Vec<String>,
) {
    let usable = (usable as usize).min(data.len());
    let page = match BtreePage::parse(data, pgno, usable as u32) {
        Ok(p) => p,
        Err(e) => {
            if !cells {
                problems.push(e.to_string());
            }
            let lo = if pgno == 1 {
                crate::format::HEADER_SIZE
            } else {
                0
            };
            carver.carve(data, pgno, lo, usable, &[], prior, gap_src, found);
            return;
        }
    };
    if !page.kind.is_table() {
        // An index page (or a freed one): its records are index entries, not rows.
        return;
    }
    let (gap_lo, gap_hi) = page.unallocated();
    let mut areas: Vec<(usize, usize, bool)> = vec![(gap_lo, gap_hi, false)];
    match page.freeblocks() {
        Ok(blocks) => areas.extend(blocks.into_iter().map(|(s, n)| (s, s + n, true))),
        Err(e) => problems.push(e.to_string()),
    }
    if cells
        && page.kind == PageKind::TableLeaf
        && let Ok(offsets) = page.cell_offsets()
    {
        for off in offsets {
            if off < gap_hi || off >= usable {
                continue;
            }
            if let Some(f) = carver.pointer_cell(data, pgno, off, usable, prior, block_src) {
                found.push(f);
            }
        }
    }
    areas.sort_unstable();
    for (lo, hi, block) in areas {
        let blocks = [(lo, hi - lo)];
        let (b, src): (&[(usize, usize)], Source) = if block {
            (&blocks, block_src)
        } else {
            (&[], gap_src)
        };
        carver.carve(data, pgno, lo, hi, b, prior, src, found);
    }
}

/// Receives (rowid, values, payload) of each live row.
type RowSink<'a> = dyn FnMut(Option<i64>, Vec<Value>, &[u8]) + 'a;

/// Walks a b-tree from `root`, calling `row` with (rowid, values) for each table-leaf cell.
/// `tag`: table index for ownership (`usize::MAX` for the schema table, `usize::MAX - 1` for
/// indexes and WITHOUT ROWID tables, whose cells are not rows). Never loops: pages already
/// owned are not entered twice.
#[allow(clippy::too_many_arguments)]
fn walk(
    pager: &Pager,
    root: u32,
    tag: usize,
    owner: &mut HashMap<u32, Owner>,
    problems: &mut Vec<String>,
    enc: crate::read::header::TextEncoding,
    row: &mut RowSink<'_>,
) {
    let mut stack = vec![(root, 0usize)];
    let usable = pager.usable;
    while let Some((pgno, depth)) = stack.pop() {
        if let Err(e) = pager.check(pgno) {
            problems.push(format!("b-tree rooted at page {root}: {e}"));
            continue;
        }
        if owner.contains_key(&pgno) || depth > 64 {
            problems.push(
                Error::Cycle {
                    what: "b-tree",
                    page: pgno,
                    steps: depth,
                }
                .to_string(),
            );
            continue;
        }
        owner.insert(
            pgno,
            if tag >= usize::MAX - 1 {
                if tag == usize::MAX {
                    Owner::Table(usize::MAX)
                } else {
                    Owner::Index
                }
            } else {
                Owner::Table(tag)
            },
        );
        let data = match pager.page(pgno) {
            Ok(d) => d,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let page = match BtreePage::parse(&data, pgno, usable) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("b-tree rooted at page {root}: {e}"));
                continue;
            }
        };
        let offsets = match page.cell_offsets() {
            Ok(o) => o,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        if let Some(rc) = page.right_child {
            stack.push((rc, depth + 1));
        }
        for &off in offsets.iter().rev() {
            let cell = match page.cell(off) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            if let Some(lc) = cell.left_child {
                stack.push((lc, depth + 1));
            }
            if page.kind == PageKind::TableInterior {
                continue;
            }
            let mut payload = cell.local.to_vec();
            if let Some(first) = cell.overflow {
                let want = cell.payload_size - cell.local.len() as u64;
                match pager.overflow_pages(first, want) {
                    Ok((rest, pages)) => {
                        payload.extend_from_slice(&rest);
                        for p in pages {
                            owner.entry(p).or_insert(Owner::Overflow);
                        }
                    }
                    Err(e) => {
                        problems.push(format!("cell at page {pgno} offset {off}: {e}"));
                        continue;
                    }
                }
            }
            if page.kind != PageKind::TableLeaf || tag == usize::MAX - 1 {
                continue;
            }
            let at = Location::Page {
                page: pgno,
                offset: off,
            };
            match decode_record(&payload, enc, crate::format::MAX_COLUMNS, at) {
                Ok(v) => row(cell.rowid, v, &payload),
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    let _ = local_size;
}

fn hash_value<H: Hasher>(v: &Value, h: &mut H) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Integer(i) => {
            1u8.hash(h);
            i.hash(h);
        }
        Value::Real(f) => {
            2u8.hash(h);
            f.to_bits().hash(h);
        }
        Value::Text(s) => {
            3u8.hash(h);
            s.hash(h);
        }
        Value::Blob(b) => {
            4u8.hash(h);
            b.hash(h);
        }
    }
}

/// Hash of a row with the columns in `mask` left out (deterministic: SipHash with zero keys).
fn row_hash(values: &[Value], mask: &[usize]) -> u64 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    for (i, v) in values.iter().enumerate() {
        if mask.contains(&i) {
            continue;
        }
        i.hash(&mut h);
        hash_value(v, &mut h);
    }
    values.len().hash(&mut h);
    h.finish()
}

/// Decides which parked candidates are deleted rows: not live, not a stale copy of a live
/// row, the most confident of identical candidates, and not a partial copy of a fuller one.
/// Returns their spill offsets in output order (that of each one's first identical candidate).
#[allow(clippy::too_many_arguments)]
fn dedup(
    found: &[crate::spill::Summary],
    masks: &[Vec<usize>],
    parked: &Parked,
    targets: &[Target],
    roots: &[u32],
    target_of: &HashMap<usize, usize>,
    live: &[HashSet<u64>],
    pager: &Pager,
    enc: crate::read::header::TextEncoding,
) -> Result<Vec<u64>> {
    let table_of: HashMap<usize, usize> = target_of.iter().map(|(&t, &g)| (g, t)).collect();
    // Live rows with the same masks as the partial candidates, by re-walking those tables.
    let mut keys: Vec<(u32, u32)> = found
        .iter()
        .filter(|f| !masks[f.mask as usize].is_empty())
        .map(|f| (f.table, f.mask))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    keys.sort_by(|a, b| (a.0, &masks[a.1 as usize]).cmp(&(b.0, &masks[b.1 as usize])));
    let mut masked: HashMap<(u32, u32), HashSet<u64>> = HashMap::new();
    for (tgt, mask_id) in keys {
        let Some(&ti) = table_of.get(&(tgt as usize)) else {
            continue;
        };
        let mask = &masks[mask_id as usize];
        let alias = targets[tgt as usize]
            .columns
            .iter()
            .position(|c| c.rowid_alias);
        let mut set = HashSet::new();
        let mut owner = HashMap::new();
        let mut sink = Vec::new();
        walk(
            pager,
            roots[ti],
            ti,
            &mut owner,
            &mut sink,
            enc,
            &mut |rowid, mut v, _| {
                if let (Some(a), Some(r)) = (alias, rowid)
                    && let Some(slot) = v.get_mut(a)
                {
                    *slot = Value::Integer(r);
                }
                set.insert(row_hash(&v, mask));
            },
        );
        masked.insert((tgt, mask_id), set);
    }
    // Carved records whose own body bytes begin a live row's body: stale copies of live rows
    // (cells moved by a page split or a vacuum, then partly overwritten), not deleted rows.
    let wanted: HashSet<(usize, u64)> = found.iter().filter_map(|f| f.prefix()).collect();
    let mut stale: HashSet<(usize, u64)> = HashSet::new();
    if !wanted.is_empty() {
        let mut lens = [false; PREFIX_MAX + 1];
        for &(l, _) in &wanted {
            if let Some(x) = lens.get_mut(l) {
                *x = true;
            }
        }
        for &root in roots {
            let mut owner = HashMap::new();
            let mut sink = Vec::new();
            walk(
                pager,
                root,
                0,
                &mut owner,
                &mut sink,
                enc,
                &mut |_, _, payload| {
                    let Some((hl, _)) = crate::reader::varint(payload) else {
                        return;
                    };
                    let body = payload.get(hl as usize..).unwrap_or(&[]);
                    let mut h = body_prefix_hash(&[]);
                    for (i, &b) in body.iter().take(PREFIX_MAX).enumerate() {
                        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                        if lens[i + 1] && wanted.contains(&(i + 1, h)) {
                            stale.insert((i + 1, h));
                        }
                    }
                },
            );
        }
    }
    drop(wanted);
    let is_live = |f: &crate::spill::Summary| -> bool {
        if f.prefix().is_some_and(|p| stale.contains(&p)) {
            return true;
        }
        let Some(&ti) = table_of.get(&(f.table as usize)) else {
            return false;
        };
        if masks[f.mask as usize].is_empty() {
            live.get(ti).is_some_and(|s| s.contains(&f.key))
        } else {
            masked
                .get(&(f.table, f.mask))
                .is_some_and(|s| s.contains(&f.key))
        }
    };
    // Same values (and same missing columns): keep the most confident, first on a tie, in
    // the place of the first.
    let mut best: HashMap<(u32, u64, u32), usize> = HashMap::new();
    let mut keep: Vec<Option<usize>> = Vec::new();
    for (i, f) in found.iter().enumerate() {
        if is_live(f) {
            continue;
        }
        match best.get(&(f.table, f.key, f.mask)) {
            Some(&k) => {
                if keep[k].is_some_and(|j| f.confidence > found[j].confidence) {
                    keep[k] = Some(i);
                }
            }
            None => {
                best.insert((f.table, f.key, f.mask), keep.len());
                keep.push(Some(i));
            }
        }
    }
    drop(best);
    drop(masked);
    drop(stale);
    // A partial row that a fuller one agrees with adds nothing. The fuller rows' values are
    // read back from the spill, once, for every partial mask of their table they fall under.
    let mut pmasks: Vec<(u32, u32)> = keep
        .iter()
        .flatten()
        .map(|&i| &found[i])
        .filter(|f| !masks[f.mask as usize].is_empty())
        .map(|f| (f.table, f.mask))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    pmasks.sort_unstable();
    if !pmasks.is_empty() {
        let mut fuller: HashMap<(u32, u32), HashSet<u64>> = HashMap::new();
        for &i in keep.iter().flatten() {
            let f = &found[i];
            let own = &masks[f.mask as usize];
            let under: Vec<(u32, u32)> = pmasks
                .iter()
                .filter(|&&(t, m)| {
                    let mask = &masks[m as usize];
                    t == f.table && own.len() < mask.len() && own.iter().all(|x| mask.contains(x))
                })
                .copied()
                .collect();
            if under.is_empty() {
                continue;
            }
            let values = parked.get(f.at)?.values;
            for k in under {
                fuller
                    .entry(k)
                    .or_default()
                    .insert(row_hash(&values, &masks[k.1 as usize]));
            }
        }
        for slot in keep.iter_mut() {
            if let Some(i) = *slot {
                let f = &found[i];
                if fuller
                    .get(&(f.table, f.mask))
                    .is_some_and(|s| s.contains(&f.key))
                {
                    *slot = None;
                }
            }
        }
    }
    Ok(keep.into_iter().flatten().map(|i| found[i].at).collect())
}
