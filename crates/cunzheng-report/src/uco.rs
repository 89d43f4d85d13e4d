//! CASE/UCO JSON-LD export: the investigation, the tool, the examiners, every exhibit as an
//! `observable:File` with its hashes and a `case-investigation:ProvenanceRecord`, and every
//! custody event as a `case-investigation:InvestigativeAction` with its results.
//!
//! Node identifiers are UUIDs derived from the case id and what the node is (SHA-256, shaped as
//! version 5), so exporting the same case twice gives the same graph. SM3 is not in UCO's
//! `HashNameVocab`; the validator reports that at severity Info only.

use crate::model::ReportInput;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

struct Ids<'a> {
    case_id: &'a str,
}

impl Ids<'_> {
    fn id(&self, class: &str, key: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.case_id.as_bytes());
        h.update([0]);
        h.update(class.as_bytes());
        h.update([0]);
        h.update(key.as_bytes());
        let mut b: [u8; 32] = h.finalize().into();
        b[6] = (b[6] & 0x0f) | 0x50;
        b[8] = (b[8] & 0x3f) | 0x80;
        let x = hex::encode(&b[..16]);
        format!(
            "kb:{class}-{}-{}-{}-{}-{}",
            &x[..8],
            &x[8..12],
            &x[12..16],
            &x[16..20],
            &x[20..32]
        )
    }
}

fn hash(ids: &Ids, owner: &str, method: &str, value: &str) -> Value {
    json!({
        "@id": ids.id("Hash", &format!("{owner}/{method}")),
        "@type": "types:Hash",
        "types:hashMethod": method,
        "types:hashValue": {"@type": "xsd:hexBinary", "@value": value},
    })
}

fn file(ids: &Ids, key: &str, name: &str, size: Option<u64>, hashes: &[(&str, &str)]) -> Value {
    let mut file_facet = json!({
        "@id": ids.id("FileFacet", key),
        "@type": "observable:FileFacet",
        "observable:fileName": name,
    });
    if let (Some(n), Some(o)) = (size, file_facet.as_object_mut()) {
        o.insert(
            "observable:sizeInBytes".into(),
            json!({"@type": "xsd:integer", "@value": n.to_string()}),
        );
    }
    let hashes: Vec<Value> = hashes.iter().map(|(m, v)| hash(ids, key, m, v)).collect();
    json!({
        "@id": ids.id("File", key),
        "@type": "observable:File",
        "core:hasFacet": [
            file_facet,
            {
                "@id": ids.id("ContentDataFacet", key),
                "@type": "observable:ContentDataFacet",
                "observable:hash": hashes,
            }
        ],
    })
}

fn datetime(v: &str) -> Value {
    json!({"@type": "xsd:dateTime", "@value": v})
}

/// The case as a CASE/UCO JSON-LD document.
pub fn export(input: &ReportInput) -> Value {
    let ids = Ids {
        case_id: &input.case.case_id,
    };
    let mut graph: Vec<Value> = Vec::new();
    let tool = ids.id("Tool", "cunzheng");
    graph.push(json!({
        "@id": tool,
        "@type": "tool:Tool",
        "core:name": "cunzheng",
        "tool:version": env!("CARGO_PKG_VERSION"),
        "tool:toolType": "evidence preservation",
    }));
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    let mut person = |graph: &mut Vec<Value>, name: &str| -> String {
        if let Some(id) = people.get(name) {
            return id.clone();
        }
        let id = ids.id("Person", name);
        graph.push(json!({"@id": id, "@type": "identity:Person", "core:name": name}));
        people.insert(name.to_owned(), id.clone());
        id
    };
    let mut objects: Vec<Value> = Vec::new();
    // Exhibits and their provenance records, grouped by acquisition.
    let mut by_acq: BTreeMap<u32, Vec<Value>> = BTreeMap::new();
    for e in &input.exhibits {
        let key = format!("exhibit/{}", e.number);
        let f = file(
            &ids,
            &key,
            &e.name,
            Some(e.size),
            &[("SHA256", &e.sha256), ("SM3", &e.sm3)],
        );
        let fid = f["@id"].clone();
        graph.push(f);
        let pid = ids.id("ProvenanceRecord", &key);
        graph.push(json!({
            "@id": pid,
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": format!("E{}", e.number),
            "core:description": format!("{} (stored as {})", e.source, e.stored_as),
            "core:object": [{"@id": fid}],
        }));
        objects.push(json!({"@id": fid}));
        objects.push(json!({"@id": pid}));
        by_acq
            .entry(e.acquisition)
            .or_default()
            .push(json!({"@id": pid}));
        if let Some((path, sha)) = &e.derived {
            let dkey = format!("derived/{path}");
            let d = file(&ids, &dkey, path, None, &[("SHA256", sha)]);
            objects.push(json!({"@id": d["@id"].clone()}));
            graph.push(d);
        }
    }
    // Custody events as investigative actions; their outputs (`path sha256:hex`) as results.
    for c in &input.custody {
        let performer = person(&mut graph, &c.actor);
        let mut results: Vec<Value> = Vec::new();
        if c.action == "ingest" {
            // The acquisition record named in the outputs says which exhibits this run made.
            for (n, recs) in &by_acq {
                if c.summary
                    .contains(&format!("data/acquisitions/{n:04}.jsonl"))
                {
                    results.extend(recs.iter().cloned());
                }
            }
        }
        let mut action = json!({
            "@id": ids.id("InvestigativeAction", &format!("custody/{}", c.seq)),
            "@type": "case-investigation:InvestigativeAction",
            "core:name": c.action,
            "core:description": c.summary,
            "action:startTime": datetime(&c.time_utc),
            "action:endTime": datetime(&c.time_utc),
            "action:performer": {"@id": performer},
            "action:instrument": {"@id": tool},
        });
        if !results.is_empty()
            && let Some(o) = action.as_object_mut()
        {
            o.insert("action:result".into(), Value::Array(results));
        }
        graph.push(action);
    }
    if let Some(s) = &input.case.seal {
        let st = file(
            &ids,
            &format!("seal/{}", s.version),
            &s.statement_path,
            None,
            &[("SHA256", &s.statement_sha256)],
        );
        objects.push(json!({"@id": st["@id"].clone()}));
        graph.push(st);
    }
    let mut description = input.case.title.clone();
    if let Some(s) = &input.case.seal {
        description.push_str(&format!(
            " (seal version {}, Merkle root {})",
            s.version, s.merkle_root
        ));
    }
    graph.insert(
        0,
        json!({
            "@id": ids.id("Investigation", "case"),
            "@type": "case-investigation:Investigation",
            "core:name": input.case.case_id,
            "core:description": description,
            "core:object": objects,
        }),
    );
    json!({
        "@context": {
            "kb": format!("urn:cunzheng:{}:", urlish(&input.case.case_id)),
            "case-investigation": "https://ontology.caseontology.org/case/investigation/",
            "core": "https://ontology.unifiedcyberontology.org/uco/core/",
            "action": "https://ontology.unifiedcyberontology.org/uco/action/",
            "identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
            "observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
            "tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
            "types": "https://ontology.unifiedcyberontology.org/uco/types/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": graph,
    })
}

/// The case id as an IRI segment: ASCII letters, digits, `-`, `.`, `_`; others as `_`.
fn urlish(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_uuids() {
        let ids = Ids { case_id: "CZ-1" };
        let a = ids.id("File", "exhibit/1");
        assert_eq!(a, ids.id("File", "exhibit/1"));
        assert_ne!(a, ids.id("File", "exhibit/2"));
        let uuid = a.trim_start_matches("kb:File-");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'5');
    }
}
