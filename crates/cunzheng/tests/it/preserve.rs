use super::common::*;
use std::process::Command;

#[test]
fn preserve_then_verify_with_cunzheng_and_standard_tools() {
    let env = Env::new();
    let case = env.preserved_case("case");
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["intact"], true);
    assert_eq!(report["case_id"], "TEST-001");
    assert_eq!(report["seals_checked"], 1);
    assert!(
        report["files_checked"].as_u64().unwrap_or(0) >= 8,
        "{report:#}"
    );

    // The Library of Congress validator accepts the bag.
    assert_bagit_valid(&case);
    // sha256sum -c checks the payload manifest.
    if have("sha256sum", &["--version"]) {
        let out = Command::new("sha256sum")
            .args(["-c", "--quiet", "manifest-sha256.txt"])
            .current_dir(&case)
            .output()
            .expect("sha256sum");
        assert!(out.status.success(), "{}", stdout(&out));
    }
    // openssl checks the seal signature with the public key in the bag.
    if have("openssl", &["version"]) {
        // The Ed25519 key named by the statement (the SM2 key lies beside it).
        let st = std::fs::read_to_string(case.join("cunzheng/seals/0001/statement.txt"))
            .expect("statement");
        let hex = st
            .lines()
            .find_map(|l| l.strip_prefix("key: ed25519:"))
            .expect("key line");
        let key = case.join(format!("cunzheng/keys/{hex}.pem"));
        let out = Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
            .arg(&key)
            .arg("-in")
            .arg(case.join("cunzheng/seals/0001/statement.txt"))
            .arg("-sigfile")
            .arg(case.join("cunzheng/seals/0001/statement.sig"))
            .output()
            .expect("openssl");
        assert!(
            stdout(&out).contains("Signature Verified Successfully"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn originals_are_bit_identical_read_only_and_stored_once() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let case = env.preserved_case("case");
    let record =
        std::fs::read_to_string(case.join("data/acquisitions/0001.jsonl")).expect("record");
    let mut items = 0;
    let mut dups = 0;
    let mut entries = 0;
    for line in record.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let Some(item) = v.get("item") else { continue };
        items += 1;
        let stored = case.join(item["stored_as"].as_str().expect("stored_as"));
        let mode = std::fs::metadata(&stored)
            .expect("stored")
            .permissions()
            .mode();
        assert_eq!(mode & 0o222, 0, "{} is writable", stored.display());
        if item["first_seen_as"].is_u64() {
            dups += 1;
        }
        match item["source"]["kind"].as_str() {
            Some("file") => {
                let original = std::fs::read(item["source"]["path"].as_str().expect("path"))
                    .expect("original");
                assert_eq!(
                    original,
                    std::fs::read(&stored).expect("copy"),
                    "{}",
                    stored.display()
                );
            }
            Some("archive_entry") => entries += 1,
            other => panic!("unknown source kind {other:?}"),
        }
    }
    // 10 corpus files + the zip + its 2 entries; the chat-miner LICENSE appears twice.
    assert_eq!(items, 13, "{record}");
    assert_eq!(entries, 2);
    assert_eq!(dups, 1);
    let originals: usize = std::fs::read_dir(case.join("data/originals"))
        .expect("originals")
        .flatten()
        .map(|d| std::fs::read_dir(d.path()).expect("sub").count())
        .sum();
    assert_eq!(originals, 12);
}

#[test]
fn adding_makes_a_new_seal_version_and_the_old_one_still_verifies() {
    let env = Env::new();
    let case = env.preserved_case("case");
    let c = case.to_str().expect("utf8");
    let extra = env.path("extra.txt");
    std::fs::write(&extra, "2023-05-01 转账 5000 元给对方账户").expect("write");
    assert_ok(&env.run(&["add", c, extra.to_str().expect("utf8")]));
    // Staged but unsealed: the sealed case still verifies, with a note.
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap_or("")
            .contains("not sealed"),
        "{report:#}"
    );
    let out = env.run(&["--json", "seal", c]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["seal"]["version"], 2);
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["seals_checked"], 2);
    assert_eq!(report["seal_version"], 2);
    // Version 1's statement and manifests are untouched and still hold.
    let s1 = std::fs::read_to_string(case.join("cunzheng/seals/0001/statement.txt")).expect("s1");
    let s2 = std::fs::read_to_string(case.join("cunzheng/seals/0002/statement.txt")).expect("s2");
    assert!(s2.contains("previous-statement-sha256: "));
    assert!(!s2.contains("previous-statement-sha256: none"));
    assert!(s1.contains("previous-statement-sha256: none"));
    // Sealing with nothing new makes no version.
    let out = env.run(&["seal", c]);
    assert_ok(&out);
    assert!(stdout(&out).contains("nothing new"));
    // The index is derived and rebuildable.
    std::fs::remove_file(case.join(".cunzheng/index.sqlite")).expect("rm index");
    let out = env.run(&["--json", "reindex", c]);
    assert_ok(&out);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(stats["items"], 14);
    assert_eq!(stats["seals"], 2);
}

