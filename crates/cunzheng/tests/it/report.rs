use super::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A case from the bundled corpus, the demo scam chat and the report fixture; `preserve`
/// writes the default report into it.
fn case(env: &Env) -> PathBuf {
    let case = env.path("case");
    let out = env.run(&[
        "preserve",
        corpus().to_str().expect("utf8"),
        data().join("report").to_str().expect("utf8"),
        data()
            .join("../../examples/scam-chat")
            .to_str()
            .expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
        "--case-id",
        "REPORT-001",
        "--title",
        "刷单诈骗案",
        "--tz",
        "Asia/Shanghai",
    ]);
    assert_ok(&out);
    case
}

fn tool(name: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(name).args(args).output().ok()?;
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn pdftotext(pdf: &Path) -> Option<String> {
    if !have("pdftotext", &["-v"]) {
        eprintln!("skipped: pdftotext not installed (scripts/test installs poppler-utils)");
        return None;
    }
    tool("pdftotext", &[pdf.to_str().expect("utf8"), "-"])
}

/// The SHA-256 of each exhibit, from the sealed acquisition record.
fn exhibit_hashes(case: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(case.join("data/acquisitions/0001.jsonl")).expect("record");
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["item"]["digests"]["sha256"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn preserve_writes_a_pdfa_and_html_report_that_tools_can_read() {
    let env = Env::new();
    let case = case(&env);
    let pdf = case.join("reports/report-zh.pdf");
    let html = case.join("reports/report-zh.html");
    assert!(pdf.is_file() && html.is_file());

    // The reports folder does not disturb verification by cunzheng or by bagit-python.
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    assert_bagit_valid(&case);

    let Some(text) = pdftotext(&pdf) else { return };
    for needle in [
        "电子数据存证报告",
        "证据目录",
        "保管记录",
        "如何核验",
        "刷单诈骗案",
        "你好，我是股票群的王老师，看到你在群里问理财的事。",
        "保本高收益",
        "Body text 1",
        "sha256sum -c manifest-sha256.txt",
        "openssl dgst -sm3",
        // The sealed findings of `scan` fill the analysis sections.
        "资金流向",
        "诈骗类型分析",
    ] {
        assert!(
            text.contains(needle),
            "`{needle}` missing from the PDF text"
        );
    }
    for h in exhibit_hashes(&case) {
        assert!(text.contains(&h), "hash {h} missing from the PDF text");
    }
    let st = std::fs::read_to_string(case.join("bag-info.txt")).expect("bag-info");
    let root = st
        .lines()
        .find_map(|l| l.strip_prefix("Cunzheng-Merkle-Root: "))
        .expect("root");
    assert!(text.contains(root.trim()), "Merkle root missing");
    // Hostile text is shown, not executed.
    assert!(text.contains("#panic(\"typst\")"));
    assert!(text.contains("<script>alert(\"x\")</script>"));

    let info = tool("pdfinfo", &[pdf.to_str().expect("utf8")]).expect("pdfinfo");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("pages");
    assert!(pages >= 6, "{info}");
    let meta = tool("pdfinfo", &["-meta", pdf.to_str().expect("utf8")]).expect("pdfinfo -meta");
    assert!(meta.contains("pdfaid:part") && meta.contains('2'), "{meta}");
    assert!(meta.contains("pdfaid:conformance"), "{meta}");
    if have("pdffonts", &["-v"]) {
        let fonts = tool("pdffonts", &[pdf.to_str().expect("utf8")]).expect("pdffonts");
        assert!(fonts.contains("DroidSansFallback"), "{fonts}");
        assert!(
            fonts.lines().skip(2).all(|l| l.contains(" yes ")),
            "every font embedded: {fonts}"
        );
    }
    if have("pdftoppm", &["-v"]) {
        let png = env.path("page");
        tool(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "50",
                "-f",
                "1",
                "-l",
                "2",
                pdf.to_str().expect("utf8"),
                png.to_str().expect("utf8"),
            ],
        );
        let made = std::fs::read_dir(env.dir.path())
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
            .count();
        assert_eq!(made, 2);
    }
}

#[test]
fn the_report_is_byte_identical_when_rendered_again() {
    let env = Env::new();
    let case = case(&env);
    let c = case.to_str().expect("utf8");
    let a = env.path("a.pdf");
    let out = env.run(&["report", c, "--pdf", a.to_str().expect("utf8")]);
    assert_ok(&out);
    let first = std::fs::read(&a).expect("pdf");
    assert_eq!(
        first,
        std::fs::read(case.join("reports/report-zh.pdf")).expect("pdf"),
        "the same case renders to the same bytes"
    );
    let en = env.path("en.pdf");
    assert_ok(&env.run(&[
        "report",
        c,
        "--lang",
        "en",
        "--pdf",
        en.to_str().expect("utf8"),
    ]));
    if let Some(text) = pdftotext(&en) {
        assert!(text.contains("Evidence list") && text.contains("How to verify"));
    }
}

#[test]
fn html_is_self_contained_searchable_and_escapes_chat_text() {
    let env = Env::new();
    let case = case(&env);
    let html = std::fs::read_to_string(case.join("reports/report-zh.html")).expect("html");
    for bad in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "@import",
    ] {
        assert!(!html.contains(bad), "external reference `{bad}`");
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("id=\"q\"") && html.contains("addEventListener('input'"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(html.contains("保本高收益"));
    for h in exhibit_hashes(&case) {
        assert!(html.contains(&h));
    }
    // Drafts are included.
    assert!(html.contains("报案材料") && html.contains("期限提示"));
}

#[test]
fn redacted_report_masks_third_parties_but_not_the_suspect() {
    let env = Env::new();
    let case = case(&env);
    let c = case.to_str().expect("utf8");
    let pdf = env.path("out/redacted.pdf");
    let html = env.path("out/redacted.html");
    let out = env.run(&[
        "report",
        c,
        "--redact",
        "--suspect",
        "170-0000-1111",
        "--suspect",
        "6222000000001234567",
        "--pdf",
        pdf.to_str().expect("utf8"),
        "--html",
        html.to_str().expect("utf8"),
    ]);
    assert_ok(&out);
    let log = std::fs::read_to_string(env.path("out/redaction-log.json")).expect("log");
    let html = std::fs::read_to_string(&html).expect("html");
    let third_party = [
        "440106199001011235",
        "310115198506150022",
        "13912345678",
        "138 0013 8000",
        "+15550000001",
        "+8617000000000",
    ];
    for v in third_party {
        assert!(!html.contains(v), "{v} in the redacted HTML");
        assert!(!log.contains(v), "{v} in the redaction log");
    }
    assert!(html.contains("170-0000-1111") && html.contains("6222 0000 0000 1234 567"));
    let log: serde_json::Value = serde_json::from_str(&log).expect("json");
    assert!(
        log["masked"].as_array().is_some_and(|m| m.len() >= 5),
        "{log:#}"
    );
    let Some(text) = pdftotext(&pdf) else { return };
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for v in third_party {
        let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(!digits.contains(&v), "{v} in the redacted PDF text");
    }
    // typst spaces CJK from Latin, which pdftotext shows as a space.
    assert!(digits.contains("[身份证号#") && digits.contains("[手机号#"));
    assert!(text.contains("170-0000-1111"));
    // The redacted report states the hashes of the unredacted originals.
    assert!(text.contains("遮盖说明"));
    for h in exhibit_hashes(&case) {
        assert!(text.contains(&h));
    }
}

#[test]
fn drafts_and_case_uco_export() {
    let env = Env::new();
    let case = case(&env);
    let c = case.to_str().expect("utf8");
    let drafts = env.path("drafts");
    let uco = env.path("case.jsonld");
    assert_ok(&env.run(&[
        "report",
        c,
        "--drafts",
        drafts.to_str().expect("utf8"),
        "--case-uco",
        uco.to_str().expect("utf8"),
    ]));
    let police = std::fs::read_to_string(drafts.join("police-report.zh-CN.md")).expect("draft");
    assert!(
        police.contains("2024-05-10")
            && police.contains("《中华人民共和国刑事诉讼法》第一百一十条")
    );
    assert!(police.contains("客服小李(wxid_fake_kefu88)"), "{police}");
    let deadlines = std::fs::read_to_string(drafts.join("deadlines.en.md")).expect("draft");
    assert!(
        deadlines.contains("Civil Procedure Law Art. 104(3)") && deadlines.contains("[advice]")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&uco).expect("uco")).expect("json");
    assert!(v["@graph"].as_array().is_some_and(|g| g.len() > 10));
    if !have("case_validate", &["--help"]) {
        eprintln!("skipped: case_validate not installed (scripts/test installs case-utils)");
        return;
    }
    // SM3 is not in UCO's HashNameVocab: the validator reports that at severity Info.
    let out = Command::new("case_validate")
        .arg("--allow-info")
        .arg(&uco)
        .output()
        .expect("case_validate");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("Conforms: True") || !report.contains("Violation"),
        "{report}"
    );
}

#[test]
fn reports_folder_is_outside_the_seal_and_other_extra_files_are_not() {
    let env = Env::new();
    let case = case(&env);
    let c = case.to_str().expect("utf8");
    std::fs::write(case.join("reports/notes.txt"), "examiner's notes").expect("write");
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    // A later seal does not take the reports into the tag manifests.
    let more = env.path("more.txt");
    std::fs::write(&more, "later").expect("write");
    assert_ok(&env.run(&["add", c, more.to_str().expect("utf8")]));
    assert_ok(&env.run(&["seal", c]));
    let tags = std::fs::read_to_string(case.join("tagmanifest-sha256.txt")).expect("tags");
    assert!(!tags.contains("reports/"), "{tags}");
    let (code, _) = verify_json(&env, &case);
    assert_eq!(code, 0);
    // Anything else added beside the bag is still named.
    std::fs::create_dir_all(case.join("extra")).expect("mkdir");
    std::fs::write(case.join("extra/x.txt"), "x").expect("write");
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 1);
    assert!(named_paths(&report).contains(&"extra/x.txt".to_owned()));
}

#[test]
fn a_crash_while_rendering_keeps_the_sealed_case_and_report_can_rerun() {
    let env = Env::new();
    let case = env.path("case");
    let mut child = env
        .cmd(&[
            "preserve",
            data().join("report").to_str().expect("utf8"),
            "--out",
            case.to_str().expect("utf8"),
        ])
        .env("CUNZHENG_FAULT_POINT", "report-render")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::BufRead;
    let err = child.stderr.take().expect("stderr");
    let reached = std::io::BufReader::new(err)
        .lines()
        .map_while(Result::ok)
        .any(|l| l == "cunzheng-fault-point: report-render");
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(reached);
    let (code, report) = verify_json(&env, &case);
    assert_eq!(code, 0, "{report:#}");
    // A render error is reported, and the case is untouched.
    let out = env.run(&[
        "report",
        case.to_str().expect("utf8"),
        "--pdf",
        "/proc/cunzheng/x.pdf",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the case itself is not changed"));
    assert_ok(&env.run(&["report", case.to_str().expect("utf8")]));
    assert!(case.join("reports/report-zh.pdf").is_file());
    let (code, _) = verify_json(&env, &case);
    assert_eq!(code, 0);
}
