//! Entities in message text: phone numbers, bank cards, resident IDs, amounts, URLs and
//! domains, IP addresses, e-mail, QQ / WeChat / Alipay accounts and crypto addresses.
//!
//! Every entity has passed a validator named in [`Entity::check`]; candidates that fail
//! (a 16-digit number failing Luhn, an ID number with a bad check digit) are not reported.
//! Offsets are byte offsets into the text given.

mod accounts;
mod amount;
mod crypto;
mod net;
mod numbers;
pub mod validate;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// What an entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Chinese mobile number (1[3-9]x, 11 digits), value `+86` + number.
    MobileCn,
    /// Chinese landline with area code, value `+86-<area>-<number>`.
    LandlineCn,
    /// Another E.164 number written with `+`, value `+<digits>`.
    Phone,
    /// Bank card number (16–19 digits, Luhn), value the digits.
    BankCard,
    /// 18-digit resident identity number (GB 11643): sensitive personal data.
    ResidentId,
    /// A sum of money, value an exact decimal.
    Amount,
    /// A URL, value with the host in ASCII (punycode).
    Url,
    /// A domain name, value in ASCII (punycode), lower case.
    Domain,
    /// IPv4 address.
    Ipv4,
    /// IPv6 address, value in canonical form.
    Ipv6,
    /// E-mail address, value lower case.
    Email,
    /// QQ number (only next to a QQ cue).
    Qq,
    /// WeChat ID (only next to a WeChat cue: 微信, vx, wx).
    Wechat,
    /// Alipay account (phone or e-mail next to 支付宝).
    Alipay,
    /// Bitcoin address (base58check P2PKH/P2SH or bech32/bech32m segwit).
    Btc,
    /// Ethereum address (EIP-55 checked when mixed case), value lower case.
    Eth,
    /// TRON address (base58check, version 0x41).
    Tron,
}

impl Kind {
    /// Every kind, in output order.
    pub const ALL: [Kind; 17] = [
        Kind::MobileCn,
        Kind::LandlineCn,
        Kind::Phone,
        Kind::BankCard,
        Kind::ResidentId,
        Kind::Amount,
        Kind::Url,
        Kind::Domain,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Email,
        Kind::Qq,
        Kind::Wechat,
        Kind::Alipay,
        Kind::Btc,
        Kind::Eth,
        Kind::Tron,
    ];

    /// The snake_case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::MobileCn => "mobile_cn",
            Kind::LandlineCn => "landline_cn",
            Kind::Phone => "phone",
            Kind::BankCard => "bank_card",
            Kind::ResidentId => "resident_id",
            Kind::Amount => "amount",
            Kind::Url => "url",
            Kind::Domain => "domain",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Email => "email",
            Kind::Qq => "qq",
            Kind::Wechat => "wechat",
            Kind::Alipay => "alipay",
            Kind::Btc => "btc",
            Kind::Eth => "eth",
            Kind::Tron => "tron",
        }
    }

    /// Parses [`Kind::name`].
    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Whether the kind identifies a person, account or place money or contact goes to (what
    /// links cases), as opposed to amounts.
    pub fn is_identifier(self) -> bool {
        self != Kind::Amount
    }
}

/// One entity found in a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: Kind,
    /// The text as written.
    pub text: String,
    /// Normalised value (see [`Kind`]).
    pub value: String,
    /// Byte offset of the start in the text.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
    /// The validator it passed: `luhn`, `gb11643`, `base58check`, `bech32`, `eip55`,
    /// `hex-no-checksum` (ETH all one case: no checksum to test), `mobile-prefix`,
    /// `area-code`, `e164-length`, `idna`, `inet`, `syntax`, `context`, `amount-syntax`.
    pub check: String,
    /// For amounts: ISO 4217 code or `USDT`; `None` when the text states no currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// For bank cards: the issuer by the BIN table (`中国工商银行 (ICBC, DC)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    /// Sensitive personal data (resident ID numbers): redact in shared reports.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pii: bool,
    /// Anything a reader should know (the Unicode form of a punycode host, the cue word of a
    /// context match, an amount written as a lower bound such as 23万多元).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Entity {
    /// An entity spanning `text[start..end]`.
    fn span(
        kind: Kind,
        text: &str,
        start: usize,
        end: usize,
        value: String,
        check: &str,
    ) -> Entity {
        Entity {
            kind,
            text: text.get(start..end).unwrap_or_default().to_owned(),
            value,
            start,
            end,
            check: check.into(),
            currency: None,
            bank: None,
            pii: false,
            note: None,
        }
    }

    fn overlaps(&self, o: &Entity) -> bool {
        self.start < o.end && o.start < self.end
    }
}

/// Finds every entity in `text`, sorted by position then kind.
pub fn extract(text: &str) -> Vec<Entity> {
    let mut out = Vec::new();
    extract_into(text, &mut out);
    out
}

