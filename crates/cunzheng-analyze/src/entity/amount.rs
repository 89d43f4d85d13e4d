//! Sums of money: `¥5,000.00`, `5000元`, `五万元`, `5w`, `3.5万`, `1.2k`, `USDT 200`, `$300`.
//!
//! A number is an amount when a currency is written with it, or when it carries a multiplier
//! (万, w, k, 千) and a money word stands just before it (转5w, 充值3.5万); `3.5万人` is not.

use super::{Entity, Kind, char_at, char_before};
use crate::decimal::{Decimal, parse_chinese};
use regex::{Captures, Regex};
use std::sync::LazyLock;

static ARABIC: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?x)
        (?P<pre>US\$|HK\$|[¥￥$€£]|RMB|CNY|USDT|USD|GBP|EUR|HKD|人民币)?\x20?
        (?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)
        \x20?(?P<mul>万亿|万|千|百|亿|[wWkK])?
        (?P<approx>多|余)?
        \x20?(?P<suf>块钱|元|块|圆|人民币|美元|美金|港币|港元|USDT|usdt|RMB|rmb|CNY|USD|U)?",
    )
});

static CHINESE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?P<pre>人民币)?(?P<cn>[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億点]+)(?P<approx>多|余)?(?P<suf>块钱|元|块|圆)",
    )
});

/// Words that make a bare number with a multiplier money: transfers, payments, loans, profits.
pub(crate) const MONEY_CUES: [&str; 36] = [
    "转",
    "汇",
    "打款",
    "付",
    "充",
    "收款",
    "收到",
    "借",
    "贷",
    "还",
    "钱",
    "款",
    "额",
    "本金",
    "利息",
    "收益",
    "赚",
    "亏",
    "投",
    "提现",
    "押金",
    "保证金",
    "手续费",
    "解冻",
    "价",
    "工资",
    "佣金",
    "返利",
    "红包",
    "给你",
    "给我",
    "交",
    "缴",
    "骗",
    "债",
    "赔",
];

static MONEY_CUE_SEARCH: LazyLock<aho_corasick::AhoCorasick> =
    LazyLock::new(|| aho_corasick::AhoCorasick::new(MONEY_CUES).expect("constant patterns"));

/// Money words right after a bare `300万`.
const MONEY_AFTER: [&str; 10] = [
    "赔偿",
    "资金",
    "现金",
    "存款",
    "贷款",
    "欠款",
    "罚款",
    "赃款",
    "保证金",
    "的债",
];

/// Counters after a number with a multiplier: `5000万股`, `3万人` are counts, not money.
const COUNTERS: &str =
    "股人次台户平米吨件个名辆套张条份斤公里千瓦字篇本家所只头粒片瓶盒包支双根首位票";

/// Before `万元` / `千元` with no digit: vague sums (近万元, 数千元), not amounts.
const VAGUE: &str = "近上数几多成逾超余";

pub(super) fn amounts(text: &str, has_digit: bool, out: &mut Vec<Entity>) {
    if has_digit {
        for c in ARABIC.captures_iter(text) {
            if let Some(e) = arabic(text, &c) {
                out.push(e);
            }
        }
    }
    if text.contains(['元', '块', '圆']) {
        for c in CHINESE.captures_iter(text) {
            if let Some(e) = chinese(text, &c) {
                out.push(e);
            }
        }
    }
}

/// Larger than any sum of money (10^15, a thousand trillion): a digit string, not an amount.
fn max_amount() -> Decimal {
    Decimal::from_int(1_000_000_000_000_000)
}

fn currency_of(s: &str) -> Option<&'static str> {
    Some(match s {
        "¥" | "￥" | "RMB" | "rmb" | "CNY" | "人民币" | "元" | "块" | "块钱" | "圆" => {
            "CNY"
        }
        "$" | "US$" | "USD" | "美元" | "美金" => "USD",
        "HK$" | "HKD" | "港币" | "港元" => "HKD",
        "€" | "EUR" => "EUR",
        "£" | "GBP" => "GBP",
        "USDT" | "usdt" | "U" => "USDT",
        _ => return None,
    })
}

fn money_cue_before(text: &str, start: usize) -> bool {
    let head = text.get(..start).unwrap_or_default();
    let mut from = head.len();
    for (n, (i, _)) in head.char_indices().rev().enumerate() {
        if n >= 8 {
            break;
        }
        from = i;
    }
    MONEY_CUE_SEARCH.is_match(&head[from..])
}

