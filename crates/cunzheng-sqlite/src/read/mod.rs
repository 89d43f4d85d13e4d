//! Parsers for each on-disk structure, all over [`crate::reader::Reader`].

pub mod btree;
pub mod freelist;
pub mod header;
pub mod journal;
pub mod pager;
pub mod record;
pub mod wal;
