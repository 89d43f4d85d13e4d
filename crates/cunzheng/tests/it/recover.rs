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

/// A WeChat-Android-shaped `EnMicroMsg.db` encrypted with SQLCipher 1 settings in
/// `dir/phone/`: 50 messages from a scammer, rows 7, 21 and 33 deleted.
fn wechat_phone(env: &Env) -> std::path::PathBuf {
    let dir = env.path("phone");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let db = dir.join("EnMicroMsg.db");
    let c = wechat_db(&db, "PRAGMA secure_delete = OFF;");
    add_messages(&c, 50);
    c.execute_batch("DELETE FROM message WHERE msgId IN (7, 21, 33)")
        .expect("delete");
    db
}

/// A WeChat-Android-shaped database at `path`, encrypted with SQLCipher 1 settings and the
/// test key, after `pragmas`; no messages yet.
fn wechat_db(path: &std::path::Path, pragmas: &str) -> Connection {
    let c = Connection::open(path).expect("open");
    c.execute_batch(&format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = '{}'; PRAGMA cipher_compatibility = 1;
         {pragmas}
         CREATE TABLE message(msgId INTEGER PRIMARY KEY, msgSvrId INTEGER, type INT, isSend INT,
           createTime INTEGER, talker TEXT, content TEXT, imgPath TEXT);
         CREATE TABLE rcontact(username TEXT PRIMARY KEY, alias TEXT, conRemark TEXT, nickname TEXT);
         CREATE TABLE userinfo(id INTEGER PRIMARY KEY, type INT, value TEXT);
         INSERT INTO rcontact VALUES ('wxid_scammer', '', '投资顾问', 'Lucy');
         INSERT INTO rcontact VALUES ('wxid_victim', '', '', '王女士');
         INSERT INTO userinfo VALUES (2, 3, 'wxid_victim');
         INSERT INTO userinfo VALUES (4, 3, '王女士');",
        key()
    ))
    .expect("create");
    c
}

/// Messages 1..=n from the scammer.
fn add_messages(c: &Connection, n: i64) {
    for i in 1..=n {
        c.execute(
            "INSERT INTO message(msgId, msgSvrId, type, isSend, createTime, talker, content)
             VALUES (?1, ?2, 1, 0, ?3, 'wxid_scammer', ?4)",
            rusqlite::params![
                i,
                6_000_000_000 + i,
                1_700_000_000_000i64 + i * 60_000,
                format!("第{i}条：把钱转到安全账户 6222 0212 3456 {i:04}")
            ],
        )
        .expect("insert");
    }
}

