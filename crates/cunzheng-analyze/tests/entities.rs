//! Precision and recall of entity extraction, per kind, on the labelled real messages in
//! `tests/data/analysis/` and on generated cases (valid values and the near-misses each
//! validator must reject). Prints the table; asserts thresholds.
#![allow(clippy::unwrap_used)]

use cunzheng_analyze::entity::{Kind, extract, validate};
use std::collections::BTreeMap;

/// A small deterministic generator (xorshift64*), so the cases are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

struct Case {
    text: String,
    gold: Vec<String>,
}

fn luhn_complete(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|c| validate::luhn(c))
        .unwrap()
}

fn group4(d: &str) -> String {
    d.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces the char at `i` with another from `alphabet`.
fn mutate(s: &str, i: usize, alphabet: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let cur = chars[i];
    chars[i] = alphabet.chars().find(|&c| c != cur).unwrap();
    chars.into_iter().collect()
}

const B58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn generated() -> Vec<Case> {
    let mut r = Rng(0x5eed_cafe_f00d_1234);
    let mut cases = Vec::new();
    let mut add = |text: String, gold: Vec<String>| cases.push(Case { text, gold });
    for i in 0..150 {
        // Bank cards: 16 and 19 digits, UnionPay BINs from the table, some grouped by four.
        let bin = r
            .pick(&[
                "622202", "621700", "622848", "623668", "621483", "622588", "625966",
            ])
            .to_string();
        let len = if i % 2 == 0 { 19 } else { 16 };
        let card = luhn_complete(&format!("{bin}{}", r.digits(len - 7)));
        let shown = if i % 3 == 0 {
            group4(&card)
        } else {
            card.clone()
        };
        add(
            format!("请把钱转到这张卡{shown}，户名王芳"),
            vec![format!("bank_card:{card}")],
        );
        // Near-miss: one digit changed fails Luhn.
        let last = card.as_bytes()[card.len() - 1] - b'0';
        let bad = format!("{}{}", &card[..card.len() - 1], (last + 1) % 10);
        add(format!("卡号{bad}"), vec![]);

        // Resident IDs: valid region, date and check digit; near-misses with a wrong check digit.
        let prov = r.pick(&["11", "31", "44", "51", "33", "65"]).to_string();
        let date = format!(
            "{}{:02}{:02}",
            1950 + r.below(55),
            1 + r.below(12),
            1 + r.below(28)
        );
        let body = format!("{prov}{}{date}{}", r.digits(4), r.digits(3));
        let check = validate::resident_id_check(&body).unwrap();
        let id = format!("{body}{check}");
        add(
            format!("身份证号{id}，请核实"),
            vec![format!("resident_id:{id}")],
        );
        let wrong = if check == '1' { '2' } else { '1' };
        add(format!("身份证{body}{wrong}"), vec![]);
        let bad_date = format!(
            "{prov}{}{}1332{}",
            r.digits(4),
            1950 + r.below(55),
            r.digits(3)
        );
        let bd = format!(
            "{bad_date}{}",
            validate::resident_id_check(&bad_date).unwrap()
        );
        add(format!("号码{bd}"), vec![]);

        // Mobiles in the ways people write them; a number with a non-existent prefix.
        let mobile = format!("1{}{}", r.pick(&["3", "5", "7", "8", "9"]), r.digits(9));
        let shown = match i % 4 {
            0 => mobile.clone(),
            1 => format!("+86 {} {} {}", &mobile[..3], &mobile[3..7], &mobile[7..]),
            2 => format!("{}-{}-{}", &mobile[..3], &mobile[3..7], &mobile[7..]),
            _ => format!("0086{mobile}"),
        };
        add(
            format!("有事打我手机{shown}。"),
            vec![format!("mobile_cn:+86{mobile}")],
        );
        add(format!("订单12{}已发货", r.digits(9)), vec![]);
        let area = r.pick(&["010", "021", "0755", "0571"]).to_string();
        // 010/02X: 8-digit numbers; other areas 7 or 8.
        let rest_len = if area.len() == 3 {
            7
        } else {
            6 + r.below(2) as usize
        };
        let sub = format!("{}{}", 2 + r.below(7), r.digits(rest_len));
        add(
            format!("办公电话{area}-{sub}"),
            vec![format!("landline_cn:+86-{}-{sub}", &area[1..])],
        );

        // Crypto addresses: valid by construction, and one character changed.
        let mut payload = vec![if i % 2 == 0 { 0x00 } else { 0x05 }];
        payload.extend(r.bytes(20));
        let btc = bs58::encode(&payload).with_check().into_string();
        add(format!("BTC地址：{btc}"), vec![format!("btc:{btc}")]);
        add(format!("BTC地址：{}", mutate(&btc, 10, B58)), vec![]);
        let program = r.bytes(if i % 2 == 0 { 20 } else { 32 });
        let version = if i % 2 == 0 {
            bech32::segwit::VERSION_0
        } else {
            bech32::segwit::VERSION_1
        };
        let seg = bech32::segwit::encode(bech32::hrp::BC, version, &program).unwrap();
        add(format!("转到 {seg} 即可"), vec![format!("btc:{seg}")]);
        add(
            format!(
                "转到 {} 即可",
                mutate(&seg, 12, "qpzry9x8gf2tvdw0s3jn54khce6mua7l")
            ),
            vec![],
        );
        let mut tp = vec![0x41];
        tp.extend(r.bytes(20));
        let tron = bs58::encode(&tp).with_check().into_string();
        add(format!("USDT-TRC20：{tron}"), vec![format!("tron:{tron}")]);
        add(format!("USDT-TRC20：{}", mutate(&tron, 20, B58)), vec![]);
        let eth = validate::eth_checksummed(&hex::encode(r.bytes(20)));
        add(
            format!("ERC20 {eth}"),
            vec![format!("eth:{}", eth.to_ascii_lowercase())],
        );
        // Flipping the case of one letter breaks EIP-55 (when there is a letter to flip).
        if let Some(p) = eth[2..].find(|c: char| c.is_ascii_alphabetic()) {
            let mut b = eth.clone().into_bytes();
            b[p + 2] ^= 0x20;
            add(format!("ERC20 {}", String::from_utf8(b).unwrap()), vec![]);
        }

        // Amounts.
        let n = 100 + r.below(99_900);
        add(format!("已转账{n}元"), vec![format!("amount:{n}.00")]);
        let cents = r.below(100);
        let grouped = {
            let s = n.to_string();
            let mut out = String::new();
            for (k, c) in s.chars().enumerate() {
                if k > 0 && (s.len() - k).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        add(
            format!("共计¥{grouped}.{cents:02}"),
            vec![format!("amount:{n}.{cents:02}")],
        );
        let w = 1 + r.below(50);
        add(
            format!("先打{w}w保证金"),
            vec![format!("amount:{}.00", w * 10_000)],
        );
        add(
            format!("充值{w}.5万"),
            vec![format!("amount:{}.00", w * 10_000 + 5_000)],
        );
        add(format!("提现 USDT {n}"), vec![format!("amount:{n}.00")]);
        add(format!("fee ${n}"), vec![format!("amount:{n}.00")]);
        add(format!("来了{w}万人"), vec![]);
        let (cn, v) = r.pick(&[
            ("五万元", 50_000),
            ("三千五百元", 3_500),
            ("一万五千元", 15_000),
            ("两百块", 200),
            ("壹仟贰佰元", 1_200),
        ]);
        add(format!("他让我转{cn}"), vec![format!("amount:{v}.00")]);

        // Accounts by context, and the same numbers without context.
        let qq = format!("{}{}", 1 + r.below(9), r.digits(8));
        add(format!("加我QQ：{qq}"), vec![format!("qq:{qq}")]);
        add(format!("编号{qq}"), vec![]);
        let wx = format!(
            "{}{}_{}",
            r.pick(&["li", "wang", "zhang"]),
            r.digits(3),
            r.digits(2)
        );
        add(format!("加vx {wx} 详聊"), vec![format!("wechat:{wx}")]);
        add(
            format!("支付宝账号：{mobile}"),
            vec![
                format!("alipay:+86{mobile}"),
                format!("mobile_cn:+86{mobile}"),
            ],
        );
    }
    cases
}

fn labelled() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/analysis/labelled.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Case {
                text: v["text"].as_str().unwrap().to_owned(),
                gold: v["gold"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g.as_str().unwrap().to_owned())
                    .collect(),
            }
        })
        .collect()
}

