//! The Wilson interval against independent implementations: statsmodels'
//! `proportion_confint(method="wilson")`, itself checked against scipy's
//! `binomtest(...).proportion_ci(method="wilson")` by
//! `scripts/wilson-reference`, which wrote `tests/fixtures/wilson.json`
//! (committed; CI does not run Python). Bounds must agree to 1e-12.

use std::path::Path;

use mla_tracker::stats::wilson::wilson;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    successes: u64,
    trials: u64,
    low: f64,
    high: f64,
}

#[test]
fn agrees_with_statsmodels_and_scipy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wilson.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let fixture: Fixture = serde_json::from_str(&text).unwrap();
    assert!(fixture.cases.len() >= 50, "{} cases", fixture.cases.len());
    for case in &fixture.cases {
        let at = format!("{} of {}", case.successes, case.trials);
        let (low, high) = wilson(case.successes, case.trials).expect("trials > 0");
        assert!(
            (low - case.low).abs() <= 1e-12 && (high - case.high).abs() <= 1e-12,
            "{at}: ({low}, {high}), statsmodels ({}, {})",
            case.low,
            case.high
        );
    }
}
