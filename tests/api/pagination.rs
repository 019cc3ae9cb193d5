//! `GET /requests`: keyset pagination over every sort key in both
//! directions, the filters, and walks that stay exact while rows are added.

use crate::common;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::common::{TestApp, concurrently, draft_body, id_of, query, spawn_app};
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

/// What the test asked for when it created a request; expectations are
/// computed from this, not from what the server says.
#[derive(Debug, Clone)]
struct Spec {
    case: String,
    reference: Option<String>,
    country: &'static str,
    priority: &'static str,
    legal_basis: &'static str,
    magistrate: &'static str,
    title: &'static str,
    sent_at: Option<NaiveDate>,
    /// A step after `sent`, if any: status and days after `sent_at`.
    then: Option<(&'static str, i64)>,
}

impl Spec {
    fn status(&self) -> &'static str {
        match (self.sent_at, self.then) {
            (None, _) => "draft",
            (Some(_), None) => "sent",
            (Some(_), Some((status, _))) => status,
        }
    }

    fn body(&self) -> Value {
        let mut body = draft_body(&self.case);
        body["target_country"] = json!(self.country);
        body["priority"] = json!(self.priority);
        body["legal_basis"] = json!(self.legal_basis);
        body["issuing_magistrate"]["name"] = json!(self.magistrate);
        body["title"] = json!(self.title);
        if let Some(reference) = &self.reference {
            body["reference"] = json!(reference);
        }
        if let Some(date) = self.sent_at {
            body["sent_at"] = json!(date.to_string());
        }
        body
    }
}

const COUNTRIES: [&str; 5] = ["PH", "fr", "DE", "xk", "BR"];
const BASES: [&str; 4] = ["untoc", "eio_directive", "bilateral_treaty", "reciprocity"];
const ELODIE: &str = "Juge Élodie Durand";
const TRAFFICKING: &str = "Trafic d'êtres humains : audition de témoins";

fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
}

/// The `i`th request of a fixture: every tenth a draft, sent dates with many
/// ties, some hand-typed references, some moved on to a later status.
fn spec(i: usize) -> Spec {
    let sent_at = (i % 10 != 1).then(|| base_day() + Duration::days((i as i64 * 3) % 90));
    let then = match i % 10 {
        3 => Some(("acknowledged", 20)),
        7 => Some(("in_execution", 30)),
        9 => Some(("refused", 40)),
        _ => None,
    };
    let country = COUNTRIES[i % COUNTRIES.len()];
    // An EIO only goes to a member state the Directive binds (DOMAIN.md §5.4).
    let legal_basis = match BASES[i % BASES.len()] {
        "eio_directive" if !["fr", "DE"].contains(&country) => "bilateral_treaty",
        basis => basis,
    };
    Spec {
        case: format!("CASE-{i:03}"),
        reference: (i % 11 == 5).then(|| format!("MLA-2019-{:05}", 90_000 - i)),
        country,
        priority: if i.is_multiple_of(3) {
            "urgent"
        } else {
            "normal"
        },
        legal_basis,
        magistrate: if i.is_multiple_of(7) {
            ELODIE
        } else {
            "Juge Martin"
        },
        title: if i.is_multiple_of(13) {
            TRAFFICKING
        } else {
            "Live-streamed abuse: identify the victims"
        },
        sent_at,
        then,
    }
}

/// A created request: what was asked, and the record as it stands.
#[derive(Debug, Clone)]
struct Seeded {
    spec: Spec,
    record: Value,
}

async fn create_one(app: &TestApp, spec: Spec) -> Seeded {
    let mut record = app.create_request(&spec.body()).await;
    if let (Some(sent), Some((status, days))) = (spec.sent_at, spec.then) {
        let date = (sent + Duration::days(days)).to_string();
        record = app.move_to(&id_of(&record), status, &date).await;
    }
    Seeded { spec, record }
}

