//! Sealing evidence so that any change is detected and anyone can check it.
//!
//! # Brief overview
//!
//! * [`hash`]: SHA-256 and SM3 of a stream in one read pass ([`hash::hash_copy`]).
//! * [`merkle`]: RFC 9162 tree heads, inclusion and consistency proofs.
//! * [`bagit`]: BagIt 1.0 manifests and `bag-info.txt`.
//! * [`keys`]: examiner keys behind the [`keys::Signer`] trait (Ed25519).
//! * [`sm2key`]: SM2 examiner keys (GB/T 32918, SM3, distid 1234567812345678), signing beside Ed25519.
//! * [`keystore`]: private key files, encrypted at rest with a passphrase.
//! * [`custody`]: the signed, hash-chained custody log.
//! * [`statement`]: the signed statement of one seal version.
//! * [`proof`]: standalone inclusion proofs for one exhibit.
//!
//! This crate knows nothing of chat formats or of the case folder layout.
//!
//! ```
//! use cunzheng_seal::merkle;
//! let leaves = [merkle::leaf_hash(b"a"), merkle::leaf_hash(b"b")];
//! let root = merkle::root(&leaves);
//! let path = merkle::inclusion_proof(&leaves, 1).unwrap();
//! merkle::verify_inclusion(&leaves[1], 1, 2, &path, &root).unwrap();
//! ```
#![deny(missing_docs)]

pub mod bagit;
pub mod custody;
pub mod hash;
pub mod keys;
pub mod keystore;
pub mod merkle;
pub mod proof;
pub mod sm2key;
pub mod statement;

/// Not part of the API: entry points for fuzzing.
#[doc(hidden)]
pub mod internal {
    pub mod fuzzing {
        pub use crate::fuzzing::*;
    }
}
mod fuzzing;
