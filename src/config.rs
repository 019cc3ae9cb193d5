//! Settings and their layered loading: the built-in `config/default.toml`,
//! then `--config FILE`, then `MLA__SECTION__KEY` environment variables (and
//! `DATABASE_URL`). Everything is checked here, at start-up, so a bad value
//! stops the program with the key's name instead of failing at 3 a.m.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, bail};
use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub auth: AuthSettings,
    pub database: DatabaseSettings,
    pub alerts: AlertSettings,
    pub mail: MailSettings,
    pub stats: StatsSettings,
    #[serde(default)]
    pub clock: ClockSettings,
}

/// `[clock]`: where "now" comes from (see [`crate::domain::Clock`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    /// Pins the clock to this instant (RFC 3339), for demos and tests: every
    /// "today" the service derives is then the same on any calendar day.
    #[serde(default)]
    pub pinned: Option<chrono::DateTime<chrono::Utc>>,
}

/// `[stats]`: the published statistics.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsSettings {
    /// Counts from 1 to this − 1 are hidden in the published view, and so
    /// are figures built on fewer requests.
    pub suppression_threshold: u64,
}

/// `[mail]`: where and how alert emails are sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub url: String,
    pub from: String,
    pub language: String,
}

/// `[alerts]`: see config/default.toml; the rules are checked into
/// [`crate::alerts::rules::RuleSet`] at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    pub enabled: bool,
    pub schedule: String,
    pub timezone: String,
    pub base_url: String,
    pub delivery_interval_seconds: u64,
    pub retry_base_seconds: u64,
    pub max_attempts: u32,
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub rules: Vec<RuleSettings>,
}

/// One `[[alerts.rules]]` entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    pub name: String,
    #[serde(default)]
    pub statuses: Vec<String>,
    #[serde(default)]
    pub after_days: Option<u32>,
    #[serde(default)]
    pub days_before_needed_by: Option<u32>,
    pub level: u8,
    pub notify: Vec<String>,
    #[serde(default)]
    pub legal_bases: Vec<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub priorities: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub cache_seconds: u64,
    /// More failed authentications than this from one client address within
    /// `failed_attempts_window_seconds` and the address gets 429 until the
    /// window ends (docs/SECURITY.md, "Brute force").
    pub max_failed_attempts: u32,
    pub failed_attempts_window_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit_bytes: usize,
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
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub timeout_seconds: u64,
    /// PostgreSQL: how long opening a connection may take (libpq's
    /// `connect_timeout`), so an unreachable server costs a bounded wait.
    pub connect_timeout_seconds: u64,
    /// PostgreSQL: the longest a statement may run (0: no limit).
    pub statement_timeout_seconds: u64,
}

