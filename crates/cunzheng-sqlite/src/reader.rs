//! The one bounds-checked cursor every parser in this crate reads through.
//!
//! It never indexes a slice directly: each read is `split_at_checked`, and each failure names
//! what was being read and where (page + offset, or file offset).

use crate::error::{Error, Location, Result};
use crate::format::MAX_VARINT_LEN;

/// A cursor over a byte slice that knows where the slice sits in the evidence.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Page the slice belongs to (0 = not a page: a WAL or journal header, say).
    page: u32,
    /// Offset of `data[0]` inside that page or file.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte is at `base` in `page` (page 0: file offset).
    pub fn new(data: &'a [u8], page: u32, base: usize) -> Self {
        Reader {
            data,
            pos: 0,
            page,
            base,
        }
    }

    /// Where the cursor is, for error messages.
    pub fn location(&self) -> Location {
        let offset = self.base + self.pos;
        if self.page == 0 {
            Location::File {
                offset: offset as u64,
            }
        } else {
            Location::Page {
                page: self.page,
                offset,
            }
        }
    }

    /// Position relative to the start of the slice.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left after the cursor.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self, what: &'static str) -> Result<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(Error::Corrupt {
                what,
                at: self.location(),
                detail: format!("{} trailing bytes", self.remaining()),
            })
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let rest = &self.data[self.pos..];
        match rest.split_at_checked(n) {
            Some((head, _)) => {
                self.pos += n;
                Ok(head)
            }
            None => Err(Error::Truncated {
                what,
                at: self.location(),
                need: n,
                have: rest.len(),
            }),
        }
    }

    /// A reader over `len` bytes at `start` (relative to the slice), leaving this cursor alone.
    pub fn sub(&self, start: usize, len: usize, what: &'static str) -> Result<Reader<'a>> {
        let mut r = *self;
        r.pos = 0;
        let tail = self.data.get(start..).ok_or(Error::Truncated {
            what,
            at: self.location(),
            need: start,
            have: self.data.len(),
        })?;
        let (body, _) = tail.split_at_checked(len).ok_or(Error::Truncated {
            what,
            at: Location::Page {
                page: self.page,
                offset: self.base + start,
            },
            need: len,
            have: tail.len(),
        })?;
        r.data = body;
        r.base = self.base + start;
        Ok(r)
    }

    /// Moves the cursor to `pos` (relative to the slice).
    pub fn seek(&mut self, pos: usize, what: &'static str) -> Result<()> {
        if pos > self.data.len() {
            return Err(Error::Truncated {
                what,
                at: self.location(),
                need: pos,
                have: self.data.len(),
            });
        }
        self.pos = pos;
        Ok(())
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// Big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A SQLite varint (1..=9 bytes, big-endian, high bit = more); returns the value.
    pub fn varint(&mut self, what: &'static str) -> Result<u64> {
        let rest = &self.data[self.pos..];
        match varint(rest) {
            Some((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            None => Err(Error::Truncated {
                what,
                at: self.location(),
                need: MAX_VARINT_LEN.min(rest.len() + 1),
                have: rest.len(),
            }),
        }
    }
}

/// Decodes a varint at the start of `b`: (value, length), or `None` when `b` ends first.
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..MAX_VARINT_LEN {
        let byte = *b.get(i)?;
        if i == MAX_VARINT_LEN - 1 {
            return Some(((v << 8) | u64::from(byte), MAX_VARINT_LEN));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Bytes a varint of value `v` takes.
pub fn varint_len(v: u64) -> usize {
    if v > 0x00ff_ffff_ffff_ffff {
        return MAX_VARINT_LEN;
    }
    let mut n = 1;
    let mut x = v >> 7;
    while x != 0 {
        n += 1;
        x >>= 7;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(v: u64) -> Vec<u8> {
        if v > 0x00ff_ffff_ffff_ffff {
            let mut out: Vec<u8> = (0..8)
                .map(|i| (((v >> (8 + 7 * (7 - i))) & 0x7f) as u8) | 0x80)
                .collect();
            out.push(v as u8);
            return out;
        }
        let n = varint_len(v);
        (0..n)
            .map(|i| {
                let b = ((v >> (7 * (n - 1 - i))) & 0x7f) as u8;
                if i + 1 < n { b | 0x80 } else { b }
            })
            .collect()
    }

    #[test]
    fn varints_round_trip() {
        for v in [
            0,
            1,
            127,
            128,
            240,
            2287,
            16383,
            16384,
            1 << 35,
            u64::MAX >> 8,
            (u64::MAX >> 8) + 1,
            u64::MAX,
        ] {
            let e = encode(v);
            assert_eq!(e.len(), varint_len(v), "{v}");
            assert_eq!(varint(&e), Some((v, e.len())), "{v}");
        }
    }

    #[test]
    fn truncation_names_the_place() {
        let data = [0x81u8, 0x82];
        let mut r = Reader::new(&data, 7, 100);
        let err = r
            .varint("cell payload size")
            .expect_err("truncated")
            .to_string();
        assert!(err.contains("page 7 offset 100"), "{err}");
        assert!(r.sub(1, 5, "x").is_err());
        assert_eq!(r.sub(1, 1, "x").map(|s| s.remaining()).ok(), Some(1));
    }
}
