//! A set of visitor hashes in shards, sized so that a set full at its bound takes about 11
//! bytes an entry. One `HashSet` doubles when 7/8 full, so a million entries would take 2^21
//! slots of 9 bytes (19 MB), and 28 MB while it grows; shards of at most about 55,000 entries
//! each stay within 2^16 slots (holding up to 57,344), and grow one at a time. The hashes are
//! uniform (keyed SipHash-1-3), so they spread evenly over the shards.

use std::collections::HashSet;

use crate::hash::FastBuild;

/// Entries a shard is meant to hold when its set is full: under 7/8 of 2^16 (57,344), with
/// room for the spread of a random split (its standard deviation is about 235).
const SHARD_ENTRIES: usize = 55_000;

/// Visitor hashes, in shards.
#[derive(Debug, Clone)]
pub struct HashSet64 {
    shards: Vec<HashSet<u64, FastBuild>>,
    len: usize,
}

impl HashSet64 {
    /// An empty set for up to `bound` entries (more fit, in larger shards).
    pub fn for_bound(bound: usize) -> HashSet64 {
        let n = bound.div_ceil(SHARD_ENTRIES).clamp(1, 4096);
        HashSet64 {
            shards: vec![HashSet::default(); n],
            len: 0,
        }
    }

    #[inline]
    fn shard(&self, v: u64) -> usize {
        // The high half picks the shard; the table hashes the whole value again.
        (((v >> 32) * self.shards.len() as u64) >> 32) as usize
    }

    /// Whether `v` is in the set.
    #[inline]
    pub fn contains(&self, v: u64) -> bool {
        self.shards[self.shard(v)].contains(&v)
    }

    /// Adds `v`; `true` if it was not there.
    #[inline]
    pub fn insert(&mut self, v: u64) -> bool {
        let i = self.shard(v);
        let new = self.shards[i].insert(v);
        self.len += usize::from(new);
        new
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.shards.iter().flat_map(|s| s.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_full_at_its_default_bound_keeps_every_shard_within_2_16_slots() {
        let bound = crate::visitors::DEFAULT_MAX_VISITORS;
        let mut set = HashSet64::for_bound(bound);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..bound {
            // splitmix64: uniform like the keyed hashes.
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            set.insert(z ^ (z >> 31));
        }
        assert_eq!(set.len(), bound);
        // A hashbrown table of 2^16 buckets holds at most 7/8 of them.
        let largest = set.shards.iter().map(|s| s.capacity()).max();
        assert_eq!(largest, Some(57_344));
    }

    #[test]
    fn an_entry_is_found_after_insertion_and_counted_once() {
        let mut set = HashSet64::for_bound(200_000);
        assert!(set.insert(42));
        assert!(!set.insert(42));
        assert!(set.contains(42) && !set.contains(43));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![42]);
        assert_eq!(set.len(), 1);
    }
}
