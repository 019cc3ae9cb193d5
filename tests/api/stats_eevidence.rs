//! `GET /stats/e-evidence` (docs/DOMAIN.md §8.4, the e-Evidence Regulation's
//! art. 28): every exact figure recomputed here from the definitions over
//! the requests read back through the API, the published view checked as
//! an analyst sees it (§9). On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::common::hand_worked::{as_of, days_before_as_of};
use crate::common::{TestApp, id_of, query, sent_body, spawn_app};

/// The last day of the month before the pinned today: the published
/// view's default release.
fn release() -> NaiveDate {
    let today = crate::common::office_today();
    NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today),
        1,
    )
    .unwrap()
    .pred_opt()
    .unwrap()
}

/// An addressee JSON and CSV must both carry as recorded.
const AWKWARD: &str = "Prov <B>, \"Inc\"; =1+1";

/// Thirty e-evidence orders to four member states, sent 120 to 91 days
/// before `as_of`: their categories, priorities, addressees and outcomes
/// vary with their number; two settle after the release date. Then three
/// requests under another basis, which count nowhere.
async fn portfolio(app: &TestApp) {
    for i in 0..30u64 {
        let sent = 120 - i;
        let mut body = sent_body(&format!("EEV-{i}"), &days_before_as_of(sent));
        body["legal_basis"] = json!("e_evidence_regulation");
        body["channel"] = json!("service_provider_direct");
        body["target_country"] = json!(["IE", "DE", "FR", "NL"][i as usize % 4]);
        body["measures"] = match (i, i % 3) {
            (29, _) => json!(["data_preservation"]),
            (_, 0) => json!(["subscriber_data"]),
            (_, 1) => json!(["subscriber_data", "traffic_data"]),
            _ => json!(["data_preservation", "content_data"]),
        };
        body["priority"] = json!(match (i % 5, i % 7) {
            (0, _) => "emergency",
            (_, 0) => "urgent",
            _ => "normal",
        });
        match i % 4 {
            0 => {}
            1 => body["requested_authority"] = json!("Provider A"),
            _ => body["requested_authority"] = json!(AWKWARD),
        }
        let id = id_of(&app.create_request(&body).await);
        let on_day = |day: u64| days_before_as_of(sent - day);
        let moves: Vec<(&str, u64)> = match (i, i % 6) {
            (27, _) => vec![("acknowledged", 2), ("executed", 80)],
            (29, _) => vec![("executed", 85)],
            (_, 0) => vec![("executed", 10 + i)],
            (_, 1) => vec![("acknowledged", 1), ("partially_executed", 5 + i)],
            (_, 2) => vec![("refused", 20)],
            (_, 3) => vec![("withdrawn", 15)],
            (_, 4) => vec![("abandoned", 40)],
            _ => vec![("acknowledged", 3)],
        };
        for (status, day) in moves {
            app.move_to(&id, status, &on_day(day)).await;
        }
    }
    for i in 0..3 {
        let id = id_of(
            &app.create_request(&sent_body(&format!("OTHER-{i}"), &days_before_as_of(100)))
                .await,
        );
        if i == 0 {
            app.move_to(&id, "executed", &days_before_as_of(50)).await;
        }
    }
}

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str().map(|s| s.parse().unwrap())
}

/// One order as the definitions read it on `as_of`.
struct Order {
    categories: Vec<String>,
    emergency: bool,
    addressee: String,
    outcome: &'static str,
    /// Days to data, when complied with.
    days: Option<i64>,
}

fn order_of(r: &Value, as_of: NaiveDate) -> Option<Order> {
    let sent = date(&r["sent_at"])?;
    if r["legal_basis"] != "e_evidence_regulation" || sent > as_of {
        return None;
    }
    let since = date(&r["status_since"]).unwrap();
    let status = if since <= as_of {
        r["status"].as_str().unwrap()
    } else {
        "sent"
    };
    let outcome = match status {
        "executed" | "partially_executed" => "complied",
        "refused" => "not_complied",
        _ => "pending",
    };
    let days = (outcome == "complied").then(|| {
        let data = date(&r["closed_at"]).unwrap_or(since);
        (data - sent).num_days().max(0)
    });
    let categories = r["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .filter(|m| ["subscriber_data", "traffic_data", "content_data"].contains(&m.as_str()))
        .collect();
    Some(Order {
        categories,
        emergency: r["priority"] == "emergency",
        addressee: r["requested_authority"].as_str().unwrap_or("").to_string(),
        outcome,
        days,
    })
}

/// The counts and the mean of a set of orders.
#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    orders: u64,
    complied: u64,
    not_complied: u64,
    pending: u64,
    days: i64,
}

impl Expected {
    fn add(&mut self, o: &Order) {
        self.orders += 1;
        match o.outcome {
            "complied" => self.complied += 1,
            "not_complied" => self.not_complied += 1,
            _ => self.pending += 1,
        }
        self.days += o.days.unwrap_or(0);
    }

