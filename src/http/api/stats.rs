//! `/stats/*`: cooperation-failure figures for the advocacy team, computed
//! by aggregation in the database. Analysts always get the published
//! (suppressed) view; other roles get exact figures unless they ask for the
//! published one with `suppress=true`. Tables come as JSON, or as CSV with
//! `format=csv` or `Accept: text/csv`.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Channel, CountryCode, Facilitator, FieldErrors, LegalBasis, Measure, Offence, Priority,
};
use crate::domain::{Language, Role};
use crate::http::auth::{Authorized, ReadStats};
use crate::http::error::ApiError;
use crate::http::params::{Flag, ParamGroup, Params, from_str};
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;
use crate::services::Services;
use crate::services::stats::View;
use crate::stats::aggregates::{Bucket, Closure, Horizon, Population};
use crate::stats::regions::Grouping;
use crate::stats::{
    ShownRow, ShownTable, chasing, cohorts, countries, eevidence, reasons, release, timeline,
    victims,
};

pub fn routes(r: &mut Routes) {
    r.add("/stats/countries", [routing::get(countries_table)])
        .add(
            "/stats/abandonment-reasons",
            [routing::get(abandonment_reasons_table)],
        )
        .add(
            "/stats/refusal-grounds",
            [routing::get(refusal_grounds_table)],
        )
        .add("/stats/timeline", [routing::get(timeline_table)])
        .add("/stats/report", [routing::get(report)])
        .add("/stats/cohorts", [routing::get(cohorts_table)])
        .add("/stats/chasing", [routing::get(chasing_table)])
        .add("/stats/victims", [routing::get(victims_table)])
        .add("/stats/e-evidence", [routing::get(eevidence_table)]);
}

/// Which requests the figures cover, and for whom.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsFilters {
    /// Only requests sent on or after this day (published view: the first day of a year or a quarter, with sent_to)
    #[param(value_type = String, format = Date, required = false)]
    sent_from: Option<NaiveDate>,
    /// Only requests sent on or before this day (not before sent_from; published view: the last day of sent_from's year or quarter)
    #[param(value_type = String, format = Date, required = false)]
    sent_to: Option<NaiveDate>,
    /// The day the figures are computed as of (default today; not after today; published view: the last day of a past month, default the latest)
    #[param(value_type = String, format = Date, required = false)]
    as_of: Option<NaiveDate>,
    /// Only requests about these offences — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    offence: Vec<Offence>,
    /// Only requests under these bases — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    legal_basis: Vec<LegalBasis>,
    /// Only requests sent through these channels — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    channel: Vec<Channel>,
    /// Only these target countries — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    country: Vec<CountryCode>,
    /// Only requests asking for any of these measures — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    measure: Vec<Measure>,
    /// Only requests of these priorities — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    priority: Vec<Priority>,
    /// Only requests that went through any of these facilitators (Eurojust, the EJN, …) — one in the published view
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    facilitator: Vec<Facilitator>,
    /// `true`: the published view (always so for analysts)
    #[param(value_type = Flag, inline, required = false)]
    suppress: Option<Flag>,
}

impl ParamGroup for StatsFilters {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";

    fn check(&self, today: NaiveDate, errors: &mut FieldErrors) {
        if let (Some(from), Some(to)) = (self.sent_from, self.sent_to)
            && from > to
        {
            errors.add("sent_to", "must not be before sent_from");
        }
        if self.as_of.is_some_and(|as_of| as_of > today) {
            errors.add("as_of", format!("must not be after today ({today})"));
        }
    }
}

