//! The write-ahead log: a 32-byte header and frames of (24-byte header, page).
//!
//! Every frame is listed, not only those SQLite would replay: frames after the last commit,
//! frames whose checksum chain broke, and frames left from an earlier WAL generation (old
//! salts) all hold older page versions worth carving.

use crate::error::{Error, Result};
use crate::format::wal::{FRAME_HEADER_SIZE, HEADER_SIZE, MAGIC_BE, MAGIC_LE, VERSION};
use crate::read::pager::EvidenceFile;
use crate::reader::Reader;
use std::collections::HashMap;

/// The WAL header.
#[derive(Debug, Clone)]
pub struct WalHeader {
    /// Checksums are over big-endian words.
    pub big_endian: bool,
    /// Page size.
    pub page_size: u32,
    /// Checkpoint sequence number.
    pub checkpoint_seq: u32,
    /// Salts identifying the current generation of frames.
    pub salt: (u32, u32),
    /// The header's own checksum matched.
    pub header_ok: bool,
}

/// One frame.
#[derive(Debug, Clone)]
pub struct WalFrame {
    /// 1-based frame number.
    pub index: u32,
    /// Offset of the page data in the WAL file.
    pub data_offset: u64,
    /// Database page this frame holds.
    pub page: u32,
    /// Database size after commit, non-zero only on commit frames.
    pub commit_size: u32,
    /// Salts match the header (the frame belongs to the current generation).
    pub salt_ok: bool,
    /// The checksum chain from the header up to this frame is intact (SQLite would accept it).
    pub chain_ok: bool,
    /// The frame's checksum is right when seeded with the previous frame's stored checksum
    /// (true for intact frames of an older generation too).
    pub self_ok: bool,
    /// Part of a committed transaction that SQLite would replay.
    pub committed: bool,
}

/// The WAL read through: header, frames, and the committed view.
#[derive(Debug, Clone)]
pub struct Wal {
    /// The header.
    pub header: WalHeader,
    /// Every whole frame in the file.
    pub frames: Vec<WalFrame>,
}

impl Wal {
    /// Page → data offset of its latest committed frame, and the database size then.
    pub fn committed_view(&self) -> (HashMap<u32, u64>, Option<u32>) {
        let mut map = HashMap::new();
        let mut size = None;
        for f in self.frames.iter().filter(|f| f.committed) {
            map.insert(f.page, f.data_offset);
            if f.commit_size != 0 {
                size = Some(f.commit_size);
            }
        }
        (map, size)
    }
}

/// SQLite's WAL checksum of `data` (a multiple of 8 bytes) continued from `s`.
pub(crate) fn checksum(data: &[u8], big_endian: bool, mut s: (u32, u32)) -> (u32, u32) {
    for c in data.chunks_exact(8) {
        let w = |b: &[u8]| {
            let a = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }
        };
        s.0 = s.0.wrapping_add(w(&c[0..4])).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(w(&c[4..8])).wrapping_add(s.0);
    }
    s
}

/// Reads the WAL header and every frame (positioned reads, one frame at a time).
/// `db_page_size` is the database's page size, which the WAL must share.
pub fn scan(wal: &EvidenceFile, db_page_size: u32) -> Result<Wal> {
    let mut hb = [0u8; HEADER_SIZE];
    if wal.read_at(0, &mut hb)? < HEADER_SIZE {
        return Err(Error::BadWal {
            detail: format!("{} bytes, shorter than the 32-byte header", wal.len()),
        });
    }
    let mut r = Reader::new(&hb, 0, 0);
    let magic = r.u32("WAL magic")?;
    let big_endian = match magic {
        MAGIC_BE => true,
        MAGIC_LE => false,
        m => {
            return Err(Error::BadWal {
                detail: format!("bad magic {m:#010x} at byte 0"),
            });
        }
    };
    let version = r.u32("WAL version")?;
    if version != VERSION {
        return Err(Error::BadWal {
            detail: format!("unknown version {version} at byte 4"),
        });
    }
    let page_size = r.u32("WAL page size")?;
    if page_size != db_page_size {
        return Err(Error::BadWal {
            detail: format!(
                "page size {page_size} at byte 8 differs from the database's {db_page_size}"
            ),
        });
    }
    let checkpoint_seq = r.u32("checkpoint sequence")?;
    let salt = (r.u32("salt 1")?, r.u32("salt 2")?);
    let stored = (r.u32("checksum 1")?, r.u32("checksum 2")?);
    let mut running = checksum(&hb[..24], big_endian, (0, 0));
    let header_ok = running == stored;
    let header = WalHeader {
        big_endian,
        page_size,
        checkpoint_seq,
        salt,
        header_ok,
    };

    let frame_len = FRAME_HEADER_SIZE as u64 + u64::from(page_size);
    let count = (wal.len().saturating_sub(HEADER_SIZE as u64)) / frame_len;
    let mut frames = Vec::new();
    let mut chain = header_ok;
    let mut prev_stored = stored;
    let mut buf = vec![0u8; frame_len as usize];
    let mut last_commit = 0usize;
    for i in 0..count {
        let off = HEADER_SIZE as u64 + i * frame_len;
        wal.read_at(off, &mut buf)?;
        let mut r = Reader::new(&buf, 0, off as usize);
        let page = r.u32("frame page number")?;
        let commit_size = r.u32("frame commit size")?;
        let fsalt = (r.u32("frame salt 1")?, r.u32("frame salt 2")?);
        let fsum = (r.u32("frame checksum 1")?, r.u32("frame checksum 2")?);
        let data = buf.get(FRAME_HEADER_SIZE..).unwrap_or(&[]);
        let salt_ok = fsalt == salt;
        let head = buf.get(..8).unwrap_or(&[]);
        let own = checksum(data, big_endian, checksum(head, big_endian, prev_stored));
        let self_ok = own == fsum;
        if chain {
            running = checksum(data, big_endian, checksum(head, big_endian, running));
            chain = salt_ok && running == fsum && page != 0;
        }
        prev_stored = fsum;
        if chain && commit_size != 0 {
            last_commit = frames.len() + 1;
        }
        frames.push(WalFrame {
            index: (i + 1) as u32,
            data_offset: off + FRAME_HEADER_SIZE as u64,
            page,
            commit_size,
            salt_ok,
            chain_ok: chain,
            self_ok,
            committed: false,
        });
    }
    for f in frames.iter_mut().take(last_commit) {
        f.committed = true;
    }
    Ok(Wal { header, frames })
}
