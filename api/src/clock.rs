//! The clock of daily summaries: the system clock, or for tests one that starts at a chosen instant
//! (`OMI_TEST_CLOCK_START`) and runs at the normal pace from there, so that a test can stand at 22:05 on a given
//! day without waiting for it.

use chrono::{DateTime, TimeDelta, Utc};

/// Now, as daily summaries read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// Added to the system clock.
    offset: TimeDelta,
}

impl Clock {
    /// The system clock, or one that reads `start` now when given.
    pub fn starting_at(start: Option<DateTime<Utc>>) -> Self {
        Self {
            offset: start.map_or(TimeDelta::zero(), |start| start - Utc::now()),
        }
    }

    /// The current instant, to the microsecond (what the log keeps of a time).
    pub fn now(&self) -> DateTime<Utc> {
        let at = Utc::now() + self.offset;
        DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_started_in_the_past_runs_from_there() {
        let start = DateTime::parse_from_rfc3339("2026-12-01T22:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let now = Clock::starting_at(Some(start)).now();
        assert!(now >= start && now - start < TimeDelta::seconds(5), "{now}");
        let system = Clock::starting_at(None).now();
        assert!((system - Utc::now()).num_seconds().abs() < 5);
    }
}