impl StatsFilters {
    /// The population asked for and the view the caller gets of it
    /// (published for analysts, or when asked for). In the published view
    /// `as_of` defaults to the latest release and the query must stay in
    /// its closed space ([`release::check`], with the timeline's `bucket`):
    /// a refusal names each parameter and what is allowed.
    pub fn scope(
        &self,
        services: &Services,
        role: Role,
        bucket: Option<Bucket>,
    ) -> Result<(Population, View), ApiError> {
        let view = services.stats_view(role, self.suppress.is_some_and(|f| f.0));
        let today = services.today().date;
        let population = self.population(release::default_as_of(view.published, today));
        if view.published {
            let mut errors = FieldErrors::default();
            release::check(&population, bucket, today, &mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
        }
        Ok((population, view))
    }

    /// The population asked for, as of `as_of` unless the query says
    /// otherwise.
    fn population(&self, as_of: NaiveDate) -> Population {
        Population {
            as_of: self.as_of.unwrap_or(as_of),
            sent_from: self.sent_from,
            sent_to: self.sent_to,
            offences: self.offence.clone(),
            legal_bases: self.legal_basis.clone(),
            channels: self.channel.clone(),
            countries: self.country.clone(),
            measures: self.measure.clone(),
            priorities: self.priority.clone(),
            facilitators: self.facilitator.clone(),
        }
    }
}

/// JSON or CSV.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableFormat {
    /// `csv` (or `Accept: text/csv`) for CSV
    #[param(value_type = Format, inline, required = false)]
    format: Option<Format>,
}

impl ParamGroup for TableFormat {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

impl TableFormat {
    /// CSV when asked by `format=csv` or by the `Accept` header.
    pub fn csv(&self, req: &HttpRequest) -> bool {
        match self.format {
            Some(Format::Csv) => true,
            Some(Format::Json) => false,
            None => accepts_csv(req),
        }
    }
}

/// How a table is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

impl std::str::FromStr for Format {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err("must be json or csv"),
        }
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

/// The timeline's period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineBucket {
    /// The period (default year; published view: year or quarter)
    #[param(value_type = BucketName, inline, required = false)]
    #[serde(default, deserialize_with = "bucket")]
    bucket: Option<Bucket>,
}

/// How [`Bucket`] is written in a query.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum BucketName {
    Year,
    Quarter,
    Month,
}

impl ParamGroup for TimelineBucket {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

impl TimelineBucket {
    /// The period asked for, if any.
    pub fn bucket(&self) -> Option<Bucket> {
        self.bucket
    }
}

fn bucket<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Bucket>, D::Error> {
    from_str(d).map(Some)
}

/// What the rows of a table by country are.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableGroup {
    /// The rows: `country` (the default), or the UN M49 `subregion` or `region` the countries fall in (rows labelled `area`, its M49 code, and `area_name`)
    #[param(value_type = GroupName, inline, required = false)]
    #[serde(default, deserialize_with = "grouping")]
    group: Option<Grouping>,
}

/// How [`Grouping`] is written in a query.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum GroupName {
    Country,
    Subregion,
    Region,
}

impl ParamGroup for TableGroup {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

impl TableGroup {
    pub fn grouping(&self) -> Grouping {
        self.group.unwrap_or_default()
    }
}

fn grouping<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Grouping>, D::Error> {
    from_str(d).map(Some)
}

/// The cohort table's periods and horizon.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CohortParams {
    /// The period of sending of a cohort (default year; published view: year or quarter)
    #[param(value_type = BucketName, inline, required = false)]
    #[serde(default, deserialize_with = "bucket")]
    bucket: Option<Bucket>,
    /// Days after sending within which a first response counts: 90, 180 or 365 (default)
    #[param(value_type = HorizonDays, inline, required = false)]
    #[serde(default, deserialize_with = "horizon")]
    horizon: Option<Horizon>,
}

impl ParamGroup for CohortParams {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

fn horizon<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Horizon>, D::Error> {
    from_str(d).map(Some)
}

/// How [`Horizon`] is written in a query: one of its numbers of days.
struct HorizonDays;

impl utoipa::PartialSchema for HorizonDays {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .enum_values(Some(Horizon::ALL.map(Horizon::days)))
            .default(Some(Horizon::default().days().into()))
            .into()
    }
}

impl utoipa::ToSchema for HorizonDays {}

