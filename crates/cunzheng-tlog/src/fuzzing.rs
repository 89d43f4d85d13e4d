//! Entry points for the fuzz targets in `fuzz/`: arbitrary bytes must never panic, and what
//! parses writes back byte for byte.

use crate::checkpoint::Checkpoint;
use crate::note::{Note, NoteSigner, TYPE_COSIGNATURE, TYPE_ED25519, Verifier};

/// Signed-note and checkpoint parsing: exact round trip, and signature checks against fixed
/// keys (a plain Ed25519 and a cosignature key) only ever return errors.
pub fn checkpoint_note(data: &[u8]) {
    if let Ok(note) = Note::parse(data) {
        assert_eq!(note.to_text().as_bytes(), data, "note round trip");
        if let Ok(cp) = Checkpoint::parse_text(&note.text) {
            assert_eq!(cp.to_text(), note.text, "checkpoint round trip");
        }
        for (kind, seed) in [(TYPE_ED25519, 1u8), (TYPE_COSIGNATURE, 2)] {
            for sig in &note.signatures {
                if let Ok(s) = NoteSigner::new(
                    &sig.name,
                    kind,
                    ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
                ) {
                    let _ = note.verify(s.verifier());
                }
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(v) = Verifier::parse(s) {
            assert_eq!(Verifier::parse(&v.to_vkey()).ok(), Some(v));
        }
        if let Ok(cp) = Checkpoint::parse_text(s) {
            assert_eq!(cp.to_text(), s);
        }
    }
    #[cfg(feature = "server")]
    let _ = crate::witness::parse_push(data);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::checkpoint::Checkpoint;

    /// Seeds and byte-level mutations of a real signed checkpoint with a cosignature: a
    /// deterministic stand-in for the fuzzer that runs in every `cargo test`.
    #[test]
    fn mutations_of_a_real_checkpoint_never_panic() {
        let log = NoteSigner::new(
            "o.example/log",
            TYPE_ED25519,
            ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
        )
        .unwrap();
        let w = NoteSigner::new(
            "o.example/w",
            TYPE_COSIGNATURE,
            ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap();
        let mut signed = Checkpoint {
            origin: "o.example/log".into(),
            size: 12345,
            root: [7; 32],
            extensions: vec![],
        }
        .sign(&log);
        signed
            .note
            .signatures
            .push(w.sign(&signed.note.text, 1_700_000_000));
        let seed = signed.to_text().into_bytes();
        checkpoint_note(&seed);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut m = seed.clone();
            for _ in 0..(rand() % 4 + 1) {
                let at = (rand() as usize) % m.len();
                match rand() % 4 {
                    0 => m[at] = rand() as u8,
                    1 => {
                        m.remove(at);
                    }
                    2 => m.insert(at, b"\n+ \x00=\xe2"[(rand() % 6) as usize]),
                    _ => m.truncate(at),
                }
                if m.is_empty() {
                    break;
                }
            }
            checkpoint_note(&m);
        }
    }
}

#[cfg(test)]
mod regressions {
    #[test]
    fn fuzz_regressions_replay() {
        cunzheng_testkit::replay_all(&[("checkpoint_note", super::checkpoint_note)]);
    }
}
