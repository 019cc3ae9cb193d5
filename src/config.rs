//! Settings and their layered loading: the built-in `config/default.toml`,
//! then `--config FILE`, then `MLA__SECTION__KEY` environment variables (and
//! `DATABASE_URL`). Everything is checked here, at start-up, so a bad value
//! stops the program with the key's name instead of failing at 3 a.m.

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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub cache_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub timeout_seconds: u64,
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
        if self.auth.cache_seconds > 300 {
            bail!("invalid configuration: auth.cache_seconds must be at most 300");
        }
        if self.database.url.trim().is_empty() {
            bail!("invalid configuration: database.url must not be empty");
        }
        if !(1..=200).contains(&self.database.pool_size) {
            bail!("invalid configuration: database.pool_size must be between 1 and 200");
        }
        if !(1..=600).contains(&self.database.timeout_seconds) {
            bail!("invalid configuration: database.timeout_seconds must be between 1 and 600");
        }
        Ok(())
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
        s.server.bind = "localhost".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("server.bind")
        );
    }
}