/// The rows of the e-evidence table.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EEvidenceBy {
    /// The rows: `category` (the default: per data category asked and emergency; an order asking for two counts in both) or `addressee` (per `requested_authority`, the service provider; an order without one under `""`)
    #[param(value_type = EEvidenceRows, inline, required = false)]
    #[serde(default, deserialize_with = "eevidence_by")]
    by: Option<eevidence::By>,
}

/// How [`eevidence::By`] is written in a query.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum EEvidenceRows {
    Category,
    Addressee,
}

impl ParamGroup for EEvidenceBy {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

fn eevidence_by<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<eevidence::By>, D::Error> {
    from_str(d).map(Some)
}

/// The report's language and form.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The report's language: `en` (the default) or `fr`, charts included
    #[param(value_type = LanguageCode, inline, required = false)]
    #[serde(default, deserialize_with = "language")]
    lang: Option<Language>,
    /// `pdf` (the default; needs Chromium on the server, else 503) or `html` (one self-contained page)
    #[param(value_type = ReportFormat, inline, required = false)]
    #[serde(default, deserialize_with = "report_format")]
    format: Option<crate::report::Format>,
}

/// How [`Language`] is written in a query.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(super) enum LanguageCode {
    En,
    Fr,
}

/// How [`crate::report::Format`] is written in a query.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum ReportFormat {
    Pdf,
    Html,
}

impl ParamGroup for ReportParams {
    const UNKNOWN: &'static str = "is not a parameter of the report";
}

pub(super) fn language<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Language>, D::Error> {
    from_str(d).map(Some)
}

fn report_format<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::report::Format>, D::Error> {
    from_str(d).map(Some)
}

/// The report to publish
///
/// One self-contained document of the published view — whoever asks —
/// in French or English: the method in plain words, the three clocks by
/// country (or region), the figures official reports use, where the
/// requests stand, why they were abandoned or refused, and the charts,
/// with the period and the release date on every page. The same closed
/// query space as the published tables (a release date, a year or a
/// quarter, one value per filter).
#[utoipa::path(
    get, path = "/api/v1/stats/report", operation_id = "statsReport", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, ReportParams, TableGroup),
    responses(
        (status = 200, description = "The report", content(
            (String = "application/pdf"), (String = "text/html"))),
        (status = 503, description = "A PDF was asked for and no browser can print it", body = crate::http::error::ErrorBody),
    )
)]
async fn report(
    state: web::Data<AppState>,
    _auth: Authorized<ReadStats>,
    params: Params<(StatsFilters, (ReportParams, TableGroup))>,
) -> Result<HttpResponse, ApiError> {
    use crate::report::{self, Format};
    let (filters, (asked, group)) = params.0;
    // Always the published view, whatever the role.
    let (population, _) = filters.scope(&state.services, Role::Analyst, None)?;
    let language = asked.lang.unwrap_or(Language::En);
    let format = asked.format.unwrap_or_default();
    let browser = match format {
        Format::Html => None,
        Format::Pdf => Some(
            report::pdf::browser(state.services.settings.stats.pdf_browser.as_deref())
                .ok_or(ApiError::PdfUnavailable(report::pdf::NO_BROWSER))?,
        ),
    };
    let gathered = report::gather(&state.services, &population, group.grouping(), language).await?;
    let html = report::html::render(&gathered).map_err(ApiError::Internal)?;
    let Some(browser) = browser else {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                crate::report::html::CONTENT_SECURITY_POLICY,
            ))
            .body(html));
    };
    let pdf = web::block(move || report::pdf::print(&html, &browser))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the PDF printer stopped: {e}")))?
        .map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"mla-report-{}-{}.pdf\"",
                population.as_of,
                language.code()
            ),
        ))
        .body(pdf))
}

/// Whether the caller asked for CSV by its `Accept` header.
pub(super) fn accepts_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

pub(super) fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

/// Whether the published view was applied, and its threshold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suppression {
    /// Whether this is the published view (small counts hidden).
    pub applied: bool,
    pub threshold: u64,
}

impl From<View> for Suppression {
    fn from(view: View) -> Suppression {
        Suppression {
            applied: view.published,
            threshold: view.threshold,
        }
    }
}

