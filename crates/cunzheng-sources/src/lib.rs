//! Chat sources: every export and phone database format, parsed into one message model.
//!
//! # Brief overview
//!
//! * [`Source`]: one format (sniff + parse), registered in [`formats::SOURCES`].
//! * [`Input`]: the evidence item to read; [`Options`]: zone and device owner;
//!   [`Sink`]: where conversations, messages and [`cunzheng_model::Unparsed`] records go.
//! * [`detect`] picks a format by content; [`parse`] runs one and counts what it yielded.
//! * [`time::Zone`] turns source times into [`cunzheng_model::MsgTime`];
//!   [`text::decode`] reads text of unknown encoding.
//!
//! ```
//! use cunzheng_sources::{formats::SOURCES, Source};
//! for s in SOURCES {
//!     assert!(!s.id().is_empty());
//! }
//! ```
#![deny(missing_docs)]

pub mod formats;
pub mod source;
pub mod text;
pub mod time;

pub use source::{Collect, Input, Options, Sink, SinkPart, Source, SourceError, Tier};

use cunzheng_model::{Conversation, Message, ParseReport, Unparsed};

/// Least sniff score that counts as recognised.
pub const SNIFF_THRESHOLD: u8 = 50;

/// The format with the highest sniff score for `input`, if any reaches [`SNIFF_THRESHOLD`].
pub fn detect(input: &Input) -> Option<&'static dyn Source> {
    formats::SOURCES
        .iter()
        .map(|s| (s.sniff(input), *s))
        .filter(|(score, _)| *score >= SNIFF_THRESHOLD)
        .max_by_key(|(score, _)| *score)
        .map(|(_, s)| s)
}

/// The format with this id.
pub fn by_id(id: &str) -> Option<&'static dyn Source> {
    formats::SOURCES.iter().copied().find(|s| s.id() == id)
}

/// Counts what passes through to another sink: `&mut dyn Sink` for the parse as a whole,
/// `Box<dyn SinkPart>` for a part filled on another thread (see [`Sink::fork`]).
struct Counting<S> {
    inner: S,
    report: ParseReport,
}

impl<S> Sink for Counting<S>
where
    S: std::ops::DerefMut,
    S::Target: Sink,
{
    fn conversation(&mut self, c: Conversation) {
        self.report.conversations += 1;
        self.inner.conversation(c);
    }
    fn message(&mut self, m: Message) {
        self.report.messages += 1;
        self.inner.message(m);
    }
    fn unparsed(&mut self, u: Unparsed) {
        self.report.unparsed += 1;
        self.inner.unparsed(u);
    }
    fn warning(&mut self, w: String) {
        self.report.warnings.push(w.clone());
        self.inner.warning(w);
    }
    fn fork(&self) -> Option<Box<dyn SinkPart>> {
        Some(Box::new(Counting {
            inner: self.inner.fork()?,
            report: ParseReport::default(),
        }))
    }
    fn join(&mut self, part: Box<dyn SinkPart>) {
        let part = part.into_any().downcast::<Counting<Box<dyn SinkPart>>>();
        debug_assert!(part.is_ok(), "a part of another sink");
        if let Ok(part) = part {
            let Counting { inner, report } = *part;
            self.report.conversations += report.conversations;
            self.report.messages += report.messages;
            self.report.unparsed += report.unparsed;
            self.report.warnings.extend(report.warnings);
            self.inner.join(inner);
        }
    }
}

impl SinkPart for Counting<Box<dyn SinkPart>> {
    fn another(&self) -> Box<dyn SinkPart> {
        Box::new(Counting {
            inner: self.inner.another(),
            report: ParseReport::default(),
        })
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// Parses `input` with `source` (or the detected one) into `sink`; returns the counts.
pub fn parse(
    input: &Input,
    source: Option<&'static dyn Source>,
    opts: &Options,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SourceError> {
    let source = match source {
        Some(s) => s,
        None => detect(input).ok_or_else(|| SourceError::NotRecognised(input.name.clone()))?,
    };
    let mut counting = Counting {
        inner: sink,
        report: ParseReport {
            parser: source.parser_tag(),
            item_sha256: input.item_sha256.clone(),
            ..ParseReport::default()
        },
    };
    source.parse(input, opts, &mut counting)?;
    Ok(counting.report)
}

/// Not part of the API: entry points for fuzzing (feature `fuzzing`; also built for tests,
/// which replay `fuzz/regressions`).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod internal {
    /// Fuzzing helpers.
    pub mod fuzzing {
        /// Writes `data` to a temporary file and parses it with the format `id` into a sink
        /// that keeps nothing: it must return, never panic.
        pub fn parse_format(id: &str, data: &[u8]) {
            let Some(source) = crate::by_id(id) else {
                panic!("no format {id}");
            };
            let Ok(dir) = tempfile::tempdir() else { return };
            let path = dir.path().join("input");
            if std::fs::write(&path, data).is_err() {
                return;
            }
            let Ok(input) = crate::Input::open(&path) else {
                return;
            };
            let _ = source.sniff(&input);
            let mut sink = crate::Collect::default();
            let _ = source.parse(&input, &crate::Options::default(), &mut sink);
        }
    }
}

#[cfg(test)]
mod fuzz_regressions {
    #![allow(clippy::unwrap_used)]

    use cunzheng_testkit::replay_fuzz_regressions as replay;

    #[test]
    fn fuzz_regressions_replay() {
        let mut n = 0;
        for s in crate::formats::SOURCES {
            n += replay(s.id(), |data: &[u8]| {
                crate::internal::fuzzing::parse_format(s.id(), data)
            });
        }
        println!("replayed {n} inputs");
    }
}
