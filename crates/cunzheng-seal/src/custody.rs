//! The custody log: JSON lines, hash-chained and signed one by one.
//!
//! Each line is a [`CustodyEvent`] whose last field is `sig`. The signed bytes are the line
//! with `,"sig":"…"` cut out, so a checker never re-serialises JSON (which could change bytes).
//! `prev` is the SHA-256 of the previous line's exact bytes: reordering, dropping or editing a
//! line breaks the chain at that point.

use crate::hash::sha256_hex;
use crate::keys::{PublicKey, Signer};
use crate::sm2key::{Sm2PublicKey, Sm2Signer};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_model::CustodyEvent;

/// `prev` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const SIG_FIELD: &str = ",\"sig\":\"";
const SM2_FIELD: &str = ",\"sig_sm2\":\"";

/// Fills `seq`, `prev` and `sig` of `event` to follow `prev_line` and returns the line to append
/// (without newline).
pub fn seal_event(event: CustodyEvent, prev: Option<(u64, &str)>, signer: &dyn Signer) -> String {
    seal_event_with(event, prev, signer, None)
}

/// [`seal_event`], also signed with the examiner's SM2 key when given (`key_sm2`, `sig_sm2`):
/// both signatures cover the same bytes.
pub fn seal_event_with(
    mut event: CustodyEvent,
    prev: Option<(u64, &str)>,
    signer: &dyn Signer,
    sm2: Option<&Sm2Signer>,
) -> String {
    let (seq, prev_hash) = match prev {
        Some((seq, line)) => (seq + 1, sha256_hex(line.as_bytes())),
        None => (1, GENESIS.to_owned()),
    };
    event.seq = seq;
    event.prev = prev_hash;
    event.key = signer.public_key().fingerprint();
    event.key_sm2 = sm2.map(|k| k.public_key().fingerprint());
    event.sig_sm2 = None;
    event.sig = String::new();
    // Serialising a struct of strings, integers and a serde_json::Value cannot fail.
    let unsigned = serde_json::to_string(&event).unwrap_or_default();
    let body = signed_part(&unsigned).map_or(unsigned.clone(), |(b, _)| b);
    event.sig_sm2 = sm2.map(|k| B64.encode(k.sign(body.as_bytes())));
    event.sig = B64.encode(signer.sign(body.as_bytes()));
    serde_json::to_string(&event).unwrap_or_default()
}

/// The bytes that were signed: the line with its trailing `,"sig_sm2":"…"` (if any) and
/// `,"sig":"…"` removed; and the SM2 signature text when there is one.
fn signed_part(line: &str) -> Option<(String, Option<&str>)> {
    let pos = line.rfind(SIG_FIELD)?;
    let tail = &line[pos + SIG_FIELD.len()..];
    let b64 = tail.strip_suffix("\"}")?;
    if b64.contains('"') {
        return None;
    }
    let head = &line[..pos];
    // JSON escapes quotes inside strings, so this literal can only be the field itself.
    if let Some(p2) = head.rfind(SM2_FIELD)
        && let Some(sm2) = head[p2 + SM2_FIELD.len()..].strip_suffix('"')
        && !sm2.contains('"')
    {
        return Some((format!("{}}}", &head[..p2]), Some(sm2)));
    }
    Some((format!("{head}}}"), None))
}

/// One problem found in a custody log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogProblem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A custody log as read and checked.
#[derive(Debug, Default)]
pub struct CheckedLog {
    /// Events in file order (only lines that parsed).
    pub events: Vec<CustodyEvent>,
    /// Exact line texts, parallel to the file's lines.
    pub lines: Vec<String>,
    /// Everything wrong, in line order. Empty when the log is intact.
    pub problems: Vec<LogProblem>,
}

/// Reads and checks a whole custody log: JSON shape, sequence numbers, hash chain and every
/// signature, with keys looked up by fingerprint. SM2-signed events are reported as having
/// no SM2 key: use [`check_log_with`].
pub fn check_log(bytes: &[u8], key_for: &dyn Fn(&str) -> Option<PublicKey>) -> CheckedLog {
    check_log_with(bytes, key_for, &|_| None)
}