/// A statistics table as JSON: its rows under `countries`, `areas` or `buckets`,
/// then the totals (without the rows' label columns). Its schema, column by
/// column, is in the OpenAPI document (`CountriesTable`, …).
#[derive(Debug, Serialize)]
pub struct TableBody {
    pub as_of: NaiveDate,
    /// `countries`, `areas` or `buckets`.
    #[serde(flatten)]
    pub rows: BTreeMap<&'static str, Vec<ShownRow>>,
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
    pub suppression: Suppression,
    pub totals: ShownRow,
    /// The table's own parameters, as it read them (the cohorts' `bucket`
    /// and `horizon`); none for the other tables.
    #[serde(flatten)]
    pub parameters: serde_json::Map<String, serde_json::Value>,
}

/// What one table endpoint answers with.
struct Table {
    /// The CSV's file name.
    name: &'static str,
    /// The key of the rows in JSON.
    rows_key: &'static str,
    columns: Vec<&'static str>,
    /// The rows' label columns, which the JSON totals leave out.
    label: Vec<&'static str>,
}

impl Table {
    /// A table whose rows are countries, or the M49 areas of `grouping`.
    fn by_country(name: &'static str, columns: &[&'static str], grouping: Grouping) -> Table {
        Table {
            name,
            rows_key: rows_key_of(grouping),
            columns: grouping.columns(columns),
            label: grouping.labels().to_vec(),
        }
    }
}

/// A shown table as CSV (rows, then the totals, in `columns` order) or as
/// JSON ([`TableBody`]).
fn table_response(
    csv: bool,
    population: &Population,
    view: View,
    table: Table,
    shown: ShownTable,
) -> Result<HttpResponse, ApiError> {
    table_response_with(csv, population, view, table, shown, serde_json::Map::new())
}

/// [`table_response`], the JSON stating the table's own `parameters`.
fn table_response_with(
    csv: bool,
    population: &Population,
    view: View,
    table: Table,
    shown: ShownTable,
    parameters: serde_json::Map<String, serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let ShownTable { rows, mut totals } = shown;
    if csv {
        let mut all: Vec<&ShownRow> = rows.iter().collect();
        all.push(&totals);
        return Ok(csv_response(
            crate::stats::to_csv(&table.columns, &all).map_err(ApiError::Internal)?,
            table.name,
        ));
    }
    for column in table.label {
        totals.remove(column);
    }
    Ok(HttpResponse::Ok().json(TableBody {
        as_of: population.as_of,
        rows: BTreeMap::from([(table.rows_key, rows)]),
        sent_from: population.sent_from,
        sent_to: population.sent_to,
        suppression: view.into(),
        totals,
        parameters,
    }))
}

/// The rows' key in JSON for a table by country or by area.
fn rows_key_of(grouping: Grouping) -> &'static str {
    match grouping {
        Grouping::Country => "countries",
        Grouping::Subregion | Grouping::Region => "areas",
    }
}

/// Per country: counts, response rate, Kaplan–Meier medians and shares
///
/// Counts, response rate, median days to a first response and shares still
/// unanswered at 180 and 365 days, and the totals.
#[utoipa::path(
    get, path = "/api/v1/stats/countries", operation_id = "statsCountries", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, TableGroup),
    responses((status = 200, description = "The table", content(
        (CountriesTable = "application/json"), (String = "text/csv"))))
)]
async fn countries_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, TableGroup))>,
) -> Result<HttpResponse, ApiError> {
    let (filters, (format, group)) = params.0;
    let grouping = group.grouping();
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let shown = state
        .services
        .country_table(&population, view, grouping)
        .await?;
    let table = Table::by_country("countries", &countries::COLUMNS, grouping);
    table_response(format.csv(&req), &population, view, table, shown)
}

/// Per country: abandoned requests by reason
#[utoipa::path(
    get, path = "/api/v1/stats/abandonment-reasons", operation_id = "statsAbandonmentReasons",
    tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, TableGroup),
    responses((status = 200, description = "The table", content(
        (AbandonmentReasonsTable = "application/json"), (String = "text/csv"))))
)]
async fn abandonment_reasons_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, TableGroup))>,
) -> Result<HttpResponse, ApiError> {
    reasons_table(state, auth, req, params.0, Closure::Abandoned).await
}

