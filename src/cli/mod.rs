//! The command line, a front end of its own: it parses, loads the
//! settings, and calls the same services as the API for the operations both
//! offer (creating, listing and re-keying users, running the alerts, the
//! country table); the operator's tools (migrate, seed, audit, backup) work
//! on the storage directly.
//!
//! Only `serve`, `migrate`, `seed` and `user add` may create a database;
//! every other command refuses one that is missing or has no schema
//! ([`open`]).

mod alerts;
mod audit;
mod import;
mod open;
mod report;
mod support;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::db::open::Open;
use crate::domain::{Clock, Language};
use crate::services;
use crate::stats::aggregates::Population;
use crate::stats::countries;
use crate::stats::regions::Grouping;
use crate::stats::release;
use support::{block_on, explained};

#[derive(Parser)]
#[command(
    name = "mla-tracker",
    version,
    about = "Tracks outgoing mutual legal assistance requests and flags the ones that stall"
)]
struct Cli {
    /// Extra configuration file, layered over config/default.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Stall alerts.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Cooperation statistics.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// The report to publish: the published view's figures with their method, as PDF or HTML.
    Report {
        /// Only requests sent on or after this date (YYYY-MM-DD): the first day of a year or a quarter.
        #[arg(long, value_name = "DATE", value_parser = date)]
        sent_from: Option<NaiveDate>,
        /// Only requests sent on or before this date: the last day of --sent-from's year or quarter.
        #[arg(long, value_name = "DATE", value_parser = date)]
        sent_to: Option<NaiveDate>,
        /// The release date: the last day of a past month (default: the latest).
        #[arg(long, value_name = "DATE", value_parser = date)]
        as_of: Option<NaiveDate>,
        /// The report's language, charts included.
        #[arg(long, value_name = "LANG", default_value = "en")]
        lang: Language,
        /// PDF (printed by Chromium) or one self-contained HTML page.
        #[arg(long, value_enum, default_value_t = ReportFormat::Pdf)]
        format: ReportFormat,
        /// Rows by country, or by UN M49 sub-region or region.
        #[arg(long, value_enum, default_value_t = GroupBy::Country)]
        group: GroupBy,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Bring requests in from a spreadsheet (XLSX, ODS or CSV), with their dated
    /// histories; exit 0 if every row imports, 1 if rows have problems, 2 on error.
    Import {
        /// The spreadsheet.
        file: PathBuf,
        /// The importing user's email (an admin or a coordinator): the history records
        /// them.
        #[arg(long, value_name = "EMAIL")]
        user: String,
        /// Check every row and report what would be created or updated; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the rows without problems and report the others (by default one
        /// problem stops the whole import).
        #[arg(long)]
        skip_invalid: bool,
        /// A TOML file naming the sheet and which header is which column.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The tamper-evident history.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the database, consistently, while the service runs.
    Backup {
        /// The file to write (SQLite: a database file; PostgreSQL: a pg_dump archive).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Fill the database with a synthetic, plainly fictitious portfolio.
    Seed {
        /// How many requests to create.
        #[arg(long)]
        requests: u64,
        /// Random seed, for a reproducible portfolio.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every request's event chain; exit 0 if intact, 1 if broken, 2 on error.
    Verify {
        /// Requests read per transaction.
        #[arg(long, default_value_t = crate::audit::DEFAULT_CHUNK)]
        chunk: i64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Scan now, record new notifications and send every digest due (beside a running
    /// `serve` on SQLite, that service sends them).
    Run {
        /// Only count what a run would notify; record and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// The per-country table of `GET /api/v1/stats/countries`.
    Countries {
        /// How to print the table (text: a summary for the terminal).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The analysis date, YYYY-MM-DD (default: today; with --suppress,
        /// a release date: the last day of a past month, default the latest).
        #[arg(long, value_name = "DATE", value_parser = date)]
        as_of: Option<NaiveDate>,
        /// Only requests sent on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = date)]
        sent_from: Option<NaiveDate>,
        /// Only requests sent on or before this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = date)]
        sent_to: Option<NaiveDate>,
        /// The published view, as analysts see it: perturbed counts, small
        /// ones hidden, and only whole years or quarters as periods.
        #[arg(long)]
        suppress: bool,
    },
}

/// `report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Pdf,
    Html,
}

/// `report --group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GroupBy {
    Country,
    Subregion,
    Region,
}

/// `stats countries --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Csv,
    Json,
}

/// A date as the API takes it; clap names the option and the value.
fn date(text: &str) -> Result<NaiveDate, String> {
    use chrono::format::ParseErrorKind;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| match e.kind() {
        ParseErrorKind::OutOfRange | ParseErrorKind::Impossible => {
            "there is no such day in the calendar".to_string()
        }
        _ => "expected a date as YYYY-MM-DD, e.g. 2026-03-31".to_string(),
    })
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints its token, alone, on stdout.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// admin, coordinator, clerk or analyst.
        #[arg(long)]
        role: String,
    },
    /// List the users: name, email, role, whether active, when their token was made.
    List {
        /// Print the list as JSON, as `GET /api/v1/users` does.
        #[arg(long)]
        json: bool,
    },
    /// Give a user a password for the web pages, read from standard input; their
    /// web sessions end.
    SetPassword {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
    /// Give a user a new token, printed alone on stdout; the old one stops working.
    RotateToken {
        /// The user's email (`admin@localhost` for the admin of the first start).
        #[arg(long)]
        email: String,
    },
}

/// Log targets held at a ceiling whatever `RUST_LOG` says, because their
/// detail would carry secrets or case data (docs/SECURITY.md, "Logs"):
/// actix-web's access logger prints each error response's value at debug,
/// and the API's errors quote what the client sent (a 422 names the bad
/// value, a 409 the duplicate reference); lettre's SMTP transcript at debug
/// holds the AUTH exchange and the digests, which list cases; diesel and
/// r2d2 print nothing today, but a query log would print bound values.
/// These directives come after `RUST_LOG`'s and replace any it has for the
/// same targets, so these targets log at exactly this level whatever it says.
const LOG_CEILINGS: [(&str, log::LevelFilter); 4] = [
    ("actix_web::middleware::logger", log::LevelFilter::Info),
    ("lettre", log::LevelFilter::Warn),
    ("diesel", log::LevelFilter::Warn),
    ("r2d2", log::LevelFilter::Warn),
];

/// The `mla-tracker` command: parse, load the settings, dispatch; the exit
/// code says how it went.
pub fn main() -> ExitCode {
    let mut logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    for (target, ceiling) in LOG_CEILINGS {
        logger.filter_module(target, ceiling);
    }
    logger.init();
    let cli = Cli::parse();
    let auditing = matches!(cli.command, Command::Audit(_) | Command::Import { .. });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line; no backtrace for a user's mistake.
            eprintln!("mla-tracker: {e:#}");
            // audit verify: 1 means a broken chain, 2 that it could not run;
            // import: 1 means rows with problems, 2 that it could not run.
            if auditing && !e.is::<audit::Broken>() && !e.is::<import::NotClean>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            open::connection(&settings.database, Open::Create, "migrate")?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::User(UserCommand::Add { name, email, role }) => {
            users::add(settings, name, email, role)
        }
        Command::User(UserCommand::List { json }) => users::list(settings, json),
        Command::User(UserCommand::RotateToken { email }) => users::rotate_token(settings, email),
        Command::User(UserCommand::SetPassword { email }) => users::set_password(settings, email),
        Command::Alerts(AlertsCommand::Run { dry_run, json }) => {
            alerts::run(settings, dry_run, json)
        }
        Command::Stats(StatsCommand::Countries {
            format,
            as_of,
            sent_from,
            sent_to,
            suppress,
        }) => {
            let today = settings.clock.today(settings.office.timezone).date;
            let mut population =
                Population::as_of(as_of.unwrap_or(release::default_as_of(suppress, today)));
            population.sent_from = sent_from;
            population.sent_to = sent_to;
            if population.as_of > today {
                anyhow::bail!("--as-of must not be after today ({today})");
            }
            if let (Some(from), Some(to)) = (sent_from, sent_to)
                && from > to
            {
                anyhow::bail!("--sent-to must not be before --sent-from");
            }
            if suppress {
                let mut errors = crate::domain::FieldErrors::default();
                release::check(&population, None, today, &mut errors);
                if let Some((field, messages)) = errors.0.iter().next() {
                    anyhow::bail!("--{}: {}", field.replace('_', "-"), messages.join("; "));
                }
            }
            let services = open::services(settings, Open::Existing, "stats countries")?;
            let view = services::stats::View {
                published: suppress,
                threshold: services.settings.stats.suppression_threshold,
            };
            let shown = block_on(services.country_table(&population, view, Grouping::Country))
                .map_err(|e| explained("cannot compute the table", e))?;
            match format {
                Format::Csv => {
                    let mut rows: Vec<&countries::ShownRow> = shown.rows.iter().collect();
                    rows.push(&shown.totals);
                    print!("{}", crate::stats::to_csv(&countries::COLUMNS, &rows)?);
                }
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"countries": shown.rows, "totals": shown.totals})
                    )?
                ),
                Format::Text => print!("{}", countries::summary(&shown, population.as_of)),
            }
            Ok(())
        }
        Command::Report {
            sent_from,
            sent_to,
            as_of,
            lang,
            format,
            group,
            out,
        } => report::write(
            settings,
            report::Asked {
                sent_from,
                sent_to,
                as_of,
                language: lang,
                pdf: format == ReportFormat::Pdf,
                grouping: match group {
                    GroupBy::Country => Grouping::Country,
                    GroupBy::Subregion => Grouping::Subregion,
                    GroupBy::Region => Grouping::Region,
                },
                out,
            },
        ),
        Command::Import {
            file,
            user,
            dry_run,
            skip_invalid,
            mapping,
            json,
        } => import::run(
            settings,
            import::Asked {
                file,
                user,
                dry_run,
                skip_invalid,
                mapping,
                json,
            },
        ),
        Command::Audit(AuditCommand::Verify { chunk, json }) => {
            let mut conn = open::connection(&settings.database, Open::Existing, "audit verify")?;
            let report = audit::verify(&mut conn, chunk, json)?;
            if !report.intact() {
                return Err(audit::Broken(report.broken, report.differing).into());
            }
            Ok(())
        }
        Command::Backup { to, force } => {
            // Refused like the others before anything is written.
            drop(open::connection(
                &settings.database,
                Open::Existing,
                "backup",
            )?);
            let written = crate::backup::run(&settings.database, &to, force)?;
            match (written.requests, written.events) {
                (Some(requests), Some(events)) => println!(
                    "backed up {requests} request(s) and {events} event(s) to {} ({} bytes)",
                    written.file.display(),
                    written.bytes
                ),
                _ => println!(
                    "backed up to {} ({} bytes, pg_dump custom format)",
                    written.file.display(),
                    written.bytes
                ),
            }
            Ok(())
        }
        Command::Seed { requests, seed } => {
            let mut conn = open::connection(&settings.database, Open::Create, "seed")?;
            let today = settings.clock.today(settings.office.timezone);
            crate::seed::run(&mut conn, requests, seed, today)
        }
    }
}

