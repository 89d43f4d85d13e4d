//! The seal statement: the short text an examiner signs for each seal version.
//!
//! Plain `key: value` lines, so a person can read it and `openssl pkeyutl` can check its
//! signature (`statement.sig`, raw 64-byte Ed25519) without cunzheng.

use std::fmt::Write as _;

const HEADER: &str = "cunzheng seal statement v1";
/// v2 = v1 plus `key-sm2:` after `key:`, for seals also signed with SM2 (`statement.sm2.sig`).
const HEADER_V2: &str = "cunzheng seal statement v2";

/// What one seal version asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealStatement {
    /// Case identifier.
    pub case_id: String,
    /// Seal version, from 1.
    pub version: u32,
    /// When the seal was made, RFC 3339 UTC.
    pub sealed_at: String,
    /// The examiner's local UTC offset then.
    pub local_offset: String,
    /// The examiner's name.
    pub examiner: String,
    /// Fingerprint of the signing key.
    pub key: String,
    /// Fingerprint of the examiner's SM2 key, when the seal is also SM2-signed (v2).
    pub key_sm2: Option<String>,
    /// Tool name and version.
    pub tool: String,
    /// BagIt Payload-Oxum of the payload sealed.
    pub payload_oxum: String,
    /// Number of leaves (payload files) in the Merkle tree.
    pub tree_size: u64,
    /// RFC 9162 root over the lines of `manifest-sha256.txt`, hex.
    pub merkle_root: String,
    /// SHA-256 of this version's `manifest-sha256.txt`.
    pub manifest_sha256: String,
    /// SM3 of this version's `manifest-sm3.txt`.
    pub manifest_sm3: String,
    /// Number of custody log lines that came before this seal's own event.
    pub custody_head_seq: u64,
    /// SHA-256 of the last of those lines (64 zeros when there are none).
    pub custody_head_sha256: String,
    /// SHA-256 of the previous version's `statement.txt`, if any.
    pub previous_statement: Option<String>,
}

/// A statement's text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seal statement line {line}: {message}")]
pub struct StatementError {
    /// 1-based line number (0 for the whole text).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

const KEYS: [&str; 15] = [
    "case-id",
    "seal-version",
    "sealed-at",
    "local-offset",
    "examiner",
    "key",
    "tool",
    "payload-oxum",
    "merkle-tree-size",
    "merkle-root",
    "manifest-sha256.txt-sha256",
    "manifest-sm3.txt-sm3",
    "custody-head-seq",
    "custody-head-sha256",
    "previous-statement-sha256",
];

impl SealStatement {
    /// The text that is signed: v1, or v2 when there is an SM2 key.
    pub fn to_text(&self) -> String {
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        let values = [
            one_line(&self.case_id),
            self.version.to_string(),
            self.sealed_at.clone(),
            self.local_offset.clone(),
            one_line(&self.examiner),
            self.key.clone(),
            one_line(&self.tool),
            self.payload_oxum.clone(),
            self.tree_size.to_string(),
            self.merkle_root.clone(),
            self.manifest_sha256.clone(),
            self.manifest_sm3.clone(),
            self.custody_head_seq.to_string(),
            self.custody_head_sha256.clone(),
            self.previous_statement
                .clone()
                .unwrap_or_else(|| "none".into()),
        ];
        let mut out = format!(
            "{}\n",
            if self.key_sm2.is_some() {
                HEADER_V2
            } else {
                HEADER
            }
        );
        for (k, v) in KEYS.iter().zip(values) {
            let _ = writeln!(out, "{k}: {v}");
            if *k == "key"
                && let Some(sm2) = &self.key_sm2
            {
                let _ = writeln!(out, "key-sm2: {}", sm2.replace(['\r', '\n'], " "));
            }
        }
        out
    }

