//! A report as one self-contained HTML document (`templates/report.html`):
//! its styles inline, its charts inline SVG, no script and nothing fetched,
//! every value escaped by the template. Every word in the report's
//! language; every figure as the published tables give it, written the
//! way the language writes numbers.

use askama::Template;
use serde_json::Value;

use super::Report;
use crate::domain::{AbandonmentReason, CountryCode, Language, RefusalGround};
use crate::stats::ShownRow;
use crate::stats::aggregates::Closure;
use crate::stats::charts::percent;
use crate::stats::reasons;
use crate::stats::regions::{self, Grouping};

/// What the HTML report may load, wherever it is served: its own inline
/// styles and nothing else (the document's `<meta>` says the same).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/// The report as HTML.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let w = words(report.language);
    let t = Cells {
        language: report.language,
        w,
    };
    let page = Page {
        lang: match report.language {
            Language::En => "en",
            Language::Fr => "fr",
        },
        w,
        period: report.period.describe(report.language),
        disclosure: w.disclosure.replace(
            "{largest_hidden}",
            &report.language.number(report.threshold as i64 - 1),
        ),
        clocks: main_table(&t, report),
        official: official_table(&t, report),
        cohorts: cohorts_table(&t, report),
        chasing: chasing_table(&t, report),
        victims: victims_table(&t, report),
        eevidence: eevidence_table(&t, report),
        no_orders: report
            .eevidence
            .totals
            .get("orders")
            .and_then(Value::as_i64)
            == Some(0),
        outcomes: outcomes_table(&t, report),
        abandoned: reasons_table(&t, report, Closure::Abandoned),
        refused: reasons_table(&t, report, Closure::Refused),
        rates_chart: &report.rates_chart,
        curves_chart: &report.curves_chart,
    };
    Ok(page.render()?)
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    lang: &'static str,
    w: &'static Words,
    period: String,
    disclosure: String,
    clocks: Table,
    official: Table,
    cohorts: Table,
    chasing: Table,
    victims: Table,
    eevidence: Table,
    /// No e-evidence order in the population: the annex says so instead.
    no_orders: bool,
    outcomes: Table,
    abandoned: Table,
    refused: Table,
    rates_chart: &'a str,
    curves_chart: &'a str,
}

/// A table as laid out: headings, then rows of cells, the first a row
/// heading; the totals last.
struct Table {
    heads: Vec<String>,
    rows: Vec<Vec<String>>,
    totals: Vec<String>,
}

/// How one report writes a cell.
struct Cells {
    language: Language,
    w: &'static Words,
}

