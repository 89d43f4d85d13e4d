//! Glue: parsing preserved originals with the chat sources while a case is built.

use crate::cli::Printer;
use cunzheng_case::derive::Deriver;
use cunzheng_model::{EvidenceItem, ItemSource};
use cunzheng_sources::{Input, Options};
use std::io::Write;
use std::path::Path;

/// Parses every original a chat format recognises into JSON lines of messages.
pub struct MessageDeriver {
    /// Zone and owner settings.
    pub opts: Options,
}

impl Deriver for MessageDeriver {
    fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "tool": format!("cunzheng {}", env!("CARGO_PKG_VERSION")),
            "tz": self.opts.zone,
            "assumed_tz_when_none_given": "Asia/Shanghai",
            "owner": self.opts.owner,
        })
    }

    fn derive(
        &self,
        item: &EvidenceItem,
        path: &Path,
        out: &mut dyn Write,
    ) -> Option<serde_json::Value> {
        let mut input = Input::open(path).ok()?;
        input.item_sha256 = item.digests.sha256.clone();
        match &item.source {
            ItemSource::File { path, .. } => {
                input.name = Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
            }
            ItemSource::ArchiveEntry { name, .. } => {
                input.name = name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned();
                input.inner_path = Some(name.clone());
            }
        }
        let source = cunzheng_sources::detect(&input)?;
        let mut printer = Printer {
            out,
            json: true,
            error: None,
        };
        let summary = match cunzheng_sources::parse(&input, Some(source), &self.opts, &mut printer)
        {
            Ok(report) => {
                let v = serde_json::to_value(&report).unwrap_or_default();
                let mut line = v.clone();
                if let Some(o) = line.as_object_mut() {
                    o.insert("record".into(), "report".into());
                }
                let _ = writeln!(printer.out, "{line}");
                v
            }
            Err(e) => {
                let v = serde_json::json!({"parser": source.parser_tag(), "item_sha256": item.digests.sha256, "error": e.to_string()});
                let mut line = v.clone();
                if let Some(o) = line.as_object_mut() {
                    o.insert("record".into(), "error".into());
                }
                let _ = writeln!(printer.out, "{line}");
                v
            }
        };
        if printer.error.is_some() {
            return None;
        }
        Some(summary)
    }
}
