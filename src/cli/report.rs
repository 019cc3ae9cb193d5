//! `mla-tracker report`: the report of `GET /api/v1/stats/report`, written
//! to a file. Always the published view, so its parameters are those of a
//! release (a month-end `--as-of`, a year or a quarter); a refusal names the
//! option and what is allowed.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::open;
use super::support::{block_on, explained};
use crate::config::Settings;
use crate::db::open::Open;
use crate::domain::{FieldErrors, Language};
use crate::report;
use crate::stats::aggregates::Population;
use crate::stats::regions::Grouping;
use crate::stats::release;

/// What the command line asked for.
pub struct Asked {
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
    pub as_of: Option<NaiveDate>,
    pub language: Language,
    pub pdf: bool,
    pub grouping: Grouping,
    pub out: PathBuf,
}

pub fn write(settings: Settings, asked: Asked) -> anyhow::Result<()> {
    let today = settings.clock.today(settings.office.timezone).date;
    let mut population = Population::as_of(asked.as_of.unwrap_or(release::latest(today)));
    population.sent_from = asked.sent_from;
    population.sent_to = asked.sent_to;
    let mut errors = FieldErrors::default();
    release::check(&population, None, today, &mut errors);
    if let Some((field, messages)) = errors.0.iter().next() {
        anyhow::bail!("--{}: {}", field.replace('_', "-"), messages.join("; "));
    }
    // Before any work: a PDF needs a browser.
    let browser = if asked.pdf {
        Some(
            report::pdf::browser(settings.stats.pdf_browser.as_deref())
                .ok_or_else(|| anyhow::anyhow!("{}", report::pdf::NO_BROWSER))?,
        )
    } else {
        None
    };
    let services = open::services(settings, Open::Existing, "report")?;
    eprintln!(
        "gathering the published figures as of {}…",
        population.as_of
    );
    let gathered = block_on(report::gather(
        &services,
        &population,
        asked.grouping,
        asked.language,
    ))
    .map_err(|e| explained("cannot gather the report's figures", e))?;
    let html = report::html::render(&gathered)?;
    let bytes = match browser {
        None => html.into_bytes(),
        Some(browser) => {
            eprintln!("printing the PDF with {}…", browser.display());
            report::pdf::print(&html, &browser)?
        }
    };
    std::fs::write(&asked.out, &bytes)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", asked.out.display()))?;
    eprintln!(
        "wrote {} ({} KB)",
        asked.out.display(),
        bytes.len().div_ceil(1024)
    );
    Ok(())
}
