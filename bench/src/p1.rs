//! P1: `POST /v1/memories` from many concurrent clients, each on its own keep-alive connection and with its own
//! user's token, every request with fresh content (memory ids derive from (uid, content), so a repeated content
//! would append nothing). Requests during the warm-up are sent but not counted; the rate is the number of
//! successful responses that completed inside the measured window, divided by its length. The clients speak
//! HTTP/1.1 through the minimal client of `http1.rs`, all on one thread.
//!
//! With `--webhooks true` (a server started with `OMI_WEBHOOK_ALLOW_PRIVATE=1`), every user first gets webhooks
//! enabled: its four developer webhooks and one `memory_creation` app of its own, all pointing at a receiver the
//! run starts. A memory written through `POST /v1/memories` causes none of their deliveries (those follow
//! conversations, live transcripts, audio and daily summaries), so this measures what enabled webhooks cost the
//! path; the receiver counts what arrives all the same.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::http1::{Connection, Response};
use crate::rng::Rng;
use crate::text;

struct Worker {
    latencies_us: Vec<u32>,
    ok_total: u64,
    errors: u64,
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let tokens_file: String = args.required("tokens")?;
    let clients: usize = args.or("clients", 64)?;
    let seconds: f64 = args.or("seconds", 20.0)?;
    let warmup: f64 = args.or("warmup", 5.0)?;
    let label: String = args.or("label", "p1".to_string())?;
    // `/v1/dev/user/memories` with `omi_dev_` keys in the tokens file measures P1 through the developer API.
    let path: String = args.or("path", "/v1/memories".to_string())?;
    let webhooks: bool = args.or("webhooks", false)?;
    args.finish()?;