impl Cells {
    /// Whether the published view hid `key` in `row`.
    fn hidden(row: &ShownRow, key: &str) -> bool {
        row.get("suppressed")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|f| f == key))
    }

    /// What a missing value says: hidden, or (for an estimate) that it
    /// cannot be estimated.
    fn missing(&self, row: &ShownRow, key: &str) -> String {
        if Self::hidden(row, key) {
            self.w.hidden.to_string()
        } else {
            self.w.not_estimable.to_string()
        }
    }

    fn count(&self, row: &ShownRow, key: &str) -> String {
        match row.get(key).and_then(Value::as_i64) {
            Some(n) => self.language.number(n),
            None => self.missing(row, key),
        }
    }

    fn percent(&self, x: f64) -> String {
        percent(x * 100.0, self.language)
    }

    /// A share with its interval: `14 % (7–24)`.
    fn share(&self, row: &ShownRow, key: &str) -> String {
        let Some(value) = row.get(key).and_then(Value::as_f64) else {
            return self.missing(row, key);
        };
        let ci = row.get(&format!("{key}_ci")).and_then(Value::as_array);
        match ci.map(|ends| (ends[0].as_f64(), ends[1].as_f64())) {
            Some((Some(low), Some(high))) => format!(
                "{} ({}–{})",
                self.percent(value),
                (low * 100.0).round(),
                (high * 100.0).round()
            ),
            _ => self.percent(value),
        }
    }

    /// A median in days with its interval: `65 (30–88)`, `not reached
    /// (30–…)`.
    fn median(&self, row: &ShownRow, key: &str, not_reached: &str) -> String {
        let value = match (row.get(key).and_then(Value::as_i64), row.get(not_reached)) {
            (Some(days), _) => self.language.number(days),
            (None, Some(Value::Bool(true))) => self.w.not_reached.to_string(),
            _ => return self.missing(row, key),
        };
        let ci = row.get(&format!("{key}_ci")).and_then(Value::as_array);
        let end = |v: &Value| {
            v.as_i64()
                .map_or("…".to_string(), |d| self.language.number(d))
        };
        match ci {
            Some(ends) if ends.len() == 2 && !(ends[0].is_null() && ends[1].is_null()) => {
                format!("{value} ({}–{})", end(&ends[0]), end(&ends[1]))
            }
            _ => value,
        }
    }

    /// Whole days.
    fn days(&self, row: &ShownRow, key: &str) -> String {
        match row.get(key).and_then(Value::as_f64) {
            Some(days) => self.language.number(days.round() as i64),
            None => self.missing(row, key),
        }
    }

    /// The row's heading: its country, or its M49 area, in the report's
    /// language.
    fn name(&self, row: &ShownRow) -> String {
        if let Some(code) = row.get("country").and_then(Value::as_str) {
            return CountryCode::parse(code).map_or_else(
                |_| code.to_string(),
                |c| c.name_in(self.language).to_string(),
            );
        }
        let code = row.get("area").and_then(Value::as_str).unwrap_or_default();
        regions::by_code(code).map_or_else(
            || self.w.no_region.to_string(),
            |a| a.name(self.language).to_string(),
        )
    }
}

/// The rows of a table by country, by name in the report's language, and
/// the totals, each as `cells` writes it.
fn laid_out(
    t: &Cells,
    report_rows: &[ShownRow],
    totals: &ShownRow,
    heads: Vec<String>,
    cells: impl Fn(&ShownRow) -> Vec<String>,
) -> Table {
    let mut rows: Vec<Vec<String>> = report_rows
        .iter()
        .map(|row| {
            let mut line = vec![t.name(row)];
            line.extend(cells(row));
            line
        })
        .collect();
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let mut total = vec![t.w.all_countries.to_string()];
    total.extend(cells(totals));
    Table {
        heads,
        rows,
        totals: total,
    }
}

fn first_head(t: &Cells, grouping: Grouping) -> String {
    match grouping {
        Grouping::Country => t.w.country,
        Grouping::Subregion => t.w.subregion,
        Grouping::Region => t.w.region,
    }
    .to_string()
}

fn heads(t: &Cells, grouping: Grouping, rest: &[&str]) -> Vec<String> {
    let mut heads = vec![first_head(t, grouping)];
    heads.extend(rest.iter().map(|h| h.to_string()));
    heads
}

/// The three clocks and the shares still unanswered.
fn main_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    laid_out(
        t,
        &r.countries.rows,
        &r.countries.totals,
        heads(
            t,
            r.grouping,
            &[
                w.requests,
                w.response_rate,
                w.days_to_acknowledgement,
                w.days_to_response,
                w.unanswered_90,
                w.unanswered_365,
                w.days_to_execution,
            ],
        ),
        |row| {
            vec![
                t.count(row, "requests"),
                t.share(row, "response_rate"),
                t.median(
                    row,
                    "median_days_to_acknowledgement",
                    "median_acknowledgement_not_reached",
                ),
                t.median(
                    row,
                    "median_days_to_response",
                    "median_response_not_reached",
                ),
                t.share(row, "share_unanswered_90"),
                t.share(row, "share_unanswered_365"),
                t.median(
                    row,
                    "median_days_to_execution",
                    "median_execution_not_reached",
                ),
            ]
        },
    )
}

