//! The server's settings, read once from the environment at start-up; handlers never read the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

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
    /// `OMI_WEBHOOK_ALLOW_PRIVATE=1`: lets requests made for apps (setup checks, webhooks) reach loopback and
    /// private addresses (tests, a receiver on the same machine); off by default.
    pub allow_private_outbound: bool,
    /// `OMI_MAX_BODY_BYTES`, default 2 MiB; larger bodies get 413.
    pub max_body_bytes: usize,
    /// `OMI_READ_YOUR_WRITES_TIMEOUT_MS`, default 10 000: how long a write waits for the read models.
    pub read_your_writes_timeout: Duration,
    /// `OMI_CHAT_CANDIDATES`, default 1 000 (at least 1): how many of the newest word matches chat's retrieval
    /// ranks.
    pub chat_candidates: u32,
    /// `OMI_MIN_CONVERSATION_TIMEOUT` (seconds), default 120: the shortest silence split `/v4/listen` allows.
    pub min_conversation_timeout: Duration,
    /// `OMI_LISTEN_INACTIVITY_SECS`, default 90: a listen session with no input for this long is closed.
    pub listen_inactivity: Duration,
    /// `OMI_HEADER_TIMEOUT_SECS`, default 10: a request's headers must arrive within this time of its first byte
    /// (of the connection's start, for its first request), else the connection is closed.
    pub header_timeout: Duration,
    /// `OMI_BODY_TIMEOUT_SECS`, default 60: a request's body must arrive within this time of its headers, else
    /// the answer is 408 and the connection is closed.
    pub body_timeout: Duration,
    /// `OMI_IDLE_TIMEOUT_SECS`, default 60: a keep-alive connection without a request for this long is closed.
    pub idle_timeout: Duration,
    /// `OMI_MAX_CONNECTIONS`, default 10 000: HTTP connections and WebSocket sessions open at once; a connection
    /// beyond it is answered 503 and closed.
    pub max_connections: usize,
    /// `OMI_SHUTDOWN_GRACE_SECS`, default 20: on SIGTERM or Ctrl-C, how long in-flight requests and WebSocket
    /// sessions may take to finish before everything still open is closed.
    pub shutdown_grace: Duration,
    /// `OMI_MAX_CHANGE_STREAMS`, default 2 000: change-feed event streams (`/v1/changes/stream` and the
    /// developer API's) open at once in this process; one more is answered 503.
    pub max_change_streams: usize,
    /// `OMI_CHANGES_KEEPALIVE_SECS`, default 15: a change-feed event stream with nothing to send for this long
    /// sends a comment, so that proxies and clients see it alive.
    pub changes_keepalive: Duration,
    /// `OMI_RATE_PER_KEY_PER_MINUTE`, default 100: requests one API key may make in a minute.
    pub rate_per_key_per_minute: i64,
    /// `OMI_RATE_PER_USER_PER_DAY`, default 10 000: requests through all of a user's keys in a day.
    pub rate_per_user_per_day: i64,
    /// `OMI_SEARCH_RATE_PER_HOUR`, default 60 (the reference's `conversations:search`): conversation searches one
    /// user may make through the app's route in an hour; 0 lifts the limit (benchmarks, a private server).
    pub search_rate_per_hour: i64,
    /// `OMI_CHAT_RATE_PER_HOUR`, default 120 (the reference's `chat:send_message`): chat messages one user may
    /// send in an hour; 0 lifts the limit.
    pub chat_rate_per_hour: i64,
    /// `OMI_CHAT_INITIAL_RATE_PER_HOUR`, default 60 (`chat:initial`): greetings one user may ask for in an hour;
    /// 0 lifts the limit.
    pub chat_initial_rate_per_hour: i64,
    /// The language model: `OMI_LLM_BASE_URL` (an OpenAI-compatible `/v1` URL) selects it; unset, the
    /// embedded extractive pipeline runs.
    pub llm: Option<RemoteService>,
    /// Semantic search: `OMI_EMBEDDINGS_BASE_URL` (an OpenAI-compatible `/v1` URL with `/embeddings`) selects it,
    /// with `OMI_EMBEDDINGS_API_KEY`, `OMI_EMBEDDINGS_MODEL` (default `text-embedding-3-small`) and
    /// `OMI_EMBEDDINGS_MIN_SIMILARITY` (default 0.3: the least cosine similarity a semantic match needs); unset,
    /// search is full-text only.
    pub embeddings: Option<EmbeddingsService>,
    /// Server speech-to-text for `/v4/listen`: `OMI_STT` = `deepgram` (`DEEPGRAM_API_KEY`, `DEEPGRAM_URL`) or
    /// `openai` (`OMI_STT_BASE_URL`, `OMI_STT_API_KEY`, `OMI_STT_MODEL`); unset, clients send their own
    /// transcripts (`custom_stt=enabled`).
    pub stt: Option<SttService>,
    /// `OMI_DAILY_SUMMARY_TICK_SECS`, default 60: how often the daily summary schedule looks for days to write.
    pub daily_summary_tick: Duration,
    /// `OMI_TEST_CLOCK_START` (RFC 3339), for tests: the clock of daily summaries (the schedule, `created_at`,
    /// the regeneration cooldown) starts at this instant and runs from there; unset, it is the system clock.
    pub clock_start: Option<DateTime<Utc>>,
    /// `OMI_ERASURE_TICK_SECS`, default 10: how often each process looks for account erasures to carry out
    /// (the process that takes the request starts at once).
    pub erasure_tick: Duration,
    /// `OMI_TEST_ERASURE_PAUSE_MS`, for tests: an erasure holds its transaction open this long before it
    /// commits, so a test can kill the server in the middle of it.
    pub erasure_test_pause: Option<Duration>,
    /// Push notifications: `OMI_FCM_SERVICE_ACCOUNT` (the path of a Firebase service account JSON file) selects
    /// Firebase Cloud Messaging, sent to `OMI_FCM_BASE_URL` (FCM's own by default); unset, notifications are
    /// recorded and readable, not pushed.
    pub push: Option<PushService>,
    /// `OMI_PUBLIC_URL`: the address clients and OAuth providers reach this server at (the callbacks' base);
    /// `http://<OMI_BIND>` by default.
    pub public_url: String,
    /// Google Calendar's OAuth client: `GOOGLE_CLIENT_ID` and `GOOGLE_CLIENT_SECRET` enable it;
    /// `GOOGLE_AUTH_URL` and `GOOGLE_TOKEN_URL` move its endpoints (Google's by default).
    pub google_calendar: Option<omi_services::oauth::OAuthProvider>,
    /// Outbound webhooks: retries, give-up time and whether private addresses may be reached.
    pub webhooks: WebhookSettings,
}

