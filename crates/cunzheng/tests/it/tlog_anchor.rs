//! Transparency-log anchors from the command line: `preserve --log URL --log-key VKEY` against
//! a real `cunzheng log serve` on 127.0.0.1, receipts checked offline by `verify`, tampering,
//! a wrong key, the log down at seal time then `stamp`, and the config file.
#![allow(clippy::unwrap_used)]

use super::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

const ORIGIN: &str = "logwire.test/log";

/// `cunzheng log serve` as a child, killed on drop.
struct LogServer {
    child: Child,
    url: String,
    vkey: String,
}

impl LogServer {
    /// Serves the log `name` (database and key in the env folder) on `bind`.
    fn start(env: &Env, name: &str, bind: &str) -> Self {
        let db = env.path(&format!("{name}.db"));
        let key = env.path(&format!("{name}.key.pem"));
        let mut child = env
            .cmd(&[
                "--json",
                "log",
                "serve",
                "--bind",
                bind,
                "--db",
                db.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
                "--origin",
                ORIGIN,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn log serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
        Self {
            url: format!("http://{}", v["listening"].as_str().expect("address")),
            vkey: v["log_key"].as_str().expect("key").to_owned(),
            child,
        }
    }
}

impl Drop for LogServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}{}", stdout(out), stderr(out)))
}

const ANCHORS: &str = "cunzheng/seals/0001/anchors";

#[test]
fn preserve_with_a_pinned_log_key_is_granted_and_every_receipt_byte_matters() {
    let env = Env::new();
    let log = LogServer::start(&env, "log", "127.0.0.1:0");
    let case = env.path("case");
    let c = case.to_str().unwrap();
    let out = env.run(&[
        "--json",
        "preserve",
        one_line_chat(&env).to_str().unwrap(),
        "--out",
        c,
        "--log",
        &log.url,
        "--log-key",
        &log.vkey,
    ]);
    assert_ok(&out);
    let v = json(&out);
    assert_eq!(v["anchors"][0]["kind"], "tlog", "{v}");
    assert_eq!(v["anchors"][0]["status"], "granted", "{v}");

    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    let a = &report["anchors"][0];
    assert_eq!(a["status"], "granted");
    assert_eq!(a["name"], "log-1");
    assert_eq!(a["receipt"]["origin"], ORIGIN);
    assert_eq!(a["receipt"]["index"], 0);
    assert!(a["gen_time"].as_str().unwrap().ends_with('Z'), "{a}");
    assert!(a["detail"].as_str().unwrap().contains(ORIGIN), "{a}");
    let text = stdout(&env.run(&["verify", c]));
    assert!(text.contains("log receipt log-1 (seal 1"), "{text}");
    assert_bagit_valid(&case);

    let dir = case.join(ANCHORS);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["log-1.json", "log-1.receipt.json", "log-1.vkey"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("log-1.vkey"))
            .unwrap()
            .trim(),
        log.vkey
    );
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("log-1.json")).unwrap()).unwrap();
    assert_eq!(rec["merkle_root"], report["merkle_root"]);
    assert_eq!(rec["log_key"], "pinned");

    // The stored receipt checks with `cunzheng log verify` alone, against the seal's root.
    let root = report["merkle_root"].as_str().unwrap();
    let out = env.run(&[
        "log",
        "verify",
        dir.join("log-1.receipt.json").to_str().unwrap(),
        "--log-key",
        &log.vkey,
        "--root",
        root,
    ]);
    assert_ok(&out);

    // Bytes spread over every anchor file: each change is found and the file named.
    for f in ["log-1.receipt.json", "log-1.json", "log-1.vkey"] {
        let len = std::fs::read(dir.join(f)).unwrap().len();
        let step = (len / 12).max(1);
        for i in (0..len).step_by(step) {
            let copy = env.path(&format!("t-{f}-{i}"));
            copy_case(&case, &copy);
            let p = copy.join(ANCHORS).join(f);
            let mut b = std::fs::read(&p).unwrap();
            b[i] ^= 0x01;
            std::fs::write(&p, b).unwrap();
            let (code, report) = verify_json(&env, &copy);
            assert_eq!(code, 1, "{f} byte {i}: {report:#}");
            assert!(
                named_paths(&report).iter().any(|n| n.ends_with(f)),
                "{f} byte {i}: {report:#}"
            );
            std::fs::remove_dir_all(&copy).unwrap();
        }
    }

    // A receipt that still parses but claims another index: the anchor itself is invalid.
    let copy = env.path("t-index");
    copy_case(&case, &copy);
    let p = copy.join(ANCHORS).join("log-1.receipt.json");
    let t = std::fs::read_to_string(&p).unwrap();
    assert!(t.contains("\"index\": 0"), "{t}");
    std::fs::write(&p, t.replace("\"index\": 0", "\"index\": 1")).unwrap();
    let (code, report) = verify_json(&env, &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["anchors"][0]["status"], "invalid", "{report:#}");

    // Another log's key put in place of the pinned one: invalid, and named.
    let other = LogServer::start(&env, "other", "127.0.0.1:0");
    let copy = env.path("t-key");
    copy_case(&case, &copy);
    std::fs::write(
        copy.join(ANCHORS).join("log-1.vkey"),
        format!("{}\n", other.vkey),
    )
    .unwrap();
    let (code, report) = verify_json(&env, &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["anchors"][0]["status"], "invalid", "{report:#}");
    assert!(
        report["anchors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("checkpoint"),
        "{report:#}"
    );
}

