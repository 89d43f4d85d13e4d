//! Character n-gram features, hashed, with the byte span each n-gram came from.
//!
//! Text is normalised first: lower case, full-width ASCII to ASCII, whitespace runs to one
//! space, and digit runs (and the `xx` runs the Chinese spam corpus masks digits with) to one
//! `0`, so the model learns "a number here" and not the masking of one corpus. Each normalised
//! character keeps the byte span of the original characters it stands for, which is how model
//! reasons point back into the text. N-grams never cross turns.

use crate::input::Input;

/// Shortest n-gram, in characters.
pub const NGRAM_MIN: usize = 1;
/// Longest n-gram, in characters.
pub const NGRAM_MAX: usize = 3;

/// A normalised character and the bytes of the original text it stands for.
#[derive(Debug, Clone, Copy)]
pub struct NChar {
    c: char,
    start: usize,
    end: usize,
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c)
}

/// Normalises `text` into `out` (cleared first).
fn normalise(text: &str, out: &mut Vec<NChar>) {
    out.clear();
    let mut it = text.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        let end = start + c.len_utf8();
        // A run of x/X of two or more is a masked number.
        if c == 'x' || c == 'X' {
            let mut run_end = end;
            let mut n = 1;
            while let Some(&(s, 'x' | 'X')) = it.peek() {
                run_end = s + 1;
                n += 1;
                it.next();
            }
            if n >= 2 {
                push_number(out, start, run_end);
            } else {
                out.push(NChar { c: 'x', start, end });
            }
            continue;
        }
        if is_digit(c) {
            push_number(out, start, end);
            continue;
        }
        // Punctuation separates like a space: one corpus (text_antispam) has almost none in
        // its legitimate rows, so a comma would otherwise count as evidence of spam.
        if c.is_whitespace() || is_separator_punct(c) {
            match out.last_mut() {
                Some(last) if last.c == ' ' => last.end = end,
                _ => out.push(NChar { c: ' ', start, end }),
            }
            continue;
        }
        let c = match c {
            // Full-width ASCII forms (！ to ～) to ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        let mut lower = c.to_lowercase();
        let c = match (lower.next(), lower.next()) {
            (Some(l), None) => l,
            _ => c,
        };
        out.push(NChar { c, start, end });
    }
}

fn is_separator_punct(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | '!'
            | '?'
            | ';'
            | ':'
            | '\''
            | '"'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '-'
            | '_'
            | '~'
            | '`'
            | '*'
            | '|'
            | '^'
            | '<'
            | '>'
    ) || matches!(c, '\u{3000}'..='\u{303F}' | '\u{2010}'..='\u{2027}' | '\u{FE30}'..='\u{FE4F}')
        || matches!(c, '\u{FF01}' | '\u{FF02}' | '\u{FF07}'..='\u{FF0A}' | '\u{FF0C}'..='\u{FF0E}' | '\u{FF1A}'..='\u{FF1F}' | '\u{FF3B}'..='\u{FF3D}' | '\u{FF5B}'..='\u{FF65}')
}

fn push_number(out: &mut Vec<NChar>, start: usize, end: usize) {
    match out.last_mut() {
        Some(last) if last.c == '0' && last.end == start => last.end = end,
        _ => out.push(NChar { c: '0', start, end }),
    }
}

/// FNV-1a over the n-gram's code points, then a final mix. Hand-written: eight lines, fixed
/// forever (the model's buckets depend on it), and no crate promises a frozen output.
fn hash(chars: &[NChar]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ chars.len() as u64;
    for c in chars {
        for b in (c.c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (h ^ (h >> 32)) as u32
}

/// Calls `f(hash, start, end)` for every n-gram of `text` (n from [`NGRAM_MIN`] to
/// [`NGRAM_MAX`]) except those that are only a space. `buf` is scratch space.
pub fn for_each_ngram(text: &str, buf: &mut Scratch, mut f: impl FnMut(u32, usize, usize)) {
    normalise(text, buf);
    for i in 0..buf.len() {
        for n in NGRAM_MIN..=NGRAM_MAX {
            let Some(g) = buf.get(i..i + n) else { break };
            if n == 1 && g[0].c == ' ' {
                continue;
            }
            f(hash(g), g[0].start, g[n - 1].end);
        }
    }
}

/// Scratch buffer for [`for_each_ngram`].
pub type Scratch = Vec<NChar>;

/// A sparse feature vector: (bucket, value) sorted by bucket, L2 norm 1 (or empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// (bucket, value), buckets unique and ascending.
    pub values: Vec<(u32, f32)>,
}

impl Features {
    /// Features of the whole input at `bits` bits: value `1 + ln(count)`, then L2-normalised.
    pub fn extract(input: &Input, bits: u32, scratch: &mut Scratch) -> Features {
        Features::extract_where(input, bits, scratch, |_| true)
    }

    /// [`Features::extract`] over the texts `keep` accepts (by index in [`Input::texts`]).
    pub fn extract_where(
        input: &Input,
        bits: u32,
        scratch: &mut Scratch,
        keep: impl Fn(usize) -> bool,
    ) -> Features {
        let mask = mask(bits);
        // Buckets are gathered in chunks and folded into sorted (bucket, count) runs, so memory
        // stays bounded by the table size however long the input is.
        let mut counts: Vec<(u32, u32)> = Vec::new();
        let mut buckets: Vec<u32> = Vec::new();
        for (ti, (_, text)) in input.texts().into_iter().enumerate() {
            if !keep(ti) {
                continue;
            }
            for_each_ngram(text, scratch, |h, _, _| {
                buckets.push(h & mask);
                if buckets.len() >= CHUNK {
                    fold(&mut counts, &mut buckets);
                }
            });
        }
        fold(&mut counts, &mut buckets);
        let mut values: Vec<(u32, f32)> = counts
            .into_iter()
            .map(|(b, n)| (b, 1.0 + (n as f32).ln()))
            .collect();
        let norm = values.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut values {
                *v /= norm;
            }
        }
        Features { values }
    }
}