/// The figures official reports use.
fn official_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    laid_out(
        t,
        &r.countries.rows,
        &r.countries.totals,
        heads(
            t,
            r.grouping,
            &[
                w.requests,
                w.answered,
                w.share_answered,
                w.mean_days_answered,
            ],
        ),
        |row| {
            vec![
                t.count(row, "requests"),
                t.count(row, "answered"),
                row.get("response_rate")
                    .and_then(Value::as_f64)
                    .map_or_else(|| t.missing(row, "response_rate"), |x| t.percent(x)),
                t.days(row, "mean_days_to_response_among_answered"),
            ]
        },
    )
}

/// Per year of sending, the share answered within a year: a proportion
/// once every request of the year has had its year, Kaplan–Meier before.
fn cohorts_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    let cells = |row: &ShownRow| -> Vec<String> {
        let share = match (
            row.get("share").and_then(Value::as_f64),
            row.get("ci_low").and_then(Value::as_f64),
            row.get("ci_high").and_then(Value::as_f64),
        ) {
            (Some(s), Some(low), Some(high)) => format!(
                "{} ({}–{})",
                t.percent(s),
                (low * 100.0).round(),
                (high * 100.0).round()
            ),
            _ => t.missing(row, "share"),
        };
        let complete = if row.get("complete").and_then(Value::as_bool) == Some(true) {
            w.cohort_complete
        } else {
            w.cohort_incomplete
        };
        vec![
            t.count(row, "sent"),
            t.count(row, "answered_within"),
            share,
            complete.to_string(),
        ]
    };
    let rows = r
        .cohorts
        .rows
        .iter()
        .map(|row| {
            let mut line = vec![
                row.get("cohort")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ];
            line.extend(cells(row));
            line
        })
        .collect();
    let mut totals = vec![w.all_years.to_string()];
    totals.extend(cells(&r.cohorts.totals));
    Table {
        heads: vec![
            w.year_sent.to_string(),
            w.requests.to_string(),
            w.answered_within_year.to_string(),
            w.share_within_year.to_string(),
            w.estimated_by.to_string(),
        ],
        rows,
        totals,
    }
}

/// Were they chased? The requests given up for silence, and the
/// follow-ups recorded before giving up.
fn chasing_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    laid_out(
        t,
        &r.chasing.rows,
        &r.chasing.totals,
        heads(
            t,
            r.grouping,
            &[
                w.abandoned_no_response_count,
                w.followed_up,
                w.chased_twice,
                w.median_follow_ups,
                w.share_chased_twice,
            ],
        ),
        |row| {
            vec![
                t.count(row, "abandoned_no_response"),
                t.count(row, "followed_up"),
                t.count(row, "chased_twice"),
                t.count(row, "median_follow_ups"),
                t.share(row, "share_chased_twice"),
            ]
        },
    )
}

/// The cases behind the requests, and those that identified victims.
fn victims_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    laid_out(
        t,
        &r.victims.rows,
        &r.victims.totals,
        heads(
            t,
            r.grouping,
            &[w.cases, w.cases_with_victims, w.share_cases_with_victims],
        ),
        |row| {
            vec![
                t.count(row, "cases"),
                t.count(row, "cases_with_victims_identified"),
                t.share(row, "share"),
            ]
        },
    )
}

/// The annex: the e-Evidence Regulation's art. 28 figures, one line per
/// data category and emergency.
fn eevidence_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    let cells = |row: &ShownRow| -> Vec<String> {
        vec![
            t.count(row, "orders"),
            t.count(row, "complied"),
            t.count(row, "not_complied"),
            t.count(row, "pending"),
            t.days(row, "mean_days_to_data"),
        ]
    };
    let category = |code: &str| -> String {
        crate::domain::Measure::ALL
            .iter()
            .find(|m| m.as_str() == code)
            .map_or(code, |m| m.label(t.language))
            .to_string()
    };
    let rows = r
        .eevidence
        .rows
        .iter()
        .map(|row| {
            let code = row
                .get("data_category")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let emergency = row.get("emergency").and_then(Value::as_bool) == Some(true);
            let mut line = vec![format!(
                "{}{}",
                category(code),
                if emergency { w.in_emergency } else { "" }
            )];
            line.extend(cells(row));
            line
        })
        .collect();
    let mut totals = vec![w.all_orders.to_string()];
    totals.extend(cells(&r.eevidence.totals));
    Table {
        heads: [
            w.data_category,
            w.orders,
            w.complied,
            w.not_complied,
            w.orders_pending,
            w.mean_days_to_data,
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows,
        totals,
    }
}

