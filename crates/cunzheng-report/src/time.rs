//! Time texts for readers: a UTC instant shown as wall time at its recorded offset.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

/// `+08:00`, `-05:30`, `Z` as seconds east of UTC.
pub fn offset_seconds(offset: &str) -> Option<i32> {
    if offset == "Z" {
        return Some(0);
    }
    let (sign, rest) = match offset.as_bytes().first()? {
        b'+' => (1, &offset[1..]),
        b'-' => (-1, &offset[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// `2024-03-02 20:15:03 +08:00` for UTC `2024-03-02T12:15:03Z` and offset `+08:00`.
pub fn local_text(utc: &str, offset: &str) -> Option<String> {
    let ts: Timestamp = utc.parse().ok()?;
    let off = Offset::from_seconds(offset_seconds(offset)?).ok()?;
    let z = ts.to_zoned_datetime(TimeZone::fixed(off));
    Some(format!("{} {offset}", z.strftime("%Y-%m-%d %H:%M:%S")))
}

/// The calendar date (`YYYY-MM-DD`) of an instant at an offset.
pub fn local_date(utc: &str, offset: &str) -> Option<String> {
    local_text(utc, offset).map(|t| t.chars().take(10).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_wall_time_at_offset() {
        assert_eq!(
            local_text("2024-03-02T12:15:03Z", "+08:00").as_deref(),
            Some("2024-03-02 20:15:03 +08:00")
        );
        assert_eq!(
            local_text("2024-03-02T02:15:03.5Z", "-05:30").as_deref(),
            Some("2024-03-01 20:45:03 -05:30")
        );
        assert_eq!(local_text("nonsense", "+08:00"), None);
        assert_eq!(local_text("2024-03-02T12:15:03Z", "+99:00"), None);
    }
}
