//! The report's input: plain data built by [`crate::load`] from a case folder (or by anyone
//! else), and read by every renderer (PDF, HTML, drafts, CASE/UCO). Nothing here knows the
//! on-disk formats, so later analysis stages plug in by filling the optional sections.

use serde::{Deserialize, Serialize};

/// Everything a report shows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReportInput {
    /// The case and its seal.
    pub case: CaseInfo,
    /// Preserved originals, by exhibit number.
    pub exhibits: Vec<Exhibit>,
    /// The custody log, in order.
    pub custody: Vec<CustodyRow>,
    /// Things found during acquisition and not preserved (links, unreadable files…).
    pub skipped: Vec<SkippedRow>,
    /// Conversations with their messages, in exhibit order.
    pub conversations: Vec<ConversationView>,
    /// Money trail (from the analysis stage), `None` when not analysed.
    pub money: Option<MoneyTrail>,
    /// Scam-type findings (from the analysis stage), `None` when not analysed.
    pub scam: Option<Vec<ScamFinding>>,
    /// Timeline checks (from the analysis stage), `None` when not analysed.
    pub timeline: Option<Vec<TimelineCheck>>,
    /// Messages left out of the transcripts because of the size limit.
    pub messages_omitted: u64,
    /// Parse problems worth stating (unparsed records, parse errors), one line each.
    pub parse_notes: Vec<String>,
    /// Accounts, phone or card numbers the examiner marks as the suspect's.
    pub suspects: Vec<String>,
}

/// The case, its latest seal and timestamp.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaseInfo {
    /// Case identifier.
    pub case_id: String,
    /// Title.
    pub title: String,
    /// Who created the case.
    pub examiner: String,
    /// When the case was created (RFC 3339 UTC) and the local offset then.
    pub created_utc: String,
    /// Local offset at creation, e.g. `+08:00`.
    pub created_offset: String,
    /// The latest seal, `None` when the case was never sealed.
    pub seal: Option<SealInfo>,
    /// RFC 3161 timestamp of the latest seal.
    pub timestamp: TimestampStatus,
    /// Tool that made the report, e.g. `cunzheng 0.1.0`.
    pub tool: String,
}

/// One seal version as its signed statement says.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SealInfo {
    /// Seal version.
    pub version: u32,
    /// When it was sealed, RFC 3339 UTC.
    pub sealed_at: String,
    /// Local offset of the examiner then.
    pub local_offset: String,
    /// Examiner named in the statement.
    pub examiner: String,
    /// Signing key fingerprint.
    pub key: String,
    /// Merkle root over the payload manifest (hex).
    pub merkle_root: String,
    /// Number of payload files in the tree.
    pub tree_size: u64,
    /// Payload-Oxum (`octets.files`).
    pub payload_oxum: String,
    /// Bag path of the statement.
    pub statement_path: String,
    /// SHA-256 of the statement.
    pub statement_sha256: String,
}

/// What is known about an RFC 3161 timestamp of the seal.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TimestampStatus {
    /// No token in the case.
    #[default]
    None,
    /// A token file is present; the report did not check it (`cunzheng verify` or
    /// `openssl ts -verify` does).
    Present {
        /// Bag path of the token (DER `TimeStampResp` or `TimeStampToken`).
        token_path: String,
        /// Bag path of the request it answers (`.tsq`: the Merkle root and nonce).
        data_path: String,
        /// SHA-256 of the token file.
        token_sha256: String,
    },
    /// A token that was verified, with what it says.
    Verified {
        /// Bag path of the token.
        token_path: String,
        /// Bag path of the request it answers (`.tsq`).
        data_path: String,
        /// The time the TSA asserts (RFC 3339 UTC).
        gen_time: String,
        /// The TSA's name as in its certificate.
        tsa: String,
    },
}

/// One preserved original.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Exhibit {
    /// Exhibit number.
    pub number: u64,
    /// File name shown to a reader.
    pub name: String,
    /// Where it was found: path, or archive entry of another exhibit.
    pub source: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// SM3, hex.
    pub sm3: String,
    /// Bag path of the stored bytes.
    pub stored_as: String,
    /// When it was acquired (RFC 3339 UTC of the ingest event) and the local offset then.
    pub acquired_utc: String,
    /// Local offset at acquisition.
    pub acquired_offset: String,
    /// Who acquired it.
    pub acquired_by: String,
    /// Acquisition record number.
    pub acquisition: u32,
    /// File modification time as observed (not trusted).
    pub modified: Option<String>,
    /// Earlier exhibit with the same bytes.
    pub duplicate_of: Option<u64>,
    /// Parser that read it and its counts, e.g. `whatsapp-txt 1: 12 messages`.
    pub parsed: Option<String>,
    /// Bag path and SHA-256 of the derived message file.
    pub derived: Option<(String, String)>,
    /// Category under 民事证据规定 第十四条 (chat, image, audio, …), in words.
    pub category: String,
}

