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
