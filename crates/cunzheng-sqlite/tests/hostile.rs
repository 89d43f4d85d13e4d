//! Hostile files: no panic, bounded time and memory, errors that say where.

use cunzheng_sqlite::recover;
use std::path::Path;
use std::time::{Duration, Instant};

fn small_db(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("h.db");
    let c = rusqlite::Connection::open(&p).expect("open");
    c.execute_batch(
        "PRAGMA page_size=1024; CREATE TABLE m(id INTEGER PRIMARY KEY, t TEXT, body TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<60)
         INSERT INTO m(t, body) SELECT 'wxid_' || i, printf('%.*c', 50 + i * 40, 'x') FROM n;
         DELETE FROM m WHERE id % 3 = 0;",
    )
    .expect("fill");
    drop(c);
    p
}

fn patch(path: &Path, offset: u64, bytes: &[u8]) {
    let mut b = std::fs::read(path).expect("read");
    b[offset as usize..offset as usize + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, b).expect("write");
}

#[test]
fn empty_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("empty.db");
    std::fs::write(&p, b"").expect("write");
    let e = recover(&p, None, None).expect_err("0 bytes").to_string();
    assert!(e.contains("byte 0"), "{e}");
}

#[test]
fn cyclic_freelist_is_reported_not_followed() {
    let dir = tempfile::tempdir().expect("dir");
    let p = small_db(dir.path());
    let b = std::fs::read(&p).expect("read");
    let trunk = u32::from_be_bytes([b[32], b[33], b[34], b[35]]);
    assert!(trunk != 0, "the fixture must have a freelist");
    // The trunk's next pointer points to itself.
    patch(&p, u64::from(trunk - 1) * 1024, &trunk.to_be_bytes());
    let r = recover(&p, None, None).expect("recovers the rest");
    assert!(
        r.problems.iter().any(|p| p.contains("freelist")),
        "{:?}",
        r.problems
    );
}

#[test]
fn cyclic_overflow_chain_and_pages_past_the_end() {
    let dir = tempfile::tempdir().expect("dir");
    let p = small_db(dir.path());
    let len = std::fs::metadata(&p).expect("meta").len();
    let pages = (len / 1024) as u32;
    // Every page's first 4 bytes (overflow links, trunk links) point to page 3 or past the end.
    for pg in 2..=pages {
        let target = if pg % 2 == 0 { 3 } else { pages + 1000 };
        let b = std::fs::read(&p).expect("read");
        let off = u64::from(pg - 1) * 1024;
        if b[off as usize] == 0 || b[off as usize] == 13 || b[off as usize] == 5 {
            continue; // keep b-tree pages; overflow and free pages start with a link
        }
        patch(&p, off, &target.to_be_bytes());
    }
    // The header's freelist trunk past the end.
    patch(&p, 32, &(pages + 7).to_be_bytes());
    let r = recover(&p, None, None).expect("recovers the rest");
    assert!(!r.problems.is_empty());
    assert!(
        r.problems.iter().all(|p| p.contains("page")),
        "{:?}",
        r.problems
    );
}

#[test]
fn header_lying_about_page_size() {
    let dir = tempfile::tempdir().expect("dir");
    let p = small_db(dir.path());
    patch(&p, 16, &4096u16.to_be_bytes());
    let r = recover(&p, None, None);
    if let Ok(r) = &r {
        assert!(
            !r.problems.is_empty(),
            "a 4096-byte reading of 1024-byte pages finds problems"
        );
    }
    patch(&p, 16, &1000u16.to_be_bytes());
    let e = recover(&p, None, None)
        .expect_err("not a power of two")
        .to_string();
    assert!(e.contains("page size 1000") && e.contains("byte 16"), "{e}");
}

#[test]
fn four_gigabyte_sparse_file_is_bounded() {
    let dir = tempfile::tempdir().expect("dir");
    let p = small_db(dir.path());
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .expect("open");
    f.set_len(4 << 30).expect("sparse");
    drop(f);
    // The header's page count is small; pages past it are read one at a time, zero pages skipped.
    patch(&p, 28, &(u32::MAX).to_be_bytes());
    let t = Instant::now();
    let r = recover(&p, None, None).expect("recover");
    assert!(
        t.elapsed() < Duration::from_secs(120),
        "took {:?}",
        t.elapsed()
    );
    assert!(r.page_count <= (4u32 << 20) / 1024 * 1024);
    assert!(
        r.problems.iter().any(|p| p.contains("header says")),
        "{:?}",
        r.problems
    );
    assert!(!r.rows.is_empty());
}