fn arabic(text: &str, c: &Captures) -> Option<Entity> {
    let num = c.name("num")?;
    let whole = c.get(0)?;
    let mut pre = c.name("pre");
    let mut mul = c.name("mul");
    let mut approx = c.name("approx");
    let mut suf = c.name("suf");
    // A digit or decimal point before the number: it is part of something longer.
    if matches!(char_before(text, num.start()), Some(ch) if ch.is_ascii_digit() || ch == '.' || ch == ',')
    {
        return None;
    }
    if pre.is_none()
        && matches!(char_before(text, num.start()), Some(ch) if ch.is_ascii_alphabetic() || ch == '#' || ch == '/')
    {
        return None;
    }
    if let Some(p) = pre
        && p.as_str().chars().all(|ch| ch.is_ascii_alphabetic())
        && char_before(text, p.start()).is_some_and(|ch| ch.is_ascii_alphanumeric())
    {
        pre = None;
    }
    // ASCII markers glued to more letters are words, not markers (`5km`, `200Users`).
    let glued = |m: regex::Match| {
        m.as_str().is_ascii() && char_at(text, m.end()).is_some_and(|ch| ch.is_ascii_alphanumeric())
    };
    if let Some(s) = suf
        && glued(s)
    {
        suf = None;
    }
    if let Some(m) = mul
        && glued(m)
        && suf.is_none()
    {
        mul = None;
        approx = None;
        suf = None;
    }
    if mul.is_none() && approx.is_some() && suf.is_none() {
        approx = None;
    }
    // Leading zeros (`000元`, `05`) are a fragment of a longer number, not an amount.
    if num.as_str().len() > 1 && num.as_str().starts_with('0') && !num.as_str().starts_with("0.") {
        return None;
    }
    let currency = pre
        .and_then(|p| currency_of(p.as_str()))
        .or_else(|| suf.and_then(|s| currency_of(s.as_str())));
    let mut cue = money_cue_before(text, pre.map_or(num.start(), |p| p.start()));
    if let Some(m) = mul
        && currency.is_none()
    {
        let after = text.get(approx.unwrap_or(m).end()..).unwrap_or_default();
        if after.starts_with(|c: char| COUNTERS.contains(c))
            || after.starts_with(['k', 'K', 'm', 'M', 'g', 'G'])
        {
            return None;
        }
        cue |= MONEY_AFTER.iter().any(|w| after.starts_with(w));
    }
    match (currency, mul) {
        (None, None) => return None,
        (None, Some(_)) if !cue => return None,
        _ => {}
    }
    // A lone `U` after a plain number is USDT only in a money context.
    if suf.is_some_and(|s| s.as_str() == "U") && pre.is_none() && mul.is_none() && !cue {
        return None;
    }
    let exp = match mul.map(|m| m.as_str()) {
        None => 0,
        Some("万" | "w" | "W") => 4,
        Some("千" | "k" | "K") => 3,
        Some("百") => 2,
        Some("亿") => 8,
        Some("万亿") => 12,
        Some(_) => return None,
    };
    let value = Decimal::parse(num.as_str())?.shift(exp)?;
    if value > max_amount() {
        return None;
    }
    let start = pre.map_or(num.start(), |p| p.start());
    let end = [Some(num), mul, approx, suf]
        .into_iter()
        .flatten()
        .map(|m| m.end())
        .max()
        .unwrap_or(whole.end());
    let mut e = Entity::span(
        Kind::Amount,
        text,
        start,
        end,
        value.to_string(),
        "amount-syntax",
    );
    e.currency = currency.map(str::to_owned);
    if approx.is_some() {
        e.note = Some("written as more than this amount".into());
    }
    Some(e)
}

fn chinese(text: &str, c: &Captures) -> Option<Entity> {
    let cn = c.name("cn")?;
    let units_only = !cn.as_str().chars().any(|ch| {
        !matches!(
            ch,
            '十' | '百' | '千' | '万' | '亿' | '拾' | '佰' | '仟' | '萬' | '億' | '点'
        )
    });
    let value = if units_only {
        // 百元 / 千元 / 万元 alone are one hundred, thousand, ten thousand, unless vague (近万元).
        let unit = match cn.as_str() {
            "百" | "佰" => 2,
            "千" | "仟" => 3,
            "万" | "萬" => 4,
            _ => return None,
        };
        if c.name("approx").is_some()
            || char_before(text, cn.start())
                .is_some_and(|ch| VAGUE.contains(ch) || ch.is_ascii_alphanumeric())
        {
            return None;
        }
        Decimal::from_int(1).shift(unit)?
    } else {
        parse_chinese(cn.as_str())?
    };
    if value > max_amount() {
        return None;
    }
    let whole = c.get(0)?;
    let mut e = Entity::span(
        Kind::Amount,
        text,
        whole.start(),
        whole.end(),
        value.to_string(),
        "amount-syntax",
    );
    e.currency = Some("CNY".into());
    if c.name("approx").is_some() {
        e.note = Some("written as more than this amount".into());
    }
    Some(e)
}
