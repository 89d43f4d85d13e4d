//! Analysis of parsed messages.
//!
//! # Brief overview
//!
//! * [`entity::extract`] finds entities in one text (phones, bank cards, resident IDs, amounts,
//!   URLs and domains, IPs, e-mail, QQ / WeChat / Alipay accounts, crypto addresses), each
//!   checked by a validator ([`entity::validate`]); [`Decimal`] keeps amounts exact.
//! * [`bin_table`] names a card's issuing bank from a shipped, sourced BIN table.
//! * [`money::trail`] follows transfers and red packets per counterparty and account and
//!   sums the owner's loss.
//! * [`timeline`] checks times against each other and the acquisition (clock skew, ids out of
//!   order, gaps, recalled and recovered messages, sources that disagree).
//! * [`scan::run`] does all of it over a case's messages and writes `findings.json` and
//!   `entities.jsonl` (byte-identical for the same inputs).
//! * [`messages::read_jsonl`] reads parsed messages back from JSON lines.
//!
//! ```
//! use cunzheng_analyze::entity::{extract, Kind};
//! let found = extract("请转5w到工行卡6222020200112233445，联系微信 abc_12345");
//! assert!(found.iter().any(|e| e.kind == Kind::Amount && e.value == "50000.00"));
//! assert!(found.iter().any(|e| e.kind == Kind::Wechat && e.value == "abc_12345"));
//! ```
#![deny(missing_docs)]

pub mod bin_table;
pub mod decimal;
pub mod entity;
pub mod messages;
pub mod money;
pub mod scan;
pub mod timeline;

pub use decimal::Decimal;

/// Not part of the API: entry points for fuzzing (feature `fuzzing`; also built for tests,
/// which replay `fuzz/regressions`).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod internal {
    pub mod fuzzing {
        pub use crate::fuzzing::*;
    }
}
#[cfg(any(test, feature = "fuzzing"))]
mod fuzzing;
