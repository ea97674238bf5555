//! P8: `POST /v1/conversations/search` for a user with 10,000 conversations (about a million transcript words),
//! against the statement the search index runs for it (`omi_projections::search::raw_conversations_sql`: the
//! FTS5 `MATCH` ranked by `bm25()` on SQLite, `@@` ranked by `ts_rank_cd` on PostgreSQL, first page of 10)
//! executed directly on the same database over a pooled connection, in the same run.
//!
//! The conversations are imported as P3 imports them (`--segments` segments of 6 to 22 words each; 7 make about
//! 100 words a conversation) and processing is waited for. The queries are one to three words of the corpus's
//! vocabulary, drawn once; HTTP requests and raw statements are interleaved one for one (each sequential), warm-up
//! first. The server must run without the search rate limit (`OMI_SEARCH_RATE_PER_HOUR=0`).
//!
//! P9 runs on the same data with `--chat N`: N questions about the same queries to `POST /v2/messages` (the
//! offline answerer), each timed from the request to its first streamed `data:` chunk, interleaved one for one
//! with the raw search statement (the baseline: the retrieval an answer starts with).

use std::time::{Duration, Instant};

use omi_projections::search::{raw_conversations_sql, Terms};
use omi_store::Backend;

use crate::args::Args;
use crate::p3::{import, percentile_ms};
use crate::raw_db::Db;
use crate::rng::Rng;
use crate::text;

const PENDING_SQL: &str = "SELECT COUNT(*) FROM conversations WHERE uid = $1 \
                           AND (status = 'processing' OR finished_run < requested_run)";
const COUNT_SQL: &str = "SELECT COUNT(*) FROM conversations WHERE uid = $1";
const INDEXED_SQL: &str = "SELECT COUNT(*) FROM search_conversations WHERE uid = $1";
/// Results per page, both ways (the route's default).
const PER_PAGE: i64 = 10;

impl Db {
    /// The search statement's first page for `query`: the ids, best first.
    async fn search(&self, uid: &str, query: &str) -> Result<Vec<String>, String> {
        let terms = Terms::of(query);
        let result = match self {
            Db::Pg(pool) => {
                sqlx::query_scalar(&raw_conversations_sql(Backend::Postgres))
                    .bind(terms.tsquery())
                    .bind(uid)
                    .bind(PER_PAGE)
                    .bind(0i64)
                    .fetch_all(pool)
                    .await
            }
            Db::Sqlite(pool) => {
                sqlx::query_scalar(&raw_conversations_sql(Backend::Sqlite))
                    .bind(terms.fts5())
                    .bind(uid)
                    .bind(PER_PAGE)
                    .bind(0i64)
                    .fetch_all(pool)
                    .await
            }
        };
        result.map_err(|e| format!("search statement: {e}"))
    }
}