/// Firebase Cloud Messaging.
#[derive(Debug, Clone)]
pub struct PushService {
    pub service_account: PathBuf,
    pub base_url: String,
}

/// How webhook deliveries are retried (documented in the README's webhook section).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// `OMI_WEBHOOK_ALLOW_PRIVATE=1` lets deliveries reach loopback and private addresses (tests on one
    /// machine); unset, they are refused after resolution.
    pub allow_private: bool,
    /// `OMI_WEBHOOK_RETRY_SECS`, default `10,60,300,1800,3600`: the pause before each retry, the last one
    /// repeating; each is lengthened by up to a fifth at random (jitter).
    pub retry_schedule: Vec<Duration>,
    /// `OMI_WEBHOOK_GIVE_UP_SECS`, default 259200 (72 h): a delivery failing this long is abandoned, and its
    /// endpoint is turned off when nothing was delivered to it meanwhile.
    pub give_up_after: Duration,
}

/// An OpenAI-compatible service.
#[derive(Debug, Clone)]
pub struct RemoteService {
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
}

/// The embeddings server of semantic search.
#[derive(Debug, Clone)]
pub struct EmbeddingsService {
    pub remote: RemoteService,
    pub min_similarity: f64,
}

/// Which server speech-to-text to use.
#[derive(Debug, Clone)]
pub enum SttService {
    Deepgram { url: String, api_key: String },
    OpenAi(RemoteService),
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
            allow_private_outbound: lookup("OMI_WEBHOOK_ALLOW_PRIVATE")
                .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            max_body_bytes: parse(&lookup, "OMI_MAX_BODY_BYTES", 2 * 1024 * 1024)?,
            read_your_writes_timeout: Duration::from_millis(parse(
                &lookup,
                "OMI_READ_YOUR_WRITES_TIMEOUT_MS",
                10_000,
            )?),
            chat_candidates: parse(&lookup, "OMI_CHAT_CANDIDATES", 1_000u32)?.max(1),
            min_conversation_timeout: Duration::from_secs(parse(
                &lookup,
                "OMI_MIN_CONVERSATION_TIMEOUT",
                120,
            )?),
            listen_inactivity: Duration::from_secs(parse(
                &lookup,
                "OMI_LISTEN_INACTIVITY_SECS",
                90,
            )?),
            header_timeout: seconds(&lookup, "OMI_HEADER_TIMEOUT_SECS", 10.0)?,
            body_timeout: seconds(&lookup, "OMI_BODY_TIMEOUT_SECS", 60.0)?,
            idle_timeout: seconds(&lookup, "OMI_IDLE_TIMEOUT_SECS", 60.0)?,
            max_connections: parse(&lookup, "OMI_MAX_CONNECTIONS", 10_000)?,
            shutdown_grace: seconds(&lookup, "OMI_SHUTDOWN_GRACE_SECS", 20.0)?,
            max_change_streams: parse(&lookup, "OMI_MAX_CHANGE_STREAMS", 2_000)?,
            changes_keepalive: seconds(&lookup, "OMI_CHANGES_KEEPALIVE_SECS", 15.0)?,
            rate_per_key_per_minute: parse(&lookup, "OMI_RATE_PER_KEY_PER_MINUTE", 100)?,
            rate_per_user_per_day: parse(&lookup, "OMI_RATE_PER_USER_PER_DAY", 10_000)?,
            search_rate_per_hour: parse(&lookup, "OMI_SEARCH_RATE_PER_HOUR", 60)?,
            chat_rate_per_hour: parse(&lookup, "OMI_CHAT_RATE_PER_HOUR", 120)?,
            chat_initial_rate_per_hour: parse(&lookup, "OMI_CHAT_INITIAL_RATE_PER_HOUR", 60)?,
            llm: lookup("OMI_LLM_BASE_URL").map(|base_url| RemoteService {
                base_url,
                api_key: lookup("OMI_LLM_API_KEY"),
                model: lookup("OMI_LLM_MODEL").unwrap_or_else(|| "gpt-4o-mini".to_string()),
            }),
            embeddings: match lookup("OMI_EMBEDDINGS_BASE_URL") {
                None => None,
                Some(base_url) => Some(EmbeddingsService {
                    remote: RemoteService {
                        base_url,
                        api_key: lookup("OMI_EMBEDDINGS_API_KEY"),
                        model: lookup("OMI_EMBEDDINGS_MODEL")
                            .unwrap_or_else(|| "text-embedding-3-small".to_string()),
                    },
                    min_similarity: similarity(&lookup, "OMI_EMBEDDINGS_MIN_SIMILARITY", 0.3)?,
                }),
            },
            stt: stt_service(&lookup)?,
            daily_summary_tick: seconds(&lookup, "OMI_DAILY_SUMMARY_TICK_SECS", 60.0)?,
            clock_start: instant(&lookup, "OMI_TEST_CLOCK_START")?,
            erasure_tick: seconds(&lookup, "OMI_ERASURE_TICK_SECS", 10.0)?,
            erasure_test_pause: match parse(&lookup, "OMI_TEST_ERASURE_PAUSE_MS", 0u64)? {
                0 => None,
                millis => Some(Duration::from_millis(millis)),
            },
            public_url: lookup("OMI_PUBLIC_URL")
                .map(|url| url.trim_end_matches('/').to_string())
                .unwrap_or_else(|| {
                    let bind = lookup("OMI_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
                    format!("http://{bind}")
                }),
            google_calendar: match (lookup("GOOGLE_CLIENT_ID"), lookup("GOOGLE_CLIENT_SECRET")) {
                (Some(client_id), Some(client_secret)) => {
                    Some(omi_services::oauth::OAuthProvider {
                        client_id,
                        client_secret,
                        auth_url: lookup("GOOGLE_AUTH_URL")
                            .unwrap_or_else(|| omi_services::oauth::GOOGLE_AUTH_URL.into()),
                        token_url: lookup("GOOGLE_TOKEN_URL")
                            .unwrap_or_else(|| omi_services::oauth::GOOGLE_TOKEN_URL.into()),
                        scopes: omi_services::oauth::GOOGLE_CALENDAR_SCOPES.into(),
                    })
                }
                _ => None,
            },
            push: lookup("OMI_FCM_SERVICE_ACCOUNT").map(|path| PushService {
                service_account: PathBuf::from(path),
                base_url: lookup("OMI_FCM_BASE_URL")
                    .unwrap_or_else(|| omi_services::push::FCM_BASE_URL.to_string()),
            }),
            webhooks: WebhookSettings {
                allow_private: lookup("OMI_WEBHOOK_ALLOW_PRIVATE").as_deref() == Some("1"),
                retry_schedule: retry_schedule(&lookup)?,
                give_up_after: seconds(&lookup, "OMI_WEBHOOK_GIVE_UP_SECS", 259_200.0)?,
            },
        })
    }
}

