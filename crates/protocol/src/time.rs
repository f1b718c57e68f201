//! RFC 3339 timestamps for `tmux_state`'s `capturedAt`, with the standard
//! library only.
//!
//! The original server sent JavaScript's `Date.toISOString()`; this module
//! produces the same shape (`2026-11-30T05:57:02.123Z`: UTC, milliseconds,
//! `Z`) without pulling in a date crate for one field.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as an RFC 3339 UTC timestamp with milliseconds, like
/// `2026-11-30T05:57:02.123Z`.
///
/// ```
/// let now = tmux_mobile_protocol::rfc3339_now();
/// assert_eq!(now.len(), "2026-11-30T05:57:02.123Z".len());
/// assert!(now.ends_with('Z'));
/// ```
pub fn rfc3339_now() -> String {
    format_rfc3339(SystemTime::now())
}

/// Milliseconds since the Unix epoch, now (the `at` of an attention); 0 for
/// a clock set before 1970.
///
/// ```
/// assert!(tmux_mobile_protocol::unix_millis_now() > 1_700_000_000_000);
/// ```
pub fn unix_millis_now() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}

/// `time` as an RFC 3339 UTC timestamp with milliseconds. Times before 1970
/// are given as `1970-01-01T00:00:00.000Z` (a clock that far off is broken,
/// and the field is informational).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tmux_mobile_protocol::format_rfc3339;
/// let t = UNIX_EPOCH + Duration::from_millis(1_000_000_000_123);
/// assert_eq!(format_rfc3339(t), "2001-09-09T01:46:40.123Z");
/// ```
pub fn format_rfc3339(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let millis = since_epoch.subsec_millis();
    let days = secs / 86_400;
    let secs_of_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, millis: u64) -> String {
        format_rfc3339(UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis))
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(86_399, 999), "1970-01-01T23:59:59.999Z");
        assert_eq!(at(951_782_400, 0), "2000-02-29T00:00:00.000Z"); // leap day, /400 year
        assert_eq!(at(951_868_800, 0), "2000-03-01T00:00:00.000Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z"); // 2100 is not leap
        assert_eq!(at(4_107_456_000, 0), "2100-02-28T00:00:00.000Z");
        assert_eq!(at(1_709_208_000, 5), "2024-02-29T12:00:00.005Z");
        assert_eq!(at(1_798_761_599, 0), "2026-12-31T23:59:59.000Z");
        assert_eq!(at(253_402_300_799, 0), "9999-12-31T23:59:59.000Z");
    }

    #[test]
    fn before_epoch_is_clamped() {
        let t = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(format_rfc3339(t), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn every_day_of_four_centuries_is_consecutive() {
        // Walk day by day from 1970 to 2370 and check each date follows the
        // previous one by the calendar's rules.
        let days_in = |y: u64, m: u64| match m {
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut expected = (1970, 1, 1);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), expected, "day {days}");
            let (y, m, d) = expected;
            expected = if d < days_in(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn now_is_after_this_code_was_written() {
        let now = rfc3339_now();
        assert!(now.as_str() > "2026-01-01T00:00:00.000Z", "{now}");
    }
}
