//! Examiner keys: SM2 beside Ed25519 on every statement and custody event (checked by
//! openssl), keys encrypted at rest, import and export, and old cases without SM2.
#![allow(clippy::unwrap_used)]

use super::common::*;
use std::process::Command;

fn have_openssl() -> bool {
    have("openssl", &["version"])
}

#[test]
fn every_statement_and_event_is_sm2_signed_and_openssl_agrees() {
    let env = Env::new();
    let case = env.preserved_case("case");
    let seal = case.join("cunzheng/seals/0001");
    let st = std::fs::read_to_string(seal.join("statement.txt")).unwrap();
    assert!(st.starts_with("cunzheng seal statement v2\n"), "{st}");
    let sm2_fp = st
        .lines()
        .find_map(|l| l.strip_prefix("key-sm2: "))
        .expect("key-sm2 line")
        .to_owned();
    let key_file = case.join(format!(
        "cunzheng/keys/{}.pem",
        sm2_fp.trim_start_matches("sm2:")
    ));
    assert!(key_file.is_file());
    let log = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).unwrap();
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["key_sm2"], sm2_fp.as_str(), "{line}");
        assert!(v["sig_sm2"].as_str().is_some_and(|s| !s.is_empty()));
    }
    if have_openssl() {
        let out = Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&key_file)
            .args(["-rawin", "-in"])
            .arg(seal.join("statement.txt"))
            .arg("-sigfile")
            .arg(seal.join("statement.sm2.sig"))
            .args(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report}");
    assert!(
        report["signing_keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == sm2_fp.as_str())
    );

    // A forged SM2 statement signature is named, though Ed25519 still verifies.
    let bad = env.path("bad");
    copy_case(&case, &bad);
    let sig = bad.join("cunzheng/seals/0001/statement.sm2.sig");
    let mut b = std::fs::read(&sig).unwrap();
    let n = b.len();
    b[n - 2] ^= 1;
    std::fs::write(&sig, b).unwrap();
    // Rewriting the tag manifests too would hide nothing: the signature check stands alone.
    let (code, report) = verify_json(&env, &bad);
    assert_eq!(code, 1);
    assert!(
        report["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "signature" && d["detail"].as_str().unwrap().contains("SM2")),
        "{report:#}"
    );
}

#[test]
fn keys_are_encrypted_at_rest_and_managed() {
    let env = Env::new();
    let run = |args: &[&str], pass: Option<&str>| {
        let mut c = env.cmd(args);
        c.env_remove("CUNZHENG_KEY_UNENCRYPTED");
        if let Some(p) = pass {
            c.env("CUNZHENG_KEY_PASSPHRASE", p);
        }
        c.output().unwrap()
    };
    // No passphrase and no explicit choice: no key is made.
    let out = run(&["key"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("CUNZHENG_KEY_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
    assert!(!env.path("home/keys/examiner-ed25519.pem").exists());

    let out = run(&["--json", "key"], Some("正确的口令"));
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["encrypted"], true);
    assert_eq!(v["sm2"]["encrypted"], true);
    for f in ["examiner-ed25519.pem", "examiner-sm2.pem"] {
        let pem = std::fs::read_to_string(env.path(&format!("home/keys/{f}"))).unwrap();
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            "{f}"
        );
    }
    // Wrong passphrase: refused, nothing sealed.
    let out = run(&["key"], Some("wrong"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );

    // openssl opens the encrypted key with the passphrase and derives the same public key.
    let exported = stdout(&run(
        &["key", "export", "--algo", "sm2"],
        Some("正确的口令"),
    ));
    assert_eq!(exported, v["sm2"]["public_key_pem"].as_str().unwrap());
    if have_openssl() {
        let out = Command::new("openssl")
            .args(["pkey", "-pubout", "-passin", "env:PW", "-in"])
            .arg(env.path("home/keys/examiner-sm2.pem"))
            .env("PW", "正确的口令")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), exported);

        // Import an SM2 key made by openssl into a fresh home, stored encrypted.
        let other = Env::new();
        let key = other.path("okey.pem");
        let st = Command::new("openssl")
            .args(["genpkey", "-algorithm", "SM2", "-out"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(st.success());
        let opub = Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .output()
            .unwrap();
        let mut c = other.cmd(&["key", "import", "--algo", "sm2", key.to_str().unwrap()]);
        c.env_remove("CUNZHENG_KEY_UNENCRYPTED")
            .env("CUNZHENG_KEY_PASSPHRASE", "p");
        assert_ok(&c.output().unwrap());
        let mut c = other.cmd(&["key", "export", "--algo", "sm2"]);
        c.env_remove("CUNZHENG_KEY_UNENCRYPTED")
            .env("CUNZHENG_KEY_PASSPHRASE", "p");
        assert_eq!(
            stdout(&c.output().unwrap()),
            String::from_utf8_lossy(&opub.stdout)
        );
        let pem = std::fs::read_to_string(other.path("home/keys/examiner-sm2.pem")).unwrap();
        assert!(pem.contains("ENCRYPTED PRIVATE KEY"));
    }

    // A case sealed with the encrypted keys verifies.
    let chat = env.path("chat.txt");
    std::fs::write(&chat, "hello").unwrap();
    let case = env.path("case");
    let out = run(
        &[
            "preserve",
            chat.to_str().unwrap(),
            "--out",
            case.to_str().unwrap(),
        ],
        Some("正确的口令"),
    );
    assert_ok(&out);
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report}");

    // Explicitly unencrypted is allowed and said.
    let plain = Env::new();
    let out = plain.run(&["key", "generate", "--algo", "sm2", "--unencrypted"]);
    assert_ok(&out);
    let pem = std::fs::read_to_string(plain.path("home/keys/examiner-sm2.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(stdout(&plain.run(&["key"])).contains("NOT encrypted"));
}