/// Per country: refused requests by ground
#[utoipa::path(
    get, path = "/api/v1/stats/refusal-grounds", operation_id = "statsRefusalGrounds",
    tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, TableGroup),
    responses((status = 200, description = "The table", content(
        (RefusalGroundsTable = "application/json"), (String = "text/csv"))))
)]
async fn refusal_grounds_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, TableGroup))>,
) -> Result<HttpResponse, ApiError> {
    reasons_table(state, auth, req, params.0, Closure::Refused).await
}

async fn reasons_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    (filters, (format, group)): (StatsFilters, (TableFormat, TableGroup)),
    closure: Closure,
) -> Result<HttpResponse, ApiError> {
    let grouping = group.grouping();
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let shown = state
        .services
        .reasons_table(&population, closure, view, grouping)
        .await?;
    let name = match closure {
        Closure::Abandoned => "abandonment-reasons",
        Closure::Refused => "refusal-grounds",
    };
    let table = Table::by_country(name, &reasons::columns(closure), grouping);
    table_response(format.csv(&req), &population, view, table, shown)
}

/// Per country: requests abandoned for silence, and whether they were chased
///
/// Over the requests abandoned on `as_of` with reason `no_response`: how
/// many, how many had a follow-up dated on or before their abandonment, how
/// many at least two, the median number of follow-ups and the share chased
/// twice with its Wilson interval; then the totals.
#[utoipa::path(
    get, path = "/api/v1/stats/chasing", operation_id = "statsChasing", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, TableGroup),
    responses((status = 200, description = "The table", content(
        (ChasingTable = "application/json"), (String = "text/csv"))))
)]
async fn chasing_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, TableGroup))>,
) -> Result<HttpResponse, ApiError> {
    let (filters, (format, group)) = params.0;
    let grouping = group.grouping();
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let shown = state
        .services
        .chasing_table(&population, view, grouping)
        .await?;
    let table = Table::by_country("chasing", &chasing::COLUMNS, grouping);
    table_response(format.csv(&req), &population, view, table, shown)
}

/// Per country: cases that sent it requests, and those that identified victims
///
/// The distinct cases with at least one request of the population to the
/// country (or area), how many of them identified victims, and that share
/// with its Wilson interval; the totals count each case once, so the rows
/// do not add up to them.
#[utoipa::path(
    get, path = "/api/v1/stats/victims", operation_id = "statsVictims", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, TableGroup),
    responses((status = 200, description = "The table", content(
        (VictimsTable = "application/json"), (String = "text/csv"))))
)]
async fn victims_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, TableGroup))>,
) -> Result<HttpResponse, ApiError> {
    let (filters, (format, group)) = params.0;
    let grouping = group.grouping();
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let shown = state
        .services
        .victims_table(&population, view, grouping)
        .await?;
    let table = Table::by_country("victims", &victims::COLUMNS, grouping);
    table_response(format.csv(&req), &population, view, table, shown)
}

/// Per period of sending: counts and median days to a response
#[utoipa::path(
    get, path = "/api/v1/stats/timeline", operation_id = "statsTimeline", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, TimelineBucket),
    responses((status = 200, description = "The table", content(
        (TimelineTable = "application/json"), (String = "text/csv"))))
)]
async fn timeline_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, TimelineBucket))>,
) -> Result<HttpResponse, ApiError> {
    let (filters, (format, bucket)) = params.0;
    let (population, view) = filters.scope(&state.services, auth.user.role, bucket.bucket)?;
    let shown = state
        .services
        .timeline_table(&population, bucket.bucket.unwrap_or_default(), view)
        .await?;
    let table = Table {
        name: "timeline",
        rows_key: "buckets",
        columns: timeline::COLUMNS.to_vec(),
        label: vec!["bucket"],
    };
    table_response(format.csv(&req), &population, view, table, shown)
}

