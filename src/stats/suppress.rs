//! Small-cell suppression for the figures the `analyst` role sees
//! (docs/DOMAIN.md §9, "Disclosure control").
//!
//! The advocacy team publishes per-country tables. A count of 1 to
//! `threshold − 1` requests (or victims) about one country can point at a
//! single case, so it is hidden (`null`, its field listed in `suppressed`).
//! Hiding it is not enough when the table also publishes the arithmetic it
//! obeys — a row's `requests` is the sum of its status groups, the totals row
//! is the sum of the countries — so more cells are hidden until no hidden
//! count can be rebuilt from the published ones. [`suppress`] does both.
//!
//! # The relations are data
//!
//! What an attacker may combine is declared by the caller as [`Relations`]:
//! per-row sums (`total = Σ parts`, in every country row and in the totals
//! row) and per-column totals (`totals[c] = Σ rows[c]`). [`COUNTRY_TABLE`] is
//! the set for `GET /stats/countries`. Inequalities are *not* modelled as
//! protection: `abandoned_no_response ≤ abandoned` is declared as
//! `abandoned = abandoned_no_response + abandoned_other` with
//! `abandoned_other` an [unpublished](Relations::unpublished) quantity (an
//! unknown in every row that is never shown and never needs protecting), and
//! likewise `requests = answered + unanswered`. As equations these add no
//! information (the unpublished part absorbs them), which is the honest
//! reading: they give the attacker bounds, not values — see "What is not
//! covered" below.
//!
//! # Algorithm
//!
//! 1. **Primary**: every cell with `1 ≤ value ≤ threshold − 1` is suppressed.
//!    `0` is published: "no request to this country was refused" identifies
//!    no case, and the table is useless if every zero is hidden. The
//!    consequence, stated here because the rule is public: a `null` is never
//!    a zero, so the attacker knows every hidden cell is at least 1.
//! 2. **Secondary, by relation** (docs/DOMAIN.md §9.3, step 1), repeated
//!    until nothing changes: every relation in which exactly one cell is
//!    unknown, and that cell is suppressed, gets one more cell suppressed —
//!    the smallest non-zero published *part* of it; only if there is none,
//!    the relation's total. Zeros are never chosen: a hidden zero sitting next
//!    to a hidden small count makes the pair's published sum equal to the
//!    small count itself, and "the other hidden cell is 0" is the attacker's
//!    best guess in a sparse table (most cells are zero), so the suppression
//!    would protect nothing in practice. With the relations this module
//!    accepts (`total = Σ parts`, all counts non-negative) a non-zero
//!    candidate always exists: if every other published cell were 0 the
//!    lone unknown would be 0 too, and zeros are never suppressed. (Zeros are
//!    still used as a last resort, should a caller's data break that.)
//! 3. **Secondary, exact**: step 2 only looks at relations one at a time and
//!    is known not to be enough — two "rectangles" of hidden cells joined by
//!    one hidden cell leave every relation with two or more unknowns, yet the
//!    joining cell is the difference of two row sums and two column sums (the
//!    test `relation_rule_alone_leaks_a_bridge_cell` builds one). So the
//!    relations are then eliminated exactly (Gauss–Jordan over the
//!    rationals, pivoting only on unknown cells): a hidden cell is determined
//!    exactly when some combination of relations contains no other unknown.
//!    That combination's published cells are the ones whose suppression
//!    breaks it; the smallest non-zero one (preferring cells that are not a
//!    relation's total) is suppressed, and steps 2–3 repeat. Each round
//!    hides one more cell and hiding cells never makes another one
//!    determinable, so this ends.
//!
//! Ties are broken by position (row order, then column name), so the output
//! is a function of the input: the caller must pass the rows in a stable
//! order (e.g. by country code) or two identical queries could hide
//! different cells — and publishing both would undo the protection.
//!
//! # Derived figures
//!
//! Medians, shares and rates built on fewer than `threshold` requests are
//! hidden ([`derived_publishable`]). A derived figure must also be hidden
//! whenever it, with the published counts, gives back a hidden count:
//! `response_rate = answered / requests`, so it must be `null` when either
//! is suppressed (`rate × requests = answered`). Likewise Kaplan–Meier
//! curves publish `at_risk`, whose first value is `requests`.
//!
//! # What is not covered
//!
//! The guarantee (and the test auditor that checks it) is about *exact*
//! disclosure through the declared *linear equalities* of *one* table:
//!
//! * **Bounds.** Counts are non-negative integers, hidden ones are ≥ 1 (zeros
//!   are published), `abandoned_no_response ≤ abandoned`, `answered ≤
//!   requests`. From `x + y = 6` with both hidden the attacker learns
//!   `1 ≤ x ≤ 5` — an interval, not a value, but with small sums it can be
//!   narrow. No interval (protection-range) requirement is enforced.
//! * **Other tables and queries.** Two periods or filters that differ by one
//!   request (`sent_to` moved by a day, one `offence` more) can be
//!   subtracted; the abandonment-reason and refusal-ground tables share
//!   margins with this one. Each call protects its own table only.
//! * **Undeclared relations.** Whatever the caller does not declare (e.g. an
//!   executed request has necessarily been answered) is not considered.

