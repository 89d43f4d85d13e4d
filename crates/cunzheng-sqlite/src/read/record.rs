//! Records: a varint header of serial types followed by the column values.

use crate::error::{Error, Location, Result};
use crate::read::header::TextEncoding;
use crate::reader::varint;

/// Content size in bytes of a serial type; `None` for the reserved types 10 and 11.
pub fn serial_size(st: u64) -> Option<u64> {
    Some(match st {
        0 | 8 | 9 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        n => (n - 12) / 2,
    })
}

/// What a serial type stores, for matching against column affinities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageClass {
    /// NULL.
    Null,
    /// An integer (including the constants 0 and 1).
    Integer,
    /// An IEEE 754 double.
    Real,
    /// Text in the database encoding.
    Text,
    /// Bytes.
    Blob,
}

/// The storage class of a serial type (reserved types read as blobs, which never fit well).
pub fn storage_class(st: u64) -> StorageClass {
    match st {
        0 => StorageClass::Null,
        1..=6 | 8 | 9 => StorageClass::Integer,
        7 => StorageClass::Real,
        n if n >= 12 && n % 2 == 1 => StorageClass::Text,
        _ => StorageClass::Blob,
    }
}

/// A column value as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// Text (decoded from the database encoding).
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The JSON form: numbers, strings, null; blobs as lowercase hex; non-finite reals as strings.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Real(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => serde_json::Value::Number(n),
                None => serde_json::Value::String(f.to_string()),
            },
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::Blob(b) => serde_json::Value::String(hex::encode(b)),
        }
    }
}

/// A parsed record header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeader {
    /// Header length in bytes, including its own varint.
    pub header_len: usize,
    /// One serial type per column.
    pub types: Vec<u64>,
    /// Sum of the content sizes.
    pub body_len: u64,
}

/// Parses a record header at the start of `b`, accepting at most `max_cols` columns.
/// `None` when it is not a well-formed header (bad lengths, reserved types, too many columns).
pub fn parse_header(b: &[u8], max_cols: usize) -> Option<RecordHeader> {
    let (hl, n) = varint(b)?;
    let header_len = usize::try_from(hl).ok()?;
    // A header holds at most 9 bytes per column plus its own length.
    if header_len <= n || header_len > n + max_cols.saturating_mul(9) {
        return None;
    }
    let mut pos = n;
    let mut types = Vec::new();
    let mut body_len: u64 = 0;
    while pos < header_len {
        let (st, len) = varint(b.get(pos..header_len)?)?;
        body_len = body_len.checked_add(serial_size(st)?)?;
        types.push(st);
        if types.len() > max_cols {
            return None;
        }
        pos += len;
    }
    (pos == header_len).then_some(RecordHeader {
        header_len,
        types,
        body_len,
    })
}

/// Parses `count` serial types starting at `b` (a header whose length varint was lost).
/// Returns the types, bytes used and body length.
pub fn parse_types(b: &[u8], count: usize) -> Option<(Vec<u64>, usize, u64)> {
    let mut pos = 0;
    let mut types = Vec::with_capacity(count.min(crate::format::MAX_COLUMNS));
    let mut body: u64 = 0;
    for _ in 0..count {
        let (st, len) = varint(b.get(pos..)?)?;
        body = body.checked_add(serial_size(st)?)?;
        types.push(st);
        pos += len;
    }
    Some((types, pos, body))
}

/// Decodes one value of serial type `st` from exactly its content bytes.
/// `strict_text`: text must be valid in `enc` (carving) or is decoded lossily (live rows).
pub fn decode_value(st: u64, b: &[u8], enc: TextEncoding, strict_text: bool) -> Option<Value> {
    if serial_size(st)? != b.len() as u64 {
        return None;
    }
    let int = |b: &[u8]| -> i64 {
        // Sign-extend a big-endian two's-complement integer of 1..=8 bytes.
        let mut v: i64 = if b.first().is_some_and(|x| x & 0x80 != 0) {
            -1
        } else {
            0
        };
        for &x in b {
            v = (v << 8) | i64::from(x);
        }
        v
    };
    Some(match st {
        0 => Value::Null,
        8 => Value::Integer(0),
        9 => Value::Integer(1),
        1..=6 => Value::Integer(int(b)),
        7 => {
            let a: [u8; 8] = b.try_into().ok()?;
            Value::Real(f64::from_be_bytes(a))
        }
        n if n % 2 == 1 => {
            if strict_text {
                Value::Text(enc.decode(b)?)
            } else {
                Value::Text(enc.decode_lossy(b))
            }
        }
        _ => Value::Blob(b.to_vec()),
    })
}

/// Decodes a whole record (header and all values) from a complete payload.
pub fn decode_record(
    payload: &[u8],
    enc: TextEncoding,
    max_cols: usize,
    at: Location,
) -> Result<Vec<Value>> {
    let bad = |detail: &str| Error::Corrupt {
        what: "record",
        at,
        detail: detail.to_owned(),
    };
    let h = parse_header(payload, max_cols).ok_or_else(|| bad("bad record header"))?;
    let mut pos = h.header_len;
    let mut out = Vec::with_capacity(h.types.len());
    for &st in &h.types {
        let size = serial_size(st).ok_or_else(|| bad("reserved serial type"))? as usize;
        let bytes = payload
            .get(pos..pos.saturating_add(size))
            .ok_or_else(|| bad("record body shorter than its header says"))?;
        out.push(decode_value(st, bytes, enc, false).ok_or_else(|| bad("bad value"))?);
        pos += size;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_values() {
        // header_len 4: NULL, int8, text of 2 bytes; then 0x7f, "hi".
        let rec = [4u8, 0, 1, 17, 0x7f, b'h', b'i'];
        let h = parse_header(&rec, 10).expect("header");
        assert_eq!(h.types, vec![0, 1, 17]);
        assert_eq!(h.body_len, 3);
        let v = decode_record(&rec, TextEncoding::Utf8, 10, Location::File { offset: 0 })
            .expect("record");
        assert_eq!(
            v,
            vec![Value::Null, Value::Integer(127), Value::Text("hi".into())]
        );
        assert_eq!(
            decode_value(3, &[0xff, 0xff, 0xfe], TextEncoding::Utf8, true),
            Some(Value::Integer(-2))
        );
        assert!(parse_header(&[4, 10, 1, 1], 10).is_none(), "reserved type");
        assert!(parse_header(&[1], 10).is_none(), "empty header");
    }
}
