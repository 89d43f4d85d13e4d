//! Encrypted databases made here with the real SQLCipher (rusqlite's bundled-sqlcipher) in
//! every parameter set: they decrypt page by page, their live rows parse, and rows deleted
//! before encryption-at-rest are recovered from the decrypted working copy. A wrong key is a
//! clear error.
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
