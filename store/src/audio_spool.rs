//! The audio spool (migration 30): chunks of live-capture audio kept for the `audio_bytes` webhooks until their
//! deliveries can no longer need them. The log records that a chunk exists (`AudioChunkRecorded`); the bytes live
//! here, outside it.

use crate::Database;

/// One spooled chunk: 16-bit little-endian mono PCM at `sample_rate` Hz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioChunk {
    pub uid: String,
    pub sample_rate: u32,
    pub audio: Vec<u8>,
}

/// Keeps `audio` under `id` (a chunk kept already stays as it is).
pub async fn put(
    database: &Database,
    id: &str,
    uid: &str,
    sample_rate: u32,
    audio: &[u8],
    recorded_at_micros: i64,
) -> Result<(), sqlx::Error> {
    let _turn = database.writer_turn().await;
    sqlx::query(
        "INSERT INTO audio_spool (id, uid, sample_rate, audio, recorded_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(uid)
    .bind(i64::from(sample_rate))
    .bind(audio.to_vec())
    .bind(recorded_at_micros)
    .execute(database.pool())
    .await?;
    Ok(())
}

/// The chunk kept under `id`, if it still is.
pub async fn get(database: &Database, id: &str) -> Result<Option<AudioChunk>, sqlx::Error> {
    let row: Option<(String, i64, Vec<u8>)> =
        sqlx::query_as("SELECT uid, sample_rate, audio FROM audio_spool WHERE id = $1")
            .bind(id)
            .fetch_optional(database.pool())
            .await?;
    Ok(row.map(|(uid, sample_rate, audio)| AudioChunk {
        uid,
        sample_rate: u32::try_from(sample_rate).unwrap_or_default(),
        audio,
    }))
}

/// Removes the chunks recorded before `before_micros`; how many.
pub async fn expire(database: &Database, before_micros: i64) -> Result<u64, sqlx::Error> {
    let _turn = database.writer_turn().await;
    let done = sqlx::query("DELETE FROM audio_spool WHERE recorded_at < $1")
        .bind(before_micros)
        .execute(database.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::{expire, get, put, AudioChunk};
    use crate::Database;

    #[tokio::test]
    async fn a_chunk_is_kept_once_read_back_whole_and_expired_by_age() {
        let dir = std::env::temp_dir().join(format!("omi-store-spool-{}", std::process::id()));
        let database = Database::open(None, &dir, 2).await.unwrap();
        let audio: Vec<u8> = (0..=255u8).cycle().take(32_000).collect();
        put(&database, "c1", "ann", 16_000, &audio, 1_000)
            .await
            .unwrap();
        put(&database, "c1", "ann", 8_000, b"other", 1_000)
            .await
            .unwrap();
        put(&database, "c2", "ann", 16_000, b"\x00\x01", 5_000)
            .await
            .unwrap();
        assert_eq!(
            get(&database, "c1").await.unwrap(),
            Some(AudioChunk {
                uid: "ann".into(),
                sample_rate: 16_000,
                audio
            })
        );
        assert_eq!(expire(&database, 2_000).await.unwrap(), 1);
        assert_eq!(get(&database, "c1").await.unwrap(), None);
        assert!(get(&database, "c2").await.unwrap().is_some());
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
