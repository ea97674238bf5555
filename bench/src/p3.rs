//! P3: `GET /v1/conversations?limit=100` for a user with 10,000 conversations, against the statement the read
//! model runs for it (`projections/src/conversations/queries.rs::list` with the route's defaults: statuses
//! `processing,completed`, discarded included, offset 0) executed directly on the same database over a pooled
//! connection, in the same run.
//!
//! The conversations are imported through `POST /v1/conversations/from-segments` (ten segments each, start
//! times spread over the past year) by concurrent keep-alive clients, and processing (the embedded extractive
//! pipeline) is waited for until none is pending, so the list pages hold processed conversations. Then HTTP
//! requests and raw queries are interleaved one for one (each sequential, one request in flight), so both see
//! the same machine: warm-up iterations first, then the measured ones.

use std::time::{Duration, Instant};

use crate::args::Args;
use crate::cpu::{Snapshot, Watch};
use crate::raw_db::Db;
use crate::rng::Rng;
use crate::text;

/// The list statement of the read model with the route's default filter (see the module doc).
const LIST_SQL: &str = "SELECT list_doc FROM conversations WHERE uid = $1 AND status IN ($2, $3) \
                        ORDER BY created_at DESC, id LIMIT $4 OFFSET $5";
const PENDING_SQL: &str = "SELECT COUNT(*) FROM conversations WHERE uid = $1 \
                           AND (status = 'processing' OR finished_run < requested_run)";
const COUNT_SQL: &str = "SELECT COUNT(*) FROM conversations WHERE uid = $1";

impl Db {
    /// The list statement; returns the `list_doc`s (decoded to strings, as the read model reads them).
    async fn list(&self, uid: &str, limit: i64) -> Result<Vec<String>, String> {
        let result = match self {
            Db::Pg(pool) => {
                sqlx::query_scalar(LIST_SQL)
                    .bind(uid)
                    .bind("processing")
                    .bind("completed")
                    .bind(limit)
                    .bind(0i64)
                    .fetch_all(pool)
                    .await
            }
            Db::Sqlite(pool) => {
                sqlx::query_scalar(LIST_SQL)
                    .bind(uid)
                    .bind("processing")
                    .bind("completed")
                    .bind(limit)
                    .bind(0i64)
                    .fetch_all(pool)
                    .await
            }
        };
        result.map_err(|e| format!("list statement: {e}"))
    }
}

/// Nearest-rank percentile of sorted microseconds, in ms.
pub fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

fn import_body(rng: &mut Rng, segments: usize, now_s: i64) -> String {
    // Start times spread over the past year, so `created_at` is not the import order.
    let started_at = now_s - rng.below(365 * 24 * 3600) as i64;
    let started = chrono::DateTime::from_timestamp(started_at, 0)
        .unwrap_or_default()
        .to_rfc3339();
    let mut at = 0.0f64;
    let segs: Vec<serde_json::Value> = (0..segments)
        .map(|i| {
            let text = text::sentence(rng, 6, 22);
            let length = 1.5 + rng.unit() * 6.0;
            let speaker = (i % 2) as u32;
            let seg = serde_json::json!({
                "text": text,
                "speaker": format!("SPEAKER_{speaker:02}"),
                "speaker_id": speaker,
                "is_user": speaker == 0,
                "start": at,
                "end": at + length,
            });
            at += length + rng.unit();
            seg
        })
        .collect();
    serde_json::json!({
        "transcript_segments": segs,
        "started_at": started,
        "source": "omi",
        "language": "en",
    })
    .to_string()
}

