//! Vietnam's calendar and clock, once: the offset (UTC+7, no daylight saving), days
//! since 1970 to a date and back (H. Hinnant's algorithms), and the texts the
//! checkout, the console and the bank feeds' reconciliation print. The merchants,
//! their customers and the banks' feeds all count days in Vietnam time.

/// Vietnam's offset from UTC, ms.
pub const VN_OFFSET_MS: i64 = 7 * 60 * 60 * 1000;

/// The proleptic Gregorian date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The day count since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date in Vietnam at a unix time in ms.
pub fn vn_date(ms: i64) -> (i64, u32, u32) {
    civil_from_days((ms + VN_OFFSET_MS).div_euclid(86_400_000))
}

/// `YYYY-MM-DD` in Vietnam at a unix time in ms.
pub fn vn_date_text(ms: i64) -> String {
    let (y, m, d) = vn_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_convert_both_ways() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn vietnam_days_begin_at_17_utc() {
        assert_eq!(vn_date_text(0), "1970-01-01");
        // 2024-10-03 16:59:59 UTC is 23:59:59 in Vietnam; a second later it is the 4th.
        assert_eq!(vn_date_text(1_727_974_799_000), "2024-10-03");
        assert_eq!(vn_date_text(1_727_974_800_000), "2024-10-04");
    }
}
