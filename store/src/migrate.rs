//! Applies the SQL files of `migrations/` in order, once each, recording them in `schema_migrations`.

use sqlx::Executor;

use crate::{Backend, Database, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event_log",
        sqlite: include_str!("../../migrations/sqlite/0001_event_log.sql"),
        postgres: include_str!("../../migrations/postgres/0001_event_log.sql"),
    },
    Migration::shared(
        2,
        "read_models",
        include_str!("../../migrations/shared/0002_read_models.sql"),
    ),
    Migration::shared(
        3,
        "conversations",
        include_str!("../../migrations/shared/0003_conversations.sql"),
    ),
    Migration::shared(
        4,
        "api_keys",
        include_str!("../../migrations/shared/0004_api_keys.sql"),
    ),
    Migration::shared(
        5,
        "memory_history_from_the_log",
        include_str!("../../migrations/shared/0005_memory_history_from_the_log.sql"),
    ),
    Migration::shared(
        6,
        "conversation_indexes_skip_unlinked",
        include_str!("../../migrations/shared/0006_conversation_indexes_skip_unlinked.sql"),
    ),
    Migration {
        version: 7,
        name: "log_writer_watermark",
        // SQLite serializes writers: the rowid order is commit order, and no reader waits for anything.
        sqlite: "SELECT 1",
        postgres: include_str!("../../migrations/postgres/0007_log_writer_watermark.sql"),
    },
    Migration::shared(
        8,
        "parked_events",
        include_str!("../../migrations/shared/0008_parked_events.sql"),
    ),
    Migration {
        version: 9,
        name: "read_stored_names",
        // SQLite's readers select the columns themselves.
        sqlite: "SELECT 1",
        postgres: include_str!("../../migrations/postgres/0009_read_stored_names.sql"),
    },
    Migration {
        version: 10,
        name: "user_log_in_commit_order",
        // SQLite's commit order is the position order, which `events_by_user` already follows.
        sqlite: "SELECT 1",
        postgres: include_str!("../../migrations/postgres/0010_user_log_in_commit_order.sql"),
    },
    Migration::shared(
        11,
        "statistics",
        include_str!("../../migrations/shared/0011_statistics.sql"),
    ),
    Migration::shared(
        12,
        "wrapped",
        include_str!("../../migrations/shared/0012_wrapped.sql"),
    ),
    Migration::shared(
        13,
        "trends",
        include_str!("../../migrations/shared/0013_trends.sql"),
    ),
    Migration::shared(
        14,
        "daily_summaries",
        include_str!("../../migrations/shared/0014_daily_summaries.sql"),
    ),
    Migration::shared(
        15,
        "users_and_people",
        include_str!("../../migrations/shared/0015_users_and_people.sql"),
    ),
    Migration::shared(
        16,
        "folders",
        include_str!("../../migrations/shared/0016_folders.sql"),
    ),
    Migration::shared(
        17,
        "goals",
        include_str!("../../migrations/shared/0017_goals.sql"),
    ),
    Migration::shared(
        18,
        "erasures",
        include_str!("../../migrations/shared/0018_erasures.sql"),
    ),
    Migration::shared(
        19,
        "statistics_from_entity_rows",
        include_str!("../../migrations/shared/0019_statistics_from_entity_rows.sql"),
    ),
    Migration {
        version: 20,
        name: "conversation_documents_lz4",
        // SQLite stores them as they are.
        sqlite: "SELECT 1",
        postgres: include_str!("../../migrations/postgres/0020_conversation_documents_lz4.sql"),
    },
    Migration {
        version: 21,
        name: "search",
        sqlite: include_str!("../../migrations/sqlite/0021_search.sql"),
        postgres: include_str!("../../migrations/postgres/0021_search.sql"),
    },
    Migration::shared(
        22,
        "chat_messages",
        include_str!("../../migrations/shared/0022_chat_messages.sql"),
    ),
    Migration::shared(
        23,
        "webhooks",
        include_str!("../../migrations/shared/0023_webhooks.sql"),
    ),
    Migration::shared(
        24,
        "apps",
        include_str!("../../migrations/shared/0024_apps.sql"),
    ),
    Migration::shared(
        25,
        "devices_and_notifications",
        include_str!("../../migrations/shared/0025_devices_and_notifications.sql"),
    ),
    Migration::shared(
        26,
        "integrations",
        include_str!("../../migrations/shared/0026_integrations.sql"),
    ),
    Migration::shared(
        27,
        "app_webhook_deliveries",
        include_str!("../../migrations/shared/0027_app_webhook_deliveries.sql"),
    ),
    Migration::shared(
        28,
        "search_vectors",
        include_str!("../../migrations/shared/0028_search_vectors.sql"),
    ),
    Migration {
        version: 29,
        name: "reactions_read_their_types",
        // SQLite reads in rowid order and filters the types as it goes.
        sqlite: "SELECT 1",
        postgres: include_str!("../../migrations/postgres/0029_reactions_read_their_types.sql"),
    },
    Migration {
        version: 30,
        name: "audio_spool",
        sqlite: include_str!("../../migrations/sqlite/0030_audio_spool.sql"),
        postgres: include_str!("../../migrations/postgres/0030_audio_spool.sql"),
    },
    Migration::shared(
        31,
        "memory_vectors",
        include_str!("../../migrations/shared/0031_memory_vectors.sql"),
    ),
    Migration {
        version: 32,
        name: "search_lexemes_from_the_server",
        // FTS5 analyses its own text.
        sqlite: "SELECT 1",
        postgres: include_str!("../../migrations/postgres/0032_search_lexemes_from_the_server.sql"),
    },
];

impl Migration {
    /// A migration whose SQL both engines run as it is.
    const fn shared(version: i64, name: &'static str, sql: &'static str) -> Migration {
        Migration {
            version,
            name,
            sqlite: sql,
            postgres: sql,
        }
    }
}

/// Arbitrary but fixed: the advisory lock that keeps two starting processes from migrating at once.
const MIGRATION_LOCK: i64 = 0x6f6d_6900_0001;

pub(crate) async fn apply(database: &Database) -> Result<(), StoreError> {
    let backend = database.backend();
    let mut tx = database.begin_write().await?;
    if backend == Backend::Postgres {
        tx.execute(sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK))
            .await?;
    }
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name    TEXT   NOT NULL
         )",
    )
    .await?;
    let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await?;
    for migration in MIGRATIONS {
        if applied
            .iter()
            .any(|(version,)| *version == migration.version)
        {
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| StoreError::Migration {
                version: migration.version,
                source,
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
