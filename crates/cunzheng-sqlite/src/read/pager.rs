//! Page access by positioned reads: the database file is never read whole (it may be a
//! multi-gigabyte image), and committed WAL frames overlay the file's pages.

use crate::error::{Error, Result};
use crate::read::header::Header;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A read-only evidence file read at offsets.
#[derive(Debug)]
pub struct EvidenceFile {
    backing: Backing,
    path: PathBuf,
    len: u64,
}

#[derive(Debug)]
enum Backing {
    File(File),
    /// Bytes already in memory (fuzzing and tests of hostile input).
    Memory(Vec<u8>),
}

impl EvidenceFile {
    /// Opens `path` read-only.
    pub fn open(path: &Path) -> Result<EvidenceFile> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(EvidenceFile {
            backing: Backing::File(file),
            path: path.to_owned(),
            len,
        })
    }

    /// Evidence already in memory, named `name` in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> EvidenceFile {
        EvidenceFile {
            len: bytes.len() as u64,
            backing: Backing::Memory(bytes),
            path: PathBuf::from(name),
        }
    }

    /// File length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a 0-byte file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads up to `buf.len()` bytes at `offset`; bytes past the end of the file are zero.
    /// Returns how many bytes came from the file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        buf.fill(0);
        if offset >= self.len {
            return Ok(0);
        }
        let want = usize::try_from((self.len - offset).min(buf.len() as u64)).unwrap_or(buf.len());
        let file = match &self.backing {
            Backing::Memory(m) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let src = m.get(start..start.saturating_add(want)).unwrap_or(&[]);
                buf[..src.len()].copy_from_slice(src);
                return Ok(src.len());
            }
            Backing::File(f) => f,
        };
        let mut done = 0;
        while done < want {
            let n =
                read_at_os(file, &mut buf[done..want], offset + done as u64).map_err(|source| {
                    Error::Io {
                        path: self.path.clone(),
                        source,
                    }
                })?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }
}

#[cfg(unix)]
fn read_at_os(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, offset)
}

#[cfg(windows)]
fn read_at_os(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, offset)
}

/// Which version of a page to read. An old record's overflow pages are read as they were
/// when the record was written: a freed overflow page may have been reused since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// As SQLite sees it now (file overlaid by committed WAL frames).
    Current,
    /// The database file alone.
    File,
    /// The latest WAL frame numbered at most N, else the file.
    WalUpTo(u32),
    /// As it was when journal record N (1-based) was written: the first image of the page
    /// in N's transaction, else the nearest newer transaction's, else the file.
    Journal(u32),
}

/// Pages of the database as SQLite would see them: the file, overlaid by committed WAL frames.
#[derive(Debug)]
pub struct Pager {
    db: EvidenceFile,
    wal: Option<EvidenceFile>,
    /// Page number → byte offset of its latest committed version in the WAL.
    overlay: HashMap<u32, u64>,
    /// Page number → every WAL frame holding it: (frame number, byte offset), ascending.
    frames: HashMap<u32, Vec<(u32, u64)>>,
    journal: Option<EvidenceFile>,
    /// Page number → its images in the rollback journal: (record number, nonce, byte
    /// offset), ascending.
    journal_pages: HashMap<u32, Vec<(u32, u32, u64)>>,
    /// Record number - 1 → nonce of that journal record.
    journal_nonces: Vec<u32>,
    /// Page size in bytes.
    pub page_size: u32,
    /// Usable bytes per page.
    pub usable: u32,
    /// Pages in the database (committed view).
    pub page_count: u32,
    /// Whole pages present in the database file (may differ from `page_count`).
    pub file_pages: u32,
    /// Decrypts WAL-frame and journal page images of an encrypted database (the database
    /// file itself is read as a decrypted working copy).
    cipher: Option<crate::cipher::PageCipher>,
}

impl Pager {
    /// A pager over the database file alone.
    pub fn new(db: EvidenceFile, header: &Header) -> Pager {
        let file_pages = u32::try_from(db.len() / u64::from(header.page_size)).unwrap_or(u32::MAX);
        Pager {
            page_count: header.db_pages.unwrap_or(file_pages).max(1),
            file_pages,
            db,
            wal: None,
            overlay: HashMap::new(),
            frames: HashMap::new(),
            journal: None,
            journal_pages: HashMap::new(),
            journal_nonces: Vec::new(),
            page_size: header.page_size,
            usable: header.usable_size(),
            cipher: None,
        }
    }