fn stt_service(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SttService>, ConfigError> {
    match lookup("OMI_STT").as_deref() {
        None | Some("none") => Ok(None),
        Some("deepgram") => {
            let api_key = lookup("DEEPGRAM_API_KEY").ok_or_else(|| ConfigError {
                name: "DEEPGRAM_API_KEY",
                value: String::new(),
                reason: "required when OMI_STT=deepgram".into(),
            })?;
            let url =
                lookup("DEEPGRAM_URL").unwrap_or_else(|| "wss://api.deepgram.com".to_string());
            Ok(Some(SttService::Deepgram { url, api_key }))
        }
        Some("openai") => {
            let base_url = lookup("OMI_STT_BASE_URL").ok_or_else(|| ConfigError {
                name: "OMI_STT_BASE_URL",
                value: String::new(),
                reason: "required when OMI_STT=openai".into(),
            })?;
            Ok(Some(SttService::OpenAi(RemoteService {
                base_url,
                api_key: lookup("OMI_STT_API_KEY"),
                model: lookup("OMI_STT_MODEL").unwrap_or_else(|| "whisper-1".to_string()),
            })))
        }
        Some(other) => Err(ConfigError {
            name: "OMI_STT",
            value: other.to_string(),
            reason: "use deepgram, openai or none".into(),
        }),
    }
}

/// An RFC 3339 instant, if set.
fn instant(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, ConfigError> {
    lookup(name)
        .map(|value| {
            DateTime::parse_from_rfc3339(&value)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|e| ConfigError {
                    name,
                    reason: format!("not an RFC 3339 time: {e}"),
                    value,
                })
        })
        .transpose()
}

/// `OMI_WEBHOOK_RETRY_SECS`: positive seconds separated by commas.
fn retry_schedule(lookup: &impl Fn(&str) -> Option<String>) -> Result<Vec<Duration>, ConfigError> {
    const NAME: &str = "OMI_WEBHOOK_RETRY_SECS";
    let value = lookup(NAME).unwrap_or_else(|| "10,60,300,1800,3600".to_string());
    let invalid = || ConfigError {
        name: NAME,
        value: value.clone(),
        reason: "must be positive numbers of seconds separated by commas".into(),
    };
    value
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<f64>()
                .ok()
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .filter(|pause| !pause.is_zero())
                .ok_or_else(invalid)
        })
        .collect()
}

