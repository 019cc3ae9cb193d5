//! The cooperation statistics: the tables, the response curves and the
//! charts, each for a population of requests and in the view the caller may
//! see — analysts only ever the published one, small counts suppressed.

use std::sync::PoisonError;

use super::{Error, Result, Services};
use crate::db;
use crate::domain::{Language, Role};
use crate::stats::aggregates::{
    Aggregates, Bucket, Closure, Horizon, Population, Waiting, grouped_reasons,
};
use crate::stats::regions::Grouping;
use crate::stats::register::Register;
use crate::stats::{
    ShownTable, charts, chasing, cohorts, countries, curves, eevidence, reasons, timeline, victims,
};

/// Which figures a caller gets: the exact ones, or the published view
/// (counts below `threshold` and what could rebuild them hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub published: bool,
    pub threshold: u64,
}

impl View {
    /// The threshold to suppress with, if any.
    pub fn suppress_with(&self) -> Option<u64> {
        self.published.then_some(self.threshold)
    }
}

impl Services {
    /// Runs `count` over the statistics' copy of the register, first read
    /// whole if this process has none yet, else brought up to date with
    /// the change log: each table is then one walk over compact rows in
    /// memory instead of a scan of the database (docs/DECISIONS.md).
    async fn over_register<T, F>(&self, count: F) -> Result<T>
    where
        F: FnOnce(&Register) -> T + Send + 'static,
        T: Send + 'static,
    {
        let copy = self.register.clone();
        let counted = self
            .db
            .read(move |conn| {
                {
                    let mut held = copy.write().unwrap_or_else(|poisoned| {
                        // A read that panicked half-way leaves a copy that
                        // cannot be trusted: start again from the database.
                        copy.clear_poison();
                        let mut held = poisoned.into_inner();
                        *held = None;
                        held
                    });
                    match held.as_mut() {
                        Some((register, mark)) => {
                            *mark = db::register::read_changes(conn, register, *mark)?;
                        }
                        None => *held = Some(db::register::read_all(conn)?),
                    }
                }
                let held = copy.read().unwrap_or_else(PoisonError::into_inner);
                let (register, _) = held.as_ref().expect("read just above");
                Ok::<_, db::Error>(count(register))
            })
            .await?;
        Ok(counted)
    }

    /// Reads the statistics' copy of the register now, so that the first
    /// statistics request after start does not wait for it (seconds at
    /// 1,000,000 requests).
    /// Returns how many requests it holds, and about how many bytes.
    pub async fn prepare_statistics(&self) -> Result<(usize, usize)> {
        self.over_register(|register| (register.len(), register.memory_bytes()))
            .await
    }

    /// The view a caller gets: the published one for analysts whatever
    /// they ask, and for anyone who asks for it.
    pub fn stats_view(&self, role: Role, asked_published: bool) -> View {
        View {
            published: role == Role::Analyst || asked_published,
            threshold: self.settings.stats.suppression_threshold,
        }
    }

    /// What the country table and the curves are built from: the counts,
    /// the victims identified and the three clocks' days.
    pub async fn country_aggregates(&self, population: &Population) -> Result<Aggregates> {
        let p = population.clone();
        self.over_register(move |register| {
            let [acknowledgement_days, response_days, execution_days] = register.clock_days(&p);
            Aggregates {
                counts: register.country_counts(&p),
                acknowledgement_days,
                response_days,
                execution_days,
            }
        })
        .await
    }

    /// Per country (or per M49 sub-region or region): counts, rates, the
    /// three clocks and the shares still unanswered, and the totals.
    pub async fn country_table(
        &self,
        population: &Population,
        view: View,
        grouping: Grouping,
    ) -> Result<ShownTable> {
        let aggregates = self.country_aggregates(population).await?;
        Ok(country_rows(aggregates, view, grouping))
    }

