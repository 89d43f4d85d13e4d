//! Checks across the Chinese formats (QQ, WeChat): every fuzz seed is detected as its own
//! format, mutated seeds never panic, and (ignored, by hand) throughput on large inputs.

use std::path::PathBuf;

use cunzheng_model::{Conversation, Message, Unparsed};

use crate::source::{Input, Options, Sink};

const IDS: [&str; 8] = [
    "qq-txt",
    "qq-mht",
    "wechat-android-db",
    "wechat-pc-db",
    "wechat-export-txt",
    "wechat-export-csv",
    "wechat-export-html",
    "wechat-pywxdump-csv",
];

fn seeds(id: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(id);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_seed_is_detected_as_its_format() {
    for id in IDS {
        let files = seeds(id);
        assert!(!files.is_empty(), "no fuzz seed for {id}");
        for f in files {
            let input = Input::open(&f).expect("seed");
            let got = crate::detect(&input).map(|s| s.id());
            assert_eq!(got, Some(id), "{} detected as {got:?}", f.display());
        }
    }
}

/// A sink that only counts (for throughput).
#[derive(Default)]
struct Count {
    conversations: u64,
    messages: u64,
    unparsed: u64,
}

impl Sink for Count {
    fn conversation(&mut self, _: Conversation) {
        self.conversations += 1;
    }
    fn message(&mut self, _: Message) {
        self.messages += 1;
    }
    fn unparsed(&mut self, _: Unparsed) {
        self.unparsed += 1;
    }
    fn warning(&mut self, _: String) {}
}

/// xorshift64*: deterministic mutations without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

#[test]
fn mutated_seeds_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for id in IDS {
        let source = crate::by_id(id).expect("id");
        // CUNZHENG_MUTATIONS raises the count for a longer run by hand.
        let scale: usize = std::env::var("CUNZHENG_MUTATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let rounds = scale * if id.ends_with("-db") { 40 } else { 150 };
        for f in seeds(id) {
            let orig = std::fs::read(&f).expect("seed");
            for _ in 0..rounds {
                let mut data = orig.clone();
                for _ in 0..=rng.below(8) {
                    let len = data.len();
                    match rng.below(5) {
                        0 if len > 0 => {
                            let i = rng.below(len);
                            if let Some(b) = data.get_mut(i) {
                                *b ^= 1 << rng.below(8);
                            }
                        }
                        1 if len > 0 => data.truncate(rng.below(len)),
                        2 => {
                            let i = rng.below(len + 1);
                            let b = [
                                b'"', b'\'', b'<', b'\n', b'\\', b':', 0xFF, b'{', b'}', b',',
                            ];
                            data.insert(i, b[rng.below(b.len())]);
                        }
                        3 if len > 1 => {
                            let i = rng.below(len);
                            let j = rng.below(len);
                            data.swap(i, j);
                        }
                        _ => {
                            let i = rng.below(len + 1);
                            let chunk: Vec<u8> = orig
                                .get(rng.below(orig.len())..)
                                .unwrap_or(&[])
                                .iter()
                                .take(64)
                                .copied()
                                .collect();
                            for (k, b) in chunk.into_iter().enumerate() {
                                data.insert((i + k).min(data.len()), b);
                            }
                        }
                    }
                }
                let path = dir.path().join("m");
                std::fs::write(&path, &data).expect("write");
                let input = Input::open(&path).expect("open");
                let _ = source.sniff(&input);
                let mut sink = Count::default();
                let _ = source.parse(&input, &Options::default(), &mut sink);
            }
        }
    }
}

/// Throughput on generated large inputs. Run by hand:
/// `cargo test -p cunzheng-sources --release cn_checks::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    use std::io::Write;
    use std::time::Instant;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = |id: &str, path: &std::path::Path| {
        let input = Input::open(path).expect("open");
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let t = Instant::now();
        let mut sink = Count::default();
        crate::by_id(id)
            .expect("id")
            .parse(&input, &Options::default(), &mut sink)
            .expect("parse");
        let s = t.elapsed().as_secs_f64();
        println!(
            "{id}: {} messages, {} unparsed, {:.1} MB in {:.2} s = {:.0} messages/s, {:.1} MB/s",
            sink.messages,
            sink.unparsed,
            size as f64 / 1e6,
            s,
            sink.messages as f64 / s,
            size as f64 / 1e6 / s
        );
    };

    // QQ TXT, GB18030, 1,000,000 messages.
    let path = dir.path().join("qq.txt");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        let mut text = String::from(
            "消息记录（此消息记录为文本格式，不支持重新导入）\r\n\r\n================================================================\r\n消息分组:我的群聊\r\n================================================================\r\n消息对象:测试群\r\n================================================================\r\n\r\n",
        );
        for i in 0..1_000_000u64 {
            let s = i % 86_400;
            text.push_str(&format!(
                "2019-07-{:02} {}:{:02}:{:02} 用户{}({})\r\n第{i}条消息，转账五万元到安全账户\r\n\r\n",
                1 + (i / 86_400) % 28,
                s / 3600,
                (s / 60) % 60,
                s % 60,
                i % 50,
                10000 + i % 50
            ));
            if text.len() > 1 << 20 {
                let (b, _, _) = encoding_rs::GB18030.encode(&text);
                w.write_all(&b).expect("write");
                text.clear();
            }
        }
        let (b, _, _) = encoding_rs::GB18030.encode(&text);
        w.write_all(&b).expect("write");
    }
    report("qq-txt", &path);

    // Android EnMicroMsg.db, 300,000 rows (text, transfers, group prefixes).
    let path = dir.path().join("EnMicroMsg.db");
    {
        let mut c = rusqlite::Connection::open(&path).expect("db");
        c.execute_batch(super::wechat_android_db::tests::SCHEMA)
            .expect("schema");
        let tx = c.transaction().expect("tx");
        {
            let mut st = tx
                .prepare("INSERT INTO message (msgId, msgSvrId, type, isSend, createTime, talker, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .expect("prep");
            for i in 0..300_000i64 {
                let (ty, talker, content) = match i % 10 {
                    0 => (419_430_449, "wxid_a".to_owned(), "<msg><appmsg><title>微信转账</title><type>2000</type><wcpayinfo><paysubtype>1</paysubtype><feedesc>￥50000.00</feedesc></wcpayinfo></appmsg></msg>".to_owned()),
                    1..=4 => (1, "1@chatroom".to_owned(), format!("wxid_{}:\n群消息{i}", i % 30)),
                    _ => (1, format!("wxid_{}", i % 20), format!("消息{i}")),
                };
                st.execute(rusqlite::params![
                    i + 1,
                    1_000_000 + i,
                    ty,
                    i % 2,
                    1_672_545_600_000i64 + i * 1000,
                    talker,
                    content
                ])
                .expect("row");
            }
        }
        tx.commit().expect("commit");
    }
    report("wechat-android-db", &path);

    // MemoTrace HTML, 300,000 objects.
    let path = dir.path().join("chat.html");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        writeln!(
            w,
            "<html><head><title>测试</title></head><body><script>const chatMessages = ["
        )
        .expect("w");
        for i in 0..300_000u64 {
            write!(w, "{{ type:1, text: '消息{i}\\n第二行',is_send:{},avatar_path:'./a.png',timestamp:{},is_chatroom:0,displayname:'老王'}},", i % 2, 1_700_000_000 + i).expect("w");
        }
        write!(w, "\n];\n</script></body></html>\n").expect("w");
    }
    report("wechat-export-html", &path);
}
