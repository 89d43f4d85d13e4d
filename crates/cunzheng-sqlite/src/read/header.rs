//! The 100-byte database header on page 1.

use crate::error::{Error, Result};
use crate::format::{self, MAGIC, hdr};
use crate::reader::Reader;

/// Text encoding of every string in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextEncoding {
    /// UTF-8 (header value 1, and 0 in a blank header).
    Utf8,
    /// UTF-16 little-endian.
    Utf16le,
    /// UTF-16 big-endian.
    Utf16be,
}

impl TextEncoding {
    /// Decodes text bytes; `None` when they are not valid in this encoding.
    pub fn decode(self, b: &[u8]) -> Option<String> {
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(b).ok().map(str::to_owned),
            TextEncoding::Utf16le | TextEncoding::Utf16be => {
                if !b.len().is_multiple_of(2) {
                    return None;
                }
                let units = b.chunks_exact(2).map(|c| match self {
                    TextEncoding::Utf16le => u16::from_le_bytes([c[0], c[1]]),
                    _ => u16::from_be_bytes([c[0], c[1]]),
                });
                char::decode_utf16(units)
                    .collect::<Result<String, _>>()
                    .ok()
            }
        }
    }

    /// Decodes text, replacing what is invalid (for live rows, which SQLite itself stored).
    pub fn decode_lossy(self, b: &[u8]) -> String {
        match self.decode(b) {
            Some(s) => s,
            None => match self {
                TextEncoding::Utf8 => String::from_utf8_lossy(b).into_owned(),
                _ => {
                    let units = b.chunks_exact(2).map(|c| match self {
                        TextEncoding::Utf16le => u16::from_le_bytes([c[0], c[1]]),
                        _ => u16::from_be_bytes([c[0], c[1]]),
                    });
                    char::decode_utf16(units)
                        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                        .collect()
                }
            },
        }
    }
}

/// The fields of the database header that this reader uses.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Header {
    /// Page size in bytes (512..=65536).
    pub page_size: u32,
    /// Bytes reserved at the end of each page.
    pub reserved: u8,
    /// Write version (2 = WAL).
    pub write_version: u8,
    /// Read version (2 = WAL).
    pub read_version: u8,
    /// Database size in pages, when the header says it is valid.
    pub db_pages: Option<u32>,
    /// First freelist trunk page (0 = none).
    pub freelist_trunk: u32,
    /// Freelist page count.
    pub freelist_count: u32,
    /// Largest root page when auto-vacuum is on (0 = off).
    pub autovacuum_top_root: u32,
    /// Incremental vacuum on.
    pub incremental_vacuum: bool,
    /// Text encoding.
    pub encoding: TextEncoding,
}

impl Header {
    /// Parses the first 100 bytes of a database file.
    pub fn parse(b: &[u8]) -> Result<Header> {
        let mut r = Reader::new(b, 0, 0);
        let magic = r.take(MAGIC.len(), "database header")?;
        if magic != MAGIC {
            return Err(Error::NotSqlite);
        }
        let field = |off: usize, what: &'static str| -> Result<Reader<'_>> { r.sub(off, 4, what) };
        let raw_ps = r.sub(hdr::PAGE_SIZE, 2, "page size")?.u16("page size")?;
        let page_size = if raw_ps == 1 {
            65536
        } else {
            u32::from(raw_ps)
        };
        let reserved = r
            .sub(hdr::RESERVED, 1, "reserved bytes")?
            .u8("reserved bytes")?;
        if !page_size.is_power_of_two()
            || !(format::MIN_PAGE_SIZE..=format::MAX_PAGE_SIZE).contains(&page_size)
            || page_size - u32::from(reserved) < format::MIN_USABLE_SIZE
        {
            return Err(Error::BadPageSize {
                page_size,
                reserved,
            });
        }
        let change = field(hdr::CHANGE_COUNTER, "change counter")?.u32("change counter")?;
        let valid_for =
            field(hdr::VERSION_VALID_FOR, "version-valid-for")?.u32("version-valid-for")?;
        let pages = field(hdr::DB_PAGES, "database size")?.u32("database size")?;
        let encoding = match field(hdr::TEXT_ENCODING, "text encoding")?.u32("text encoding")? {
            2 => TextEncoding::Utf16le,
            3 => TextEncoding::Utf16be,
            _ => TextEncoding::Utf8,
        };
        Ok(Header {
            page_size,
            reserved,
            write_version: r
                .sub(hdr::WRITE_VERSION, 1, "write version")?
                .u8("write version")?,
            read_version: r
                .sub(hdr::READ_VERSION, 1, "read version")?
                .u8("read version")?,
            db_pages: (change == valid_for && pages > 0).then_some(pages),
            freelist_trunk: field(hdr::FREELIST_TRUNK, "freelist trunk")?.u32("freelist trunk")?,
            freelist_count: field(hdr::FREELIST_COUNT, "freelist count")?.u32("freelist count")?,
            autovacuum_top_root: field(hdr::AUTOVACUUM_TOP_ROOT, "auto-vacuum root")?
                .u32("auto-vacuum root")?,
            incremental_vacuum: field(hdr::INCREMENTAL_VACUUM, "incremental vacuum")?
                .u32("incremental vacuum")?
                != 0,
            encoding,
        })
    }

    /// Page size minus reserved bytes: the part of each page b-trees use.
    pub fn usable_size(&self) -> u32 {
        self.page_size - u32::from(self.reserved)
    }
}
