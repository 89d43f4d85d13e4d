//! Issuing bank of a card number from its BIN (issuer identification) prefix, by the shipped
//! table in `data/` (hexindai/bcbc, MIT; see `data/NOTE.md`).

use std::collections::HashMap;
use std::sync::LazyLock;

const BINS: &str = include_str!("../data/bank-bin.csv");
const NAMES: &str = include_str!("../data/bank-name.csv");

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinInfo {
    /// The prefix matched.
    pub bin: &'static str,
    /// Bank code (`ICBC`).
    pub code: &'static str,
    /// Bank name (`中国工商银行`), or the code when the name table lacks it.
    pub name: &'static str,
    /// `DC` debit, `CC` credit, `SCC` semi-credit.
    pub card_type: &'static str,
    /// Card length the table gives for this prefix.
    pub length: usize,
}

struct Table {
    by_bin: HashMap<&'static str, Vec<BinInfo>>,
    max_len: usize,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let names: HashMap<&str, &str> = NAMES
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .collect();
    let mut by_bin: HashMap<&'static str, Vec<BinInfo>> = HashMap::new();
    let mut max_len = 0;
    for line in BINS.lines().skip(1) {
        let mut f = line.split(',');
        let (Some(bin), Some(code), Some(card_type), Some(len)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let Ok(length) = len.trim().parse() else {
            continue;
        };
        max_len = max_len.max(bin.len());
        by_bin.entry(bin).or_default().push(BinInfo {
            bin,
            code,
            name: names.get(code).copied().unwrap_or(code),
            card_type,
            length,
        });
    }
    Table { by_bin, max_len }
});

/// The longest table prefix of `digits`, preferring a row whose card length matches.
pub fn lookup(digits: &str) -> Option<BinInfo> {
    let t = &*TABLE;
    for len in (1..=t.max_len.min(digits.len())).rev() {
        if let Some(rows) = digits.get(..len).and_then(|p| t.by_bin.get(p)) {
            return rows
                .iter()
                .find(|r| r.length == digits.len())
                .or_else(|| rows.first())
                .cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prefixes() {
        let icbc = lookup("6222020200112233445").map(|b| b.name);
        assert_eq!(icbc, Some("中国工商银行"));
        assert_eq!(lookup("6217001234567890123").map(|b| b.code), Some("CCB"));
        // Longest prefix wins: 621056801… is a COMM row, 621056 alone is not in the table.
        assert_eq!(lookup("6210568011234567890").map(|b| b.code), Some("COMM"));
        // Duplicate prefix: the row with the matching length.
        assert_eq!(lookup("6212601234567890").map(|b| b.code), Some("SPABANK"));
        assert_eq!(lookup("6212601234567890123").map(|b| b.code), Some("CSRCB"));
        assert_eq!(lookup("1111111111111111"), None);
    }
}
