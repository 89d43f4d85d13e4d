//! Conversations and messages: the one model every chat source is parsed into.
//!
//! Every message keeps its time as the source wrote it ([`MsgTime`]) and points back to the
//! bytes or rows it came from ([`Provenance`]). A line or row a parser cannot read is not
//! dropped: it becomes an [`Unparsed`] record with the same provenance.

use serde::{Deserialize, Serialize};

/// The messaging service a record comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// WeChat (微信).
    WeChat,
    /// QQ.
    Qq,
    /// WhatsApp.
    WhatsApp,
    /// Telegram.
    Telegram,
    /// SMS / MMS.
    Sms,
    /// Apple iMessage.
    IMessage,
    /// Discord.
    Discord,
    /// Facebook Messenger.
    Messenger,
    /// Instagram direct messages.
    Instagram,
    /// Signal.
    Signal,
    /// E-mail.
    Email,
    /// Anything else, named.
    Other(String),
}

/// A chat: one-to-one, group or channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The service.
    pub platform: Platform,
    /// Identifier, unique within the parsed item (the source's own id where it has one).
    pub id: String,
    /// Title or contact name, as shown by the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `private`, `group`, `channel`, … as the source says; `None` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Who takes part, as far as the source tells.
    #[serde(default)]
    pub participants: Vec<Party>,
}

/// A person or account in a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Party {
    /// Display name as the source shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Account identifier (wxid, QQ number, phone number, user id, e-mail address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Whether the device owner sent or received a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received by the device owner.
    Incoming,
    /// Sent by the device owner.
    Outgoing,
    /// The source does not say (most text exports).
    #[default]
    Unknown,
}

/// What a message is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Plain text.
    #[default]
    Text,
    /// A picture.
    Image,
    /// A voice message.
    Voice,
    /// A video.
    Video,
    /// A file.
    File,
    /// A sticker or custom emoji.
    Sticker,
    /// A location.
    Location,
    /// A link or app card (WeChat `appmsg`, shared articles, mini programs).
    Link,
    /// A money transfer (WeChat 转账, Alipay, bank transfer notices).
    Transfer,
    /// A red packet (红包).
    RedPacket,
    /// A voice or video call record.
    Call,
    /// A system or service message (joins, renames, encryption notices).
    System,
    /// A message the sender recalled (撤回); the body holds the notice.
    Recalled,
    /// A contact card.
    Contact,
    /// A poll.
    Poll,
}

/// A time as the source gave it, and the UTC instant derived from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgTime {
    /// The source's own value, verbatim (`"12/01/2023, 10:00"`, `"1700000000123"`).
    pub raw: String,
    /// What `raw` is: `wall` (local wall-clock text), `unix_s`, `unix_ms`, `unix_us`,
    /// `apple_s` (seconds since 2001-01-01), `apple_ns`, `rfc3339`, `rfc2822`, `wall_offset`
    /// (wall-clock text with the UTC offset written beside it).
    pub unit: String,
    /// The UTC instant, RFC 3339, when one could be derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc: Option<String>,
    /// The UTC offset at that instant in the zone used, e.g. `+08:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// How the zone was determined: `source` (the source states the offset or is an epoch),
    /// `given` (the examiner named the zone), `guessed` (assumed; say so in any report).
    pub zone_basis: String,
    /// The zone name used for wall times (`Asia/Shanghai`), when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// Where inside an evidence item a record came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// A byte range of a file (text exports), with the 1-based line where it starts.
    Bytes {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
        /// 1-based line number of `start`, for text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u64>,
    },
    /// A database row.
    Row {
        /// Table name.
        table: String,
        /// SQLite rowid or the table's key.
        rowid: i64,
    },
    /// A page and offset of a database file (recovered records).
    Page {
        /// Source: `freelist`, `freeblock`, `unallocated`, `wal frame N`, `journal`.
        source: String,
        /// 1-based page number.
        page: u64,
        /// Byte offset within the page.
        offset: u64,
    },
}

/// The bytes a record came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// SHA-256 of the evidence item (the preserved original).
    pub item_sha256: String,
    /// Path inside the item when it is a container, else `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_path: Option<String>,
    /// Where inside.
    pub location: Location,
    /// Parser id and version that read it, e.g. `whatsapp-txt 1`.
    pub parser: String,
}

/// An attachment a message refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name or path as the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// MIME type when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Size in bytes when the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256 of the evidence item holding the attachment, once matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_sha256: Option<String>,
    /// Whether the export left the media out (`<Media omitted>`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omitted: bool,
}

/// A sum of money named by a transfer or red packet, as written (never parsed to float).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Decimal text, e.g. `50000.00`.
    pub amount: String,
    /// ISO 4217 code when known (`CNY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// One message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Identifier: the source's own message id, else one derived from the location.
    pub id: String,
    /// [`Conversation::id`] of its conversation.
    pub conversation: String,
    /// Who sent it.
    pub sender: Party,
    /// Sent or received by the device owner.
    pub direction: Direction,
    /// What it is.
    pub kind: MessageKind,
    /// The text, or a description of the non-text content as the source gives it.
    pub body: String,
    /// When.
    pub time: MsgTime,
    /// Attachments referred to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Id of the message replied to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Whether the message was edited; its edit time when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<MsgTime>,
    /// Original sender of a forwarded message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<String>,
    /// Money named by a transfer or red packet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money: Option<Money>,
    /// Recovered from deleted space rather than read from a live record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
    /// Where it came from.
    pub provenance: Provenance,
    /// Source-specific fields worth keeping (raw type codes, XML), as JSON.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub extra: serde_json::Value,
}

/// A part of the input a parser could not read, kept so that nothing is silently dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unparsed {
    /// Where it is.
    pub provenance: Provenance,
    /// Why it could not be read.
    pub reason: String,
    /// The first bytes of it, lossily decoded, for a person to look at.
    pub excerpt: String,
}

/// Counts of one parse of one item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseReport {
    /// Parser id and version.
    pub parser: String,
    /// SHA-256 of the item parsed.
    pub item_sha256: String,
    /// Conversations found.
    pub conversations: u64,
    /// Messages parsed.
    pub messages: u64,
    /// Records not parsed (each is an [`Unparsed`]).
    pub unparsed: u64,
    /// Things a reader should know (a guessed zone, an ambiguous date order resolved late).
    #[serde(default)]
    pub warnings: Vec<String>,
}
