//! `dateTime` values (RFC 3339 / xsd:dateTime) as instants, parsed without allocating.

/// A point in time: seconds since the Unix epoch and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Instant {
    secs: i64,
    nanos: u32,
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`. Without an offset the time is read as UTC
/// when `offset_optional` (xsd:dateTime allows that), and rejected otherwise (RFC 3339).
pub(crate) fn parse_instant(s: &str, offset_optional: bool) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let digit = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| u32::from(c - b'0'));
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = i64::from(two(0)? * 100 + two(2)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (month, day, hour, minute, second) = (two(5)?, two(8)?, two(11)?, two(14)?, two(17)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut p = 19;
    let mut nanos = 0u32;
    if b.get(p) == Some(&b'.') {
        p += 1;
        let start = p;
        while let Some(d) = digit(p) {
            if p - start < 9 {
                nanos = nanos * 10 + d;
            }
            p += 1;
        }
        let n = p - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(p) {
        Some(b'Z' | b'z') => {
            p += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let (hh, mm) = (two(p + 1)?, two(p + 4)?);
            if b.get(p + 3) != Some(&b':') || hh > 23 || mm > 59 {
                return None;
            }
            let off = i64::from(hh * 3600 + mm * 60);
            p += 6;
            if *sign == b'-' { -off } else { off }
        }
        None if offset_optional => 0,
        _ => return None,
    };
    if p != b.len() {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    Some(Instant { secs, nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_instant(s: &str) -> Instant {
        let t = chrono::DateTime::parse_from_rfc3339(s).unwrap();
        Instant { secs: t.timestamp(), nanos: t.timestamp_subsec_nanos() }
    }

    #[test]
    fn agrees_with_chrono() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-01-01T00:00:00Z",
            "2024-02-29T23:59:59.5Z",
            "2011-05-13T04:42:34.123456789Z",
            "2011-05-13T04:42:34.1234567891Z",
            "1999-12-31T23:00:00-05:30",
            "2025-06-30t12:00:00+14:00",
            "1900-03-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_instant(s, false), Some(chrono_instant(s)), "{s}");
        }
    }

    #[test]
    fn offsets_compare_as_instants() {
        let a = parse_instant("2024-01-01T01:00:00+01:00", false).unwrap();
        let b = parse_instant("2024-01-01T00:00:00Z", false).unwrap();
        assert_eq!(a, b);
        assert!(parse_instant("2024-01-01T00:00:00.001Z", false).unwrap() > b);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2024-01-01",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00Zjunk",
            "3ba5df37-fb76-5bbd-a6f4-91879aa2d212",
            "２０２４-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_instant(s, false), None, "{s}");
        }
        assert!(parse_instant("2024-01-01T00:00:00", false).is_none());
        assert!(parse_instant("2024-01-01T00:00:00", true).is_some());
    }
}