/// Cue words that decide which extractors run, found in one pass over the text.
const CUES: [&str; 18] = [
    "://", "www.", "bc1", "0x", "@", "qq", "扣扣", "企鹅", "q群", "微信", "weixin", "wechat", "vx",
    "wx", "v信", "威信", "薇信", "徽信",
];
/// Which [`CUES`] a text holds, by index bit; plus "加v" and 支付宝 below.
struct Present(u32);
impl Present {
    fn any(&self, range: std::ops::Range<usize>) -> bool {
        range.into_iter().any(|i| self.0 & (1 << i) != 0)
    }
}

static CUE_SEARCH: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(CUES.iter().chain(["加v", "支付宝"].iter()))
        .expect("constant patterns")
});

fn cues(text: &str) -> Present {
    let mut bits = 0u32;
    for m in CUE_SEARCH.find_overlapping_iter(text) {
        bits |= 1 << m.pattern().as_u32();
    }
    Present(bits)
}

/// [`extract`] appending to `out` (which is not cleared).
pub fn extract_into(text: &str, out: &mut Vec<Entity>) {
    let base = out.len();
    let bytes = text.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    let present = cues(text);
    // Tokens that contain digits and dots: found first, and numbers inside them are not
    // reported again as phones or amounts.
    let mut tokens: Vec<Entity> = Vec::new();
    if present.any(0..2) {
        net::urls(text, &mut tokens);
    }
    if present.any(4..5) {
        net::emails(text, &mut tokens);
    }
    if has_digit && bytes.len() >= 26 {
        crypto::addresses(text, present.any(2..3), present.any(3..4), &mut tokens);
    }
    // A domain needs a dot before a letter; an IPv4 address three dots, an IPv6 one colons.
    if bytes
        .windows(2)
        .any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic())
    {
        net::domains(text, &tokens.clone(), &mut tokens);
    }
    if has_digit && (bytes.iter().filter(|&&b| b == b'.').count() >= 3 || bytes.contains(&b':')) {
        net::ips(text, &tokens.clone(), &mut tokens);
    }
    let mut nums: Vec<Entity> = Vec::new();
    if has_digit {
        numbers::digit_runs(text, &mut nums);
        nums.retain(|n| {
            !tokens
                .iter()
                .any(|t| t.kind != Kind::Domain && t.overlaps(n))
        });
    }
    let mut ctx: Vec<Entity> = Vec::new();
    accounts::context_accounts(
        text,
        present.any(5..9),
        present.any(9..18) || present.any(18..19),
        present.any(19..20),
        &mut ctx,
    );
    ctx.retain(|n| {
        !tokens
            .iter()
            .any(|t| t.kind != Kind::Email && t.kind != Kind::Domain && t.overlaps(n))
    });
    let mut amounts: Vec<Entity> = Vec::new();
    amount::amounts(text, has_digit, &mut amounts);
    amounts.retain(|a| {
        !tokens.iter().any(|t| t.overlaps(a))
            && !nums.iter().any(|n| n.overlaps(a))
            && !ctx.iter().any(|n| n.overlaps(a))
    });
    out.extend(tokens);
    out.extend(nums);
    out.extend(ctx);
    out.extend(amounts);
    out[base..].sort_by_key(|e| (e.start, e.kind, e.end));
    // The same span and kind found twice (a URL host also matched as a bare domain).
    let mut i = base + 1;
    while i < out.len() {
        if out[i].kind == out[i - 1].kind
            && out[i].start == out[i - 1].start
            && out[i].end == out[i - 1].end
        {
            out.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Compiles a constant pattern (all are exercised by the tests).
fn re(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("constant regex")
}

/// The char before byte `i`, if any.
fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The char at byte `i`, if any.
fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Kind, String)> {
        extract(text)
            .into_iter()
            .map(|e| (e.kind, e.value))
            .collect()
    }

    fn has(text: &str, kind: Kind, value: &str) {
        let f = found(text);
        assert!(
            f.iter().any(|(k, v)| *k == kind && v == value),
            "{text:?}: expected {kind:?} {value}, got {f:?}"
        );
    }

    fn lacks(text: &str, kind: Kind) {
        let f = found(text);
        assert!(
            !f.iter().any(|(k, _)| *k == kind),
            "{text:?}: unexpected {kind:?} in {f:?}"
        );
    }

    #[test]
    fn phones() {
        has("我的电话13812345678", Kind::MobileCn, "+8613812345678");
        has(
            "call +86 138 1234 5678 now",
            Kind::MobileCn,
            "+8613812345678",
        );
        has("0086-13812345678", Kind::MobileCn, "+8613812345678");
        has("手机：138-1234-5678。", Kind::MobileCn, "+8613812345678");
        has("座机010-62345678", Kind::LandlineCn, "+86-10-62345678");
        lacks("座机010-12345678", Kind::LandlineCn);
        has("(0755)88889999", Kind::LandlineCn, "+86-755-88889999");
        has("Tel: +1 415 555 2671", Kind::Phone, "+14155552671");
        lacks("订单号12812345678", Kind::MobileCn);
        lacks("2023-05-01 10:30", Kind::LandlineCn);
        lacks("价格 3.13812345678", Kind::MobileCn);
    }

    #[test]
    fn cards_and_ids() {
        let e = extract("请转到账户6222020200112233445");
        let card: Vec<_> = e.iter().filter(|e| e.kind == Kind::BankCard).collect();
        // 6222020200112233445 fails Luhn: not a card.
        assert!(card.is_empty(), "{e:?}");
        let e = extract("卡号 6222 0202 0011 2233 446 工行");
        let c = e
            .iter()
            .find(|e| e.kind == Kind::BankCard)
            .map(|e| (e.value.clone(), e.bank.clone()));
        assert_eq!(
            c,
            Some((
                "6222020200112233446".into(),
                Some("中国工商银行 (ICBC, DC)".into())
            ))
        );
        has(
            "身份证11010519491231002X",
            Kind::ResidentId,
            "11010519491231002X",
        );
        lacks("身份证110105194912310021", Kind::ResidentId);
        assert!(extract("11010519491231002X").iter().all(|e| e.pii));
    }

    #[test]
    fn amounts() {
        has("¥5,000.00", Kind::Amount, "5000.00");
        has("转了5000元", Kind::Amount, "5000.00");
        has("共五万元", Kind::Amount, "50000.00");
        has("先转5w过来", Kind::Amount, "50000.00");
        has("充值3.5万", Kind::Amount, "35000.00");
        has("佣金1.2k", Kind::Amount, "1200.00");
        has("USDT 200", Kind::Amount, "200.00");
        has("$300", Kind::Amount, "300.00");
        has("人民币一万五千元", Kind::Amount, "15000.00");
        let e = extract("USDT 200");
        assert_eq!(
            e.first().and_then(|e| e.currency.clone()),
            Some("USDT".into())
        );
        lacks("来了3.5万人", Kind::Amount);
        lacks("跑了5km", Kind::Amount);
        lacks("2023年5月", Kind::Amount);
    }

    #[test]
    fn net() {
        has(
            "点击 https://t.cn/A6abc 领取",
            Kind::Url,
            "https://t.cn/A6abc",
        );
        has("点击http://t.cn领取", Kind::Domain, "t.cn");
        has(
            "访问 www.example.com/x?a=1。",
            Kind::Url,
            "http://www.example.com/x?a=1",
        );
        has(
            "http://例子.中国/a",
            Kind::Url,
            "http://xn--fsqu00a.xn--fiqs8s/a",
        );
        has("登录 abc-invest.top 注册", Kind::Domain, "abc-invest.top");
        has(
            "mail Foo.Bar@Example.COM",
            Kind::Email,
            "foo.bar@example.com",
        );
        has("server 192.168.1.20 down", Kind::Ipv4, "192.168.1.20");
        has("v6 2001:db8::1 ok", Kind::Ipv6, "2001:db8::1");
        lacks("version 1.2.3.400", Kind::Ipv4);
        lacks("at 12:30:45", Kind::Ipv6);
        lacks("价格3.50元", Kind::Domain);
    }

    #[test]
    fn context_accounts() {
        has("加我QQ：123456789", Kind::Qq, "123456789");
        has("加我qq 10001", Kind::Qq, "10001");
        lacks("编号123456789", Kind::Qq);
        has("加vx: abc_12345", Kind::Wechat, "abc_12345");
        has("微信号是 Zhang-san88", Kind::Wechat, "Zhang-san88");
        has("wx13812345678", Kind::Wechat, "13812345678");
        lacks("wechat account", Kind::Wechat);
        lacks("微信转账", Kind::Wechat);
        has("支付宝账号13812345678", Kind::Alipay, "+8613812345678");
        has("支付宝：pay@qq.com", Kind::Alipay, "pay@qq.com");
    }

    #[test]
    fn crypto() {
        has(
            "BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            Kind::Btc,
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        );
        has(
            "打到bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            Kind::Btc,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        );
        has(
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            Kind::Eth,
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        );
        lacks("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", Kind::Eth);
        has(
            "TRC20地址TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            Kind::Tron,
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        );
        lacks("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", Kind::Tron);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for t in [
            "",
            "+",
            "0x",
            "１２３",
            "\u{0}",
            "元",
            "万元",
            "¥",
            "QQ",
            "支付宝：",
            "http://",
            "www.",
            "::",
            "1.",
            "9999999999999999999999999999999999999999999万元",
        ] {
            let _ = extract(t);
        }
    }
}
