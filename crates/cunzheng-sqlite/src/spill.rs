//! Carved records parked outside the heap while the whole database is carved: deduplication
//! needs every candidate before any is known to be a deleted row, and a 1 GB database yields
//! a million of them. Each record is kept in a compact binary form, in memory up to a limit and
//! then in an anonymous temporary file (removed by the OS when closed), and read back by
//! offset. Only the few fields deduplication compares stay in memory ([`Summary`]).
//!
//! The format is private to one run, so it is hand-rolled and minimal: little-endian
//! integers, a tag byte per value.

use crate::carve::{Found, Source};
use crate::error::{Error, Result};
use crate::read::record::Value;
use std::io::Write;

/// Bytes kept in memory before the spill moves to a temporary file.
const MEMORY_LIMIT: usize = 64 << 20;

/// What deduplication needs of one parked record.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Target table index.
    pub table: u32,
    /// Index of its missing-column list in [`Spill::masks`].
    pub mask: u32,
    /// Hash of its values with the missing columns left out.
    pub key: u64,
    /// Its confidence.
    pub confidence: f64,
    /// [`Found::prefix`] length, [`NO_PREFIX`] for none.
    pub prefix_len: u8,
    /// [`Found::prefix`] hash.
    pub prefix_hash: u64,
    /// Where its bytes start in the spill.
    pub at: u64,
}

/// [`Summary::prefix_len`] of a record without a prefix (prefixes are at most
/// [`crate::carve::PREFIX_MAX`] bytes).
pub const NO_PREFIX: u8 = u8::MAX;

impl Summary {
    /// [`Found::prefix`].
    pub fn prefix(&self) -> Option<(usize, u64)> {
        (self.prefix_len != NO_PREFIX).then_some((usize::from(self.prefix_len), self.prefix_hash))
    }
}

enum Store {
    Memory(Vec<u8>),
    File {
        w: std::io::BufWriter<std::fs::File>,
        len: u64,
    },
}

/// The parked records.
pub struct Spill {
    store: Store,
    /// Every record parked, in order.
    pub summaries: Vec<Summary>,
    /// Distinct missing-column lists.
    pub masks: Vec<Vec<usize>>,
    mask_ids: std::collections::HashMap<Vec<usize>, u32>,
    buf: Vec<u8>,
}

fn spill_error(source: std::io::Error) -> Error {
    Error::Io {
        path: std::env::temp_dir().join("(cunzheng recovery spill)"),
        source,
    }
}

impl Spill {
    /// An empty spill.
    pub fn new() -> Spill {
        Spill {
            store: Store::Memory(Vec::new()),
            summaries: Vec::new(),
            masks: Vec::new(),
            mask_ids: std::collections::HashMap::new(),
            buf: Vec::new(),
        }
    }

    /// Parks `f`, whose values hash to `key` with its missing columns left out.
    pub fn push(&mut self, f: &Found, key: u64) -> Result<()> {
        let mask = match self.mask_ids.get(&f.missing) {
            Some(&m) => m,
            None => {
                let m = self.masks.len() as u32;
                self.masks.push(f.missing.clone());
                self.mask_ids.insert(f.missing.clone(), m);
                m
            }
        };
        self.buf.clear();
        encode(f, &mut self.buf);
        let at = match &mut self.store {
            Store::Memory(m) => {
                let at = m.len() as u64;
                m.extend_from_slice(&self.buf);
                at
            }
            Store::File { w, len } => {
                let at = *len;
                w.write_all(&self.buf).map_err(spill_error)?;
                *len += self.buf.len() as u64;
                at
            }
        };
        if let Store::Memory(m) = &self.store
            && m.len() > MEMORY_LIMIT
        {
            let file = tempfile::tempfile().map_err(spill_error)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            w.write_all(m).map_err(spill_error)?;
            let len = m.len() as u64;
            self.store = Store::File { w, len };
        }
        let (prefix_len, prefix_hash) = f.prefix.map_or((NO_PREFIX, 0), |(l, h)| {
            // Longer than any prefix carving makes: clamped (never compared equal).
            (
                u8::try_from(l).unwrap_or(NO_PREFIX - 1).min(NO_PREFIX - 1),
                h,
            )
        });
        self.summaries.push(Summary {
            table: f.table as u32,
            mask,
            key,
            confidence: f.confidence,
            prefix_len,
            prefix_hash,
            at,
        });
        Ok(())
    }