impl Settings {
    /// Loads the layers in order and validates the result.
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
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    /// The defaults alone, for tests that then adjust a few keys.
    pub fn defaults() -> Settings {
        let settings: Settings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize)
            .expect("config/default.toml is valid");
        settings
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.bind_addr()?;
        if self.server.body_limit_bytes < 1024 {
            bail!("invalid configuration: server.body_limit_bytes must be at least 1024");
        }
        if !(2..=1000).contains(&self.stats.suppression_threshold) {
            bail!("invalid configuration: stats.suppression_threshold must be from 2 to 1000");
        }
        if self.auth.cache_seconds > 300 {
            bail!("invalid configuration: auth.cache_seconds must be at most 300");
        }
        self.validate_security()?;
        if self.database.url.trim().is_empty() {
            bail!("invalid configuration: database.url must not be empty");
        }
        self.validate_alerts()?;
        self.validate_mail()?;
        if !(1..=200).contains(&self.database.pool_size) {
            bail!("invalid configuration: database.pool_size must be between 1 and 200");
        }
        if !(1..=600).contains(&self.database.timeout_seconds) {
            bail!("invalid configuration: database.timeout_seconds must be between 1 and 600");
        }
        if !(1..=600).contains(&self.database.connect_timeout_seconds) {
            bail!(
                "invalid configuration: database.connect_timeout_seconds must be between 1 and 600"
            );
        }
        if self.database.statement_timeout_seconds > 86_400 {
            bail!(
                "invalid configuration: database.statement_timeout_seconds must be at most 86400"
            );
        }
        Ok(())
    }

    /// The throttle, the timeouts and the CORS origins.
    fn validate_security(&self) -> anyhow::Result<()> {
        let (auth, server) = (&self.auth, &self.server);
        if !(1..=100_000).contains(&auth.max_failed_attempts) {
            bail!("invalid configuration: auth.max_failed_attempts must be between 1 and 100000");
        }
        if !(1..=86_400).contains(&auth.failed_attempts_window_seconds) {
            bail!(
                "invalid configuration: auth.failed_attempts_window_seconds must be between 1 and 86400"
            );
        }
        for (key, value) in [
            ("header_timeout_seconds", server.header_timeout_seconds),
            ("request_timeout_seconds", server.request_timeout_seconds),
        ] {
            if !(1..=3600).contains(&value) {
                bail!("invalid configuration: server.{key} must be between 1 and 3600");
            }
        }
        if server.keep_alive_seconds > 3600 {
            bail!("invalid configuration: server.keep_alive_seconds must be at most 3600");
        }
        if let Some(bad) = server.cors_allowed_origins.iter().find(|o| !is_origin(o)) {
            bail!(
                "invalid configuration: server.cors_allowed_origins: `{bad}` is not an origin \
                 such as https://cases.example.org (scheme and host, optional port, no path, \
                 no wildcard)"
            );
        }
        Ok(())
    }

    fn validate_alerts(&self) -> anyhow::Result<()> {
        let alerts = &self.alerts;
        crate::alerts::rules::RuleSet::from_settings(alerts)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        alerts.schedule.parse::<cron::Schedule>().map_err(|e| {
            anyhow::anyhow!(
                "invalid configuration: alerts.schedule `{}` is not a cron expression with seconds \
                 (sec min hour day month weekday, e.g. \"0 0 8 * * Mon-Fri\"): {e}",
                alerts.schedule
            )
        })?;
        self.alerts_timezone()?;
        for (name, addresses) in &alerts.lists {
            if let Some(bad) = addresses
                .iter()
                .find(|a| !validator::ValidateEmail::validate_email(a))
            {
                bail!(
                    "invalid configuration: alerts.lists.{name}: `{bad}` is not an email address"
                );
            }
        }
        if !(alerts.base_url.starts_with("http://") || alerts.base_url.starts_with("https://")) {
            bail!("invalid configuration: alerts.base_url must start with http:// or https://");
        }
        if !(1..=86_400).contains(&alerts.delivery_interval_seconds) {
            bail!(
                "invalid configuration: alerts.delivery_interval_seconds must be between 1 and 86400"
            );
        }
        if !(1..=86_400).contains(&alerts.retry_base_seconds) {
            bail!("invalid configuration: alerts.retry_base_seconds must be between 1 and 86400");
        }
        if !(1..=30).contains(&alerts.max_attempts) {
            bail!("invalid configuration: alerts.max_attempts must be between 1 and 30");
        }
        Ok(())
    }

    fn validate_mail(&self) -> anyhow::Result<()> {
        let mail = &self.mail;
        if !["en", "fr"].contains(&mail.language.as_str()) {
            bail!("invalid configuration: mail.language must be en or fr");
        }
        let scheme_ok = ["smtp://", "smtps://", "file://"]
            .iter()
            .any(|s| mail.url.starts_with(s));
        if !scheme_ok {
            bail!("invalid configuration: mail.url must start with smtp://, smtps:// or file://");
        }
        if mail.from.parse::<lettre::message::Mailbox>().is_err() {
            bail!(
                "invalid configuration: mail.from `{}` is not an address such as \"Name <a@b.org>\"",
                mail.from
            );
        }
        Ok(())
    }

    /// The clock "today" is read from.
    pub fn clock(&self) -> crate::domain::Clock {
        match self.clock.pinned {
            Some(at) => crate::domain::Clock::Pinned(at),
            None => crate::domain::Clock::System,
        }
    }

    /// The zone "today" and the schedule are read in.
    pub fn alerts_timezone(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.alerts.timezone.parse().map_err(|_| {
            anyhow::anyhow!(
                "invalid configuration: alerts.timezone `{}` is not an IANA time zone such as Europe/Paris",
                self.alerts.timezone
            )
        })
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server.bind.parse().with_context(|| {
            format!(
                "invalid configuration: server.bind `{}` is not an address:port such as 127.0.0.1:8080",
                self.server.bind
            )
        })
    }
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

    #[test]
    fn defaults_are_valid() {
        let s = Settings::defaults();
        s.validate().unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
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
        let names: Vec<_> = s.alerts.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["only"]);
        assert_eq!(s.alerts.rules[0].after_days, Some(3));
        assert!(
            s.alerts.rules[0].legal_bases.is_empty(),
            "nothing merged from the defaults"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_alert_settings_name_their_key() {
        let mut s = Settings::defaults();
        s.alerts.schedule = "every morning".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("alerts.schedule")
        );
        let mut s = Settings::defaults();
        s.alerts.timezone = "Europe/Lutece".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("alerts.timezone")
        );
        let mut s = Settings::defaults();
        s.alerts.rules[1].notify = vec!["list:nobody".into()];
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("no-answer-escalation") && e.contains("nobody"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut s = Settings::defaults();
        s.database.pool_size = 0;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("database.pool_size")
        );
        let mut s = Settings::defaults();
        s.auth.max_failed_attempts = 0;
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("auth.max_failed_attempts"), "{e}");
        let mut s = Settings::defaults();
        s.server.request_timeout_seconds = 0;
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("server.request_timeout_seconds"), "{e}");
        for bad in [
            "*",
            "https://a.example/",
            "a.example",
            "https://a.example/path",
        ] {
            let mut s = Settings::defaults();
            s.server.cors_allowed_origins = vec![bad.into()];
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains("server.cors_allowed_origins"), "{bad}: {e}");
        }
        let mut s = Settings::defaults();
        s.server.cors_allowed_origins = vec!["https://cases.example:8443".into()];
        s.validate().unwrap();
        let mut s = Settings::defaults();
        s.server.bind = "localhost".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("server.bind")
        );
    }
}
