//! BagIt (RFC 8493, version 1.0) text files: `bagit.txt`, manifests, `bag-info.txt`.
//!
//! Only the text formats live here; which files a bag holds is the case crate's business.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The exact content of `bagit.txt` written by cunzheng.
pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// A manifest or tag manifest line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BagTextError {
    /// A line lacks the checksum or the path.
    #[error("line {line}: expected `CHECKSUM PATH`")]
    MissingField {
        /// 1-based line number.
        line: usize,
    },
    /// The checksum is not hex of the algorithm's length.
    #[error("line {line}: `{value}` is not a {bits}-bit hex checksum")]
    BadChecksum {
        /// 1-based line number.
        line: usize,
        /// What was found (cut to 80 characters).
        value: String,
        /// Expected digest size in bits.
        bits: usize,
    },
    /// A path is listed twice.
    #[error("line {line}: `{path}` is listed twice")]
    Duplicate {
        /// 1-based line number.
        line: usize,
        /// The path.
        path: String,
    },
    /// A path is absolute, has `..` or `.` components, or bad percent-encoding.
    #[error("line {line}: unsafe or malformed path `{path}`")]
    BadPath {
        /// 1-based line number.
        line: usize,
        /// The path as written.
        path: String,
    },
    /// A `bag-info.txt` line is neither `Label: value` nor a continuation.
    #[error("line {line}: expected `Label: value`")]
    BadTag {
        /// 1-based line number.
        line: usize,
    },
    /// The file is not UTF-8.
    #[error("not UTF-8 text")]
    NotUtf8,
}

/// A payload or tag manifest: bag-relative path → lowercase hex checksum, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Entries keyed by decoded path.
    pub entries: BTreeMap<String, String>,
}

impl Manifest {
    /// Parses manifest text for a digest of `bits` bits (256 for SHA-256 and SM3).
    pub fn parse(bytes: &[u8], bits: usize) -> Result<Self, BagTextError> {
        let text = std::str::from_utf8(bytes).map_err(|_| BagTextError::NotUtf8)?;
        let mut entries = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let raw = raw.trim_end_matches('\r');
            let (sum, rest) = raw
                .split_once([' ', '\t'])
                .ok_or(BagTextError::MissingField { line })?;
            let path_enc = rest.trim_start_matches([' ', '\t']);
            if path_enc.is_empty() {
                return Err(BagTextError::MissingField { line });
            }
            if sum.len() != bits / 4 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BagTextError::BadChecksum {
                    line,
                    value: sum.chars().take(80).collect(),
                    bits,
                });
            }
            let path = decode_path(path_enc)
                .filter(|p| is_safe_relative(p))
                .ok_or_else(|| BagTextError::BadPath {
                    line,
                    path: path_enc.chars().take(200).collect(),
                })?;
            if entries
                .insert(path.clone(), sum.to_ascii_lowercase())
                .is_some()
            {
                return Err(BagTextError::Duplicate { line, path });
            }
        }
        Ok(Self { entries })
    }

    /// The manifest text: one `CHECKSUM  PATH` line per entry, sorted by path.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (path, sum) in &self.entries {
            let _ = writeln!(out, "{}", entry_line(sum, path));
        }
        out
    }
}

/// One manifest line without its newline. This is also the Merkle leaf data.
pub fn entry_line(checksum: &str, path: &str) -> String {
    format!("{checksum}  {}", encode_path(path))
}

/// Percent-encodes CR, LF and `%` as RFC 8493 §2.1.3 requires (and nothing else).
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`encode_path`]; other `%` sequences are left alone as RFC 8493 allows only those three.
pub fn decode_path(enc: &str) -> Option<String> {
    let mut out = String::with_capacity(enc.len());
    let mut rest = enc;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let code = rest.get(pos..pos + 3)?;
        match code {
            "%25" => out.push('%'),
            "%0A" | "%0a" => out.push('\n'),
            "%0D" | "%0d" => out.push('\r'),
            other => out.push_str(other),
        }
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// A bag-relative path that cannot leave the bag: relative, `/`-separated, no `.`/`..`/empty parts.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// `bag-info.txt`: ordered `Label: value` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BagInfo {
    /// Tags in file order; labels may repeat.
    pub tags: Vec<(String, String)>,
}

