//! Scam-type detection for chat records.
//!
//! Two layers score every input: versioned expert rules ([`rules`], data in `rules/rules.toml`)
//! and a logistic-regression model over hashed character n-grams ([`model`], weights in
//! `model/model.bin`, trained by `cunzheng-scam-train`). Every score comes with [`Reason`]s:
//! the cues and n-grams that drove it, with the turn and byte span they matched.

pub mod error;
pub mod input;
pub mod rules;
pub mod taxonomy;

pub use error::Error;
pub use input::{Input, Reason, Source, Turn, Verdict};