/// `count` queries of one to three words of the corpus's vocabulary.
fn queries(rng: &mut Rng, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let words = 1 + rng.below(3);
            (0..words)
                .map(|_| {
                    text::sentence(rng, 1, 1)
                        .trim_end_matches('.')
                        .to_lowercase()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let token: String = args.required("token")?;
    let uid: String = args.required("uid")?;
    let database_url: String = args.required("database-url")?;
    let conversations: usize = args.or("conversations", 10_000)?;
    let segments: usize = args.or("segments", 7)?;
    let concurrency: usize = args.or("concurrency", 8)?;
    let requests: usize = args.or("requests", 500)?;
    let warmup: usize = args.or("warmup", 50)?;
    let query_count: usize = args.or("queries", 50)?;
    let seed: u64 = args.or("seed", 8)?;
    let label: String = args.or("label", "p8".to_string())?;
    let chat: usize = args.or("chat", 0)?;
    let processing_timeout = Duration::from_secs(args.or("processing-timeout", 3600)?);
    args.finish()?;
    let base = url.trim_end_matches('/').to_string();
    let db = Db::open(&database_url).await?;

    // 1. The data set, topped up to `conversations`, processed and indexed.
    let existing = db.count(COUNT_SQL, &uid).await? as usize;
    let missing = conversations.saturating_sub(existing);
    let started = Instant::now();
    if missing > 0 {
        eprintln!("P8 [{}]: importing {missing} conversations", db.kind());
        import(
            &base,
            &token,
            missing,
            segments,
            concurrency,
            seed + existing as u64,
        )
        .await?;
    }
    let import_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    loop {
        let pending = db.count(PENDING_SQL, &uid).await?;
        if pending == 0 {
            break;
        }
        if started.elapsed() > processing_timeout {
            return Err(format!("{pending} conversations still processing"));
        }
        eprintln!("P8: {pending} conversations still processing");
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let total = db.count(COUNT_SQL, &uid).await?;
    let indexed = db.count(INDEXED_SQL, &uid).await?;
    eprintln!(
        "P8: {total} conversations ({indexed} indexed); import {import_s:.1}s, processing {:.1}s more",
        started.elapsed().as_secs_f64()
    );

    // 2. Both sides answer the same first page for every query.
    let mut rng = Rng::new(seed);
    let queries = queries(&mut rng, query_count.max(1));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let endpoint = format!("{base}/v1/conversations/search");
    let post = |query: &str| {
        let body = serde_json::json!({"query": query, "per_page": PER_PAGE}).to_string();
        let request = http
            .post(&endpoint)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body);
        let endpoint = &endpoint;
        async move {
            let response = request.send().await.map_err(|e| format!("POST: {e}"))?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|e| format!("POST body: {e}"))?;
            if !status.is_success() {
                return Err(format!(
                    "POST {endpoint}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            Ok::<_, String>(body)
        }
    };
    let mut hits = 0usize;
    for query in &queries {
        let body = post(query).await?;
        let page: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))?;
        let http_ids: Vec<String> = page["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|v| v["id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let raw_ids = db.search(&uid, query).await?;
        if http_ids != raw_ids {
            return Err(format!(
                "{query:?}: the API ({} items) and the raw statement ({} rows) differ",
                http_ids.len(),
                raw_ids.len()
            ));
        }
        hits += raw_ids.len();
    }

    // 3. Interleaved: one HTTP request, one raw statement, and so on, cycling through the queries.
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut http_us = Vec::with_capacity(requests);
    let mut raw_us = Vec::with_capacity(requests);
    for i in 0..warmup + requests {
        let query = &queries[i % queries.len()];
        let t = Instant::now();
        post(query).await?;
        let h = t.elapsed().as_micros() as u64;
        let t = Instant::now();
        db.search(&uid, query).await?;
        let r = t.elapsed().as_micros() as u64;
        if i >= warmup {
            http_us.push(h);
            raw_us.push(r);
        }
    }
    http_us.sort_unstable();
    raw_us.sort_unstable();
    let (h50, h99) = (percentile_ms(&http_us, 50.0), percentile_ms(&http_us, 99.0));
    let (r50, r99) = (percentile_ms(&raw_us, 50.0), percentile_ms(&raw_us, 99.0));
    eprintln!(
        "P8 [{}]: POST /v1/conversations/search: p50 {h50:.2} ms, p99 {h99:.2} ms; raw statement: p50 {r50:.2} ms, \
         p99 {r99:.2} ms; p99 ratio {:.2} (target <= 3)",
        db.kind(),
        h99 / r99.max(1e-9)
    );
    println!("{label}.store={}", db.kind());
    println!("{label}.conversations={total}");
    println!("{label}.indexed={indexed}");
    println!("{label}.imported={missing}");
    println!("{label}.import_s={import_s:.1}");
    println!("{label}.queries={}", queries.len());
    println!(
        "{label}.hits_per_query={:.1}",
        hits as f64 / queries.len() as f64
    );
    println!("{label}.requests={requests}");
    println!("{label}.warmup={warmup}");
    println!(
        "{label}.loadavg={}",
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("{label}.http_p50_ms={h50:.3}");
    println!("{label}.http_p99_ms={h99:.3}");
    println!("{label}.raw_p50_ms={r50:.3}");
    println!("{label}.raw_p99_ms={r99:.3}");
    println!("{label}.ratio_p50={:.2}", h50 / r50.max(1e-9));
    println!("{label}.ratio_p99={:.2}", h99 / r99.max(1e-9));
    if chat > 0 {
        first_chunks(&db, &base, &token, &uid, &queries, chat, &label).await?;
    }
    Ok(())
}

/// P9: `count` chat questions (after a tenth as many for warm-up), each timed to its first streamed chunk,
/// interleaved with the raw search statement.
async fn first_chunks(
    db: &Db,
    base: &str,
    token: &str,
    uid: &str,
    queries: &[String],
    count: usize,
    label: &str,
) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let endpoint = format!("{base}/v2/messages");
    let warmup = (count / 10).max(1);
    let mut chunk_us = Vec::with_capacity(count);
    let mut raw_us = Vec::with_capacity(count);
    for i in 0..warmup + count {
        let query = &queries[i % queries.len()];
        let body =
            serde_json::json!({ "text": format!("What did we say about {query}?") }).to_string();
        let t = Instant::now();
        let mut response = http
            .post(&endpoint)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST /v2/messages: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("POST /v2/messages: HTTP {}", response.status()));
        }
        let mut seen = Vec::new();
        let mut first = None;
        while let Some(bytes) = response.chunk().await.map_err(|e| format!("stream: {e}"))? {
            seen.extend_from_slice(&bytes);
            if first.is_none() && seen.windows(6).any(|w| w == b"data: ") {
                first = Some(t.elapsed().as_micros() as u64);
            }
        }
        let first = first.ok_or_else(|| {
            format!(
                "the answer streamed no data: chunk: {}",
                String::from_utf8_lossy(&seen)
            )
        })?;
        let t = Instant::now();
        db.search(uid, query).await?;
        let r = t.elapsed().as_micros() as u64;
        if i >= warmup {
            chunk_us.push(first);
            raw_us.push(r);
        }
    }
    chunk_us.sort_unstable();
    raw_us.sort_unstable();
    let (c50, c99) = (
        percentile_ms(&chunk_us, 50.0),
        percentile_ms(&chunk_us, 99.0),
    );
    let (r50, r99) = (percentile_ms(&raw_us, 50.0), percentile_ms(&raw_us, 99.0));
    eprintln!(
        "P9 [{}]: POST /v2/messages first chunk: p50 {c50:.2} ms, p99 {c99:.2} ms (target p99 <= 100 ms); raw \
         search statement p50 {r50:.2} ms, p99 {r99:.2} ms; p99 ratio {:.2}",
        db.kind(),
        c99 / r99.max(1e-9)
    );
    println!("{label}.chat_requests={count}");
    println!("{label}.chat_first_chunk_p50_ms={c50:.3}");
    println!("{label}.chat_first_chunk_p99_ms={c99:.3}");
    println!("{label}.chat_raw_p50_ms={r50:.3}");
    println!("{label}.chat_raw_p99_ms={r99:.3}");
    println!("{label}.chat_ratio_p99={:.2}", c99 / r99.max(1e-9));
    Ok(())
}