impl BagInfo {
    /// Parses `bag-info.txt`, joining continuation lines (leading whitespace) to the tag before.
    pub fn parse(bytes: &[u8]) -> Result<Self, BagTextError> {
        let text = std::str::from_utf8(bytes).map_err(|_| BagTextError::NotUtf8)?;
        let mut tags: Vec<(String, String)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let raw = raw.trim_end_matches('\r');
            if raw.is_empty() {
                continue;
            }
            if raw.starts_with([' ', '\t']) {
                let last = tags
                    .last_mut()
                    .ok_or(BagTextError::BadTag { line: i + 1 })?;
                last.1.push(' ');
                last.1.push_str(raw.trim());
                continue;
            }
            let (label, value) = raw
                .split_once(':')
                .ok_or(BagTextError::BadTag { line: i + 1 })?;
            if label.trim().is_empty() {
                return Err(BagTextError::BadTag { line: i + 1 });
            }
            tags.push((label.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(Self { tags })
    }

    /// The first value of a label.
    pub fn get(&self, label: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(label))
            .map(|(_, v)| v.as_str())
    }

    /// Appends a tag. Newlines in values are folded to spaces (tags are one logical line).
    pub fn push(&mut self, label: &str, value: &str) {
        let value = value.replace(['\r', '\n'], " ");
        self.tags.push((label.to_owned(), value));
    }

    /// The file text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (l, v) in &self.tags {
            let _ = writeln!(out, "{l}: {v}");
        }
        out
    }
}

/// `Payload-Oxum`: total octets and file count of the payload.
pub fn payload_oxum(octets: u64, files: u64) -> String {
    format!("{octets}.{files}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trip_with_encoded_paths() {
        let mut m = Manifest::default();
        m.entries.insert("data/a%b\nc.txt".into(), "ab".repeat(32));
        m.entries.insert("data/聊天.txt".into(), "cd".repeat(32));
        let text = m.to_text();
        assert!(text.contains("data/a%25b%0Ac.txt"));
        assert_eq!(Manifest::parse(text.as_bytes(), 256).expect("parses"), m);
    }

    #[test]
    fn manifest_errors_name_the_line() {
        let good = "ab".repeat(32);
        let cases: Vec<(String, BagTextError)> = vec![
            (
                format!("{good}  data/x\nzz  data/y\n"),
                BagTextError::BadChecksum {
                    line: 2,
                    value: "zz".into(),
                    bits: 256,
                },
            ),
            (format!("{good}\n"), BagTextError::MissingField { line: 1 }),
            (
                format!("{good}  data/x\n{good}  data/x\n"),
                BagTextError::Duplicate {
                    line: 2,
                    path: "data/x".into(),
                },
            ),
            (
                format!("{good}  ../etc/passwd\n"),
                BagTextError::BadPath {
                    line: 1,
                    path: "../etc/passwd".into(),
                },
            ),
            (
                format!("{good}  /etc/passwd\n"),
                BagTextError::BadPath {
                    line: 1,
                    path: "/etc/passwd".into(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Manifest::parse(text.as_bytes(), 256), Err(want), "{text}");
        }
        assert_eq!(
            Manifest::parse(b"\xff\xfe", 256),
            Err(BagTextError::NotUtf8)
        );
    }

    #[test]
    fn bag_info_continuations() {
        let info = BagInfo::parse(
            b"Source-Organization: A\nExternal-Description: one\n  two\nPayload-Oxum: 10.2\n",
        )
        .expect("parses");
        assert_eq!(info.get("external-description"), Some("one two"));
        assert_eq!(info.get("Payload-Oxum"), Some("10.2"));
        assert!(BagInfo::parse(b"no colon here\n").is_err());
    }
}
