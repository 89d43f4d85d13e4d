//! Encrypted databases made here with the real SQLCipher (rusqlite's bundled-sqlcipher) in
//! every parameter set: they decrypt page by page, their live rows parse, and rows deleted
//! before encryption-at-rest are recovered from the decrypted working copy. A wrong key is a
//! clear error. The WAL frames and rollback-journal records of an encrypted database are
//! decrypted as read, so rows deleted in the WAL or kept only by the journal come back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cunzheng_sqlite::cipher::{Key, decrypt_file, params_named};
use cunzheng_sqlite::{Error, recover};
use rusqlite::Connection;
use std::path::Path;

/// ASCII so that the same bytes can be typed into `PRAGMA key` (WeChat PC's raw key is the
/// PBKDF2 passphrase).
const RAW: &[u8; 32] = b"0123456789abcdef0123456789ABCDEF";

fn build(path: &Path, pragmas: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(&format!("PRAGMA cipher_log_level = NONE; {pragmas}"))
        .unwrap();
    c.execute_batch(
        "PRAGMA secure_delete = OFF;
         CREATE TABLE message(msgId INTEGER PRIMARY KEY, talker TEXT, content TEXT, createTime INTEGER);",
    )
    .unwrap();
    c.execute_batch("BEGIN").unwrap();
    for i in 1..=300 {
        c.execute(
            "INSERT INTO message(talker, content, createTime) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                format!("wxid_{:04}", i % 7),
                format!("消息 {i}: 请把验证码发给我 transfer to the safe account #{i}"),
                1_700_000_000_000i64 + i
            ],
        )
        .unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    c.execute_batch("DELETE FROM message WHERE msgId % 10 = 3")
        .unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 270);
}

fn check(name: &str, pragmas: &str, key: Key, set: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(format!("{name}.db"));
    build(&db, pragmas);
    let before = std::fs::read(&db).unwrap();
    assert_ne!(&before[..16], b"SQLite format 3\0", "{name}: encrypted");
    let out = dir.path().join(format!("{name}.plain.db"));
    let d = decrypt_file(&db, &out, &key, set.map(|s| params_named(s).unwrap())).unwrap();
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "{name}: original untouched"
    );
    assert!(d.bad_pages.is_empty(), "{name}: {:?}", d.bad_pages);
    let r = recover(&out, None, None).unwrap();
    let t = r.tables.iter().find(|t| t.name == "message").unwrap();
    assert_eq!(t.live_rows, 270, "{name}: live rows");
    let found: Vec<i64> = (1..=300)
        .filter(|i| i % 10 == 3)
        .filter(|i| {
            let want = format!("消息 {i}: 请把验证码发给我 transfer to the safe account #{i}");
            r.rows
                .iter()
                .any(|row| row.table == "message" && row.values[2] == want)
        })
        .collect();
    // Deleted rows whose text survives in the decrypted copy (a b-tree rebalance during the
    // DELETE rewrites pages and really loses some).
    let plain = std::fs::read(&out).unwrap();
    let intact = (1..=300)
        .filter(|i| i % 10 == 3)
        .filter(|i| {
            let want = format!("消息 {i}: 请把验证码发给我 transfer to the safe account #{i}");
            plain.windows(want.len()).any(|w| w == want.as_bytes())
        })
        .count();
    println!(
        "{name:<12} matched {:<11} pages {:>3}  deleted rows: {intact}/30 intact in the copy, {} recovered",
        d.params.name,
        d.pages,
        found.len()
    );
    if found.len() < 30 && std::env::var("CUNZHENG_VERBOSE").is_ok() {
        std::fs::copy(&out, format!("/tmp/{name}.plain.db")).unwrap();
        for row in &r.rows {
            println!("  {}", serde_json::to_string(row).unwrap());
        }
    }
    assert_eq!(
        found.len(),
        intact,
        "{name}: every intact deleted row recovered"
    );
    assert!(intact >= 20, "{name}: {intact}/30 intact");
    // A wrong key: a clear error naming what did not match.
    let wrong = match &key {
        Key::Passphrase(_) => Key::Passphrase(b"not the key".to_vec()),
        Key::Raw(_) => Key::Raw([0x42; 32]),
    };
    let out2 = dir.path().join("wrong.db");
    let e = decrypt_file(&db, &out2, &wrong, set.map(|s| params_named(s).unwrap())).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::WrongKey { .. }), "{msg}");
    assert!(
        msg.contains("HMAC mismatch") || msg.contains("header not valid"),
        "{msg}"
    );
    assert!(!out2.exists(), "no working copy for a wrong key");
}

