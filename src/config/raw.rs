//! The settings as the layers write them, before they are checked: what
//! the configuration files and `MLA__…` variables deserialise into.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::secret::SecretUrl;
use crate::domain::alert_rules::RuleSpec;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: Server,
    pub auth: Auth,
    pub web: Web,
    pub database: Database,
    pub alerts: Alerts,
    pub mail: Mail,
    pub stats: Stats,
    pub import: Import,
    pub office: Office,
    #[serde(default)]
    pub clock: Clock,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    pub timezone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
    pub header_timeout_seconds: u64,
    pub request_timeout_seconds: u64,
    pub keep_alive_seconds: u64,
    pub cors_allowed_origins: Vec<String>,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub public_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Web {
    pub session_idle_seconds: u64,
    pub session_absolute_seconds: u64,
    pub invitation_hours: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub cache_seconds: u64,
    pub max_failed_attempts: u32,
    pub failed_attempts_window_seconds: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub url: String,
    pub pool_size: u32,
    pub timeout_seconds: u64,
    pub connect_timeout_seconds: u64,
    pub statement_timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    pub enabled: bool,
    pub schedule: String,
    pub emergency_schedule: String,
    /// Moved to `office.timezone`: named here only to say so.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Replaced by `server.public_url`; read only to say so.
    #[serde(default)]
    pub base_url: Option<String>,
    pub delivery_interval_seconds: u64,
    pub retry_base_seconds: u64,
    pub max_attempts: u32,
    pub run_lease_seconds: u64,
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    pub url: String,
    pub from: String,
    pub language: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub suppression_threshold: u64,
    pub pdf_browser: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    pub max_file_mb: u64,
    pub max_unpacked_mb: u64,
    pub max_rows: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// An RFC 3339 instant.
    #[serde(default)]
    pub pinned: Option<chrono::DateTime<chrono::Utc>>,
}

// By hand, so that a password in a URL never reaches a log.
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &SecretUrl::new(self.url.clone()))
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("url", &SecretUrl::new(self.url.clone()))
            .field("from", &self.from)
            .field("language", &self.language)
            .finish()
    }
}