/// The writing system of a text, as far as the model is concerned: the model's type rows were
/// trained on Chinese dialogues for some types and on English ones for others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Mostly Chinese characters.
    Han,
    /// Mostly Latin letters (or no letters at all).
    Latin,
}

impl Script {
    /// The name used in the model header.
    pub fn name(self) -> &'static str {
        match self {
            Script::Han => "han",
            Script::Latin => "latin",
        }
    }

    /// The script of `texts`: Han when there is at least one Chinese character per four Latin
    /// letters (a Han character carries about as much as a short Latin word, and Chinese
    /// chats are full of Latin URLs and app names).
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Script {
        let (mut han, mut latin) = (0usize, 0usize);
        for t in texts {
            for c in t.chars() {
                if is_han(c) {
                    han += 1;
                } else if c.is_ascii_alphabetic() {
                    latin += 1;
                }
            }
        }
        if han > 0 && han * 4 >= latin {
            Script::Han
        } else {
            Script::Latin
        }
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Buckets gathered before they are folded into counts.
const CHUNK: usize = 1 << 16;

/// Sorts `buckets` into runs and merges them into `counts` (sorted by bucket); empties `buckets`.
fn fold(counts: &mut Vec<(u32, u32)>, buckets: &mut Vec<u32>) {
    buckets.sort_unstable();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &b in buckets.iter() {
        match runs.last_mut() {
            Some((last, n)) if *last == b => *n += 1,
            _ => runs.push((b, 1)),
        }
    }
    buckets.clear();
    if counts.is_empty() {
        *counts = runs;
        return;
    }
    let old = std::mem::take(counts);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < runs.len() {
        match (old.get(i), runs.get(j)) {
            (Some(&(a, x)), Some(&(b, y))) if a == b => {
                counts.push((a, x.saturating_add(y)));
                i += 1;
                j += 1;
            }
            (Some(&(a, x)), Some(&(b, _))) if a < b => {
                counts.push((a, x));
                i += 1;
            }
            (Some(&o), None) => {
                counts.push(o);
                i += 1;
            }
            (_, Some(&r)) => {
                counts.push(r);
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// The bucket mask for `bits` bits.
pub fn mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn norm(s: &str) -> String {
        let mut b = Vec::new();
        normalise(s, &mut b);
        b.iter().map(|c| c.c).collect()
    }

    #[test]
    fn script_of_mixed_texts() {
        assert_eq!(
            Script::of(["你下载这个APP注册 https://hx-zq.vip/download"]),
            Script::Han
        );
        assert_eq!(
            Script::of(["Your card ending 1234 was charged"]),
            Script::Latin
        );
        assert_eq!(Script::of(["", "123 ✈"]), Script::Latin);
        assert_eq!(Script::of(["ok", "好"]), Script::Han);
    }

    #[test]
    fn normalisation() {
        assert_eq!(norm("Call 0800 123  NOW！"), "call 0 0 now ");
        assert_eq!(norm("加微信xxxx领取，ＡＢＣ１２３"), "加微信0领取 abc0");
        assert_eq!(norm("好的。。。“收到”"), "好的 收到 ");
        assert_eq!(norm("£100 $5 ¥9 www.a.com"), "£0 $0 ¥0 www a com");
        assert_eq!(norm("xx3x"), "0x");
        assert_eq!(norm("taxi box"), "taxi box");
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "转账１２３４５元到ＸＸ安全账户";
        let mut b = Vec::new();
        let mut seen = Vec::new();
        for_each_ngram(text, &mut b, |_, s, e| seen.push(text[s..e].to_string()));
        assert!(seen.contains(&"１２３４５元".to_string()), "{seen:?}");
        assert!(seen.contains(&"安全账".to_string()));
        assert!(seen.contains(&"到ＸＸ".to_string()));
    }

    #[test]
    fn features_are_unit_length_and_deterministic() {
        let input = Input::Text("恭喜您中奖了，请点击链接领取 www.example.vip".into());
        let mut s = Scratch::new();
        let a = Features::extract(&input, 18, &mut s);
        let b = Features::extract(&input, 18, &mut s);
        assert_eq!(a, b);
        let n: f32 = a.values.iter().map(|(_, v)| v * v).sum();
        assert!((n - 1.0).abs() < 1e-4);
        assert!(a.values.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            Features::extract(&Input::Text(String::new()), 18, &mut s)
                .values
                .is_empty()
        );
        // The hash is frozen: the committed model depends on it.
        let mut h = Vec::new();
        for_each_ngram("安全", &mut s, |x, _, _| h.push(x));
        assert_eq!(h, [FROZEN[0], FROZEN[1], FROZEN[2]], "{h:?}");
    }

    const FROZEN: [u32; 3] = [3322924253, 796771014, 1867567852];
}