#[test]
fn sqlcipher_1_to_4_by_compatibility_pragma() {
    for v in 1..=4 {
        let name = format!("sqlcipher{v}");
        check(
            &name,
            &format!("PRAGMA key = 'secret {v}'; PRAGMA cipher_compatibility = {v};"),
            Key::Passphrase(format!("secret {v}").into_bytes()),
            Some(&name),
        );
    }
}

#[test]
fn parameter_set_found_without_being_named() {
    check(
        "auto-v1",
        "PRAGMA key = 'auto'; PRAGMA cipher_compatibility = 1;",
        Key::Passphrase(b"auto".to_vec()),
        None,
    );
}

#[test]
fn sqlcipher4_raw_key() {
    check(
        "raw-v4",
        &format!(
            "PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = 4;",
            hex::encode(RAW)
        ),
        Key::Raw(*RAW),
        Some("sqlcipher4"),
    );
}

#[test]
fn wechat_android_enmicromsg() {
    // key = first 7 hex digits of MD5(IMEI + UIN); SQLCipher 1 settings spelled out.
    let key = Key::wechat_android("865166023456789", "-1234567890");
    let Key::Passphrase(pw) = &key else {
        unreachable!()
    };
    let pw = String::from_utf8(pw.clone()).unwrap();
    assert_eq!(pw.len(), 7);
    check(
        "EnMicroMsg",
        &format!(
            "PRAGMA key = '{pw}'; PRAGMA cipher_use_hmac = OFF; PRAGMA kdf_iter = 4000; \
             PRAGMA cipher_page_size = 1024; PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA1;"
        ),
        key,
        Some("sqlcipher1"),
    );
}

#[test]
fn wechat_pc_3_and_4() {
    let pw = std::str::from_utf8(RAW).unwrap();
    check(
        "wechat-pc3",
        &format!(
            "PRAGMA key = '{pw}'; PRAGMA cipher_page_size = 4096; PRAGMA kdf_iter = 64000; \
             PRAGMA cipher_hmac_algorithm = HMAC_SHA1; PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA1;"
        ),
        Key::Raw(*RAW),
        Some("wechat-pc3"),
    );
    check(
        "wechat-pc4",
        &format!("PRAGMA key = '{pw}'; PRAGMA cipher_compatibility = 4;"),
        Key::Raw(*RAW),
        Some("wechat-pc4"),
    );
}

#[test]
fn plain_database_is_not_decrypted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plain.db");
    Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (1);")
        .unwrap();
    let e = decrypt_file(&db, &dir.path().join("o.db"), &Key::Raw([1; 32]), None).unwrap_err();
    assert!(e.to_string().contains("not encrypted"), "{e}");
}

#[test]
fn page_decryptor_on_arbitrary_bytes() {
    // The fuzz target's entry point over pseudo-random pages of awkward sizes: no panic.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for len in [
        0, 1, 15, 16, 95, 96, 1023, 1024, 1025, 4095, 4096, 4097, 8192,
    ] {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        cunzheng_sqlite::internal::fuzzing::sqlite_cipher_page(&data);
    }
}

/// Text of row `i` in the WAL and journal tests.
fn wal_text(i: i64) -> String {
    format!("第{i}条: 把钱转到安全账户 6222 0000 {i:04} now")
}

/// Copies `name` and its `-wal`/`-journal` from `from` into `to` (while the connection is
/// open, as a phone image would hold them).
fn image(from: &Path, to: &Path, name: &str, suffix: &str) {
    std::fs::copy(from.join(name), to.join(name)).unwrap();
    let side = format!("{name}{suffix}");
    std::fs::copy(from.join(&side), to.join(&side)).unwrap();
}