/// Per period of sending: the share answered within a horizon
///
/// Per cohort (the requests sent in one year, quarter or month): `sent`,
/// `answered_within` the horizon (90, 180 or 365 days) and the share
/// answered within it with its 95 % interval — Wilson's when every request
/// of the cohort was followed for the whole horizon (`complete`), 1 − S of
/// Kaplan–Meier otherwise, `null` when no request was followed that long —
/// then the cohorts pooled.
#[utoipa::path(
    get, path = "/api/v1/stats/cohorts", operation_id = "statsCohorts", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, CohortParams),
    responses((status = 200, description = "The table", content(
        (CohortsTable = "application/json"), (String = "text/csv"))))
)]
async fn cohorts_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, CohortParams))>,
) -> Result<HttpResponse, ApiError> {
    let (filters, (format, cohort)) = params.0;
    let (population, view) = filters.scope(&state.services, auth.user.role, cohort.bucket)?;
    let (bucket, horizon) = (
        cohort.bucket.unwrap_or_default(),
        cohort.horizon.unwrap_or_default(),
    );
    let shown = state
        .services
        .cohorts_table(&population, bucket, horizon, view)
        .await?;
    let table = Table {
        name: "cohorts",
        rows_key: "cohorts",
        columns: cohorts::COLUMNS.to_vec(),
        label: vec!["cohort"],
    };
    let parameters = serde_json::Map::from_iter([
        ("bucket".to_string(), bucket.as_str().into()),
        ("horizon".to_string(), horizon.days().into()),
    ]);
    table_response_with(
        format.csv(&req),
        &population,
        view,
        table,
        shown,
        parameters,
    )
}

/// e-Evidence Regulation art. 28: orders by data category or addressee
///
/// The population's orders under `legal_basis = e_evidence_regulation`
/// (the other filters apply as everywhere): per data category asked
/// (subscriber, traffic, content) and emergency — an order asking for two
/// categories counts in both rows — or per addressee (`by=addressee`):
/// `orders`, `complied` (executed or partially executed on `as_of`),
/// `not_complied` (refused), `pending` (the rest: still open, withdrawn or
/// abandoned) and `mean_days_to_data` over the complied ones; the totals
/// count every order once. The refusal grounds are
/// `/stats/refusal-grounds?legal_basis=e_evidence_regulation`.
#[utoipa::path(
    get, path = "/api/v1/stats/e-evidence", operation_id = "statsEEvidence", tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat, EEvidenceBy),
    responses((status = 200, description = "The table", content(
        (EEvidenceTable = "application/json"), (String = "text/csv"))))
)]
async fn eevidence_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, (TableFormat, EEvidenceBy))>,
) -> Result<HttpResponse, ApiError> {
    let (filters, (format, by)) = params.0;
    let by = by.by.unwrap_or_default();
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let shown = state
        .services
        .eevidence_table(&population, by, view)
        .await?;
    let table = Table {
        name: "e-evidence",
        rows_key: "rows",
        columns: by.columns(),
        label: by.labels().to_vec(),
    };
    let parameters = serde_json::Map::from_iter([("by".to_string(), by.as_str().into())]);
    table_response_with(
        format.csv(&req),
        &population,
        view,
        table,
        shown,
        parameters,
    )
}