    fn mean(&self) -> Option<f64> {
        (self.complied > 0).then(|| self.days as f64 / self.complied as f64)
    }

    fn assert_shown_exactly(&self, row: &Value, what: &str) {
        for (field, want) in [
            ("orders", self.orders),
            ("complied", self.complied),
            ("not_complied", self.not_complied),
            ("pending", self.pending),
        ] {
            assert_eq!(row[field].as_u64(), Some(want), "{what} {field}: {row}");
        }
        match self.mean() {
            None => assert!(row["mean_days_to_data"].is_null(), "{what}: {row}"),
            Some(mean) => {
                let got = row["mean_days_to_data"].as_f64().unwrap();
                assert!((got - mean).abs() < 1e-9, "{what}: {got} ≠ {mean}");
            }
        }
        assert_eq!(row["suppressed"], json!([]), "{what}");
    }
}

/// The expected rows by (category, emergency) and by addressee, and the
/// totals, from every request of the register.
/// The rows by (category rank, emergency), by addressee, and the totals.
type ExpectedTables = (
    BTreeMap<(usize, bool), Expected>,
    BTreeMap<String, Expected>,
    Expected,
);

fn expected(requests: &[Value], as_of: NaiveDate) -> ExpectedTables {
    let categories = ["subscriber_data", "traffic_data", "content_data"];
    let (mut by_category, mut by_addressee, mut totals) =
        (BTreeMap::new(), BTreeMap::new(), Expected::default());
    for order in requests.iter().filter_map(|r| order_of(r, as_of)) {
        totals.add(&order);
        by_addressee
            .entry(order.addressee.clone())
            .or_insert_with(Expected::default)
            .add(&order);
        for c in &order.categories {
            let rank = categories.iter().position(|k| k == c).unwrap();
            by_category
                .entry((rank, order.emergency))
                .or_insert_with(Expected::default)
                .add(&order);
        }
    }
    (by_category, by_addressee, totals)
}

