//! Errors of this crate: each names the rule, model offset or dataset line it is about.

use std::path::PathBuf;

/// Something in the rules, the model or a dataset is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The rules file is not valid TOML or does not have the expected fields.
    #[error("rules file (version {version}): {source}")]
    RulesSyntax {
        /// The version string if it could be read, else "?".
        version: String,
        /// The parser's message, with line and column.
        source: Box<toml::de::Error>,
    },
    /// A rule is inconsistent (unknown type, empty cue, duplicate id …).
    #[error("rule {rule:?}: {reason}")]
    Rule {
        /// The rule id.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule's regular expression does not compile.
    #[error("rule {rule:?}: pattern {pattern:?}: {source}")]
    RulePattern {
        /// The rule id.
        rule: String,
        /// The pattern.
        pattern: String,
        /// The regex error.
        source: Box<regex::Error>,
    },
    /// The keyword automaton could not be built.
    #[error("rules: keyword automaton: {0}")]
    Keywords(#[from] aho_corasick::BuildError),
    /// The model file is damaged or of another version.
    #[error("model file at byte {offset}: {reason}")]
    Model {
        /// Byte offset in the model file where reading failed.
        offset: usize,
        /// What was expected.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A dataset line is not what the datasets README describes.
    #[error("{}:{line}: {reason}", path.display())]
    Dataset {
        /// The dataset file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
