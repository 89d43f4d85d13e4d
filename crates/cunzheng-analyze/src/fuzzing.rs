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
    #![allow(clippy::unwrap_used)]

    /// Feeds every file in `fuzz/regressions/<target>/` (inputs `cargo fuzz` once crashed on) to
    /// the fuzz target's entry point `f`, so every `cargo test` replays them without cargo-fuzz.
    fn replay(target: &str, f: fn(&[u8])) -> usize {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions")
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return 0;
        };
        let mut n = 0;
        for e in entries {
            let path = e.unwrap().path();
            println!("replaying {}", path.display());
            f(&std::fs::read(&path).unwrap());
            n += 1;
        }
        n
    }

    #[test]
    fn fuzz_regressions_replay() {
        let mut n = 0;
        n += replay("entities", super::extract);
        println!("replayed {n} inputs");
    }
}
