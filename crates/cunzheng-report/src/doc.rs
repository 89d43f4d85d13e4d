//! The document both renderers draw: the [`ReportInput`] plus what is computed for reading
//! (labels, verification commands, summary counts, the redaction notice), as one JSON value.
//! The PDF template reads it as a data file, so no case text is ever spliced into markup.

use crate::labels::{Lang, label, labels};
use crate::model::{ReportInput, TimestampStatus};
use crate::redact::RedactionSummary;
use serde_json::{Value, json};

/// One verification step: what it checks and the exact command.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Step {
    /// What the command checks.
    pub what: String,
    /// The command, to run in the case folder.
    pub cmd: String,
}

/// Options that change what the report shows.
#[derive(Clone, Debug, Default)]
pub struct DocOptions {
    /// Language.
    pub lang: Lang,
    /// Redaction applied to the input, if any.
    pub redaction: Option<RedactionSummary>,
}

/// The verification commands for this case, with its real paths.
pub fn steps(input: &ReportInput, lang: Lang) -> Vec<Step> {
    let l = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
    let mut v = vec![
        Step {
            what: l(
                "用 cunzheng 重新计算全部哈希、Merkle 根、保管记录链和签名（结果应为 INTACT）",
                "Recompute every hash, the Merkle root, the custody chain and the signatures with cunzheng (expect INTACT)",
            ),
            cmd: "cunzheng verify .".into(),
        },
        Step {
            what: l(
                "用标准工具核对每个封存文件的 SHA-256（清单即 sha256sum 格式，应全部为 OK）",
                "Check the SHA-256 of every sealed file with a standard tool (the manifests are in sha256sum format; expect OK for every line)",
            ),
            cmd: "sha256sum -c manifest-sha256.txt && sha256sum -c tagmanifest-sha256.txt".into(),
        },
        Step {
            what: l(
                "用 BagIt 校验器（美国国会图书馆 bagit-python）校验整个存证包",
                "Validate the whole package with a BagIt validator (Library of Congress bagit-python)",
            ),
            cmd: "python3 -m pip install bagit && python3 -m bagit --validate .".into(),
        },
    ];
    if let Some(e) = input.exhibits.iter().find(|e| e.duplicate_of.is_none()) {
        v.push(Step {
            what: l(
                &format!(
                    "用 SM3（GB/T 32905）核对证据 {} 的哈希，结果应为 {}",
                    e.number, e.sm3
                ),
                &format!(
                    "Check exhibit {}'s SM3 hash (GB/T 32905); expect {}",
                    e.number, e.sm3
                ),
            ),
            cmd: format!("openssl dgst -sm3 {}", e.stored_as),
        });
    }
    if let Some(s) = &input.case.seal {
        let key_hex = s.key.rsplit(':').next().unwrap_or_default();
        let dir = s
            .statement_path
            .rsplit_once('/')
            .map(|(d, _)| d)
            .unwrap_or_default();
        v.push(Step {
            what: l(
                &format!("核对封存声明的 SHA-256，应为 {}", s.statement_sha256),
                &format!(
                    "Check the seal statement's SHA-256; expect {}",
                    s.statement_sha256
                ),
            ),
            cmd: format!("sha256sum {}", s.statement_path),
        });
        v.push(Step {
            what: l(
                "用 OpenSSL 核验封存声明的 Ed25519 签名（应为 Signature Verified Successfully）",
                "Check the Ed25519 signature of the seal statement with OpenSSL (expect Signature Verified Successfully)",
            ),
            cmd: format!(
                "openssl pkeyutl -verify -pubin -inkey cunzheng/keys/{key_hex}.pem -rawin -in {} -sigfile {dir}/statement.sig",
                s.statement_path
            ),
        });
    }
    match &input.case.timestamp {
        TimestampStatus::Present {
            token_path,
            data_path,
            ..
        }
        | TimestampStatus::Verified {
            token_path,
            data_path,
            ..
        } => v.push(Step {
            what: l(
                "用 OpenSSL 核验时间戳（tsa-ca.pem 为时间戳机构的根证书，应为 Verification: OK）",
                "Check the timestamp with OpenSSL (tsa-ca.pem is the TSA's root certificate; expect Verification: OK)",
            ),
            cmd: format!(
                "openssl ts -verify -queryfile {data_path} -in {token_path} -CAfile {}",
                token_path.strip_suffix(".tsr").map_or_else(|| "tsa-ca.pem".to_owned(), |b| format!("{b}.roots.pem"))
            ),
        }),
        TimestampStatus::None => {}
    }
    if let Some(e) = input.exhibits.first() {
        v.push(Step {
            what: l(
                &format!("为证据 {} 生成 Merkle 包含证明，并用它单独核对一份副本", e.number),
                &format!("Make a Merkle inclusion proof for exhibit {} and check a copy with it alone", e.number),
            ),
            cmd: format!(
                "cunzheng prove . {n} --out e{n}.proof.json && cunzheng verify-proof e{n}.proof.json --file COPY_OF_EXHIBIT",
                n = e.number
            ),
        });
    }
    v
}

