//! Topics.

/// Bad inputs: missing paths, unreadable files, corrupt and hostile zips, full disks.
mod bad_input;
/// Helpers: temp folders, running the binary, fixtures.
pub mod common;
/// Crash safety: SIGKILL at named points of `add` and `seal`.
mod crash;
/// `parse`: records as JSON lines, the report, format detection.
mod parse;
/// Preserve, verify, standard tools, seal versions, determinism.
mod preserve;
/// Inclusion proofs.
mod proof;
/// Reports: PDF/A, HTML, redaction, drafts, CASE/UCO, the reports folder.
mod report;
/// Tamper matrix: every byte of the bag matters.
mod tamper;
