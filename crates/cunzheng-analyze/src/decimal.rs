//! Exact decimal amounts for money: an integer and a scale, never a float.
//!
//! Hand-written rather than a decimal crate: money here only needs parsing, shifting by powers
//! of ten (万, k) and addition, all exact and checked; nothing divides or rounds.

use serde::{Serialize, Serializer};
use std::fmt;

/// Largest scale kept: finer fractions are not money in any chat.
const MAX_SCALE: u32 = 8;

/// An exact decimal: `units × 10^-scale`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Decimal {
    units: i128,
    scale: u32,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal { units: 0, scale: 0 };

    /// A whole number.
    pub fn from_int(n: i128) -> Decimal {
        Decimal { units: n, scale: 0 }
    }

    /// Parses `1234`, `1,234.50`, `-3.5`. Commas must group thousands. `None` for anything else
    /// or a value too large.
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if int.contains(',') {
            let mut groups = int.split(',');
            let first = groups.next()?;
            if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
                return None;
            }
        }
        let mut units: i128 = 0;
        for c in int.chars().filter(|&c| c != ',') {
            units = units
                .checked_mul(10)?
                .checked_add(c.to_digit(10)? as i128)?;
        }
        let mut scale = 0;
        for c in frac.chars() {
            let d = c.to_digit(10)? as i128;
            if scale < MAX_SCALE {
                units = units.checked_mul(10)?.checked_add(d)?;
                scale += 1;
            }
        }
        Some(
            Decimal {
                units: if neg { -units } else { units },
                scale,
            }
            .normalised(),
        )
    }

    /// This value times `10^exp`.
    pub fn shift(self, exp: u32) -> Option<Decimal> {
        let mut d = self;
        let mut e = exp;
        while e > 0 && d.scale > 0 {
            d.scale -= 1;
            e -= 1;
        }
        d.units = d.units.checked_mul(10i128.checked_pow(e)?)?;
        Some(d.normalised())
    }

    /// Exact sum, `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let a = self
            .units
            .checked_mul(10i128.checked_pow(scale - self.scale)?)?;
        let b = other
            .units
            .checked_mul(10i128.checked_pow(scale - other.scale)?)?;
        Some(
            Decimal {
                units: a.checked_add(b)?,
                scale,
            }
            .normalised(),
        )
    }

    /// Exact difference, `None` on overflow.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(Decimal {
            units: other.units.checked_neg()?,
            scale: other.scale,
        })
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.units < 0
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    fn normalised(mut self) -> Decimal {
        while self.scale > 0 && self.units % 10 == 0 {
            self.units /= 10;
            self.scale -= 1;
        }
        self
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match self.checked_sub(*other) {
            Some(d) => d.units.cmp(&0),
            // Only on overflow, i.e. values of opposite sign near the limits.
            None => self.units.signum().cmp(&other.units.signum()),
        }
    }
}

