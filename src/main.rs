//! The `mla-tracker` command: parse, load configuration, dispatch.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mla_tracker::alerts::deliver::Delivery;
use mla_tracker::alerts::mail::Mailer;
use mla_tracker::alerts::run::run_and_deliver;
use mla_tracker::config::Settings;
use mla_tracker::db::stats::Population;
use mla_tracker::db::{self, Db, users};
use mla_tracker::domain::Role;
use mla_tracker::startup::Application;
use mla_tracker::stats::countries;

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
        #[arg(long, default_value_t = mla_tracker::audit::DEFAULT_CHUNK)]
        chunk: i64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Scan now, record new notifications and send every digest due.
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
        /// text (a summary for the terminal), csv or json.
        #[arg(long, default_value = "text")]
        format: String,
        /// The analysis date (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
        /// Only requests sent on or after this date.
        #[arg(long, value_name = "DATE")]
        sent_from: Option<chrono::NaiveDate>,
        /// Only requests sent on or before this date.
        #[arg(long, value_name = "DATE")]
        sent_to: Option<chrono::NaiveDate>,
        /// The published view, small counts suppressed, as analysts see it.
        #[arg(long)]
        suppress: bool,
    },
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

fn main() -> std::process::ExitCode {
    let mut logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    for (target, ceiling) in LOG_CEILINGS {
        logger.filter_module(target, ceiling);
    }
    logger.init();
    let cli = Cli::parse();
    let audit = matches!(cli.command, Command::Audit(_));
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line; no backtrace for a user's mistake.
            eprintln!("mla-tracker: {e:#}");
            // audit verify: 1 means a broken chain, 2 that it could not run.
            if audit && !e.is::<mla_tracker::audit::Broken>() {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            db::connect_once(&settings.database)?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::User(UserCommand::Add { name, email, role }) => {
            let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let new = mla_tracker::routes::users::NewUser { name, email, role }
                .checked()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "invalid user: {}",
                        serde_json::to_string(&e).unwrap_or_default()
                    )
                })?;
            let mut conn = db::connect_once(&settings.database)?;
            if users::email_taken(&mut conn, &new.email)? {
                anyhow::bail!("a user with email {} exists already", new.email);
            }
            let (_, token) = users::create(&mut conn, &new.name, &new.email, new.role)
                .with_context(|| format!("cannot create user {}", new.email))?;
            println!("{token}");
            Ok(())
        }
        Command::Alerts(AlertsCommand::Run { dry_run, json }) => {
            let mailer = Mailer::from_settings(&settings.mail)?;
            let today = settings.clock.today_in(settings.alerts.timezone);
            // On SQLite, refuse to mail beside a running service.
            let _instance = db::lock_single_instance(settings.database.url.expose())?;
            let mut conn = db::connect_once(&settings.database)?;
            let delivery = Delivery {
                mailer: &mailer,
                mail: &settings.mail,
                alerts: &settings.alerts,
                rules: &settings.alerts.rules,
                today,
            };
            let s = run_and_deliver(&mut conn, &delivery, "cli", dry_run)
                .map_err(|e| anyhow::anyhow!("alert run failed: {e}"))?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!(
                    "{}as of {today}: {} stalled, {} new notification(s) in {} digest(s); {} email(s) sent, {} failed",
                    if dry_run { "(dry run) " } else { "" },
                    s.stalled,
                    s.notifications_created,
                    s.digests_created,
                    s.emails_sent,
                    s.emails_failed
                );
            }
            Ok(())
        }
        Command::Stats(StatsCommand::Countries {
            format,
            as_of,
            sent_from,
            sent_to,
            suppress,
        }) => {
            let today = settings.clock.today_in(settings.alerts.timezone);
            let mut population = Population::as_of(as_of.unwrap_or(today));
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
            let mut conn = db::connect_once(&settings.database)?;
            let table = countries::Aggregates::fetch(&mut conn, &population)?.table();
            let threshold = settings.stats.suppression_threshold;
            let shown = countries::shown(&table, suppress.then_some(threshold))?;
            match format.as_str() {
                "csv" => {
                    let mut rows: Vec<&countries::ShownRow> = shown.rows.iter().collect();
                    rows.push(&shown.totals);
                    print!(
                        "{}",
                        mla_tracker::stats::to_csv(&countries::COLUMNS, &rows)?
                    );
                }
                "json" => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"countries": shown.rows, "totals": shown.totals})
                    )?
                ),
                "text" => print!("{}", countries::summary(&shown, population.as_of)),
                other => anyhow::bail!("--format must be text, csv or json, not {other}"),
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { chunk, json }) => {
            let report = mla_tracker::audit::run_verify(&settings.database, chunk, json)?;
            if !report.intact() {
                return Err(mla_tracker::audit::Broken(report.broken).into());
            }
            Ok(())
        }
        Command::Backup { to, force } => {
            let written = mla_tracker::backup::run(&settings.database, &to, force)?;
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
            let mut conn = db::connect_once(&settings.database)?;
            let today = settings.clock.today_in(settings.alerts.timezone);
            mla_tracker::seed::run(&mut conn, requests, seed, today)
        }
    }
}

#[actix_web::main]
async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings.clone())?;
    bootstrap_admin(app.db())?;
    if let mla_tracker::domain::Clock::Pinned(at) = settings.clock {
        log::warn!("the clock is pinned at {at} (clock.pinned): every \"today\" is that day");
    }
    log::info!(
        "mla-tracker listening on http://{}:{} ({} database)",
        settings.server.bind.ip(),
        app.port(),
        app.db().backend
    );
    app.run_until_stopped().await?;
    Ok(())
}

/// On first start, creates an `admin` user and prints its token once.
fn bootstrap_admin(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.blocking_conn()?;
    if users::count(&mut conn)? > 0 {
        return Ok(());
    }
    let (_, token) = users::create(&mut conn, "admin", "admin@localhost", Role::Admin)?;
    eprintln!(
        "\nNo users yet: created user `admin`. Its token, shown only this once:\n\n    {token}\n\n\
         Use it as `Authorization: Bearer <token>`; create other users with POST /api/v1/users.\n"
    );
    Ok(())
}
