//! Redaction for disclosure: masks third parties' resident ID numbers, phone numbers and bank
//! card numbers in everything a report shows, except values the examiner marks as the
//! suspect's.
//!
//! Detection is a bounded scan for number-like runs, each validated (ID check digit per
//! GB 11643, mobile prefixes, Luhn for cards) rather than a bare regex, so dates, amounts and
//! hashes are left alone. Each distinct value gets a number (`[手机号#2]`), so a reader can still
//! see that two masked numbers are the same. The log names each value by a keyed hash: the key
//! is derived from the sealed acquisition records and message files, so whoever holds the case
//! can check which value was masked, and a reader holding only the log cannot enumerate the
//! few billion possible phone numbers against it.

use crate::error::{ReportError, Result};
use crate::labels::Lang;
use crate::model::ReportInput;
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

/// What a redaction did, as the report states it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RedactionSummary {
    /// Number of masks applied.
    pub masks: u64,
    /// Exhibits whose shown text was masked, with the hashes of their unredacted originals.
    pub originals: Vec<OriginalHash>,
}

/// Hashes of an unredacted original.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OriginalHash {
    /// Exhibit number.
    pub exhibit: u64,
    /// SHA-256.
    pub sha256: String,
    /// SM3.
    pub sm3: String,
}

/// The redaction log: what was masked where, never the values.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RedactionLog {
    /// `cunzheng-redaction-log/1`.
    pub format: String,
    /// Case id.
    pub case_id: String,
    /// How `value_hash` is computed.
    pub hash_method: String,
    /// Number of suspect values left unmasked (the values are not listed).
    pub suspect_values: usize,
    /// One entry per distinct masked value.
    pub masked: Vec<LogEntry>,
}

/// One masked value.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LogEntry {
    /// The number shown in the mask, e.g. 2 for `[手机号#2]`.
    pub n: usize,
    /// `id_number`, `phone`, `bank_card`.
    pub kind: String,
    /// Keyed SHA-256 of the normalised value (see `hash_method`).
    pub value_hash: String,
    /// Where it was masked (`E3 L12 body`, `exhibit 4 source`, …).
    pub places: Vec<String>,
}

/// The examiner's choices.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    suspects: HashSet<String>,
    lang: Lang,
}

impl Policy {
    /// Masks everything found except `suspects` (compared by digits, so `138 0013 8000` and
    /// `+86 13800138000` are the same number).
    pub fn new(suspects: &[String]) -> Self {
        Self {
            suspects: suspects.iter().map(|s| normalise(s)).collect(),
            lang: Lang::Zh,
        }
    }

    /// Mask labels in this language.
    pub fn with_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }
}

/// Kind of a detected number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 18-digit resident identity number with a valid check digit.
    IdNumber,
    /// Mobile number (mainland 11-digit, or international with `+`).
    Phone,
    /// Bank card number (16–19 digits, Luhn-valid or UnionPay `62` prefix).
    BankCard,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::IdNumber => "id_number",
            Kind::Phone => "phone",
            Kind::BankCard => "bank_card",
        }
    }
    fn shown(self, lang: Lang) -> &'static str {
        match self {
            Kind::IdNumber => lang.pick("身份证号", "ID"),
            Kind::Phone => lang.pick("手机号", "phone"),
            Kind::BankCard => lang.pick("银行卡号", "card"),
        }
    }
}

/// Digits of a value (and a final `X` of an ID), without a mainland `86` country code.
pub fn normalise(s: &str) -> String {
    let d: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match d.strip_prefix("86") {
        Some(rest) if rest.len() == 11 && rest.starts_with('1') => rest.to_owned(),
        _ => d,
    }
}

fn id_valid(d: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let b = d.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let month = (b[10] - b'0') * 10 + (b[11] - b'0');
    let day = (b[12] - b'0') * 10 + (b[13] - b'0');
    (1..=12).contains(&month) && (1..=31).contains(&day) && C[(sum % 11) as usize] == b[17]
}

