//! The attacker suite of the published statistics (docs/DOMAIN.md §9): each
//! test files a fixture through the API as the admin, so it knows every true
//! count, outcome and date, then plays one attack with an analyst token only,
//! and fails if the attack gives back a hidden count, or one request's
//! outcome or date, exactly.
//!
//! # Why the assertions are sound
//!
//! Record keys are drawn at random when a request is filed, so the noise
//! changes from one database to the next. Each assertion is either certain
//! (a property of the method whatever the keys) or fails with probability
//! below 1e-9 when the method works as specified: "not right every time" over
//! at least 23 independent trials, each right with probability at most 0.4
//! (the likeliest noise value): 0.4^23 < 1e-9 ([`Tally`]). A trial is
//! independent of the earlier ones when the cell it subtracts from holds a
//! request no earlier cell holds: that cell's key, hence its noise, is a
//! fresh draw whatever came before.
//!
//! # The attacks
//!
//! 1. **Finding 1, the 54-query differencing attack**, rebuilt as a program
//!    that adapts to the answers ([`differencing_attack`]): step `sent_to`
//!    a day at a time until the totals grow by exactly one, leave one
//!    country out at a time, bisect `as_of` by days. On a 422 it falls back
//!    on the closest steps allowed: month-end releases (the population is
//!    what was sent by `as_of`, so a release step is the cumulative step
//!    `sent_to` was), one country, and the target's quarter, offence and
//!    channel; any change of a shown value — a number, or hidden against 0
//!    — proves the counted requests changed, and it takes it for its
//!    target's move. Two targets: one sharing its month with two other
//!    requests, one alone in its month (the attacker's best case). Certain:
//!    it never ends with country, status, answer, first-response day and
//!    closing day all exact (releases are 28 days or more apart, so its dates
//!    are month-long spans), and each of its three steps is refused with a
//!    422 naming `sent_to`, `as_of` and `country`.
//! 2. **Finding 2, curves give back counts**: from a curve's points and the
//!    published `requests`, at risk and events per step
//!    ([`rebuilt_events`]); the fixture's answers fall on days off the grid.
//!    Certain: every point is a grid day with `S` alone (no bounds, at-risk
//!    or events), so the rebuilt per-day counts are never the true ones.
//!    Then the counts per grid interval are not exact in all six curves (36
//!    independent cumulative cells must all draw 0: 0.4^36).
//! 3. **Finding 3, a share or a rate next to a hidden count**, under a
//!    threshold of 6 so that 24 rows hide `answered` and show `requests`
//!    whatever the noise. Certain: no rate there, and no estimate at all in
//!    a row of fewer published requests than the threshold;
//!    `requests × (1 − share_unanswered_365)` is not exact in all 24 rows
//!    (0.4^24). Stronger than the issue asks, and certain: no share at all
//!    next to a hidden `answered`, since it gives back the hidden published
//!    count (the truth within 2); nor any figure estimated from the first
//!    responses — the three shares, the median and their intervals, and
//!    the rate's Wilson interval, which inverted gives back the count its
//!    centre was computed from ([`wilson_inverse`]).
//! 4. **Subtractions**, over 25 monthly releases in each of which one more
//!    request is answered: the totals less the other countries, a year (the
//!    timeline's totals) less its other three quarters, a release less the
//!    one before. None exact in all 24 trials (0.4^24 each).
//! 5. **Victims less executed**: the `victims_identified` cell is keyed by
//!    the requests its victims are counted for; where those are the
//!    executed ones, it shares the `executed` cell's key, hence its noise,
//!    and the gap between the two is exact. Over two releases a month apart
//!    it moves by `v − 1` for the one request executed in between. Not exact
//!    in all 24 trials (0.4^24 once the noises are drawn apart).
//! 6. **Filters narrowed to one request** (one country, offence, channel and
//!    quarter holding a single request; twenty targets). Certain: every
//!    count 0 or hidden, no estimate, no curve, in the country table, the
//!    timeline, the cohorts (no share or interval: it would say whether the
//!    request was answered within the year) and the refusal grounds. And no
//!    outcome: a status, an answer or a ground read off the one count
//!    hidden among zeros.
//! 7. **Asking again, or another way**. Certain: the same query twenty
//!    times gives the same bytes (JSON, CSV, curves, both SVG charts), so
//!    averaging gives back the noise with the count; the same requests
//!    reached through another query (a year holding them all, the one
//!    channel, one country alone, the timeline's and the reason tables'
//!    totals) give the same values, and an earlier release after they
//!    settled the same counts (a request still waiting is followed longer
//!    in a later release: its life-table cells, hence estimates, differ).
//! 8. **A sub-region less its countries** (`group=subregion`): six
//!    sub-regions in four quarters, each with two countries always shown
//!    and one of 3 requests; the area's `requests` less the two shown is
//!    not exact in all 24 trials (0.4^24).
//! 9. **The chasing and victims tables narrowed to one request** (one
//!    country, offence, channel and quarter; twenty targets, half abandoned
//!    for silence after 0 to 3 follow-ups, half executed in a case with
//!    victims). Certain: `abandoned_no_response` and `cases` 0 or hidden,
//!    and nothing beside them — no follow-up count, median, share or case
//!    with victims — so whether the request was chased, or its case found
//!    victims, never stands out among zeros.
//! 10. **A share chased twice beside a hidden count**: 24 rows of 10
//!     requests abandoned for silence, 2 chased twice (published 0 to 4).
//!     Certain: no share and no interval beside a hidden `chased_twice`
//!     (share × total, or Wilson's interval inverted, would give it back);
//!     the chasing table's `abandoned_no_response` is the country table's,
//!     the same requests' cell.
//! 11. **Cases less requests**: the victims table's cells are keyed by the
//!     cases' requests, so where each case sent one request `cases` has the
//!     key of the country table's `requests`, and `cases_with_victims_identified`
//!     that of `executed` when those are the executed requests; unsalted,
//!     each pair drew one noise and its published difference was exactly
//!     the true one. Over 24 rows, neither difference exact in all of them
//!     (0.4^24 each; the cases' salt moves `u` by one half, which never
//!     draws the same noise, so in fact never exact).
//! 12. **The e-evidence table** (`/stats/e-evidence`): an order counts in
//!     the row of each data category it asks for, so two category rows may
//!     differ by one order. In 24 quarters, the subscriber-data row less the
//!     traffic-data row (one order apart) is not exact in all 24 trials
//!     (0.4^24). Certain: two rows, or a row and the country table narrowed
//!     to the same orders, publish the same count (the cells are not salted
//!     per category: the same count is never drawn twice to be averaged,
//!     and rows of the same orders differ by the true 0); and narrowed to
//!     one order (one country and quarter, 24 targets), by category and by
//!     addressee, every count is 0 or hidden and no mean is shown.
//!
//! The report (`/stats/report`) lays out these same published tables and
//! computes nothing of its own — `tests/api/report.rs` checks that its
//! numbers are the API's for the same parameters — so it opens no way
//! around them.
//!
//! # Findings: tests that fail on 7271753
//!
//! Marked FINDING where they assert. All three are fixed in the
//! implementation, and the tests are their regression tests: a row shows
//! its details only when its total certainly reaches the threshold, and
//! the victims' cells are salted (docs/DOMAIN.md §9.2); no share, median or
//! rate beside a hidden `answered` (§9.3).
//!
//! * **Narrowing** fails with certainty (each target's outcome shows with
//!   probability 0.7; none of twenty: 0.3^20): an empty cell is published
//!   as 0, a non-empty one as 0 or hidden, so a hidden count is a non-empty
//!   cell and, in a one-request table, the request's own status, answer and
//!   refusal ground. The target refused in Bosnia and Herzegovina: unless
//!   its cell drew a noise that publishes it as 0 (probability 0.3),
//!   `GET /stats/countries?sent_from=…-04-01&sent_to=…-06-30&country=BA&
//!   offence=grooming_sextortion&channel=diplomatic` shows `refused` and
//!   `answered` hidden and every other count 0, and `/stats/refusal-grounds`
//!   with the same filters `dual_criminality` hidden, the other grounds 0.
//! * **Victims less executed** fails in every trial: two cells of the same
//!   requests draw the same noise even when they count different things.
//! * **Finding 3**'s stronger check fails: `share_unanswered_365` (and
//!   `_180`, the medians) are shown next to a hidden `answered`
//!   (main hides them since 299d633).
//!
//! Not asserted, and by design of the release calendar: the month-step
//! attacker, when the target is alone in its month and its country is
//! otherwise quiet, usually learns its country, its status, whether it was
//! answered and the months of its answer and closing (the test prints what
//! it learned); never a day.
//!
//! # Against the code before the change (e1e8bbe)
//!
//! Exact counts with threshold and secondary suppression, any day, lists of
//! values: all seven tests fail there. The differencing attack singles out
//! the first target in 53 queries (country, status, answer, victims, both
//! days); the curves have steps on the answers' days, giving back the
//! per-day counts; share × requests gives back the hidden `answered` in all
//! 24 rows; every subtraction is exact (the region and the year where the
//! suppression left the cells shown); victims less executed is exact; the
//! narrowed tables show the request's status as its one hidden count, in
//! all twenty; a country asked alone shows counts the full table hid.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::{Value, json};

use mla_tracker::stats::aggregates::Closure;
use mla_tracker::stats::countries::FROM_ANSWERED;
use mla_tracker::stats::reasons;

use crate::common::{self, TestApp, id_of, query, sent_body, spawn_app, spawn_app_with};

// ---------------------------------------------------------------------------
// Dates: release dates and periods relative to the pinned clock.
// ---------------------------------------------------------------------------

/// A span of days, first and last included.
type Span = (NaiveDate, NaiveDate);

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

fn month_end(date: NaiveDate) -> NaiveDate {
    (first_of_month(date) + Months::new(1))
        .pred_opt()
        .expect("a day before")
}

/// The latest release date: the last day of the month before today's.
fn latest_release() -> NaiveDate {
    first_of_month(common::office_today())
        .pred_opt()
        .expect("a day before")
}

/// The release date `k` months before the latest.
fn release_before(k: u32) -> NaiveDate {
    month_end(first_of_month(latest_release()) - Months::new(k))
}

