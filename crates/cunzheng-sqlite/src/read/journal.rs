//! The rollback journal: page images saved before a transaction changed them.
//!
//! Layout: a header (magic, record count, checksum nonce, initial size, sector size, page
//! size) padded to a sector, then records of (u32 page number, page, u32 checksum). In
//! PERSIST mode SQLite commits by zeroing the first 28 header bytes, so the page records stay:
//! then the sector size is found by trying each, with the nonce recovered from the first
//! record's checksum and confirmed by the others.

use crate::error::{Error, Result};
use crate::format::journal::{CHECKSUM_STRIDE, HEADER_FIELDS, MAGIC};
use crate::read::pager::EvidenceFile;
use crate::reader::Reader;

/// One saved page.
#[derive(Debug, Clone)]
pub struct JournalPage {
    /// 1-based record number.
    pub index: u32,
    /// Database page number.
    pub page: u32,
    /// Offset of the page image in the journal file.
    pub data_offset: u64,
    /// The record's checksum matches the nonce.
    pub checksum_ok: bool,
    /// The nonce its checksum was made with: records of one transaction share it, so in a
    /// PERSIST journal it tells the last transaction's records from stale ones of older,
    /// longer transactions further on.
    pub nonce: u32,
}

/// What was found in the journal.
#[derive(Debug, Clone)]
pub struct Journal {
    /// The header was intact (false: zeroed by a PERSIST-mode commit, layout inferred).
    pub header_intact: bool,
    /// Page records.
    pub pages: Vec<JournalPage>,
}

fn page_sum(nonce: u32, page: &[u8]) -> u32 {
    let mut sum = nonce;
    let mut i = page.len().saturating_sub(CHECKSUM_STRIDE);
    while i > 0 {
        sum = sum.wrapping_add(u32::from(page.get(i).copied().unwrap_or(0)));
        i = i.saturating_sub(CHECKSUM_STRIDE);
    }
    sum
}

struct Rec {
    page: u32,
    stored: u32,
    sum0: u32,
}

fn read_rec(j: &EvidenceFile, off: u64, page_size: u32, buf: &mut [u8]) -> Result<Option<Rec>> {
    let len = 8 + page_size as usize;
    if off + len as u64 > j.len() {
        return Ok(None);
    }
    j.read_at(off, &mut buf[..len])?;
    let mut r = Reader::new(&buf[..len], 0, off as usize);
    let page = r.u32("journal page number")?;
    let data = r.take(page_size as usize, "journal page")?;
    let stored = r.u32("journal checksum")?;
    Ok(Some(Rec {
        page,
        stored,
        sum0: page_sum(0, data),
    }))
}

/// Reads the page records of a journal for a database of `page_size`-byte pages and
/// `max_page` pages (page numbers above it are taken as the end of the records).
pub fn scan(j: &EvidenceFile, page_size: u32, max_page: u32) -> Result<Journal> {
    let mut head = [0u8; HEADER_FIELDS];
    if j.read_at(0, &mut head)? < HEADER_FIELDS {
        return Err(Error::BadJournal {
            detail: format!("{} bytes, shorter than a journal header", j.len()),
        });
    }
    let mut r = Reader::new(&head, 0, 0);
    let magic = r.take(8, "journal magic")?;
    let rec_len = 8 + u64::from(page_size);
    let mut buf = vec![0u8; rec_len as usize];
    let plausible = |p: u32| p != 0 && p <= max_page.saturating_add(1024);
    if magic == MAGIC {
        let _n_rec = r.u32("record count")?;
        let nonce = r.u32("checksum nonce")?;
        let _initial = r.u32("initial database size")?;
        let sector = r.u32("sector size")?;
        let jps = r.u32("journal page size")?;
        if jps != page_size {
            return Err(Error::BadJournal {
                detail: format!(
                    "page size {jps} at byte 24 differs from the database's {page_size}"
                ),
            });
        }
        if !(32..=65536).contains(&sector) {
            return Err(Error::BadJournal {
                detail: format!("sector size {sector} at byte 20"),
            });
        }
        // Read records to the end of the file; the record count may be 0 or -1 while hot.
        let mut pages = Vec::new();
        let mut off = u64::from(sector);
        while let Some(rec) = read_rec(j, off, page_size, &mut buf)? {
            if !plausible(rec.page) {
                break;
            }
            pages.push(JournalPage {
                index: pages.len() as u32 + 1,
                page: rec.page,
                data_offset: off + 4,
                checksum_ok: rec.sum0.wrapping_add(nonce) == rec.stored,
                nonce: rec.stored.wrapping_sub(rec.sum0),
            });
            off += rec_len;
        }
        return Ok(Journal {
            header_intact: true,
            pages,
        });
    }
    if magic.iter().any(|&b| b != 0) {
        return Err(Error::BadJournal {
            detail: "no journal magic at byte 0 (and not a zeroed header)".into(),
        });
    }
    // Zeroed header: find the sector size at which records carry one consistent nonce.
    let mut best: Option<(u64, Vec<JournalPage>)> = None;
    let mut sector = 512u64;
    while sector <= 65536 {
        let mut pages = Vec::new();
        let mut nonce = None;
        let mut off = sector;
        while let Some(rec) = read_rec(j, off, page_size, &mut buf)? {
            if !plausible(rec.page) {
                break;
            }
            let n = rec.stored.wrapping_sub(rec.sum0);
            let ok = *nonce.get_or_insert(n) == n;
            pages.push(JournalPage {
                index: pages.len() as u32 + 1,
                page: rec.page,
                data_offset: off + 4,
                checksum_ok: ok,
                nonce: n,
            });
            off += rec_len;
        }
        let good = pages.iter().filter(|p| p.checksum_ok).count() as u64;
        if good > best.as_ref().map_or(0, |b| b.0) {
            best = Some((good, pages));
        }
        sector *= 2;
    }
    match best {
        Some((_, pages)) => Ok(Journal {
            header_intact: false,
            pages,
        }),
        None => Err(Error::BadJournal {
            detail: "zeroed header and no page records found".into(),
        }),
    }
}
