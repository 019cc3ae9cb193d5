//! Settings and their layered loading: the built-in `config/default.toml`,
//! then `--config FILE`, then `MLA__SECTION__KEY` environment variables (and
//! `DATABASE_URL`).
//!
//! The layers are read as written ([`raw`]), then checked and parsed once
//! into the typed [`Settings`] the program uses: an address is a
//! `SocketAddr`, the schedule a `cron::Schedule`, the time zone a `Tz`, the
//! alert rules a checked [`RuleSet`]. A bad value stops the program at
//! start-up with the key's name instead of failing at 3 a.m., and nothing
//! downstream parses a setting again. URLs that can carry a password are
//! [`SecretUrl`]s, whose `Debug` and `Display` hide it.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

pub mod raw;
mod secret;
mod unknown;

use anyhow::bail;
use config::{Config, Environment, File, FileFormat};

pub use secret::SecretUrl;
use unknown::{explained, warn_single_underscores};

use crate::domain::Clock;
use crate::domain::alert_rules::RuleSet;

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Every setting, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub auth: AuthSettings,
    pub web: WebSettings,
    pub database: DatabaseSettings,
    pub alerts: AlertSettings,
    pub mail: MailSettings,
    pub stats: StatsSettings,
    pub import: ImportSettings,
    pub office: OfficeSettings,
    /// Where "now" comes from (`[clock]`).
    pub clock: Clock,
}

/// `[office]`.
#[derive(Debug, Clone)]
pub struct OfficeSettings {
    /// Its date is "today" for the register, the alerts and the statistics;
    /// the alert schedules are read in it.
    pub timezone: chrono_tz::Tz,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub body_limit_bytes: usize,
    /// HTTP worker threads; 0 = one per CPU core.
    pub workers: usize,
    /// How long a client may take to send a request's headers (408 after).
    pub header_timeout_seconds: u64,
    /// How long a client may take to send a request's body, counted from
    /// its headers (408 and the connection closed after).
    pub request_timeout_seconds: u64,
    /// How long an idle connection is kept open between requests; 0 closes
    /// it after each response.
    pub keep_alive_seconds: u64,
    /// Browser origins (`https://host[:port]`) allowed to call the API
    /// across origins; empty = none (no CORS headers at all).
    pub cors_allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client address;
    /// empty = the TCP peer is the client (the header is ignored).
    pub trusted_proxies: Vec<IpAddr>,
    /// Where people reach the service (scheme, host, optional port and
    /// path, no trailing slash): the links in emails, and whether session
    /// cookies are `Secure` (when it is https).
    pub public_url: String,
}

impl ServerSettings {
    /// Whether people reach the service over HTTPS (cookies then `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Why the links in emails would not reach a service listening on
    /// `listening`, when that can be told: `public_url` names this machine
    /// (a loopback address) while the service listens for other machines,
    /// or names the address it listens on with another port. A host name
    /// is taken on trust: a reverse proxy may stand in front on any port.
    /// With `server.bind` on port 0 (any free port, as tests use) no URL
    /// could name the port in advance, so only the host is checked.
    pub fn public_url_mismatch(&self, listening: std::net::SocketAddr) -> Option<String> {
        let url = url::Url::parse(&self.public_url).ok()?;
        let host: IpAddr = match url.host()? {
            url::Host::Ipv4(ip) => ip.into(),
            url::Host::Ipv6(ip) => ip.into(),
            url::Host::Domain("localhost") => std::net::Ipv4Addr::LOCALHOST.into(),
            url::Host::Domain(_) => return None,
        };
        let port = url.port_or_known_default()?;
        let public = &self.public_url;
        let listens = listening.ip();
        if host.is_loopback() && !listens.is_loopback() {
            return Some(format!(
                "server.public_url is {public}, an address of this machine only, while the \
                 service listens on {listening} for others: the links in emails will not open \
                 elsewhere; set server.public_url to the address people type"
            ));
        }
        let same_host = host == listens || (host.is_loopback() && listens.is_loopback());
        let any_host = listens.is_unspecified() && host.is_loopback();
        if (same_host || any_host) && self.bind.port() != 0 && port != listening.port() {
            return Some(format!(
                "server.public_url is {public} but the service listens on port {}: the links \
                 in emails will not open; set server.public_url to the address people type",
                listening.port()
            ));
        }
        None
    }
}

