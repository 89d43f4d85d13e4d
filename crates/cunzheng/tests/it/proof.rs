use super::common::*;

#[test]
fn a_proof_checks_on_its_own_and_catches_any_change() {
    let env = Env::new();
    let case = env.preserved_case("case");
    let c = case.to_str().expect("utf8");
    let proof = env.path("exhibit1.proof.json");
    let p = proof.to_str().expect("utf8");
    assert_ok(&env.run(&["prove", c, "1", "--out", p]));

    // Standalone: copy the proof somewhere else and delete the case.
    let alone = Env::new();
    let moved = alone.path("proof.json");
    std::fs::copy(&proof, &moved).expect("copy");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&moved).expect("read")).expect("json");
    let original = doc["exhibits"][0]["source"]["path"]
        .as_str()
        .expect("original path")
        .to_owned();
    let m = moved.to_str().expect("utf8");
    let out = alone.run(&["verify-proof", m, "--file", &original]);
    assert_ok(&out);
    assert!(stdout(&out).contains("VALID"), "{}", stdout(&out));

    // The wrong file.
    let other = alone.path("other.txt");
    std::fs::write(&other, "not the exhibit").expect("write");
    let out = alone.run(&["verify-proof", m, "--file", other.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));

    // Any edit of the proof: hash, path, index, audit path, statement, signature, key.
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("sha256", Box::new(|v| v["sha256"] = "0".repeat(64).into())),
        (
            "path",
            Box::new(|v| v["path"] = "data/originals/00/x".into()),
        ),
        (
            "leaf_index",
            Box::new(|v| v["leaf_index"] = (v["leaf_index"].as_u64().unwrap_or(0) + 1).into()),
        ),
        (
            "audit_path",
            Box::new(|v| v["audit_path"][0] = "1".repeat(64).into()),
        ),
        (
            "statement",
            Box::new(|v| {
                let s = v["statement"]
                    .as_str()
                    .unwrap_or("")
                    .replace("seal-version: 1", "seal-version: 9");
                v["statement"] = s.into();
            }),
        ),
        ("signature", Box::new(|v| v["signature"] = "AAAA".into())),
    ];
    for (what, edit) in edits {
        let mut bad = doc.clone();
        edit(&mut bad);
        let f = alone.path(&format!("bad-{what}.json"));
        std::fs::write(&f, serde_json::to_vec(&bad).expect("json")).expect("write");
        let out = alone.run(&["verify-proof", f.to_str().expect("utf8")]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "edit of {what} accepted: {}",
            stdout(&out)
        );
    }

    // Proving by a copy of the file on disk, or by hash, gives the same leaf.
    let by_file = env.run(&["prove", c, &original]);
    assert_ok(&by_file);
    let v: serde_json::Value = serde_json::from_slice(&by_file.stdout).expect("json");
    assert_eq!(v["leaf_index"], doc["leaf_index"]);
    let out = env.run(&["prove", c, "no-such-exhibit"]);
    assert_eq!(out.status.code(), Some(2));
}
