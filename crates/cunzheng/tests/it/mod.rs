//! Topics.

/// RFC 3161 time-stamps: seal --tsa, config file, offline mode and stamp.
mod anchor;

/// `scan` and `link`: findings sealed in the case, determinism, identifiers shared by cases.
mod analyze;
/// Bad inputs: missing paths, unreadable files, corrupt and hostile zips, full disks.
mod bad_input;
/// `classify`: scam type of JSON lines on stdin, malformed lines reported.
mod classify;
/// Helpers: temp folders, running the binary, fixtures.
pub mod common;
/// Crash safety: SIGKILL at named points of `add` and `seal`.
mod crash;
/// Examiner keys: SM2 beside Ed25519, encryption at rest, import and export.
mod keys;
/// `parse`: records as JSON lines, the report, format detection.
mod parse;
/// Preserve, verify, standard tools, seal versions, determinism.
mod preserve;
/// Inclusion proofs.
mod proof;
/// `recover` and `decrypt` on an encrypted WeChat-style database.
mod recover;
/// Reports: PDF/A, HTML, redaction, drafts, CASE/UCO, the reports folder.
mod report;
/// Scam typing on the bundled example (classify, scan) and the shared corpus's false alarms.
mod scam_chats;
/// Tamper matrix: every byte of the bag matters.
mod tamper;
/// Transparency log: kill -9 mid-append, CLI submit and verify.
mod tlog;
/// Transparency-log anchors: seal --log, stamp, verify, tampering, wrong keys.
mod tlog_anchor;
