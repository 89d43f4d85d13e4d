//! Who acts, when, and where: injected so that tests can fix the clock and the key.

use cunzheng_seal::keys::Signer;
use cunzheng_seal::sm2key::Sm2Signer;
use jiff::{Timestamp, ZonedDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now, with the examiner's local offset.
    fn now(&self) -> ZonedDateTime;
}

/// The system clock and time zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> ZonedDateTime {
        ZonedDateTime::now()
    }
}

/// A clock that always says the same instant (tests, reproducible demos). Labelled as such in
/// nothing it writes, so never use it for real cases.
#[derive(Debug, Clone)]
pub struct FixedClock(pub ZonedDateTime);

impl Clock for FixedClock {
    fn now(&self) -> ZonedDateTime {
        self.0.clone()
    }
}

/// The acting examiner and their surroundings.
pub struct Actor {
    /// Name as it should appear in the custody log and report.
    pub name: String,
    /// Their signing key.
    pub signer: Box<dyn Signer>,
    /// Their SM2 key, signing every statement and custody event beside `signer`.
    pub sm2: Option<Sm2Signer>,
    /// Clock.
    pub clock: Box<dyn Clock>,
    /// Host name.
    pub host: String,
    /// Tool name and version.
    pub tool: String,
}

impl Actor {
    /// An actor with the system clock and this machine's host name.
    pub fn new(name: impl Into<String>, signer: Box<dyn Signer>) -> Self {
        Self {
            name: name.into(),
            signer,
            sm2: None,
            clock: Box::new(SystemClock),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            tool: format!("cunzheng {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The same actor, also signing with an SM2 key.
    pub fn with_sm2(mut self, key: Sm2Signer) -> Self {
        self.sm2 = Some(key);
        self
    }

    /// Now as (RFC 3339 UTC, local offset like `+08:00`).
    pub fn now_parts(&self) -> (String, String) {
        let z = self.clock.now();
        (utc_text(z.timestamp()), offset_text(&z))
    }
}

/// RFC 3339 UTC with up to nanoseconds, e.g. `2026-11-28T10:00:00.5Z`.
pub fn utc_text(t: Timestamp) -> String {
    t.to_string()
}

/// The UTC offset of a zoned time as `+HH:MM`.
pub fn offset_text(z: &ZonedDateTime) -> String {
    let secs = z.offset().seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}
