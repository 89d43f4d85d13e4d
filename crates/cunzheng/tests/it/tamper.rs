use super::common::*;

/// Flips one byte of every file of the bag in turn (payload, manifests, bag-info, custody log,
/// keys, signatures): each time `verify` must exit 1 and name that file.
#[test]
fn flipping_any_byte_of_any_file_is_found_and_named() {
    let env = Env::new();
    let case = env.preserved_case("case");
    let files = bag_files(&case);
    assert!(files.len() > 20, "{files:?}");
    for (i, rel) in files.iter().enumerate() {
        let copy = env.path(&format!("t{i}"));
        copy_case(&case, &copy);
        let target = copy.join(rel);
        writable(&target);
        let mut bytes = std::fs::read(&target).expect("read");
        assert!(!bytes.is_empty(), "{rel} is empty");
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        std::fs::write(&target, &bytes).expect("write");
        let (code, report) = verify_json(&env, &copy);
        assert_eq!(code, 1, "flip in {rel} not detected: {report:#}");
        assert!(
            named_paths(&report).iter().any(|p| p == rel),
            "flip in {rel}: report names {:?}",
            named_paths(&report)
        );
        std::fs::remove_dir_all(&copy).expect("cleanup");
    }
}

#[test]
fn deleting_or_adding_a_file_is_found_and_named() {
    let env = Env::new();
    let case = env.preserved_case("case");
    for rel in bag_files(&case) {
        let copy = env.path("del");
        copy_case(&case, &copy);
        std::fs::remove_file(copy.join(&rel)).expect("rm");
        let (code, report) = verify_json(&env, &copy);
        assert_eq!(code, 1, "deleting {rel} not detected");
        assert!(
            named_paths(&report).contains(&rel),
            "deleting {rel}: {:?}",
            named_paths(&report)
        );
        std::fs::remove_dir_all(&copy).expect("cleanup");
    }
    for rel in [
        "data/originals/ff/planted.txt",
        "data/extra.txt",
        "cunzheng/extra.txt",
        "extra-tag.txt",
    ] {
        let copy = env.path("add");
        copy_case(&case, &copy);
        let p = copy.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, "planted").expect("plant");
        let (code, report) = verify_json(&env, &copy);
        assert_eq!(code, 1, "adding {rel} not detected");
        assert!(
            named_paths(&report).iter().any(|n| n == rel),
            "adding {rel}: {:?}",
            named_paths(&report)
        );
        std::fs::remove_dir_all(&copy).expect("cleanup");
    }
}

#[test]
fn reordering_custody_lines_is_found_and_named() {
    let env = Env::new();
    let case = env.preserved_case("case");
    let log = case.join("cunzheng/custody.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 3);
    lines.swap(1, 2);
    writable(&log);
    std::fs::write(&log, lines.join("\n") + "\n").expect("write");
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 1);
    let custody: Vec<&serde_json::Value> = report["discrepancies"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["path"] == "cunzheng/custody.jsonl")
        .collect();
    assert!(
        custody
            .iter()
            .any(|d| d["detail"].as_str().unwrap_or("").contains("line 2")),
        "{report:#}"
    );
}

#[test]
fn a_forged_file_with_a_rewritten_sha256_manifest_is_still_named() {
    // Replace an original and rewrite its SHA-256 entry (top level and in the seal's copy):
    // the SM3 manifest, which still matches the signed statement, pins the blame on the file.
    let env = Env::new();
    let case = env.preserved_case("case");
    let manifest = std::fs::read_to_string(case.join("manifest-sha256.txt")).expect("m");
    let (old_hash, rel) = manifest
        .lines()
        .find(|l| l.contains("data/originals/"))
        .and_then(|l| l.split_once("  "))
        .expect("an entry");
    let target = case.join(rel);
    writable(&target);
    std::fs::write(&target, "forged content").expect("forge");
    let new_hash = cunzheng_seal::hash::sha256_hex(b"forged content");
    for m in [
        "manifest-sha256.txt",
        "cunzheng/seals/0001/manifest-sha256.txt",
    ] {
        let p = case.join(m);
        let text = std::fs::read_to_string(&p)
            .expect("read")
            .replace(old_hash, &new_hash);
        writable(&p);
        std::fs::write(&p, text).expect("write");
    }
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 1, "{report:#}");
    let named = named_paths(&report);
    assert!(named.iter().any(|p| p == rel), "{named:?}");
    assert!(
        named.iter().any(|p| p == "manifest-sha256.txt"),
        "{named:?}"
    );
    assert!(!named.iter().any(|p| p == "manifest-sm3.txt"), "{named:?}");
}