/// `[web]`: the web pages' sessions.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// A session unused for this long ends.
    pub session_idle: std::time::Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_absolute: std::time::Duration,
    /// How long a link to set a password works.
    pub invitation_valid: std::time::Duration,
}

/// `[auth]`.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub cache_seconds: u64,
    /// More failed authentications than this from one client address within
    /// `failed_attempts_window_seconds` and the address gets 429 until the
    /// window ends (docs/SECURITY.md, "Brute force").
    pub max_failed_attempts: u32,
    pub failed_attempts_window_seconds: u64,
}

/// `[database]`.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretUrl,
    pub pool_size: u32,
    pub timeout_seconds: u64,
    /// PostgreSQL: how long opening a connection may take (libpq's
    /// `connect_timeout`), so an unreachable server costs a bounded wait.
    pub connect_timeout_seconds: u64,
    /// PostgreSQL: the longest a statement may run (0: no limit).
    pub statement_timeout_seconds: u64,
}

/// `[alerts]`: see config/default.toml.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    pub enabled: bool,
    pub schedule: cron::Schedule,
    /// The scan of emergency requests, mailed at once.
    pub emergency_schedule: cron::Schedule,
    pub delivery_interval_seconds: u64,
    pub retry_base_seconds: u64,
    pub max_attempts: u32,
    /// How long an unfinished alert run that has recorded nothing is still
    /// believed to be running: past it, the run crashed, and the next run
    /// finishes it (src/alerts/run.rs).
    pub run_lease_seconds: u64,
    /// Named address lists rules can notify (`list:NAME`).
    pub lists: BTreeMap<String, Vec<String>>,
    /// The checked rules, in configuration order.
    pub rules: RuleSet,
}

/// `[mail]`: where and how alert emails are sent.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://`, `smtps://` or `file://DIR`.
    pub url: SecretUrl,
    pub from: lettre::message::Mailbox,
    pub language: Language,
}

/// The language of the emails.
pub use crate::domain::Language;

/// `[import]`: how large a spreadsheet may be imported.
#[derive(Debug, Clone, Copy)]
pub struct ImportSettings {
    pub max_file_bytes: u64,
    pub max_unpacked_bytes: u64,
    pub max_rows: usize,
}

impl ImportSettings {
    pub fn limits(&self) -> crate::sheet::read::Limits {
        crate::sheet::read::Limits {
            max_bytes: self.max_file_bytes,
            max_unpacked_bytes: self.max_unpacked_bytes,
            max_rows: self.max_rows,
        }
    }
}

/// `[stats]`: the published statistics.
#[derive(Debug, Clone)]
pub struct StatsSettings {
    /// Published (perturbed) counts from 1 to this − 1 are hidden in the
    /// published view, and so are figures built on fewer requests.
    pub suppression_threshold: u64,
    /// The Chromium that prints PDF reports; `None`: the first of
    /// `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
    pub pdf_browser: Option<std::path::PathBuf>,
}

impl Settings {
    /// Loads the layers in order and checks the result.
    pub fn load(extra_file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = extra_file {
            if !path.is_file() {
                bail!(
                    "configuration file {} not found (given with --config)",
                    path.display()
                );
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        builder = builder
            .add_source(
                Environment::with_prefix("MLA")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .set_override_option("database.url", std::env::var("DATABASE_URL").ok())?;
        warn_single_underscores(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()));
        let raw: raw::Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| explained(e, extra_file))?;
        Settings::check(raw)
    }

    /// The defaults as written, for tests that adjust a few keys before
    /// checking them.
    pub fn raw_defaults() -> raw::Settings {
        Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize)
            .expect("config/default.toml is valid")
    }

    /// The defaults alone, checked.
    pub fn defaults() -> Settings {
        Settings::check(Settings::raw_defaults()).expect("config/default.toml is valid")
    }