#[derive(Default, Debug)]
struct Counts {
    tp: u64,
    fp: u64,
    fn_: u64,
}

fn score(cases: &[Case]) -> (BTreeMap<String, Counts>, Vec<String>) {
    let mut per: BTreeMap<String, Counts> = BTreeMap::new();
    let mut errors = Vec::new();
    for c in cases {
        let found = extract(&c.text);
        // Every span holds exactly the text reported.
        for e in &found {
            assert_eq!(c.text.get(e.start..e.end), Some(e.text.as_str()), "{e:?}");
        }
        let mut predicted: Vec<String> = found
            .into_iter()
            .map(|e| format!("{}:{}", e.kind.name(), e.value))
            .collect();
        let mut gold = c.gold.clone();
        // Multiset matching.
        let mut i = 0;
        while i < gold.len() {
            if let Some(j) = predicted.iter().position(|p| *p == gold[i]) {
                per.entry(kind_of(&gold[i])).or_default().tp += 1;
                predicted.remove(j);
                gold.remove(i);
            } else {
                i += 1;
            }
        }
        for g in &gold {
            per.entry(kind_of(g)).or_default().fn_ += 1;
            errors.push(format!("missed {g} in {:?}", c.text));
        }
        for p in &predicted {
            per.entry(kind_of(p)).or_default().fp += 1;
            errors.push(format!("spurious {p} in {:?}", c.text));
        }
    }
    (per, errors)
}

