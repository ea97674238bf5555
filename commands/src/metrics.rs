//! Counters the write side keeps for the operators' `/metrics`: lock-free, process-wide.

use std::sync::atomic::{AtomicU64, Ordering};

/// A histogram with fixed upper bounds, in the Prometheus sense: each bucket counts the observations at or
/// below its bound (cumulative when rendered), plus their sum and count.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One counter per bound, and one for the observations above the last.
    buckets: Vec<AtomicU64>,
    /// The sum of the observations in millionths (an atomic float would need a compare loop).
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, value: f64) {
        let at = self
            .bounds
            .iter()
            .position(|bound| value <= *bound)
            .unwrap_or(self.bounds.len());
        self.buckets[at].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((value.max(0.0) * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// (upper bound, cumulative count) per bucket, the last with an infinite bound; then the sum and the count.
    pub fn snapshot(&self) -> (Vec<(f64, u64)>, f64, u64) {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(self.buckets.len());
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let bound = self.bounds.get(i).copied().unwrap_or(f64::INFINITY);
            buckets.push((bound, cumulative));
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        (buckets, sum, self.count.load(Ordering::Relaxed))
    }
}

/// Appends per group-commit batch of the event log writer (one batch is one statement and one commit).
pub fn append_batches() -> &'static Histogram {
    static APPEND_BATCHES: std::sync::OnceLock<Histogram> = std::sync::OnceLock::new();
    APPEND_BATCHES.get_or_init(|| {
        Histogram::new(&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0])
    })
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn buckets_are_cumulative_and_the_last_is_unbounded() {
        let histogram = Histogram::new(&[1.0, 10.0]);
        for value in [0.5, 1.0, 3.0, 10.0, 11.0] {
            histogram.observe(value);
        }
        let (buckets, sum, count) = histogram.snapshot();
        assert_eq!(buckets, vec![(1.0, 2), (10.0, 4), (f64::INFINITY, 5)]);
        assert_eq!(count, 5);
        assert!((sum - 25.5).abs() < 1e-9);
    }
}
