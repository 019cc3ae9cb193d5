//! The Kaplan–Meier estimator against an independent implementation:
//! lifelines' `KaplanMeierFitter` (log(−log) Greenwood interval, alpha 0.05),
//! whose results `scripts/km-reference` wrote to `tests/fixtures/km/*.json`
//! (committed; CI does not run Python).
//!
//! Survival and medians must agree to 1e-12, interval bounds to 1e-9, the
//! median's interval exactly. The
//! median expected is `median_exact`, the smallest t with the exact
//! S(t) ≤ 0.5 (docs/DOMAIN.md §8.3); lifelines' own `median_survival_time_`
//! may be one step later where the exact S is 1/2 but its floating-point S is
//! one ulp above (fixture `exact_half_6`): that is checked to be the only kind
//! of disagreement.

use std::path::Path;

use mla_tracker::stats::km::{self, DayCount};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    name: String,
    requests: u64,
    events: u64,
    counts: Vec<Count>,
    timeline: Vec<Row>,
    survival_at: Vec<Row>,
    median_lifelines: Option<u32>,
    median_exact: Option<u32>,
    median_note: Option<String>,
    /// lifelines' `median_survival_times(confidence_interval_)`.
    median_ci_lifelines: [Option<u32>; 2],
}

#[derive(Deserialize)]
struct Count {
    day: u32,
    events: u64,
    censored: u64,
}

#[derive(Deserialize)]
struct Row {
    day: u32,
    survival: f64,
    lower: f64,
    upper: f64,
    at_risk: Option<u64>,
    events: Option<u64>,
    censored: Option<u64>,
}

const SURVIVAL_TOL: f64 = 1e-12;
const INTERVAL_TOL: f64 = 1e-9;

fn check(fx: &Fixture) {
    let name = &fx.name;
    let curve = km::estimate(fx.counts.iter().map(|c| DayCount {
        day: c.day,
        events: c.events,
        censored: c.censored,
    }));
    assert_eq!(curve.requests(), fx.requests, "{name}: requests");
    let events: u64 = curve.steps().iter().map(|s| s.events).sum();
    assert_eq!(events, fx.events, "{name}: events");

    // lifelines has a row at t = 0 even without an observation there; every
    // other row is an observed day, and so one of our steps, in order.
    let observed: Vec<&Row> = fx
        .timeline
        .iter()
        .filter(|r| r.events.unwrap_or(0) + r.censored.unwrap_or(0) > 0)
        .collect();
    assert_eq!(curve.steps().len(), observed.len(), "{name}: steps");
    for (step, row) in curve.steps().iter().zip(&observed) {
        let at = format!("{name}, day {}", row.day);
        assert_eq!(step.day, row.day, "{at}");
        assert_eq!(Some(step.at_risk), row.at_risk, "{at}: at risk");
        assert_eq!(Some(step.events), row.events, "{at}: events");
        assert_eq!(Some(step.censored), row.censored, "{at}: censored");
        assert_close(step.survival, row.survival, SURVIVAL_TOL, &at, "survival");
        assert_close(step.lower, row.lower, INTERVAL_TOL, &at, "lower");
        assert_close(step.upper, row.upper, INTERVAL_TOL, &at, "upper");
    }
    for row in fx.timeline.iter().chain(&fx.survival_at) {
        let at = format!("{name}, S({})", row.day);
        assert_close(
            curve.survival_at(row.day),
            row.survival,
            SURVIVAL_TOL,
            &at,
            "survival_at",
        );
        let (lower, upper) = curve.interval_at(row.day);
        assert_close(lower, row.lower, INTERVAL_TOL, &at, "lower");
        assert_close(upper, row.upper, INTERVAL_TOL, &at, "upper");
    }

    assert_eq!(curve.median(), fx.median_exact, "{name}: median");
    let (low, high) = curve.median_interval();
    assert_eq!(
        [low, high],
        fx.median_ci_lifelines,
        "{name}: median's interval"
    );
    if fx.median_lifelines != fx.median_exact {
        // Only where the exact S is one half and lifelines' float is above.
        let m = fx
            .median_exact
            .expect("lifelines reached a median we did not");
        assert!(
            fx.median_note.is_some(),
            "{name}: unexplained median difference"
        );
        assert_eq!(curve.survival_at(m), 0.5, "{name}: S at the median");
        let ll = fx.timeline.iter().find(|r| r.day == m).unwrap();
        assert!(ll.survival > 0.5 && ll.survival - 0.5 < 1e-15, "{name}");
    }
}

fn assert_close(got: f64, want: f64, tol: f64, at: &str, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{at}: {what} {got:e}, lifelines {want:e} (diff {:e})",
        (got - want).abs()
    );
}

#[test]
fn agrees_with_lifelines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/km");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/km")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "fixtures missing in {}", dir.display());
    let mut differing_medians = 0;
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let fx: Fixture =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check(&fx);
        differing_medians += usize::from(fx.median_lifelines != fx.median_exact);
    }
    // exact_half_6 is there to exercise the difference.
    assert!(differing_medians >= 1);
}
