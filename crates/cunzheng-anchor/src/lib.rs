//! Trust anchors for seal roots: third parties that saw a root at a time.
//!
//! # Brief overview
//!
//! * [`tsp`]: RFC 3161 — [`tsp::Request`] over a 32-byte root (SHA-256, or SM3 where the TSA
//!   accepts it) with a random nonce and certReq, and [`tsp::verify_response`], the full check
//!   of a TimeStampResp against the request and configured [`tsp::TrustRoots`].
//! * [`http`]: the [`http::Transport`] that carries a request to a TSA ([`http::Http`]).
//! * [`error`]: [`error::TspError`], one variant per failed check.
//!
//! Why a crate apart from `cunzheng-seal`: the X.509/CMS stack, RSA/ECDSA verifiers and an
//! HTTP client are needed only for anchors; the seal crate (and its fuzz targets) stay small.
//! A transparency-log receipt is another kind of anchor and belongs here too.
//!
//! ```
//! use cunzheng_anchor::tsp::{ImprintHash, Request};
//! let root = [7u8; 32];
//! let req = Request::new(&root, ImprintHash::Sha256).unwrap();
//! assert_eq!(Request::parse(&req.der).unwrap().imprint, root.to_vec());
//! ```
#![deny(missing_docs)]

pub mod error;
pub mod http;
pub mod oid;
pub mod sig;
pub mod tsp;

/// Not part of the API: entry points for fuzzing.
#[doc(hidden)]
pub mod internal {
    /// Fuzzing entry points.
    pub mod fuzzing {
        /// Parses and verifies `data` as a TimeStampResp against a fixed expectation; must
        /// never panic.
        pub fn time_stamp_response(data: &[u8]) {
            use crate::tsp::{Expected, ImprintHash, TrustRoots, verify_response};
            let e = Expected {
                hash: ImprintHash::Sha256,
                imprint: &[0u8; 32],
                nonce: None,
            };
            let _ = verify_response(data, &e, &TrustRoots::none());
            let _ = crate::tsp::Request::parse(data);
        }
    }
}

#[cfg(test)]
mod fuzz_regressions {
    #[test]
    fn fuzz_regressions_replay() {
        cunzheng_testkit::replay_all(&[(
            "time_stamp_response",
            crate::internal::fuzzing::time_stamp_response,
        )]);
    }
}