/// Imports `count` conversations with `concurrency` keep-alive clients.
pub(crate) async fn import(
    base: &str,
    token: &str,
    count: usize,
    segments: usize,
    concurrency: usize,
    seed: u64,
) -> Result<(), String> {
    let endpoint = format!("{base}/v1/conversations/from-segments");
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let now_s = chrono::Utc::now().timestamp();
    let mut handles = Vec::new();
    for worker in 0..concurrency {
        let (endpoint, token, next) = (endpoint.clone(), token.to_string(), next.clone());
        handles.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .tcp_nodelay(true)
                .timeout(Duration::from_secs(60))
                .build()
                .map_err(|e| e.to_string())?;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= count {
                    return Ok::<(), String>(());
                }
                let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(n as u64));
                let body = import_body(&mut rng, segments, now_s);
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let outcome = http
                        .post(&endpoint)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match outcome {
                        Ok(r) if r.status().is_success() => break,
                        Ok(r) if attempt >= 5 => {
                            let status = r.status();
                            let text = r.text().await.unwrap_or_default();
                            return Err(format!(
                                "import {n} (worker {worker}): HTTP {status}: {text}"
                            ));
                        }
                        Err(e) if attempt >= 5 => return Err(format!("import {n}: {e}")),
                        _ => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
            }
        }));
    }
    for handle in handles {
        handle.await.map_err(|e| format!("import task: {e}"))??;
    }
    Ok(())
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let token: String = args.required("token")?;
    let uid: String = args.required("uid")?;
    let database_url: String = args.required("database-url")?;
    let conversations: usize = args.or("conversations", 10_000)?;
    let segments: usize = args.or("segments", 10)?;
    let concurrency: usize = args.or("concurrency", 8)?;
    let requests: usize = args.or("requests", 500)?;
    let warmup: usize = args.or("warmup", 50)?;
    let limit: i64 = args.or("limit", 100)?;
    let seed: u64 = args.or("seed", 3)?;
    let label: String = args.or("label", "p3".to_string())?;
    let processing_timeout = Duration::from_secs(args.or("processing-timeout", 3600)?);
    let quiet_wait = Duration::from_secs(args.or("quiet-wait", 0)?);
    let watch = Watch {
        postgres: args.optional("pg-pid")?,
        process: args.optional("server-pid")?,
    };
    args.finish()?;
    let base = url.trim_end_matches('/').to_string();
    let db = Db::open(&database_url).await?;

    // 1. The data set: top up to `conversations` (a re-run against the same database imports nothing).
    let existing = db.count(COUNT_SQL, &uid).await? as usize;
    let missing = conversations.saturating_sub(existing);
    let started = Instant::now();
    if missing > 0 {
        eprintln!(
            "P3 [{}]: importing {missing} conversations ({segments} segments each, {concurrency} clients)",
            db.kind()
        );
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
    // 2. Processing (the reaction runs the embedded pipeline on each import): wait until nothing is pending.
    let started = Instant::now();
    loop {
        let pending = db.count(PENDING_SQL, &uid).await?;
        if pending == 0 {
            break;
        }
        if started.elapsed() > processing_timeout {
            return Err(format!(
                "{pending} conversations still processing after {processing_timeout:?}"
            ));
        }
        eprintln!("P3: {pending} conversations still processing");
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let processing_s = started.elapsed().as_secs_f64();
    let total = db.count(COUNT_SQL, &uid).await?;
    eprintln!(
        "P3: {total} conversations; import {import_s:.1}s ({:.0}/s), processing finished {processing_s:.1}s later",
        missing as f64 / import_s.max(1e-9)
    );

    // 3. Both sides answer the same page.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let endpoint = format!("{base}/v1/conversations?limit={limit}");
    let get = || async {
        let response = http
            .get(&endpoint)
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| format!("GET: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("GET body: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET {endpoint}: HTTP {status}"));
        }
        Ok::<_, String>(body)
    };
    let body = get().await?;
    let page: Vec<serde_json::Value> =
        serde_json::from_slice(&body).map_err(|e| format!("GET body is not a list: {e}"))?;
    let raw = db.list(&uid, limit).await?;
    let raw_ids: Vec<String> = raw
        .iter()
        .map(|doc| {
            serde_json::from_str::<serde_json::Value>(doc)
                .ok()
                .and_then(|v| v["id"].as_str().map(String::from))
                .unwrap_or_default()
        })
        .collect();
    let http_ids: Vec<String> = page
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect();
    if http_ids != raw_ids || page.len() as i64 != limit.min(total) {
        return Err(format!(
            "the API page ({} items) and the raw statement ({} rows) differ",
            page.len(),
            raw.len()
        ));
    }
    let raw_bytes: usize = raw.iter().map(String::len).sum();

    // 4. Interleaved: one HTTP request, one raw statement, and so on.
    if !quiet_wait.is_zero() {
        crate::cpu::wait_for_quiet(quiet_wait);
    }
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut http_us = Vec::with_capacity(requests);
    let mut raw_us = Vec::with_capacity(requests);
    let mut before = None;
    let measure_started = Instant::now();
    for i in 0..warmup + requests {
        if i == warmup {
            before = Some(Snapshot::take(watch));
        }
        let t = Instant::now();
        let body = get().await?;
        let h = t.elapsed().as_micros() as u64;
        if body.len() < 2 {
            return Err("empty page".into());
        }
        let t = Instant::now();
        let rows = db.list(&uid, limit).await?;
        let r = t.elapsed().as_micros() as u64;
        if rows.len() != raw.len() {
            return Err("the raw statement's row count changed".into());
        }
        if i >= warmup {
            http_us.push(h);
            raw_us.push(r);
        }
    }
    let measure_s = measure_started.elapsed().as_secs_f64();
    let cpu = before.map(|b| {
        b.report(
            &Snapshot::take(watch),
            &format!("{label}.cpu"),
            "server",
            "children",
        )
    });
    http_us.sort_unstable();
    raw_us.sort_unstable();
    let (h50, h99) = (percentile_ms(&http_us, 50.0), percentile_ms(&http_us, 99.0));
    let (r50, r99) = (percentile_ms(&raw_us, 50.0), percentile_ms(&raw_us, 99.0));
    eprintln!(
        "P3 [{}]: GET /v1/conversations?limit={limit}: p50 {h50:.2} ms, p99 {h99:.2} ms; raw statement: p50 {r50:.2} ms, \
         p99 {r99:.2} ms; p99 ratio {:.2} (target <= 3)",
        db.kind(),
        h99 / r99.max(1e-9)
    );
    println!("{label}.store={}", db.kind());
    println!("{label}.conversations={total}");
    println!("{label}.imported={missing}");
    println!("{label}.import_s={import_s:.1}");
    println!("{label}.processing_wait_s={processing_s:.1}");
    println!("{label}.limit={limit}");
    println!("{label}.requests={requests}");
    println!("{label}.warmup={warmup}");
    println!("{label}.measure_s={measure_s:.1}");
    println!(
        "{label}.loadavg={}",
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("{label}.response_bytes={}", body.len());
    println!("{label}.raw_bytes={raw_bytes}");
    println!("{label}.http_p50_ms={h50:.3}");
    println!("{label}.http_p90_ms={:.3}", percentile_ms(&http_us, 90.0));
    println!("{label}.http_p99_ms={h99:.3}");
    println!("{label}.http_max_ms={:.3}", percentile_ms(&http_us, 100.0));
    println!("{label}.raw_p50_ms={r50:.3}");
    println!("{label}.raw_p90_ms={:.3}", percentile_ms(&raw_us, 90.0));
    println!("{label}.raw_p99_ms={r99:.3}");
    println!("{label}.raw_max_ms={:.3}", percentile_ms(&raw_us, 100.0));
    println!("{label}.ratio_p50={:.2}", h50 / r50.max(1e-9));
    println!("{label}.ratio_p99={:.2}", h99 / r99.max(1e-9));
    if let Some(cpu) = cpu {
        println!("{cpu}");
    }
    Ok(())
}