/// Creates `specs`, a few at a time; returns them by id.
async fn seed(app: &TestApp, specs: Vec<Spec>) -> BTreeMap<String, Seeded> {
    let mut out = BTreeMap::new();
    for chunk in specs.chunks(8) {
        let created =
            concurrently(chunk.iter().cloned().map(|s| create_one(app, s)).collect()).await;
        for seeded in created {
            out.insert(id_of(&seeded.record), seeded);
        }
    }
    out
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

/// Panics if an id appears twice.
fn unique(ids: &[String], context: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for id in ids {
        assert!(seen.insert(id.clone()), "{context}: {id} seen twice");
    }
    seen
}

/// A sort value that orders as the API must order it; `None` is a request
/// without that value (a draft, for `sent_at`).
fn sort_value(item: &Value, key: &str) -> Option<String> {
    let value = item[key].as_str()?;
    Some(match key {
        // RFC 3339 with a variable number of digits does not sort as text.
        "created_at" => value
            .parse::<DateTime<Utc>>()
            .unwrap_or_else(|e| panic!("created_at {value}: {e}"))
            .format("%Y-%m-%dT%H:%M:%S%.9f")
            .to_string(),
        _ => value.to_string(),
    })
}

/// Checks the order of a walk: by `key`, ascending or descending, with
/// requests that lack the value (drafts, for `sent_at`) after all others.
fn assert_ordered(items: &[Value], key: &str, descending: bool, context: &str) {
    let values: Vec<Option<String>> = items.iter().map(|i| sort_value(i, key)).collect();
    if let Some(first_missing) = values.iter().position(Option::is_none) {
        assert!(
            values[first_missing..].iter().all(Option::is_none),
            "{context}: rows without {key} come after every row with one"
        );
    }
    let present: Vec<&String> = values.iter().flatten().collect();
    for pair in present.windows(2) {
        let in_order = if descending {
            pair[0] >= pair[1]
        } else {
            pair[0] <= pair[1]
        };
        assert!(in_order, "{context}: {} then {}", pair[0], pair[1]);
    }
}

const SORT_KEYS: [&str; 4] = ["status_since", "sent_at", "created_at", "reference"];

/// Every sort parameter: each key, ascending then descending.
fn sort_orders() -> Vec<(String, &'static str, bool)> {
    SORT_KEYS
        .iter()
        .flat_map(|key| {
            [
                (key.to_string(), *key, false),
                (format!("-{key}"), *key, true),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Sorting and paging
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn every_sort_key_pages_through_every_row_once_in_order() {
    let app = spawn_app().await;
    let rows = seed(&app, (0..230).map(spec).collect()).await;
    let all: BTreeSet<String> = rows.keys().cloned().collect();
    assert_eq!(all.len(), 230);
    for (sort, key, descending) in sort_orders() {
        let items = app.list_all(&query(&[("sort", &sort)]), 7).await;
        let context = format!("sort={sort}");
        let seen = unique(&ids(&items), &context);
        assert_eq!(seen, all, "{context}: every row, none lost");
        assert_ordered(&items, key, descending, &context);
        for item in &items {
            let seeded = &rows[&id_of(item)];
            assert_eq!(item, &seeded.record, "{context}: the list shows the record");
            let expected_sent = seeded.spec.sent_at.map(|d| d.to_string());
            assert_eq!(item["sent_at"].as_str(), expected_sent.as_deref());
        }
        if key == "sent_at" {
            let drafts = items.iter().filter(|i| i["sent_at"].is_null()).count();
            assert_eq!(drafts, 23, "{context}");
        }
    }
}

#[actix_web::test]
async fn the_default_order_is_newest_first_with_pages_of_fifty() {
    let app = spawn_app().await;
    let rows = seed(&app, (0..60).map(spec).collect()).await;
    let first = app.get("/api/v1/requests", &app.admin_token).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50);
    assert!(first.body["next_cursor"].is_string());

    let by_default = app.list_all("", 9).await;
    let newest_first = app.list_all("sort=-created_at", 9).await;
    assert_eq!(ids(&by_default), ids(&newest_first));
    assert_ordered(&by_default, "created_at", true, "default");
    assert_eq!(by_default.len(), rows.len());

    let everything = app
        .get("/api/v1/requests?limit=200", &app.admin_token)
        .await;
    assert_eq!(everything.body["items"].as_array().unwrap().len(), 60);
    assert_eq!(everything.body["next_cursor"], Value::Null);
    // A page that ends exactly at the last row has no next cursor.
    let exact = app.list_page("", 60, None).await;
    assert_eq!(exact.body["next_cursor"], Value::Null, "{exact:?}");
}

#[actix_web::test]
async fn a_cursor_replays_the_same_page() {
    let app = spawn_app().await;
    seed(&app, (0..20).map(spec).collect()).await;
    let first = app.list_page("sort=reference", 6, None).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let a = app.list_page("sort=reference", 6, Some(&cursor)).await;
    let b = app.list_page("sort=reference", 6, Some(&cursor)).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body, b.body);
    let overlap: BTreeSet<_> = ids(first.body["items"].as_array().unwrap())
        .into_iter()
        .collect();
    for id in ids(a.body["items"].as_array().unwrap()) {
        assert!(!overlap.contains(&id), "the second page repeats {id}");
    }
}

#[actix_web::test]
async fn a_cursor_only_works_with_its_own_sort() {
    let app = spawn_app().await;
    seed(&app, (0..12).map(spec).collect()).await;
    for (sort, _, _) in sort_orders() {
        let page = app.list_page(&query(&[("sort", &sort)]), 5, None).await;
        let cursor = page.body["next_cursor"].as_str().unwrap().to_string();
        for (other, _, _) in sort_orders() {
            let res = app
                .list_page(&query(&[("sort", &other)]), 5, Some(&cursor))
                .await;
            if other == sort {
                assert_eq!(res.status, 200, "{sort}: {res:?}");
            } else {
                assert_eq!(
                    res.status, 400,
                    "cursor of {sort} used with {other}: {res:?}"
                );
                assert_eq!(res.code(), "bad_request");
            }
        }
        // Leaving out `sort` means -created_at.
        let res = app.list_page("", 5, Some(&cursor)).await;
        let expected = if sort == "-created_at" { 200 } else { 400 };
        assert_eq!(res.status, expected, "{sort} cursor without sort: {res:?}");
    }
}

#[actix_web::test]
async fn forged_or_garbled_cursors_are_400() {
    let app = spawn_app().await;
    seed(&app, (0..3).map(spec).collect()).await;
    let encode = |v: Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    let uuid = "6f1c1d43-58a3-4a3b-9d2e-0d6f0b1d2c3e";
    let cursors = [
        "garbage".to_string(),
        "!!!".to_string(),
        encode(json!([1, 2, 3])),
        encode(
            json!({"sort": "created_at", "desc": true, "value": "2025-01-01T00:00:00.000000", "id": "not-a-uuid"}),
        ),
        encode(json!({"sort": "created_at", "desc": true, "value": "yesterday", "id": uuid})),
        encode(json!({"sort": "created_at", "desc": true, "value": null, "id": uuid})),
        encode(json!({"sort": "colour", "desc": true, "value": "red", "id": uuid})),
    ];
    for cursor in cursors {
        let res = app.list_page("", 5, Some(&cursor)).await;
        assert_eq!(res.status, 400, "{cursor}: {res:?}");
        assert_eq!(res.code(), "bad_request");
    }
    let status_since =
        encode(json!({"sort": "status_since", "desc": false, "value": "soon", "id": uuid}));
    let res = app
        .list_page("sort=status_since", 5, Some(&status_since))
        .await;
    assert_eq!(res.status, 400, "{res:?}");
}

#[actix_web::test]
async fn bad_list_parameters_are_named() {
    let app = spawn_app().await;
    let cases = [
        ("status=lost", "status"),
        ("status=sent,lost", "status"),
        ("country=ZZ", "country"),
        ("priority=high", "priority"),
        ("legal_basis=goodwill", "legal_basis"),
        ("sent_from=2024-13-01", "sent_from"),
        ("sent_to=yesterday", "sent_to"),
        ("sent_from=2024-03-01&sent_to=2024-02-01", "sent_to"),
        ("sort=title", "sort"),
        ("sort=--reference", "sort"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
        ("colour=red", "colour"),
    ];
    for (q, field) in cases {
        let res = app
            .get(&format!("/api/v1/requests?{q}"), &app.admin_token)
            .await;
        assert_eq!(res.status, 422, "{q}: {res:?}");
        assert_eq!(res.code(), "validation_failed", "{q}");
        assert!(
            res.body["error"]["fields"][field].is_array(),
            "{q} names {field}: {res:?}"
        );
    }
    let long_q = "x".repeat(201);
    let res = app
        .get(&format!("/api/v1/requests?q={long_q}"), &app.admin_token)
        .await;
    assert_eq!(res.status, 422, "{res:?}");
}

// ---------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------

/// Query parameters, in order.
type Query<'a> = Vec<(&'a str, &'a str)>;

/// The ids whose spec satisfies `keep`.
fn expected(rows: &BTreeMap<String, Seeded>, keep: impl Fn(&Spec) -> bool) -> BTreeSet<String> {
    rows.iter()
        .filter(|(_, s)| keep(&s.spec))
        .map(|(id, _)| id.clone())
        .collect()
}

async fn filtered(app: &TestApp, pairs: &[(&str, &str)]) -> BTreeSet<String> {
    let q = query(pairs);
    let items = app.list_all(&q, 7).await;
    unique(&ids(&items), &q)
}

#[actix_web::test]
async fn filters_select_exactly_the_matching_rows() {
    let app = spawn_app().await;
    let rows = seed(&app, (0..70).map(spec).collect()).await;
    let day = |n: i64| base_day() + Duration::days(n);

    let cases: Vec<(Query, BTreeSet<String>)> = vec![
        (
            vec![("status", "sent"), ("status", "acknowledged")],
            expected(&rows, |s| ["sent", "acknowledged"].contains(&s.status())),
        ),
        (
            vec![("status", "draft,refused")],
            expected(&rows, |s| ["draft", "refused"].contains(&s.status())),
        ),
        (
            vec![("status", "in_execution")],
            expected(&rows, |s| s.status() == "in_execution"),
        ),
        (vec![("status", "executed")], BTreeSet::new()),
        (
            vec![("country", "ph")],
            expected(&rows, |s| s.country == "PH"),
        ),
        (
            vec![("country", "XK")],
            expected(&rows, |s| s.country.eq_ignore_ascii_case("xk")),
        ),
        (
            vec![("priority", "urgent")],
            expected(&rows, |s| s.priority == "urgent"),
        ),
        (
            vec![("legal_basis", "eio_directive")],
            expected(&rows, |s| s.legal_basis == "eio_directive"),
        ),
        (
            vec![("sent_from", "2024-01-31"), ("sent_to", "2024-03-01")],
            expected(&rows, |s| {
                s.sent_at.is_some_and(|d| d >= day(30) && d <= day(60))
            }),
        ),
        (
            vec![("sent_from", "2024-03-01")],
            expected(&rows, |s| s.sent_at.is_some_and(|d| d >= day(60))),
        ),
        (
            vec![("sent_to", "2024-01-31")],
            expected(&rows, |s| s.sent_at.is_some_and(|d| d <= day(30))),
        ),
        (
            vec![
                ("country", "PH"),
                ("priority", "urgent"),
                ("status", "sent"),
                ("status", "draft"),
            ],
            expected(&rows, |s| {
                s.country == "PH"
                    && s.priority == "urgent"
                    && ["sent", "draft"].contains(&s.status())
            }),
        ),
    ];
    for (pairs, want) in cases {
        assert_eq!(filtered(&app, &pairs).await, want, "{pairs:?}");
    }
    // The sent-date bounds are inclusive: rows sit on both of them.
    let on_bounds = expected(&rows, |s| {
        s.sent_at == Some(day(30)) || s.sent_at == Some(day(60))
    });
    assert!(!on_bounds.is_empty(), "test setup: rows on the bounds");
}

#[actix_web::test]
async fn text_search_is_case_insensitive_and_literal() {
    let app = spawn_app().await;
    let rows = seed(&app, (0..40).map(spec).collect()).await;
    let mut underscored = draft_body("CASE_X1");
    underscored["title"] = json!("Plain title");
    let underscored = id_of(&app.create_request(&underscored).await);

    let elodie = expected(&rows, |s| s.magistrate == ELODIE);
    assert!(!elodie.is_empty());
    for q in ["élodie", "ÉLODIE", "Élodie Durand", "ie du"] {
        assert_eq!(filtered(&app, &[("q", q)]).await, elodie, "q={q}");
    }
    let trafficking = expected(&rows, |s| s.title == TRAFFICKING);
    assert!(!trafficking.is_empty());
    assert_eq!(filtered(&app, &[("q", "ÊTRES HUMAINS")]).await, trafficking);

    let case_00x = expected(&rows, |s| s.case.starts_with("CASE-00"));
    assert_eq!(case_00x.len(), 10);
    assert_eq!(filtered(&app, &[("q", "case-00")]).await, case_00x);

    let by_reference = expected(&rows, |s| s.reference.is_some());
    assert!(!by_reference.is_empty());
    assert_eq!(filtered(&app, &[("q", "mla-2019-")]).await, by_reference);

    // `_` and `%` are characters to find, not wildcards.
    assert_eq!(
        filtered(&app, &[("q", "case_x")]).await,
        BTreeSet::from([underscored.clone()])
    );
    assert_eq!(filtered(&app, &[("q", "case_0")]).await, BTreeSet::new());
    assert_eq!(filtered(&app, &[("q", "%")]).await, BTreeSet::new());
    assert_eq!(filtered(&app, &[("q", "case%x")]).await, BTreeSet::new());

    // Search combines with the other filters.
    let urgent_elodie = expected(&rows, |s| s.magistrate == ELODIE && s.priority == "urgent");
    assert_eq!(
        filtered(&app, &[("q", "élodie"), ("priority", "urgent")]).await,
        urgent_elodie
    );
    // Fields outside the searched four are not searched.
    assert_eq!(
        filtered(&app, &[("q", "coord@justice")]).await,
        BTreeSet::new()
    );
}

#[actix_web::test]
async fn filtered_walks_page_in_order_too() {
    let app = spawn_app().await;
    let rows = seed(&app, (0..90).map(spec).collect()).await;
    let want = expected(&rows, |s| s.country == "PH" || s.country == "DE");
    for (sort, key, descending) in sort_orders() {
        for country in ["PH", "DE"] {
            let q = query(&[("sort", &sort), ("country", country)]);
            let items = app.list_all(&q, 4).await;
            unique(&ids(&items), &q);
            assert_ordered(&items, key, descending, &q);
            assert!(items.iter().all(|i| i["target_country"] == country), "{q}");
        }
        let q = query(&[("sort", &sort), ("status", "sent,acknowledged,draft")]);
        let items = app.list_all(&q, 4).await;
        assert_ordered(&items, key, descending, &q);
        let statuses = expected(&rows, |s| {
            ["sent", "acknowledged", "draft"].contains(&s.status())
        });
        assert_eq!(unique(&ids(&items), &q), statuses, "{q}");
    }
    assert!(!want.is_empty());
}

// ---------------------------------------------------------------------------
// Walking while rows are added
// ---------------------------------------------------------------------------

/// A fresh row for the middle of a walk: the `n`th one lands at varied places
/// in every order (early and late sent dates, drafts, hand-typed references
/// below and above the generated ones).
fn newcomer(n: usize) -> Value {
    let mut body = draft_body(&format!("NEW-{n:04}"));
    if n % 4 != 3 {
        let day = base_day() + Duration::days(((n * 37) % 120) as i64 - 15);
        body["sent_at"] = json!(day.to_string());
    }
    if n.is_multiple_of(3) {
        let year = if n.is_multiple_of(2) { 2018 } else { 2031 };
        body["reference"] = json!(format!("MLA-{year}-{n:05}"));
    }
    body
}

#[actix_web::test]
async fn rows_inserted_between_pages_do_not_disturb_a_walk() {
    let app = spawn_app().await;
    seed(&app, (0..60).map(spec).collect()).await;
    let mut inserted = 0;
    for (sort, key, descending) in sort_orders() {
        let before: BTreeSet<String> = ids(&app.list_all("", 200).await).into_iter().collect();
        let q = query(&[("sort", &sort)]);
        let mut seen = Vec::new();
        let mut items = Vec::new();
        let mut created_during = BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = app.list_page(&q, 7, cursor.as_deref()).await;
            assert_eq!(page.status, 200, "{q}: {page:?}");
            let got = page.body["items"].as_array().unwrap().clone();
            seen.extend(ids(&got));
            items.extend(got);
            for _ in 0..2 {
                let record = app.create_request(&newcomer(inserted)).await;
                created_during.insert(id_of(&record));
                inserted += 1;
            }
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        let seen = unique(&seen, &q);
        let missing: Vec<_> = before.difference(&seen).collect();
        assert!(
            missing.is_empty(),
            "{q}: rows lost during the walk: {missing:?}"
        );
        let strangers: Vec<_> = seen
            .iter()
            .filter(|id| !before.contains(*id) && !created_during.contains(*id))
            .collect();
        assert!(strangers.is_empty(), "{q}: {strangers:?}");
        assert_ordered(&items, key, descending, &q);
    }
}

/// Keeps creating requests until `stop` is set; counts them in `created`.
async fn insert_until(
    app: Rc<TestApp>,
    stop: Rc<Cell<bool>>,
    created: Rc<Cell<usize>>,
    salt: usize,
) {
    let mut n = salt;
    while !stop.get() {
        app.create_request(&newcomer(n)).await;
        created.set(created.get() + 1);
        n += 7;
    }
}

#[actix_web::test]
async fn walks_stay_exact_while_other_tasks_insert_concurrently() {
    let app = Rc::new(spawn_app().await);
    seed(&app, (0..50).map(spec).collect()).await;
    for (order, (sort, key, descending)) in sort_orders().into_iter().enumerate() {
        let before: BTreeSet<String> = ids(&app.list_all("", 200).await).into_iter().collect();
        let stop = Rc::new(Cell::new(false));
        let created = Rc::new(Cell::new(0));
        let inserters: Vec<_> = (0..2)
            .map(|salt| {
                actix_web::rt::spawn(insert_until(
                    app.clone(),
                    stop.clone(),
                    created.clone(),
                    10_000 * (order + 1) + 1000 * salt,
                ))
            })
            .collect();
        let q = query(&[("sort", &sort)]);
        let items = app.list_all(&q, 5).await;
        let during = created.get();
        stop.set(true);
        for task in inserters {
            task.await.expect("the inserter finishes");
        }
        let seen = unique(&ids(&items), &q);
        let missing: Vec<_> = before.difference(&seen).collect();
        assert!(
            missing.is_empty(),
            "{q}: rows lost during the walk: {missing:?}"
        );
        assert_ordered(&items, key, descending, &q);
        assert!(during > 0, "{q}: the inserters ran during the walk");
    }
}

/// The search index follows edits: after a PATCH of the title, `q` finds the
/// request by its new words and no longer by the old ones.
#[actix_web::test]
async fn search_follows_a_patched_title() {
    let app = spawn_app().await;
    let created = app.create_request(&common::draft_body("SEARCH-EDIT")).await;
    let id = common::id_of(&created);
    let found = |items: Vec<Value>| items.iter().any(|r| r["id"] == id.as_str());
    assert!(found(app.list_all("q=identify%20the%20victims", 50).await));
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &serde_json::json!({"title": "Bank records of the Cebu hub"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert!(found(app.list_all("q=cebu%20hub", 50).await));
    assert!(!found(app.list_all("q=identify%20the%20victims", 50).await));
}

/// A NUL inside a cursor's value reached PostgreSQL, which refused it
/// ("invalid byte sequence for encoding UTF8"): a 500 instead of the 400
/// of a malformed cursor.
#[actix_web::test]
async fn a_cursor_holding_a_nul_character_is_malformed() {
    let app = spawn_app().await;
    seed(&app, (0..3).map(spec).collect()).await;
    let first = app.list_page("sort=reference", 1, None).await;
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut data: Value = serde_json::from_slice(&engine.decode(cursor).unwrap()).unwrap();
    let value = data["value"].as_str().expect("the reference").to_string();
    for forged in [
        format!("{value}\u{0}"),
        format!("\u{0}{value}"),
        "\u{0}".into(),
    ] {
        data["value"] = json!(forged);
        let forged = engine.encode(serde_json::to_vec(&data).unwrap());
        let res = app.list_page("sort=reference", 1, Some(&forged)).await;
        assert_eq!(res.status, 400, "{res:?}");
        assert_eq!(
            res.body["error"]["message"],
            "the cursor is malformed; start again without it"
        );
    }
}
