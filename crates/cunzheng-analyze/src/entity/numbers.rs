//! Runs of digits: phone numbers, bank cards and resident ID numbers. Each run of digits
//! (single spaces and dashes allowed between groups, a leading `+`) is classified whole; when
//! the whole run is nothing, each group is tried alone.

use super::validate::{IdProblem, luhn, resident_id};
use super::{Entity, Kind, char_at, char_before};
use regex::Regex;
use std::sync::LazyLock;

// No `\b`: it is Unicode-aware, so `账户6222…` would have no boundary (DEPENDENCIES.md §7).
// Neighbours are checked in code instead.
static RUN: LazyLock<Regex> =
    LazyLock::new(|| super::re(r"[+＋]?(?:\([0-9]{2,4}\)\s?)?[0-9]+(?:[ \-][0-9]+)*[Xx]?"));

pub(super) fn digit_runs(text: &str, out: &mut Vec<Entity>) {
    for m in RUN.find_iter(text) {
        let (start, end) = (m.start(), m.end());
        // Part of a longer number: a decimal, a version, an IP address, a digit glued to a
        // letter run of a code or hash.
        if matches!(char_before(text, start), Some(c) if c.is_ascii_digit() || c == '.' || c == ',' || c == '_' || c == '/' || c == '=' || c == '%')
        {
            continue;
        }
        if let Some(c) = char_at(text, end) {
            if c.is_ascii_digit() || c == '_' || c == '@' || c == '%' {
                continue;
            }
            if (c == '.' || c == ',') && char_at(text, end + 1).is_some_and(|d| d.is_ascii_digit())
            {
                continue;
            }
        }
        let raw = m.as_str();
        if let Some(e) = classify(text, start, end, raw) {
            out.push(e);
            continue;
        }
        // Try each group alone (two numbers written one after the other).
        if !raw.contains([' ', '-']) {
            continue;
        }
        let mut pos = start;
        for part in raw.split([' ', '-']) {
            let s = pos;
            pos += part.len() + 1;
            let core = part.trim_end_matches(['X', 'x']);
            if core.len() < 7 || s == start && core.len() == raw.len() {
                continue;
            }
            if let Some(e) = classify(text, s, s + core.len(), core) {
                out.push(e);
            }
        }
    }
}

fn classify(text: &str, start: usize, end: usize, raw: &str) -> Option<Entity> {
    let plus = raw.starts_with(['+', '＋']);
    let x = raw.ends_with(['X', 'x']);
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let span =
        |kind, value: String, check: &str| Entity::span(kind, text, start, end, value, check);
    let no_x_end = if x { end - 1 } else { end };
    if x && digits.len() != 17 {
        // Only an ID ends in X; try without it.
        let e = classify(text, start, no_x_end, &raw[..raw.len() - 1])?;
        return Some(e);
    }
    if x {
        let id = format!("{digits}X");
        return resident_id(&id).ok().map(|_| {
            let mut e = span(Kind::ResidentId, id, "gb11643");
            e.pii = true;
            e
        });
    }
    let intl = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(intl) = intl {
        if let Some(cn) = intl.strip_prefix("86") {
            if is_mobile(cn) {
                return Some(span(Kind::MobileCn, format!("+86{cn}"), "mobile-prefix"));
            }
            if let Some((area, sub)) = landline_parts(&format!("0{cn}")) {
                return Some(span(
                    Kind::LandlineCn,
                    format!("+86-{}-{sub}", &area[1..]),
                    "area-code",
                ));
            }
            return None;
        }
        if plus && (8..=15).contains(&intl.len()) && !intl.starts_with('0') {
            return Some(span(Kind::Phone, format!("+{intl}"), "e164-length"));
        }
        if plus {
            return None;
        }
    }
    if digits.len() == 13
        && let Some(cn) = digits.strip_prefix("86")
        && is_mobile(cn)
    {
        return Some(span(Kind::MobileCn, format!("+86{cn}"), "mobile-prefix"));
    }
    let id_check = (digits.len() == 18).then(|| resident_id(&digits));
    if id_check == Some(Ok(())) {
        let mut e = span(Kind::ResidentId, digits, "gb11643");
        e.pii = true;
        return Some(e);
    }
    if (16..=19).contains(&digits.len()) && luhn(&digits) {
        let bin = crate::bin_table::lookup(&digits);
        // An ID number with a wrong check digit is a near-miss ID, not a card, unless its
        // prefix is a known card BIN.
        if matches!(id_check, Some(Err(IdProblem::Checksum | IdProblem::Date))) && bin.is_none() {
            return None;
        }
        // Card numbers start with a major industry identifier of 3–6 (travel, banking,
        // UnionPay); a Luhn-valid run starting otherwise is more likely an order number.
        if bin.is_some() || matches!(digits.as_bytes()[0], b'3'..=b'6') {
            let mut e = span(Kind::BankCard, digits, "luhn");
            e.bank = bin.map(|b| format!("{} ({}, {})", b.name, b.code, b.card_type));
            return Some(e);
        }
    }
    if is_mobile(&digits) {
        return Some(span(
            Kind::MobileCn,
            format!("+86{digits}"),
            "mobile-prefix",
        ));
    }
    if let Some((area, sub)) = landline_parts(&digits) {
        // Without a separator an 11-12 digit run starting with 0 is only a landline when the
        // text shows the area code apart or names it as a phone.
        let separated = raw.contains(['-', ' ', '(']);
        if separated || phone_cue_near(text, start, end) {
            return Some(span(
                Kind::LandlineCn,
                format!("+86-{}-{sub}", &area[1..]),
                "area-code",
            ));
        }
    }
    None
}

/// 11 digits, 1 then 3–9: the mobile number plan of MIIT.
pub(crate) fn is_mobile(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// Splits a national landline number (leading 0) into area code and subscriber number: 010 and
/// 02X are three-digit area codes with 8-digit numbers; other areas are 0 + three digits with
/// 7- or 8-digit numbers. Subscriber numbers do not start with 0 or 1.
fn landline_parts(d: &str) -> Option<(&str, &str)> {
    let b = d.as_bytes();
    if b.len() < 10 || b[0] != b'0' || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let area_len = if b[1] == b'1' && b[2] == b'0' || b[1] == b'2' {
        3
    } else if (b'3'..=b'9').contains(&b[1]) {
        4
    } else {
        return None;
    };
    let (area, sub) = d.split_at(area_len);
    let ok_len = if area_len == 3 {
        sub.len() == 8
    } else {
        (7..=8).contains(&sub.len())
    };
    (ok_len && !sub.starts_with(['0', '1'])).then_some((area, sub))
}

fn phone_cue_near(text: &str, start: usize, end: usize) -> bool {
    let head = text.get(..start).unwrap_or_default();
    let before: String = head
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text
        .get(end..)
        .unwrap_or_default()
        .chars()
        .take(4)
        .collect();
    let t = format!("{before}|{after}").to_lowercase();
    ["电话", "座机", "tel", "致电", "热线", "来电", "拨打"]
        .iter()
        .any(|c| t.contains(c))
}
