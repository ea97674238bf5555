//! P7: the change feed.
//!
//! (a) Reading one user's events page by page through `GET /v1/changes?limit=1000`, against the raw SQL read of
//! the same rows (the user's events in commit order, keyset-paged by 1000 on the same index, every column
//! fetched) executed directly on the same database over a pooled connection, in the same run: rows per second
//! of each, runs interleaved, and their ratio. The user's events are written first through
//! `POST /v3/memories/batch` (100 memories a request), topped up to `--events`; `--other-token` writes as many
//! events for another user, so the log is not the user's alone.
//!
//! (b) `--subscribers` clients open `GET /v1/changes/stream` for that user (after the end of the log) and wait for
//! its opening comment; then `--appends` memories are created one by one through `POST /v1/memories`, and each
//! client reports when it received each one. The delivery latency is the client's clock at receipt minus the
//! event's `recorded_at` (the server's clock when it was inserted; both on this machine). Every client must see
//! every event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;
use sqlx::Row;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::args::Args;
use crate::p3::percentile_ms;
use crate::raw_db::Db;

/// Events per page, both ways.
const PAGE: i64 = 1_000;
/// Memories per seeding request (the route's maximum).
const SEED_BATCH: usize = 100;

const PG_READ: &str = "SELECT CAST(transaction_id AS TEXT) AS tx, global_position, aggregate_type, aggregate_id,
        sequence, event_type, event_version, CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata,
        CAST(recorded_at AS TEXT) AS recorded_at
    FROM events
    WHERE uid = $1 AND (transaction_id, global_position) > (CAST($2 AS xid8), $3)
    ORDER BY transaction_id, global_position
    LIMIT $4";

const SQLITE_READ: &str =
    "SELECT '0' AS tx, global_position, aggregate_type, aggregate_id, sequence, event_type,
        event_version, payload, metadata, CAST(recorded_at AS TEXT) AS recorded_at
    FROM events
    WHERE uid = $1 AND global_position > $3
    ORDER BY global_position
    LIMIT $4";

const COUNT_SQL: &str = "SELECT COUNT(*) FROM events WHERE uid = $1";

impl Db {
    /// Reads all of `uid`'s events page by page; returns how many rows it read.
    async fn read_all(&self, uid: &str) -> Result<usize, String> {
        let mut after = ("0".to_string(), 0i64);
        let mut read = 0;
        loop {
            let (rows, last) = match self {
                Db::Pg(pool) => read_page!(pool, PG_READ, uid, after),
                Db::Sqlite(pool) => read_page!(pool, SQLITE_READ, uid, after),
            };
            read += rows;
            match last {
                Some(last) if rows as i64 == PAGE => after = last,
                _ => return Ok(read),
            }
        }
    }
}

/// One page of the raw read after `$after` on `$pool`: how many rows, and the last one's position. Every column
/// is decoded, as a reader of the rows would.
macro_rules! read_page {
    ($pool:expr, $sql:expr, $uid:expr, $after:expr) => {{
        let rows = sqlx::query($sql)
            .bind($uid)
            .bind($after.0.clone())
            .bind($after.1)
            .bind(PAGE)
            .fetch_all($pool)
            .await
            .map_err(|e| format!("the raw read: {e}"))?;
        let mut last = None;
        for row in &rows {
            let tx: &str = row.try_get(0).map_err(|e| e.to_string())?;
            let global: i64 = row.try_get(1).map_err(|e| e.to_string())?;
            for text in [2, 3, 5, 6, 7, 8, 9] {
                let _: &str = row.try_get(text).map_err(|e| e.to_string())?;
            }
            let _: i64 = row.try_get(4).map_err(|e| e.to_string())?;
            last = Some((tx.to_string(), global));
        }
        (rows.len(), last)
    }};
}
use read_page;

#[derive(Deserialize)]
struct FeedPage {
    events: Vec<IgnoredAny>,
    cursor: String,
}