    let tokens: Vec<String> = std::fs::read_to_string(&tokens_file)
        .map_err(|e| format!("cannot read {tokens_file}: {e}"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if tokens.is_empty() {
        return Err(format!("{tokens_file} holds no token"));
    }
    let delivered = Arc::new(AtomicU64::new(0));
    if webhooks {
        enable_webhooks(&url, &tokens[..tokens.len().min(clients)], &delivered).await?;
        eprintln!(
            "{label}: {} users with 4 developer webhooks and 1 memory_creation app each",
            tokens.len().min(clients)
        );
    }
    // Distinguishes this run's contents from any earlier run against the same database.
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();

    let start = Instant::now() + Duration::from_millis(200);
    let measure_from = start + Duration::from_secs_f64(warmup);
    let until = measure_from + Duration::from_secs_f64(seconds);
    let first_errors = Arc::new(AtomicU64::new(0));

    let mut handles = Vec::with_capacity(clients);
    for client in 0..clients {
        let token = tokens[client % tokens.len()].clone();
        let url = url.clone();
        let path = path.clone();
        let run_id = run_id.clone();
        let first_errors = Arc::clone(&first_errors);
        handles.push(tokio::spawn(async move {
            let mut connection: Option<Connection> = None;
            let mut rng = Rng::new(0x5eed_0000 + client as u64);
            let mut worker = Worker {
                latencies_us: Vec::with_capacity(8192),
                ok_total: 0,
                errors: 0,
            };
            tokio::time::sleep_until(start.into()).await;
            let mut n = 0u64;
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                n += 1;
                let content = format!(
                    "{} (run {run_id} client {client} request {n})",
                    text::memory_content(&mut rng)
                );
                let body = format!(
                    r#"{{"content":{},"category":"interesting"}}"#,
                    serde_json::Value::String(content)
                );
                let outcome = post(&mut connection, &url, &path, &token, &body).await;
                let ok = match outcome {
                    Ok(response) if (200..300).contains(&response.status) => true,
                    Ok(response) => {
                        if first_errors.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!(
                                "client {client}: HTTP {}: {}",
                                response.status,
                                String::from_utf8_lossy(&response.body)
                            );
                        }
                        false
                    }
                    Err(error) => {
                        if first_errors.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("client {client}: {error}");
                        }
                        false
                    }
                };
                let done = Instant::now();
                if ok {
                    worker.ok_total += 1;
                    if done >= measure_from && done <= until {
                        let us = done
                            .duration_since(sent)
                            .as_micros()
                            .min(u128::from(u32::MAX));
                        worker.latencies_us.push(us as u32);
                    }
                } else {
                    worker.errors += 1;
                }
            }
            worker
        }));
    }

    let mut latencies: Vec<u32> = Vec::new();
    let mut ok_total = 0u64;
    let mut errors = 0u64;
    for handle in handles {
        let worker = handle
            .await
            .map_err(|e| format!("a client task failed: {e}"))?;
        latencies.extend(worker.latencies_us);
        ok_total += worker.ok_total;
        errors += worker.errors;
    }
    latencies.sort_unstable();
    let measured = latencies.len();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * measured as f64).ceil() as usize;
        f64::from(latencies[rank.clamp(1, measured) - 1]) / 1000.0
    };
    let mean = if measured == 0 {
        0.0
    } else {
        latencies.iter().map(|&l| f64::from(l)).sum::<f64>() / measured as f64 / 1000.0
    };
    let rate = measured as f64 / seconds;
    eprintln!(
        "P1: {clients} clients, {} users, {seconds}s measured after {warmup}s warm-up: {measured} requests, \
         {rate:.1} requests/s, p50 {:.1} ms, p99 {:.1} ms, {errors} errors",
        tokens.len().min(clients),
        percentile(50.0),
        percentile(99.0)
    );
    println!("{label}.clients={clients}");
    println!("{label}.users={}", tokens.len().min(clients));
    println!("{label}.seconds={seconds}");
    println!("{label}.warmup_s={warmup}");
    println!("{label}.requests={measured}");
    println!("{label}.rps={rate:.1}");
    println!("{label}.mean_ms={mean:.2}");
    println!("{label}.p50_ms={:.2}", percentile(50.0));
    println!("{label}.p90_ms={:.2}", percentile(90.0));
    println!("{label}.p99_ms={:.2}", percentile(99.0));
    println!("{label}.max_ms={:.2}", percentile(100.0));
    println!("{label}.errors={errors}");
    println!("{label}.ok_total={ok_total}");
    if errors > 0 {
        eprintln!("P1: WARNING: {errors} requests failed; the rate counts successful ones only");
    }
    if webhooks {
        // Anything the run caused has had time to be attempted.
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!("{label}.webhooks_per_user=5");
        println!("{label}.deliveries={}", delivered.load(Ordering::Relaxed));
    }
    Ok(())
}

/// For each user of `tokens`: its four developer webhooks and one enabled `memory_creation` app, at a receiver
/// started here that counts every request in `delivered`.
async fn enable_webhooks(
    url: &str,
    tokens: &[String],
    delivered: &Arc<AtomicU64>,
) -> Result<(), String> {
    let counting = Arc::clone(delivered);
    let port = crate::p10::start_receiver(Arc::new(move |_, _, _: &[u8]| {
        counting.fetch_add(1, Ordering::Relaxed);
    }))
    .await?;
    let receiver = format!("http://127.0.0.1:{port}/hook");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    for token in tokens {
        for wtype in [
            "memory_created",
            "realtime_transcript",
            "audio_bytes",
            "day_summary",
        ] {
            crate::p10::set_developer_webhook(&http, url, token, wtype, &receiver).await?;
        }
        crate::p10::create_apps(&http, url, token, &receiver, 1).await?;
    }
    Ok(())
}

/// Sends one request on `connection`, opening it first when there is none; a connection that failed or timed out
/// is dropped, so the next request opens a new one.
async fn post(
    connection: &mut Option<Connection>,
    url: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Result<Response, String> {
    let mut open = match connection.take() {
        Some(open) => open,
        None => Connection::connect(url).await?,
    };
    let answer = tokio::time::timeout(Duration::from_secs(30), open.post_json(path, token, body))
        .await
        .unwrap_or_else(|_| Err("no answer within 30 s".into()))?;
    *connection = Some(open);
    Ok(answer)
}
