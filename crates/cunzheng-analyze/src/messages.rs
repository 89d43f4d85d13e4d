//! Reading parsed messages back from the JSON lines that `parse --json` and the case's derived
//! message files hold (`{"record":"message",…}`, `{"record":"conversation",…}`).

use cunzheng_model::{Conversation, Message};

/// The messages and conversations of one derived file, and the lines that could not be read.
#[derive(Debug, Default, Clone)]
pub struct Parsed {
    /// Messages in file order.
    pub messages: Vec<Message>,
    /// Conversations in file order.
    pub conversations: Vec<Conversation>,
    /// `(line number, reason)` of lines that are not valid records.
    pub bad_lines: Vec<(u64, String)>,
}

/// Reads JSON lines; other record kinds (`unparsed`, `report`, `error`) are skipped.
pub fn read_jsonl(text: &str) -> Parsed {
    let mut out = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i as u64 + 1;
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                out.bad_lines.push((n, e.to_string()));
                continue;
            }
        };
        match v.get("record").and_then(|r| r.as_str()) {
            Some("message") => match serde_json::from_value::<Message>(v) {
                Ok(m) => out.messages.push(m),
                Err(e) => out.bad_lines.push((n, e.to_string())),
            },
            Some("conversation") => match serde_json::from_value::<Conversation>(v) {
                Ok(c) => out.conversations.push(c),
                Err(e) => out.bad_lines.push((n, e.to_string())),
            },
            _ => {}
        }
    }
    out
}
