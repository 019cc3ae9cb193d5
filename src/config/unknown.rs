//! Explaining a key the settings do not have in the words of the layer that
//! set it: the `MLA__…` variable, or the key in the `--config` file, with
//! the keys its section has and the nearest one.

use std::path::Path;

use config::ConfigError;

/// The prefix of the environment variables that set keys.
const ENV_PREFIX: &str = "MLA__";

/// A loading error in the terms of the layer that caused it: a key that is
/// not a setting is named as the environment variable or the file that set
/// it, with the keys its section has.
pub fn explained(e: ConfigError, file: Option<&Path>) -> anyhow::Error {
    let env: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .collect();
    match unknown_key(&e) {
        Some(unknown) => {
            anyhow::anyhow!("invalid configuration: {}", unknown.explained(&env, file))
        }
        None => anyhow::Error::new(e).context("invalid configuration"),
    }
}

/// A key that the settings do not have: serde's `unknown field` error, as
/// the configuration crate reports it (`… for key `section``).
#[derive(Debug, PartialEq)]
struct UnknownKey {
    /// The path to the table it was found in (empty at the top).
    parent: Vec<String>,
    field: String,
    /// The keys that table has.
    expected: Vec<String>,
}

fn unknown_key(e: &ConfigError) -> Option<UnknownKey> {
    let (message, key) = match e {
        ConfigError::At { error, key, .. } => match error.as_ref() {
            ConfigError::Message(m) => (m, key.as_deref()),
            _ => return None,
        },
        ConfigError::Message(m) => (m, None),
        _ => return None,
    };
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    Some(UnknownKey {
        parent: key
            .map(|k| k.split('.').map(str::to_string).collect())
            .unwrap_or_default(),
        field: field.to_string(),
        // The words between backquotes: "expected one of `a`, `b`".
        expected: rest
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect(),
    })
}

