//! The request-time histogram of one path, in integer microseconds so that sums stay exact
//! across checkpoints and merges.

/// Histogram upper bounds in microseconds: 1 ms to 10 s, suited to a static site.
pub const BUCKETS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Latency histogram with non-cumulative buckets (an observation above the last bound is only
/// in `count`, as Prometheus' `+Inf`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hist {
    buckets: [u64; BUCKETS_US.len()],
    count: u64,
    sum_us: u64,
}

/// A checkpointed histogram has the wrong number of buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketCountMismatch {
    /// Buckets found.
    pub found: usize,
}

impl Hist {
    /// A histogram from its parts, as a checkpoint stores them.
    pub fn from_parts(
        buckets: &[u64],
        count: u64,
        sum_us: u64,
    ) -> Result<Hist, BucketCountMismatch> {
        let buckets = buckets.try_into().map_err(|_| BucketCountMismatch {
            found: buckets.len(),
        })?;
        Ok(Hist {
            buckets,
            count,
            sum_us,
        })
    }

    /// Counts one observation.
    #[inline]
    pub fn observe(&mut self, us: u64) {
        if let Some(b) = BUCKETS_US.iter().position(|le| us <= *le) {
            self.buckets[b] += 1;
        }
        self.count += 1;
        self.sum_us = self.sum_us.saturating_add(us);
    }

    /// Adds another histogram's observations. The sum saturates like [`Hist::observe`]'s, so a
    /// sum split between workers or checkpoints saturates exactly where one sum would.
    pub fn add(&mut self, other: &Hist) {
        for (b, v) in self.buckets.iter_mut().zip(other.buckets) {
            *b += v;
        }
        self.count += other.count;
        self.sum_us = self.sum_us.saturating_add(other.sum_us);
    }

    /// Non-cumulative counts per [`BUCKETS_US`] bound.
    pub fn buckets(&self) -> &[u64; BUCKETS_US.len()] {
        &self.buckets
    }

    /// Observations.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of observations in microseconds.
    pub fn sum_us(&self) -> u64 {
        self.sum_us
    }
}
