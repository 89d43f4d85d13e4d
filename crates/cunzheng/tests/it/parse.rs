use super::common::*;

fn pustur() -> std::path::PathBuf {
    data().join(
        "whatsapp-txt/Pustur__whatsapp-chat-parser-website/src/assets/whatsapp-chat-parser-example/_chat.txt",
    )
}

#[test]
fn parse_json_lines_in_order_with_a_report() {
    let env = Env::new();
    let file = pustur();
    for format in ["whatsapp-txt", "auto"] {
        let out = env.run(&[
            "parse",
            "--format",
            format,
            "--json",
            "--tz",
            "Europe/Zurich",
            file.to_str().expect("utf8"),
        ]);
        assert_ok(&out);
        let text = String::from_utf8(out.stdout).expect("utf8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| {
                // `record` comes first, so that a reader can dispatch on the line's start.
                assert!(l.starts_with("{\"record\":\""), "{l}");
                serde_json::from_str(l).expect("json line")
            })
            .collect();
        assert_eq!(lines.len(), 1 + 52 + 1);
        assert_eq!(lines[0]["record"], "conversation");
        assert_eq!(lines[0]["platform"], "whats_app");
        assert!(lines[1..53].iter().all(|m| m["record"] == "message"));
        assert_eq!(lines[1]["time"]["utc"], "2019-06-20T13:58:47Z");
        assert_eq!(lines[52]["id"], "L60");
        let report = &lines[53];
        assert_eq!(report["record"], "report");
        assert_eq!(report["messages"], 52);
        assert_eq!(report["parser"], "whatsapp-txt 1");
        let sha = cunzheng_seal::hash::sha256_hex(&std::fs::read(&file).expect("read"));
        assert_eq!(report["item_sha256"], sha.as_str());
        assert_eq!(lines[1]["provenance"]["item_sha256"], sha.as_str());
    }
}

#[test]
fn parse_text_and_a_file_that_is_not_the_format() {
    let env = Env::new();
    let out = env.run(&[
        "parse",
        "--format",
        "whatsapp-txt",
        pustur().to_str().expect("utf8"),
    ]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("== WhatsApp Chat Parser Example (WhatsApp, _chat)"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("52 message(s)"));

    std::fs::write(env.path("x.txt"), "hello\n").expect("write");
    let out = env.run(&[
        "parse",
        "--format",
        "whatsapp-txt",
        "--json",
        env.path("x.txt").to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

/// Large files are parsed in chunks on several threads (the JSON written on them too): the
/// output must be byte for byte what one thread writes.
#[test]
fn parse_json_is_the_same_on_one_thread_and_on_several() {
    let env = Env::new();
    // Over two chunks of 1 MiB, so that chunks are used.
    let chat = std::fs::read(pustur()).expect("read");
    let copies = (5 << 20) / chat.len() / 2 + 1;
    let big = env.path("big.txt");
    std::fs::write(&big, chat.repeat(copies)).expect("write");
    let run = |threads: &str| {
        let out = env
            .cmd(&[
                "parse",
                "--format",
                "whatsapp-txt",
                "--json",
                "--tz",
                "Europe/Zurich",
                big.to_str().expect("utf8"),
            ])
            .env("CUNZHENG_THREADS", threads)
            .output()
            .expect("run cunzheng");
        assert_ok(&out);
        out
    };
    let one = run("1");
    let report = String::from_utf8_lossy(&one.stdout)
        .lines()
        .last()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .expect("a report");
    assert_eq!(report["messages"], 52 * copies);
    for threads in ["2", "3"] {
        let many = run(threads);
        assert!(
            one.stdout == many.stdout,
            "{threads} threads: stdout differs"
        );
        assert_eq!(stderr(&one), stderr(&many));
    }
}