/// Reads all of the token's user's events through the feed; returns how many and the final cursor.
async fn read_feed(
    http: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<(usize, String), String> {
    let mut cursor = String::new();
    let mut read = 0;
    loop {
        let url = format!("{base}/v1/changes?limit={PAGE}&after={cursor}");
        let answer = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "GET {url}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let page: FeedPage =
            serde_json::from_slice(&body).map_err(|e| format!("GET {url}: {e}"))?;
        read += page.events.len();
        cursor = page.cursor;
        if (page.events.len() as i64) < PAGE {
            return Ok((read, cursor));
        }
    }
}

/// Creates `count` memories for the token's user, `SEED_BATCH` a request, on `clients` connections at once.
async fn seed(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    count: usize,
    clients: usize,
) -> Result<(), String> {
    let requests = count.div_ceil(SEED_BATCH);
    let gate = Arc::new(Semaphore::new(clients.max(1)));
    let mut tasks = JoinSet::new();
    for request in 0..requests {
        let size = SEED_BATCH.min(count - request * SEED_BATCH);
        let memories: Vec<serde_json::Value> = (0..size)
            .map(|n| serde_json::json!({"content": format!("p7 seed memory {request}-{n}: I like reading the log")}))
            .collect();
        let body = serde_json::json!({"memories": memories}).to_string();
        let (http, url, token, gate) = (
            http.clone(),
            format!("{base}/v3/memories/batch"),
            token.to_string(),
            Arc::clone(&gate),
        );
        tasks.spawn(async move {
            let _turn = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            let answer = http
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map_err(|e| format!("POST {url}: {e}"))?;
            if answer.status().is_success() {
                Ok(())
            } else {
                Err(format!("POST {url}: {}", answer.status()))
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| format!("seeding task: {e}"))??;
    }
    Ok(())
}

/// What a subscriber saw of one event.
struct Delivery {
    aggregate_id: String,
    latency_us: u64,
}

/// One subscriber: opens the stream, says when it is open, then reports each event it receives.
async fn subscribe(
    http: reqwest::Client,
    url: String,
    token: String,
    opened: mpsc::UnboundedSender<Result<(), String>>,
    deliveries: mpsc::UnboundedSender<Delivery>,
) {
    let mut response = match http.get(&url).bearer_auth(&token).send().await {
        Ok(response) if response.status().is_success() => response,
        Ok(response) => {
            let _ = opened.send(Err(format!("GET {url}: {}", response.status())));
            return;
        }
        Err(error) => {
            let _ = opened.send(Err(format!("GET {url}: {error}")));
            return;
        }
    };
    let mut buffer = String::new();
    let mut announced = false;
    while let Ok(Some(chunk)) = response.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if !announced {
                announced = true;
                let _ = opened.send(Ok(()));
            }
            let Some(data) = frame.lines().find_map(|line| line.strip_prefix("data: ")) else {
                continue;
            };
            let received = Utc::now();
            #[derive(Deserialize)]
            struct Shown {
                aggregate_id: String,
                recorded_at: DateTime<Utc>,
            }
            if let Ok(shown) = serde_json::from_str::<Shown>(data) {
                let latency = (received - shown.recorded_at)
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(0);
                let _ = deliveries.send(Delivery {
                    aggregate_id: shown.aggregate_id,
                    latency_us: latency as u64,
                });
            }
        }
    }
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let token: String = args.required("token")?;
    let uid: String = args.required("uid")?;
    let database_url: String = args.required("database-url")?;
    let other_token: Option<String> = args.optional("other-token")?;
    let events: usize = args.or("events", 100_000)?;
    let clients: usize = args.or("clients", 4)?;
    let runs: usize = args.or("runs", 3)?;
    let subscribers: usize = args.or("subscribers", 1_000)?;
    let appends: usize = args.or("appends", 20)?;
    let open_rate: f64 = args.or("open-rate", 200.0)?;
    let label: String = args.or("label", "p7".to_string())?;
    args.finish()?;
    let base = url.trim_end_matches('/').to_string();
    let db = Db::open(&database_url).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(subscribers + clients)
        .build()
        .map_err(|e| e.to_string())?;

    // The data set: top the user (and the other user) up to `events` events.
    let existing = db.count(COUNT_SQL, &uid).await? as usize;
    let started = Instant::now();
    if existing < events {
        eprintln!("P7 [{}]: writing {} events", db.kind(), events - existing);
        seed(&http, &base, &token, events - existing, clients).await?;
        if let Some(other) = &other_token {
            seed(&http, &base, other, events - existing, clients).await?;
        }
    }
    eprintln!(
        "P7: data set ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let rows = db.count(COUNT_SQL, &uid).await? as usize;

    // (a) The feed against the raw read, interleaved.
    let (mut best_feed, mut best_sql) = (0f64, 0f64);
    let mut end_cursor = String::new();
    for run in 1..=runs {
        let started = Instant::now();
        let (read, cursor) = read_feed(&http, &base, &token).await?;
        let feed_s = started.elapsed().as_secs_f64();
        if read != rows {
            return Err(format!(
                "the feed showed {read} events of the user's {rows}"
            ));
        }
        end_cursor = cursor;
        let started = Instant::now();
        let raw = db.read_all(&uid).await?;
        let sql_s = started.elapsed().as_secs_f64();
        if raw != rows {
            return Err(format!("the raw read returned {raw} rows of {rows}"));
        }
        let (feed_rate, sql_rate) = (rows as f64 / feed_s, rows as f64 / sql_s);
        eprintln!(
            "P7 run {run}: feed {rows} events in {feed_s:.3} s ({feed_rate:.0}/s), raw SQL {sql_s:.3} s ({sql_rate:.0}/s), ratio {:.3}",
            feed_rate / sql_rate
        );
        best_feed = best_feed.max(feed_rate);
        best_sql = best_sql.max(sql_rate);
    }
    println!("{label}.store={}", db.kind());
    println!("{label}.events={rows}");
    println!("{label}.feed_events_per_s={best_feed:.0}");
    println!("{label}.sql_rows_per_s={best_sql:.0}");
    println!("{label}.ratio={:.3}", best_feed / best_sql);

    // (b) Subscribers, then appends.
    if subscribers == 0 || appends == 0 {
        return Ok(());
    }
    let stream_url = format!("{base}/v1/changes/stream?after={end_cursor}");
    let (opened_tx, mut opened) = mpsc::unbounded_channel();
    let (delivered_tx, mut delivered) = mpsc::unbounded_channel();
    let mut streams = JoinSet::new();
    let pace = Duration::from_secs_f64(1.0 / open_rate.max(1.0));
    for _ in 0..subscribers {
        streams.spawn(subscribe(
            http.clone(),
            stream_url.clone(),
            token.clone(),
            opened_tx.clone(),
            delivered_tx.clone(),
        ));
        tokio::time::sleep(pace).await;
    }
    for _ in 0..subscribers {
        match tokio::time::timeout(Duration::from_secs(60), opened.recv()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(error))) => return Err(error),
            _ => return Err("subscribers did not open within 60 s".into()),
        }
    }
    eprintln!("P7: {subscribers} subscribers open");
    let mut latencies = Vec::with_capacity(subscribers * appends);
    let mut missing = 0usize;
    let mut early: HashMap<String, Vec<u64>> = HashMap::new();
    for round in 0..appends {
        let created = http
            .post(format!("{base}/v1/memories"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(serde_json::json!({"content": format!("p7 live memory {round}")}).to_string())
            .send()
            .await
            .map_err(|e| format!("POST /v1/memories: {e}"))?;
        let body: serde_json::Value = created.json_body().await?;
        let id = body["id"]
            .as_str()
            .ok_or("POST /v1/memories: no id")?
            .to_string();
        let mut got = early.remove(&id).unwrap_or_default();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got.len() < subscribers {
            match tokio::time::timeout_at(deadline, delivered.recv()).await {
                Ok(Some(delivery)) if delivery.aggregate_id == id => got.push(delivery.latency_us),
                Ok(Some(delivery)) => early
                    .entry(delivery.aggregate_id)
                    .or_default()
                    .push(delivery.latency_us),
                _ => break,
            }
        }
        missing += subscribers - got.len();
        latencies.extend(got);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    streams.abort_all();
    latencies.sort_unstable();
    let p50 = percentile_ms(&latencies, 50.0);
    let p99 = percentile_ms(&latencies, 99.0);
    let max = latencies.last().copied().unwrap_or(0) as f64 / 1000.0;
    eprintln!(
        "P7: {subscribers} subscribers x {appends} events: delivery p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms, {missing} missing"
    );
    println!("{label}.subscribers={subscribers}");
    println!("{label}.appends={appends}");
    println!("{label}.delivery_p50_ms={p50:.2}");
    println!("{label}.delivery_p99_ms={p99:.2}");
    println!("{label}.delivery_max_ms={max:.2}");
    println!("{label}.missing={missing}");
    if missing > 0 {
        return Err(format!("{missing} deliveries never arrived"));
    }
    Ok(())
}

/// The JSON body of an answer, or the status and text when it is not a success.
trait JsonBody {
    async fn json_body(self) -> Result<serde_json::Value, String>;
}

impl JsonBody for reqwest::Response {
    async fn json_body(self) -> Result<serde_json::Value, String> {
        let status = self.status();
        let body = self.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
}
