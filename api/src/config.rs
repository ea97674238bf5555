//! The server's settings, read once from the environment at start-up; handlers never read the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server can be told, with the defaults that let it run with nothing set.
#[derive(Debug, Clone)]
pub struct Config {
    /// `OMI_BIND`, default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `OMI_DATA_DIR`, default `./data`: the SQLite file and the local signing secret.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: a `postgres://` URL selects PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
    /// `OMI_DB_MAX_CONNECTIONS`, default 16.
    pub db_max_connections: u32,
    /// `OMI_AUTH_SECRET`: the secret for local tokens; created in the data directory when unset.
    pub auth_secret: Option<String>,
    /// `FIREBASE_PROJECT_ID`: accept Firebase ID tokens of this project.
    pub firebase_project_id: Option<String>,
    /// `FIREBASE_KEYS_URL`: where Firebase's signing keys are published (JWKS or x509 map); Google's by default.
    pub firebase_keys_url: Option<String>,
    /// `ADMIN_KEY`: enables `Bearer <ADMIN_KEY><uid>` impersonation.
    pub admin_key: Option<String>,
    /// `OMI_MAX_BODY_BYTES`, default 2 MiB; larger bodies get 413.
    pub max_body_bytes: usize,
    /// `OMI_READ_YOUR_WRITES_TIMEOUT_MS`, default 10 000: how long a write waits for the read models.
    pub read_your_writes_timeout: Duration,
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the settings through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            bind: parse(
                &lookup,
                "OMI_BIND",
                "127.0.0.1:8080".parse().expect("valid default"),
            )?,
            data_dir: lookup("OMI_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data")),
            database_url: lookup("DATABASE_URL"),
            db_max_connections: parse(&lookup, "OMI_DB_MAX_CONNECTIONS", 16)?,
            auth_secret: lookup("OMI_AUTH_SECRET"),
            firebase_project_id: lookup("FIREBASE_PROJECT_ID"),
            firebase_keys_url: lookup("FIREBASE_KEYS_URL"),
            admin_key: lookup("ADMIN_KEY"),
            max_body_bytes: parse(&lookup, "OMI_MAX_BODY_BYTES", 2 * 1024 * 1024)?,
            read_your_writes_timeout: Duration::from_millis(parse(
                &lookup,
                "OMI_READ_YOUR_WRITES_TIMEOUT_MS",
                10_000,
            )?),
        })
    }
}

fn parse<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match lookup(name) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: e.to_string(),
            value,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn runs_with_nothing_set() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert!(config.database_url.is_none());
    }

    #[test]
    fn a_bad_number_names_the_setting() {
        let env = HashMap::from([("OMI_DB_MAX_CONNECTIONS", "many")]);
        let error = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(
            error.to_string().contains("OMI_DB_MAX_CONNECTIONS"),
            "{error}"
        );
    }
}
