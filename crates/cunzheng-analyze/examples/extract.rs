//! Reads JSON lines with a `text` field on stdin and prints each with the entities found,
//! as `kind:value` strings (used to pre-fill labels for review).

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let text = v
            .get("text")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned();
        let found: Vec<String> = cunzheng_analyze::entity::extract(&text)
            .into_iter()
            .map(|e| format!("{}:{}", e.kind.name(), e.value))
            .collect();
        v["entities"] = serde_json::json!(found);
        writeln!(out, "{v}")?;
    }
    Ok(())
}