    /// Ends writing; the records can then be read.
    pub fn finish(self) -> Result<Parked> {
        let store = match self.store {
            Store::Memory(m) => Parked::Memory(m),
            Store::File { w, .. } => {
                Parked::File(w.into_inner().map_err(|e| spill_error(e.into_error()))?)
            }
        };
        Ok(store)
    }
}

/// Parked records, readable by offset.
pub enum Parked {
    /// Small runs.
    Memory(Vec<u8>),
    /// Large runs.
    File(std::fs::File),
}

impl Parked {
    /// The record parked at `at`.
    pub fn get(&self, at: u64) -> Result<Found> {
        match self {
            Parked::Memory(m) => {
                let start = usize::try_from(at).unwrap_or(usize::MAX);
                decode(m.get(start..).unwrap_or(&[]))
            }
            Parked::File(f) => {
                // A record's length is in its first 4 bytes.
                let mut len = [0u8; 4];
                read_exact_at(f, &mut len, at)?;
                let n = u32::from_le_bytes(len) as usize;
                let mut buf = vec![0u8; n];
                read_exact_at(f, &mut buf, at)?;
                decode(&buf)
            }
        }
    }
}

#[cfg(unix)]
fn read_exact_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at).map_err(spill_error)
}

#[cfg(windows)]
fn read_exact_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = std::os::windows::fs::FileExt::seek_read(f, &mut buf[done..], at + done as u64)
            .map_err(spill_error)?;
        if n == 0 {
            return Err(spill_error(std::io::ErrorKind::UnexpectedEof.into()));
        }
        done += n;
    }
    Ok(())
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(b: &mut Vec<u8>, v: &[u8]) {
    put_u64(b, v.len() as u64);
    b.extend_from_slice(v);
}

/// Record layout: total length (u32, including itself), table, page, offset, confidence,
/// source, prefix, missing columns, values.
fn encode(f: &Found, b: &mut Vec<u8>) {
    let start = b.len();
    put_u32(b, 0);
    put_u64(b, f.table as u64);
    put_u32(b, f.page);
    put_u64(b, f.offset as u64);
    put_u64(b, f.confidence.to_bits());
    let (tag, n) = match f.source {
        Source::Freeblock => (0u8, 0),
        Source::Unallocated => (1, 0),
        Source::Freelist => (2, 0),
        Source::Unreferenced => (3, 0),
        Source::Superseded => (4, 0),
        Source::Wal(n) => (5, n),
        Source::Journal(n) => (6, n),
    };
    b.push(tag);
    put_u32(b, n);
    let (pl, ph) = f.prefix.map_or((u64::MAX, 0), |(l, h)| (l as u64, h));
    put_u64(b, pl);
    put_u64(b, ph);
    put_u64(b, f.missing.len() as u64);
    for &m in &f.missing {
        put_u64(b, m as u64);
    }
    put_u64(b, f.values.len() as u64);
    for v in &f.values {
        match v {
            Value::Null => b.push(0),
            Value::Integer(i) => {
                b.push(1);
                put_u64(b, *i as u64);
            }
            Value::Real(r) => {
                b.push(2);
                put_u64(b, r.to_bits());
            }
            Value::Text(s) => {
                b.push(3);
                put_bytes(b, s.as_bytes());
            }
            Value::Blob(x) => {
                b.push(4);
                put_bytes(b, x);
            }
        }
    }
    // A record longer than 4 GiB cannot be carved from one page (and its overflow) of a
    // database whose pages are at most 64 KiB and whose records are capped far below.
    let len = u32::try_from(b.len() - start).unwrap_or(u32::MAX);
    b[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let (a, b) = self
            .0
            .split_at_checked(n)
            .ok_or_else(|| spill_error(std::io::ErrorKind::UnexpectedEof.into()))?;
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    fn usize(&mut self) -> Result<usize> {
        usize::try_from(self.u64()?)
            .map_err(|_| spill_error(std::io::ErrorKind::InvalidData.into()))
    }
    fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = self.usize()?;
        Ok(self.take(n)?.to_vec())
    }
}