    /// Reads a statement; every key must appear once, in order, and nothing else.
    pub fn parse(bytes: &[u8]) -> Result<Self, StatementError> {
        let err = |line, message: &str| StatementError {
            line,
            message: message.to_owned(),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| err(0, "not UTF-8"))?;
        // Statements are written with LF only; a CR would be silently dropped by `lines()` and
        // the signed bytes would no longer be what a reader sees.
        if let Some(pos) = text.find('\r') {
            return Err(err(
                1 + text[..pos].matches('\n').count(),
                "carriage return in statement",
            ));
        }
        let mut lines = text.lines();
        let v2 = match lines.next() {
            Some(HEADER) => false,
            Some(HEADER_V2) => true,
            _ => {
                return Err(err(
                    1,
                    "missing header `cunzheng seal statement v1` (or v2)",
                ));
            }
        };
        let mut values: Vec<String> = Vec::with_capacity(KEYS.len());
        let mut key_sm2 = None;
        let mut n = 1;
        let mut next_kv = |key: &str| {
            n += 1;
            let line = lines.next().ok_or_else(|| err(n, "statement ends early"))?;
            let (k, v) = line
                .split_once(": ")
                .ok_or_else(|| err(n, "expected `key: value`"))?;
            if k != key {
                return Err(err(n, &format!("expected key `{key}`, found `{k}`")));
            }
            Ok(v.to_owned())
        };
        for key in KEYS {
            values.push(next_kv(key)?);
            if v2 && key == "key" {
                key_sm2 = Some(next_kv("key-sm2")?);
            }
        }
        if lines.next().is_some() {
            return Err(err(n + 1, "unexpected text after the statement"));
        }
        // Line numbers of values after `key-sm2` are one further down in v2.
        let shift = usize::from(v2);
        let line_of = |i: usize| if i > 5 { i + 2 + shift } else { i + 2 };
        let num = |i: usize| {
            values[i]
                .parse::<u64>()
                .map_err(|_| err(line_of(i), "not a number"))
        };
        let hex64 = |i: usize| {
            let v = &values[i];
            if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(v.clone())
            } else {
                Err(err(line_of(i), "not a 256-bit hex value"))
            }
        };
        Ok(Self {
            case_id: values[0].clone(),
            version: u32::try_from(num(1)?).map_err(|_| err(3, "version too large"))?,
            sealed_at: values[2].clone(),
            local_offset: values[3].clone(),
            examiner: values[4].clone(),
            key: values[5].clone(),
            key_sm2,
            tool: values[6].clone(),
            payload_oxum: values[7].clone(),
            tree_size: num(8)?,
            merkle_root: hex64(9)?,
            manifest_sha256: hex64(10)?,
            manifest_sm3: hex64(11)?,
            custody_head_seq: num(12)?,
            custody_head_sha256: hex64(13)?,
            previous_statement: if values[14] == "none" {
                None
            } else {
                Some(hex64(14)?)
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let s = SealStatement {
            case_id: "案件-2026-001".into(),
            version: 2,
            sealed_at: "2026-11-28T10:00:00Z".into(),
            local_offset: "+08:00".into(),
            examiner: "李律师".into(),
            key: "ed25519:00".into(),
            key_sm2: None,
            tool: "cunzheng 0.1.0".into(),
            payload_oxum: "100.3".into(),
            tree_size: 3,
            merkle_root: "a".repeat(64),
            manifest_sha256: "b".repeat(64),
            manifest_sm3: "c".repeat(64),
            custody_head_seq: 5,
            custody_head_sha256: "d".repeat(64),
            previous_statement: Some("e".repeat(64)),
        };
        let text = s.to_text();
        assert_eq!(SealStatement::parse(text.as_bytes()).expect("parses"), s);
        let extra = format!("{text}injected: 1\n");
        assert_eq!(
            SealStatement::parse(extra.as_bytes())
                .expect_err("extra")
                .line,
            17
        );
        let bad = text.replace(&"a".repeat(64), "xyz");
        assert_eq!(
            SealStatement::parse(bad.as_bytes())
                .expect_err("bad root")
                .line,
            11
        );
        assert!(SealStatement::parse(b"").is_err());

        // v2 carries the SM2 key after `key:`; line numbers after it shift by one.
        let v2 = SealStatement {
            key_sm2: Some("sm2:ab".into()),
            ..s.clone()
        };
        let text = v2.to_text();
        assert!(text.starts_with("cunzheng seal statement v2\n"));
        assert!(text.contains("key: ed25519:00\nkey-sm2: sm2:ab\ntool:"));
        assert_eq!(SealStatement::parse(text.as_bytes()).expect("v2"), v2);
        let bad = text.replace(&"a".repeat(64), "xyz");
        assert_eq!(
            SealStatement::parse(bad.as_bytes()).expect_err("root").line,
            12
        );
        // A v1 header with a key-sm2 line, or v2 without one, is refused.
        assert!(SealStatement::parse(text.replacen("v2", "v1", 1).as_bytes()).is_err());
        assert!(SealStatement::parse(s.to_text().replacen("v1", "v2", 1).as_bytes()).is_err());
    }

    #[test]
    fn fuzz_regression_carriage_return_in_a_value() {
        // Found by the seal_statement fuzz target: a CR inside a value did not round-trip.
        let s = SealStatement {
            case_id: "C".into(),
            version: 1,
            sealed_at: "t".into(),
            local_offset: "+00:00".into(),
            examiner: "e".into(),
            key: "k".into(),
            key_sm2: None,
            tool: "cunzheng".into(),
            payload_oxum: "0.0".into(),
            tree_size: 0,
            merkle_root: "a".repeat(64),
            manifest_sha256: "b".repeat(64),
            manifest_sm3: "c".repeat(64),
            custody_head_seq: 0,
            custody_head_sha256: "d".repeat(64),
            previous_statement: None,
        };
        let text = s.to_text().replace("case-id: C", "case-id: C\rx");
        assert_eq!(
            SealStatement::parse(text.as_bytes()).expect_err("CR").line,
            2
        );
        let trailing = s.to_text().replace("\n", "\r\n");
        assert!(SealStatement::parse(trailing.as_bytes()).is_err());
    }
}