    /// Checks every value and parses it into its type; an error names the key.
    pub fn check(raw: raw::Settings) -> anyhow::Result<Settings> {
        let settings = Settings {
            server: check_server(raw.server)?,
            auth: check_auth(raw.auth)?,
            web: check_web(raw.web)?,
            database: check_database(raw.database)?,
            alerts: check_alerts(raw.alerts)?,
            mail: check_mail(raw.mail)?,
            stats: check_stats(raw.stats)?,
            import: check_import(raw.import)?,
            office: OfficeSettings {
                timezone: check_timezone(&raw.office.timezone)?,
            },
            clock: match raw.clock.pinned {
                Some(at) => Clock::Pinned(at),
                None => Clock::System,
            },
        };
        Ok(settings)
    }
}

/// `invalid configuration: KEY …`, the one shape of every message here.
macro_rules! invalid {
    ($($arg:tt)*) => {
        anyhow::anyhow!("invalid configuration: {}", format!($($arg)*))
    };
}

fn in_range<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> anyhow::Result<T> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid!(
            "{key} must be between {} and {}",
            range.start(),
            range.end()
        ))
    }
}

fn check_web(raw: raw::Web) -> anyhow::Result<WebSettings> {
    use std::time::Duration;
    let idle = in_range(
        "web.session_idle_seconds",
        raw.session_idle_seconds,
        1..=86_400,
    )?;
    let absolute = in_range(
        "web.session_absolute_seconds",
        raw.session_absolute_seconds,
        1..=30 * 86_400,
    )?;
    if absolute < idle {
        bail!(invalid!(
            "web.session_absolute_seconds must not be less than web.session_idle_seconds"
        ));
    }
    let invitation = in_range("web.invitation_hours", raw.invitation_hours, 1..=30 * 24)?;
    Ok(WebSettings {
        session_idle: Duration::from_secs(idle),
        session_absolute: Duration::from_secs(absolute),
        invitation_valid: Duration::from_secs(invitation * 3600),
    })
}

fn check_server(raw: raw::Server) -> anyhow::Result<ServerSettings> {
    let bind = raw.bind.parse().map_err(|_| {
        invalid!(
            "server.bind `{}` is not an address:port such as 127.0.0.1:8080",
            raw.bind
        )
    })?;
    if raw.body_limit_bytes < 1024 {
        bail!(invalid!("server.body_limit_bytes must be at least 1024"));
    }
    if let Some(bad) = raw.cors_allowed_origins.iter().find(|o| !is_origin(o)) {
        bail!(invalid!(
            "server.cors_allowed_origins: `{bad}` is not an origin such as \
             https://cases.example.org (scheme and host, optional port, no path, no wildcard)"
        ));
    }
    if raw.keep_alive_seconds > 3600 {
        bail!(invalid!("server.keep_alive_seconds must be at most 3600"));
    }
    let public_url = raw.public_url.trim_end_matches('/').to_string();
    let valid_url = ["http://", "https://"].iter().any(|scheme| {
        public_url
            .strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
    }) && !public_url.contains(['?', '#', ' ']);
    if !valid_url {
        bail!(invalid!(
            "server.public_url `{}` is not a URL such as https://cases.example.org \
             (http or https, a host, optionally a port and a path)",
            raw.public_url
        ));
    }
    Ok(ServerSettings {
        public_url,
        bind,
        body_limit_bytes: raw.body_limit_bytes,
        workers: raw.workers,
        header_timeout_seconds: in_range(
            "server.header_timeout_seconds",
            raw.header_timeout_seconds,
            1..=3600,
        )?,
        request_timeout_seconds: in_range(
            "server.request_timeout_seconds",
            raw.request_timeout_seconds,
            1..=3600,
        )?,
        keep_alive_seconds: raw.keep_alive_seconds,
        cors_allowed_origins: raw.cors_allowed_origins,
        trusted_proxies: raw.trusted_proxies,
    })
}

fn check_auth(raw: raw::Auth) -> anyhow::Result<AuthSettings> {
    if raw.cache_seconds > 300 {
        bail!(invalid!("auth.cache_seconds must be at most 300"));
    }
    Ok(AuthSettings {
        cache_seconds: raw.cache_seconds,
        max_failed_attempts: in_range(
            "auth.max_failed_attempts",
            raw.max_failed_attempts,
            1..=100_000,
        )?,
        failed_attempts_window_seconds: in_range(
            "auth.failed_attempts_window_seconds",
            raw.failed_attempts_window_seconds,
            1..=86_400,
        )?,
    })
}