/// `cunzheng preserve PHONE --out CASE --no-report`; exit 3 (preserved, something not read) is
/// accepted: the encrypted database cannot be parsed before `decrypt`.
fn preserve_phone(env: &Env, phone: &std::path::Path, case: &str) {
    let out = env.run(&[
        "preserve",
        phone.to_str().expect("utf8"),
        "--out",
        case,
        "--no-report",
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `cunzheng decrypt CASE --item EnMicroMsg.db` with the test phone's IMEI and UIN; its JSON.
fn decrypt_wechat_json(env: &Env, case: &str) -> serde_json::Value {
    let out = env.run(&[
        "decrypt",
        case,
        "--item",
        "EnMicroMsg.db",
        "--wechat-imei",
        IMEI,
        "--wechat-uin",
        UIN,
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Every file under `dir`, for looking for secrets that must not be there.
fn all_bytes(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out
}

#[test]
fn decrypting_an_exhibit_stages_a_working_copy_and_recovered_messages_with_custody() {
    use super::common::{assert_bagit_valid, verify_json};
    let env = Env::new();
    let db = wechat_phone(&env);
    let original = std::fs::read(&db).expect("read");
    let case = env.path("case");
    let case_s = case.to_str().expect("utf8");
    preserve_phone(&env, &env.path("phone"), case_s);
    let batches = |case: &std::path::Path| {
        std::fs::read_dir(case.join(".cunzheng/staging"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("batch-"))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(batches(&case), 0, "preserve sealed everything");

    // A wrong key: a clear error, nothing staged.
    let out = env.run(&[
        "decrypt",
        case_s,
        "--item",
        "EnMicroMsg.db",
        "--passphrase",
        "0000000",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exhibit #1"), "{stderr}");
    assert!(stderr.contains("does not open it"), "{stderr}");
    assert_eq!(batches(&case), 0);

    let v = decrypt_wechat_json(&env, case_s);
    let orig_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&original));
    assert_eq!(v["exhibit"]["number"], 1);
    assert_eq!(v["exhibit"]["sha256"], orig_sha.as_str());
    assert_eq!(v["cipher"]["name"], "sqlcipher1");
    assert_eq!(v["staged"], true);
    assert_eq!(v["parse"]["messages"], 50, "47 live + 3 recovered: {v}");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    let copy = &files[0];
    let msgs = &files[1];
    let copy_sha = copy["sha256"].as_str().expect("sha");
    assert_eq!(
        copy["path"],
        format!("data/derived/working/{copy_sha}.db").as_str()
    );
    assert_eq!(
        msgs["path"],
        format!("data/derived/messages/{copy_sha}.jsonl").as_str()
    );
    for f in files {
        assert_eq!(f["item"], 1);
        assert_eq!(f["item_sha256"], orig_sha.as_str());
    }

    // The staged custody events: input and output hashes, cipher parameters, a key
    // fingerprint; never the key, nor the IMEI and UIN it is made from.
    let batch = std::fs::read_dir(case.join(".cunzheng/staging"))
        .expect("staging")
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("batch-"))
        .expect("a batch");
    let b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(batch.path()).expect("read")).expect("batch json");
    let events = b["events"].as_array().expect("events");
    assert_eq!(events[0]["action"], "decrypt");
    assert_eq!(
        events[0]["inputs"][0],
        format!("exhibit 1 sha256:{orig_sha}").as_str()
    );
    assert_eq!(
        events[0]["outputs"][0],
        format!("data/derived/working/{copy_sha}.db sha256:{copy_sha}").as_str()
    );
    let d = &events[0]["details"];
    assert_eq!(d["cipher"]["kdf_iter"], 4000);
    assert_eq!(d["cipher"]["page_size"], 1024);
    assert_eq!(d["cipher"]["hmac"], false);
    assert_eq!(d["key"]["kind"], "WeChat Android IMEI + UIN");
    assert!(
        d["key"]["fingerprint"]
            .as_str()
            .is_some_and(|f| f.starts_with("sha256:")),
        "{d}"
    );
    assert_eq!(events[1]["action"], "parse");
    assert_eq!(
        events[1]["inputs"][0],
        format!("data/derived/working/{copy_sha}.db sha256:{copy_sha}").as_str()
    );

    // Decrypting again changes nothing.
    let out = env.run(&[
        "decrypt",
        case_s,
        "--item",
        "1",
        "--passphrase",
        &key(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(again["staged"], false);
    assert_eq!(again["files"], v["files"]);
    assert_eq!(batches(&case), 1);

    let out = env.run(&["seal", case_s]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report}");
    assert_bagit_valid(&case);

    // The exhibit is untouched; the copy is plain SQLite; the messages file holds the three
    // deleted messages, flagged, pointing into the exhibit by page and offset.
    let stored = case.join(format!("data/originals/{}/{orig_sha}", &orig_sha[..2]));
    assert_eq!(std::fs::read(&stored).expect("exhibit"), original);
    let plain = Connection::open(case.join(copy["path"].as_str().expect("path"))).expect("open");
    let n: i64 = plain
        .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
        .expect("plain SQLite");
    assert_eq!(n, 47);
    let text =
        std::fs::read_to_string(case.join(msgs["path"].as_str().expect("path"))).expect("messages");
    let recovered: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["record"] == "message" && m["recovered"] == true)
        .collect();
    assert_eq!(recovered.len(), 3, "{text}");
    for i in [7, 21, 33] {
        let body = format!("第{i}条：把钱转到安全账户 6222 0212 3456 {i:04}");
        let m = recovered
            .iter()
            .find(|m| m["body"] == body.as_str())
            .unwrap_or_else(|| panic!("message {i} not recovered: {text}"));
        assert_eq!(m["provenance"]["item_sha256"], orig_sha.as_str());
        assert!(
            m["provenance"]["location"]["page"].as_u64().is_some(),
            "{m}"
        );
    }
    // On the case timeline: the index holds them, flagged.
    let index = Connection::open(case.join(".cunzheng/index.sqlite")).expect("index");
    let n: i64 = index
        .query_row(
            "SELECT count(*) FROM messages WHERE recovered = 1 AND item_sha256 = ?1",
            [&orig_sha],
            |r| r.get(0),
        )
        .expect("index");
    assert_eq!(n, 3);

    let imei_uin_key = [IMEI.to_owned(), UIN.to_owned(), key()];
    for (p, bytes) in all_bytes(&case) {
        for s in &imei_uin_key {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds `{s}`",
                p.display()
            );
        }
    }
}

#[test]
fn recover_reads_the_encrypted_wal_of_an_encrypted_database() {
    let env = Env::new();
    let src = env.path("live");
    std::fs::create_dir_all(&src).expect("mkdir");
    let c = Connection::open(src.join("msg.db")).expect("open");
    c.execute_batch(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = 'wal pass'; PRAGMA journal_mode = WAL;
         PRAGMA wal_autocheckpoint = 0;
         CREATE TABLE message(msgId INTEGER PRIMARY KEY, talker TEXT, content TEXT, createTime INTEGER);",
    )
    .expect("create");
    for i in 1..=60i64 {
        c.execute(
            "INSERT INTO message VALUES (?1, 'wxid_scammer', ?2, ?3)",
            rusqlite::params![i, format!("WAL 第{i}条 转账"), 1_700_000_000_000i64 + i],
        )
        .expect("insert");
    }
    c.execute_batch("DELETE FROM message WHERE msgId IN (5, 50)")
        .expect("delete");
    // The image is taken while the app holds the database open: the WAL is not checkpointed.
    let db = env.path("msg.db");
    let wal = env.path("msg.db-wal");
    std::fs::copy(src.join("msg.db"), &db).expect("copy");
    std::fs::copy(src.join("msg.db-wal"), &wal).expect("copy");
    drop(c);
    let out = env.run(&[
        "recover",
        db.to_str().expect("utf8"),
        "--wal",
        wal.to_str().expect("utf8"),
        "--passphrase",
        "wal pass",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("decrypted with sqlcipher4"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    for i in [5, 50] {
        let want = format!("WAL 第{i}条 转账");
        assert!(
            stdout.lines().any(|l| {
                serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| {
                    v["values"][2] == want.as_str()
                        && v["source"].as_str().is_some_and(|s| s.starts_with("wal:"))
                })
            }),
            "row {i} not recovered from the WAL:\n{stdout}"
        );
    }
}

/// An encrypted `EnMicroMsg.db` in WAL mode imaged with its `-wal` (copies taken with the
/// connection open): decrypting the database exhibit decrypts the log exhibit beside it too,
/// and the parse reads the messages only in the log.
#[test]
fn decrypting_a_database_decrypts_its_write_ahead_log_too() {
    use super::common::{assert_ok, verify_json};
    let env = Env::new();
    let phone = env.path("phone");
    std::fs::create_dir_all(&phone).expect("mkdir");
    let src = env.path("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let c = wechat_db(
        &src.join("EnMicroMsg.db"),
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;",
    );
    // Everything so far into the database file; the messages only into the log.
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    add_messages(&c, 20);
    for name in ["EnMicroMsg.db", "EnMicroMsg.db-wal"] {
        std::fs::copy(src.join(name), phone.join(name)).expect("image");
    }
    drop(c);

    let case = env.path("case");
    let case_s = case.to_str().expect("utf8");
    preserve_phone(&env, &phone, case_s);
    let v = decrypt_wechat_json(&env, case_s);
    assert_eq!(v["parse"]["messages"], 20, "all in the log: {v:#}");
    assert_eq!(v["parse"]["with"][0]["role"], "wal", "{v:#}");
    assert!(v["wal"]["valid_frames"].as_u64().unwrap_or(0) > 0, "{v:#}");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 3, "{v:#}");
    let wal_path = files[1]["path"].as_str().expect("path");
    assert!(
        wal_path.starts_with("data/derived/working/") && wal_path.ends_with(".db-wal"),
        "{wal_path}"
    );
    assert_ok(&env.run(&["seal", case_s]));
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    // The parse event names both working copies.
    let log = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).unwrap_or_default();
    let parse = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["action"] == "parse" && e["inputs"].as_array().is_some_and(|i| i.len() == 2))
        .unwrap_or_else(|| panic!("no parse event with two inputs: {log}"));
    assert!(
        parse["inputs"][1]
            .as_str()
            .unwrap_or("")
            .contains(".db-wal"),
        "{parse:#}"
    );
}