/// One custody log event, shortened for reading.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CustodyRow {
    /// Sequence number.
    pub seq: u64,
    /// UTC time.
    pub time_utc: String,
    /// Local offset.
    pub local_offset: String,
    /// Who.
    pub actor: String,
    /// What (`case.create`, `ingest`, `seal`, …).
    pub action: String,
    /// Tool and version.
    pub tool: String,
    /// Short summary of inputs/outputs.
    pub summary: String,
    /// SHA-256 of the log line (what the next line's `prev` names).
    pub line_sha256: String,
}

/// Something not preserved.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SkippedRow {
    /// Where.
    pub location: String,
    /// What.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// A conversation and its messages.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConversationView {
    /// Exhibit it was parsed from.
    pub exhibit: u64,
    /// Platform name.
    pub platform: String,
    /// Title or contact.
    pub title: String,
    /// Participants, as `name (account)`.
    pub participants: Vec<String>,
    /// Messages, in the source's order.
    pub messages: Vec<MessageView>,
}

/// One message as shown.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MessageView {
    /// Sender name or account.
    pub sender: String,
    /// Sender account when it differs from the name.
    pub account: String,
    /// `in`, `out` or `unknown`.
    pub direction: String,
    /// Kind (`text`, `image`, `transfer`, `recalled`, …).
    pub kind: String,
    /// Body text.
    pub body: String,
    /// Local time with its offset, e.g. `2023-12-01 10:00:00 +08:00`, or the raw text.
    pub time: String,
    /// UTC instant, RFC 3339, when known (sorting, time ranges).
    pub utc: Option<String>,
    /// The zone was assumed, not stated.
    pub zone_guessed: bool,
    /// Provenance reference, e.g. `E3 L12`.
    pub reference: String,
    /// Recovered from deleted space.
    pub recovered: bool,
    /// Recalled by its sender.
    pub recalled: bool,
    /// Amount and currency when a transfer names money.
    pub money: Option<String>,
    /// Attachment names.
    pub attachments: Vec<String>,
    /// Stable id for citing (`E3-<message id>`).
    pub cite: String,
}

/// The money trail.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MoneyTrail {
    /// Transfers, in time order.
    pub transfers: Vec<Transfer>,
    /// Total loss per currency, e.g. `("CNY", "52000.00")`.
    pub total_loss: Vec<(String, String)>,
    /// How the loss was computed, in words.
    pub method: String,
}

/// One transfer of money.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Transfer {
    /// When (local with offset).
    pub time: String,
    /// Paying account.
    pub from: String,
    /// Receiving account.
    pub to: String,
    /// Amount as written.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Channel (WeChat transfer, bank, Alipay…).
    pub channel: String,
    /// Messages or records it is shown in (`cite` ids / references).
    pub cites: Vec<String>,
}

/// A scam-type verdict with the messages that support it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ScamFinding {
    /// Scam type, e.g. `刷单返利 / task scam`.
    pub scam_type: String,
    /// Confidence or strength in words.
    pub confidence: String,
    /// Why, in words.
    pub rationale: String,
    /// Cited messages: reference and text.
    pub cited: Vec<Cited>,
}

/// A cited message.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Cited {
    /// Provenance reference.
    pub reference: String,
    /// Time.
    pub time: String,
    /// Sender.
    pub sender: String,
    /// Text.
    pub text: String,
}

/// One timeline consistency check.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TimelineCheck {
    /// What was checked.
    pub check: String,
    /// `ok`, `warning` or `fail`.
    pub result: String,
    /// Details and references.
    pub detail: String,
}

impl ReportInput {
    /// All messages, in conversation order.
    pub fn messages(&self) -> impl Iterator<Item = &MessageView> {
        self.conversations.iter().flat_map(|c| c.messages.iter())
    }

    /// Earliest and latest known message instants (UTC, RFC 3339).
    pub fn time_range(&self) -> Option<(String, String)> {
        let mut it = self.messages().filter_map(|m| m.utc.as_deref());
        let first = it.next()?;
        let (mut lo, mut hi) = (first, first);
        for t in it {
            // RFC 3339 UTC texts with the same shape sort as instants do.
            if t < lo {
                lo = t;
            }
            if t > hi {
                hi = t;
            }
        }
        Some((lo.to_owned(), hi.to_owned()))
    }

    /// The message with the local time shown for an instant, if any has that instant.
    pub fn local_time_of(&self, utc: &str) -> Option<&str> {
        self.messages()
            .find(|m| m.utc.as_deref() == Some(utc))
            .map(|m| m.time.as_str())
    }

    /// Distinct senders with their message counts, most active first.
    pub fn parties(&self) -> Vec<(String, u64)> {
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for m in self.messages() {
            let who = if m.account.is_empty() || m.account == m.sender {
                m.sender.clone()
            } else {
                format!("{} ({})", m.sender, m.account)
            };
            *counts.entry(who).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}
