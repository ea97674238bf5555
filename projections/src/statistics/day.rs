//! Which day an instant counts on: the one place the statistics decide it. Days are UTC calendar days, stored
//! as whole days since 1970-01-01; counting in the user's time zone changes these functions only.

use chrono::{DateTime, NaiveDate, Utc};

/// The first day of the stored numbering.
const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

/// The day `at` counts on.
pub fn day_of(at: &DateTime<Utc>) -> i64 {
    day_number(at.date_naive())
}

/// The stored number of `date`.
pub fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(EPOCH).num_days()
}

/// The first instant of `date` and the first of the day after (exclusive); the last day the calendar has ends
/// at the last instant it can name. The inverse of [`day_of`]: an instant counts on `date` exactly when it lies
/// in these bounds.
pub fn bounds(date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = date.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = start
        .checked_add_signed(chrono::TimeDelta::days(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (start, end)
}

/// The date of a stored day number (the epoch for a number out of chrono's range, which no stored day is).
pub fn date_of(day: i64) -> NaiveDate {
    EPOCH
        .checked_add_signed(chrono::Duration::days(day))
        .unwrap_or(EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_day_runs_from_midnight_to_midnight_utc() {
        let first = Utc.with_ymd_and_hms(2025, 3, 9, 0, 0, 0).unwrap();
        let last = Utc.with_ymd_and_hms(2025, 3, 9, 23, 59, 59).unwrap();
        assert_eq!(day_of(&first), day_of(&last));
        assert_eq!(
            day_of(&last) + 1,
            day_of(&(last + chrono::Duration::seconds(1)))
        );
        assert_eq!(
            date_of(day_of(&first)),
            NaiveDate::from_ymd_opt(2025, 3, 9).unwrap()
        );
        assert_eq!(day_of(&Utc.timestamp_opt(0, 0).unwrap()), 0);
        assert_eq!(day_of(&Utc.timestamp_opt(-1, 0).unwrap()), -1);
    }

    #[test]
    fn the_bounds_of_a_day_hold_exactly_the_instants_that_count_on_it() {
        let date = NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
        let (start, end) = bounds(date);
        assert_eq!(date_of(day_of(&start)), date);
        assert_eq!(
            date_of(day_of(&(end - chrono::Duration::microseconds(1)))),
            date
        );
        assert_eq!(day_of(&end), day_of(&start) + 1);
    }

    #[test]
    fn the_last_day_of_the_calendar_ends_at_the_last_instant() {
        let (start, end) = bounds(NaiveDate::MAX);
        assert!(start < end);
    }
}
