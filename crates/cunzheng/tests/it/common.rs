use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's `tests/data`.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

/// The bundled corpus fixtures.
pub fn corpus() -> PathBuf {
    data().join("corpus")
}

/// A test's own temp folder, with its own key store.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `cunzheng ARGS` with CUNZHENG_HOME inside this temp folder.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cunzheng"));
        c.args(args)
            .env("CUNZHENG_HOME", self.path("home"))
            .env("CUNZHENG_EXAMINER", "测试员")
            // Unencrypted test keys: a PBKDF2 of 600k rounds per key per run would cost minutes
            // over the suite. The encrypted path has its own tests (it/keys.rs).
            .env("CUNZHENG_KEY_UNENCRYPTED", "1")
            .env_remove("CUNZHENG_KEY_PASSPHRASE")
            .env_remove("CUNZHENG_FAULT_POINT");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run cunzheng")
    }

    /// Runs cunzheng with `stdin` written to its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cunzheng");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait for cunzheng")
    }

    /// Preserves the bundled corpus (plus a zip of it) into `case` and returns its path.
    pub fn preserved_case(&self, name: &str) -> PathBuf {
        let zip = self.path("corpus.zip");
        if !zip.exists() {
            make_zip(
                &zip,
                &[
                    ("whatsapp/chat.txt", b"12/01/2023, 10:00 - A: hi\n"),
                    ("readme.txt", b"demo"),
                ],
            );
        }
        let case = self.path(name);
        let out = self.run(&[
            "preserve",
            corpus().to_str().expect("utf8"),
            zip.to_str().expect("utf8"),
            "--out",
            case.to_str().expect("utf8"),
            "--case-id",
            "TEST-001",
            "--title",
            "测试案件",
        ]);
        assert_ok(&out);
        case
    }
}

pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes a zip archive of (name, bytes) entries, deflated.
pub fn make_zip(path: &Path, entries: &[(&str, &[u8])]) {
    use std::io::Write;
    let f = std::fs::File::create(path).expect("create zip");
    let mut w = zip::ZipWriter::new(f);
    let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).expect("start entry");
        w.write_all(bytes).expect("write entry");
    }
    w.finish().expect("finish zip");
}

/// `verify --json` as parsed JSON, with its exit code.
pub fn verify_json(env: &Env, case: &Path) -> (i32, serde_json::Value) {
    let out = env.run(&["verify", "--json", case.to_str().expect("utf8")]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

/// The paths named by a verify report's discrepancies.
pub fn named_paths(report: &serde_json::Value) -> Vec<String> {
    report["discrepancies"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["path"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every file of a bag, bag-relative, outside the working folder and the (unsealed) reports.
pub fn bag_files(case: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![case.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(case)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            if rel == ".cunzheng" || rel == "reports" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// Copies a case folder (cp -a keeps modes; the copy is independent).
pub fn copy_case(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success());
}

/// Makes a file writable (originals are read-only) so a test can tamper with it.
pub fn writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perm = std::fs::metadata(p).expect("meta").permissions();
    perm.set_mode(0o644);
    std::fs::set_permissions(p, perm).expect("chmod");
}

/// Whether an external tool is present; in CI (CI=true) a missing tool fails the test instead.
pub fn have(tool: &str, probe: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "{tool} is required in CI (the test command installs it)"
        );
        eprintln!("SKIP: {tool} not available here");
    }
    ok
}

/// The Library of Congress BagIt validator accepts `case` (skipped, saying so, when
/// bagit-python is not installed).
pub fn assert_bagit_valid(case: &Path) {
    if !have("python3", &["-c", "import bagit"]) {
        eprintln!("skipped: bagit-python not installed");
        return;
    }
    let out = Command::new("python3")
        .args(["-m", "bagit", "--validate"])
        .arg(case)
        .output()
        .expect("bagit");
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A one-line WhatsApp chat, written into the test folder.
pub fn one_line_chat(env: &Env) -> PathBuf {
    let p = env.path("chat.txt");
    std::fs::write(&p, "12/01/2023, 10:00 - A: 请转账到安全账户\n").expect("write");
    p
}