/// The quarter `date` falls in: its first and last day.
fn quarter_of(date: NaiveDate) -> Span {
    let start = ymd(date.year(), date.month0() / 3 * 3 + 1, 1);
    (start, month_end(start + Months::new(2)))
}

fn year_of(year: i32) -> Span {
    (ymd(year, 1, 1), ymd(year, 12, 31))
}

// ---------------------------------------------------------------------------
// Fixtures: requests filed through the API as the admin, whose true values
// the tests know (the attacker does not).
// ---------------------------------------------------------------------------

/// The statuses a first substantive response enters (docs/DOMAIN.md §4.1).
const RESPONSES: [&str; 6] = [
    "additional_info_requested",
    "postponed",
    "in_execution",
    "partially_executed",
    "executed",
    "refused",
];

/// The country table's status groups; every request is in one.
const STATUSES: [&str; 6] = [
    "pending",
    "executed",
    "partially_executed",
    "refused",
    "withdrawn",
    "abandoned",
];

/// The statuses that set `closed_at`.
const CLOSING: [&str; 4] = ["executed", "refused", "withdrawn", "abandoned"];

/// A request of a fixture: where it went, when, and what became of it.
#[derive(Debug, Clone)]
struct Filed {
    country: &'static str,
    sent: NaiveDate,
    offence: &'static str,
    channel: &'static str,
    /// Transitions in order: (status, effective date).
    moves: Vec<(&'static str, NaiveDate)>,
    /// Its case's `victims_identified`.
    victims: Option<u64>,
}

impl Filed {
    fn new(country: &'static str, sent: NaiveDate) -> Filed {
        Filed {
            country,
            sent,
            offence: "child_sexual_exploitation",
            channel: "central_authority",
            moves: Vec::new(),
            victims: None,
        }
    }

    fn then(mut self, status: &'static str, date: NaiveDate) -> Filed {
        self.moves.push((status, date));
        self
    }

    fn offence(mut self, offence: &'static str) -> Filed {
        self.offence = offence;
        self
    }

    fn channel(mut self, channel: &'static str) -> Filed {
        self.channel = channel;
        self
    }

    fn victims(mut self, victims: u64) -> Filed {
        self.victims = Some(victims);
        self
    }

    /// `first_response_at`.
    fn first_response(&self) -> Option<NaiveDate> {
        self.moves
            .iter()
            .find(|(s, _)| RESPONSES.contains(s))
            .map(|(_, d)| *d)
    }

    fn answered_on(&self, as_of: NaiveDate) -> bool {
        self.first_response().is_some_and(|d| d <= as_of)
    }

    /// The status group it counts in on `as_of`: the register keeps only
    /// the current status, counted if reached by then, else still pending.
    fn status_on(&self, as_of: NaiveDate) -> &'static str {
        match self.moves.last() {
            Some((status, date)) if *date <= as_of && STATUSES.contains(status) => status,
            _ => "pending",
        }
    }

    /// `closed_at`.
    fn closed(&self) -> Option<NaiveDate> {
        self.moves
            .last()
            .filter(|(s, _)| CLOSING.contains(s))
            .map(|(_, d)| *d)
    }
}

/// Files `requests` through the API as the admin, six at a time (each
/// request's own transitions in order), each under a case of its own.
async fn file(app: &TestApp, requests: &[Filed]) {
    for (n, chunk) in requests.chunks(6).enumerate() {
        let filing = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| file_one(app, r, n * 6 + i))
            .collect();
        common::concurrently(filing).await;
    }
}

async fn file_one(app: &TestApp, r: &Filed, n: usize) {
    let mut body = sent_body(&format!("ATK-{n:04}"), &r.sent.to_string());
    body["target_country"] = json!(r.country);
    body["channel"] = json!(r.channel);
    body["offences"] = json!([r.offence]);
    let record = app.create_request(&body).await;
    let id = id_of(&record);
    if let Some(victims) = r.victims {
        let case = record["case_id"].as_str().expect("a case");
        app.set_case_victims(case, victims).await;
    }
    for (status, date) in &r.moves {
        app.move_to(&id, status, &date.to_string()).await;
    }
}

// ---------------------------------------------------------------------------
// The attacker's side: an analyst token and the statistics endpoints.
// ---------------------------------------------------------------------------

/// A query of the statistics, as an attacker composes it.
#[derive(Debug, Clone, Default)]
struct Ask {
    as_of: Option<NaiveDate>,
    period: Option<Span>,
    countries: Vec<String>,
    offence: Option<&'static str>,
    channel: Option<&'static str>,
    bucket: Option<&'static str>,
    group: Option<&'static str>,
    csv: bool,
}

impl Ask {
    fn as_of(as_of: NaiveDate) -> Ask {
        Ask {
            as_of: Some(as_of),
            ..Ask::default()
        }
    }

    fn period(mut self, period: Span) -> Ask {
        self.period = Some(period);
        self
    }

    fn country(mut self, country: &str) -> Ask {
        self.countries = vec![country.to_string()];
        self
    }

    fn countries(mut self, countries: &[String]) -> Ask {
        self.countries = countries.to_vec();
        self
    }

    fn path(&self, endpoint: &str) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(as_of) = self.as_of {
            pairs.push(("as_of", as_of.to_string()));
        }
        if let Some((from, to)) = self.period {
            pairs.push(("sent_from", from.to_string()));
            pairs.push(("sent_to", to.to_string()));
        }
        for c in &self.countries {
            pairs.push(("country", c.clone()));
        }
        if let Some(o) = self.offence {
            pairs.push(("offence", o.to_string()));
        }
        if let Some(c) = self.channel {
            pairs.push(("channel", c.to_string()));
        }
        if let Some(b) = self.bucket {
            pairs.push(("bucket", b.to_string()));
        }
        if let Some(g) = self.group {
            pairs.push(("group", g.to_string()));
        }
        if self.csv {
            pairs.push(("format", "csv".to_string()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!("/api/v1/stats/{endpoint}?{}", query(&pairs))
    }
}

/// What the API answers: a table, or a 422 naming parameters.
#[derive(Debug)]
enum Answer {
    Table(Value),
    Refused(Vec<String>),
}

/// An analyst: the only role the attacks use.
struct Analyst<'a> {
    app: &'a TestApp,
    token: String,
    /// Queries asked so far.
    asked: usize,
}

impl<'a> Analyst<'a> {
    async fn new(app: &'a TestApp) -> Analyst<'a> {
        Analyst {
            app,
            token: app.token_for("analyst").await,
            asked: 0,
        }
    }

    async fn ask(&mut self, endpoint: &str, q: &Ask) -> Answer {
        self.asked += 1;
        let res = self.app.get(&q.path(endpoint), &self.token).await;
        match res.status {
            200 => Answer::Table(res.body),
            422 => Answer::Refused(
                res.body["error"]["fields"]
                    .as_object()
                    .map(|f| f.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
            _ => panic!("{}: {res:?}", q.path(endpoint)),
        }
    }

    /// A table the attacker expects to get.
    async fn table(&mut self, endpoint: &str, q: &Ask) -> Value {
        match self.ask(endpoint, q).await {
            Answer::Table(t) => t,
            Answer::Refused(fields) => panic!("{} refused: {fields:?}", q.path(endpoint)),
        }
    }
}

/// A published count (`None` when hidden or absent).
fn count(row: &Value, field: &str) -> Option<i64> {
    row.get(field).and_then(Value::as_i64)
}

/// The row of `country` in a table by country, if any.
fn row_of<'v>(table: &'v Value, country: &str) -> Option<&'v Value> {
    table["countries"]
        .as_array()?
        .iter()
        .find(|r| r["country"] == country)
}

/// The difference of a count between two tables' totals, when both show it.
fn diff(with: &Value, without: &Value, field: &str) -> Option<i64> {
    Some(count(&with["totals"], field)? - count(&without["totals"], field)?)
}

/// Tally of an estimator over independent trials.
#[derive(Debug, Default)]
struct Tally {
    trials: usize,
    exact: usize,
    /// (estimate, truth) of each trial.
    seen: Vec<(i64, i64)>,
}

impl Tally {
    fn add(&mut self, estimate: Option<i64>, truth: i64) {
        if let Some(estimate) = estimate {
            self.trials += 1;
            self.exact += usize::from(estimate == truth);
            self.seen.push((estimate, truth));
        }
    }

