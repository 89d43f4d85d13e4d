use super::common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// Runs `cunzheng ARGS` until it reaches fault point `point`, then SIGKILLs it.
pub(super) fn kill_at(env: &Env, args: &[&str], point: &str) {
    let mut child = env
        .cmd(args)
        .env("CUNZHENG_FAULT_POINT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut reached = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap_or_default();
        if line == format!("cunzheng-fault-point: {point}") {
            reached = true;
            break;
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(reached, "fault point {point} was never reached");
}

#[test]
fn killing_add_at_any_point_keeps_the_last_seal_valid_and_a_rerun_completes() {
    for point in ["add-mid-copy", "add-before-commit", "add-after-commit"] {
        let env = Env::new();
        let case = env.preserved_case("case");
        let c = case.to_str().expect("utf8");
        let more = env.path("more");
        std::fs::create_dir_all(&more).expect("mkdir");
        for i in 0..5 {
            std::fs::write(
                more.join(format!("{i}.txt")),
                format!("message {i}").repeat(10_000),
            )
            .expect("write");
        }
        let m = more.to_str().expect("utf8");
        kill_at(&env, &["add", c, m], point);
        let (code, report) = verify_json(&env, &case);
        assert_eq!(code, 0, "after kill at {point}: {report:#}");
        assert_ok(&env.run(&["add", c, m]));
        assert_ok(&env.run(&["seal", c]));
        let (code, report) = verify_json(&env, &case);
        assert_eq!(code, 0, "after rerun at {point}: {report:#}");
        assert_eq!(report["seal_version"], 2);
    }
}

#[test]
fn killing_seal_at_any_point_is_never_valid_and_a_rerun_finishes_it() {
    for point in [
        "seal-after-journal",
        "seal-after-move",
        "seal-after-files",
        "seal-before-tagmanifest",
    ] {
        let env = Env::new();
        let case = env.preserved_case("case");
        let c = case.to_str().expect("utf8");
        let extra = env.path("extra.txt");
        std::fs::write(&extra, "more evidence").expect("write");
        assert_ok(&env.run(&["add", c, extra.to_str().expect("utf8")]));
        kill_at(&env, &["seal", c], point);
        let (code, report) = verify_json(&env, &case);
        assert_eq!(code, 1, "half-written seal at {point} passed: {report:#}");
        assert!(
            report["discrepancies"]
                .as_array()
                .expect("list")
                .iter()
                .any(|d| d["kind"] == "interrupted"),
            "{report:#}"
        );
        assert_ok(&env.run(&["seal", c]));
        let (code, report) = verify_json(&env, &case);
        assert_eq!(code, 0, "after finishing at {point}: {report:#}");
        assert_eq!(report["seal_version"], 2);
        assert_eq!(report["seals_checked"], 2);
    }
}

/// Seal moves a whole staging folder into the bag when it holds exactly what is sealed; an
/// original left staged by a killed `add` must never enter the payload that way.
#[test]
fn an_original_left_by_a_killed_add_stays_out_of_the_bag() {
    use sha2::{Digest, Sha256};
    let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
    let env = Env::new();
    let case = env.preserved_case("case");
    let c = case.to_str().expect("utf8");
    let left = format!("left behind {}", "x".repeat(100));
    let left_path = env.path("left.txt");
    std::fs::write(&left_path, &left).expect("write");
    kill_at(
        &env,
        &["add", c, left_path.to_str().expect("utf8")],
        "add-before-commit",
    );
    let left_sha = sha(left.as_bytes());
    let staged = case.join(format!(
        ".cunzheng/staging/objects/{}/{left_sha}",
        &left_sha[..2]
    ));
    assert!(
        staged.is_file(),
        "the killed add staged {}",
        staged.display()
    );

    // New evidence whose staging folder is the orphan's, and evidence in a folder of its own.
    let prefix = &left_sha[..2];
    let originals = case.join("data/originals");
    let (mut same, mut other) = (None, None);
    let mut i = 0u64;
    let (same, other) = loop {
        let text = format!("message {i}");
        i += 1;
        let s = sha(text.as_bytes());
        if same.is_none() && s.starts_with(prefix) {
            same = Some(text);
        } else if other.is_none() && !s.starts_with(prefix) && !originals.join(&s[..2]).exists() {
            other = Some(text);
        }
        if let (Some(a), Some(b)) = (&same, &other) {
            break (a.clone(), b.clone());
        }
    };
    let more = env.path("more");
    std::fs::create_dir_all(&more).expect("mkdir");
    std::fs::write(more.join("same.txt"), &same).expect("write");
    std::fs::write(more.join("other.txt"), &other).expect("write");
    assert_ok(&env.run(&["add", c, more.to_str().expect("utf8")]));
    assert_ok(&env.run(&["seal", c]));

    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_bagit_valid(&case);
    let files = bag_files(&case);
    for text in [&same, &other] {
        let s = sha(text.as_bytes());
        assert!(
            files.contains(&format!("data/originals/{}/{s}", &s[..2])),
            "{s} sealed"
        );
    }
    assert!(
        !files.iter().any(|f| f.ends_with(&left_sha)),
        "the orphan entered the bag: {files:?}"
    );
}