/// The schema of a table's JSON, column by column: `{as_of, sent_from,
/// sent_to, suppression, <rows>: [...], totals}`; each row holds `columns`
/// (the totals lack the label columns). Hidden figures are `null` and named
/// in `suppressed`. A table by country is one of two: rows of countries, or
/// rows of M49 areas under `areas` (`group=subregion|region`).
fn table_schema(
    rows_key: &str,
    columns: &[&'static str],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    table_schema_with(rows_key, columns, Vec::new())
}

/// [`table_schema`] with the table's own parameters in the body (`name`,
/// schema), required like the rest. A table by country is one of two:
/// rows of countries, or rows of M49 areas under `areas`
/// (`group=subregion|region`).
fn table_schema_with(
    rows_key: &str,
    columns: &[&'static str],
    parameters: Vec<(&str, serde_json::Value)>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let schema = if columns.contains(&"country") {
        serde_json::json!({"oneOf": [
            body_schema(rows_key, columns, &parameters),
            body_schema(
                rows_key_of(Grouping::Region),
                &Grouping::Region.columns(columns),
                &parameters,
            ),
        ]})
    } else {
        body_schema(rows_key, columns, &parameters)
    };
    serde_json::from_value(schema).expect("a valid schema")
}

/// The schema of one shape of a table's JSON (see [`table_schema_with`]).
fn body_schema(
    rows_key: &str,
    columns: &[&str],
    parameters: &[(&str, serde_json::Value)],
) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    use utoipa::PartialSchema;
    let column = |name: &str| -> Value {
        match name {
            "country" => serde_json::to_value(CountryCode::schema()).expect("schemas serialise"),
            "country_name" | "bucket" | "area_name" | "cohort" => json!({"type": "string"}),
            "area" => json!({"type": "string", "pattern": "^([0-9]{3})?$"}),
            "complete" => json!({"type": "boolean"}),
            "data_category" | "addressee" => json!({"type": "string"}),
            "emergency" => json!({"type": "boolean"}),
            "share" | "ci_low" | "ci_high" => {
                json!({"type": ["number", "null"], "minimum": 0, "maximum": 1})
            }
            "suppressed" => json!({"type": "array", "items": {"type": "string", "enum": columns}}),
            n if n.ends_with("_not_reached") => json!({"type": ["boolean", "null"]}),
            // An interval: of a median in days (an end `null` when not
            // reached), or of a share.
            n if n.starts_with("median_days") && n.ends_with("_ci") => json!({
                "type": ["array", "null"], "minItems": 2, "maxItems": 2,
                "items": {"type": ["integer", "null"], "minimum": 0}}),
            n if n.ends_with("_ci") => json!({
                "type": ["array", "null"], "minItems": 2, "maxItems": 2,
                "items": {"type": "number", "minimum": 0, "maximum": 1}}),
            n if n.starts_with("mean_") => json!({"type": ["number", "null"], "minimum": 0}),
            n if n.ends_with("_rate") || n.starts_with("share_unanswered") => {
                json!({"type": ["number", "null"], "minimum": 0, "maximum": 1})
            }
            // A share of a count (the chasing and victims tables).
            n if n == "share" || n.starts_with("share_") => {
                json!({"type": ["number", "null"], "minimum": 0, "maximum": 1})
            }
            // A median number of follow-ups, the last bar standing for
            // that many or more.
            "median_follow_ups" => {
                json!({"type": ["integer", "null"], "minimum": 0, "maximum": chasing::CAP})
            }
            _ => json!({"type": ["integer", "null"], "minimum": 0}),
        }
    };
    let labels = [
        "country",
        "country_name",
        "bucket",
        "area",
        "area_name",
        "cohort",
        "data_category",
        "emergency",
        "addressee",
    ];
    let row = |with_labels: bool| -> Value {
        let names: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| with_labels || !labels.contains(c))
            .collect();
        let properties: Map<String, Value> =
            names.iter().map(|n| (n.to_string(), column(n))).collect();
        json!({"type": "object", "properties": properties, "required": names,
               "additionalProperties": false})
    };
    let mut schema = json!({
        "type": "object",
        "required": ["as_of", "sent_from", "sent_to", "suppression", rows_key, "totals"],
        "additionalProperties": false,
        "properties": {
            "as_of": {"type": "string", "format": "date"},
            "sent_from": {"type": ["string", "null"], "format": "date"},
            "sent_to": {"type": ["string", "null"], "format": "date"},
            "suppression": {"$ref": "#/components/schemas/Suppression"},
            rows_key: {"type": "array", "items": row(true)},
            "totals": row(false),
        }
    });
    for (name, parameter) in parameters {
        schema["required"]
            .as_array_mut()
            .expect("a list")
            .push((*name).into());
        schema["properties"][*name] = parameter.clone();
    }
    schema
}