    /// Page images read from the WAL and the journal are encrypted with `cipher`.
    pub fn set_cipher(&mut self, cipher: crate::cipher::PageCipher) {
        self.cipher = Some(cipher);
    }

    /// Decrypts a WAL or journal image of page `pgno` when the database is encrypted.
    fn decode(&self, pgno: u32, buf: &mut [u8], at: crate::error::Location) -> Result<()> {
        match &self.cipher {
            None => Ok(()),
            Some(c) => c
                .decrypt_in_place(pgno, buf)
                .map_err(|fault| Error::Decrypt {
                    page: pgno,
                    at,
                    detail: match fault {
                        crate::cipher::PageFault::Hmac => {
                            "HMAC mismatch (altered or torn page image)"
                        }
                        crate::cipher::PageFault::Short => "shorter than a page",
                    },
                }),
        }
    }

    /// Adds the committed frames of a WAL: page → frame offset, and the size after the last commit.
    pub fn set_wal(&mut self, wal: EvidenceFile, overlay: HashMap<u32, u64>, pages: Option<u32>) {
        self.wal = Some(wal);
        self.overlay = overlay;
        if let Some(p) = pages {
            self.page_count = p.max(1);
        }
    }

    /// Every WAL frame: (page, frame number, byte offset of its image), for reading old versions.
    pub fn set_wal_frames(&mut self, frames: impl IntoIterator<Item = (u32, u32, u64)>) {
        for (page, index, offset) in frames {
            self.frames.entry(page).or_default().push((index, offset));
        }
        for v in self.frames.values_mut() {
            v.sort_unstable();
        }
    }

    /// The rollback journal and its page records: (page, record number, nonce, byte offset
    /// of the image), in file order. Records of one transaction share a nonce; in a PERSIST
    /// journal the newest transaction's records come first and older ones follow.
    pub fn set_journal(
        &mut self,
        journal: EvidenceFile,
        records: impl IntoIterator<Item = (u32, u32, u32, u64)>,
    ) {
        self.journal = Some(journal);
        for (page, index, nonce, offset) in records {
            self.journal_pages
                .entry(page)
                .or_default()
                .push((index, nonce, offset));
            let slot = index.saturating_sub(1) as usize;
            if self.journal_nonces.len() <= slot {
                self.journal_nonces.resize(slot + 1, 0);
            }
            self.journal_nonces[slot] = nonce;
        }
        for v in self.journal_pages.values_mut() {
            v.sort_unstable();
        }
    }

    /// Where the image of `pgno` as of journal record `n` is (see [`Version::Journal`]).
    fn journal_image(&self, pgno: u32, n: u32) -> Option<u64> {
        let images = self.journal_pages.get(&pgno)?;
        let Some(&nonce) = self.journal_nonces.get(n.saturating_sub(1) as usize) else {
            return images.first().map(|&(_, _, off)| off);
        };
        // The page's state before N's transaction: its first image in that transaction.
        if let Some(&(_, _, off)) = images.iter().find(|&&(_, g, _)| g == nonce) {
            return Some(off);
        }
        // Not changed by that transaction: as the nearest newer one (earlier in the file)
        // found it, if any changed it.
        images
            .iter()
            .rev()
            .find(|&&(i, g, _)| i < n && g != nonce)
            .map(|&(_, _, off)| off)
    }

    /// Reads the rollback journal's image of page `pgno` at `offset` (decrypted when the
    /// database is encrypted).
    pub fn journal_read(&self, pgno: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = match &self.journal {
            Some(j) => j.read_at(offset, buf)?,
            None => return Ok(0),
        };
        self.decode(pgno, buf, crate::error::Location::File { offset })?;
        Ok(n)
    }

