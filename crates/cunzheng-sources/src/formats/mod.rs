//! The registry: one line per format. A format is one file in this folder.

use crate::source::Source;

mod whatsapp_txt;

/// Every format cunzheng reads, in no particular order (sniffing decides).
pub static SOURCES: &[&dyn Source] = &[&whatsapp_txt::WhatsappTxt];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_is_consistent() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for s in SOURCES {
            assert!(ids.insert(s.id()), "duplicate id {}", s.id());
            assert!(names.insert(s.name()), "duplicate name {}", s.name());
            assert!(!s.description().is_empty(), "{} has no description", s.id());
            assert!(!s.globs().is_empty(), "{} has no globs", s.id());
            assert!(
                s.id()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "id {} is not kebab-case",
                s.id()
            );
            let lower: HashSet<String> = s.globs().iter().map(|g| g.to_lowercase()).collect();
            assert_eq!(
                lower.len(),
                s.globs().len(),
                "{} has globs differing only in case",
                s.id()
            );
            // Every format has fixtures under tests/data/<id>/.
            let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/data")
                .join(s.id());
            assert!(
                fixtures.is_dir(),
                "{} has no fixtures at {}",
                s.id(),
                fixtures.display()
            );
        }
    }
}