    /// The country table (rows by `grouping`) and the two charts of one
    /// population from a single aggregation: what the report shows of it.
    pub async fn country_table_and_charts(
        &self,
        population: &Population,
        view: View,
        grouping: Grouping,
        language: Language,
    ) -> Result<(ShownTable, String, String)> {
        let aggregates = self.country_aggregates(population).await?;
        let by_country = country_rows(aggregates.clone(), view, Grouping::Country);
        let rates = rates_chart(&by_country, population, view, language)?;
        let curves = curves_chart(&curve_rows(&aggregates, view), population, view, language)?;
        let table = match grouping {
            Grouping::Country => by_country,
            _ => country_rows(aggregates, view, grouping),
        };
        Ok((table, rates, curves))
    }

    /// Per country (or M49 area), the requests abandoned (or refused) by
    /// `as_of` by reason (or ground), and the totals.
    pub async fn reasons_table(
        &self,
        population: &Population,
        closure: Closure,
        view: View,
        grouping: Grouping,
    ) -> Result<ShownTable> {
        let population = population.clone();
        let counts = self
            .db
            .read(move |conn| {
                Ok::<_, db::Error>(db::stats::reason_counts(conn, &population, closure)?)
            })
            .await?;
        let table = reasons::table(closure, grouped_reasons(counts, grouping));
        let mut shown = match view.suppress_with() {
            None => reasons::exact(&table),
            Some(threshold) => reasons::published(&table, threshold),
        };
        grouping.relabel(&mut shown);
        Ok(shown)
    }

    /// Per country (or M49 area), the requests abandoned for silence by
    /// `as_of` and the follow-ups recorded before giving up, and the totals.
    pub async fn chasing_table(
        &self,
        population: &Population,
        view: View,
        grouping: Grouping,
    ) -> Result<ShownTable> {
        let population = population.clone();
        let counts = self
            .over_register(move |register| register.follow_up_counts(&population))
            .await?;
        let table = chasing::table(counts, grouping);
        let mut shown = match view.suppress_with() {
            None => chasing::exact(&table),
            Some(threshold) => chasing::published(&table, threshold),
        };
        grouping.relabel(&mut shown);
        Ok(shown)
    }

    /// Per country (or M49 area), the cases that sent it requests and those
    /// of them that identified victims, and the totals (each case once).
    pub async fn victims_table(
        &self,
        population: &Population,
        view: View,
        grouping: Grouping,
    ) -> Result<ShownTable> {
        let population = population.clone();
        let (rows, totals) = self
            .over_register(move |register| register.case_counts(&population, grouping))
            .await?;
        let table = victims::table(rows, totals);
        let mut shown = match view.suppress_with() {
            None => victims::exact(&table),
            Some(threshold) => victims::published(&table, threshold),
        };
        grouping.relabel(&mut shown);
        Ok(shown)
    }

    /// The e-Evidence Regulation's art. 28 figures: the population's
    /// e-evidence orders per data category and emergency, or per
    /// addressee, complied with or not, pending, and the mean days to data,
    /// then every order once.
    pub async fn eevidence_table(
        &self,
        population: &Population,
        by: eevidence::By,
        view: View,
    ) -> Result<ShownTable> {
        let population = population.clone();
        let counts = self
            .db
            .read(move |conn| {
                Ok::<_, db::Error>(db::stats::eevidence_counts(conn, &population, by)?)
            })
            .await?;
        let table = eevidence::table(by, &counts);
        Ok(match view.suppress_with() {
            None => eevidence::exact(&table),
            Some(threshold) => eevidence::published(&table, threshold),
        })
    }

    /// Per period of sending: counts and the median days to a first response.
    pub async fn timeline_table(
        &self,
        population: &Population,
        bucket: Bucket,
        view: View,
    ) -> Result<ShownTable> {
        let frame = cohorts::Frame::of(population, bucket, Horizon::Days365);
        let p = population.clone();
        let (counts, days) = self
            .over_register(move |register| {
                (
                    register.bucket_counts(&p, bucket),
                    register.bucket_days(&p, Waiting::FirstResponse, bucket),
                )
            })
            .await?;
        let mut shown = match view.suppress_with() {
            None => timeline::exact(&timeline::table(counts, days)),
            Some(threshold) => timeline::published(&counts, &days, threshold),
        };
        timeline::mark_complete(&mut shown, &frame);
        Ok(shown)
    }

