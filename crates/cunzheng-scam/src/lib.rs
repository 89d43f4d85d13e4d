//! Scam-type detection for chat records.
//!
//! Two layers score every input: versioned expert rules ([`rules`], data in `rules/rules.toml`)
//! and a logistic-regression model over hashed character n-grams ([`model`], weights in
//! `model/model.bin`, trained by `cunzheng-scam-train`). Every score comes with [`Reason`]s:
//! the cues and n-grams that drove it, with the turn and byte span they matched.
//!
//! ```no_run
//! use cunzheng_scam::{Classifier, Input};
//! let c = Classifier::builtin()?;
//! let v = c.classify(&Input::Text("请把钱转到安全账户配合资金清查".into()));
//! println!("{:.2} {:?} {}", v.scam, v.scam_type, v.reasons.len());
//! # Ok::<(), cunzheng_scam::Error>(())
//! ```

pub mod checkset;
pub mod classifier;
pub mod data;
pub mod error;
pub mod eval;
pub mod features;
pub mod input;
pub mod model;
pub mod rules;
pub mod taxonomy;
pub mod train;

pub use classifier::Classifier;
pub use error::Error;
pub use input::{Input, Reason, Source, Turn, Verdict};