fn check_database(raw: raw::Database) -> anyhow::Result<DatabaseSettings> {
    if raw.url.trim().is_empty() {
        bail!(invalid!("database.url must not be empty"));
    }
    if raw.statement_timeout_seconds > 86_400 {
        bail!(invalid!(
            "database.statement_timeout_seconds must be at most 86400"
        ));
    }
    Ok(DatabaseSettings {
        url: SecretUrl::new(raw.url),
        pool_size: in_range("database.pool_size", raw.pool_size, 1..=200)?,
        timeout_seconds: in_range("database.timeout_seconds", raw.timeout_seconds, 1..=600)?,
        connect_timeout_seconds: in_range(
            "database.connect_timeout_seconds",
            raw.connect_timeout_seconds,
            1..=600,
        )?,
        statement_timeout_seconds: raw.statement_timeout_seconds,
    })
}

fn check_timezone(text: &str) -> anyhow::Result<chrono_tz::Tz> {
    text.parse().map_err(|_| {
        invalid!("office.timezone `{text}` is not an IANA time zone such as Europe/Paris")
    })
}

fn check_alerts(raw: raw::Alerts) -> anyhow::Result<AlertSettings> {
    let rules = RuleSet::from_specs(&raw.rules, &raw.lists).map_err(|e| invalid!("{e}"))?;
    if raw.timezone.is_some() {
        bail!(invalid!(
            "alerts.timezone is now office.timezone (one time zone for the register, \
             the alerts and the statistics); move the setting there"
        ));
    }
    let schedule = |key: &str, text: &str| {
        text.parse::<cron::Schedule>().map_err(|e| {
            invalid!(
                "alerts.{key} `{text}` is not a cron expression with seconds \
                 (sec min hour day month weekday, e.g. \"0 0 8 * * Mon-Fri\"): {e}"
            )
        })
    };
    let emergency_schedule = schedule("emergency_schedule", &raw.emergency_schedule)?;
    let schedule = schedule("schedule", &raw.schedule)?;
    for (name, addresses) in &raw.lists {
        if let Some(bad) = addresses
            .iter()
            .find(|a| !validator::ValidateEmail::validate_email(a))
        {
            bail!(invalid!(
                "alerts.lists.{name}: `{bad}` is not an email address"
            ));
        }
    }
    if raw.base_url.is_some() {
        bail!(invalid!(
            "alerts.base_url is replaced by server.public_url, the address of the pages \
             the emails link to: move its value there"
        ));
    }
    Ok(AlertSettings {
        enabled: raw.enabled,
        schedule,
        emergency_schedule,
        delivery_interval_seconds: in_range(
            "alerts.delivery_interval_seconds",
            raw.delivery_interval_seconds,
            1..=86_400,
        )?,
        retry_base_seconds: in_range(
            "alerts.retry_base_seconds",
            raw.retry_base_seconds,
            1..=86_400,
        )?,
        max_attempts: in_range("alerts.max_attempts", raw.max_attempts, 1..=30)?,
        run_lease_seconds: in_range(
            "alerts.run_lease_seconds",
            raw.run_lease_seconds,
            1..=86_400,
        )?,
        lists: raw.lists,
        rules,
    })
}

fn check_mail(raw: raw::Mail) -> anyhow::Result<MailSettings> {
    let language = match raw.language.as_str() {
        "en" => Language::En,
        "fr" => Language::Fr,
        _ => bail!(invalid!("mail.language must be en or fr")),
    };
    let scheme_ok = ["smtp://", "smtps://", "file://"]
        .iter()
        .any(|s| raw.url.starts_with(s));
    if !scheme_ok {
        bail!(invalid!(
            "mail.url must start with smtp://, smtps:// or file://"
        ));
    }
    let from = raw.from.parse().map_err(|_| {
        invalid!(
            "mail.from `{}` is not an address such as \"Name <a@b.org>\"",
            raw.from
        )
    })?;
    Ok(MailSettings {
        url: SecretUrl::new(raw.url),
        from,
        language,
    })
}

