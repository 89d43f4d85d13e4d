//! Constants and layouts from SQLite's database file-format document
//! (<https://www.sqlite.org/fileformat2.html>) and WAL/journal descriptions. No logic here.

/// The 16-byte magic string at offset 0 of every database file.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Size of the database header on page 1.
pub const HEADER_SIZE: usize = 100;

/// Offsets of the database header fields (all big-endian).
pub mod hdr {
    /// u16: page size, 1 meaning 65536.
    pub const PAGE_SIZE: usize = 16;
    /// u8: file format write version (1 legacy, 2 WAL).
    pub const WRITE_VERSION: usize = 18;
    /// u8: file format read version (1 legacy, 2 WAL).
    pub const READ_VERSION: usize = 19;
    /// u8: bytes reserved at the end of each page (encryption, checksums).
    pub const RESERVED: usize = 20;
    /// u32: file change counter.
    pub const CHANGE_COUNTER: usize = 24;
    /// u32: database size in pages, valid when the change counter equals [`VERSION_VALID_FOR`].
    pub const DB_PAGES: usize = 28;
    /// u32: first freelist trunk page.
    pub const FREELIST_TRUNK: usize = 32;
    /// u32: total number of freelist pages.
    pub const FREELIST_COUNT: usize = 36;
    /// u32: schema format number (1..=4).
    pub const SCHEMA_FORMAT: usize = 44;
    /// u32: largest root b-tree page when auto-vacuum or incremental vacuum is on, else 0.
    pub const AUTOVACUUM_TOP_ROOT: usize = 52;
    /// u32: text encoding (1 UTF-8, 2 UTF-16le, 3 UTF-16be).
    pub const TEXT_ENCODING: usize = 56;
    /// u32: non-zero for incremental vacuum.
    pub const INCREMENTAL_VACUUM: usize = 64;
    /// u32: the change counter value for which [`DB_PAGES`] is valid.
    pub const VERSION_VALID_FOR: usize = 92;
}

/// Smallest legal page size.
pub const MIN_PAGE_SIZE: u32 = 512;
/// Largest legal page size.
pub const MAX_PAGE_SIZE: u32 = 65536;
/// Smallest usable size (page size minus reserved bytes) the format allows.
pub const MIN_USABLE_SIZE: u32 = 480;

/// B-tree page type flags (first byte of the page header).
pub mod page_type {
    /// Interior page of an index b-tree.
    pub const INDEX_INTERIOR: u8 = 2;
    /// Interior page of a table b-tree.
    pub const TABLE_INTERIOR: u8 = 5;
    /// Leaf page of an index b-tree.
    pub const INDEX_LEAF: u8 = 10;
    /// Leaf page of a table b-tree.
    pub const TABLE_LEAF: u8 = 13;
}

/// Offsets inside a b-tree page header.
pub mod btree_hdr {
    /// u8: page type.
    pub const TYPE: usize = 0;
    /// u16: first freeblock offset, 0 when none.
    pub const FIRST_FREEBLOCK: usize = 1;
    /// u16: number of cells.
    pub const CELL_COUNT: usize = 3;
    /// u16: start of the cell content area, 0 meaning 65536.
    pub const CONTENT_START: usize = 5;
    /// u8: fragmented free bytes in the content area.
    pub const FRAGMENTED: usize = 7;
    /// u32: right-most child (interior pages only).
    pub const RIGHT_CHILD: usize = 8;
    /// Header size of a leaf page.
    pub const LEAF_SIZE: usize = 8;
    /// Header size of an interior page.
    pub const INTERIOR_SIZE: usize = 12;
}

/// A freeblock starts with u16 next-freeblock offset and u16 size (including these 4 bytes).
pub const FREEBLOCK_HEADER: usize = 4;

/// Freelist trunk page: u32 next trunk, u32 leaf count, then leaf page numbers.
pub const TRUNK_HEADER: usize = 8;

/// Longest varint: 9 bytes (8 of 7 bits, the last of 8).
pub const MAX_VARINT_LEN: usize = 9;

/// SQLite's default limit on columns in a table (SQLITE_MAX_COLUMN); the hard limit is 32767.
pub const MAX_COLUMNS: usize = 32767;

/// Sqlite_master lives in the table b-tree rooted at page 1.
pub const SCHEMA_ROOT: u32 = 1;

/// WAL file layout.
pub mod wal {
    /// Magic with little-endian checksums.
    pub const MAGIC_LE: u32 = 0x377f_0682;
    /// Magic with big-endian checksums.
    pub const MAGIC_BE: u32 = 0x377f_0683;
    /// The only WAL format version.
    pub const VERSION: u32 = 3_007_000;
    /// WAL header size.
    pub const HEADER_SIZE: usize = 32;
    /// Frame header size.
    pub const FRAME_HEADER_SIZE: usize = 24;
}

/// Rollback journal layout.
pub mod journal {
    /// The 8-byte journal header magic.
    pub const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
    /// Bytes used by the header fields (the header is padded to a sector).
    pub const HEADER_FIELDS: usize = 28;
    /// Journal checksums add every 200th byte of the page.
    pub const CHECKSUM_STRIDE: usize = 200;
}