fn luhn(d: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in d.bytes().rev().enumerate() {
        let mut v = u32::from(c.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// What a number-like text is, if it is one of the kinds masked.
pub fn classify(text: &str) -> Option<Kind> {
    let plus = text.starts_with('+');
    let raw: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if raw.len() == 18 && id_valid(&raw) {
        return Some(Kind::IdNumber);
    }
    if raw.contains('X') {
        return None;
    }
    let d = normalise(&raw);
    if d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9') {
        return Some(Kind::Phone);
    }
    if (16..=19).contains(&raw.len()) && !plus && (luhn(&raw) || raw.starts_with("62")) {
        return Some(Kind::BankCard);
    }
    if plus && (8..=15).contains(&raw.len()) {
        return Some(Kind::Phone);
    }
    None
}

fn runs() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A number-like run: digits with single spaces or hyphens between, optional leading `+`
    // and trailing ID check letter. The pattern is fixed, so building it cannot fail.
    RE.get_or_init(|| Regex::new(r"\+?\d(?:[ \-]?\d)*[Xx]?").expect("fixed pattern"))
}

/// Finds the maskable numbers in `text`: byte ranges and kinds.
pub fn find(text: &str) -> Vec<(std::ops::Range<usize>, Kind)> {
    let mut out = Vec::new();
    let alnum_at = |i: usize, before: bool| -> bool {
        let c = if before {
            text[..i].chars().next_back()
        } else {
            text[i..].chars().next()
        };
        c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    for m in runs().find_iter(text) {
        if alnum_at(m.start(), true) || alnum_at(m.end(), false) {
            continue;
        }
        if let Some(k) = classify(m.as_str()) {
            out.push((m.range(), k));
            continue;
        }
        // Several numbers in one run ("13800138000 13900139000"): try windows of its tokens.
        let toks: Vec<(usize, usize)> = m
            .as_str()
            .split(' ')
            .scan(m.start(), |pos, t| {
                let s = *pos;
                *pos += t.len() + 1;
                Some((s, s + t.len()))
            })
            .filter(|(s, e)| e > s)
            .collect();
        let mut i = 0;
        while i < toks.len() {
            let mut hit = None;
            for j in (i..toks.len().min(i + 5)).rev() {
                let r = toks[i].0..toks[j].1;
                if let Some(k) = classify(&text[r.clone()]) {
                    hit = Some((j, r, k));
                    break;
                }
            }
            match hit {
                Some((j, r, k)) => {
                    out.push((r, k));
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    out
}

/// The key of the keyed value hashes: SHA-256 over a domain tag and the bytes of the sealed
/// acquisition records and message files.
pub fn case_key(case_dir: &Path, input: &ReportInput) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(b"cunzheng redaction key v1\0");
    h.update(input.case.case_id.as_bytes());
    let layout = cunzheng_case::layout::Layout::new(case_dir);
    let mut files: BTreeSet<String> = BTreeSet::new();
    if let Ok(rd) = std::fs::read_dir(layout.path(cunzheng_case::layout::ACQUISITIONS_DIR)) {
        for e in rd.flatten() {
            if let Some(n) = e.file_name().to_str() {
                files.insert(format!("{}/{n}", cunzheng_case::layout::ACQUISITIONS_DIR));
            }
        }
    }
    for e in &input.exhibits {
        if let Some((p, _)) = &e.derived {
            files.insert(p.clone());
        }
    }
    for rel in files {
        let path = layout.path(&rel);
        let mut f = std::fs::File::open(&path).map_err(|e| ReportError::io("reading", &path, e))?;
        h.update(rel.as_bytes());
        std::io::copy(&mut f, &mut h).map_err(|e| ReportError::io("reading", &path, e))?;
    }
    Ok(h.finalize().into())
}

struct Masker<'a> {
    policy: &'a Policy,
    key: &'a [u8; 32],
    numbers: HashMap<(Kind, String), usize>,
    log: Vec<LogEntry>,
    masks: u64,
    exhibits: BTreeSet<u64>,
}

impl Masker<'_> {
    fn mask(&mut self, text: &mut String, place: &str, exhibit: Option<u64>) {
        let found = find(text);
        if found.is_empty() {
            return;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (r, kind) in found {
            let value = normalise(&text[r.clone()]);
            if self.policy.suspects.contains(&value) {
                continue;
            }
            let next = self.numbers.len() + 1;
            let n = *self.numbers.entry((kind, value.clone())).or_insert(next);
            if n == next {
                let mut h = Sha256::new();
                h.update(self.key);
                h.update(kind.key().as_bytes());
                h.update([0]);
                h.update(value.as_bytes());
                self.log.push(LogEntry {
                    n,
                    kind: kind.key().into(),
                    value_hash: hex::encode(h.finalize()),
                    places: Vec::new(),
                });
            }
            if let Some(e) = self.log.get_mut(n - 1) {
                e.places.push(place.to_owned());
            }
            out.push_str(&text[at..r.start]);
            out.push_str(&format!("[{}#{n}]", kind.shown(self.policy.lang)));
            at = r.end;
            self.masks += 1;
            if let Some(x) = exhibit {
                self.exhibits.insert(x);
            }
        }
        out.push_str(&text[at..]);
        *text = out;
    }
}

/// Masks `input` in place; returns what the report states and the log to write.
pub fn redact(
    input: &mut ReportInput,
    policy: &Policy,
    key: &[u8; 32],
) -> (RedactionSummary, RedactionLog) {
    let mut m = Masker {
        policy,
        key,
        numbers: HashMap::new(),
        log: Vec::new(),
        masks: 0,
        exhibits: BTreeSet::new(),
    };
    m.mask(&mut input.case.title, "case title", None);
    for e in &mut input.exhibits {
        let n = e.number;
        m.mask(&mut e.name, &format!("exhibit {n} name"), Some(n));
        m.mask(&mut e.source, &format!("exhibit {n} source"), Some(n));
    }
    for s in &mut input.skipped {
        m.mask(&mut s.location, "not preserved: location", None);
        m.mask(&mut s.reason, "not preserved: reason", None);
    }
    for c in &mut input.custody {
        let seq = c.seq;
        m.mask(&mut c.summary, &format!("custody {seq}"), None);
    }
    for n in &mut input.parse_notes {
        m.mask(n, "parsing note", None);
    }
    for c in &mut input.conversations {
        let x = c.exhibit;
        m.mask(&mut c.title, &format!("E{x} conversation title"), Some(x));
        for p in &mut c.participants {
            m.mask(p, &format!("E{x} participants"), Some(x));
        }
        for msg in &mut c.messages {
            let r = msg.reference.clone();
            m.mask(&mut msg.sender, &format!("{r} sender"), Some(x));
            m.mask(&mut msg.account, &format!("{r} account"), Some(x));
            m.mask(&mut msg.body, &format!("{r} body"), Some(x));
            for a in &mut msg.attachments {
                m.mask(a, &format!("{r} attachment"), Some(x));
            }
        }
    }
    if let Some(money) = &mut input.money {
        for t in &mut money.transfers {
            m.mask(&mut t.from, "money trail: from", None);
            m.mask(&mut t.to, "money trail: to", None);
        }
    }
    for f in input.scam.iter_mut().flatten() {
        m.mask(&mut f.scam_type, "scam finding: conversation", None);
        m.mask(&mut f.rationale, "scam finding", None);
        for c in &mut f.cited {
            let r = c.reference.clone();
            m.mask(&mut c.text, &format!("{r} cited"), None);
            m.mask(&mut c.sender, &format!("{r} cited sender"), None);
        }
    }
    for t in input.timeline.iter_mut().flatten() {
        m.mask(&mut t.detail, "timeline check", None);
    }
    let originals = input
        .exhibits
        .iter()
        .filter(|e| m.exhibits.contains(&e.number))
        .map(|e| OriginalHash {
            exhibit: e.number,
            sha256: e.sha256.clone(),
            sm3: e.sm3.clone(),
        })
        .collect();
    let summary = RedactionSummary {
        masks: m.masks,
        originals,
    };
    let log = RedactionLog {
        format: "cunzheng-redaction-log/1".into(),
        case_id: input.case.case_id.clone(),
        hash_method: "SHA-256(key || kind || 0x00 || digits), key = SHA-256(\"cunzheng redaction key v1\\0\" || case id || for each sealed acquisition record and derived message file, sorted by bag path: path || bytes)".into(),
        suspect_values: policy.suspects.len(),
        masked: m.log,
    };
    (summary, log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_and_validates() {
        // GB 11643 example number with a valid check digit.
        assert_eq!(classify("11010519491231002X"), Some(Kind::IdNumber));
        assert_eq!(classify("110105194912310021"), None);
        assert_eq!(classify("13800138000"), Some(Kind::Phone));
        assert_eq!(classify("+86 138-0013-8000"), Some(Kind::Phone));
        assert_eq!(classify("12800138000"), None);
        assert_eq!(classify("6222020200112233445"), Some(Kind::BankCard));
        assert_eq!(classify("4111 1111 1111 1111"), Some(Kind::BankCard));
        assert_eq!(classify("4111 1111 1111 1112"), None);
        assert_eq!(classify("+1 555 010 2000"), Some(Kind::Phone));
        assert_eq!(classify("2024-03-02"), None);
    }

    #[test]
    fn finds_inside_text_and_leaves_hashes() {
        let t = "电话13800138000，卡号 6222 0202 0011 2233 445，身份证11010519491231002X。金额50000.00 \
                 hash 3017f766cbe842a1485c1d11be967171a96df760c7bf87d2badbcef72cf9c4c7 两个号 13900139000 13700137000";
        let kinds: Vec<Kind> = find(t).into_iter().map(|(_, k)| k).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Phone,
                Kind::BankCard,
                Kind::IdNumber,
                Kind::Phone,
                Kind::Phone
            ]
        );
        assert!(find("wxid_13800138000 2024-03-02 20:15:03").is_empty());
    }

    #[test]
    fn masks_all_but_suspects_and_logs_hashes() {
        let mut input = ReportInput::default();
        input.conversations.push(crate::model::ConversationView {
            exhibit: 3,
            messages: vec![crate::model::MessageView {
                body: "我的号 13800138000，骗子的号 139-0013-9000，再说一次 13800138000".into(),
                reference: "E3 L1".into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        input.exhibits.push(crate::model::Exhibit {
            number: 3,
            sha256: "aa".into(),
            ..Default::default()
        });
        let policy = Policy::new(&["+86 13900139000".into()]);
        let (sum, log) = redact(&mut input, &policy, &[7; 32]);
        let body = &input.conversations[0].messages[0].body;
        assert_eq!(
            body,
            "我的号 [手机号#1]，骗子的号 139-0013-9000，再说一次 [手机号#1]"
        );
        assert_eq!(sum.masks, 2);
        assert_eq!(sum.originals.len(), 1);
        assert_eq!(log.masked.len(), 1);
        assert_eq!(log.masked[0].places, vec!["E3 L1 body", "E3 L1 body"]);
        let json = serde_json::to_string(&log).unwrap_or_default();
        assert!(!json.contains("13800138000"));
    }
}
