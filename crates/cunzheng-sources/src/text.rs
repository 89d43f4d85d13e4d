//! Decoding text exports whose encoding nobody wrote down.

use std::borrow::Cow;

/// Decodes bytes of unknown encoding: a BOM decides (UTF-8, UTF-16LE/BE); else valid UTF-8 is
/// UTF-8; else NUL bytes in alternate positions mean UTF-16 without BOM; else GB18030 (a
/// superset of GBK and GB2312, what Chinese Windows apps write). Returns the text and the
/// encoding's name.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (text, enc.name());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), "UTF-8");
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let half = sample.len() / 2;
    if half > 0 && odd_nul * 4 > half {
        let (t, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return (t, "UTF-16LE");
    }
    if half > 0 && even_nul * 4 > half {
        let (t, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return (t, "UTF-16BE");
    }
    let (t, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    (t, "GB18030")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(
            decode("消息记录".as_bytes()),
            (Cow::Borrowed("消息记录"), "UTF-8")
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("消息记录 QQ");
        assert_eq!(decode(&gbk).0, "消息记录 QQ");
        assert_eq!(decode(&gbk).1, "GB18030");
        let mut le = vec![0xff, 0xfe];
        le.extend("聊天".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&le), (Cow::Owned("聊天".into()), "UTF-16LE"));
        let no_bom: Vec<u8> = "chat log 聊天"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode(&no_bom).0, "chat log 聊天");
    }
}
