//! `cunzheng recover` and `cunzheng decrypt` on an encrypted WeChat-Android-style database
//! made here with SQLCipher (1.x settings, key from IMEI and UIN).

use super::common::Env;
use rusqlite::Connection;

const IMEI: &str = "865166023456789";
const UIN: &str = "-1234567890";

/// The first 7 hex digits of MD5(IMEI + UIN), as the library derives it.
fn key() -> String {
    match cunzheng_sqlite::cipher::Key::wechat_android(IMEI, UIN) {
        cunzheng_sqlite::cipher::Key::Passphrase(p) => String::from_utf8(p).expect("hex"),
        cunzheng_sqlite::cipher::Key::Raw(_) => unreachable!(),
    }
}

fn enmicromsg(env: &Env) -> std::path::PathBuf {
    let db = env.path("EnMicroMsg.db");
    let c = Connection::open(&db).expect("open");
    c.execute_batch(&format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = '{}'; PRAGMA cipher_compatibility = 1;
         PRAGMA secure_delete = OFF;
         CREATE TABLE message(msgId INTEGER PRIMARY KEY, talker TEXT, content TEXT, createTime INTEGER);",
        key()
    ))
    .expect("create");
    for i in 1..=50 {
        c.execute(
            "INSERT INTO message(talker, content, createTime) VALUES ('wxid_scammer', ?1, ?2)",
            rusqlite::params![
                format!("把钱转到安全账户 {i} transfer now"),
                1_700_000_000_000i64 + i
            ],
        )
        .expect("insert");
    }
    c.execute_batch("DELETE FROM message WHERE msgId IN (7, 21, 33)")
        .expect("delete");
    db
}

#[test]
fn recover_with_wechat_android_key() {
    let env = Env::new();
    let db = enmicromsg(&env);
    let before = std::fs::read(&db).expect("read");
    let out = env.run(&[
        "recover",
        db.to_str().expect("utf8"),
        "--wechat-imei",
        IMEI,
        "--wechat-uin",
        UIN,
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("decrypted with sqlcipher1"), "{stderr}");
    for i in [7, 21, 33] {
        let want = format!("把钱转到安全账户 {i} transfer now");
        assert!(
            stdout.lines().any(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .is_ok_and(|v| v["table"] == "message" && v["values"][2] == want.as_str())
            }),
            "row {i} not recovered:\n{stdout}"
        );
    }
    assert_eq!(
        std::fs::read(&db).expect("read"),
        before,
        "evidence untouched"
    );
}

#[test]
fn decrypt_writes_a_working_copy_and_a_wrong_key_is_clear() {
    let env = Env::new();
    let db = enmicromsg(&env);
    let plain = env.path("plain.db");
    let out = env.run(&[
        "decrypt",
        db.to_str().expect("utf8"),
        "--out",
        plain.to_str().expect("utf8"),
        "--passphrase",
        &key(),
        "--cipher",
        "sqlcipher1",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["params"]["name"], "sqlcipher1");
    let c = Connection::open(&plain).expect("open plain");
    let n: i64 = c
        .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
        .expect("plain copy reads with plain SQLite");
    assert_eq!(n, 47);

    let out = env.run(&[
        "recover",
        db.to_str().expect("utf8"),
        "--wechat-imei",
        "000000000000000",
        "--wechat-uin",
        UIN,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("page 1 header not valid after decryption"),
        "{stderr}"
    );
}