    /// Per cohort (period of sending): the requests sent, those answered
    /// within the horizon and the share answered within it with its
    /// interval. The per-day counts of the days to a first response are
    /// counted only when some cohort may be incomplete.
    pub async fn cohorts_table(
        &self,
        population: &Population,
        bucket: Bucket,
        horizon: Horizon,
        view: View,
    ) -> Result<ShownTable> {
        let frame = cohorts::Frame::of(population, bucket, horizon);
        let p = population.clone();
        let all_complete = frame.all_complete();
        let (counts, days) = self
            .over_register(move |register| {
                let counts = register.cohort_counts(&p, bucket, horizon.days());
                let days = if all_complete {
                    Vec::new()
                } else {
                    register.bucket_days(&p, Waiting::FirstResponse, bucket)
                };
                (counts, days)
            })
            .await?;
        Ok(match view.suppress_with() {
            None => cohorts::exact(&cohorts::table(counts, days, frame)),
            Some(threshold) => cohorts::published(&counts, &days, frame, threshold),
        })
    }

    /// Per country and pooled, the Kaplan–Meier curves of the days to a
    /// first response with their 95 % intervals.
    pub async fn response_curves(
        &self,
        population: &Population,
        view: View,
    ) -> Result<curves::Shown> {
        let aggregates = self.country_aggregates(population).await?;
        Ok(curve_rows(&aggregates, view))
    }

    /// The SVG chart of countries ranked by the share still unanswered after
    /// 365 days, its words in `language`.
    pub async fn response_rates_chart(
        &self,
        population: &Population,
        view: View,
        language: Language,
    ) -> Result<String> {
        let shown = self
            .country_table(population, view, Grouping::Country)
            .await?;
        rates_chart(&shown, population, view, language)
    }

    /// The SVG chart of the response curves of the countries in the
    /// population's filter, or of the five with most requests, its words in
    /// `language`.
    pub async fn response_curves_chart(
        &self,
        population: &Population,
        view: View,
        language: Language,
    ) -> Result<String> {
        let shown = self.response_curves(population, view).await?;
        curves_chart(&shown, population, view, language)
    }
}

/// The country table as `view` shows it, rows by `grouping`.
fn country_rows(aggregates: Aggregates, view: View, grouping: Grouping) -> ShownTable {
    let aggregates = aggregates.grouped(grouping);
    let mut shown = match view.suppress_with() {
        None => countries::exact(&countries::of(aggregates)),
        Some(threshold) => countries::published(&aggregates, threshold),
    };
    grouping.relabel(&mut shown);
    shown
}

/// The response curves as `view` shows them.
fn curve_rows(aggregates: &Aggregates, view: View) -> curves::Shown {
    match view.suppress_with() {
        None => curves::exact(&curves::of(aggregates.clone())),
        Some(threshold) => curves::published(aggregates, threshold),
    }
}

/// The chart of the countries ranked by the share still unanswered after a
/// year, from the table by country as shown.
fn rates_chart(
    by_country: &ShownTable,
    population: &Population,
    view: View,
    language: Language,
) -> Result<String> {
    let (bars, left_out) = charts::rate_bars(by_country, language);
    charts::response_rates_svg(
        &period(population),
        &bars,
        left_out,
        view.suppress_with(),
        language,
    )
    .map_err(Error::Internal)
}

/// The chart of the response curves of the countries asked for, or of the
/// five with most requests.
fn curves_chart(
    shown: &curves::Shown,
    population: &Population,
    view: View,
    language: Language,
) -> Result<String> {
    let (lines, notes) =
        charts::pick_curves(shown, &population.countries, view.suppress_with(), language);
    charts::response_curves_svg(&period(population), &lines, &notes, language)
        .map_err(Error::Internal)
}

fn period(population: &Population) -> charts::Period {
    charts::Period {
        sent_from: population.sent_from,
        sent_to: population.sent_to,
        as_of: population.as_of,
    }
}
