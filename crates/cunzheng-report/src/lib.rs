//! Court-ready output of a cunzheng case.
//!
//! # Brief overview
//!
//! [`load::load`] reads a case folder into a [`ReportInput`] (plain data; later analysis stages
//! fill its optional sections). [`doc::document`] turns it into the document both renderers
//! draw: [`pdf::render`] typesets a PDF/A-2b with typst as a library and embedded fonts, and
//! [`html::render`] writes one self-contained HTML file. [`redact`] masks third parties'
//! numbers before rendering, [`drafts`] writes prefilled documents for the police, a platform
//! and the court, and [`uco`] exports the case as CASE/UCO JSON-LD.
//!
//! ```
//! use cunzheng_report::doc::page_ranges;
//! assert_eq!(page_ranges(&[4, 2, 3, 7]), "2–4, 7");
//! ```
#![deny(missing_docs)]

pub mod analysis;
pub mod doc;
pub mod drafts;
pub mod error;
pub mod html;
pub mod labels;
pub mod load;
pub mod model;
pub mod pdf;
pub mod redact;
pub mod run;
pub mod time;
pub mod uco;

pub use error::{ReportError, Result};
pub use labels::Lang;
pub use model::ReportInput;
pub use run::{ReportOptions, Written, run};
