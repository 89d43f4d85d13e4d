//! Turning the times sources write into [`MsgTime`]: the raw value kept, the UTC instant
//! derived, and how.

use cunzheng_model::MsgTime;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::source::Options;

/// The zone to interpret wall-clock times in, and whether it was given or guessed.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    name: String,
    basis: &'static str,
}

impl Zone {
    /// From parse options: the examiner's zone (`given`), else the fallback (`guessed`),
    /// else `Asia/Shanghai` (`guessed`). An unknown zone name falls back with a warning.
    pub fn from_options(opts: &Options) -> (Self, Option<String>) {
        if let Some(name) = &opts.zone {
            match TimeZone::get(name) {
                Ok(tz) => {
                    return (
                        Self {
                            tz,
                            name: name.clone(),
                            basis: "given",
                        },
                        None,
                    );
                }
                Err(_) => {
                    let (z, _) = Self::from_options(&Options {
                        zone: None,
                        ..opts.clone()
                    });
                    return (
                        z,
                        Some(format!("unknown time zone `{name}`; times are guessed")),
                    );
                }
            }
        }
        let name = opts
            .fallback_zone
            .clone()
            .unwrap_or_else(|| "Asia/Shanghai".to_owned());
        let tz = TimeZone::get(&name).unwrap_or(TimeZone::UTC);
        (
            Self {
                tz,
                name,
                basis: "guessed",
            },
            None,
        )
    }

    /// A zone by name, marked as given (tests and explicit settings).
    pub fn given(name: &str) -> Option<Self> {
        Some(Self {
            tz: TimeZone::get(name).ok()?,
            name: name.to_owned(),
            basis: "given",
        })
    }

    /// The zone name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the zone was guessed.
    pub fn is_guessed(&self) -> bool {
        self.basis == "guessed"
    }

    /// A wall-clock time in this zone. In a DST gap or fold the earlier reading is taken
    /// (RFC 5545 "compatible"), which is what phones display.
    pub fn wall(&self, raw: &str, dt: DateTime) -> MsgTime {
        match self.tz.to_ambiguous_zoned_datetime(dt).compatible() {
            Ok(z) => MsgTime {
                raw: raw.to_owned(),
                unit: "wall".into(),
                utc: Some(z.timestamp().to_string()),
                offset: Some(offset_text(z.offset().seconds())),
                zone_basis: self.basis.into(),
                zone: Some(self.name.clone()),
            },
            Err(_) => unresolved(raw, "wall"),
        }
    }

    /// An instant from the source (epoch or explicit offset), shown with this zone's offset.
    pub fn instant(&self, raw: &str, unit: &str, ts: Timestamp) -> MsgTime {
        let offset = self.tz.to_offset(ts);
        MsgTime {
            raw: raw.to_owned(),
            unit: unit.to_owned(),
            utc: Some(ts.to_string()),
            offset: Some(offset_text(offset.seconds())),
            zone_basis: "source".into(),
            zone: Some(self.name.clone()),
        }
    }

    /// Seconds, milliseconds, microseconds or nanoseconds since 1970 (`unit`: `unix_s`,
    /// `unix_ms`, `unix_us`, `unix_ns`), or Apple's 2001 epoch (`apple_s`, `apple_ns`).
    pub fn epoch(&self, raw: &str, unit: &str, value: i64) -> MsgTime {
        const APPLE: i64 = 978_307_200;
        let ts = match unit {
            "unix_s" => Timestamp::from_second(value),
            "unix_ms" => Timestamp::from_millisecond(value),
            "unix_us" => Timestamp::from_microsecond(value),
            "unix_ns" => Timestamp::from_nanosecond(value as i128),
            "apple_s" => Timestamp::from_second(value.saturating_add(APPLE)),
            "apple_ns" => Timestamp::from_nanosecond(value as i128)
                .and_then(|t| t.checked_add(APPLE.seconds())),
            _ => return unresolved(raw, unit),
        };
        match ts {
            Ok(ts) => self.instant(raw, unit, ts),
            Err(_) => unresolved(raw, unit),
        }
    }
}

/// A time whose instant could not be derived: the raw value is kept, nothing is claimed.
pub fn unresolved(raw: &str, unit: &str) -> MsgTime {
    MsgTime {
        raw: raw.to_owned(),
        unit: unit.to_owned(),
        utc: None,
        offset: None,
        zone_basis: "unknown".into(),
        zone: None,
    }
}

/// `+HH:MM` from seconds east of UTC.
pub fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_across_a_dst_change() {
        let z = Zone::given("Europe/Berlin").expect("zone");
        // 2023-03-26 02:30 does not exist in Berlin; compatible takes the offset before the gap.
        let t = z.wall(
            "26.03.23, 02:30",
            jiff::civil::date(2023, 3, 26).at(2, 30, 0, 0),
        );
        assert_eq!(t.utc.as_deref(), Some("2023-03-26T01:30:00Z"));
        let t = z.wall("x", jiff::civil::date(2023, 3, 26).at(3, 30, 0, 0));
        assert_eq!(t.offset.as_deref(), Some("+02:00"));
        assert_eq!(t.utc.as_deref(), Some("2023-03-26T01:30:00Z"));
        assert_eq!(t.zone_basis, "given");
    }

    #[test]
    fn epochs() {
        let z = Zone::given("Asia/Shanghai").expect("zone");
        let t = z.epoch("1700000000123", "unix_ms", 1_700_000_000_123);
        assert_eq!(t.utc.as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(t.offset.as_deref(), Some("+08:00"));
        assert_eq!(t.zone_basis, "source");
        let t = z.epoch("0", "apple_s", 0);
        assert_eq!(t.utc.as_deref(), Some("2001-01-01T00:00:00Z"));
        let t = z.epoch("x", "unix_s", i64::MAX);
        assert_eq!(t.utc, None);
    }
}