/// Where the requests stand on the analysis date: exclusive groups.
fn outcomes_table(t: &Cells, r: &Report) -> Table {
    let w = t.w;
    laid_out(
        t,
        &r.countries.rows,
        &r.countries.totals,
        heads(
            t,
            r.grouping,
            &[
                w.requests,
                w.pending,
                w.executed,
                w.partially_executed,
                w.refused,
                w.withdrawn,
                w.abandoned,
                w.abandoned_no_response,
            ],
        ),
        |row| {
            [
                "requests",
                "pending",
                "executed",
                "partially_executed",
                "refused",
                "withdrawn",
                "abandoned",
                "abandoned_no_response",
            ]
            .iter()
            .map(|key| t.count(row, key))
            .collect()
        },
    )
}

/// The reasons (or grounds) in all countries: one line per reason.
fn reasons_table(t: &Cells, r: &Report, closure: Closure) -> Table {
    let (table, heading) = match closure {
        Closure::Abandoned => (&r.abandoned, t.w.reason),
        Closure::Refused => (&r.refused, t.w.ground),
    };
    let label = |code: &str| -> String {
        let found = match closure {
            Closure::Abandoned => AbandonmentReason::ALL
                .iter()
                .find(|r| r.as_str() == code)
                .map(|r| r.label(t.language)),
            Closure::Refused => RefusalGround::ALL
                .iter()
                .find(|r| r.as_str() == code)
                .map(|r| r.label(t.language)),
        };
        found.unwrap_or(code).to_string()
    };
    let rows = reasons::reasons(closure)
        .into_iter()
        .map(|code| vec![label(code), t.count(&table.totals, code)])
        .collect();
    Table {
        heads: vec![heading.to_string(), t.w.requests.to_string()],
        rows,
        totals: vec![
            t.w.all_reasons.to_string(),
            t.count(&table.totals, closure.status()),
        ],
    }
}

/// Every word of the report in one language.
pub struct Words {
    pub title: &'static str,
    pub subtitle: &'static str,
    pub method_heading: &'static str,
    pub method: &'static [&'static str],
    pub disclosure: &'static str,
    pub clocks_heading: &'static str,
    pub clocks_note: &'static str,
    pub official_heading: &'static str,
    pub official_note: &'static str,
    pub cohorts_heading: &'static str,
    pub cohorts_note: &'static str,
    pub year_sent: &'static str,
    pub answered_within_year: &'static str,
    pub share_within_year: &'static str,
    pub estimated_by: &'static str,
    pub cohort_complete: &'static str,
    pub cohort_incomplete: &'static str,
    pub all_years: &'static str,
    pub chasing_heading: &'static str,
    pub chasing_note: &'static str,
    pub abandoned_no_response_count: &'static str,
    pub followed_up: &'static str,
    pub chased_twice: &'static str,
    pub median_follow_ups: &'static str,
    pub share_chased_twice: &'static str,
    pub victims_heading: &'static str,
    pub victims_note: &'static str,
    pub cases: &'static str,
    pub cases_with_victims: &'static str,
    pub share_cases_with_victims: &'static str,
    pub annex_heading: &'static str,
    pub annex_note: &'static str,
    pub annex_empty: &'static str,
    pub data_category: &'static str,
    pub in_emergency: &'static str,
    pub orders: &'static str,
    pub complied: &'static str,
    pub not_complied: &'static str,
    pub orders_pending: &'static str,
    pub mean_days_to_data: &'static str,
    pub all_orders: &'static str,
    pub outcomes_heading: &'static str,
    pub outcomes_note: &'static str,
    pub abandoned_heading: &'static str,
    pub refused_heading: &'static str,
    pub charts_heading: &'static str,
    pub country: &'static str,
    pub subregion: &'static str,
    pub region: &'static str,
    pub requests: &'static str,
    pub answered: &'static str,
    pub response_rate: &'static str,
    pub share_answered: &'static str,
    pub mean_days_answered: &'static str,
    pub days_to_acknowledgement: &'static str,
    pub days_to_response: &'static str,
    pub days_to_execution: &'static str,
    pub unanswered_90: &'static str,
    pub unanswered_365: &'static str,
    pub pending: &'static str,
    pub executed: &'static str,
    pub partially_executed: &'static str,
    pub refused: &'static str,
    pub withdrawn: &'static str,
    pub abandoned: &'static str,
    pub abandoned_no_response: &'static str,
    pub reason: &'static str,
    pub ground: &'static str,
    pub all_reasons: &'static str,
    pub all_countries: &'static str,
    pub no_region: &'static str,
    pub hidden: &'static str,
    pub not_estimable: &'static str,
    pub not_reached: &'static str,
}

