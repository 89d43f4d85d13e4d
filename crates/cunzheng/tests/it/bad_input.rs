use super::common::*;
use std::process::Command;

#[test]
fn a_missing_path_is_refused_before_anything_is_written() {
    let env = Env::new();
    let case = env.path("case");
    let out = env.run(&[
        "preserve",
        "/no/such/chat.txt",
        "--out",
        case.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no such file or folder"),
        "{}",
        stderr(&out)
    );
    // Adding a missing path to a sealed case leaves it verifying.
    let case = env.preserved_case("sealed");
    let out = env.run(&["add", case.to_str().expect("utf8"), "/no/such/file"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(verify_json(&env, &case).0, 0);
}

#[test]
fn a_folder_that_is_not_a_case() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("plain")).expect("mkdir");
    std::fs::write(env.path("plain/a.txt"), "x").expect("write");
    let (code, v) = verify_json(&env, &env.path("plain"));
    assert_eq!(code, 2, "{v:#}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or("")
            .contains("not a cunzheng case")
    );
    let (code, _) = verify_json(&env, &env.path("plain/a.txt"));
    assert_eq!(code, 2);
    let (code, _) = verify_json(&env, &env.path("nothing-here"));
    assert_eq!(code, 2);
    // preserve refuses a folder that already holds something.
    let out = env.run(&[
        "preserve",
        corpus().to_str().expect("utf8"),
        "--out",
        env.path("plain").to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
}

#[test]
fn unreadable_inputs_are_recorded_and_the_rest_preserved() {
    let env = Env::new();
    let case = env.path("case");
    let good = env.path("good.txt");
    std::fs::write(&good, "证据").expect("write");
    // /proc/self/mem opens but cannot be read from offset 0, even as root.
    let out = env.run(&[
        "--json",
        "preserve",
        "/proc/self/mem",
        good.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["acquisition"]["items"], 1);
    assert_eq!(v["acquisition"]["skipped"][0]["what"], "unreadable");
    assert_eq!(verify_json(&env, &case).0, 0);
    let log = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).expect("log");
    assert!(log.contains("\"action\":\"ingest.skip\"") && log.contains("/proc/self/mem"));

    // A file without read permission inside a folder (only meaningful when not root).
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| stdout(&o).trim() == "0")
        .unwrap_or(true);
    if !is_root {
        use std::os::unix::fs::PermissionsExt;
        let dir = env.path("dir");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("secret.txt"), "x").expect("write");
        std::fs::set_permissions(
            dir.join("secret.txt"),
            std::fs::Permissions::from_mode(0o000),
        )
        .expect("chmod");
        let out = env.run(&[
            "preserve",
            dir.to_str().expect("utf8"),
            "--out",
            env.path("case2").to_str().expect("utf8"),
        ]);
        assert_eq!(out.status.code(), Some(3));
        assert!(
            stdout(&out).contains("Permission denied"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn links_and_special_files_are_recorded_never_followed() {
    let env = Env::new();
    let dir = env.path("in");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("chat.txt"), "hello").expect("write");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("link")).expect("symlink");
    let fifo = Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .is_ok_and(|s| s.success());
    let case = env.path("case");
    let out = env.run(&[
        "--json",
        "preserve",
        dir.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["acquisition"]["items"], 1);
    let skipped = v["acquisition"]["skipped"].as_array().expect("skipped");
    let link = skipped
        .iter()
        .find(|s| s["what"] == "symlink")
        .expect("link recorded");
    assert_eq!(link["link_target"], "/etc/passwd");
    if fifo {
        assert!(skipped.iter().any(|s| s["what"] == "fifo"));
    }
}

#[test]
fn hostile_and_corrupt_zips() {
    let env = Env::new();
    let slip = env.path("slip.zip");
    make_zip(
        &slip,
        &[
            ("../../evil.sh", b"rm -rf /" as &[u8]),
            ("/etc/cron.d/x", b"* * * * * root x"),
            ("ok/聊天记录.txt", b"2023-01-01 hi"),
        ],
    );
    let corrupt = env.path("corrupt.zip");
    let mut bytes = std::fs::read(&slip).expect("read");
    bytes.truncate(bytes.len() - 30); // cut into the central directory
    std::fs::write(&corrupt, &bytes).expect("write");
    let case = env.path("case");
    let out = env.run(&[
        "--json",
        "preserve",
        slip.to_str().expect("utf8"),
        corrupt.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // Both archives and all three entries are preserved by content; nothing is written by name.
    assert_eq!(v["acquisition"]["items"], 5, "{v:#}");
    let notices = v["acquisition"]["notices"].as_array().expect("notices");
    assert_eq!(
        notices
            .iter()
            .filter(|n| n["what"] == "unsafe_name")
            .count(),
        2,
        "{v:#}"
    );
    assert!(
        v["acquisition"]["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|s| s["what"] == "corrupt")
    );
    assert!(!env.path("evil.sh").exists() && !case.join("evil.sh").exists());
    assert_eq!(verify_json(&env, &case).0, 0);
}

/// Runs `cunzheng add` on a disk that fills up: a 2 MiB tmpfs where mounting is allowed, else a
/// file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) that makes writes fail the same way.
#[test]
fn a_full_disk_fails_clearly_and_loses_nothing_sealed() {
    let env = Env::new();
    let big = env.path("big.bin");
    std::fs::write(&big, vec![7u8; 4 << 20]).expect("write");
    let mnt = env.path("mnt");
    std::fs::create_dir_all(&mnt).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mnt)
        .output()
        .is_ok_and(|o| o.status.success());
    let case = mnt.join("case");
    let small = env.path("small.txt");
    std::fs::write(&small, "first evidence").expect("write");
    assert_ok(&env.run(&[
        "preserve",
        small.to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
    ]));
    let out = if mounted {
        env.run(&[
            "add",
            case.to_str().expect("utf8"),
            big.to_str().expect("utf8"),
        ])
    } else {
        let bin = env!("CARGO_BIN_EXE_cunzheng");
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' XFSZ; ulimit -f 2048; exec '{bin}' add '{}' '{}'",
                case.display(),
                big.display()
            ))
            .env("CUNZHENG_HOME", env.path("home"))
            .output()
            .expect("sh")
    };
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("full") || err.contains("too large") || err.contains("No space"),
        "{err}"
    );
    // What was sealed before still verifies.
    let (code, report) = verify_json(&env, &case);
    if mounted {
        let _ = Command::new("umount").arg(&mnt).status();
    }
    assert_eq!(code, 0, "{report:#}");
}
