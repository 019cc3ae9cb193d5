//! `mla-tracker alerts run`: the scan of `POST /alerts/run`, from the
//! command line, beside a running service or alone.
//!
//! Whoever sends digests over a SQLite database holds its single-instance
//! lock (`db::instance::claim_single_instance`), so that two processes never
//! send the same one. When a `serve` holds it, this run scans and records
//! (SQLite serialises the writers; the scan is one transaction) and leaves
//! the sending to that service's delivery loop. Alone, it scans and sends.
//! A dry run records nothing and needs no lock. On PostgreSQL instances
//! coordinate in the database, and a run always scans and sends.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::open;
use super::support::{block_on, explained};
use crate::alerts::run::RunSummary;
use crate::config::Settings;
use crate::db::instance::{Claim, Holder, claim_single_instance};
use crate::db::open::Open;
use crate::services::alerts::RunOrigin;

/// Who sends the digests a run records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum SentBy {
    /// This run, right after its scan.
    ThisRun,
    /// The delivery loop of the `serve` that holds the SQLite database.
    RunningService,
}

/// `--json`: the API's summary, and who sends (null for a dry run).
#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    summary: &'a RunSummary,
    sent_by: Option<SentBy>,
}

/// How often to look again while another `alerts run` holds the lock.
const RECHECK: Duration = Duration::from_millis(200);

pub fn run(settings: Settings, dry_run: bool, json: bool) -> anyhow::Result<()> {
    let url = settings.database.url.clone();
    let interval = settings.alerts.delivery_interval_seconds;
    // The database first: no lock file is created beside a missing one.
    let services = Arc::new(open::services(settings, Open::Existing, "alerts run")?);
    let (sent_by, _lock) = match dry_run {
        true => (None, None),
        false => {
            let (sent_by, lock) = sender(url.expose())?;
            (Some(sent_by), lock)
        }
    };
    let summary = block_on(async {
        match sent_by {
            Some(SentBy::RunningService) => services.scan(RunOrigin::Cli, false).await,
            _ => services.run_alerts(RunOrigin::Cli, dry_run).await,
        }
    })
    .map_err(|e| explained("alert run failed", e))?;
    if json {
        let report = Report {
            summary: &summary,
            sent_by,
        };
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let as_of = summary
        .as_of
        .map_or_else(|| "today".to_string(), |d| d.to_string());
    let s = &summary;
    let found = if s.skipped_busy {
        "another instance was scanning, so this run scanned nothing".to_string()
    } else {
        format!("{} stalled", s.stalled)
    };
    println!(
        "{}",
        match sent_by {
            None => format!(
                "(dry run) as of {as_of}: {found}; a run would record {} new notification(s) in \
                 {} digest(s); nothing was recorded or sent",
                s.notifications_created, s.digests_created
            ),
            Some(SentBy::ThisRun) => format!(
                "as of {as_of}: {found}, {} new notification(s) in {} digest(s); {} email(s) \
                 sent, {} failed",
                s.notifications_created, s.digests_created, s.emails_sent, s.emails_failed
            ),
            Some(SentBy::RunningService) => format!(
                "as of {as_of}: {found}, {} new notification(s); {} digest(s) queued; the \
                 running service sends them within {interval} s",
                s.notifications_created, s.digests_created
            ),
        }
    );
    Ok(())
}

/// Who will send: this run (holding the SQLite lock, or on PostgreSQL), or
/// the `serve` that holds the lock. Another `alerts run` holding it is
/// waited for: it finishes.
fn sender(url: &str) -> anyhow::Result<(SentBy, Option<std::fs::File>)> {
    let mut waiting = false;
    loop {
        match claim_single_instance(url, Holder::AlertsRun)? {
            Claim::Shared => return Ok((SentBy::ThisRun, None)),
            Claim::Held(lock) => return Ok((SentBy::ThisRun, Some(lock))),
            Claim::Busy(Some(Holder::AlertsRun)) => {
                if !waiting {
                    eprintln!("waiting for another `mla-tracker alerts run` to finish sending…");
                    waiting = true;
                }
                std::thread::sleep(RECHECK);
            }
            // A `serve` (older versions do not say who they are).
            Claim::Busy(_) => return Ok((SentBy::RunningService, None)),
        }
    }
}
