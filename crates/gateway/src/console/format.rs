//! How the console writes times and amounts: Vietnam time (UTC+7, no daylight
//! saving), `YYYY-MM-DD HH:MM:SS`, and VND with dot separators, as merchants read
//! them elsewhere.

use appotapay_protocol::Amount;

pub use crate::domain::calendar::VN_OFFSET_MS;
use crate::domain::calendar::{civil_from_days as civil, days_from_civil};

/// A unix time in ms as Vietnam time, `YYYY-MM-DD HH:MM:SS`.
pub fn vn_time(ms: i64) -> String {
    let local = ms + VN_OFFSET_MS;
    let (days, rest) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000) / 1000);
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60)
}

/// The value of an `<input type="datetime-local">` (`YYYY-MM-DDTHH:MM`) for a time.
pub fn vn_input(ms: i64) -> String {
    let t = vn_time(ms);
    format!("{}T{}", &t[..10], &t[11..16])
}

/// An `<input type="datetime-local">` value, read as Vietnam time; `None` when it
/// is not one.
pub fn parse_vn_input(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (d.next()?.parse::<i64>().ok()?, d.next()?.parse::<u32>().ok()?, d.next()?.parse::<u32>().ok()?);
    let mut t = time.splitn(3, ':');
    let (h, min) = (t.next()?.parse::<i64>().ok()?, t.next()?.parse::<i64>().ok()?);
    let sec = match t.next() {
        Some(s) => s.split('.').next()?.parse::<i64>().ok()?,
        None => 0,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(0..24).contains(&h) || !(0..60).contains(&min) {
        return None;
    }
    if !(0..60).contains(&sec) || !(1970..=9999).contains(&y) {
        return None;
    }
    let days = days_from_civil(y, m, day);
    if civil(days) != (y, m, day) {
        return None;
    }
    Some(days * 86_400_000 + (h * 3600 + min * 60 + sec) * 1000 - VN_OFFSET_MS)
}

/// VND as `1.250.000 ₫`.
pub fn vnd(amount: i64) -> String {
    Amount::vnd(amount).format_vi()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnam_time_is_utc_plus_seven() {
        assert_eq!(vn_time(0), "1970-01-01 07:00:00");
        // 2026-12-02T10:40:23Z
        assert_eq!(vn_time(1_796_208_023_000), "2026-12-02 17:40:23");
        assert_eq!(vn_input(1_796_208_023_000), "2026-12-02T17:40");
        assert_eq!(vn_time(951_782_400_000), "2000-02-29 07:00:00");
    }

    #[test]
    fn inputs_read_back() {
        assert_eq!(parse_vn_input("2026-12-02T17:40"), Some(1_796_208_000_000));
        assert_eq!(parse_vn_input("2026-12-02T17:40:23"), Some(1_796_208_023_000));
        assert_eq!(parse_vn_input("1970-01-01T07:00"), Some(0));
        for bad in ["", "2026-13-01T00:00", "2026-02-30T00:00", "2026-12-02 17:40", "x", "2026-12-02T25:00"] {
            assert_eq!(parse_vn_input(bad), None, "{bad}");
        }
        for ms in [0, 1_796_208_000_000, 951_782_400_000] {
            assert_eq!(parse_vn_input(&vn_input(ms)), Some(ms));
        }
    }
}