#[test]
fn a_wrong_key_rejects_the_receipt_and_no_key_is_only_unverified() {
    let env = Env::new();
    let log = LogServer::start(&env, "log", "127.0.0.1:0");
    let other = LogServer::start(&env, "other", "127.0.0.1:0");
    let case = env.path("case");
    let out = env.run(&[
        "--json",
        "preserve",
        one_line_chat(&env).to_str().unwrap(),
        "--out",
        case.to_str().unwrap(),
        "--log",
        &log.url,
        "--log-key",
        &other.vkey,
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["anchors"][0]["status"], "pending", "{v}");
    assert!(
        v["anchors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("failed verification"),
        "{v}"
    );
    let dir = case.join(ANCHORS);
    assert!(dir.join("log-1.rejected-1.json").is_file());
    assert!(!dir.join("log-1.receipt.json").exists());
    let custody = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).unwrap();
    assert!(custody.contains("\"action\":\"anchor.rejected\""));
    // The rejected receipt is kept as evidence, named by the custody log: the case is intact.
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["anchors"][0]["status"], "pending");
    assert_bagit_valid(&case);

    // No key: the key the log served is stored, and the receipt is only `unverified`.
    let case2 = env.path("case2");
    let out = env.run(&[
        "--json",
        "preserve",
        one_line_chat(&env).to_str().unwrap(),
        "--out",
        case2.to_str().unwrap(),
        "--log",
        &log.url,
    ]);
    assert_ok(&out);
    let (code, report) = verify_json(&env, &case2);
    assert_eq!(code, 0, "{report:#}");
    let a = &report["anchors"][0];
    assert_eq!(a["status"], "unverified", "{a}");
    assert!(a["detail"].as_str().unwrap().contains("not pinned"), "{a}");
    assert_eq!(
        std::fs::read_to_string(case2.join(ANCHORS).join("log-1.vkey"))
            .unwrap()
            .trim(),
        log.vkey
    );
    // The key obtained from the log's operator, given to verify: granted; another: invalid.
    let c2 = case2.to_str().unwrap();
    let out = env.run(&["--json", "verify", c2, "--log-key", &log.vkey]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["anchors"][0]["status"], "granted", "{v:#}");
    assert!(
        v["anchors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("a key given to verify"),
        "{v:#}"
    );
    let out = env.run(&["--json", "verify", c2, "--log-key", &other.vkey]);
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    assert_eq!(v["anchors"][0]["status"], "invalid", "{v:#}");
    let out = env.run(&["verify", c2, "--log-key", "not a key"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Keys must pair with logs.
    let out = env.run(&[
        "seal",
        case2.to_str().unwrap(),
        "--log",
        &log.url,
        "--log",
        &other.url,
        "--log-key",
        &log.vkey,
        "--log-key",
        &log.vkey,
        "--log-key",
        &log.vkey,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = env.run(&["seal", case2.to_str().unwrap(), "--log-key", &log.vkey]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn log_down_at_seal_is_pending_then_stamp_gets_the_receipt() {
    let env = Env::new();
    // Learn the log's key and a free port, then take the log down.
    let (vkey, addr) = {
        let log = LogServer::start(&env, "log", "127.0.0.1:0");
        (
            log.vkey.clone(),
            log.url.trim_start_matches("http://").to_owned(),
        )
    };
    // The config file names the log, its key in a file beside it.
    std::fs::create_dir_all(env.path("home")).unwrap();
    std::fs::write(env.path("home/log.vkey"), format!("{vkey}\n")).unwrap();
    std::fs::write(
        env.path("home/config.toml"),
        format!("[[log]]\nurl = \"http://{addr}\"\nkey = \"log.vkey\"\n"),
    )
    .unwrap();
    let case = env.path("case");
    let c = case.to_str().unwrap();
    let out = env.run(&[
        "preserve",
        one_line_chat(&env).to_str().unwrap(),
        "--out",
        c,
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("pending"), "{}", stdout(&out));
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["anchors"][0]["status"], "pending");
    let out = env.run(&["stamp", c]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    let _log = LogServer::start(&env, "log", &addr);
    let out = env.run(&["--json", "stamp", c]);
    assert_ok(&out);
    let v = json(&out);
    assert_eq!(v["anchors"][0]["status"], "granted", "{v}");
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["anchors"][0]["status"], "granted");
    let custody = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).unwrap();
    assert!(custody.contains("\"action\":\"anchor.pending\""));
    assert!(custody.contains("\"action\":\"anchor.logged\""));
    assert_bagit_valid(&case);
    // Nothing left to stamp.
    assert_ok(&env.run(&["stamp", c]));

    // --no-log skips the config; `seal --log` with nothing new logs the latest seal again.
    assert_ok(&env.run(&["seal", c, "--no-log"]));
    let out = env.run(&[
        "--json",
        "seal",
        c,
        "--log",
        &format!("http://{addr}"),
        "--log-key",
        env.path("home/log.vkey").to_str().unwrap(),
    ]);
    assert_ok(&out);
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["anchors"][1]["name"], "log-2", "{report:#}");
    assert_eq!(report["anchors"][1]["status"], "granted", "{report:#}");
    // The log keeps one entry per root: the same root gets the same index again.
    assert_eq!(report["anchors"][1]["receipt"]["index"], 0, "{report:#}");
}
