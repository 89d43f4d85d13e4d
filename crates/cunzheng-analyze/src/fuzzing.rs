//! Entry points for the fuzz targets in `fuzz/`.

use crate::entity::{self, Kind};

/// Extracts entities from arbitrary bytes (lossily decoded) and checks what must always hold:
/// spans lie on char boundaries inside the text and hold the text reported, amounts parse
/// back as decimals, and running twice gives the same result.
pub fn extract(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let found = entity::extract(&text);
    for e in &found {
        assert!(
            e.start <= e.end && e.end <= text.len(),
            "span out of range: {e:?}"
        );
        assert_eq!(
            text.get(e.start..e.end),
            Some(e.text.as_str()),
            "span/text mismatch: {e:?}"
        );
        if e.kind == Kind::Amount {
            assert!(
                crate::Decimal::parse(&e.value).is_some(),
                "amount value: {e:?}"
            );
        }
    }
    assert_eq!(found, entity::extract(&text), "not deterministic");
}

#[cfg(test)]
mod regressions {
    #[test]
    fn fuzz_regressions_replay() {
        cunzheng_testkit::replay_all(&[("entities", super::extract)]);
    }
}