fn decode(b: &[u8]) -> Result<Found> {
    let bad = || spill_error(std::io::ErrorKind::InvalidData.into());
    let mut c = Cursor(b);
    let _len = c.u32()?;
    let table = c.usize()?;
    let page = c.u32()?;
    let offset = c.usize()?;
    let confidence = f64::from_bits(c.u64()?);
    let tag = c.u8()?;
    let n = c.u32()?;
    let source = match tag {
        0 => Source::Freeblock,
        1 => Source::Unallocated,
        2 => Source::Freelist,
        3 => Source::Unreferenced,
        4 => Source::Superseded,
        5 => Source::Wal(n),
        6 => Source::Journal(n),
        _ => return Err(bad()),
    };
    let pl = c.u64()?;
    let ph = c.u64()?;
    let prefix = (pl != u64::MAX).then_some((usize::try_from(pl).map_err(|_| bad())?, ph));
    // Counts come from this run's own writes; the cursor bounds every read regardless.
    let nm = c.usize()?;
    let mut missing = Vec::with_capacity(nm.min(b.len() / 8));
    for _ in 0..nm {
        missing.push(c.usize()?);
    }
    let nv = c.usize()?;
    let mut values = Vec::with_capacity(nv.min(b.len()));
    for _ in 0..nv {
        values.push(match c.u8()? {
            0 => Value::Null,
            1 => Value::Integer(c.u64()? as i64),
            2 => Value::Real(f64::from_bits(c.u64()?)),
            3 => Value::Text(String::from_utf8(c.bytes()?).map_err(|_| bad())?),
            4 => Value::Blob(c.bytes()?),
            _ => return Err(bad()),
        });
    }
    Ok(Found {
        table,
        values,
        missing,
        source,
        page,
        offset,
        confidence,
        prefix,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn found(i: usize) -> Found {
        Found {
            table: i % 3,
            values: vec![
                Value::Null,
                Value::Integer(-(i as i64)),
                Value::Real(i as f64 / 3.0),
                Value::Text(format!("消息 {i} {}", "x".repeat(i % 700))),
                Value::Blob(vec![i as u8; i % 50]),
            ],
            missing: if i.is_multiple_of(2) {
                vec![]
            } else {
                vec![0, 2]
            },
            source: if i.is_multiple_of(4) {
                Source::Wal(i as u32)
            } else {
                Source::Freeblock
            },
            page: i as u32,
            offset: i * 7,
            confidence: 0.5,
            prefix: i.is_multiple_of(5).then_some((i % 128, i as u64 * 31)),
        }
    }

    fn same(a: &Found, b: &Found) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn records_come_back_in_memory_and_from_the_file() {
        let mut s = Spill::new();
        // Enough to pass the memory limit: ~200 KB records.
        let big = |i: usize| {
            let mut f = found(i);
            f.values.push(Value::Blob(vec![7; 200_000]));
            f
        };
        let n = MEMORY_LIMIT / 200_000 + 20;
        for i in 0..n {
            s.push(&big(i), i as u64).unwrap();
        }
        let sums = s.summaries.clone();
        let masks = s.masks.clone();
        let parked = s.finish().unwrap();
        assert!(matches!(parked, Parked::File(_)));
        for (i, sum) in sums.iter().enumerate() {
            let f = parked.get(sum.at).unwrap();
            assert!(same(&f, &big(i)), "record {i}");
            assert_eq!(masks[sum.mask as usize], f.missing);
            assert_eq!(sum.prefix(), f.prefix);
            assert_eq!(sum.key, i as u64);
        }
        let mut s = Spill::new();
        for i in 0..100 {
            s.push(&found(i), 0).unwrap();
        }
        let sums = s.summaries.clone();
        let parked = s.finish().unwrap();
        assert!(matches!(parked, Parked::Memory(_)));
        for (i, sum) in sums.iter().enumerate() {
            assert!(same(&parked.get(sum.at).unwrap(), &found(i)));
        }
    }
}
