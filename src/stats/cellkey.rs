//! Cell-key perturbation: the published view's counts (docs/DOMAIN.md §9).
//!
//! # Specification
//!
//! Every request carries a secret **record key**, a number drawn uniformly
//! from `0 … 2³² − 1` when it is inserted and never changed or shown. A
//! **cell** is a count of requests together with the sum of their record
//! keys modulo 2³², its **cell key** ([`Cell`]). Cells add: the cell of a
//! union of disjoint sets is the sum of their cells, and that of a
//! difference their difference.
//!
//! A published count is `n + e`, where `e` is the **noise** of the cell
//! ([`noise`]): a fixed function of the true count `n` and the cell key.
//! With `u = key / 2³²` (uniform on `[0, 1)` for any non-empty cell, since
//! one uniform key in the sum makes it uniform), `e` is the value of the
//! perturbation table below whose cumulative probability first exceeds
//! `u`:
//!
//! ```text
//! e     −2    −1     0    +1    +2
//! p    0.1   0.2   0.4   0.2   0.1
//! ```
//!
//! Noise never makes a count negative: for `n = 1` the probability of `−2`
//! goes to `−1`. An empty cell (`n = 0`) is published as `0`: it identifies
//! nobody. So `e` is bounded (`|e| ≤ 2`), has mean 0 for `n ≥ 2`
//! (`+0.1` for `n = 1`) and variance 1.2.
//!
//! Why this defeats differencing: the same requests always make the same
//! cell, hence the same published count — asking again, or through another
//! filter that selects the same requests, teaches nothing new. Two cells
//! that differ by one request have keys that differ by that request's
//! secret key, so their noises are independent, and their difference is
//! `1 ± up to 4`, not `1`. Published counts from 1 to the threshold − 1
//! are then hidden as before, which leaves a published `0` ambiguous too
//! (it may be a 0, 1 or 2).

/// The number of distinct record keys, and the modulus of cell keys.
pub const KEY_SPACE: u64 = 1 << 32;

/// The largest noise, either way.
pub const MAX_NOISE: u64 = 2;

/// Added to the key of a sum of victims: such a cell is keyed by the
/// requests its victims are counted for, often the very requests of the
/// `executed` cell beside it, and two cells with one key share one noise —
/// their published difference would be exact.
pub const VICTIMS_SALT: u32 = 0x9e37_79b9;

/// The noise values and their probabilities, in tenths: the perturbation
/// table of the module documentation.
const PTABLE: [(i64, u64); 5] = [(-2, 1), (-1, 2), (0, 4), (1, 2), (2, 1)];

/// A count of requests and the sum of their record keys modulo 2³².
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub count: u64,
    pub key: u32,
}

impl Cell {
    /// From what SQL returns: a count and a plain sum of keys (possibly a
    /// difference of sums, hence negative).
    pub fn of(count: i64, key_sum: i64) -> Cell {
        Cell {
            count: count.max(0) as u64,
            key: key_sum.rem_euclid(KEY_SPACE as i64) as u32,
        }
    }

    /// The cell of the union of two disjoint sets.
    pub fn plus(self, other: Cell) -> Cell {
        Cell {
            count: self.count + other.count,
            key: self.key.wrapping_add(other.key),
        }
    }

    /// The same count under another key: `salt` added to it.
    pub fn salted(self, salt: u32) -> Cell {
        Cell {
            count: self.count,
            key: self.key.wrapping_add(salt),
        }
    }

    /// The count as published: `count + noise`, never negative.
    pub fn published(self) -> u64 {
        self.count.saturating_add_signed(noise(self))
    }
}

/// The cell's noise (see the module documentation).
pub fn noise(cell: Cell) -> i64 {
    if cell.count == 0 {
        return 0;
    }
    // u = key / 2³² compared with cumulative tenths: key · 10 < cum · 2³².
    let scaled = u64::from(cell.key) * 10;
    let mut cumulative = 0;
    let mut e = 0;
    for (value, tenths) in PTABLE {
        cumulative += tenths;
        if scaled < cumulative * KEY_SPACE {
            e = value;
            break;
        }
    }
    e.max(-(cell.count as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_follows_the_table_over_the_key_space() {
        // The key space in 10 equal slices: 1, 2, 4, 2, 1 of them per
        // value; `from(i)` is the first key with u ≥ i / 10.
        let from = |i: u64| (i * KEY_SPACE).div_ceil(10);
        let at = |k: u64| {
            noise(Cell {
                count: 50,
                key: k as u32,
            })
        };
        let expected = [(0, -2), (1, -1), (3, 0), (7, 1), (9, 2)];
        for (i, e) in expected {
            assert_eq!(at(from(i)), e, "first key of {e}");
            if i > 0 {
                assert_eq!(at(from(i) - 1), e - 1, "last key before {e}");
            }
        }
        assert_eq!(at(KEY_SPACE - 1), 2);
    }

    #[test]
    fn noise_is_bounded_and_counts_stay_natural() {
        for count in 0..6 {
            for k in (0..KEY_SPACE).step_by(7_919_113) {
                let cell = Cell {
                    count,
                    key: k as u32,
                };
                let e = noise(cell);
                assert!((-2..=2).contains(&e));
                assert_eq!(cell.published() as i64, count as i64 + e);
            }
        }
        assert_eq!(Cell { count: 0, key: 0 }.published(), 0, "empty stays 0");
        assert_eq!(Cell { count: 1, key: 0 }.published(), 0, "−2 becomes −1");
    }

    #[test]
    fn the_noise_distribution_matches_the_table() {
        // An independent count: over evenly spread keys, each value's share
        // is its probability.
        let mut seen = std::collections::BTreeMap::new();
        let steps = 100_000u64;
        for i in 0..steps {
            let key = (i * KEY_SPACE / steps) as u32;
            *seen.entry(noise(Cell { count: 9, key })).or_insert(0u64) += 1;
        }
        let share = |e: i64| seen[&e] as f64 / steps as f64;
        for (e, p) in [(-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1)] {
            assert!((share(e) - p).abs() < 1e-3, "{e}: {}", share(e));
        }
    }

    #[test]
    fn cells_add_and_subtract_modulo_the_key_space() {
        let a = Cell::of(3, 3 * (KEY_SPACE as i64 - 1));
        let b = Cell::of(1, 5);
        assert_eq!(a.plus(b), Cell::of(4, 3 * (KEY_SPACE as i64 - 1) + 5));
        assert_eq!(Cell::of(2, -1).key, u32::MAX);
        assert_eq!(a.plus(b).count, 4);
    }
}