/// [`check_log`] with SM2 keys: an event that names an SM2 key must carry a valid SM2
/// signature by it; an event without one (made before SM2 signatures) needs only Ed25519.
pub fn check_log_with(
    bytes: &[u8],
    key_for: &dyn Fn(&str) -> Option<PublicKey>,
    sm2_for: &dyn Fn(&str) -> Option<Sm2PublicKey>,
) -> CheckedLog {
    let mut out = CheckedLog::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            out.problems.push(LogProblem {
                line: 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
                message: "not UTF-8".into(),
            });
            return out;
        }
    };
    if !text.is_empty() && !text.ends_with('\n') {
        out.problems.push(LogProblem {
            line: text.lines().count(),
            message: "last line is incomplete (no newline): a write was cut off".into(),
        });
    }
    let mut prev_line: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        out.lines.push(line.to_owned());
        let mut problem = |message: String| out.problems.push(LogProblem { line: n, message });
        let want_prev = prev_line.map_or_else(|| GENESIS.to_owned(), |p| sha256_hex(p.as_bytes()));
        prev_line = Some(line);
        let event: CustodyEvent = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                problem(format!("not a custody event: {e}"));
                continue;
            }
        };
        if event.seq != n as u64 {
            problem(format!(
                "sequence number {} where {} was expected",
                event.seq, n
            ));
        }
        if event.prev != want_prev {
            problem(format!(
                "hash chain broken: prev is {} but the line before hashes to {}",
                event.prev, want_prev
            ));
        }
        match (
            signed_part(line),
            B64.decode(&event.sig),
            key_for(&event.key),
        ) {
            (None, _, _) => problem("signature field is not the last field".into()),
            (_, Err(_), _) => problem("signature is not base64".into()),
            (_, _, None) => problem(format!("signing key {} is not in the bag", event.key)),
            (Some((body, sm2)), Ok(sig), Some(key)) => {
                if key.verify(body.as_bytes(), &sig).is_err() {
                    problem(format!("signature does not verify under {}", event.key));
                }
                match (&event.key_sm2, sm2) {
                    (None, None) => {}
                    (Some(fp), Some(s)) => match (sm2_for(fp), B64.decode(s)) {
                        (None, _) => problem(format!("SM2 key {fp} is not in the bag")),
                        (_, Err(_)) => problem("SM2 signature is not base64".into()),
                        (Some(k), Ok(sig)) => {
                            if k.verify(body.as_bytes(), &sig).is_err() {
                                problem(format!("SM2 signature does not verify under {fp}"));
                            }
                        }
                    },
                    (Some(fp), None) => {
                        problem(format!("names SM2 key {fp} but has no SM2 signature"))
                    }
                    (None, Some(_)) => problem("SM2 signature without key_sm2".into()),
                }
            }
        }
        out.events.push(event);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Ed25519Signer;

    fn event(action: &str) -> CustodyEvent {
        CustodyEvent {
            seq: 0,
            prev: String::new(),
            time_utc: "2026-11-28T10:00:00Z".into(),
            local_offset: "+08:00".into(),
            actor: "张警官".into(),
            key: String::new(),
            key_sm2: None,
            action: action.into(),
            tool: "cunzheng test".into(),
            host: "lab".into(),
            inputs: vec![],
            outputs: vec![],
            details: serde_json::json!({"note": "引号\"与换行\n"}),
            sig_sm2: None,
            sig: String::new(),
        }
    }

    fn build(signer: &Ed25519Signer, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for i in 0..n {
            let prev = lines.last().map(|l| (i as u64, l.as_str()));
            lines.push(seal_event(event(&format!("a{i}")), prev, signer));
        }
        lines
    }

    #[test]
    fn intact_log_checks_and_tampering_is_located() {
        let s = Ed25519Signer::dangerous_from_seed([7; 32]);
        let pk = s.public_key();
        let fp = pk.fingerprint();
        let keys = move |f: &str| (f == fp).then_some(pk);
        let lines = build(&s, 4);
        let text = lines.join("\n") + "\n";
        let ok = check_log(text.as_bytes(), &keys);
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
        assert_eq!(ok.events.len(), 4);

        // Edit one field of line 2: its signature and line 3's chain fail.
        let edited = text.replacen("\"action\":\"a1\"", "\"action\":\"aX\"", 1);
        let bad = check_log(edited.as_bytes(), &keys);
        let bad_lines: Vec<usize> = bad.problems.iter().map(|p| p.line).collect();
        assert_eq!(bad_lines, vec![2, 3]);

        // Swap lines 2 and 3.
        let swapped = [&lines[0], &lines[2], &lines[1], &lines[3]]
            .map(|s| s.as_str())
            .join("\n")
            + "\n";
        let bad = check_log(swapped.as_bytes(), &keys);
        assert!(
            bad.problems
                .iter()
                .any(|p| p.line == 2 && p.message.contains("sequence"))
        );

        // A key that is not in the bag.
        let other = Ed25519Signer::dangerous_from_seed([8; 32]);
        let foreign = build(&other, 1).join("\n") + "\n";
        let bad = check_log(foreign.as_bytes(), &keys);
        assert!(bad.problems[0].message.contains("not in the bag"));

        // A cut-off write.
        let bad = check_log(&text.as_bytes()[..text.len() - 10], &keys);
        assert!(
            bad.problems
                .iter()
                .any(|p| p.message.contains("incomplete"))
        );
    }

    #[test]
    fn sm2_signed_events_and_old_events_mix() {
        use crate::sm2key::Sm2Signer;
        let s = Ed25519Signer::dangerous_from_seed([7; 32]);
        let sm2 = Sm2Signer::dangerous_from_bytes(&[9; 32]).expect("sm2");
        let (pk, spk) = (s.public_key(), sm2.public_key());
        let (fp, sfp) = (pk.fingerprint(), spk.fingerprint());
        let keys = move |f: &str| (f == fp).then_some(pk);
        let sm2_keys = move |f: &str| (f == sfp).then_some(spk);
        // An old (Ed25519-only) line, then SM2-signed ones.
        let mut lines = vec![seal_event(event("old"), None, &s)];
        for i in 0..2 {
            let prev = lines.last().map(|l| (lines.len() as u64, l.as_str()));
            lines.push(seal_event_with(
                event(&format!("n{i}")),
                prev,
                &s,
                Some(&sm2),
            ));
        }
        assert!(lines[1].contains("\"key_sm2\":\"sm2:") && lines[1].contains("\"sig_sm2\":\""));
        let text = lines.join("\n") + "\n";
        let ok = check_log_with(text.as_bytes(), &keys, &sm2_keys);
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
        // Without the SM2 key in the bag, the SM2 lines are named.
        let no = check_log(text.as_bytes(), &keys);
        assert_eq!(
            no.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![2, 3]
        );
        // Stripping the SM2 signature (keeping key_sm2) is caught even with a valid Ed25519 sig.
        let v: serde_json::Value = serde_json::from_str(&lines[2]).expect("json");
        let sm2_sig = v["sig_sm2"].as_str().expect("sig_sm2").to_owned();
        let stripped = text.replace(&format!(",\"sig_sm2\":\"{sm2_sig}\""), "");
        let bad = check_log_with(stripped.as_bytes(), &keys, &sm2_keys);
        assert!(
            bad.problems.iter().any(|p| p.line == 3),
            "{:?}",
            bad.problems
        );
        // A forged SM2 signature is named as such.
        let forged = text.replace(&sm2_sig, &B64.encode(sm2.sign(b"other")));
        let bad = check_log_with(forged.as_bytes(), &keys, &sm2_keys);
        assert!(
            bad.problems
                .iter()
                .any(|p| p.line == 3 && p.message.contains("SM2 signature does not verify"))
        );
    }
}