use std::collections::{BTreeMap, BTreeSet};

/// The count fields of `GET /stats/countries`, in the API's column order.
pub const COUNTRY_COUNTS: [&str; 10] = [
    "requests",
    "answered",
    "pending",
    "executed",
    "partially_executed",
    "refused",
    "withdrawn",
    "abandoned",
    "abandoned_no_response",
    "victims_identified",
];

/// The arithmetic of the country table (docs/DOMAIN.md §9.3): every request
/// is in exactly one of the six status groups; `abandoned_no_response` and
/// `answered` are bounded by unpublished complements; every column's total
/// (including the unpublished complements', which is implied) is the sum over
/// the countries.
pub const COUNTRY_TABLE: Relations = Relations {
    row_sums: &[
        RowSum {
            total: "requests",
            parts: &[
                "pending",
                "executed",
                "partially_executed",
                "refused",
                "withdrawn",
                "abandoned",
            ],
        },
        RowSum {
            total: "abandoned",
            parts: &["abandoned_no_response", "abandoned_other"],
        },
        RowSum {
            total: "requests",
            parts: &["answered", "unanswered"],
        },
    ],
    column_totals: &[
        "requests",
        "answered",
        "pending",
        "executed",
        "partially_executed",
        "refused",
        "withdrawn",
        "abandoned",
        "abandoned_no_response",
        "victims_identified",
        "abandoned_other",
        "unanswered",
    ],
    unpublished: &["abandoned_other", "unanswered"],
};

/// The exact counts of one table: one row per country (or reason, or
/// bucket) and the totals row. Every row must have the same fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Row>,
    pub totals: Row,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Carried through to the output (e.g. the country code).
    pub label: String,
    pub cells: BTreeMap<&'static str, u64>,
}

/// The linear equalities an attacker can combine, as declared by the caller.
#[derive(Clone, Copy, Debug)]
pub struct Relations {
    /// Each holds in every row, the totals row included.
    pub row_sums: &'static [RowSum],
    /// `totals[c] = Σ rows[c]` for each named field `c`.
    pub column_totals: &'static [&'static str],
    /// Quantities the relations mention that are not in the table (never
    /// shown, never protected): unknowns to the attacker in every row.
    pub unpublished: &'static [&'static str],
}

/// `total = Σ parts` within one row.
#[derive(Clone, Copy, Debug)]
pub struct RowSum {
    pub total: &'static str,
    pub parts: &'static [&'static str],
}