pub fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &ENGLISH,
        Language::Fr => &FRENCH,
    }
}

const ENGLISH: Words = Words {
    title: "Mutual legal assistance: how requested states answer",
    subtitle: "Requests for mutual legal assistance sent abroad, and what became of them",
    method_heading: "How to read these figures",
    method: &[
        "Three clocks start when a request is sent: the days until the requested state acknowledges receipt (by an acknowledgement, or by its answer), until its first substantive answer (an acknowledgement is not an answer), and until the request is executed.",
        "Many requests are still waiting on the date of the figures. Leaving them out would flatter slow states; counting them as failures would judge them too early. They are counted as censored — waiting for as long as they have been observed — with the Kaplan–Meier method, which medical trials use for the same reason.",
        "A median is the number of days by which half the requests had their answer. When fewer than half have ever been answered, the median is “not reached”: no number of days can be given, which is itself the finding.",
        "Every estimate comes with its 95 % confidence interval, in brackets: the range the true value lies in with 95 % confidence. A wide interval means few requests; read the figure with it. Rates use the Wilson interval, medians and shares the Greenwood interval of the Kaplan–Meier estimate.",
        "A share after 90 or 365 days is “not estimable” when no request of the group has been followed that long: it is never shown as 0 % or 100 %.",
    ],
    disclosure: "Disclosure control: these are published figures. Each count carries a small, consistent noise (at most 2 either way), counts from 1 to {largest_hidden} are hidden, and figures built on too few requests are hidden with them, so that no figure can point to one case or one child. Totals are counts of their own and need not equal the sum of the rows.",
    clocks_heading: "Three clocks, and the requests still unanswered",
    clocks_note: "Days are medians (95 % confidence interval); shares are the estimated share of requests still without a substantive answer that many days after sending.",
    official_heading: "The figures official reports use",
    official_note: "These are the figures usually published: counts, the share answered, and the average delay over the answered requests only. The average flatters slow states: the requests they never answer do not count, so the fewer they answer, the better it looks.",
    cohorts_heading: "Year by year: answered within a year",
    cohorts_note: "For each year of sending, the share of requests that had a substantive answer within 365 days. Once every request of a year has had its year, it is a plain proportion (Wilson interval); for recent years it is the Kaplan–Meier estimate, which still counts the requests waiting.",
    year_sent: "Year sent",
    answered_within_year: "Answered within a year",
    share_within_year: "Share answered within a year",
    estimated_by: "Estimate",
    cohort_complete: "every request followed a year",
    cohort_incomplete: "Kaplan–Meier (not all followed a year)",
    all_years: "All years",
    chasing_heading: "Were they chased?",
    chasing_note: "Requests given up because the requested state never answered, and the reminders recorded before giving up: no state can say it was never reminded.",
    abandoned_no_response_count: "Given up for no answer",
    followed_up: "Reminded at least once",
    chased_twice: "Reminded twice or more",
    median_follow_ups: "Median reminders",
    share_chased_twice: "Share reminded twice or more",
    victims_heading: "The cases behind the requests",
    victims_note: "The investigations (cases) that sent a request to each country, and those that identified victims. A case that sent requests to several countries counts in each row and once in the total.",
    cases: "Cases",
    cases_with_victims: "Cases that identified victims",
    share_cases_with_victims: "Share",
    annex_heading: "Annex: European Production Orders (Regulation (EU) 2023/1543, art. 28)",
    annex_note: "Orders recorded under the e-Evidence Regulation, per category of data asked and whether in an emergency; an order asking for two categories counts in both lines, once in the total. Complied: executed, in whole or in part; not complied: refused (grounds in the refusal table, under this legal basis); pending: the rest. Days to data: the average over the complied orders.",
    annex_empty: "No order was recorded under the e-Evidence Regulation for this period.",
    data_category: "Data asked",
    in_emergency: ", emergency",
    orders: "Orders",
    complied: "Complied",
    not_complied: "Not complied",
    orders_pending: "Pending",
    mean_days_to_data: "Average days to data",
    all_orders: "All orders",
    outcomes_heading: "Where the requests stand",
    outcomes_note: "Each request is in exactly one of these groups on the date of the figures. Whether a request was answered is a separate question: an abandoned request may have been answered first.",
    abandoned_heading: "Why requests were abandoned",
    refused_heading: "Why requests were refused",
    charts_heading: "Charts",
    country: "Country",
    subregion: "Sub-region (UN M49)",
    region: "Region (UN M49)",
    requests: "Requests",
    answered: "Answered",
    response_rate: "Answered (share)",
    share_answered: "Share answered",
    mean_days_answered: "Average days to an answer (answered only)",
    days_to_acknowledgement: "Days to acknowledgement",
    days_to_response: "Days to an answer",
    days_to_execution: "Days to execution",
    unanswered_90: "Unanswered after 90 days",
    unanswered_365: "Unanswered after 365 days",
    pending: "Still open",
    executed: "Executed",
    partially_executed: "Partially executed",
    refused: "Refused",
    withdrawn: "Withdrawn",
    abandoned: "Abandoned",
    abandoned_no_response: "of which for no answer",
    reason: "Reason for abandoning",
    ground: "Ground for refusal",
    all_reasons: "All reasons",
    all_countries: "All countries",
    no_region: "Outside the M49 regions",
    hidden: "hidden",
    not_estimable: "not estimable",
    not_reached: "not reached",
};

