//! Glue: parsing preserved originals with the chat sources while a case is built.

use cunzheng_case::derive::{Companion, Deriver};
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
        companions: &[Companion],
        out: &mut dyn Write,
    ) -> Option<serde_json::Value> {
        let mut input = Input::open(path).ok()?;
        input.item_sha256 = item.digests.sha256.clone();
        for c in companions {
            match c.role {
                "wal" => input.wal = Some(c.path.clone()),
                "journal" => input.journal = Some(c.path.clone()),
                _ => {}
            }
        }
        // Named in the summary: the output depends on their bytes too.
        let with: Vec<serde_json::Value> = companions
            .iter()
            .map(|c| serde_json::json!({"role": c.role, "exhibit": c.item, "sha256": c.sha256}))
            .collect();
        let add_with = |v: &mut serde_json::Value| {
            if let (Some(o), false) = (v.as_object_mut(), with.is_empty()) {
                o.insert("with".into(), with.clone().into());
            }
        };
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
        let mut printer = JsonLines {
            out,
            buf: Vec::with_capacity(1 << 16),
            error: None,
        };
        let summary = match cunzheng_sources::parse(&input, Some(source), &self.opts, &mut printer)
        {
            Ok(report) => {
                let mut v = serde_json::to_value(&report).unwrap_or_default();
                add_with(&mut v);
                let mut line = v.clone();
                if let Some(o) = line.as_object_mut() {
                    o.insert("record".into(), "report".into());
                }
                printer.flush();
                let _ = writeln!(printer.out, "{line}");
                v
            }
            Err(e) => {
                let mut v = serde_json::json!({"parser": source.parser_tag(), "item_sha256": item.digests.sha256, "error": e.to_string()});
                add_with(&mut v);
                let mut line = v.clone();
                if let Some(o) = line.as_object_mut() {
                    o.insert("record".into(), "error".into());
                }
                printer.flush();
                let _ = writeln!(printer.out, "{line}");
                v
            }
        };
        printer.flush();
        if printer.error.is_some() {
            return None;
        }
        Some(summary)
    }
}

/// Writes records as JSON lines (`record` first, then the fields) through a buffer.
struct JsonLines<'a> {
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    error: Option<std::io::Error>,
}

impl JsonLines<'_> {
    fn record<T: serde::Serialize>(&mut self, kind: &str, value: &T) {
        let r = crate::jsonl::record(&mut self.buf, kind, value);
        self.done(r);
    }

    fn done(&mut self, r: std::io::Result<()>) {
        if self.error.is_none()
            && let Err(e) = r
        {
            self.error = Some(e);
        }
        if self.buf.len() >= 1 << 16 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(&self.buf)
        {
            self.error = Some(e);
        }
        self.buf.clear();
    }
}

impl cunzheng_sources::Sink for JsonLines<'_> {
    fn conversation(&mut self, c: cunzheng_model::Conversation) {
        self.record("conversation", &c);
    }
    fn message(&mut self, m: cunzheng_model::Message) {
        // Same bytes as serde_json writes, faster (see crate::jsonl).
        let r = crate::jsonl::message(&mut self.buf, &m);
        self.done(r);
    }
    fn unparsed(&mut self, u: cunzheng_model::Unparsed) {
        self.record("unparsed", &u);
    }
    fn warning(&mut self, _: String) {}
    fn fork(&self) -> Option<Box<dyn cunzheng_sources::SinkPart>> {
        Some(Box::new(crate::jsonl::Part::default()))
    }
    fn join(&mut self, part: Box<dyn cunzheng_sources::SinkPart>) {
        let part = crate::jsonl::Part::taken_back(part);
        debug_assert!(part.is_some(), "a part of another sink");
        let Some(mut part) = part else { return };
        self.flush();
        let r = match part.error.take() {
            Some(e) => Err(e),
            None => self.out.write_all(&part.buf),
        };
        self.done(r);
        part.recycle();
    }
}
