//! Reading the timestamps of stored events. The log holds them as chrono writes them (RFC 3339 in UTC, `Z`, with
//! 0, 3, 6 or 9 fractional digits); replaying the log reads at least one per event, and chrono's general parser
//! took a twentieth of the replay process's CPU. `deserialize` reads that form directly and leaves anything else (other
//! offsets, leap seconds, unusual years) to chrono, so it accepts exactly what chrono accepts.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{de, Deserializer};

use crate::Timestamp;

/// `#[serde(deserialize_with = "crate::timestamp::deserialize")]` for `Timestamp` fields.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    struct Visitor;

    impl de::Visitor<'_> for Visitor {
        type Value = Timestamp;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 timestamp")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Timestamp, E> {
            parse(value).map_err(E::custom)
        }
    }

    deserializer.deserialize_str(Visitor)
}

/// Parses a timestamp as chrono's `DateTime<Utc>` deserializer does.
pub fn parse(value: &str) -> Result<Timestamp, chrono::ParseError> {
    match parse_utc(value.as_bytes()) {
        Some(at) => Ok(at),
        None => value
            .parse::<DateTime<FixedOffset>>()
            .map(|at| at.with_timezone(&Utc)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+00:00)`, or `None` for anything else.
fn parse_utc(bytes: &[u8]) -> Option<Timestamp> {
    let number = |from: usize, to: usize| -> Option<u32> {
        let digits = bytes.get(from..to)?;
        digits.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let mut at = 19;
    let mut nanos = 0;
    if bytes[at] == b'.' {
        let start = at + 1;
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if end == start || end - start > 9 {
            return None;
        }
        nanos = number(start, end)? * 10u32.pow(9 - (end - start) as u32);
        at = end;
    }
    if &bytes[at..] != b"Z" && &bytes[at..] != b"+00:00" {
        return None;
    }
    if second > 59 {
        return None; // a leap second: chrono's rules
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(
        date.and_hms_nano_opt(hour, minute, second, nanos)?
            .and_utc(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{SecondsFormat, TimeZone};

    fn chrono_parse(value: &str) -> Option<Timestamp> {
        value
            .parse::<DateTime<FixedOffset>>()
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    #[test]
    fn reads_what_chrono_writes_as_chrono_reads_it() {
        let mut seconds: i64 = 1_000_003;
        for n in 0..3_000u32 {
            seconds = (seconds * 7_919 + 104_729) % 4_000_000_000;
            let nanos = match n % 4 {
                0 => 0,
                1 => (n * 7 % 1_000) * 1_000_000,
                2 => (n * 7_919 % 1_000_000) * 1_000,
                _ => n * 104_729 % 1_000_000_000,
            };
            let at = Utc.timestamp_opt(seconds, nanos).unwrap();
            for form in [
                at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                at.to_rfc3339_opts(SecondsFormat::AutoSi, false),
                at.to_rfc3339_opts(SecondsFormat::Millis, true),
            ] {
                // Every form chrono writes takes the fast path, and reads as chrono reads it.
                assert!(parse_utc(form.as_bytes()).is_some(), "{form}");
                assert_eq!(parse(&form).ok(), chrono_parse(&form), "{form}");
            }
            assert_eq!(
                parse(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)).ok(),
                Some(at)
            );
        }
    }

    #[test]
    fn leaves_other_forms_to_chrono_and_agrees_with_it() {
        for value in [
            "2025-05-19T05:00:18.661561+02:00",
            "2025-05-19T05:00:18-05:30",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
            "2025-05-19 05:00:18Z",
            "2025-05-19t05:00:18z",
            "2025-05-19T05:00:18.1234567891Z",
            "2025-05-19T05:00:18.Z",
            "2025-02-30T05:00:18Z",
            "2025-05-19T24:00:00Z",
            "2025-05-19T05:00:18",
            "2025-05-19T05:00:18ZZ",
            "+12025-05-19T05:00:18Z",
            "2025-5-19T05:00:18Z",
            "",
            "not a time",
        ] {
            assert_eq!(parse(value).ok(), chrono_parse(value), "{value:?}");
        }
        assert!(parse_utc(b"2016-12-31T23:59:60Z").is_none());
        assert!(parse_utc(b"2025-05-19T05:00:18+02:00").is_none());
    }

    #[test]
    fn deserializes_from_json() {
        let at: Timestamp = deserialize(&mut serde_json::Deserializer::from_str(
            "\"2025-05-19T05:00:18.661561Z\"",
        ))
        .unwrap();
        assert_eq!(at, Utc.timestamp_opt(1_747_630_818, 661_561_000).unwrap());
        let bad = deserialize(&mut serde_json::Deserializer::from_str("\"yesterday\""));
        assert!(bad.is_err());
    }
}