fn check_import(raw: raw::Import) -> anyhow::Result<ImportSettings> {
    const MB: u64 = 1024 * 1024;
    Ok(ImportSettings {
        max_file_bytes: in_range("import.max_file_mb", raw.max_file_mb, 1..=4096)? * MB,
        max_unpacked_bytes: in_range("import.max_unpacked_mb", raw.max_unpacked_mb, 1..=16384)?
            * MB,
        max_rows: in_range("import.max_rows", raw.max_rows, 1..=10_000_000)? as usize,
    })
}

fn check_stats(raw: raw::Stats) -> anyhow::Result<StatsSettings> {
    Ok(StatsSettings {
        suppression_threshold: in_range(
            "stats.suppression_threshold",
            raw.suppression_threshold,
            2..=1000,
        )?,
        pdf_browser: (!raw.pdf_browser.trim().is_empty())
            .then(|| std::path::PathBuf::from(raw.pdf_browser.trim())),
    })
}

/// `http(s)://host[:port]`, as a browser sends it in `Origin`.
fn is_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LegalBasis;
    use crate::domain::alert_rules::Trigger;

    fn error_of(adjust: impl FnOnce(&mut raw::Settings)) -> String {
        let mut raw = Settings::raw_defaults();
        adjust(&mut raw);
        Settings::check(raw).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid() {
        let s = Settings::defaults();
        assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.office.timezone, chrono_tz::Europe::Paris);
        assert_eq!(s.clock, Clock::System);
    }

    #[test]
    fn the_shipped_rules_are_valid() {
        let set = Settings::defaults().alerts.rules;
        assert!(set.rules.len() >= 10, "{}", set.rules.len());
        assert!(
            set.rules
                .iter()
                .any(|r| r.legal_bases == [LegalBasis::EioDirective])
        );
        assert!(
            set.rules
                .iter()
                .any(|r| matches!(r.trigger, Trigger::Deadline { .. }))
        );
    }

    #[test]
    fn an_extra_file_replaces_the_rule_list() {
        let dir =
            std::env::temp_dir().join(format!("mla-config-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("extra.toml");
        std::fs::write(
            &file,
            "[[alerts.rules]]\nname = \"only\"\nstatuses = [\"sent\"]\nafter_days = 3\nlevel = 1\nnotify = [\"coordinator\"]\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file)).unwrap();
        let names: Vec<_> = s
            .alerts
            .rules
            .rules
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["only"]);
        assert_eq!(
            s.alerts.rules.rules[0].trigger,
            Trigger::Stalled {
                after_days: 3,
                from: crate::domain::alert_rules::Anchor::StatusSince
            }
        );
        assert!(
            s.alerts.rules.rules[0].legal_bases.is_empty(),
            "nothing merged from the defaults"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_alert_settings_name_their_key() {
        let e = error_of(|s| s.alerts.schedule = "every morning".into());
        assert!(e.contains("alerts.schedule"), "{e}");
        let e = error_of(|s| s.office.timezone = "Europe/Lutece".into());
        assert!(e.contains("office.timezone `Europe/Lutece`"), "{e}");
        let e = error_of(|s| s.alerts.timezone = Some("Europe/Paris".into()));
        assert!(e.contains("alerts.timezone is now office.timezone"), "{e}");
        let e = error_of(|s| s.alerts.emergency_schedule = "every 15 minutes".into());
        assert!(e.contains("alerts.emergency_schedule"), "{e}");
        let e = error_of(|s| s.alerts.rules[1].notify = vec!["list:nobody".into()]);
        assert!(
            e.contains("no-answer-escalation") && e.contains("nobody"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = error_of(|s| s.database.pool_size = 0);
        assert!(e.contains("database.pool_size"), "{e}");
        let e = error_of(|s| s.auth.max_failed_attempts = 0);
        assert!(e.contains("auth.max_failed_attempts"), "{e}");
        let e = error_of(|s| s.server.request_timeout_seconds = 0);
        assert!(e.contains("server.request_timeout_seconds"), "{e}");
        for bad in [
            "*",
            "https://a.example/",
            "a.example",
            "https://a.example/path",
        ] {
            let e = error_of(|s| s.server.cors_allowed_origins = vec![bad.into()]);
            assert!(e.contains("server.cors_allowed_origins"), "{bad}: {e}");
        }
        let mut raw = Settings::raw_defaults();
        raw.server.cors_allowed_origins = vec!["https://cases.example:8443".into()];
        Settings::check(raw).unwrap();
        let e = error_of(|s| s.server.bind = "localhost".into());
        assert!(e.contains("server.bind"), "{e}");
        let e = error_of(|s| s.mail.language = "de".into());
        assert!(e.contains("mail.language"), "{e}");
    }

    #[test]
    fn a_public_url_that_cannot_reach_the_listener_is_told() {
        let server = |url: &str| {
            let mut settings = Settings::defaults().server;
            settings.public_url = url.into();
            settings
        };
        let at = |a: &str| a.parse::<std::net::SocketAddr>().unwrap();
        let mut local = server("http://127.0.0.1:8080");
        assert_eq!(local.public_url_mismatch(at("127.0.0.1:8080")), None);
        let moved = local.public_url_mismatch(at("127.0.0.1:9000")).unwrap();
        assert!(moved.contains("listens on port 9000"), "{moved}");
        let open = local.public_url_mismatch(at("0.0.0.0:8080")).unwrap();
        assert!(open.contains("this machine only"), "{open}");
        local.bind = at("127.0.0.1:0");
        assert_eq!(local.public_url_mismatch(at("127.0.0.1:9000")), None);
        assert!(
            server("http://localhost:8080")
                .public_url_mismatch(at("[::1]:8081"))
                .is_some()
        );
        // A name is taken on trust: a proxy may stand in front.
        let named = server("https://mla.example.org");
        assert_eq!(named.public_url_mismatch(at("0.0.0.0:8080")), None);
        let ip = server("http://10.0.0.5");
        assert!(ip.public_url_mismatch(at("10.0.0.5:8080")).is_some());
        assert_eq!(ip.public_url_mismatch(at("10.0.0.6:8080")), None);
    }

    #[test]
    fn the_public_url_and_session_limits_are_checked() {
        for bad in [
            "cases.example.org",
            "ftp://x",
            "https://",
            "https:///path",
            "https://x?a=1",
        ] {
            let e = error_of(|s| s.server.public_url = bad.into());
            assert!(e.contains("server.public_url"), "{bad}: {e}");
        }
        let mut raw = Settings::raw_defaults();
        raw.server.public_url = "https://cases.example.org/mla/".into();
        let s = Settings::check(raw).unwrap();
        assert_eq!(s.server.public_url, "https://cases.example.org/mla");
        assert!(s.server.is_https());
        assert!(!Settings::defaults().server.is_https());
        let e = error_of(|s| s.alerts.base_url = Some("http://x".into()));
        assert!(e.contains("replaced by server.public_url"), "{e}");
        let e = error_of(|s| s.web.session_idle_seconds = 0);
        assert!(e.contains("web.session_idle_seconds"), "{e}");
        let e = error_of(|s| {
            s.web.session_idle_seconds = 3600;
            s.web.session_absolute_seconds = 600;
        });
        assert!(e.contains("web.session_absolute_seconds"), "{e}");
    }

    #[test]
    fn passwords_in_urls_never_show() {
        let url = SecretUrl::new("postgres://mla:s3cret@db.example:5432/mla?sslmode=require");
        assert_eq!(
            url.to_string(),
            "postgres://mla:***@db.example:5432/mla?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(
            url.expose(),
            "postgres://mla:s3cret@db.example:5432/mla?sslmode=require"
        );
        for plain in [
            "sqlite://data/mla-tracker.db",
            "postgres://mla@db/mla",
            "smtp://relay:25",
        ] {
            assert_eq!(SecretUrl::new(plain).to_string(), plain);
        }
        let mut raw = Settings::raw_defaults();
        raw.mail.url = "smtp://alerts:hunter2@mail.example:587?tls=required".into();
        raw.database.url = "postgres://mla:s3cret@db/mla".into();
        let printed = format!("{raw:?} {:?}", Settings::check(raw.clone()).unwrap());
        assert!(
            !printed.contains("hunter2") && !printed.contains("s3cret"),
            "{printed}"
        );
    }
}