#[test]
fn sealing_the_same_inputs_twice_gives_the_same_manifests_and_root() {
    let env = Env::new();
    let a = env.preserved_case("a");
    let b = env.preserved_case("b");
    for f in [
        "manifest-sha256.txt",
        "manifest-sm3.txt",
        "data/acquisitions/0001.jsonl",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).expect("a"),
            std::fs::read(b.join(f)).expect("b"),
            "{f} differs"
        );
    }
    let root = |p: &std::path::Path| {
        std::fs::read_to_string(p.join("bag-info.txt"))
            .expect("bag-info")
            .lines()
            .find(|l| l.starts_with("Cunzheng-Merkle-Root"))
            .map(str::to_owned)
    };
    assert_eq!(root(&a), root(&b));
    assert!(root(&a).is_some());
}

#[test]
fn case_new_makes_an_empty_sealed_case() {
    let env = Env::new();
    let case = env.path("empty");
    assert_ok(&env.run(&[
        "case",
        "new",
        case.to_str().expect("utf8"),
        "--title",
        "空案件",
    ]));
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["files_checked"], 0);
}

#[test]
fn shared_corpus_preserves_and_verifies_when_present() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !shared.is_dir() {
        eprintln!("SKIP: ../shared/corpus not present; the bundled fixtures cover the same paths");
        return;
    }
    let env = Env::new();
    let case = env.path("all");
    let out = env.run(&[
        "--json",
        "preserve",
        shared.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["acquisition"]["items"].as_u64().unwrap_or(0) > 200,
        "{v:#}"
    );
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn preserving_parses_recognised_exports_into_sealed_message_files() {
    let env = Env::new();
    let case = env.path("case");
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scam-chat");
    let out = env.run(&[
        "--json",
        "preserve",
        example.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
        "--tz",
        "Asia/Shanghai",
    ]);
    assert_ok(&out);
    // The WeChat text export (and its copy inside the zip, stored once) is parsed once.
    let wechat = derived_by(&case, "wechat-export-txt");
    assert_eq!(wechat["summary"]["messages"], 9, "{wechat:#}");
    let rel = wechat["path"].as_str().expect("path");
    let manifest = std::fs::read_to_string(case.join("manifest-sha256.txt")).expect("manifest");
    assert!(manifest.contains(rel), "{rel} not sealed");
    let text = std::fs::read_to_string(case.join(rel)).expect("derived file");
    let first = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["record"] == "message")
        .expect("a message");
    assert_eq!(first["time"]["utc"], "2024-03-02T12:15:03Z");
    assert_eq!(first["time"]["offset"], "+08:00");
    assert_eq!(first["time"]["zone_basis"], "given");
    assert!(first["body"].as_str().unwrap_or("").contains("股票群"));
    // Every message points back at the preserved export.
    assert_eq!(first["provenance"]["item_sha256"], wechat["item_sha256"]);
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    // The index holds the messages; it is rebuilt from the bag alone.
    let out = env.run(&["--json", "reindex", case.to_str().expect("utf8")]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(stats["messages"].as_u64().unwrap_or(0) >= 9, "{stats:#}");
    // Parsing is deterministic: a second case from the same inputs has the same derived bytes.
    let case2 = env.path("case2");
    assert_ok(&env.run(&[
        "preserve",
        example.to_str().expect("utf8"),
        "--out",
        case2.to_str().expect("utf8"),
        "--tz",
        "Asia/Shanghai",
    ]));
    assert_eq!(
        std::fs::read(case.join(rel)).expect("a"),
        std::fs::read(case2.join(rel)).expect("b")
    );
}

/// Files of 16 MiB and more are written with direct I/O where the file system allows it (the
/// temporary folder of the tests usually does); sizes that are not a multiple of the device
/// block end through the page cache. Either way the copy is the original, byte for byte.
#[test]
fn large_originals_are_copied_exactly() {
    use sha2::{Digest, Sha256};
    let env = Env::new();
    let input = env.path("large");
    std::fs::create_dir_all(&input).expect("mkdir");
    let mut want = Vec::new();
    for (i, size) in [16usize << 20, (17 << 20) + 1234, (16 << 20) + 4096 + 7]
        .into_iter()
        .enumerate()
    {
        let bytes: Vec<u8> = (0..size)
            .map(|j| {
                (j as u32)
                    .wrapping_mul(2_654_435_761)
                    .rotate_left(i as u32 + 3) as u8
            })
            .collect();
        std::fs::write(input.join(format!("{i}.bin")), &bytes).expect("write");
        want.push(hex::encode(Sha256::digest(&bytes)));
    }
    let case = env.path("case");
    assert_ok(&env.run(&[
        "preserve",
        "--no-parse",
        "--no-report",
        input.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
    ]));
    for sha in &want {
        let copy =
            std::fs::read(case.join(format!("data/originals/{}/{sha}", &sha[..2]))).expect("copy");
        assert_eq!(&hex::encode(Sha256::digest(&copy)), sha);
    }
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
}

/// A database and its write-ahead log preserved from one folder are two exhibits stored by
/// hash; the parse reads them together (rows only in the log are messages) and names the log
/// in what it records.
#[test]
fn a_database_is_parsed_with_its_write_ahead_log() {
    let env = Env::new();
    let phone = env.path("phone");
    std::fs::create_dir_all(&phone).expect("mkdir");
    let built = env.path("mmssms.db");
    let c = rusqlite::Connection::open(&built).expect("create");
    c.execute_batch(
        "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT,
            date INTEGER, type INTEGER, body TEXT, read INTEGER);
         CREATE TABLE threads (_id INTEGER PRIMARY KEY, recipient_ids TEXT);
         CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY, address TEXT);
         INSERT INTO canonical_addresses VALUES (1, '+8613800000001');
         INSERT INTO threads VALUES (1, '1');
         INSERT INTO sms VALUES (1, 1, '+8613800000001', 1700000000000, 1, '你好', 1);
         PRAGMA journal_mode = WAL;
         PRAGMA wal_autocheckpoint = 0;
         INSERT INTO sms VALUES (2, 1, '+8613800000001', 1700000700000, 1,
            '把验证码发给我，马上给你退款', 1);",
    )
    .expect("fill");
    std::fs::copy(&built, phone.join("mmssms.db")).expect("copy db");
    std::fs::copy(env.path("mmssms.db-wal"), phone.join("mmssms.db-wal")).expect("copy wal");
    drop(c);
    let wal_sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(
            std::fs::read(phone.join("mmssms.db-wal")).expect("wal"),
        ))
    };

    let case = env.path("case");
    assert_ok(&env.run(&[
        "preserve",
        "--no-report",
        phone.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
        "--tz",
        "Asia/Shanghai",
    ]));
    let sms = derived_by(&case, "android-mmssms-db");
    assert_eq!(sms["summary"]["messages"], 2, "{sms:#}");
    let with = &sms["summary"]["with"][0];
    assert_eq!(with["role"], "wal", "{sms:#}");
    assert_eq!(with["sha256"], wal_sha.as_str());
    let text =
        std::fs::read_to_string(case.join(sms["path"].as_str().expect("path"))).expect("messages");
    assert!(text.contains("把验证码发给我"), "{text}");
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
}

/// The `derived` record of the first acquisition whose parser tag starts with `parser`.
fn derived_by(case: &std::path::Path, parser: &str) -> serde_json::Value {
    let record =
        std::fs::read_to_string(case.join("data/acquisitions/0001.jsonl")).expect("record");
    let derived: Vec<serde_json::Value> = record
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("derived").cloned())
        .collect();
    derived
        .iter()
        .find(|d| {
            d["summary"]["parser"]
                .as_str()
                .unwrap_or("")
                .starts_with(parser)
        })
        .cloned()
        .unwrap_or_else(|| panic!("nothing parsed by {parser}: {derived:#?}"))
}