/// Recovers from an encrypted database image: decrypted working copy of the database, WAL
/// or journal page images decrypted as read. Returns the rows and the problems.
fn recover_encrypted(
    db: &Path,
    wal: Option<&Path>,
    journal: Option<&Path>,
    key: &Key,
    with_cipher: bool,
) -> cunzheng_sqlite::Recovery {
    use cunzheng_sqlite::cipher::{PageCipher, decrypt_to};
    let (cipher, _) = PageCipher::open(db, key, None).unwrap();
    let plain = db.with_extension("plain");
    let mut w = std::io::BufWriter::new(std::fs::File::create_new(&plain).unwrap());
    let d = decrypt_to(db, &cipher, &mut w, &plain).unwrap();
    drop(w);
    assert!(d.bad_pages.is_empty());
    let mut inputs = cunzheng_sqlite::Inputs::open(&plain, wal, journal).unwrap();
    if with_cipher {
        inputs.cipher = Some(cipher);
    }
    let mut rows = Vec::new();
    let mut r = cunzheng_sqlite::recover_each(inputs, &mut |row| {
        rows.push(row);
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    r.rows = rows;
    r
}

fn found(r: &cunzheng_sqlite::Recovery, i: i64) -> Option<&cunzheng_sqlite::RecoveredRow> {
    let want = wal_text(i);
    r.rows
        .iter()
        .find(|row| row.table == "message" && row.values[2] == want.as_str())
}

/// An encrypted database in WAL mode, connection left open: rows 1-100 reach the database
/// file; rows 101-200 live only in WAL frames, and the deletion of every tenth of them is
/// committed to the WAL too (no checkpoint).
fn wal_database(dir: &Path) -> Connection {
    let c = Connection::open(dir.join("msg.db")).unwrap();
    c.execute_batch(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = 'wal secret';
         PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA secure_delete = OFF;
         CREATE TABLE message(msgId INTEGER PRIMARY KEY, talker TEXT, content TEXT, createTime INTEGER);",
    )
    .unwrap();
    let insert = |from: i64, to: i64| {
        c.execute_batch("BEGIN").unwrap();
        for i in from..=to {
            c.execute(
                "INSERT INTO message VALUES (?1, 'wxid_scammer', ?2, ?3)",
                rusqlite::params![i, wal_text(i), 1_700_000_000_000i64 + i],
            )
            .unwrap();
        }
        c.execute_batch("COMMIT").unwrap();
    };
    insert(1, 100);
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    insert(101, 200);
    c.execute_batch("DELETE FROM message WHERE msgId > 100 AND msgId % 10 = 3")
        .unwrap();
    c
}

#[test]
fn encrypted_wal_frames_are_decrypted_and_carved() {
    let src = tempfile::tempdir().unwrap();
    let img = tempfile::tempdir().unwrap();
    let c = wal_database(src.path());
    image(src.path(), img.path(), "msg.db", "-wal");
    drop(c);
    let db = img.path().join("msg.db");
    let wal = img.path().join("msg.db-wal");
    let wal_bytes = std::fs::read(&wal).unwrap();
    assert!(
        !wal_bytes
            .windows(wal_text(113).len())
            .any(|w| w == wal_text(113).as_bytes()),
        "the WAL is encrypted"
    );
    let key = Key::Passphrase(b"wal secret".to_vec());

    let r = recover_encrypted(&db, Some(&wal), None, &key, true);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let t = r.tables.iter().find(|t| t.name == "message").unwrap();
    assert_eq!(t.live_rows, 190, "live rows read through the decrypted WAL");
    for i in (101..=200).filter(|i| i % 10 == 3) {
        let row = found(&r, i).unwrap_or_else(|| panic!("row {i} not recovered"));
        assert!(
            row.source.to_string().starts_with("wal:"),
            "row {i} from {}",
            row.source
        );
        assert_eq!(row.values[1], "wxid_scammer");
    }
    // Live rows are not reported as deleted.
    assert!(found(&r, 150).is_none());
    assert_eq!(std::fs::read(&wal).unwrap(), wal_bytes, "WAL untouched");

    // Without the cipher the frames are ciphertext: nothing of theirs is recovered.
    std::fs::remove_file(img.path().join("msg.plain")).unwrap();
    let r = recover_encrypted(&db, Some(&wal), None, &key, false);
    assert!((101..=200).all(|i| found(&r, i).is_none()));
}

#[test]
fn encrypted_journal_records_are_decrypted_and_carved() {
    let src = tempfile::tempdir().unwrap();
    let img = tempfile::tempdir().unwrap();
    let c = Connection::open(src.path().join("msg.db")).unwrap();
    c.execute_batch(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = 'journal secret';
         PRAGMA cipher_compatibility = 3; PRAGMA journal_mode = PERSIST;
         CREATE TABLE message(msgId INTEGER PRIMARY KEY, talker TEXT, content TEXT, createTime INTEGER);",
    )
    .unwrap();
    c.execute_batch("BEGIN").unwrap();
    for i in 1..=120 {
        c.execute(
            "INSERT INTO message VALUES (?1, 'wxid_scammer', ?2, ?3)",
            rusqlite::params![i, wal_text(i), 1_700_000_000_000i64 + i],
        )
        .unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    // secure_delete wipes the rows from the database file: only the journal's pre-images
    // (kept by PERSIST mode) still hold them.
    c.execute_batch("PRAGMA secure_delete = ON; DELETE FROM message WHERE msgId % 10 = 7")
        .unwrap();
    image(src.path(), img.path(), "msg.db", "-journal");
    drop(c);
    let db = img.path().join("msg.db");
    let journal = img.path().join("msg.db-journal");
    let key = Key::Passphrase(b"journal secret".to_vec());
    let r = recover_encrypted(&db, None, Some(&journal), &key, true);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    for i in (1..=120).filter(|i| i % 10 == 7) {
        let row = found(&r, i).unwrap_or_else(|| panic!("row {i} not recovered"));
        assert!(
            row.source.to_string().starts_with("journal:"),
            "row {i} from {}",
            row.source
        );
    }
    assert!(found(&r, 8).is_none());
    // Without the cipher the journal's images are ciphertext.
    std::fs::remove_file(img.path().join("msg.plain")).unwrap();
    let r = recover_encrypted(&db, None, Some(&journal), &key, false);
    assert!((1..=120).all(|i| i % 10 != 7 || found(&r, i).is_none()));
}

/// The decrypted log of an encrypted database applies to the decrypted database: SQLite reads
/// the rows only in the log, as the app did, and the deletions committed there.
#[test]
fn a_decrypted_wal_applies_to_the_decrypted_database() {
    use cunzheng_sqlite::cipher::{PageCipher, decrypt_to, decrypt_wal_to};
    let src = tempfile::tempdir().unwrap();
    let img = tempfile::tempdir().unwrap();
    let c = wal_database(src.path());
    // A transaction never committed: its frames must stay out.
    c.execute_batch("BEGIN; INSERT INTO message VALUES (999, 'x', 'uncommitted', 0);")
        .unwrap();
    image(src.path(), img.path(), "msg.db", "-wal");
    let key = Key::Passphrase(b"wal secret".to_vec());
    let (cipher, _) = PageCipher::open(&img.path().join("msg.db"), &key, None).unwrap();

    let work = tempfile::tempdir().unwrap();
    let plain = work.path().join("plain.db");
    let mut w = std::io::BufWriter::new(std::fs::File::create_new(&plain).unwrap());
    decrypt_to(&img.path().join("msg.db"), &cipher, &mut w, &plain).unwrap();
    drop(w);
    let plain_wal = work.path().join("plain.db-wal");
    let mut w = std::io::BufWriter::new(std::fs::File::create_new(&plain_wal).unwrap());
    let d = decrypt_wal_to(&img.path().join("msg.db-wal"), &cipher, &mut w, &plain_wal).unwrap();
    drop(w);
    drop(c);
    assert!(d.bad_frames.is_empty(), "{d:?}");
    assert!(d.valid_frames > 0 && d.valid_frames <= d.frames, "{d:?}");

    let p = Connection::open(&plain).unwrap();
    let n: i64 = p
        .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 190, "rows of the database file and of the committed log");
    let text: String = p
        .query_row("SELECT content FROM message WHERE msgId = 150", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(text, wal_text(150));
    let uncommitted: i64 = p
        .query_row("SELECT count(*) FROM message WHERE msgId = 999", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(uncommitted, 0);

    // Without the rewritten checksums SQLite would have ignored every frame.
    let bad = work.path().join("bad.db");
    std::fs::copy(&plain, &bad).unwrap();
    let mut raw = std::fs::read(&plain_wal).unwrap();
    raw[32 + 16] ^= 0xff; // the first frame's checksum
    std::fs::write(work.path().join("bad.db-wal"), raw).unwrap();
    let b = Connection::open(&bad).unwrap();
    let n: i64 = b
        .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 100, "a broken chain applies nothing");
}