const FRENCH: Words = Words {
    title: "Entraide pénale internationale : comment répondent les États requis",
    subtitle: "Demandes d'entraide envoyées à l'étranger, et ce qu'elles sont devenues",
    method_heading: "Comment lire ces chiffres",
    method: &[
        "Trois délais courent dès l'envoi d'une demande : les jours jusqu'à ce que l'État requis en accuse réception (par un accusé de réception, ou par sa réponse), jusqu'à sa première réponse sur le fond (un accusé de réception n'est pas une réponse), et jusqu'à l'exécution de la demande.",
        "Beaucoup de demandes attendent encore à la date des chiffres. Les écarter flatterait les États lents ; les compter comme des échecs les jugerait trop tôt. Elles sont comptées comme censurées — en attente depuis aussi longtemps qu'on les a observées — par la méthode de Kaplan-Meier, que les essais cliniques emploient pour la même raison.",
        "Une médiane est le nombre de jours au bout duquel la moitié des demandes avaient reçu leur réponse. Quand moins de la moitié ont jamais reçu de réponse, la médiane n'est « pas atteinte » : aucun nombre de jours ne peut être donné, et c'est là le constat.",
        "Chaque estimation est donnée avec son intervalle de confiance à 95 %, entre parenthèses : la fourchette où se trouve la vraie valeur avec une confiance de 95 %. Un intervalle large signale peu de demandes ; lisez le chiffre avec lui. Les taux portent l'intervalle de Wilson, les médianes et les parts celui de Greenwood de l'estimation de Kaplan-Meier.",
        "Une part après 90 ou 365 jours est « non estimable » quand aucune demande du groupe n'a été suivie aussi longtemps : elle n'est jamais donnée comme 0 % ou 100 %.",
    ],
    disclosure: "Contrôle de la divulgation : ces chiffres sont publiés. Chaque effectif porte un petit bruit constant (au plus 2 dans un sens ou dans l'autre), les effectifs de 1 à {largest_hidden} sont masqués, ainsi que les chiffres bâtis sur trop peu de demandes, afin qu'aucun chiffre ne puisse désigner une affaire ou un enfant. Les totaux sont des effectifs à part entière et ne sont pas forcément la somme des lignes.",
    clocks_heading: "Trois délais, et les demandes encore sans réponse",
    clocks_note: "Les jours sont des médianes (intervalle de confiance à 95 %) ; les parts sont la part estimée des demandes encore sans réponse sur le fond autant de jours après l'envoi.",
    official_heading: "Les chiffres des rapports officiels",
    official_note: "Ce sont les chiffres habituellement publiés : des effectifs, la part des demandes ayant reçu une réponse, et le délai moyen sur les seules demandes ayant reçu une réponse. Cette moyenne flatte les États lents : les demandes auxquelles ils ne répondent jamais n'y comptent pas, si bien que moins ils répondent, meilleure elle paraît.",
    cohorts_heading: "Année par année : réponse dans l'année",
    cohorts_note: "Pour chaque année d'envoi, la part des demandes ayant reçu une réponse sur le fond dans les 365 jours. Une fois que chaque demande de l'année a eu son année, c'est une simple proportion (intervalle de Wilson) ; pour les années récentes, c'est l'estimation de Kaplan-Meier, qui compte encore les demandes en attente.",
    year_sent: "Année d'envoi",
    answered_within_year: "Réponse dans l'année",
    share_within_year: "Part avec réponse dans l'année",
    estimated_by: "Estimation",
    cohort_complete: "chaque demande suivie un an",
    cohort_incomplete: "Kaplan-Meier (pas toutes suivies un an)",
    all_years: "Toutes années",
    chasing_heading: "Ont-elles été relancées ?",
    chasing_note: "Les demandes abandonnées faute de toute réponse de l'État requis, et les relances enregistrées avant l'abandon : aucun État ne peut dire qu'il n'a jamais été relancé.",
    abandoned_no_response_count: "Abandonnées faute de réponse",
    followed_up: "Relancées au moins une fois",
    chased_twice: "Relancées deux fois ou plus",
    median_follow_ups: "Médiane des relances",
    share_chased_twice: "Part relancée deux fois ou plus",
    victims_heading: "Les affaires derrière les demandes",
    victims_note: "Les enquêtes (affaires) qui ont adressé une demande à chaque pays, et celles qui ont identifié des victimes. Une affaire qui a adressé des demandes à plusieurs pays compte dans chaque ligne et une seule fois dans le total.",
    cases: "Affaires",
    cases_with_victims: "Affaires ayant identifié des victimes",
    share_cases_with_victims: "Part",
    annex_heading: "Annexe : injonctions européennes de production (règlement (UE) 2023/1543, art. 28)",
    annex_note: "Injonctions émises au titre du règlement sur les preuves électroniques, par catégorie de données demandées et selon l'urgence ; une injonction qui demande deux catégories compte dans les deux lignes, une fois dans le total. Exécutées : en tout ou en partie ; non exécutées : refusées (motifs au tableau des refus, sous cette base juridique) ; en cours : les autres. Délai : la moyenne sur les injonctions exécutées.",
    annex_empty: "Aucune injonction n'a été émise au titre du règlement sur les preuves électroniques pour cette période.",
    data_category: "Données demandées",
    in_emergency: ", urgence",
    orders: "Injonctions",
    complied: "Exécutées",
    not_complied: "Non exécutées",
    orders_pending: "En cours",
    mean_days_to_data: "Délai moyen d'obtention en jours",
    all_orders: "Toutes injonctions",
    outcomes_heading: "Où en sont les demandes",
    outcomes_note: "Chaque demande est dans un seul de ces groupes à la date des chiffres. Avoir reçu une réponse est une autre question : une demande abandonnée peut avoir reçu une réponse auparavant.",
    abandoned_heading: "Pourquoi des demandes ont été abandonnées",
    refused_heading: "Pourquoi des demandes ont été refusées",
    charts_heading: "Graphiques",
    country: "Pays",
    subregion: "Sous-région (M49 des Nations unies)",
    region: "Région (M49 des Nations unies)",
    requests: "Demandes",
    answered: "Avec réponse",
    response_rate: "Avec réponse (part)",
    share_answered: "Part avec réponse",
    mean_days_answered: "Délai moyen de réponse en jours (demandes avec réponse seulement)",
    days_to_acknowledgement: "Jours jusqu'à l'accusé de réception",
    days_to_response: "Jours jusqu'à une réponse",
    days_to_execution: "Jours jusqu'à l'exécution",
    unanswered_90: "Sans réponse après 90 jours",
    unanswered_365: "Sans réponse après 365 jours",
    pending: "En cours",
    executed: "Exécutées",
    partially_executed: "Partiellement exécutées",
    refused: "Refusées",
    withdrawn: "Retirées",
    abandoned: "Abandonnées",
    abandoned_no_response: "dont faute de réponse",
    reason: "Motif d'abandon",
    ground: "Motif de refus",
    all_reasons: "Tous motifs",
    all_countries: "Tous pays",
    no_region: "Hors des régions M49",
    hidden: "masqué",
    not_estimable: "non estimable",
    not_reached: "non atteinte",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ShownTable;
    use crate::stats::charts::Period;
    use serde_json::json;

    fn row(value: Value) -> ShownRow {
        value.as_object().unwrap().clone()
    }

    fn empty() -> ShownTable {
        ShownTable {
            rows: Vec::new(),
            totals: row(json!({"suppressed": []})),
        }
    }

    fn report(eevidence: ShownTable, language: Language) -> Report {
        Report {
            period: Period {
                sent_from: None,
                sent_to: None,
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
            },
            language,
            grouping: Grouping::Country,
            threshold: 5,
            countries: empty(),
            cohorts: empty(),
            chasing: empty(),
            victims: empty(),
            eevidence,
            abandoned: empty(),
            refused: empty(),
            rates_chart: "<svg></svg>".into(),
            curves_chart: "<svg></svg>".into(),
        }
    }

    /// The annex lays out each category line, a hidden count as hidden,
    /// and says so when there is no order at all.
    #[test]
    fn the_annex_lists_the_orders_by_category_or_says_there_were_none() {
        let orders = ShownTable {
            rows: vec![row(json!({
                "data_category": "subscriber_data", "emergency": true, "orders": 12,
                "complied": 9, "not_complied": null, "pending": 0,
                "mean_days_to_data": 3.4, "suppressed": ["not_complied"],
            }))],
            totals: row(json!({
                "orders": 12, "complied": 9, "not_complied": null, "pending": 0,
                "mean_days_to_data": 3.4, "suppressed": ["not_complied"],
            })),
        };
        let html = render(&report(orders, Language::Fr)).unwrap();
        assert!(html.contains("Annexe : injonctions européennes de production"));
        assert!(
            html.contains(
                "<th scope=\"row\">Données relatives aux abonnés, urgence</th><td>12</td><td>9</td><td>masqué</td><td>0</td><td>3</td>"
            ),
            "{html}"
        );
        let none = ShownTable {
            rows: Vec::new(),
            totals: row(json!({"orders": 0, "suppressed": []})),
        };
        let html = render(&report(none, Language::En)).unwrap();
        assert!(html.contains("No order was recorded under the e-Evidence Regulation"));
    }
}