/// A duration in seconds (fractions allowed, e.g. `0.5`); it must be positive and finite.
fn seconds(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: f64,
) -> Result<Duration, ConfigError> {
    let value: f64 = parse(lookup, name, default)?;
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| ConfigError {
            name,
            value: value.to_string(),
            reason: "must be a positive number of seconds".into(),
        })
}

/// A cosine similarity setting: a number in -1..=1.
fn similarity(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    let value: f64 = parse(lookup, name, default)?;
    if !(-1.0..=1.0).contains(&value) {
        return Err(ConfigError {
            name,
            reason: "must be a number from -1 to 1".into(),
            value: value.to_string(),
        });
    }
    Ok(value)
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
    fn connection_bounds_have_defaults_and_take_fractions() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.header_timeout, Duration::from_secs(10));
        assert_eq!(config.max_connections, 10_000);
        let env = HashMap::from([("OMI_IDLE_TIMEOUT_SECS", "0.5")]);
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(config.idle_timeout, Duration::from_millis(500));
        for bad in ["0", "-1", "soon"] {
            let env = HashMap::from([("OMI_BODY_TIMEOUT_SECS", bad)]);
            let error = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
            assert!(
                error.to_string().contains("OMI_BODY_TIMEOUT_SECS"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_daily_summary_clock_is_the_system_one_unless_a_test_sets_its_start() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.daily_summary_tick, Duration::from_secs(60));
        assert!(config.clock_start.is_none());
        let env = HashMap::from([
            ("OMI_TEST_CLOCK_START", "2026-12-01T22:05:00Z"),
            ("OMI_DAILY_SUMMARY_TICK_SECS", "0.1"),
        ]);
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(config.daily_summary_tick, Duration::from_millis(100));
        assert_eq!(
            config.clock_start.map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-12-01T22:05:00+00:00")
        );
        let env = HashMap::from([("OMI_TEST_CLOCK_START", "tonight")]);
        let error = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(
            error.to_string().contains("OMI_TEST_CLOCK_START"),
            "{error}"
        );
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