async fn table(app: &TestApp, token: &str, pairs: &[(&str, &str)]) -> Value {
    let res = app
        .get(&format!("/api/v1/stats/e-evidence?{}", query(pairs)), token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body
}

#[actix_web::test]
async fn the_exact_table_follows_the_definitions() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let requests = app.list_all("", 100).await;
    assert_eq!(requests.len(), 33);
    let categories = ["subscriber_data", "traffic_data", "content_data"];
    for as_of in [as_of(), release()] {
        let day = as_of.to_string();
        let (by_category, by_addressee, totals) = expected(&requests, as_of);
        assert_eq!(
            totals.orders, 30,
            "every order once, also one of no category"
        );

        let shown = table(&app, &app.admin_token, &[("as_of", &day)]).await;
        assert_eq!(shown["by"], "category");
        assert_eq!(shown["suppression"]["applied"], false);
        let rows = shown["rows"].as_array().unwrap();
        let labels: Vec<(usize, bool)> = rows
            .iter()
            .map(|r| {
                let c = r["data_category"].as_str().unwrap();
                (
                    categories.iter().position(|k| *k == c).unwrap(),
                    r["emergency"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            labels,
            by_category.keys().copied().collect::<Vec<_>>(),
            "one row per category and emergency with orders, in order"
        );
        for (row, (key, want)) in rows.iter().zip(&by_category) {
            want.assert_shown_exactly(row, &format!("{as_of} {key:?}"));
        }
        totals.assert_shown_exactly(&shown["totals"], "totals");
        assert!(shown["totals"].get("data_category").is_none());

        let shown = table(
            &app,
            &app.admin_token,
            &[("as_of", &day), ("by", "addressee")],
        )
        .await;
        assert_eq!(shown["by"], "addressee");
        let rows = shown["rows"].as_array().unwrap();
        let labels: Vec<&str> = rows
            .iter()
            .map(|r| r["addressee"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            by_addressee.keys().map(String::as_str).collect::<Vec<_>>()
        );
        assert!(labels.contains(&AWKWARD) && labels.contains(&""));
        for (row, (addressee, want)) in rows.iter().zip(&by_addressee) {
            want.assert_shown_exactly(row, &format!("{as_of} {addressee}"));
        }
        totals.assert_shown_exactly(&shown["totals"], "totals by addressee");
    }
    // Orders 27 and 29 are executed 13 and 6 days before `as_of`: those
    // after the release count as pending on it (under the second clock of
    // scripts/test the release is `as_of` itself, and none is).
    let (_, _, on_release) = expected(&requests, release());
    let (_, _, later) = expected(&requests, as_of());
    let gap = (as_of() - release()).num_days();
    let settled_after_release = [13, 6].iter().filter(|&&d| d < gap).count() as u64;
    assert_eq!(on_release.complied + settled_after_release, later.complied);

    // Any other filter narrows the orders; another basis leaves none.
    let emergencies = table(
        &app,
        &app.admin_token,
        &[("as_of", &as_of().to_string()), ("priority", "emergency")],
    )
    .await;
    assert_eq!(emergencies["totals"]["orders"], 6);
    assert!(
        emergencies["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["emergency"] == true)
    );
    let other = table(&app, &app.admin_token, &[("legal_basis", "untoc")]).await;
    assert_eq!(other["rows"], json!([]));
    assert_eq!(other["totals"]["orders"], 0);
}

#[actix_web::test]
async fn csv_carries_the_addressee_as_recorded() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let res = app
        .get(
            &format!(
                "/api/v1/stats/e-evidence?{}",
                query(&[("by", "addressee"), ("format", "csv")])
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let text = res.body.as_str().unwrap().to_string();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "addressee",
            "orders",
            "complied",
            "not_complied",
            "pending",
            "mean_days_to_data",
            "suppressed"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // The rows, then the totals.
    assert_eq!(records.len(), 4, "{text}");
    assert!(records.iter().any(|r| &r[0] == AWKWARD), "{text}");
    assert_eq!(&records[3][1], "30");

    let res = app
        .get("/api/v1/stats/e-evidence?format=csv", &app.admin_token)
        .await;
    let text = res.body.as_str().unwrap();
    assert!(
        text.starts_with("data_category,emergency,orders,"),
        "{text}"
    );
}

#[actix_web::test]
async fn the_published_view_perturbs_hides_and_estimates_from_cells() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let requests = app.list_all("", 100).await;
    let analyst = app.token_for("analyst").await;
    let (by_category, by_addressee, totals) = expected(&requests, release());
    let categories = ["subscriber_data", "traffic_data", "content_data"];
    let counts = ["orders", "complied", "not_complied", "pending"];
    let check = |row: &Value, want: &Expected, what: &str| {
        let suppressed: Vec<&str> = row["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let truth = [want.orders, want.complied, want.not_complied, want.pending];
        for (field, truth) in counts.iter().zip(truth) {
            match row[*field].as_u64() {
                None => assert!(suppressed.contains(field), "{what} {field}: {row}"),
                Some(shown) => {
                    assert!(!suppressed.contains(field), "{what}: {row}");
                    assert!(!(1..5).contains(&shown), "{what} {field} small: {row}");
                    assert!(
                        shown.abs_diff(truth) <= 2,
                        "{what} {field}: {shown} vs {truth}"
                    );
                }
            }
        }
        let mean = &row["mean_days_to_data"];
        assert_eq!(
            mean.is_null(),
            suppressed.contains(&"mean_days_to_data") || want.complied == 0,
            "{what}: {row}"
        );
        let large = row["orders"].as_u64().is_some_and(|n| n >= 7);
        if !large {
            for field in ["complied", "not_complied", "pending", "mean_days_to_data"] {
                assert!(
                    row[field].is_null(),
                    "{what}: nothing beside few orders: {row}"
                );
            }
        }
        if row["complied"].is_null() {
            assert!(mean.is_null(), "{what}: the mean goes with complied: {row}");
        }
        if let Some(m) = mean.as_f64() {
            // Each grid interval's events at its midpoint: every order
            // here had its data within 90 days.
            assert!((15.0..=75.0).contains(&m), "{what}: {m}");
        }
    };
    for by in ["category", "addressee"] {
        let shown = table(&app, &analyst, &[("by", by), ("suppress", "false")]).await;
        assert_eq!(shown["suppression"]["applied"], true);
        assert_eq!(shown["as_of"], release().to_string());
        for row in shown["rows"].as_array().unwrap() {
            let want = if by == "category" {
                let c = row["data_category"].as_str().unwrap();
                let rank = categories.iter().position(|k| *k == c).unwrap();
                &by_category[&(rank, row["emergency"].as_bool().unwrap())]
            } else {
                &by_addressee[row["addressee"].as_str().unwrap()]
            };
            check(row, want, &format!("{by} {row}"));
        }
        check(&shown["totals"], &totals, "totals");
        // The totals are one cell whatever the rows.
        let other = table(&app, &analyst, &[("by", "category")]).await;
        assert_eq!(shown["totals"], other["totals"]);
    }
    // With all 30 orders the totals are large enough to show everything.
    let shown = table(&app, &analyst, &[]).await;
    assert!(shown["totals"]["complied"].as_u64().is_some(), "{shown}");
    assert!(
        shown["totals"]["mean_days_to_data"].as_f64().is_some(),
        "{shown}"
    );
}

#[actix_web::test]
async fn rows_are_by_category_or_by_addressee_and_nothing_else() {
    let app = spawn_app().await;
    let res = app
        .get("/api/v1/stats/e-evidence?by=nonsense", &app.admin_token)
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let fields = res.body["error"]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["by"], "{res:?}");
    assert!(
        res.body
            .to_string()
            .contains("must be category or addressee"),
        "{res:?}"
    );
    // An empty register: no rows, totals of zeros.
    let empty = table(&app, &app.admin_token, &[]).await;
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["totals"]["orders"], 0);
    assert!(empty["totals"]["mean_days_to_data"].is_null());
}