fn kind_of(s: &str) -> String {
    let k = s.split(':').next().unwrap_or_default();
    assert!(Kind::from_name(k).is_some(), "unknown kind in labels: {s}");
    k.to_owned()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn report(name: &str, per: &BTreeMap<String, Counts>) {
    println!(
        "{name}\n{:<12} {:>5} {:>5} {:>5} {:>9} {:>9}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    for (k, c) in per {
        println!(
            "{k:<12} {:>5} {:>5} {:>5} {:>9.3} {:>9.3}",
            c.tp,
            c.fp,
            c.fn_,
            ratio(c.tp, c.tp + c.fp),
            ratio(c.tp, c.tp + c.fn_)
        );
    }
}

#[test]
fn precision_and_recall() {
    let real = labelled();
    assert_eq!(real.len(), 268);
    let (per_real, errors_real) = score(&real);
    report(
        "labelled real messages (tests/data/analysis/labelled.jsonl)",
        &per_real,
    );
    for e in &errors_real {
        println!("  {e}");
    }
    let gen_cases = generated();
    let (per_gen, errors_gen) = score(&gen_cases);
    report(&format!("generated cases ({})", gen_cases.len()), &per_gen);
    for e in errors_gen.iter().take(30) {
        println!("  {e}");
    }
    // Real messages: amounts dominate; the other kinds have few examples, so only amounts,
    // URLs and domains get thresholds of their own, the rest a pooled one.
    let amount = &per_real["amount"];
    assert!(
        ratio(amount.tp, amount.tp + amount.fp) >= 0.95,
        "amount precision {amount:?}"
    );
    assert!(
        ratio(amount.tp, amount.tp + amount.fn_) >= 0.90,
        "amount recall {amount:?}"
    );
    for k in ["url", "domain"] {
        let c = &per_real[k];
        assert!(
            ratio(c.tp, c.tp + c.fp) >= 0.95 && ratio(c.tp, c.tp + c.fn_) >= 0.9,
            "{k} {c:?}"
        );
    }
    let (tp, fp, fn_) = per_real
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "amount" | "url" | "domain"))
        .fold((0, 0, 0), |(a, b, c), (_, x)| {
            (a + x.tp, b + x.fp, c + x.fn_)
        });
    assert!(
        ratio(tp, tp + fp) >= 0.9,
        "other kinds precision {tp}/{}",
        tp + fp
    );
    assert!(
        ratio(tp, tp + fn_) >= 0.75,
        "other kinds recall {tp}/{}",
        tp + fn_
    );
    // Generated: validators must be exact.
    for (k, c) in &per_gen {
        assert!(
            ratio(c.tp, c.tp + c.fp) >= 0.99,
            "generated {k} precision {c:?}"
        );
        assert!(
            ratio(c.tp, c.tp + c.fn_) >= 0.99,
            "generated {k} recall {c:?}"
        );
    }
}

/// Hostile text: the labelled messages cut at random byte positions, spliced together and
/// sprinkled with digits, separators and cue words. Nothing may panic, and every span must hold
/// the text it reports.
#[test]
fn mangled_text_never_breaks_the_extractor() {
    let real = labelled();
    let mut r = Rng(0xdead_beef_1234_5678);
    let bits = [
        "6222", "0x", "+86", "QQ:", "微信", "元", "万", "@", "://", "bc1", "T", "1", "-", " ", ".",
        "¥", "X",
    ];
    for _ in 0..20_000 {
        let a = r.pick(&real).text.clone();
        let b = r.pick(&real).text.clone();
        let mut s = String::new();
        let cut = r.below(a.len() as u64 + 1) as usize;
        s.push_str(&a[..a.floor_char_boundary(cut)]);
        for _ in 0..r.below(6) {
            let bit: &&str = r.pick(&bits);
            s.push_str(bit);
            let n = r.below(20) as usize;
            s.push_str(&r.digits(n));
        }
        let cut = r.below(b.len() as u64 + 1) as usize;
        s.push_str(&b[b.floor_char_boundary(cut)..]);
        let found = extract(&s);
        for e in &found {
            assert_eq!(s.get(e.start..e.end), Some(e.text.as_str()), "{s:?} {e:?}");
            if e.kind == Kind::Amount {
                assert!(
                    cunzheng_analyze::Decimal::parse(&e.value).is_some(),
                    "{e:?}"
                );
            }
        }
    }
}