    /// Page `pgno` in version `v`.
    pub fn page_version(&self, pgno: u32, v: Version) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; self.page_size as usize];
        let from_wal = |off: u64, buf: &mut [u8]| self.wal_read(pgno, off, buf).map(|_| ());
        match v {
            Version::Current => return self.page(pgno),
            Version::File => {}
            Version::WalUpTo(n) => {
                let hit = self
                    .frames
                    .get(&pgno)
                    .and_then(|f| f.iter().rev().find(|(i, _)| *i <= n));
                if let Some(&(_, off)) = hit {
                    from_wal(off, &mut buf)?;
                    return Ok(buf);
                }
            }
            Version::Journal(n) => {
                if let Some(off) = self.journal_image(pgno, n) {
                    self.journal_read(pgno, off, &mut buf)?;
                    return Ok(buf);
                }
            }
        }
        self.check(pgno)?;
        self.db
            .read_at(u64::from(pgno - 1) * u64::from(self.page_size), &mut buf)?;
        Ok(buf)
    }

    /// True when page `pgno` is taken from the WAL.
    pub fn in_wal(&self, pgno: u32) -> bool {
        self.overlay.contains_key(&pgno)
    }

    /// The current (committed) version of page `pgno`.
    pub fn page(&self, pgno: u32) -> Result<Vec<u8>> {
        self.check(pgno)?;
        let mut buf = vec![0u8; self.page_size as usize];
        match (self.overlay.get(&pgno), &self.wal) {
            (Some(&off), Some(_)) => {
                self.wal_read(pgno, off, &mut buf)?;
            }
            _ => {
                self.db
                    .read_at(u64::from(pgno - 1) * u64::from(self.page_size), &mut buf)?;
            }
        }
        Ok(buf)
    }

    /// The version of page `pgno` in the database file itself (ignoring the WAL).
    pub fn file_page(&self, pgno: u32) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; self.page_size as usize];
        self.db.read_at(
            u64::from(pgno.saturating_sub(1)) * u64::from(self.page_size),
            &mut buf,
        )?;
        Ok(buf)
    }

    /// Reads a WAL frame's image of page `pgno` at `offset` (decrypted when the database is
    /// encrypted).
    pub fn wal_read(&self, pgno: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = match &self.wal {
            Some(w) => w.read_at(offset, buf)?,
            None => return Ok(0),
        };
        self.decode(pgno, buf, crate::error::Location::File { offset })?;
        Ok(n)
    }

    /// Fails for page 0 and pages past the end.
    pub fn check(&self, pgno: u32) -> Result<()> {
        if pgno == 0 || pgno > self.page_count {
            return Err(Error::PageOutOfRange {
                page: pgno,
                page_count: self.page_count,
                at: crate::error::Location::File { offset: 0 },
            });
        }
        Ok(())
    }

    /// Reads an overflow chain starting at `first` until `want` bytes are collected.
    /// Cycle-safe (a page seen twice stops it) and capped at `page_count` pages.
    pub fn overflow(&self, first: u32, want: u64) -> Result<Vec<u8>> {
        self.overflow_pages(first, want).map(|(data, _)| data)
    }

    /// Like [`Pager::overflow`], also returning the pages of the chain.
    pub fn overflow_pages(&self, first: u32, want: u64) -> Result<(Vec<u8>, Vec<u32>)> {
        self.overflow_version(first, want, Version::Current)
    }

    /// [`Pager::overflow_pages`] reading the pages in version `v`.
    pub fn overflow_version(
        &self,
        first: u32,
        want: u64,
        v: Version,
    ) -> Result<(Vec<u8>, Vec<u32>)> {
        let per_page = (self.usable as usize).saturating_sub(4);
        // Never allocate more than the database could hold.
        let cap = u64::from(self.page_count).saturating_mul(per_page as u64);
        if want > cap {
            return Err(Error::Corrupt {
                what: "overflow chain",
                at: crate::error::Location::Page {
                    page: first,
                    offset: 0,
                },
                detail: format!("wants {want} bytes, more than the database holds ({cap})"),
            });
        }
        let want = want as usize;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut next = first;
        while out.len() < want {
            if next == 0 {
                return Err(Error::Corrupt {
                    what: "overflow chain",
                    at: crate::error::Location::Page {
                        page: first,
                        offset: 0,
                    },
                    detail: format!("ends after {} of {want} bytes", out.len()),
                });
            }
            if !seen.insert(next) || seen.len() > self.page_count as usize {
                return Err(Error::Cycle {
                    what: "overflow chain",
                    page: next,
                    steps: seen.len(),
                });
            }
            let page = self.page_version(next, v)?;
            let mut r = crate::reader::Reader::new(&page, next, 0);
            let link = r.u32("overflow page link")?;
            let take = (want - out.len()).min(per_page);
            out.extend_from_slice(r.take(take, "overflow page data")?);
            next = link;
        }
        let mut pages: Vec<u32> = seen.into_iter().collect();
        pages.sort_unstable();
        Ok((out, pages))
    }
}
