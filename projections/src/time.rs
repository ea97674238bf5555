//! Timestamps on the wire: ISO-8601 in UTC with an explicit `+00:00` offset, as the Omi API returns them.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Formats a timestamp the way the API returns it: RFC 3339 with as many fractional digits (none, 3, 6 or 9) as
/// it needs and a `+00:00` offset.
pub fn format(at: &DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(32);
    format_into(&mut out, at);
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_else(|_| at.to_rfc3339_opts(SecondsFormat::AutoSi, false))
}

/// [`format`], appended to `out` (the common years written digit by digit, the rest by chrono).
pub(crate) fn format_into(out: &mut Vec<u8>, at: &DateTime<Utc>) {
    let year = at.year();
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // Years chrono writes with a sign, and leap seconds.
        out.extend_from_slice(at.to_rfc3339_opts(SecondsFormat::AutoSi, false).as_bytes());
        return;
    }
    let digits = |out: &mut Vec<u8>, value: u32, width: u32| {
        for place in (0..width).rev() {
            out.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
        }
    };
    digits(out, year as u32, 4);
    out.push(b'-');
    digits(out, at.month(), 2);
    out.push(b'-');
    digits(out, at.day(), 2);
    out.push(b'T');
    digits(out, at.hour(), 2);
    out.push(b':');
    digits(out, at.minute(), 2);
    out.push(b':');
    digits(out, at.second(), 2);
    if nanos != 0 {
        out.push(b'.');
        if nanos.is_multiple_of(1_000_000) {
            digits(out, nanos / 1_000_000, 3);
        } else if nanos.is_multiple_of(1_000) {
            digits(out, nanos / 1_000, 6);
        } else {
            digits(out, nanos, 9);
        }
    }
    out.extend_from_slice(b"+00:00");
}

/// Microseconds since the Unix epoch: how read models store times in indexed columns.
pub fn micros(at: &DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// `serde(with = "omi_projections::time::iso")` for `DateTime<Utc>` fields.
pub mod iso {
    use super::*;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(at))
    }

    /// Reads what chrono reads, the form [`format`] writes without chrono's general parser.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        omi_domain::timestamp::deserialize(deserializer)
    }
}

/// `serde(with = "omi_projections::time::iso_option")` for `Option<DateTime<Utc>>` fields.
pub mod iso_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_some(&format(at)),
            None => serializer.serialize_none(),
        }
    }

    /// As [`super::iso::deserialize`], or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct At(#[serde(deserialize_with = "super::iso::deserialize")] DateTime<Utc>);
        Ok(Option::<At>::deserialize(deserializer)?.map(|At(at)| at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[derive(Debug, PartialEq, Deserialize)]
    struct Stamped {
        #[serde(with = "iso")]
        at: DateTime<Utc>,
        #[serde(with = "iso_option")]
        due: Option<DateTime<Utc>>,
    }

    #[test]
    fn reads_back_what_it_writes_and_what_chrono_reads() {
        let at = Utc.timestamp_opt(1_747_630_818, 661_561_000).unwrap();
        let read = |json: &str| serde_json::from_str::<Stamped>(json).ok();
        let written = format!(r#"{{"at":"{}","due":"{}"}}"#, format(&at), format(&at));
        assert_eq!(read(&written), Some(Stamped { at, due: Some(at) }));
        assert_eq!(
            read(r#"{"at":"2025-05-19T07:00:18.661561+02:00","due":null}"#),
            Some(Stamped { at, due: None })
        );
        assert_eq!(
            read(r#"{"at":"2025-05-19T05:00:18.661561Z"}"#),
            None,
            "a missing optional time is still an error, as before"
        );
        assert_eq!(read(r#"{"at":"yesterday","due":null}"#), None);
        assert_eq!(read(r#"{"at":"2025-05-19T05:00:18Z","due":"soon"}"#), None);
    }

    #[test]
    fn formats_as_chrono_does() {
        let mut cases: Vec<DateTime<Utc>> = vec![
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc.timestamp_opt(1_747_630_818, 661_561_000).unwrap(),
            Utc.timestamp_opt(1_747_630_818, 661_000_000).unwrap(),
            Utc.timestamp_opt(1_747_630_818, 1).unwrap(),
            Utc.timestamp_opt(1_747_630_818, 999_999_999).unwrap(),
            Utc.timestamp_opt(253_402_300_799, 0).unwrap(), // 9999-12-31T23:59:59
            Utc.timestamp_opt(253_402_300_800, 0).unwrap(), // year 10000
            Utc.timestamp_opt(-62_167_219_200, 0).unwrap(), // year 0
            Utc.timestamp_opt(-62_167_219_201, 5_000).unwrap(), // year -1
            // A leap second.
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        // A spread of ordinary instants with every kind of fraction.
        let mut seconds: i64 = 1_000_003;
        for n in 0..2_000u32 {
            seconds = (seconds * 7_919 + 104_729) % 4_000_000_000;
            let nanos = match n % 4 {
                0 => 0,
                1 => (n * 7 % 1_000) * 1_000_000,
                2 => (n * 7_919 % 1_000_000) * 1_000,
                _ => n * 104_729 % 1_000_000_000,
            };
            cases.push(Utc.timestamp_opt(seconds, nanos).unwrap());
        }
        for at in cases {
            assert_eq!(
                format(&at),
                at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
            );
        }
    }
}