/// Compact page ranges: `[3,4,5,9]` → `3–5, 9`.
pub fn page_ranges(pages: &[u64]) -> String {
    let mut p = pages.to_vec();
    p.sort_unstable();
    p.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let start = p[i];
        let mut end = start;
        while i + 1 < p.len() && p[i + 1] == end + 1 {
            i += 1;
            end = p[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    out.join(", ")
}

/// Size in words: `919 B`, `1.2 MiB`.
pub fn size_text(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {} ({n} B)", UNITS[u])
}

/// Summary counts and texts.
pub fn summary(input: &ReportInput, lang: Lang) -> Value {
    let msgs: Vec<_> = input.messages().collect();
    let range = input.time_range().map(|(a, b)| {
        let show = |u: &str| input.local_time_of(u).unwrap_or(u).to_owned();
        format!("{} — {}", show(&a), show(&b))
    });
    json!({
        "time_range": range.unwrap_or_else(|| "—".into()),
        "parties": input.parties().into_iter().take(20)
            .map(|(p, n)| json!({"name": p, "count": n})).collect::<Vec<_>>(),
        "exhibits": input.exhibits.len(),
        "conversations": input.conversations.len(),
        "messages": msgs.len() as u64 + input.messages_omitted,
        "recovered": msgs.iter().filter(|m| m.recovered).count(),
        "recalled": msgs.iter().filter(|m| m.recalled).count(),
        "transfers": msgs.iter().filter(|m| m.money.is_some()).count(),
        "guessed_zone": msgs.iter().any(|m| m.zone_guessed),
        "guessed_note": lang.pick(
            "部分消息的原始记录未写明时区，按 Asia/Shanghai（UTC+8）推定，这些时间标有“时区推定”。",
            "Some sources give no time zone; their times were read as Asia/Shanghai (UTC+8) and are marked “zone assumed”."),
    })
}

/// The whole document as JSON for the PDF template (and the HTML writer).
pub fn document(input: &ReportInput, opts: &DocOptions) -> Value {
    let lang = opts.lang;
    let exhibits: Vec<Value> = input
        .exhibits
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "category_text".into(),
                    label(lang, &format!("cat_{}", e.category)).into(),
                );
                o.insert("size_text".into(), size_text(e.size).into());
                o.insert(
                    "acquired_text".into(),
                    crate::time::local_text(&e.acquired_utc, &e.acquired_offset)
                        .unwrap_or_else(|| e.acquired_utc.clone())
                        .into(),
                );
            }
            v
        })
        .collect();
    let custody: Vec<Value> = input
        .custody
        .iter()
        .map(|c| {
            json!({
                "seq": c.seq,
                "time": crate::time::local_text(&c.time_utc, &c.local_offset).unwrap_or_else(|| c.time_utc.clone()),
                "actor": c.actor, "action": c.action, "tool": c.tool,
                "summary": c.summary, "line": c.line_sha256.chars().take(16).collect::<String>(),
            })
        })
        .collect();
    let ts_text = match &input.case.timestamp {
        TimestampStatus::None => label(lang, "ts_none").to_owned(),
        TimestampStatus::Present {
            token_path,
            token_sha256,
            ..
        } => format!(
            "{}: {token_path} (SHA-256 {token_sha256})",
            label(lang, "ts_present")
        ),
        TimestampStatus::Verified {
            token_path,
            gen_time,
            tsa,
            ..
        } => format!(
            "{}: {gen_time}, TSA {tsa} ({token_path})",
            label(lang, "ts_verified")
        ),
    };
    let seal = input.case.seal.as_ref().map(|s| {
        json!({
            "version": s.version,
            "sealed_at": crate::time::local_text(&s.sealed_at, &s.local_offset).unwrap_or_else(|| s.sealed_at.clone()),
            "examiner": s.examiner, "key": s.key, "merkle_root": s.merkle_root,
            "tree_size": s.tree_size, "payload_oxum": s.payload_oxum,
            "statement_path": s.statement_path, "statement_sha256": s.statement_sha256,
        })
    });
    json!({
        "lang": lang.code(),
        "t": labels(lang),
        "case": {
            "case_id": input.case.case_id,
            "title": input.case.title,
            "examiner": input.case.examiner,
            "created": crate::time::local_text(&input.case.created_utc, &input.case.created_offset)
                .unwrap_or_else(|| input.case.created_utc.clone()),
            "tool": input.case.tool,
            "timestamp": ts_text,
        },
        "seal": seal,
        "exhibits": exhibits,
        "skipped": input.skipped,
        "custody": custody,
        "steps": steps(input, lang),
        "summary": summary(input, lang),
        "parse_notes": input.parse_notes,
        "messages_omitted": input.messages_omitted,
        "money": input.money,
        "scam": input.scam,
        "timeline": input.timeline,
        "conversations": input.conversations,
        "redaction": opts.redaction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(page_ranges(&[9, 3, 4, 5, 4]), "3–5, 9");
        assert_eq!(page_ranges(&[]), "");
        assert_eq!(size_text(919), "919 B");
        assert_eq!(size_text(2048), "2.0 KiB (2048 B)");
    }
}