    /// Not right every time over at least 23 independent trials, each
    /// right with probability at most 0.4: a false alarm has probability
    /// at most 0.4^23 < 1e-9.
    fn check(&self, attack: &str, broken: &mut Vec<String>) {
        if self.trials > 0 && self.exact == self.trials {
            broken.push(format!(
                "{attack}: exact in all {} trials (estimate, truth): {:?}",
                self.trials, self.seen
            ));
        } else if self.trials < 23 {
            broken.push(format!(
                "{attack}: only {} trials (the others hidden), too few to tell: {:?}",
                self.trials, self.seen
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Finding 1: the 54-query differencing attack, rebuilt as a program.
// ---------------------------------------------------------------------------

/// What the attacker knows of its target beforehand, as from a news story:
/// the fortnight it was sent in, on a day no other request was sent, its
/// offence and its channel.
#[derive(Debug, Clone, Copy)]
struct Known {
    window: Span,
    offence: &'static str,
    channel: &'static str,
}

/// What the differencing attacker ends up believing about its target: each
/// date as the span of days it could still be.
#[derive(Debug, Default)]
struct Learned {
    /// Which steps the API let it take.
    mode: &'static str,
    sent: Option<Span>,
    country: Option<String>,
    status: Option<String>,
    answered: Option<bool>,
    victims: Option<i64>,
    first_response: Option<Span>,
    closed: Option<Span>,
    /// Each step of the original attack the API refused, with the
    /// parameters its 422 named.
    refused: Vec<(&'static str, Vec<String>)>,
    queries: usize,
}

impl Learned {
    /// One line: what it believes, each date as a span.
    fn summary(&self) -> String {
        let span = |s: &Option<Span>| {
            s.map_or("?".to_string(), |(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}…{b}")
                }
            })
        };
        format!(
            "{} ({} queries): sent {}, country {:?}, status {:?}, answered {:?}, victims {:?}, \
             first response {}, closed {}",
            self.mode,
            self.queries,
            span(&self.sent),
            self.country,
            self.status,
            self.answered,
            self.victims,
            span(&self.first_response),
            span(&self.closed)
        )
    }
}

const DAY_STEPS: &str = "sent_to one day at a time";
const DAY_AS_OF: &str = "as_of on any day";
const LEAVE_ONE_OUT: &str = "a list of countries leaving one out";

/// Finding 1's attacker, knowing what [`Known`] says. It first plays the
/// original attack (day steps of `sent_to`, countries left out one at a
/// time, `as_of` bisected by days); when the API refuses a step it falls
/// back on the closest steps allowed (month-end releases, one country at a
/// time, one quarter, one offence, one channel) and reads whatever changes.
async fn differencing_attack(a: &mut Analyst<'_>, known: Known) -> Learned {
    let window = known.window;
    let mut learned = Learned::default();
    let day_before = window.0.pred_opt().expect("a day before");
    let base = Ask::as_of(latest_release()).period((ymd(window.0.year(), 1, 1), day_before));
    match a.ask("countries", &base).await {
        Answer::Table(t) => day_steps(a, window, base, t, &mut learned).await,
        Answer::Refused(fields) => {
            learned.refused.push((DAY_STEPS, fields));
            month_steps(a, known, &mut learned).await
        }
    }
    learned.queries = a.asked;
    learned
}

/// The original attack, on a service that takes any day and any list.
async fn day_steps(
    a: &mut Analyst<'_>,
    window: Span,
    base: Ask,
    base_table: Value,
    learned: &mut Learned,
) {
    learned.mode = "day by day";
    let from = base.period.expect("a period").0;
    // 1. Step sent_to until the totals grow by exactly one.
    let (mut without_q, mut without) = (base.clone(), base_table);
    let mut found = None;
    let mut day = window.0;
    while day <= window.1 {
        let q = base.clone().period((from, day));
        let t = a.table("countries", &q).await;
        if diff(&t, &without, "requests") == Some(1) {
            found = Some((day, q, t));
            break;
        }
        (without_q, without) = (q, t);
        day = day.succ_opt().expect("a day after");
    }
    let Some((day, with_q, with)) = found else {
        return;
    };
    learned.sent = Some((day, day));
    learned.status = STATUSES
        .iter()
        .find(|s| diff(&with, &without, s) == Some(1))
        .map(|s| s.to_string());
    learned.answered = diff(&with, &without, "answered").map(|d| d == 1);
    learned.victims = diff(&with, &without, "victims_identified");
    // 2. Leave one country out at a time: the pair stops differing.
    let countries = country_codes(&with);
    for left_out in &countries {
        let others: Vec<String> = countries
            .iter()
            .filter(|c| *c != left_out)
            .cloned()
            .collect();
        let w = a.ask("countries", &with_q.clone().countries(&others)).await;
        let wo = a
            .ask("countries", &without_q.clone().countries(&others))
            .await;
        match (w, wo) {
            (Answer::Table(w), Answer::Table(wo)) => {
                if diff(&w, &wo, "requests") == Some(0) {
                    learned.country = Some(left_out.clone());
                    break;
                }
            }
            (Answer::Refused(fields), _) | (_, Answer::Refused(fields)) => {
                learned.refused.push((LEAVE_ONE_OUT, fields));
                break;
            }
        }
    }
    // 3. Bisect as_of: the first day it counts as answered, then the first
    // day it counts in its closing status.
    if learned.answered == Some(true) {
        learned.first_response = bisect(a, &with_q, &without_q, day, "answered", learned).await;
    }
    if let Some(status) = learned
        .status
        .clone()
        .filter(|s| CLOSING.contains(&s.as_str()))
    {
        learned.closed = bisect(a, &with_q, &without_q, day, &status, learned).await;
    }
}

/// The span of days in which `field` of the pair starts differing by one,
/// bisecting `as_of` between `sent` and the latest release.
async fn bisect(
    a: &mut Analyst<'_>,
    with_q: &Ask,
    without_q: &Ask,
    sent: NaiveDate,
    field: &str,
    learned: &mut Learned,
) -> Option<Span> {
    // Not yet on the day before it was sent; so on the latest release.
    let (mut lo, mut hi) = (sent.pred_opt()?, latest_release());
    while (hi - lo).num_days() > 1 {
        let mid = lo + Days::new((hi - lo).num_days() as u64 / 2);
        let w = a
            .ask(
                "countries",
                &Ask {
                    as_of: Some(mid),
                    ..with_q.clone()
                },
            )
            .await;
        let wo = a
            .ask(
                "countries",
                &Ask {
                    as_of: Some(mid),
                    ..without_q.clone()
                },
            )
            .await;
        match (w, wo) {
            (Answer::Table(w), Answer::Table(wo)) => {
                if diff(&w, &wo, field) == Some(1) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            (Answer::Refused(fields), _) | (_, Answer::Refused(fields)) => {
                learned.refused.push((DAY_AS_OF, fields));
                break;
            }
        }
    }
    Some((lo.succ_opt()?, hi))
}

/// The closest steps a closed query space allows: release dates a month
/// apart (the population is what was sent by `as_of`, so a release step
/// is the cumulative step `sent_to` used to be), one country at a time,
/// and the target's quarter, offence and channel.
async fn month_steps(a: &mut Analyst<'_>, known: Known, learned: &mut Learned) {
    let window = known.window;
    learned.mode = "month by month";
    let release = latest_release();
    // The other two steps of the original attack, tried once each.
    if let Answer::Refused(fields) = a.ask("countries", &Ask::as_of(window.1)).await {
        learned.refused.push((DAY_AS_OF, fields));
    }
    let all = a.table("countries", &Ask::as_of(release)).await;
    let countries = country_codes(&all);
    let others = Ask::as_of(release).countries(&countries[1..]);
    if let Answer::Refused(fields) = a.ask("countries", &others).await {
        learned.refused.push((LEAVE_ONE_OUT, fields));
    }
    // 1. Which country grew between the releases around the window: a
    // growth of exactly one first, else any.
    let before = first_of_month(window.0).pred_opt().expect("a day before");
    let after = month_end(window.1);
    learned.sent = Some(window);
    let mut grew = Vec::new();
    for c in &countries {
        let w = a.table("countries", &Ask::as_of(after).country(c)).await;
        let wo = a.table("countries", &Ask::as_of(before).country(c)).await;
        match diff(&w, &wo, "requests") {
            Some(0) => {}
            d => grew.push((c.clone(), d)),
        }
    }
    let pick = grew
        .iter()
        .find(|(_, d)| *d == Some(1))
        .or(grew.first())
        .map(|(c, _)| c.clone());
    learned.country = pick.clone();
    let Some(country) = pick else {
        return;
    };
    // 2. What became of it, release after release, through three windows
    // on it: all countries and the whole country (large counts, quiet but
    // for the target), and the country's requests of the target's
    // quarter, offence and channel (the target alone, if it is alone
    // there). The same requests always publish the same value, so any
    // change of a shown value — a number, or hidden against 0 — proves the
    // counted requests changed; the first change of each count dates the
    // target's move to the month.
    let narrowed = |as_of: NaiveDate| Ask {
        offence: Some(known.offence),
        channel: Some(known.channel),
        ..Ask::as_of(as_of)
            .period(quarter_of(window.0))
            .country(&country)
    };
    let views = [
        Ask::as_of(after),
        Ask::as_of(after).country(&country),
        narrowed(after),
    ];
    let mut prev = Vec::new();
    for view in &views {
        prev.push(a.table("countries", view).await);
    }
    let mut prev_date = after;
    for k in 1.. {
        let date = month_end(first_of_month(after) + Months::new(k));
        if date > release {
            break;
        }
        let mut cur = Vec::new();
        for view in &views {
            let view = Ask {
                as_of: Some(date),
                ..view.clone()
            };
            cur.push(a.table("countries", &view).await);
        }
        // Moves are read in the target's country only; all countries
        // serve the victims' gap below.
        let changed = |field: &str| {
            cur.iter()
                .zip(&prev)
                .skip(1)
                .any(|(c, p)| c["totals"][field] != p["totals"][field])
        };
        let span = Some((prev_date.succ_opt().expect("a day after"), date));
        if learned.first_response.is_none() && changed("answered") {
            learned.first_response = span;
            learned.answered = Some(true);
        }
        let moved = STATUSES[1..].iter().find(|s| changed(s));
        if let (None, Some(status)) = (&learned.status, moved) {
            learned.status = Some(status.to_string());
            if CLOSING.contains(status) {
                learned.closed = span;
            }
            // The victims cell has the executed cell's key when every
            // executed request has victims: their gap moves by v − 1.
            let gap = |t: &Value| {
                Some(count(&t["totals"], "victims_identified")? - count(&t["totals"], "executed")?)
            };
            if ["executed", "partially_executed"].contains(status) {
                learned.victims = cur
                    .iter()
                    .zip(&prev)
                    .find_map(|(c, p)| Some(gap(c)? - gap(p)? + 1));
            }
        }
        (prev_date, prev) = (date, cur);
    }
    learned.answered.get_or_insert(false);
    learned.status.get_or_insert_with(|| "pending".to_string());
}

fn country_codes(table: &Value) -> Vec<String> {
    table["countries"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["country"].as_str().expect("a code").to_string())
        .collect()
}

/// Five countries, twelve requests each, sent in January and settled in
/// February (two in each status group, victims behind the executed ones).
/// Then two targets, each alone on its day, with what the attacker knows:
/// a fortnight it was sent in. The first shares its month with two
/// requests sent on 9 May (Germany, Nigeria); the second is the only
/// request sent in August — the attacker's best case on a monthly lattice.
fn finding_1_portfolio(year: i32) -> (Vec<Filed>, Vec<(Filed, Known)>) {
    let mut requests = Vec::new();
    for (ci, country) in ["BR", "DE", "NG", "PH", "TH"].into_iter().enumerate() {
        for (si, status) in STATUSES.into_iter().enumerate() {
            for j in 0..2 {
                let sent = ymd(year, 1, 2 + ((ci * 12 + si * 2 + j) % 28) as u32);
                let r = Filed::new(country, sent);
                requests.push(match status {
                    "pending" => r,
                    "executed" => r
                        .then("in_execution", ymd(year, 2, 2))
                        .then("executed", ymd(year, 2, 9))
                        .victims(2),
                    "partially_executed" => r
                        .then("in_execution", ymd(year, 2, 3))
                        .then("partially_executed", ymd(year, 2, 10)),
                    closing => r.then(closing, ymd(year, 2, 4 + si as u32)),
                });
            }
        }
    }
    requests.push(Filed::new("DE", ymd(year, 5, 9)));
    requests.push(Filed::new("NG", ymd(year, 5, 9)));
    let known = |t: &Filed, window: Span| Known {
        window,
        offence: t.offence,
        channel: t.channel,
    };
    let first = Filed::new("PH", ymd(year, 5, 14))
        .then("in_execution", ymd(year, 6, 17))
        .then("executed", ymd(year, 9, 23))
        .victims(3);
    let second = Filed::new("TH", ymd(year, 8, 12)).then("refused", ymd(year, 10, 21));
    let targets = vec![
        (
            first.clone(),
            known(&first, (ymd(year, 5, 7), ymd(year, 5, 20))),
        ),
        (
            second.clone(),
            known(&second, (ymd(year, 8, 4), ymd(year, 8, 17))),
        ),
    ];
    requests.extend([first, second]);
    (requests, targets)
}

#[actix_web::test]
async fn finding_1_the_54_query_differencing_attack_no_longer_singles_out_a_request() {
    let app = spawn_app().await;
    let release = latest_release();
    let year = release.year() - 1;
    let (requests, targets) = finding_1_portfolio(year);
    file(&app, &requests).await;

    for (target, known) in targets {
        let mut analyst = Analyst::new(&app).await;
        let learned = differencing_attack(&mut analyst, known).await;
        eprintln!(
            "finding 1: {} sent {}, {:?}\n  the attacker: {}",
            target.country,
            target.sent,
            target.moves,
            learned.summary()
        );
        // Certain on a closed query space: consecutive release dates are
        // at least 28 days apart, so the dates it ends with are spans of
        // 28 days or more, never one day.
        let one_day = |d: Option<NaiveDate>| d.map(|d| (d, d));
        let singled_out = learned.country.as_deref() == Some(target.country)
            && learned.status.as_deref() == Some(target.status_on(release))
            && learned.answered == Some(target.answered_on(release))
            && learned.first_response == one_day(target.first_response())
            && learned.closed == one_day(target.closed());
        assert!(
            !singled_out,
            "the differencing attack recovered {}'s request of {}: country, status, answer and \
             both dates to the day, in {} queries: {learned:#?}",
            target.country, target.sent, learned.queries
        );
        // Each step it relied on is refused with a 422 naming its parameter.
        for (step, parameter) in [
            (DAY_STEPS, "sent_to"),
            (DAY_AS_OF, "as_of"),
            (LEAVE_ONE_OUT, "country"),
        ] {
            let fields = learned
                .refused
                .iter()
                .find(|(s, _)| *s == step)
                .map(|(_, f)| f);
            assert!(
                fields.is_some_and(|f| f.iter().any(|p| p == parameter)),
                "{step}: not refused naming {parameter}: {learned:#?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Finding 2: a published curve and the published requests give back counts.
// ---------------------------------------------------------------------------

/// The grid of the published life tables: days 30, 60, … and 365.
fn on_grid(day: u64) -> bool {
    day.is_multiple_of(30) || day == 365
}

/// From a curve's `(day, S)` points and the published requests, the events
/// of each step: at risk `n` (the requests less the events so far; nobody
/// is censored before the last answer here), `d = n (1 − S / S_before)`.
fn rebuilt_events(points: &[(u64, f64)], requests: i64) -> Vec<(u64, i64)> {
    let (mut at_risk, mut before) = (requests as f64, 1.0);
    let mut events = Vec::new();
    for &(day, survival) in points {
        if before <= 0.0 {
            break;
        }
        let d = (at_risk * (1.0 - survival / before)).round() as i64;
        events.push((day, d));
        at_risk -= d as f64;
        before = survival;
    }
    events
}

#[actix_web::test]
async fn finding_2_published_curves_give_back_no_per_day_counts() {
    let app = spawn_app().await;
    // Six countries, twelve requests each, all sent 500 days before the
    // latest release: eight answered on days off the grid (two in each of
    // the first two months, one in each of the next four), four still
    // waiting (censored on day 500).
    let sent = latest_release() - Days::new(500);
    let countries = ["AR", "CL", "CO", "MX", "PE", "UY"];
    let answer_days = [7, 19, 44, 52, 77, 101, 133, 170];
    let mut requests = Vec::new();
    let mut truth: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (ci, country) in countries.into_iter().enumerate() {
        for day in answer_days.map(|d| d + ci as u64) {
            assert!(!on_grid(day));
            truth.entry(country).or_default().push(day);
            requests.push(Filed::new(country, sent).then("in_execution", sent + Days::new(day)));
        }
        for _ in 0..4 {
            requests.push(Filed::new(country, sent));
        }
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let curves = analyst.table("response-curves", &Ask::default()).await;
    let table = analyst.table("countries", &Ask::default()).await;
    // Certain: the pooled curve, too, has grid days only.
    if let Some(steps) = curves["all_countries"]["curve"].as_array() {
        for step in steps {
            let day = step["day"].as_u64().unwrap();
            assert!(on_grid(day), "the pooled curve has a step on day {day}");
        }
    }
    let (mut shown, mut rebuilt_exactly) = (0, 0);
    for country in countries {
        let curve = curves["countries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["country"] == country)
            .unwrap_or_else(|| panic!("no curve for {country}: {curves}"));
        let Some(steps) = curve["curve"].as_array() else {
            continue; // hidden: nothing to rebuild from
        };
        let Some(requests) = row_of(&table, country).and_then(|r| count(r, "requests")) else {
            continue;
        };
        shown += 1;
        // Certain: a published point is a grid day and S, nothing else.
        for step in steps {
            for field in ["lower", "upper", "at_risk", "events"] {
                assert!(
                    step[field].is_null(),
                    "{country}: {field} published: {step}"
                );
            }
        }
        let points: Vec<(u64, f64)> = steps
            .iter()
            .map(|s| (s["day"].as_u64().unwrap(), s["survival"].as_f64().unwrap()))
            .collect();
        let off_grid: Vec<u64> = points
            .iter()
            .map(|p| p.0)
            .filter(|d| !on_grid(*d))
            .collect();
        assert!(
            off_grid.is_empty(),
            "{country}: the curve has steps on the days requests were answered ({off_grid:?}), \
             so with the published requests it gives back the per-day counts {:?}",
            rebuilt_events(&points, requests)
        );
        // Hence the rebuilt per-day counts are never the true ones (whose
        // days are all off the grid)…
        let rebuilt = rebuilt_events(&points, requests);
        let per_day: Vec<(u64, i64)> = truth[country].iter().map(|d| (*d, 1)).collect();
        let nonzero: Vec<(u64, i64)> = rebuilt.iter().copied().filter(|e| e.1 != 0).collect();
        assert_ne!(nonzero, per_day, "{country}");
        // …and the counts per grid interval are the true ones only when
        // every cumulative count the table was built from drew no noise.
        let mut start = 0;
        let exact = rebuilt.iter().all(|&(day, d)| {
            let n = truth[country]
                .iter()
                .filter(|t| (start + 1..=day).contains(*t))
                .count();
            start = day;
            d == n as i64
        });
        rebuilt_exactly += usize::from(exact);
    }
    // Each shown curve rests on six cumulative counts of answers (one per
    // month with answers), each a cell holding requests no other holds:
    // their noises are independent and each is 0 with probability 0.4.
    // Rebuilding every interval of all six curves exactly needs all 36 to
    // be 0: probability 0.4^36 < 1e-14.
    assert!(
        shown < countries.len() || rebuilt_exactly < shown,
        "every published curve gave back its true counts per interval ({rebuilt_exactly} of {shown})"
    );
}

// ---------------------------------------------------------------------------
// Finding 3: a share or a rate next to a hidden count, medians of small rows.
// ---------------------------------------------------------------------------

/// A country row's figures estimated from its requests (`victims_identified`
/// is hidden with them too, but is a count: a published 0 tells nothing).
const ESTIMATES: [&str; 22] = [
    "response_rate",
    "response_rate_ci",
    "refusal_rate",
    "refusal_rate_ci",
    "abandoned_no_response_rate",
    "abandoned_no_response_rate_ci",
    "median_days_to_acknowledgement",
    "median_days_to_acknowledgement_ci",
    "median_acknowledgement_not_reached",
    "median_days_to_response",
    "median_days_to_response_ci",
    "median_response_not_reached",
    "share_unanswered_90",
    "share_unanswered_90_ci",
    "share_unanswered_180",
    "share_unanswered_180_ci",
    "share_unanswered_365",
    "share_unanswered_365_ci",
    "mean_days_to_response_among_answered",
    "median_days_to_execution",
    "median_days_to_execution_ci",
    "median_execution_not_reached",
];

/// `x` from the Wilson interval `[low, high]` of `x / n`: the published
/// count the interval was computed from.
fn wilson_inverse(ci: &Value, n: f64) -> Option<i64> {
    let (low, high) = (ci[0].as_f64()?, ci[1].as_f64()?);
    let z2 = 1.959_963_984_540_054_f64.powi(2);
    let centre = (low + high) / 2.0;
    Some(((centre * (1.0 + z2 / n) - z2 / (2.0 * n)) * n).round() as i64)
}

#[actix_web::test]
async fn finding_3_shares_and_rates_next_to_a_hidden_count_do_not_give_it_back() {
    // A threshold of 6 makes every row below hide its `answered` and show
    // its `requests`, whatever the noise: 3 answered are published as 1 to
    // 5, 8 requests as 6 to 10.
    let threshold = 6;
    let app = spawn_app_with(|s| s.stats.suppression_threshold = threshold).await;
    let year = latest_release().year() - 2;
    let countries = ["AT", "BE", "CZ", "DK", "EE", "FI"];
    // 24 rows (six countries, four quarters): 8 requests sent on one day,
    // 3 of them answered 5 days later, 5 still waiting.
    let mut requests = Vec::new();
    let mut truth = BTreeMap::new();
    for quarter in 0..4 {
        for (ci, country) in countries.into_iter().enumerate() {
            let sent = ymd(year, quarter * 3 + 2, 10 + ci as u32);
            for i in 0..8 {
                let r = Filed::new(country, sent);
                requests.push(if i < 3 {
                    r.then("in_execution", sent + Days::new(5))
                } else {
                    r
                });
            }
            truth.insert((quarter, country), 3);
        }
    }
    // Two small rows: 3 requests, one answered.
    for country in ["GR", "HU"] {
        let sent = ymd(year, 2, 20);
        requests.push(Filed::new(country, sent).then("in_execution", sent + Days::new(5)));
        requests.push(Filed::new(country, sent));
        requests.push(Filed::new(country, sent));
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let mut broken = Vec::new();
    let (mut share_attack, mut rate_attack) = (Tally::default(), Tally::default());
    let mut interval_attack = Tally::default();
    let mut shares_by_hidden = Vec::new();
    for quarter in 0..4 {
        let period = quarter_of(ymd(year, quarter * 3 + 1, 1));
        let table = analyst
            .table("countries", &Ask::as_of(latest_release()).period(period))
            .await;
        assert_eq!(table["suppression"]["threshold"], threshold, "{table}");
        for row in table["countries"].as_array().unwrap() {
            let country = row["country"].as_str().unwrap();
            let requests = count(row, "requests");
            // Certain: nothing is estimated from a row of fewer published
            // requests than the threshold.
            if requests.is_none_or(|n| n < threshold as i64) {
                for field in ESTIMATES.iter().filter(|f| !row[**f].is_null()) {
                    broken.push(format!("{country}: {field} of a small row shown: {row}"));
                }
                continue;
            }
            if !row["answered"].is_null() {
                continue;
            }
            let (requests, truth) = (requests.unwrap() as f64, truth[&(quarter, country)]);
            // The attacks: rate × requests, and requests × (1 − the share
            // still unanswered), which is the number answered when no
            // request is censored before its answer could come (true
            // here).
            let rate = row["response_rate"].as_f64();
            rate_attack.add(rate.map(|r| (r * requests).round() as i64), truth);
            // Certain: nothing estimated from the first responses stands
            // beside the hidden count (an interval would give it back as
            // surely as the rate: `wilson_inverse`).
            for field in FROM_ANSWERED.iter().filter(|f| !row[**f].is_null()) {
                broken.push(format!(
                    "{country}: {field} beside a hidden `answered`: {row}"
                ));
            }
            interval_attack.add(wilson_inverse(&row["response_rate_ci"], requests), truth);
            let share = row["share_unanswered_365"].as_f64();
            if share.is_some() {
                shares_by_hidden.push(format!("{country} {}", period.0));
            }
            share_attack.add(share.map(|s| (requests * (1.0 - s)).round() as i64), truth);
        }
    }
    // Certain: the rate's interval next to a hidden `answered` is hidden.
    if interval_attack.trials > 0 {
        broken.push(format!(
            "Wilson's interval inverted next to a hidden `answered`: {interval_attack:?}"
        ));
    }
    // Certain: the rate next to a hidden `answered` is hidden.
    if rate_attack.trials > 0 {
        broken.push(format!(
            "rate × requests next to a hidden `answered`: {rate_attack:?}"
        ));
    }
    // Where a share is shown, the life table's counts are published ones:
    // at best the attack gives back the published `answered`, 3 + a noise
    // drawn from the cell's own key (24 disjoint cells: independent), which
    // is 3 with probability 0.4. Right in all 24 rows: 0.4^24 < 3e-10.
    if share_attack.trials > 0 {
        share_attack.check("requests × (1 − share_unanswered_365)", &mut broken);
    }
    // Stronger than the true count: a share next to a hidden `answered`
    // gives back its published value (the true one within 2), which hiding
    // it was meant to keep back. FINDING on 7271753: fails there.
    if !shares_by_hidden.is_empty() {
        broken.push(format!(
            "unanswered shares published next to a hidden `answered` in {} rows: requests × \
             (1 − share) gives back the hidden published count, {:?} (estimate, truth) \
             against the truth: {shares_by_hidden:?}",
            shares_by_hidden.len(),
            share_attack.seen
        ));
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

// ---------------------------------------------------------------------------
// Other attacks: subtracting one published cell from another.
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn subtracting_totals_periods_or_release_dates_gives_back_no_count() {
    let app = spawn_app().await;
    // 25 release dates R0 … R24, a month apart, the last the latest. The
    // year before R0's: Kenya has 9 requests answered in each of its first
    // three quarters; in its fourth quarter, 24 more, request i answered in
    // the month of R(i+1), so that Kenya's fourth quarter has exactly k
    // answered on Rk; Uganda and Tanzania have 9 answered each in that
    // quarter, settled before R0. Nine requests are published as 7 or more,
    // so those rows always show their details and every trial is played.
    let releases: Vec<NaiveDate> = (0..=24).rev().map(release_before).collect();
    let year = releases[0].year() - 1;
    let mut requests = Vec::new();
    for quarter in 0..3 {
        for i in 0..9 {
            let sent = ymd(year, quarter * 3 + 1, 5 + i);
            requests.push(Filed::new("KE", sent).then("in_execution", sent + Days::new(10)));
        }
    }
    for i in 0..24 {
        let sent = ymd(year, 10, 3 + i);
        let answered = first_of_month(releases[i as usize + 1]) + Days::new(2);
        requests.push(Filed::new("KE", sent).then("in_execution", answered));
    }
    for country in ["TZ", "UG"] {
        for i in 0..9 {
            let sent = ymd(year, 10, 5 + i);
            requests.push(Filed::new(country, sent).then("in_execution", sent + Days::new(10)));
        }
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let q4 = quarter_of(ymd(year, 10, 1));
    let (mut region, mut periods, mut releases_apart) =
        (Tally::default(), Tally::default(), Tally::default());
    let mut before: Option<Value> = None;
    for (k, &release) in releases.iter().enumerate() {
        let k = k as i64;
        let table = analyst
            .table("countries", &Ask::as_of(release).period(q4))
            .await;
        let timeline = analyst
            .table(
                "timeline",
                &Ask {
                    bucket: Some("quarter"),
                    ..Ask::as_of(release).period(year_of(year)).country("KE")
                },
            )
            .await;
        if k > 0 {
            // The region (totals) less its other countries: Kenya's fourth
            // quarter, answered.
            let answered = |c: &str| row_of(&table, c).and_then(|r| count(r, "answered"));
            region.add(
                count(&table["totals"], "answered")
                    .zip(answered("TZ"))
                    .zip(answered("UG"))
                    .map(|((t, tz), ug)| t - tz - ug),
                k,
            );
            // The year less its other three quarters (the timeline's
            // totals and quarter rows).
            let quarter = |n: u32| {
                timeline["buckets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|b| b["bucket"] == format!("{year}-Q{n}"))
                    .and_then(|b| count(b, "answered"))
            };
            periods.add(
                count(&timeline["totals"], "answered")
                    .zip(quarter(1))
                    .zip(quarter(2))
                    .zip(quarter(3))
                    .map(|(((y, q1), q2), q3)| y - q1 - q2 - q3),
                k,
            );
            // One release less the one before: answered in that month.
            let previous = before.as_ref().expect("the release before");
            releases_apart.add(diff(&table, previous, "answered"), 1);
        }
        before = Some(table);
    }
    // Each trial's minuend is a cell with a request in it that no earlier
    // trial's cells hold (the one answered that month), so, whatever came
    // before, its noise is a fresh draw and the estimate is right with
    // probability at most 0.4 (`Tally::check`).
    let mut broken = Vec::new();
    region.check("totals less the other countries", &mut broken);
    periods.check("a year less its other quarters", &mut broken);
    releases_apart.check("a release less the release before", &mut broken);
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Victims are counted for the requests executed (or partially executed)
/// in their case, and the `victims_identified` cell is keyed by those
/// requests: where they are exactly the executed ones, the two cells have
/// one key. The attacker takes `victims_identified − executed` on two
/// releases a month apart; the change is `v − 1` for the one request
/// executed in between, with victims `v`.
/// An area's row is a cell of its own (docs/DOMAIN.md §8.4): a sub-region
/// less its shown countries is its hidden country within the sum of all
/// their noises, never exactly. Six sub-regions of three countries, in
/// each of four quarters: two of 9 requests (always shown), one of 3 (the
/// target). 24 trials, each holding requests no other trial holds.
#[actix_web::test]
async fn a_sub_region_less_its_countries_gives_back_no_hidden_country() {
    let app = spawn_app().await;
    let year = latest_release().year() - 2;
    let areas: [(&str, [&str; 3]); 6] = [
        ("155", ["DE", "FR", "BE"]),
        ("039", ["IT", "ES", "PT"]),
        ("154", ["SE", "NO", "DK"]),
        ("151", ["PL", "CZ", "HU"]),
        ("035", ["PH", "VN", "TH"]),
        ("419", ["BR", "AR", "CO"]),
    ];
    let mut requests = Vec::new();
    for quarter in 0..4 {
        for (_, countries) in &areas {
            for (i, country) in countries.iter().enumerate() {
                let n = if i == 2 { 3 } else { 9 };
                for day in 0..n {
                    requests.push(Filed::new(country, ymd(year, quarter * 3 + 1, 2 + day)));
                }
            }
        }
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let mut attack = Tally::default();
    for quarter in 0..4 {
        let ask = Ask::as_of(latest_release()).period(quarter_of(ymd(year, quarter * 3 + 1, 1)));
        let by_country = analyst.table("countries", &ask).await;
        let by_area = analyst
            .table(
                "countries",
                &Ask {
                    group: Some("subregion"),
                    ..ask
                },
            )
            .await;
        for (code, [big1, big2, _small]) in &areas {
            let area = by_area["areas"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["area"] == *code)
                .unwrap_or_else(|| panic!("no row for {code}: {by_area}"));
            let requests = |c: &str| row_of(&by_country, c).and_then(|r| count(r, "requests"));
            attack.add(
                count(area, "requests")
                    .zip(requests(big1))
                    .zip(requests(big2))
                    .map(|((a, b1), b2)| a - b1 - b2),
                3,
            );
        }
    }
    let mut broken = Vec::new();
    attack.check("a sub-region less its shown countries", &mut broken);
    assert!(broken.is_empty(), "{broken:#?}");
}

#[actix_web::test]
async fn victims_less_executed_gives_back_no_case_s_victims() {
    let app = spawn_app().await;
    // Brazil: 7 requests executed before R0, 2 victims each; 24 targets,
    // target i executed in the month of R(i+1) with 1 to 4 victims. Every
    // executed request's case has victims, none is partially executed.
    let releases: Vec<NaiveDate> = (0..=24).rev().map(release_before).collect();
    let year = releases[0].year() - 1;
    let mut requests = Vec::new();
    for i in 0..7 {
        let sent = ymd(year, 3, 2 + i);
        requests.push(
            Filed::new("BR", sent)
                .then("executed", sent + Days::new(40))
                .victims(2),
        );
    }
    let mut victims = Vec::new();
    for i in 0..24 {
        let executed = first_of_month(releases[i + 1]) + Days::new(4);
        victims.push(1 + i as i64 % 4);
        requests.push(
            Filed::new("BR", ymd(year, 6, 2 + i as u32))
                .then("executed", executed)
                .victims(1 + i as u64 % 4),
        );
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let mut tally = Tally::default();
    let mut before: Option<Option<i64>> = None;
    for (k, &release) in releases.iter().enumerate() {
        let table = analyst.table("countries", &Ask::as_of(release)).await;
        let totals = &table["totals"];
        let gap = count(totals, "victims_identified")
            .zip(count(totals, "executed"))
            .map(|(v, x)| v - x);
        if let Some(previous) = before {
            tally.add(gap.zip(previous).map(|(g, p)| g - p + 1), victims[k - 1]);
        }
        before = Some(gap);
    }
    // FINDING on 7271753: fails there, in every trial (see the module
    // documentation). Were the two cells' noises drawn apart, each trial's
    // minuend holds a request no earlier cell holds (the one executed that
    // month), so each estimate is right with probability at most 0.4
    // (`Tally::check`).
    let mut broken = Vec::new();
    tally.check(
        "victims_identified − executed, one release less the one before",
        &mut broken,
    );
    assert!(broken.is_empty(), "{broken:#?}");
}

// ---------------------------------------------------------------------------
// Other attacks: filters narrowed to one request.
// ---------------------------------------------------------------------------

/// The one column of `columns` that is hidden while all the others show
/// 0, if there is one: a hidden count is at least 1 (an empty cell is
/// published as 0), so that column is where the lone request is.
fn lone_hidden<'c>(row: &Value, columns: &[&'c str]) -> Option<&'c str> {
    let hidden: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| row[*c].is_null())
        .collect();
    let zeros = columns.iter().filter(|c| count(row, c) == Some(0)).count();
    (hidden.len() == 1 && zeros == columns.len() - 1).then(|| hidden[0])
}

#[actix_web::test]
async fn narrowing_the_filters_to_one_request_gives_back_no_outcome() {
    let app = spawn_app().await;
    // Twenty targets, one per country, each the only request of its country
    // about grooming sent through diplomatic channels in one quarter; its
    // country has two other requests that quarter (other offence, other
    // channel), still waiting. The targets' outcomes cycle through the six
    // status groups.
    let year = latest_release().year() - 1;
    let countries = [
        "AL", "AM", "AZ", "BA", "BY", "CH", "CY", "GE", "IS", "LI", "MC", "MD", "ME", "MK", "MT",
        "NO", "RS", "SM", "TR", "UA",
    ];
    let mut requests = Vec::new();
    let mut targets = Vec::new();
    for (i, country) in countries.into_iter().enumerate() {
        let sent = ymd(year, 4, 3 + i as u32);
        let t = Filed::new(country, sent)
            .offence("grooming_sextortion")
            .channel("diplomatic");
        let t = match STATUSES[i % 6] {
            "pending" => t,
            "executed" => t
                .then("in_execution", sent + Days::new(20))
                .then("executed", sent + Days::new(60)),
            "partially_executed" => t.then("partially_executed", sent + Days::new(30)),
            other => t.then(other, sent + Days::new(40)),
        };
        targets.push(t.clone());
        requests.push(t);
        requests.push(Filed::new(country, sent));
        requests.push(Filed::new(country, sent + Days::new(1)));
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let release = latest_release();
    let (mut broken, mut outcomes) = (Vec::new(), Vec::new());
    for t in &targets {
        let narrowed = Ask {
            offence: Some(t.offence),
            channel: Some(t.channel),
            ..Ask::as_of(release)
                .period(quarter_of(t.sent))
                .country(t.country)
        };
        let table = analyst.table("countries", &narrowed).await;
        let curves = analyst.table("response-curves", &narrowed).await;
        let timeline = analyst.table("timeline", &narrowed).await;
        let grounds = analyst.table("refusal-grounds", &narrowed).await;
        let cohorts = analyst.table("cohorts", &narrowed).await;
        let mut rows = vec![("countries", &table["totals"])];
        rows.extend(
            table["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| ("countries", r)),
        );
        rows.push(("timeline", &timeline["totals"]));
        rows.extend(
            timeline["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| ("timeline", r)),
        );
        rows.push(("cohorts", &cohorts["totals"]));
        rows.extend(
            cohorts["cohorts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| ("cohorts", r)),
        );
        rows.push(("refusal-grounds", &grounds["totals"]));
        rows.extend(
            grounds["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| ("refusal-grounds", r)),
        );
        // Certain: one request's counts come out 0 or hidden, and nothing
        // is estimated from it.
        for (endpoint, row) in &rows {
            for (field, value) in row.as_object().unwrap() {
                if value.as_i64().is_some_and(|n| n != 0) {
                    broken.push(format!("{}: {endpoint} {field} = {value}", t.country));
                }
            }
        }
        for field in ESTIMATES.iter().filter(|f| !table["totals"][**f].is_null()) {
            broken.push(format!("{}: {field} shown", t.country));
        }
        if !curves["all_countries"]["curve"].is_null() {
            broken.push(format!("{}: a curve shown", t.country));
        }
        // Certain: no cohort's share (nor its interval) of one request:
        // it would say whether that request was answered within the year.
        for (_, row) in rows.iter().filter(|(endpoint, _)| *endpoint == "cohorts") {
            for field in ["share", "ci_low", "ci_high", "answered_within"] {
                if !row[field].is_null() {
                    broken.push(format!("{}: a cohort's {field} shown: {row}", t.country));
                }
            }
        }
        // Certain: a row that may hold fewer than 5 requests (its total is
        // published as 3 at most) shows none of its statuses, not even a
        // 0, so no hidden count stands out among zeros.
        for status in STATUSES {
            if !table["totals"][status].is_null() {
                broken.push(format!(
                    "{}: {status} shown in a one-request row",
                    t.country
                ));
            }
        }
        // The attack: which of the counts is hidden rather than 0.
        let row = &table["totals"];
        let mut learned = Vec::new();
        if let Some(status) = lone_hidden(row, &STATUSES) {
            learned.push(format!("status {status}"));
        }
        // Hidden tells "answered" apart from 0 only where the row shows
        // its counts: in the old view, a row of one request showed its
        // empty statuses as 0.
        if row["answered"].is_null() && STATUSES.iter().any(|s| row[*s].is_number()) {
            learned.push("answered".to_string());
        }
        let refusal_grounds = reasons::reasons(Closure::Refused);
        if let Some(ground) = lone_hidden(&grounds["totals"], &refusal_grounds) {
            learned.push(format!("refused on {ground}"));
        }
        if !learned.is_empty() {
            outcomes.push(format!(
                "{}: {} (truly {}, answered {})",
                t.country,
                learned.join(", "),
                t.status_on(release),
                t.answered_on(release)
            ));
        }
    }
    // FINDING on 7271753: fails there (see the module documentation). A
    // published count is hidden only when its cell holds a request, an
    // empty cell is published as 0, so the hidden columns of a one-request
    // table are the request's: its status, whether it was answered, its
    // refusal ground. Each shows with probability 0.7 (its published value
    // is 0 otherwise); over twenty targets, none showing has probability
    // 0.3^20 < 1e-10 — and none can show once a hidden count is never
    // told apart from a 0 next to it.
    if !outcomes.is_empty() {
        broken.push(format!(
            "one request's outcome read off which counts are hidden rather than 0, for {} of \
             {} targets: {outcomes:#?}",
            outcomes.len(),
            targets.len()
        ));
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

// ---------------------------------------------------------------------------
// Other attacks: asking again, or another way, to average the noise away.
// ---------------------------------------------------------------------------

/// A row without its labels: every count and estimate, hidden or not.
fn figures_of(row: &Value) -> BTreeMap<String, Value> {
    row.as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !["country", "country_name", "bucket"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A row's figures without the life-table estimates (medians, shares
/// still waiting, mean delay): what two releases must agree on for the
/// same requests. A request still waiting is followed up to the release
/// date, so a month later it sits in the next 30-day interval of the life
/// table: another cell, with its own noise, and estimates that may differ.
fn counts_of(row: &Value) -> BTreeMap<String, Value> {
    figures_of(row)
        .into_iter()
        .filter(|(k, _)| {
            !["median_", "share_unanswered_", "mean_days_"]
                .iter()
                .any(|estimate| k.starts_with(estimate))
        })
        .collect()
}

#[actix_web::test]
async fn asking_again_or_another_way_draws_no_new_noise() {
    let app = spawn_app().await;
    // One year's requests, all through the central authority: Germany 12,
    // the Philippines 9, Nigeria 3, in every status group — the year before
    // the release before the latest, so that each request has its last
    // status (at most 30 days after it was sent) in every release compared.
    let year = release_before(1).year() - 1;
    let mut requests = Vec::new();
    for (country, n) in [("DE", 12), ("PH", 9), ("NG", 3)] {
        for i in 0..n {
            let sent = ymd(year, 1 + (i % 12) as u32, 10);
            let r = Filed::new(country, sent);
            requests.push(match STATUSES[i % 6] {
                "pending" => r,
                "executed" => r
                    .then("in_execution", sent + Days::new(15))
                    .then("executed", sent + Days::new(30))
                    .victims(2),
                "partially_executed" => r.then("partially_executed", sent + Days::new(20)),
                other => r.then(other, sent + Days::new(25)),
            });
        }
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    // The same query twenty times: the same bytes every time, so averaging
    // the answers gives the first answer back, noise included.
    for (endpoint, ask) in [
        ("countries", Ask::default()),
        (
            "countries",
            Ask {
                csv: true,
                ..Ask::default()
            },
        ),
        (
            "timeline",
            Ask {
                bucket: Some("quarter"),
                ..Ask::default()
            },
        ),
        ("response-curves", Ask::default()),
        ("refusal-grounds", Ask::default()),
        ("charts/response-rates.svg", Ask::default()),
        ("charts/response-curves.svg", Ask::default()),
    ] {
        let first = analyst.table(endpoint, &ask).await;
        for _ in 1..20 {
            assert_eq!(
                analyst.table(endpoint, &ask).await,
                first,
                "{endpoint} {ask:?}"
            );
        }
    }
    // The same requests reached through different queries: the same cell,
    // so the same published count (certain: the noise is a function of
    // the requests counted). Another release follows the requests still
    // waiting for longer: its counts are the same cells, its estimates not.
    let release = latest_release();
    let all = analyst.table("countries", &Ask::as_of(release)).await;
    let same_release: fn(&Value) -> BTreeMap<String, Value> = figures_of;
    let other_release: fn(&Value) -> BTreeMap<String, Value> = counts_of;
    let equivalents = [
        (
            "the year",
            Ask::as_of(release).period(year_of(year)),
            same_release,
        ),
        (
            "the one channel",
            Ask {
                channel: Some("central_authority"),
                ..Ask::as_of(release)
            },
            same_release,
        ),
        (
            "the release before",
            Ask::as_of(release_before(1)),
            other_release,
        ),
        (
            "an earlier release",
            Ask::as_of(month_end(ymd(year + 1, 1, 1))),
            other_release,
        ),
    ];
    for (what, ask, compared) in equivalents {
        let other = analyst.table("countries", &ask).await;
        assert_eq!(
            compared(&other["totals"]),
            compared(&all["totals"]),
            "{what}"
        );
        for row in all["countries"].as_array().unwrap() {
            let code = row["country"].as_str().unwrap();
            let again = row_of(&other, code).unwrap_or_else(|| panic!("{what}: no {code}"));
            assert_eq!(compared(again), compared(row), "{what}: {code}");
        }
    }
    for row in all["countries"].as_array().unwrap() {
        let code = row["country"].as_str().unwrap();
        let alone = analyst
            .table("countries", &Ask::as_of(release).country(code))
            .await;
        let alone_row = row_of(&alone, code).unwrap_or_else(|| panic!("no {code}: {alone}"));
        assert_eq!(figures_of(alone_row), figures_of(row), "{code} alone");
        assert_eq!(
            figures_of(&alone["totals"]),
            figures_of(row),
            "{code}: its totals"
        );
    }
    // Other tables count the same requests: the same cells again, with the
    // same value wherever both show it (a table may hide a cell another
    // shows: a reasons row shows its reasons only when its own total is
    // large enough).
    let same = |a: &Value, b: &Value, what: &str| {
        if !a.is_null() && !b.is_null() {
            assert_eq!(a, b, "{what}");
        }
    };
    let totals = &all["totals"];
    let timeline = analyst.table("timeline", &Ask::as_of(release)).await;
    let year_row = &timeline["buckets"][0];
    for (column, sent) in [
        ("requests", "sent"),
        ("answered", "answered"),
        ("executed", "executed"),
        ("refused", "refused"),
        ("abandoned", "abandoned"),
    ] {
        same(&timeline["totals"][sent], &totals[column], "timeline");
        same(&year_row[sent], &totals[column], "the year's bucket");
    }
    assert_eq!(
        timeline["totals"]["sent"], totals["requests"],
        "shown in both"
    );
    let grounds = analyst.table("refusal-grounds", &Ask::as_of(release)).await;
    same(&grounds["totals"]["refused"], &totals["refused"], "refused");
    let reasons = analyst
        .table("abandonment-reasons", &Ask::as_of(release))
        .await;
    same(
        &reasons["totals"]["abandoned"],
        &totals["abandoned"],
        "abandoned",
    );
    same(
        &reasons["totals"]["no_response"],
        &totals["abandoned_no_response"],
        "no response",
    );
}

// ---------------------------------------------------------------------------
// The chasing and victims tables.
// ---------------------------------------------------------------------------

/// Each filed request's id, by its position in the slice [`file`] was given
/// (its case reference says it).
async fn filed_ids(app: &TestApp) -> BTreeMap<usize, String> {
    app.list_all("", 200)
        .await
        .iter()
        .filter_map(|r| {
            let n = r["case_reference"].as_str()?.strip_prefix("ATK-")?;
            Some((n.parse().ok()?, r["id"].as_str()?.to_string()))
        })
        .collect()
}

/// Records `times` follow-ups of request `id`, sent on `sent`, ten days
/// apart from its sending.
async fn chase(app: &TestApp, id: &str, sent: NaiveDate, times: u64) {
    for i in 1..=times {
        let res = app
            .post(
                &format!("/api/v1/requests/{id}/follow-ups"),
                &app.admin_token,
                &json!({"channel": "diplomatic", "effective_date": (sent + Days::new(10 * i)).to_string()}),
            )
            .await;
        assert_eq!(res.status, 201, "{res:?}");
    }
}

/// The chasing table's figures beside its total.
const CHASING_DETAILS: [&str; 5] = [
    "followed_up",
    "chased_twice",
    "median_follow_ups",
    "share_chased_twice",
    "share_chased_twice_ci",
];

/// The victims table's figures beside its cases.
const VICTIMS_DETAILS: [&str; 3] = ["cases_with_victims_identified", "share", "share_ci"];

/// Twenty targets, one per country, each the only request of its country
/// about grooming sent through diplomatic channels in one quarter, beside
/// two others still waiting: half abandoned for silence after 0 to 3
/// follow-ups, half executed in a case that identified 1 to 3 victims.
/// Certain: narrowed to the target, the chasing and victims tables show
/// every count 0 or hidden, and nothing beside it — no follow-up count, no
/// median, no share, no case with victims — so no hidden count stands out
/// among zeros to tell whether it was chased, or found victims.
#[actix_web::test]
async fn the_chasing_and_victims_tables_narrowed_to_one_request_show_nothing() {
    let app = spawn_app().await;
    let year = latest_release().year() - 1;
    let countries = [
        "AL", "AM", "AZ", "BA", "BY", "CH", "CY", "GE", "IS", "LI", "MC", "MD", "ME", "MK", "MT",
        "NO", "RS", "SM", "TR", "UA",
    ];
    let mut requests = Vec::new();
    let mut targets = Vec::new();
    for (i, country) in countries.into_iter().enumerate() {
        let sent = ymd(year, 4, 3 + i as u32);
        let t = Filed::new(country, sent)
            .offence("grooming_sextortion")
            .channel("diplomatic");
        let t = if i % 2 == 0 {
            t.then("abandoned", sent + Days::new(60))
        } else {
            t.then("in_execution", sent + Days::new(20))
                .then("executed", sent + Days::new(50))
                .victims(1 + i as u64 % 3)
        };
        targets.push((requests.len(), t.clone()));
        requests.push(t);
        requests.push(Filed::new(country, sent));
        requests.push(Filed::new(country, sent + Days::new(1)));
    }
    file(&app, &requests).await;
    let ids = filed_ids(&app).await;
    for (i, (n, t)) in targets.iter().enumerate() {
        if i % 2 == 0 {
            chase(&app, &ids[n], t.sent, (i / 2) as u64 % 4).await;
        }
    }

    let mut analyst = Analyst::new(&app).await;
    let release = latest_release();
    let mut broken = Vec::new();
    for (_, t) in &targets {
        let narrowed = Ask {
            offence: Some(t.offence),
            channel: Some(t.channel),
            ..Ask::as_of(release)
                .period(quarter_of(t.sent))
                .country(t.country)
        };
        for (endpoint, total, details) in [
            ("chasing", "abandoned_no_response", &CHASING_DETAILS[..]),
            ("victims", "cases", &VICTIMS_DETAILS[..]),
        ] {
            let table = analyst.table(endpoint, &narrowed).await;
            let mut rows = vec![&table["totals"]];
            rows.extend(table["countries"].as_array().unwrap());
            for row in rows {
                if count(row, total).is_some_and(|n| n != 0) {
                    broken.push(format!(
                        "{}: {endpoint} {total} = {}",
                        t.country, row[total]
                    ));
                }
                for field in details.iter().filter(|f| !row[**f].is_null()) {
                    broken.push(format!(
                        "{}: {endpoint} {field} shown in a one-request row: {row}",
                        t.country
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Six countries in each of four quarters (24 rows), each with 10 requests
/// abandoned for silence: 2 chased twice, 3 once, 5 never. Ten requests are
/// published as 8 or more, so every row shows its figures; 2 chased twice
/// are published as 0 to 4, hidden unless 0. Certain: no share chased twice
/// and no interval beside a hidden `chased_twice` (with the total, the
/// share gives it back, and Wilson's interval inverted too); the chasing
/// table's `abandoned_no_response` is the country table's, the same
/// requests' cell (asking another way draws no new noise).
#[actix_web::test]
async fn the_share_chased_twice_beside_a_hidden_count_does_not_give_it_back() {
    let app = spawn_app().await;
    let year = latest_release().year() - 1;
    let countries = ["KE", "TZ", "UG", "RW", "ET", "SN"];
    let mut requests = Vec::new();
    let mut chased = Vec::new();
    for quarter in 0..4 {
        for (ci, country) in countries.into_iter().enumerate() {
            let sent = ymd(year, quarter * 3 + 1, 3 + ci as u32);
            for i in 0..10 {
                let times = match i {
                    0 | 1 => 2,
                    2..=4 => 1,
                    _ => 0,
                };
                chased.push((requests.len(), sent, times));
                requests.push(Filed::new(country, sent).then("abandoned", sent + Days::new(60)));
            }
        }
    }
    file(&app, &requests).await;
    let ids = filed_ids(&app).await;
    for (n, sent, times) in chased {
        chase(&app, &ids[&n], sent, times).await;
    }

    let mut analyst = Analyst::new(&app).await;
    let (mut broken, mut hidden) = (Vec::new(), 0);
    let mut share_attack = Tally::default();
    for quarter in 0..4 {
        let ask = Ask::as_of(latest_release()).period(quarter_of(ymd(year, quarter * 3 + 1, 1)));
        let chasing = analyst.table("chasing", &ask).await;
        let by_country = analyst.table("countries", &ask).await;
        for row in chasing["countries"].as_array().unwrap() {
            let country = row["country"].as_str().unwrap();
            let total = count(row, "abandoned_no_response").expect("10 requests are shown");
            assert!(total >= 8, "{row}");
            let same = row_of(&by_country, country).map(|r| &r["abandoned_no_response"]);
            if same != Some(&row["abandoned_no_response"]) {
                broken.push(format!(
                    "{country}: abandoned_no_response {} here, {same:?} in the country table",
                    row["abandoned_no_response"]
                ));
            }
            if row["median_follow_ups"].is_null() {
                broken.push(format!("{country}: no median in a row large enough: {row}"));
            }
            if !row["chased_twice"].is_null() {
                continue;
            }
            hidden += 1;
            for field in ["share_chased_twice", "share_chased_twice_ci"] {
                if !row[field].is_null() {
                    broken.push(format!(
                        "{country}: {field} beside a hidden chased_twice: {row}"
                    ));
                }
            }
            let share = row["share_chased_twice"].as_f64();
            share_attack.add(share.map(|s| (s * total as f64).round() as i64), 2);
        }
    }
    assert!(hidden > 0, "some chased_twice hidden");
    if share_attack.trials > 0 {
        broken.push(format!(
            "share × abandoned beside a hidden chased_twice: {share_attack:?}"
        ));
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// A case's cell is keyed by its requests: where each case sent one
/// request, the victims table's `cases` has the key of the country table's
/// `requests`, and its cases with victims that of `executed` when those
/// are the executed requests; unsalted, each pair drew one noise and its
/// published difference was the true one (0). Six countries in each of
/// four quarters (24 rows), each with 12 requests under cases of their own,
/// 7 of them executed in a case that identified victims: every count is
/// published as 5 or more, so every trial is played, each on requests no
/// other trial holds. Neither difference exact in all 24 (0.4^24 each).
#[actix_web::test]
async fn cases_less_requests_of_the_same_requests_give_back_nothing() {
    let app = spawn_app().await;
    let year = latest_release().year() - 1;
    let countries = ["AR", "CL", "CO", "MX", "PE", "UY"];
    let mut requests = Vec::new();
    for quarter in 0..4 {
        for (ci, country) in countries.into_iter().enumerate() {
            let sent = ymd(year, quarter * 3 + 1, 3 + ci as u32);
            for i in 0..12 {
                let r = Filed::new(country, sent);
                requests.push(if i < 7 {
                    r.then("in_execution", sent + Days::new(20))
                        .then("executed", sent + Days::new(40))
                        .victims(1 + i % 3)
                } else {
                    r
                });
            }
        }
    }
    file(&app, &requests).await;

    let mut analyst = Analyst::new(&app).await;
    let (mut cases_less_requests, mut victims_less_executed) = (Tally::default(), Tally::default());
    for quarter in 0..4 {
        let ask = Ask::as_of(latest_release()).period(quarter_of(ymd(year, quarter * 3 + 1, 1)));
        let victims = analyst.table("victims", &ask).await;
        let by_country = analyst.table("countries", &ask).await;
        for country in countries {
            let cases = row_of(&victims, country).expect("a row per country");
            let requests = row_of(&by_country, country).expect("a row per country");
            cases_less_requests.add(
                count(requests, "requests")
                    .zip(count(cases, "cases"))
                    .map(|(r, c)| r - c),
                0,
            );
            victims_less_executed.add(
                count(requests, "executed")
                    .zip(count(cases, "cases_with_victims_identified"))
                    .map(|(e, v)| e - v),
                0,
            );
        }
    }
    let mut broken = Vec::new();
    cases_less_requests.check("requests less cases, one request per case", &mut broken);
    victims_less_executed.check(
        "executed less cases with victims, the executed ones",
        &mut broken,
    );
    assert!(broken.is_empty(), "{broken:#?}");
}

// ---------------------------------------------------------------------------
// The e-evidence table (`/stats/e-evidence`): rows by data category.
// ---------------------------------------------------------------------------

/// An e-evidence order: sent on `sent` to `country` asking for `measures`,
/// then moved to `moved` (status, date) if any.
type Order = (
    NaiveDate,
    &'static str,
    &'static [&'static str],
    Option<(&'static str, NaiveDate)>,
);

/// Files e-evidence orders through the API as the admin, six at a time.
async fn file_orders(app: &TestApp, orders: &[Order]) {
    for (n, chunk) in orders.chunks(6).enumerate() {
        let filing = chunk
            .iter()
            .enumerate()
            .map(|(i, (sent, country, measures, moved))| async move {
                let mut body = sent_body(&format!("EEV-{:04}", n * 6 + i), &sent.to_string());
                body["target_country"] = json!(country);
                body["legal_basis"] = json!("e_evidence_regulation");
                body["channel"] = json!("service_provider_direct");
                body["measures"] = json!(measures);
                body["priority"] = json!("normal");
                body["requested_authority"] = json!("Provider A");
                let id = id_of(&app.create_request(&body).await);
                if let Some((status, date)) = moved {
                    app.move_to(&id, status, &date.to_string()).await;
                }
            })
            .collect();
        common::concurrently(filing).await;
    }
}

/// The e-evidence table as an analyst asks it: a quarter, one country.
fn eevidence_path(quarter: Span, country: &str, by: &str) -> String {
    format!(
        "/api/v1/stats/e-evidence?{}",
        query(&[
            ("as_of", &latest_release().to_string()),
            ("sent_from", &quarter.0.to_string()),
            ("sent_to", &quarter.1.to_string()),
            ("country", country),
            ("by", by),
        ])
    )
}

/// The 24 quarters of the six years before the latest release's.
fn eevidence_quarters() -> Vec<Span> {
    let year = latest_release().year() - 6;
    (0..24)
        .map(|q| quarter_of(ymd(year + q / 4, (q % 4) as u32 * 3 + 1, 1)))
        .collect()
}

/// In each of 24 quarters, Germany receives 8 orders for subscriber and
/// traffic data and one for subscriber data alone: the subscriber row less
/// the traffic row is that one order. Not exact in all 24 trials (each
/// quarter's orders are fresh draws: 0.4^24). And certain: the traffic
/// row's orders are the same requests as the country table narrowed to
/// traffic-data orders, and publish the same count — no second draw of one
/// count to average (the cells are not salted per category).
#[actix_web::test]
async fn a_category_row_less_another_gives_back_no_order() {
    let app = spawn_app().await;
    let mut orders: Vec<Order> = Vec::new();
    for (start, _) in eevidence_quarters() {
        for day in 0..8 {
            orders.push((
                start + Days::new(day + 1),
                "DE",
                &["subscriber_data", "traffic_data"],
                None,
            ));
        }
        orders.push((start + Days::new(20), "DE", &["subscriber_data"], None));
    }
    file_orders(&app, &orders).await;

    let analyst = app.token_for("analyst").await;
    let mut attack = Tally::default();
    for quarter in eevidence_quarters() {
        let res = app
            .get(&eevidence_path(quarter, "DE", "category"), &analyst)
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        let rows = res.body["rows"].as_array().unwrap();
        let orders_of = |category: &str| {
            rows.iter()
                .find(|r| r["data_category"] == category && r["emergency"] == false)
                .and_then(|r| count(r, "orders"))
        };
        let (subscriber, traffic) = (orders_of("subscriber_data"), orders_of("traffic_data"));
        attack.add(subscriber.zip(traffic).map(|(s, t)| s - t), 1);

        let countries = app
            .get(
                &format!(
                    "/api/v1/stats/countries?{}",
                    query(&[
                        ("as_of", &latest_release().to_string()),
                        ("sent_from", &quarter.0.to_string()),
                        ("sent_to", &quarter.1.to_string()),
                        ("legal_basis", "e_evidence_regulation"),
                        ("measure", "traffic_data"),
                    ])
                ),
                &analyst,
            )
            .await;
        assert_eq!(countries.status, 200, "{countries:?}");
        assert_eq!(
            count(&countries.body["totals"], "requests"),
            traffic,
            "the same orders, the same published count"
        );
    }
    let mut broken = Vec::new();
    attack.check("subscriber row less traffic row", &mut broken);
    assert!(broken.is_empty(), "{broken:#?}");
}

/// One order alone in its quarter and country (Austria), in 24 quarters:
/// complied with, refused, withdrawn or still open. Certain: narrowed to
/// it, by category and by addressee, every count is 0 or hidden and no
/// mean is shown — no outcome read off the one count hidden among zeros.
#[actix_web::test]
async fn narrowing_the_e_evidence_table_to_one_order_gives_back_no_outcome() {
    let app = spawn_app().await;
    let outcomes = [
        Some("executed"),
        Some("refused"),
        Some("partially_executed"),
        Some("withdrawn"),
        None,
    ];
    let orders: Vec<Order> = eevidence_quarters()
        .into_iter()
        .enumerate()
        .map(|(i, (start, _))| {
            let moved = outcomes[i % outcomes.len()].map(|s| (s, start + Days::new(30)));
            let measures: &'static [&'static str] = match i % 3 {
                0 => &["subscriber_data"],
                1 => &["traffic_data", "content_data"],
                _ => &["content_data"],
            };
            (start + Days::new(2), "AT", measures, moved)
        })
        .collect();
    file_orders(&app, &orders).await;

    let analyst = app.token_for("analyst").await;
    for quarter in eevidence_quarters() {
        for by in ["category", "addressee"] {
            let res = app.get(&eevidence_path(quarter, "AT", by), &analyst).await;
            assert_eq!(res.status, 200, "{res:?}");
            let rows = res.body["rows"].as_array().unwrap();
            assert!(!rows.is_empty(), "{by}: the order has its row");
            for row in rows.iter().chain([&res.body["totals"]]) {
                for field in ["orders", "complied", "not_complied", "pending"] {
                    assert!(
                        matches!(count(row, field), None | Some(0)),
                        "{by} {quarter:?}: {field} shown: {row}"
                    );
                }
                assert!(row["mean_days_to_data"].is_null(), "{by}: {row}");
            }
        }
    }
}