/// The table as it may be shown: hidden values are `None` and named in
/// `suppressed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub rows: Vec<PublishedRow>,
    pub totals: PublishedRow,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedRow {
    pub label: String,
    pub cells: BTreeMap<&'static str, Option<u64>>,
    /// The fields whose value is `None`, for the API's `"suppressed"`.
    pub suppressed: BTreeSet<&'static str>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SuppressError {
    #[error("row {row:?} does not have the same fields as the totals row")]
    Fields { row: String },
    #[error("relation field {0:?} is neither a column of the table nor declared unpublished")]
    UnknownField(&'static str),
    #[error("field {0:?} is declared unpublished but is a column of the table")]
    PublishedUnpublished(&'static str),
    /// The counts do not obey a declared relation: either the aggregation or
    /// the declaration is wrong, and protection computed from a wrong
    /// declaration would be worthless.
    #[error("row {row:?} does not satisfy {relation}")]
    Inconsistent { row: String, relation: String },
    /// Exact elimination outgrew `i128` fractions; nothing is published
    /// rather than something unchecked.
    #[error("exact elimination overflowed")]
    Overflow,
}

/// Whether a median, share or rate built on `based_on` requests may be
/// shown: only from `threshold` requests up. (It must also be hidden when it
/// would give back a suppressed count — see the module documentation.)
pub fn derived_publishable(based_on: u64, threshold: u64) -> bool {
    based_on >= threshold
}

/// Suppresses the counts of `table` for publication (see the module
/// documentation). Cells of `0` and of `threshold` or more stay visible
/// unless secondary suppression needs them; a `threshold` of 0 or 1 hides
/// nothing.
pub fn suppress(
    table: &Table,
    relations: &Relations,
    threshold: u64,
) -> Result<Published, SuppressError> {
    let mut problem = Problem::new(table, relations)?;
    problem.primary(threshold);
    loop {
        problem.close_by_relation();
        if !problem.close_exact_once()? {
            break;
        }
    }
    Ok(problem.published(table))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Published,
    Suppressed,
    /// Declared in [`Relations::unpublished`]: unknown, not protected.
    Unpublished,
}

/// `cells[total] − Σ cells[parts] = 0`, by cell index.
#[derive(Debug)]
struct Equation {
    total: usize,
    parts: Vec<usize>,
}

/// The table flattened: cell `r * width + c`, rows `0..n` the countries and
/// `n` the totals row; columns the table's fields (sorted) and then the
/// unpublished names.
struct Problem {
    width: usize,
    names: Vec<&'static str>,
    values: Vec<u64>,
    state: Vec<State>,
    equations: Vec<Equation>,
    /// Cell is the total of some equation (prefer not to suppress it).
    is_total: Vec<bool>,
}

impl Problem {
    fn new(table: &Table, relations: &Relations) -> Result<Self, SuppressError> {
        let fields: Vec<&'static str> = table.totals.cells.keys().copied().collect();
        for row in &table.rows {
            if !row.cells.keys().eq(fields.iter()) {
                return Err(SuppressError::Fields {
                    row: row.label.clone(),
                });
            }
        }
        let mut names = fields.clone();
        for &u in relations.unpublished {
            if fields.contains(&u) {
                return Err(SuppressError::PublishedUnpublished(u));
            }
            if !names.contains(&u) {
                names.push(u);
            }
        }
        let width = names.len();
        let column = |name: &'static str| {
            names
                .iter()
                .position(|&n| n == name)
                .ok_or(SuppressError::UnknownField(name))
        };

        let all_rows: Vec<&Row> = table.rows.iter().chain([&table.totals]).collect();
        let mut values = vec![0; all_rows.len() * width];
        let mut state = vec![State::Published; values.len()];
        for (r, row) in all_rows.iter().enumerate() {
            for (c, value) in row.cells.values().enumerate() {
                values[r * width + c] = *value;
            }
            for c in fields.len()..width {
                state[r * width + c] = State::Unpublished;
            }
        }

        let mut equations = Vec::new();
        for sum in relations.row_sums {
            let total = column(sum.total)?;
            let parts = sum
                .parts
                .iter()
                .map(|&p| column(p))
                .collect::<Result<Vec<_>, _>>()?;
            for (r, row) in all_rows.iter().enumerate() {
                let eq = Equation {
                    total: r * width + total,
                    parts: parts.iter().map(|&c| r * width + c).collect(),
                };
                check(&eq, &values, &state, || {
                    (
                        row.label.clone(),
                        format!("{} = {}", sum.total, sum.parts.join(" + ")),
                    )
                })?;
                equations.push(eq);
            }
        }
        let totals_row = table.rows.len();
        for &name in relations.column_totals {
            let c = column(name)?;
            let eq = Equation {
                total: totals_row * width + c,
                parts: (0..totals_row).map(|r| r * width + c).collect(),
            };
            check(&eq, &values, &state, || {
                (
                    table.totals.label.clone(),
                    format!("the column total of {name}"),
                )
            })?;
            equations.push(eq);
        }

        let mut is_total = vec![false; values.len()];
        for eq in &equations {
            is_total[eq.total] = true;
        }
        Ok(Problem {
            width,
            names,
            values,
            state,
            equations,
            is_total,
        })
    }

    fn primary(&mut self, threshold: u64) {
        for (value, state) in self.values.iter().zip(&mut self.state) {
            if *state == State::Published && (1..threshold).contains(value) {
                *state = State::Suppressed;
            }
        }
    }

    /// Step 2: until stable, a relation whose only unknown is a suppressed
    /// cell gets its smallest non-zero published part suppressed, else its
    /// total.
    fn close_by_relation(&mut self) {
        loop {
            let mut changed = false;
            for e in 0..self.equations.len() {
                let eq = &self.equations[e];
                let cells = || std::iter::once(eq.total).chain(eq.parts.iter().copied());
                let mut unknown = cells().filter(|&c| self.state[c] != State::Published);
                let (Some(only), None) = (unknown.next(), unknown.next()) else {
                    continue;
                };
                if self.state[only] != State::Suppressed {
                    continue;
                }
                let pick = cells()
                    .filter(|&c| self.state[c] == State::Published)
                    .min_by_key(|&c| (self.values[c] == 0, c == eq.total, self.values[c], c));
                if let Some(c) = pick {
                    self.state[c] = State::Suppressed;
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// Step 3, one round: if exact elimination finds a suppressed cell that
    /// some combination of relations isolates, suppresses one published cell
    /// of that combination and returns `true`.
    fn close_exact_once(&mut self) -> Result<bool, SuppressError> {
        let unknown: Vec<bool> = self.state.iter().map(|&s| s != State::Published).collect();
        let basis = eliminate(&self.equations, &unknown)?;
        let leak = basis
            .iter()
            .filter(|row| {
                let mut u = row.iter().filter(|(c, _)| unknown[*c]);
                matches!((u.next(), u.next()), (Some((c, _)), None) if self.state[*c] == State::Suppressed)
            })
            .min_by_key(|row| row.iter().find(|(c, _)| unknown[*c]).map(|(c, _)| *c));
        let Some(row) = leak else {
            return Ok(false);
        };
        let pick = row
            .iter()
            .map(|(c, _)| *c)
            .filter(|&c| self.state[c] == State::Published)
            .min_by_key(|&c| (self.values[c] == 0, self.is_total[c], self.values[c], c))
            // A combination with no published cell says `x = 0`; zeros are
            // never suppressed, so with consistent data this cannot happen.
            .expect("a determined suppressed cell has a published cell in its combination");
        self.state[pick] = State::Suppressed;
        Ok(true)
    }

    fn published(&self, table: &Table) -> Published {
        let row = |r: usize, label: &str| {
            let mut out = PublishedRow {
                label: label.to_owned(),
                cells: BTreeMap::new(),
                suppressed: BTreeSet::new(),
            };
            for (c, &name) in self.names.iter().enumerate() {
                let cell = r * self.width + c;
                match self.state[cell] {
                    State::Published => {
                        out.cells.insert(name, Some(self.values[cell]));
                    }
                    State::Suppressed => {
                        out.cells.insert(name, None);
                        out.suppressed.insert(name);
                    }
                    State::Unpublished => {}
                }
            }
            out
        };
        Published {
            rows: table
                .rows
                .iter()
                .enumerate()
                .map(|(r, x)| row(r, &x.label))
                .collect(),
            totals: row(table.rows.len(), &table.totals.label),
        }
    }
}

/// The counts must obey `eq`: exactly when every cell is in the table, and
/// as `total ≥ Σ known parts` when only parts are unpublished (they are
/// non-negative).
fn check(
    eq: &Equation,
    values: &[u64],
    state: &[State],
    describe: impl FnOnce() -> (String, String),
) -> Result<(), SuppressError> {
    if state[eq.total] == State::Unpublished {
        return Ok(());
    }
    let known: u128 = (eq.parts.iter())
        .filter(|&&c| state[c] != State::Unpublished)
        .map(|&c| u128::from(values[c]))
        .sum();
    let total = u128::from(values[eq.total]);
    let all_known = eq.parts.iter().all(|&c| state[c] != State::Unpublished);
    if (all_known && known != total) || known > total {
        let (row, relation) = describe();
        return Err(SuppressError::Inconsistent { row, relation });
    }
    Ok(())
}

/// A sparse row: `(cell, coefficient)` sorted by cell, no zero coefficient.
type Sparse = Vec<(usize, Q)>;

/// Gauss–Jordan over the rationals, pivoting only on unknown cells: returns
/// a basis of the relations' row space in which every pivot (an unknown
/// cell) appears in its own row only. A suppressed cell is determined by the
/// published values exactly when a basis row has it as its only unknown; the
/// row's other entries are the published cells that combination uses.
fn eliminate(equations: &[Equation], unknown: &[bool]) -> Result<Vec<Sparse>, SuppressError> {
    let mut basis: Vec<Sparse> = Vec::new();
    // Pivot cell -> basis row.
    let mut pivot_row: BTreeMap<usize, usize> = BTreeMap::new();
    for eq in equations {
        let mut row: Sparse = std::iter::once((eq.total, Q::ONE))
            .chain(eq.parts.iter().map(|&c| (c, Q::MINUS_ONE)))
            .collect();
        row.sort_unstable_by_key(|&(c, _)| c);
        if !row.iter().any(|(c, _)| unknown[*c]) {
            continue;
        }
        // Basis rows are zero in each other's pivots, so each pivot of the
        // new row can be removed independently with its current coefficient.
        let hits: Vec<(usize, Q)> = (row.iter())
            .filter_map(|&(c, q)| pivot_row.get(&c).map(|&b| (b, q)))
            .collect();
        for (b, q) in hits {
            row = sub_scaled(&row, q, &basis[b])?;
        }
        let Some(&(pivot, coefficient)) = (row.iter())
            .filter(|(c, _)| unknown[*c])
            .min_by_key(|(c, q)| (!q.is_unit(), *c))
        else {
            continue;
        };
        let row = scale(
            &row,
            Q::ONE.div(coefficient).ok_or(SuppressError::Overflow)?,
        )?;
        for other in &mut basis {
            if let Ok(i) = other.binary_search_by_key(&pivot, |&(c, _)| c) {
                let q = other[i].1;
                *other = sub_scaled(other, q, &row)?;
            }
        }
        pivot_row.insert(pivot, basis.len());
        basis.push(row);
    }
    Ok(basis)
}

fn scale(row: &Sparse, f: Q) -> Result<Sparse, SuppressError> {
    (row.iter())
        .map(|&(c, q)| q.mul(f).map(|q| (c, q)).ok_or(SuppressError::Overflow))
        .collect()
}

/// `a − f·b`.
fn sub_scaled(a: &Sparse, f: Q, b: &Sparse) -> Result<Sparse, SuppressError> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let (c, q) = match (a.get(i), b.get(j)) {
            (Some(&(ca, qa)), Some(&(cb, _))) if ca < cb => {
                i += 1;
                (ca, Some(qa))
            }
            (Some(&(ca, qa)), Some(&(cb, qb))) if ca == cb => {
                i += 1;
                j += 1;
                (ca, qb.mul(f).and_then(|fb| qa.sub(fb)))
            }
            (_, Some(&(cb, qb))) => {
                j += 1;
                (cb, qb.mul(f).and_then(|fb| Q::ZERO.sub(fb)))
            }
            (Some(&(ca, qa)), None) => {
                i += 1;
                (ca, Some(qa))
            }
            (None, None) => unreachable!(),
        };
        let q = q.ok_or(SuppressError::Overflow)?;
        if !q.is_zero() {
            out.push((c, q));
        }
    }
    Ok(out)
}

/// An exact fraction `n / d`, `d > 0`, in lowest terms. The relation matrices
/// here are ±1 with mostly unit pivots, so values stay tiny; overflow is
/// checked all the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Q {
    n: i128,
    d: i128,
}

impl Q {
    const ZERO: Q = Q { n: 0, d: 1 };
    const ONE: Q = Q { n: 1, d: 1 };
    const MINUS_ONE: Q = Q { n: -1, d: 1 };

    fn new(n: i128, d: i128) -> Option<Q> {
        if d == 0 {
            return None;
        }
        let g = gcd(n, d);
        let (n, d) = (n / g, d / g);
        if d < 0 {
            Some(Q {
                n: n.checked_neg()?,
                d: d.checked_neg()?,
            })
        } else {
            Some(Q { n, d })
        }
    }

    fn is_zero(self) -> bool {
        self.n == 0
    }

    fn is_unit(self) -> bool {
        self.d == 1 && (self.n == 1 || self.n == -1)
    }

    fn mul(self, o: Q) -> Option<Q> {
        if self.d == 1 && o.d == 1 {
            return Some(Q {
                n: self.n.checked_mul(o.n)?,
                d: 1,
            });
        }
        let g1 = gcd(self.n, o.d);
        let g2 = gcd(o.n, self.d);
        Q::new(
            (self.n / g1).checked_mul(o.n / g2)?,
            (self.d / g2).checked_mul(o.d / g1)?,
        )
    }

    fn sub(self, o: Q) -> Option<Q> {
        if self.d == 1 && o.d == 1 {
            return Some(Q {
                n: self.n.checked_sub(o.n)?,
                d: 1,
            });
        }
        Q::new(
            self.n
                .checked_mul(o.d)?
                .checked_sub(o.n.checked_mul(self.d)?)?,
            self.d.checked_mul(o.d)?,
        )
    }

    fn div(self, o: Q) -> Option<Q> {
        self.mul(Q::new(o.d, o.n)?)
    }
}

/// Greatest common divisor, `≥ 1` (so `gcd(0, 0) = 1` divides safely).
fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i128::try_from(a.max(1)).unwrap_or(i128::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 5;

    /// A country row of [`COUNTRY_TABLE`]'s fields, in the order
    /// pending, executed, partially_executed, refused, withdrawn, abandoned,
    /// then abandoned_no_response, answered, victims_identified; `requests`
    /// is the sum of the six groups.
    fn country(label: &str, groups: [u64; 6], anr: u64, answered: u64, victims: u64) -> Row {
        let names = [
            "pending",
            "executed",
            "partially_executed",
            "refused",
            "withdrawn",
            "abandoned",
        ];
        let mut cells: BTreeMap<&'static str, u64> = names.into_iter().zip(groups).collect();
        cells.insert("requests", groups.iter().sum());
        cells.insert("abandoned_no_response", anr);
        cells.insert("answered", answered);
        cells.insert("victims_identified", victims);
        Row {
            label: label.to_owned(),
            cells,
        }
    }

    fn table(rows: Vec<Row>) -> Table {
        let mut totals = Row {
            label: "total".to_owned(),
            cells: rows[0].cells.keys().map(|&k| (k, 0)).collect(),
        };
        for row in &rows {
            for (k, v) in &row.cells {
                *totals.cells.get_mut(k).unwrap() += v;
            }
        }
        Table { rows, totals }
    }

    // ---- The auditor -------------------------------------------------------
    //
    // Written apart from the production code on purpose: it sees only the
    // published table (hidden cells are `None`) and the declared relations,
    // builds its own equations, runs its own dense Gauss–Jordan, and for every
    // hidden cell it does not find determined it must produce a certificate —
    // a change of the hidden cells that keeps every declared equation true
    // while changing that cell — checked in plain integer arithmetic. A bug
    // in its elimination can thus only make it report a leak, never hide one.

    /// Hidden cells (row label, field) that the published values and the
    /// declared equalities determine uniquely.
    fn audit(published: &Published, relations: &Relations) -> Vec<(String, &'static str)> {
        let rows: Vec<&PublishedRow> = published.rows.iter().chain([&published.totals]).collect();
        // Unknowns: hidden cells and every row's unpublished quantities.
        let mut index: BTreeMap<(usize, &'static str), usize> = BTreeMap::new();
        let mut protected: Vec<Option<(String, &'static str)>> = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            for (&name, value) in &row.cells {
                if value.is_none() {
                    index.insert((r, name), protected.len());
                    protected.push(Some((row.label.clone(), name)));
                }
            }
            for &name in relations.unpublished {
                index.insert((r, name), protected.len());
                protected.push(None);
            }
        }
        // Each equation as (unknown, coefficient) terms; the published terms
        // only move the right-hand side, which does not matter for whether a
        // cell is determined.
        let mut equations: Vec<Vec<(usize, i128)>> = Vec::new();
        let term = |r: usize, name: &'static str, coefficient: i128| {
            assert!(
                rows[r].cells.contains_key(name) || relations.unpublished.contains(&name),
                "{name}"
            );
            index.get(&(r, name)).map(|&u| (u, coefficient))
        };
        for sum in relations.row_sums {
            for r in 0..rows.len() {
                let mut eq: Vec<_> = term(r, sum.total, 1).into_iter().collect();
                eq.extend(sum.parts.iter().filter_map(|&p| term(r, p, -1)));
                equations.push(eq);
            }
        }
        let totals = rows.len() - 1;
        for &name in relations.column_totals {
            let mut eq: Vec<_> = term(totals, name, 1).into_iter().collect();
            eq.extend((0..totals).filter_map(|r| term(r, name, -1)));
            equations.push(eq);
        }

        let n = protected.len();
        let mut m: Vec<Vec<Q>> = equations
            .iter()
            .filter(|eq| !eq.is_empty())
            .map(|eq| {
                let mut row = vec![Q::ZERO; n];
                for &(u, c) in eq {
                    row[u] = Q::new(row[u].n + c * row[u].d, row[u].d).unwrap();
                }
                row
            })
            .collect();
        let mut pivots = Vec::new();
        let mut rank = 0;
        for col in 0..n {
            let Some(p) = (rank..m.len()).find(|&i| !m[i][col].is_zero()) else {
                continue;
            };
            m.swap(rank, p);
            let inv = Q::ONE.div(m[rank][col]).unwrap();
            for x in &mut m[rank] {
                *x = x.mul(inv).unwrap();
            }
            let nonzero: Vec<usize> = (0..n).filter(|&k| !m[rank][k].is_zero()).collect();
            for i in 0..m.len() {
                let f = m[i][col];
                if i != rank && !f.is_zero() {
                    for &k in &nonzero {
                        m[i][k] = m[i][k].sub(f.mul(m[rank][k]).unwrap()).unwrap();
                    }
                }
            }
            pivots.push(col);
            rank += 1;
        }
        let is_pivot: Vec<Option<usize>> = {
            let mut v = vec![None; n];
            for (row, &col) in pivots.iter().enumerate() {
                v[col] = Some(row);
            }
            v
        };

        let mut determined = Vec::new();
        for j in 0..n {
            let Some(cell) = &protected[j] else { continue };
            // The RREF rows span the row space; e_j is in it iff j is a pivot
            // whose row has no other non-zero entry.
            let free = match is_pivot[j] {
                None => Some(j),
                Some(row) => (0..n).find(|&k| k != j && !m[row][k].is_zero()),
            };
            let Some(free) = free else {
                determined.push(cell.clone());
                continue;
            };
            // Certificate: free variable `free` = 1, other free ones 0, each
            // pivot variable = −(its row's entry at `free`).
            let mut d = vec![Q::ZERO; n];
            d[free] = Q::ONE;
            for (row, &col) in pivots.iter().enumerate() {
                if col != free {
                    d[col] = Q::ZERO.sub(m[row][free]).unwrap();
                }
            }
            let lcm = d.iter().fold(1i128, |l, q| l / gcd(l, q.d) * q.d);
            let d: Vec<i128> = d.iter().map(|q| q.n * (lcm / q.d)).collect();
            assert_ne!(d[j], 0, "certificate leaves {cell:?} unchanged");
            for eq in &equations {
                let s: i128 = eq.iter().map(|&(u, c)| c * d[u]).sum();
                assert_eq!(s, 0, "certificate for {cell:?} breaks an equation");
            }
        }
        determined
    }

    /// The properties every output must have: (a) every 1..threshold−1 cell
    /// hidden, (b) nothing hidden determinable, (c) shown values unchanged,
    /// no zero hidden, `suppressed` matching the `None`s.
    fn assert_safe(table: &Table, published: &Published, threshold: u64) {
        let pairs = table
            .rows
            .iter()
            .chain([&table.totals])
            .zip(published.rows.iter().chain([&published.totals]));
        for (row, out) in pairs {
            assert_eq!(row.label, out.label);
            assert_eq!(
                row.cells.keys().collect::<Vec<_>>(),
                out.cells.keys().collect::<Vec<_>>()
            );
            for (name, &value) in &row.cells {
                let shown = out.cells[name];
                if (1..threshold).contains(&value) {
                    assert_eq!(shown, None, "{} {name} = {value} shown", row.label);
                }
                if value == 0 {
                    assert_eq!(shown, Some(0), "{} {name}: zero hidden", row.label);
                }
                assert!(shown.is_none() || shown == Some(value));
                assert_eq!(shown.is_none(), out.suppressed.contains(name));
            }
        }
        let leaks = audit(published, &COUNTRY_TABLE);
        assert!(leaks.is_empty(), "determinable: {leaks:?}");
    }

    fn hidden(published: &Published, label: &str) -> Vec<&'static str> {
        let row = (published.rows.iter().chain([&published.totals]))
            .find(|r| r.label == label)
            .unwrap();
        row.suppressed.iter().copied().collect()
    }

    #[test]
    fn auditor_sees_a_lone_hidden_cell() {
        // The auditor must be able to fail: hide only the primary cell.
        let t = table(vec![
            country("AA", [10, 20, 0, 2, 0, 0], 0, 22, 0),
            country("BB", [10, 20, 0, 9, 0, 0], 0, 29, 7),
        ]);
        let mut p = Problem::new(&t, &COUNTRY_TABLE).unwrap();
        p.primary(T);
        let leaks = audit(&p.published(&t), &COUNTRY_TABLE);
        assert_eq!(leaks, [("AA".to_owned(), "refused")]);
    }

    #[test]
    fn single_small_cell_in_a_row() {
        let t = table(vec![
            country("AA", [10, 20, 6, 2, 0, 0], 0, 28, 0),
            country("BB", [10, 20, 7, 9, 0, 0], 0, 36, 7),
            country("CC", [30, 25, 8, 12, 0, 0], 0, 45, 9),
        ]);
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
        // Row AA: refused (2) and its smallest non-zero part, partially (6);
        // the refused column pairs with the smallest other refused (BB, 9),
        // partially with BB's 7; row BB is then closed.
        assert_eq!(hidden(&out, "AA"), ["partially_executed", "refused"]);
        assert_eq!(hidden(&out, "BB"), ["partially_executed", "refused"]);
        assert!(hidden(&out, "CC").is_empty());
        assert!(hidden(&out, "total").is_empty());
    }

    #[test]
    fn small_cell_alone_in_a_column_skips_zeros() {
        let t = table(vec![
            country("AA", [10, 20, 0, 0, 3, 0], 0, 20, 0),
            country("BB", [40, 20, 0, 0, 0, 0], 0, 20, 0),
            country("CC", [30, 25, 0, 0, 11, 0], 0, 25, 0),
        ]);
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
        // BB's withdrawn is 0 and smaller, but a hidden zero protects nothing.
        assert_eq!(hidden(&out, "AA"), ["pending", "withdrawn"]);
        assert_eq!(hidden(&out, "BB"), Vec::<&str>::new());
        assert_eq!(hidden(&out, "CC"), ["pending", "withdrawn"]);
    }

    #[test]
    fn country_with_only_small_cells() {
        let t = table(vec![
            country("AA", [1, 1, 0, 2, 0, 0], 0, 3, 2),
            country("BB", [40, 20, 6, 9, 5, 12], 8, 36, 7),
            country("CC", [30, 25, 8, 12, 7, 15], 9, 45, 9),
        ]);
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
        assert_eq!(
            hidden(&out, "AA"),
            [
                "answered",
                "executed",
                "pending",
                "refused",
                "requests",
                "victims_identified"
            ]
        );
    }

    #[test]
    fn total_is_the_only_candidate() {
        // BB's pending (2) pairs with AA's (6, the smallest other); row AA
        // then has no other non-zero part, so its total `requests` goes, and
        // the requests column pairs it with BB's (20, smaller than CC's 60).
        let t = table(vec![
            country("AA", [6, 0, 0, 0, 0, 0], 0, 0, 0),
            country("BB", [2, 15, 0, 3, 0, 0], 0, 18, 0),
            country("CC", [10, 30, 0, 20, 0, 0], 0, 50, 0),
        ]);
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
        assert_eq!(hidden(&out, "AA"), ["pending", "requests"]);
        assert_eq!(hidden(&out, "BB"), ["pending", "refused", "requests"]);
    }

    #[test]
    fn column_total_is_suppressed_when_nothing_else_is_left() {
        // Only AA has victims (2): the column's other parts are zeros, so
        // the total — itself 2, hence primary — is what protects it.
        let t = table(vec![
            country("AA", [10, 20, 0, 0, 0, 0], 0, 20, 2),
            country("BB", [10, 20, 0, 0, 0, 0], 0, 20, 0),
        ]);
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
        assert_eq!(hidden(&out, "AA"), ["victims_identified"]);
        assert_eq!(hidden(&out, "total"), ["victims_identified"]);
    }

    /// Two rectangles of hidden cells joined by one hidden cell: every
    /// relation has at least two unknowns, yet the joining cell is rows
    /// AA + BB minus columns pending + refused.
    fn bridge() -> Table {
        table(vec![
            country("AA", [2, 30, 20, 3, 0, 0], 0, 53, 0),
            country("BB", [1, 30, 20, 2, 4, 0], 0, 52, 0),
            country("CC", [0, 30, 20, 0, 3, 2], 0, 50, 0),
            country("DD", [0, 30, 20, 0, 2, 1], 0, 50, 0),
            country("EE", [20, 30, 20, 20, 20, 20], 10, 90, 0),
        ])
    }

    #[test]
    fn relation_rule_alone_leaks_a_bridge_cell() {
        let t = bridge();
        let mut p = Problem::new(&t, &COUNTRY_TABLE).unwrap();
        p.primary(T);
        p.close_by_relation();
        let leaks = audit(&p.published(&t), &COUNTRY_TABLE);
        assert_eq!(leaks, [("BB".to_owned(), "withdrawn")]);

        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
    }

    #[test]
    fn threshold_one_hides_nothing_and_zero_rows_are_fine() {
        let t = table(vec![
            country("AA", [1, 2, 0, 0, 0, 0], 0, 2, 1),
            country("ZZ", [0; 6], 0, 0, 0),
        ]);
        let out = suppress(&t, &COUNTRY_TABLE, 1).unwrap();
        assert!(out.rows.iter().all(|r| r.suppressed.is_empty()));
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        assert_safe(&t, &out, T);
        assert!(hidden(&out, "ZZ").is_empty());
    }

    #[test]
    fn inconsistent_or_misdeclared_tables_are_refused() {
        let mut t = table(vec![country("AA", [10, 20, 0, 0, 0, 6], 7, 20, 0)]);
        assert!(matches!(
            suppress(&t, &COUNTRY_TABLE, T),
            Err(SuppressError::Inconsistent { .. })
        ));
        t = table(vec![country("AA", [10, 20, 0, 0, 0, 6], 3, 20, 0)]);
        *t.rows[0].cells.get_mut("requests").unwrap() += 1;
        assert!(suppress(&t, &COUNTRY_TABLE, T).is_err());
        t = table(vec![country("AA", [10, 20, 0, 0, 0, 6], 3, 20, 0)]);
        t.rows[0].cells.remove("refused");
        assert_eq!(
            suppress(&t, &COUNTRY_TABLE, T),
            Err(SuppressError::Fields { row: "AA".into() })
        );
    }

    #[test]
    fn derived_figures_need_threshold_requests() {
        assert!(!derived_publishable(0, 5));
        assert!(!derived_publishable(4, 5));
        assert!(derived_publishable(5, 5));
    }

    /// splitmix64: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Many countries with a handful of requests, a few with hundreds;
    /// status groups skewed (some empty, one dominant).
    fn random_table(rng: &mut Rng) -> Table {
        let countries = 3 + rng.below(38) as usize;
        let rows = (0..countries)
            .map(|i| {
                let requests = match rng.below(10) {
                    0 => 0,
                    1..=4 => 1 + rng.below(8),
                    5..=8 => 5 + rng.below(50),
                    _ => (10f64.powf(1.5 + 1.5 * rng.unit())) as u64,
                };
                let weights: Vec<f64> = (0..6)
                    .map(|_| {
                        if rng.below(10) < 3 {
                            0.0
                        } else {
                            rng.unit().powi(3)
                        }
                    })
                    .collect();
                let sum: f64 = weights.iter().sum::<f64>().max(1e-9);
                let mut groups = [0u64; 6];
                for (g, w) in groups.iter_mut().zip(&weights) {
                    *g = (requests as f64 * w / sum) as u64;
                }
                while groups.iter().sum::<u64>() < requests {
                    groups[rng.below(6) as usize] += 1;
                }
                let answered_min = groups[1] + groups[2] + groups[3];
                let answered = answered_min + rng.below(requests - answered_min + 1);
                let anr = rng.below(groups[5] + 1);
                let victims = if rng.below(3) == 0 {
                    0
                } else {
                    rng.below(groups[1] + groups[2] + 2)
                };
                country(&format!("C{i:02}"), groups, anr, answered, victims)
            })
            .collect();
        table(rows)
    }

    #[test]
    fn random_tables_are_safe() {
        let mut rng = Rng(0x4D4C_4120_7374_6174);
        let (mut relation_rule_leaked, mut hidden_cells, mut cells) = (0, 0, 0);
        for _ in 0..2000 {
            let t = random_table(&mut rng);
            let threshold = [2, 3, 5, 5, 5, 10][rng.below(6) as usize];
            let out = suppress(&t, &COUNTRY_TABLE, threshold).unwrap();
            assert_safe(&t, &out, threshold);
            assert_eq!(out, suppress(&t, &COUNTRY_TABLE, threshold).unwrap());
            for row in out.rows.iter().chain([&out.totals]) {
                hidden_cells += row.suppressed.len();
                cells += row.cells.len();
            }

            let mut p = Problem::new(&t, &COUNTRY_TABLE).unwrap();
            p.primary(threshold);
            p.close_by_relation();
            if !audit(&p.published(&t), &COUNTRY_TABLE).is_empty() {
                relation_rule_leaked += 1;
            }
        }
        eprintln!(
            "2000 tables: {hidden_cells} of {cells} cells hidden; \
             the relation rule alone left a determinable cell in {relation_rule_leaked}"
        );
    }

    #[test]
    fn a_large_table_is_fast_enough() {
        let mut rng = Rng(7);
        let mut rows = Vec::new();
        while rows.len() < 200 {
            rows.extend(random_table(&mut rng).rows);
        }
        rows.truncate(200);
        for (i, r) in rows.iter_mut().enumerate() {
            r.label = format!("C{i:03}");
        }
        let t = table(rows);
        let start = std::time::Instant::now();
        let out = suppress(&t, &COUNTRY_TABLE, T).unwrap();
        let elapsed = start.elapsed();
        eprintln!("200 countries: {elapsed:?}");
        assert_safe(&t, &out, T);
    }
}
