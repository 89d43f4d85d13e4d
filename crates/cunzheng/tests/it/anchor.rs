//! RFC 3161 time-stamps from the command line: `seal --tsa`, the config file, offline mode
//! with `stamp`, and `verify` reporting every token (against a real local `openssl ts` TSA).
#![allow(clippy::unwrap_used)]

#[path = "../../../cunzheng-anchor/tests/support/tsa.rs"]
mod tsa;

use super::common::*;
use tsa::{Pki, Responder, have_openssl, openssl};

#[test]
fn preserve_with_tsa_stores_a_token_that_verify_and_openssl_accept() {
    if !have_openssl() {
        return;
    }
    let env = Env::new();
    let pki = Pki::new(&env.path("pki"));
    let server = Responder::start(&pki, "tsa.cnf", 0);
    let case = env.path("case");
    let ca = pki.path("ca.pem");
    let out = env.run(&[
        "--json",
        "preserve",
        one_line_chat(&env).to_str().unwrap(),
        "--out",
        case.to_str().unwrap(),
        "--tsa",
        &server.url,
        "--tsa-ca",
        ca.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["anchors"][0]["status"], "granted", "{v}");

    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report}");
    let a = &report["anchors"][0];
    assert_eq!(a["status"], "granted");
    assert_eq!(a["token"]["tsa_subject"], "CN=cunzheng Test TSA");
    assert!(a["gen_time"].as_str().expect("gen_time").ends_with('Z'));
    let text = stdout(&env.run(&["verify", case.to_str().unwrap()]));
    assert!(text.contains("time-stamp tsa-1 (seal 1"), "{text}");
    assert!(text.contains("granted"), "{text}");
    assert_bagit_valid(&case);
    // The report written by preserve states the verified time-stamp and how to check it.
    let html = std::fs::read_to_string(case.join("reports/report-zh.html")).expect("report");
    let gen_time = a["gen_time"].as_str().expect("gen_time");
    assert!(html.contains(gen_time), "no {gen_time} in the report");
    assert!(html.contains("CN=cunzheng Test TSA"));
    assert!(html.contains("openssl ts -verify -queryfile cunzheng/seals/0001/anchors/tsa-1.tsq"));

    // Roots obtained outside the case: the right one confirms, another one is named.
    let out = env.run(&[
        "--json",
        "verify",
        case.to_str().unwrap(),
        "--tsa-ca",
        ca.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert!(
        v["anchors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("a root given to verify")
    );
    let other = pki.path("other-ca.pem");
    let out = env.run(&[
        "--json",
        "verify",
        case.to_str().unwrap(),
        "--tsa-ca",
        other.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert_eq!(v["anchors"][0]["status"], "invalid");
    assert!(
        v["discrepancies"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("signature of certificate"),
        "{v}"
    );

    let dir = case.join("cunzheng/seals/0001/anchors");
    let root = report["merkle_root"].as_str().expect("root");

    // Any byte of any anchor file matters, and verify names the file.
    for f in ["tsa-1.json", "tsa-1.tsq", "tsa-1.tsr", "tsa-1.roots.pem"] {
        let copy = env.path(&format!("tamper-{f}"));
        copy_case(&case, &copy);
        let p = copy.join("cunzheng/seals/0001/anchors").join(f);
        let mut b = std::fs::read(&p).expect("read");
        let mid = b.len() / 2;
        b[mid] ^= 0x01;
        std::fs::write(&p, b).expect("write");
        let (code, report) = verify_json(&env, &copy);
        assert_eq!(code, 1, "{f}: {report:#}");
        assert!(
            named_paths(&report).iter().any(|n| n.ends_with(f)),
            "{f}: {report:#}"
        );
    }
    let o = openssl(
        &dir,
        &[
            "ts",
            "-verify",
            "-digest",
            root,
            "-in",
            "tsa-1.tsr",
            "-CAfile",
            "tsa-1.roots.pem",
        ],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("Verification: OK"));
}

#[test]
fn config_file_tsa_then_offline_mode_and_stamp() {
    if !have_openssl() {
        return;
    }
    let env = Env::new();
    let pki = Pki::new(&env.path("pki"));
    let port = tsa::free_port();
    std::fs::create_dir_all(env.path("home")).expect("home");
    std::fs::copy(pki.path("ca.pem"), env.path("home/tsa-root.pem")).expect("copy");
    std::fs::write(
        env.path("home/config.toml"),
        format!("[[tsa]]\nurl = \"http://127.0.0.1:{port}/tsa\"\nca = \"tsa-root.pem\"\n"),
    )
    .expect("config");
    let case = env.path("case");
    // The TSA is down: the case is sealed, the request pending, exit 3 (partial).
    let out = env.run(&[
        "preserve",
        one_line_chat(&env).to_str().unwrap(),
        "--out",
        case.to_str().unwrap(),
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
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchors"][0]["status"], "pending");

    let _server = Responder::start(&pki, "tsa.cnf", port);
    let out = env.run(&["stamp", case.to_str().unwrap()]);
    assert_ok(&out);
    assert!(stdout(&out).contains("granted"), "{}", stdout(&out));
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchors"][0]["status"], "granted");
    let log = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).expect("log");
    assert!(log.contains("\"action\":\"anchor.pending\""));
    assert!(log.contains("\"action\":\"anchor.timestamp\""));
    assert_bagit_valid(&case);

    // --no-tsa skips the config; `seal --tsa` with nothing new stamps the latest seal again.
    let out = env.run(&["seal", case.to_str().unwrap(), "--no-tsa"]);
    assert_ok(&out);
    let url = format!("http://127.0.0.1:{port}/tsa");
    let ca = pki.path("ca.pem");
    let out = env.run(&[
        "seal",
        case.to_str().unwrap(),
        "--tsa",
        &url,
        "--tsa-ca",
        ca.to_str().unwrap(),
        "--tsa-hash",
        "sm3",
    ]);
    assert_ok(&out);
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchors"][1]["status"], "granted", "{report}");
    assert_eq!(report["anchors"][1]["token"]["hash"], "sm3");
}

#[test]
fn killing_an_anchor_change_is_reported_and_stamp_finishes_it() {
    if !have_openssl() {
        return;
    }
    for point in ["anchor-after-journal", "anchor-after-files"] {
        let env = Env::new();
        let pki = Pki::new(&env.path("pki"));
        let server = Responder::start(&pki, "tsa.cnf", 0);
        let case = env.path("case");
        let c = case.to_str().unwrap();
        assert_ok(&env.run(&[
            "preserve",
            one_line_chat(&env).to_str().unwrap(),
            "--out",
            c,
        ]));
        let ca = pki.path("ca.pem");
        super::crash::kill_at(
            &env,
            &[
                "seal",
                c,
                "--tsa",
                &server.url,
                "--tsa-ca",
                ca.to_str().unwrap(),
            ],
            point,
        );
        let (code, report) = verify_json(&env, &case);
        assert_eq!(code, 1, "{point}: {report:#}");
        assert!(
            report["discrepancies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == "interrupted"),
            "{point}: {report:#}"
        );
        assert_ok(&env.run(&["stamp", c]));
        let (code, report) = verify_json(&env, &case);
        assert_eq!(code, 0, "{point}: {report:#}");
        assert_eq!(report["anchors"][0]["status"], "granted", "{point}");
        assert_bagit_valid(&case);
    }
}