/// Declares the OpenAPI schema of a table's JSON, by name.
macro_rules! table_schemas {
    ($($name:ident => ($rows_key:expr, $columns:expr)),+ $(,)?) => {$(
        #[doc = concat!("The `", stringify!($name), "` of the OpenAPI document.")]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                table_schema($rows_key, &$columns)
            }
        }

        impl utoipa::ToSchema for $name {
            fn schemas(
                schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
            ) {
                schemas.push((Suppression::name().into_owned(), <Suppression as utoipa::PartialSchema>::schema()));
            }
        }
    )+};
}

table_schemas! {
    CountriesTable => ("countries", countries::COLUMNS),
    AbandonmentReasonsTable => ("countries", reasons::columns(Closure::Abandoned)),
    RefusalGroundsTable => ("countries", reasons::columns(Closure::Refused)),
    TimelineTable => ("buckets", timeline::COLUMNS),
    ChasingTable => ("countries", chasing::COLUMNS),
    VictimsTable => ("countries", victims::COLUMNS),
}

/// The `CohortsTable` of the OpenAPI document: a table with its `bucket`
/// and `horizon`.
pub struct CohortsTable;

impl utoipa::PartialSchema for CohortsTable {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let buckets = [Bucket::Year, Bucket::Quarter, Bucket::Month].map(Bucket::as_str);
        table_schema_with(
            "cohorts",
            &cohorts::COLUMNS,
            vec![
                (
                    "bucket",
                    serde_json::json!({"type": "string", "enum": buckets,
                        "description": "The cohorts' period of sending"}),
                ),
                (
                    "horizon",
                    serde_json::json!({"type": "integer", "enum": Horizon::ALL.map(Horizon::days),
                        "description": "Days after sending within which a first response counts"}),
                ),
            ],
        )
    }
}

impl utoipa::ToSchema for CohortsTable {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            Suppression::name().into_owned(),
            <Suppression as utoipa::PartialSchema>::schema(),
        ));
    }
}

/// The `EEvidenceTable` of the OpenAPI document: rows by category or by
/// addressee, and the `by` that chose them.
pub struct EEvidenceTable;

impl utoipa::PartialSchema for EEvidenceTable {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let by = |rows: eevidence::By| {
            body_schema(
                "rows",
                &rows.columns(),
                &[(
                    "by",
                    serde_json::json!({"type": "string", "enum": [rows.as_str()],
                        "description": "What the rows are"}),
                )],
            )
        };
        let schema = serde_json::json!({"oneOf": [
            by(eevidence::By::Category),
            by(eevidence::By::Addressee),
        ]});
        serde_json::from_value(schema).expect("a valid schema")
    }
}

impl utoipa::ToSchema for EEvidenceTable {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            Suppression::name().into_owned(),
            <Suppression as utoipa::PartialSchema>::schema(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    /// The reason tables' columns come from the vocabularies, and
    /// `table_schema` types a column by its name: every reason must come
    /// out a count, whatever words a new code uses.
    #[test]
    fn every_reason_column_is_documented_as_a_count() {
        for (closure, schema) in [
            (Closure::Abandoned, AbandonmentReasonsTable::schema()),
            (Closure::Refused, RefusalGroundsTable::schema()),
        ] {
            let schema = serde_json::to_value(schema).unwrap();
            let row = &schema["oneOf"][0]["properties"]["countries"]["items"];
            let mut counted = reasons::reasons(closure);
            counted.push(closure.status());
            for column in counted {
                assert_eq!(
                    row["properties"][column],
                    serde_json::json!({"type": ["integer", "null"], "minimum": 0}),
                    "{column}"
                );
                assert!(
                    row["required"].as_array().unwrap().contains(&column.into()),
                    "{column}"
                );
            }
            let suppressible = &row["properties"]["suppressed"]["items"]["enum"];
            assert_eq!(
                suppressible.as_array().unwrap().len(),
                reasons::columns(closure).len()
            );
        }
    }
}