impl UnknownKey {
    /// `MLA__SERVER__BINDD is not a setting (server has: bind, …); did you
    /// mean MLA__SERVER__BIND?`, naming the variable among `env` that set it,
    /// else the key in `file`.
    fn explained(&self, env: &[String], file: Option<&Path>) -> String {
        let path: Vec<&str> = self
            .parent
            .iter()
            .map(String::as_str)
            .chain([self.field.as_str()])
            .collect();
        let wanted = format!("{}{}", ENV_PREFIX, path.join("__")).to_lowercase();
        // At the top, any variable under the unknown section.
        let variable = env.iter().find(|name| {
            let name = name.to_lowercase();
            name == wanted || (self.parent.is_empty() && name.starts_with(&format!("{wanted}__")))
        });
        let has = match self.parent.is_empty() {
            true => format!("the sections are: {}", self.expected.join(", ")),
            false => format!(
                "{} has: {}",
                self.parent.join("."),
                self.expected.join(", ")
            ),
        };
        let closest = self
            .expected
            .iter()
            .filter(|e| strsim::levenshtein(e, &self.field.to_lowercase()) <= 2)
            .min_by_key(|e| strsim::levenshtein(e, &self.field.to_lowercase()));
        match variable {
            Some(variable) => {
                let mut out = format!("{variable} is not a setting ({has})");
                if let Some(closest) = closest {
                    // The variable as written, with the unknown part replaced.
                    let at =
                        ENV_PREFIX.len() + self.parent.iter().map(|p| p.len() + 2).sum::<usize>();
                    let end = (at + self.field.len()).min(variable.len());
                    out.push_str(&format!(
                        "; did you mean {}{}{}?",
                        &variable[..at],
                        closest.to_uppercase(),
                        &variable[end..]
                    ));
                }
                out
            }
            None => {
                let key = path.join(".");
                let mut out = match file {
                    Some(file) => format!("`{key}` in {} is not a setting ({has})", file.display()),
                    None => format!("`{key}` is not a setting ({has})"),
                };
                if let Some(closest) = closest {
                    let parent = self.parent.join(".");
                    let suggestion = match parent.is_empty() {
                        true => closest.clone(),
                        false => format!("{parent}.{closest}"),
                    };
                    out.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                out
            }
        }
    }
}

/// `MLA_SERVER_BIND` (single underscores) is not read at all: warns, naming
/// the variable that would be, when the word after `MLA_` is a section.
/// Not an error: other programs' variables may start with `MLA_`.
pub fn warn_single_underscores(env: impl Iterator<Item = String>) {
    for name in env {
        if let Some(hint) = single_underscore_hint(&name) {
            log::warn!("{hint}");
        }
    }
}

fn single_underscore_hint(name: &str) -> Option<String> {
    const SECTIONS: [&str; 7] = [
        "server", "auth", "database", "alerts", "mail", "stats", "clock",
    ];
    let lower = name.to_lowercase();
    let rest = lower.strip_prefix("mla_")?;
    if rest.starts_with('_') {
        return None;
    }
    let section = SECTIONS
        .iter()
        .find(|s| rest.strip_prefix(*s).is_some_and(|r| r.starts_with('_')))?;
    let key = &rest[section.len() + 1..];
    Some(format!(
        "{name} is not read: settings are set with double underscores, MLA__SECTION__KEY \
         (here {ENV_PREFIX}{}__{})",
        section.to_uppercase(),
        key.to_uppercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use config::{Config, File, FileFormat};

    const DEFAULTS: &str = include_str!("../../config/default.toml");

    fn unknown_in(layer: &str, set: impl FnOnce(&Path)) -> UnknownKey {
        let dir =
            std::env::temp_dir().join(format!("mla-config-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("extra.toml");
        set(&file);
        let e = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from(file.as_path()).format(FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize::<super::super::raw::Settings>)
            .unwrap_err();
        std::fs::remove_dir_all(dir).unwrap();
        unknown_key(&e).unwrap_or_else(|| panic!("{layer}: not read as an unknown key: {e}"))
    }

    #[test]
    fn an_unknown_key_is_named_as_the_variable_or_the_file_that_set_it() {
        let unknown = unknown_in("server", |f| {
            std::fs::write(f, "[server]\nbindd = \"x\"\n").unwrap()
        });
        assert_eq!(unknown.parent, ["server"]);
        assert_eq!(unknown.field, "bindd");
        assert_eq!(unknown.expected[..2], ["bind", "body_limit_bytes"]);
        let env = ["PATH".to_string(), "MLA__SERVER__BINDD".to_string()];
        assert_eq!(
            unknown.explained(&env, None),
            "MLA__SERVER__BINDD is not a setting (server has: bind, body_limit_bytes, workers, \
             header_timeout_seconds, request_timeout_seconds, keep_alive_seconds, \
             cors_allowed_origins, trusted_proxies, public_url); did you mean MLA__SERVER__BIND?"
        );
        // Written in lower case, the variable is still found, as written.
        let env = ["mla__server__bindd".to_string()];
        assert!(
            unknown
                .explained(&env, None)
                .starts_with("mla__server__bindd is not a setting"),
            "{}",
            unknown.explained(&env, None)
        );
        // Not in the environment: the file's key.
        let said = unknown.explained(&[], Some(Path::new("extra.toml")));
        assert!(
            said.starts_with("`server.bindd` in extra.toml is not a setting (server has: bind, ")
                && said.ends_with("; did you mean `server.bind`?"),
            "{said}"
        );

        let unknown = unknown_in("top", |f| {
            std::fs::write(f, "[serverr]\nbind = \"x\"\n").unwrap()
        });
        let env = ["MLA__SERVERR__BIND".to_string()];
        assert_eq!(
            unknown.explained(&env, None),
            "MLA__SERVERR__BIND is not a setting (the sections are: server, auth, web, database, \
             alerts, mail, stats, import, office, clock); did you mean MLA__SERVER__BIND?"
        );
        let unknown = unknown_in("far", |f| {
            std::fs::write(f, "[server]\ncolour = \"blue\"\n").unwrap()
        });
        let said = unknown.explained(&["MLA__SERVER__COLOUR".to_string()], None);
        assert!(
            said.starts_with("MLA__SERVER__COLOUR is not a setting (server has: bind"),
            "{said}"
        );
        assert!(!said.contains("did you mean"), "{said}");
    }

    #[test]
    fn single_underscores_are_pointed_out() {
        assert_eq!(
            single_underscore_hint("MLA_DATABASE_URL").unwrap(),
            "MLA_DATABASE_URL is not read: settings are set with double underscores, \
             MLA__SECTION__KEY (here MLA__DATABASE__URL)"
        );
        assert!(
            single_underscore_hint("MLA_SERVER_BODY_LIMIT_BYTES")
                .unwrap()
                .ends_with("(here MLA__SERVER__BODY_LIMIT_BYTES)")
        );
        for other in [
            "MLA__DATABASE__URL",
            "MLA_TEST_NOW",
            "MLADATABASE_URL",
            "PATH",
        ] {
            assert_eq!(single_underscore_hint(other), None, "{other}");
        }
    }
}
