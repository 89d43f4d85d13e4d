//! The [`Source`] trait every format implements, and what it reads and writes.

use cunzheng_model::{Conversation, Location, Message, Provenance, Unparsed};
use std::path::{Path, PathBuf};

/// How much of a file's start [`Input::head`] holds for sniffing.
pub const HEAD_LEN: usize = 64 * 1024;

/// Largest single record (line, JSON message, XML element, blob) a parser may hold in memory.
/// Longer ones become [`Unparsed`] records; this keeps memory bounded on hostile input.
pub const MAX_RECORD: usize = 16 << 20;

/// One evidence item to parse.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where its bytes are (a preserved original, opened read-only).
    pub path: PathBuf,
    /// Its original file name (for the globs and for messages to people).
    pub name: String,
    /// Its SHA-256, for provenance.
    pub item_sha256: String,
    /// Path inside a container, when the item came from one.
    pub inner_path: Option<String>,
    /// The first [`HEAD_LEN`] bytes (fewer for short files).
    pub head: Vec<u8>,
    /// For a database: its write-ahead log (`NAME-wal`), preserved as a file of its own.
    /// Database parsers read the database as the app saw it, with the log's committed
    /// transactions applied, and recover deleted rows from the log's older frames too.
    pub wal: Option<PathBuf>,
    /// For a database: its rollback journal (`NAME-journal`); deleted rows are recovered from
    /// the page images it holds.
    pub journal: Option<PathBuf>,
}

impl Input {
    /// Reads the head of `path`; `name` defaults to its file name and the hash to empty. A
    /// non-empty `PATH-wal` or `PATH-journal` beside it becomes [`Input::wal`] or
    /// [`Input::journal`].
    pub fn open(path: &Path) -> std::io::Result<Self> {
        use std::io::Read;
        let mut head = Vec::with_capacity(HEAD_LEN);
        std::fs::File::open(path)?
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)?;
        Ok(Self {
            path: path.to_owned(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            item_sha256: String::new(),
            inner_path: None,
            head,
            wal: companion(path, "-wal"),
            journal: companion(path, "-journal"),
        })
    }

    /// Provenance for a location in this input, read by `parser`.
    pub fn provenance(&self, parser: &str, location: Location) -> Provenance {
        Provenance {
            item_sha256: self.item_sha256.clone(),
            inner_path: self.inner_path.clone(),
            location,
            parser: parser.to_owned(),
        }
    }
}

/// `PATH` + `suffix` when it is a non-empty file.
fn companion(path: &Path, suffix: &str) -> Option<PathBuf> {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    let p = PathBuf::from(p);
    std::fs::metadata(&p)
        .is_ok_and(|m| m.is_file() && m.len() > 0)
        .then_some(p)
}

/// Settings that change what a parse yields (recorded with derived files).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The zone wall-clock times are in, named by the examiner (`Asia/Shanghai`). When `None`,
    /// parsers use [`Options::fallback_zone`] and mark times as guessed.
    pub zone: Option<String>,
    /// The zone to assume when none is given (default `Asia/Shanghai`, the common case for
    /// this tool's users; every time derived from it is marked `guessed`).
    pub fallback_zone: Option<String>,
    /// The device owner's display names or accounts, to tell outgoing from incoming in
    /// exports that do not say.
    pub owner: Vec<String>,
}

/// Receives what a parser finds, in source order. Parsers stream into it so that large
/// exports are never held whole.
pub trait Sink {
    /// A conversation, before its messages.
    fn conversation(&mut self, c: Conversation);
    /// A message.
    fn message(&mut self, m: Message);
    /// Something that could not be read.
    fn unparsed(&mut self, u: Unparsed);
    /// Something a reader should know.
    fn warning(&mut self, w: String);

    /// For a parser that works on several threads: an empty part of this sink that takes
    /// records on another thread (more parts come from [`SinkPart::another`]), to be handed
    /// back in file order with [`Sink::join`]. `None` (the default): the parser hands every
    /// record to this sink itself.
    fn fork(&self) -> Option<Box<dyn SinkPart>> {
        None
    }

    /// Takes back a part from [`Sink::fork`], as if its records came to this sink now.
    fn join(&mut self, part: Box<dyn SinkPart>) {
        let _ = part;
    }
}

/// A part of a [`Sink`] that takes records on another thread (see [`Sink::fork`]).
pub trait SinkPart: Sink + Send + Sync {
    /// Another empty part of the same sink.
    fn another(&self) -> Box<dyn SinkPart>;

    /// Itself, for the sink that made it to take back in [`Sink::join`] by downcasting.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

/// A [`Sink`] that keeps everything (tests, small inputs).
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// Conversations.
    pub conversations: Vec<Conversation>,
    /// Messages.
    pub messages: Vec<Message>,
    /// Unparsed records.
    pub unparsed: Vec<Unparsed>,
    /// Warnings.
    pub warnings: Vec<String>,
}

impl Sink for Collect {
    fn conversation(&mut self, c: Conversation) {
        self.conversations.push(c);
    }
    fn message(&mut self, m: Message) {
        self.messages.push(m);
    }
    fn unparsed(&mut self, u: Unparsed) {
        self.unparsed.push(u);
    }
    fn warning(&mut self, w: String) {
        self.warnings.push(w);
    }
}

/// A parse failed as a whole (a record-level problem is an [`Unparsed`] record instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not of this format, or is broken beyond reading, at a location.
    #[error("{location}: {message}")]
    Format {
        /// Where (`line 12`, `byte 4096`, `table message`).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The file is encrypted and no key was given.
    #[error("encrypted: {0}")]
    Encrypted(String),
    /// No parser with that id.
    #[error("no format `{0}`; `cunzheng formats` lists them")]
    UnknownFormat(String),
    /// No parser recognised the file.
    #[error("no parser recognises {0}")]
    NotRecognised(String),
}

impl SourceError {
    /// An I/O error for `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What the evidence behind a parser's mapping rests on (say so in reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Checked against real exports or databases.
    Observed,
    /// Built from published documentation or source code of the app or of other tools.
    Documented,
}

/// One chat format.
pub trait Source: Sync {
    /// Stable identifier (`whatsapp-txt`), used on the command line and in provenance.
    fn id(&self) -> &'static str;
    /// Parser version: bump when output for the same input changes.
    fn version(&self) -> u32 {
        1
    }
    /// Name for people.
    fn name(&self) -> &'static str;
    /// What it reads, for `cunzheng formats`.
    fn description(&self) -> &'static str;
    /// File name patterns it is usually found under (informative; sniffing decides).
    fn globs(&self) -> &'static [&'static str];
    /// What its mapping rests on.
    fn tier(&self) -> Tier;
    /// How sure this parser is that `input` is its format, 0 (not) to 100 (certain), from
    /// content. File names may only break ties.
    fn sniff(&self, input: &Input) -> u8;
    /// Parses `input` into `sink`. Record-level problems go to the sink as [`Unparsed`];
    /// an error means nothing more could be read.
    fn parse(&self, input: &Input, opts: &Options, sink: &mut dyn Sink) -> Result<(), SourceError>;

    /// `id version`, as written into provenance.
    fn parser_tag(&self) -> String {
        format!("{} {}", self.id(), self.version())
    }
}