#[actix_web::main]
async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.server.bind;
    let clock = settings.clock;
    let token_file = admin_token_file();
    let app = crate::http::server::Application::build(settings)?;
    if let Some(token) = app.services().bootstrap_admin().await? {
        hand_over_admin_token(&token, &token_file);
    }
    if let Clock::Pinned(at) = clock {
        log::warn!("the clock is pinned at {at} (clock.pinned): every \"today\" is that day");
    }
    log::info!(
        "mla-tracker listening on http://{}:{} ({} database)",
        bind.ip(),
        app.port(),
        app.db().backend
    );
    // The statistics read the register into memory once; doing it now
    // spares the first statistics request the wait.
    let services = app.services().clone();
    actix_web::rt::spawn(async move {
        let started = std::time::Instant::now();
        match services.prepare_statistics().await {
            Ok((n, bytes)) => log::info!(
                "statistics ready: {n} requests sent, read in {:.1} s, {:.0} MB held",
                started.elapsed().as_secs_f64(),
                bytes as f64 / 1e6
            ),
            Err(e) => log::warn!(
                "the statistics could not read the register ahead ({e}); \
                 the first statistics request will"
            ),
        }
    });
    app.run_until_stopped().await?;
    Ok(())
}

/// Where the first start leaves the admin's token: `data/admin-token`
/// under the working folder (beside the default SQLite database), named
/// absolutely in the log.
fn admin_token_file() -> PathBuf {
    let file = PathBuf::from("data").join("admin-token");
    std::path::absolute(&file).unwrap_or(file)
}

/// Gives the first start's admin token to whoever started the service, and
/// to no log collector: into a file only this user can read, named (not
/// quoted) in the log; on the terminal too when stderr is one.
fn hand_over_admin_token(token: &str, file: &std::path::Path) {
    use crate::db::private_files;
    use std::io::IsTerminal;
    const LOST: &str =
        "Lost it? `mla-tracker user rotate-token --email admin@localhost` prints a new one.";
    let written = file
        .parent()
        .map_or(Ok(()), private_files::create_folder)
        .and_then(|()| private_files::write_file(file, format!("{token}\n").as_bytes()));
    match written {
        Ok(()) => log::info!(
            "no users yet: created user `admin`; its token is in {} (readable by this user \
             only): use it as `Authorization: Bearer <token>`, then delete the file. {LOST}",
            file.display()
        ),
        Err(e) => log::warn!(
            "no users yet: created user `admin`, but its token could not be written to {} \
             ({e}). {LOST}",
            file.display()
        ),
    }
    if std::io::stderr().is_terminal() {
        eprintln!(
            "\nThe admin's token (not logged; also in {}):\n\n    {token}\n",
            file.display()
        );
    }
}
