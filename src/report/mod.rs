//! The report the advocacy team publishes (`mla-tracker report`,
//! `GET /api/v1/stats/report`): one self-contained document, in French or
//! English, of the published view only — whoever asks for it — with its
//! method stated in plain words. HTML ([`html`]), or PDF printed from that
//! HTML by a headless Chromium ([`pdf`]).
//!
//! A front end like the web pages: it calls the services' statistics, one
//! method per table, and lays them out; it computes no figure of its own, so
//! the document says what the API says for the same parameters.

pub mod html;
pub mod pdf;

use crate::domain::{Language, Role};
use crate::services::{self, Services};
use crate::stats::ShownTable;
use crate::stats::aggregates::{Bucket, Closure, Horizon, Population};
use crate::stats::charts::Period;
use crate::stats::eevidence::By;
use crate::stats::regions::Grouping;

/// What a report shows: the published tables and charts of one population.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub language: Language,
    pub grouping: Grouping,
    /// The published view's threshold: counts from 1 to this − 1 are hidden.
    pub threshold: u64,
    pub countries: ShownTable,
    /// Per year of sending, the share answered within a year.
    pub cohorts: ShownTable,
    /// The requests given up for silence, and how often they were chased.
    pub chasing: ShownTable,
    /// The cases behind the requests, and those that identified victims.
    pub victims: ShownTable,
    /// The annex: the e-Evidence Regulation's art. 28 figures, per data
    /// category and emergency.
    pub eevidence: ShownTable,
    pub abandoned: ShownTable,
    pub refused: ShownTable,
    /// The charts, SVG in the report's language.
    pub rates_chart: String,
    pub curves_chart: String,
}

/// Gathers the report of `population`, always in the published view.
pub async fn gather(
    services: &Services,
    population: &Population,
    grouping: Grouping,
    language: Language,
) -> Result<Report, services::Error> {
    let view = services.stats_view(Role::Analyst, true);
    // One table after the other: each is a pass (or four) over the whole
    // population, which two cores serve no faster at once, and run
    // together they would wait on each other for the pool's connections.
    let (countries, rates_chart, curves_chart) = services
        .country_table_and_charts(population, view, grouping, language)
        .await?;
    let cohorts = services
        .cohorts_table(population, Bucket::Year, Horizon::Days365, view)
        .await?;
    let chasing = services.chasing_table(population, view, grouping).await?;
    let victims = services.victims_table(population, view, grouping).await?;
    let eevidence = services
        .eevidence_table(population, By::Category, view)
        .await?;
    let abandoned = services
        .reasons_table(population, Closure::Abandoned, view, grouping)
        .await?;
    let refused = services
        .reasons_table(population, Closure::Refused, view, grouping)
        .await?;
    Ok(Report {
        period: Period {
            sent_from: population.sent_from,
            sent_to: population.sent_to,
            as_of: population.as_of,
        },
        language,
        grouping,
        threshold: view.threshold,
        countries,
        cohorts,
        chasing,
        victims,
        eevidence,
        abandoned,
        refused,
        rates_chart,
        curves_chart,
    })
}

/// How a report is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Pdf,
    Html,
}

impl std::str::FromStr for Format {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pdf" => Ok(Format::Pdf),
            "html" => Ok(Format::Html),
            _ => Err("must be pdf or html"),
        }
    }
}
