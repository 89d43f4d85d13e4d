//! A self-hosted transparency log of seal roots.
//!
//! # Brief overview
//!
//! * [`log::Log`]: an append-only RFC 9162 Merkle log in SQLite; one writer thread commits
//!   entries in batches and acknowledges them only once durable.
//! * [`layout`] and [`tree`]: which stored perfect subtrees make up a proof, and proofs built
//!   from them in O(log n) reads; hashing and verification are `cunzheng_seal::merkle`'s.
//! * [`note`] and [`checkpoint`]: C2SP signed notes and checkpoints (Ed25519, and timestamped
//!   witness cosignatures).
//! * [`server`]: the HTTP API (axum) over a [`log::Log`].
//! * [`witness`]: a second instance that cosigns the log's checkpoints after checking
//!   consistency, and keeps both checkpoints as evidence when the log forks.
//! * [`client`] and [`receipt`]: submit a seal root, keep the [`receipt::Receipt`], verify it
//!   offline and check later checkpoints for consistency.
//!
//! Features: `client` (ureq) and `server` (tokio + axum: log writer, HTTP API, witness), both
//! on by default; without them the crate is formats and offline verification only, for
//! crates that check receipts stored in a case.
//!
//! ```
//! use cunzheng_tlog::checkpoint::Checkpoint;
//! use cunzheng_tlog::note::{NoteSigner, TYPE_ED25519};
//! let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
//! let signer = NoteSigner::new("example.com/log", TYPE_ED25519, key).unwrap();
//! let cp = Checkpoint { origin: "example.com/log".into(), size: 0, root: [0; 32], extensions: vec![] };
//! let signed = cp.sign(&signer);
//! signed.verify(signer.verifier()).unwrap();
//! ```
#![deny(missing_docs)]

pub mod api;
pub mod checkpoint;
#[cfg(feature = "client")]
pub mod client;
pub mod error;
pub mod keys;
pub mod layout;
#[cfg(feature = "server")]
pub mod log;
pub mod note;
pub mod receipt;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
pub mod tree;
#[cfg(feature = "server")]
pub mod witness;

pub use error::{Error, Result};

/// Not part of the API: entry points for fuzzing.
#[doc(hidden)]
pub mod internal {
    pub mod fuzzing {
        pub use crate::fuzzing::*;
    }
}
mod fuzzing;