/// Plain decimal text with at least two fraction digits (`5000.00`, `0.125`, `-3.50`).
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Digit strings, not arithmetic: nothing can overflow.
        let scale = self.scale as usize;
        let mut digits = self.units.unsigned_abs().to_string();
        if digits.len() <= scale {
            digits = format!("{}{digits}", "0".repeat(scale + 1 - digits.len()));
        }
        let (int, frac) = digits.split_at(digits.len() - scale);
        let sign = if self.units < 0 { "-" } else { "" };
        write!(f, "{sign}{int}.{frac:0<2}")
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Value of a Chinese numeral (五万, 三千五百, 一万五, 壹仟贰佰, 三点五万), exact. `None` when the
/// text is not a well-formed numeral.
///
/// Hand-written: the colloquial forms that matter in chats (一万五 = 15000, 三千五 = 3500) are
/// not what general numeral crates parse.
pub fn parse_chinese(text: &str) -> Option<Decimal> {
    let (int_part, frac_part) = match text.split_once('点') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let mut total: i128 = 0; // finished 亿/万 sections
    let mut section: i128 = 0; // below 万
    let mut number: Option<i128> = None;
    let mut last_unit: i128 = 1;
    let mut seen = false;
    let mut zero_after_unit = false;
    for c in int_part.chars() {
        seen = true;
        if matches!(c, '零' | '〇') && number.is_none() && last_unit > 1 {
            zero_after_unit = true;
            continue;
        }
        if let Some(d) = digit(c) {
            if number.is_some() {
                return None; // 一二 is a digit string, not a numeral
            }
            number = Some(d);
            continue;
        }
        match c {
            '十' | '拾' | '百' | '佰' | '千' | '仟' => {
                let u = match c {
                    '十' | '拾' => 10,
                    '百' | '佰' => 100,
                    _ => 1000,
                };
                let n = number.take().unwrap_or(if u == 10 { 1 } else { 0 });
                if n == 0 && u != 10 {
                    return None;
                }
                section = section.checked_add(n.checked_mul(u)?)?;
                last_unit = u;
                zero_after_unit = false;
            }
            '万' | '萬' | '亿' | '億' => {
                let u: i128 = if matches!(c, '万' | '萬') {
                    10_000
                } else {
                    100_000_000
                };
                let s = section.checked_add(number.take().unwrap_or(0))?;
                if u == 10_000 {
                    total = total.checked_add(s.checked_mul(u)?)?;
                } else {
                    total = total.checked_add(s)?.checked_mul(u)?;
                }
                section = 0;
                last_unit = u;
                zero_after_unit = false;
            }
            _ => return None,
        }
    }
    if !seen && frac_part.is_none() {
        return None;
    }
    // A trailing digit after a unit is one order below it: 三千五 = 3500, 一万五 = 15000.
    let tail = match number {
        Some(n) if last_unit >= 100 && !zero_after_unit && frac_part.is_none() => {
            n.checked_mul(last_unit / 10)?
        }
        Some(n) => n,
        None => 0,
    };
    let whole = total.checked_add(section)?.checked_add(tail)?;
    let mut value = Decimal::from_int(whole);
    if let Some(frac) = frac_part {
        // 三点五万: the fraction belongs to the number before the trailing unit.
        let (digits, unit) = match frac.char_indices().find(|(_, c)| digit(*c).is_none()) {
            Some((i, _)) => (&frac[..i], &frac[i..]),
            None => (frac, ""),
        };
        if digits.is_empty() {
            return None;
        }
        let mut s = format!("{whole}.");
        for c in digits.chars() {
            s.push(char::from_digit(digit(c)? as u32, 10)?);
        }
        value = Decimal::parse(&s)?;
        value = match unit {
            "" => value,
            "万" | "萬" => value.shift(4)?,
            "亿" | "億" => value.shift(8)?,
            "千" | "仟" => value.shift(3)?,
            "百" | "佰" => value.shift(2)?,
            _ => return None,
        };
    }
    Some(value)
}

fn digit(c: char) -> Option<i128> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' | '幺' => 1,
        '二' | '两' | '贰' | '兩' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        Decimal::parse(s).map(|d| d.to_string()).unwrap_or_default()
    }

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(d("5,000.00"), "5000.00");
        assert_eq!(d("0.1"), "0.10");
        assert_eq!(d("3.125"), "3.125");
        assert_eq!(d("-7"), "-7.00");
        assert_eq!(d("1,23"), "");
        assert_eq!(d("12a"), "");
        let a = Decimal::parse("0.1").unwrap_or_default();
        let b = Decimal::parse("0.2").unwrap_or_default();
        assert_eq!(a.checked_add(b).map(|x| x.to_string()), Some("0.30".into()));
        assert_eq!(
            Decimal::parse("3.5")
                .and_then(|x| x.shift(4))
                .map(|x| x.to_string()),
            Some("35000.00".into())
        );
        assert!(Decimal::parse("99999999999999999999999999999999999999999").is_none());
        // The largest value prints without overflow.
        let big = Decimal::parse("170141183460469231731687303715884105727").unwrap_or_default();
        assert_eq!(
            big.to_string(),
            "170141183460469231731687303715884105727.00"
        );
        assert_eq!(
            Decimal::parse("-0.05").map(|d| d.to_string()),
            Some("-0.05".into())
        );
    }

    #[test]
    fn chinese_numerals() {
        let c = |s: &str| parse_chinese(s).map(|d| d.to_string());
        assert_eq!(c("五万"), Some("50000.00".into()));
        assert_eq!(c("三千五百"), Some("3500.00".into()));
        assert_eq!(c("三千五"), Some("3500.00".into()));
        assert_eq!(c("一万五"), Some("15000.00".into()));
        assert_eq!(c("十五"), Some("15.00".into()));
        assert_eq!(c("壹仟贰佰叁拾"), Some("1230.00".into()));
        assert_eq!(c("两百"), Some("200.00".into()));
        assert_eq!(c("一亿二千万"), Some("120000000.00".into()));
        assert_eq!(c("三点五万"), Some("35000.00".into()));
        assert_eq!(c("十万零五"), Some("100005.00".into()));
        assert_eq!(c("一二三"), None);
        assert_eq!(c("万"), Some("0.00".into()));
    }
}
