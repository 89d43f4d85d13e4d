//! Check-digit and format validators. Each takes the candidate as written (already stripped of
//! separators) and says whether it is what it looks like.

use sha3::{Digest, Keccak256};

/// Luhn (ISO/IEC 7812-1 annex B) over ASCII digits.
pub fn luhn(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Province-level codes (first two digits) of GB/T 2260 used in resident ID numbers, plus 83
/// (residence permits of Taiwan residents).
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// Why a string of the ID's shape is not a valid resident ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdProblem {
    /// Not 17 digits and a digit or X.
    Shape,
    /// The first two digits are no province.
    Region,
    /// Digits 7–14 are not a real date between 1900 and 2099.
    Date,
    /// The check digit (GB 11643 ISO 7064 MOD 11-2) differs.
    Checksum,
}

/// Validates an 18-character resident identity number (GB 11643-1999).
pub fn resident_id(id: &str) -> Result<(), IdProblem> {
    let b = id.as_bytes();
    if b.len() != 18
        || !b[..17].iter().all(u8::is_ascii_digit)
        || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
    {
        return Err(IdProblem::Shape);
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter().fold(0, |a, &d| a * 10 + u32::from(d - b'0'))
    };
    let province = num(0..2) as u8;
    if !PROVINCES.contains(&province) {
        return Err(IdProblem::Region);
    }
    let (y, m, d) = (num(6..10), num(10..12), num(12..14));
    if !(1900..=2099).contains(&y) || jiff::civil::Date::new(y as i16, m as i8, d as i8).is_err() {
        return Err(IdProblem::Date);
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    let expect = b"10X98765432"[(s % 11) as usize];
    if b[17].to_ascii_uppercase() != expect {
        return Err(IdProblem::Checksum);
    }
    Ok(())
}

/// The check character a 17-digit ID body needs (for generating test cases).
pub fn resident_id_check(body17: &str) -> Option<char> {
    let b = body17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = b.iter().zip(W).map(|(&c, w)| u32::from(c - b'0') * w).sum();
    Some(b"10X98765432"[(s % 11) as usize] as char)
}

/// Base58check payload (version byte first) of `s`, when the checksum holds.
pub fn base58check(s: &str) -> Option<Vec<u8>> {
    bs58::decode(s).with_check(None).into_vec().ok()
}

/// Bitcoin base58 address: version 0x00 (P2PKH) or 0x05 (P2SH), 20-byte hash.
pub fn btc_base58(s: &str) -> bool {
    matches!(base58check(s), Some(p) if p.len() == 21 && (p[0] == 0x00 || p[0] == 0x05))
}

/// Bitcoin mainnet segwit address (bech32 for v0, bech32m for v1+), per BIP 173/350.
pub fn btc_segwit(s: &str) -> bool {
    match bech32::segwit::decode(s) {
        Ok((hrp, _, _)) => hrp == bech32::hrp::BC,
        Err(_) => false,
    }
}

/// TRON address: base58check, version 0x41, 20-byte hash.
pub fn tron(s: &str) -> bool {
    matches!(base58check(s), Some(p) if p.len() == 21 && p[0] == 0x41)
}

/// How an Ethereum address checks out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EthCheck {
    /// Mixed case matching EIP-55.
    Checksum,
    /// All one case: nothing to check.
    NoChecksum,
    /// Mixed case not matching EIP-55: a typo or not an address.
    Bad,
}

/// Checks `0x` + 40 hex digits against EIP-55.
pub fn eth(addr: &str) -> EthCheck {
    let Some(hex_part) = addr.strip_prefix("0x").or_else(|| addr.strip_prefix("0X")) else {
        return EthCheck::Bad;
    };
    if hex_part.len() != 40 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return EthCheck::Bad;
    }
    let has_upper = hex_part.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = hex_part.bytes().any(|b| b.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return EthCheck::NoChecksum;
    }
    let lower = hex_part.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    for (i, c) in hex_part.bytes().enumerate() {
        if c.is_ascii_digit() {
            continue;
        }
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
        if (nibble >= 8) != c.is_ascii_uppercase() {
            return EthCheck::Bad;
        }
    }
    EthCheck::Checksum
}

/// The EIP-55 form of a lower-case address (for generating test cases).
pub fn eth_checksummed(addr40_lower: &str) -> String {
    let hash = Keccak256::digest(addr40_lower.as_bytes());
    let mut out = String::from("0x");
    for (i, c) in addr40_lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("79927398713"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn(""));
    }

    #[test]
    fn resident_ids() {
        // The worked example of GB 11643-1999.
        assert_eq!(resident_id("11010519491231002X"), Ok(()));
        assert_eq!(resident_id("11010519491231002x"), Ok(()));
        assert_eq!(resident_id("110105194912310021"), Err(IdProblem::Checksum));
        assert_eq!(resident_id("990105194912310021"), Err(IdProblem::Region));
        assert_eq!(resident_id("110105194902300021"), Err(IdProblem::Date));
        assert_eq!(resident_id("1101051949123100"), Err(IdProblem::Shape));
        assert_eq!(resident_id_check("11010519491231002"), Some('X'));
    }

    #[test]
    fn crypto_known() {
        // The genesis block address and a BIP-13 style P2SH address.
        assert!(btc_base58("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(btc_base58("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!btc_base58("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
        // BIP-173 and BIP-350 test vectors.
        assert!(btc_segwit("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
        assert!(btc_segwit(
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"
        ));
        assert!(!btc_segwit("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        // EIP-55 test vectors.
        assert_eq!(
            eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            EthCheck::Checksum
        );
        assert_eq!(
            eth("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
            EthCheck::Checksum
        );
        assert_eq!(
            eth("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            EthCheck::NoChecksum
        );
        assert_eq!(
            eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            EthCheck::Bad
        );
        assert_eq!(
            eth_checksummed("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
        // The USDT (TRC-20) contract address on TRON.
        assert!(tron("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"));
        assert!(!tron("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"));
    }
}
