//! B-tree pages: page header, cell pointers, cells, freeblocks and the unallocated gap.

use crate::error::{Error, Location, Result};
use crate::format::{FREEBLOCK_HEADER, HEADER_SIZE, btree_hdr, page_type};
use crate::reader::Reader;

/// The four kinds of b-tree page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// Table b-tree, interior: cells are (left child, rowid).
    TableInterior,
    /// Table b-tree, leaf: cells are (payload size, rowid, payload).
    TableLeaf,
    /// Index b-tree, interior: cells are (left child, payload size, payload).
    IndexInterior,
    /// Index b-tree, leaf: cells are (payload size, payload).
    IndexLeaf,
}

impl PageKind {
    /// From the page type byte.
    pub fn from_byte(b: u8) -> Option<PageKind> {
        match b {
            page_type::TABLE_INTERIOR => Some(PageKind::TableInterior),
            page_type::TABLE_LEAF => Some(PageKind::TableLeaf),
            page_type::INDEX_INTERIOR => Some(PageKind::IndexInterior),
            page_type::INDEX_LEAF => Some(PageKind::IndexLeaf),
            _ => None,
        }
    }

    /// Leaf pages have an 8-byte header, interior pages 12.
    pub fn is_leaf(self) -> bool {
        matches!(self, PageKind::TableLeaf | PageKind::IndexLeaf)
    }

    /// Table (rowid) b-tree.
    pub fn is_table(self) -> bool {
        matches!(self, PageKind::TableLeaf | PageKind::TableInterior)
    }
}

/// Bytes of a payload of `payload` bytes kept on the b-tree page itself (the rest overflows).
/// The formula is from the file-format document, section "Cell Payload Overflow Pages".
pub fn local_size(table_leaf: bool, usable: u32, payload: u64) -> usize {
    let u = u64::from(usable);
    let x = if table_leaf {
        u - 35
    } else {
        ((u - 12) * 64 / 255) - 23
    };
    if payload <= x {
        return payload as usize;
    }
    let m = ((u - 12) * 32 / 255) - 23;
    let k = m + ((payload - m) % (u - 4));
    if k <= x { k as usize } else { m as usize }
}

/// A parsed b-tree page header over the page bytes.
#[derive(Debug, Clone)]
pub struct BtreePage<'a> {
    /// Page number.
    pub pgno: u32,
    /// The whole page.
    pub data: &'a [u8],
    /// Page kind.
    pub kind: PageKind,
    /// Offset of the b-tree header (100 on page 1, else 0).
    pub hdr_off: usize,
    /// First freeblock (0 = none).
    pub first_freeblock: u16,
    /// Number of cells.
    pub cell_count: u16,
    /// Start of the cell content area.
    pub content_start: usize,
    /// Right-most child for interior pages.
    pub right_child: Option<u32>,
    /// Usable bytes of the page.
    pub usable: usize,
}

/// A cell as it sits on a page.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    /// Offset of the cell in the page.
    pub offset: usize,
    /// Left child (interior pages).
    pub left_child: Option<u32>,
    /// Rowid (table pages).
    pub rowid: Option<i64>,
    /// Total payload size.
    pub payload_size: u64,
    /// The payload bytes on this page.
    pub local: &'a [u8],
    /// First overflow page, when the payload does not fit.
    pub overflow: Option<u32>,
}

