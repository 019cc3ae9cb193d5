//! Requests with hand-picked waiting times for the statistics tests: every
//! request is sent 100 days before the analysis date, answered or withdrawn
//! a chosen number of days later.

use super::{TestApp, id_of, sent_body, transition_to};

/// The analysis date of these tests: yesterday in the service's zone, so a
/// test running across midnight sees the same figures.
pub fn as_of() -> chrono::NaiveDate {
    super::office_today() - chrono::Days::new(1)
}

pub fn days_before_as_of(n: u64) -> String {
    (as_of() - chrono::Days::new(n)).to_string()
}

/// A request to `country` sent 100 days before `as_of`; returns its id.
pub async fn sent(app: &TestApp, country: &str, case: &str) -> String {
    let mut body = sent_body(case, &days_before_as_of(100));
    body["target_country"] = country.into();
    id_of(&app.create_request(&body).await)
}

/// Moves request `id` to `status` on day `day` after it was sent.
pub async fn moved_on_day(app: &TestApp, id: &str, status: &str, day: u64) {
    let res = app
        .transition(id, &transition_to(status, &days_before_as_of(100 - day)))
        .await;
    assert_eq!(res.status, 200, "{res:?}");
}
