//! Lines the sidecar could not count and knows it: `touchline_log_losses_total{reason}`.

use std::collections::BTreeMap;

/// Why lines were lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReason {
    /// A file was deleted before it was read to its end.
    Deleted,
    /// A file was truncated (copytruncate) past what was read, and no copy was found.
    Truncated,
    /// A rotated file could not be decompressed to its end.
    Corrupt,
}

impl LossReason {
    /// Every reason, in label order.
    pub const ALL: [LossReason; 3] = [
        LossReason::Corrupt,
        LossReason::Deleted,
        LossReason::Truncated,
    ];

    /// The `reason` label.
    pub fn as_str(self) -> &'static str {
        match self {
            LossReason::Deleted => "deleted",
            LossReason::Truncated => "truncated",
            LossReason::Corrupt => "corrupt",
        }
    }

    fn index(self) -> usize {
        match self {
            LossReason::Corrupt => 0,
            LossReason::Deleted => 1,
            LossReason::Truncated => 2,
        }
    }
}

/// Files in which lines were lost, by reason (each reason exposed from the start, at zero, so
/// that an alert on its increase fires on the first loss).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Losses([u64; 3]);

impl Losses {
    /// Counts one file with lost lines.
    pub fn add(&mut self, why: LossReason) {
        self.0[why.index()] += 1;
    }

    /// Adds another's.
    pub fn add_all(&mut self, other: &Losses) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Each reason with its count, in label order.
    pub fn iter(&self) -> impl Iterator<Item = (LossReason, u64)> + '_ {
        LossReason::ALL.into_iter().map(|r| (r, self.0[r.index()]))
    }

    /// As a checkpoint stores them.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.iter()
            .map(|(r, n)| (r.as_str().to_owned(), n))
            .collect()
    }

    /// From a checkpoint; an unknown reason is `Err` with its label.
    pub fn from_snapshot(snap: &BTreeMap<String, u64>) -> Result<Losses, String> {
        let mut out = Losses::default();
        for (label, n) in snap {
            let r = LossReason::ALL
                .into_iter()
                .find(|r| r.as_str() == label)
                .ok_or_else(|| label.clone())?;
            out.0[r.index()] += n;
        }
        Ok(out)
    }
}