impl<'a> BtreePage<'a> {
    /// Parses the b-tree header of `data` (a whole page).
    pub fn parse(data: &'a [u8], pgno: u32, usable: u32) -> Result<BtreePage<'a>> {
        let hdr_off = if pgno == 1 { HEADER_SIZE } else { 0 };
        let usable_len = (usable as usize).min(data.len());
        let page = Reader::new(data.get(..usable_len).unwrap_or(data), pgno, 0);
        let mut r = page.sub(hdr_off, btree_hdr::LEAF_SIZE, "b-tree page header")?;
        let t = r.u8("page type")?;
        let kind = PageKind::from_byte(t).ok_or(Error::NotBtreePage {
            page: pgno,
            kind: t,
        })?;
        let first_freeblock = r.u16("first freeblock")?;
        let cell_count = r.u16("cell count")?;
        let cs = r.u16("cell content start")?;
        let content_start = if cs == 0 { 65536 } else { usize::from(cs) };
        let right_child = if kind.is_leaf() {
            None
        } else {
            Some(
                page.sub(hdr_off + btree_hdr::RIGHT_CHILD, 4, "right child")?
                    .u32("right child")?,
            )
        };
        let p = BtreePage {
            pgno,
            data: &data[..usable_len],
            kind,
            hdr_off,
            first_freeblock,
            cell_count,
            content_start,
            right_child,
            usable: usable_len,
        };
        if p.pointer_end() > usable_len {
            return Err(Error::Corrupt {
                what: "cell pointer array",
                at: p.loc(hdr_off + btree_hdr::CELL_COUNT),
                detail: format!("{cell_count} cells do not fit in the page"),
            });
        }
        Ok(p)
    }

    fn loc(&self, offset: usize) -> Location {
        Location::Page {
            page: self.pgno,
            offset,
        }
    }

    /// End of the cell pointer array (start of the unallocated gap).
    pub fn pointer_end(&self) -> usize {
        let h = if self.kind.is_leaf() {
            btree_hdr::LEAF_SIZE
        } else {
            btree_hdr::INTERIOR_SIZE
        };
        self.hdr_off + h + 2 * usize::from(self.cell_count)
    }

    /// The unallocated gap between the pointer array and the content area, as (start, end).
    pub fn unallocated(&self) -> (usize, usize) {
        let start = self.pointer_end();
        let end = self.content_start.min(self.usable);
        (start, end.max(start))
    }

    /// Offsets of the cells, from the pointer array.
    pub fn cell_offsets(&self) -> Result<Vec<usize>> {
        let h = if self.kind.is_leaf() {
            btree_hdr::LEAF_SIZE
        } else {
            btree_hdr::INTERIOR_SIZE
        };
        let page = Reader::new(self.data, self.pgno, 0);
        let mut r = page.sub(
            self.hdr_off + h,
            2 * usize::from(self.cell_count),
            "cell pointer array",
        )?;
        (0..self.cell_count)
            .map(|_| r.u16("cell pointer").map(usize::from))
            .collect()
    }

    /// The freeblock chain as (offset, size). Stops with an error on a loop, a block out of
    /// the page, or offsets that do not increase (SQLite keeps the chain sorted).
    pub fn freeblocks(&self) -> Result<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        let mut next = usize::from(self.first_freeblock);
        let page = Reader::new(self.data, self.pgno, 0);
        let mut last_end = 0;
        while next != 0 {
            if next < last_end || out.len() > self.usable / FREEBLOCK_HEADER {
                return Err(Error::Cycle {
                    what: "freeblock chain",
                    page: self.pgno,
                    steps: out.len(),
                });
            }
            let mut r = page.sub(next, FREEBLOCK_HEADER, "freeblock header")?;
            let after = usize::from(r.u16("next freeblock")?);
            let size = usize::from(r.u16("freeblock size")?);
            if size < FREEBLOCK_HEADER || next + size > self.usable {
                return Err(Error::Corrupt {
                    what: "freeblock",
                    at: self.loc(next),
                    detail: format!("size {size} does not fit in the page"),
                });
            }
            out.push((next, size));
            last_end = next + size;
            next = after;
        }
        Ok(out)
    }

    /// Parses the cell at `offset`.
    pub fn cell(&self, offset: usize) -> Result<Cell<'a>> {
        let page = Reader::new(self.data, self.pgno, 0);
        let mut r = page.sub(offset, self.usable.saturating_sub(offset), "cell")?;
        let left_child = match self.kind {
            PageKind::TableInterior | PageKind::IndexInterior => Some(r.u32("left child")?),
            _ => None,
        };
        if self.kind == PageKind::TableInterior {
            let rowid = r.varint("rowid")? as i64;
            return Ok(Cell {
                offset,
                left_child,
                rowid: Some(rowid),
                payload_size: 0,
                local: &[],
                overflow: None,
            });
        }
        let payload_size = r.varint("payload size")?;
        let rowid = match self.kind {
            PageKind::TableLeaf => Some(r.varint("rowid")? as i64),
            _ => None,
        };
        let local = local_size(
            self.kind == PageKind::TableLeaf,
            self.usable as u32,
            payload_size,
        );
        let bytes = r.take(local, "cell payload")?;
        let overflow = if (local as u64) < payload_size {
            Some(r.u32("first overflow page")?)
        } else {
            None
        };
        Ok(Cell {
            offset,
            left_child,
            rowid,
            payload_size,
            local: bytes,
            overflow,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sizes_follow_the_document() {
        // 4096-byte pages: a table leaf keeps payloads up to U-35 = 4061 bytes.
        assert_eq!(local_size(true, 4096, 4061), 4061);
        let m = ((4096 - 12) * 32 / 255) - 23;
        assert!(local_size(true, 4096, 5000) >= m);
        assert!(local_size(true, 4096, 5000) <= 4061);
        assert_eq!(local_size(false, 4096, 100), 100);
    }

    #[test]
    fn looping_freeblocks_are_an_error() {
        let mut page = vec![0u8; 512];
        page[0] = 13;
        page[1..3].copy_from_slice(&100u16.to_be_bytes());
        page[5..7].copy_from_slice(&100u16.to_be_bytes());
        // A freeblock at 100 whose next pointer is itself.
        page[100..102].copy_from_slice(&100u16.to_be_bytes());
        page[102..104].copy_from_slice(&8u16.to_be_bytes());
        let p = BtreePage::parse(&page, 2, 512).expect("page");
        let e = p.freeblocks().expect_err("loop").to_string();
        assert!(e.contains("page 2"), "{e}");
    }
}
