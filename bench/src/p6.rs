//! P6: Wrapped for a user with `--conversations` (5,000) conversations in one year, on a server on this machine
//! with the embedded (offline) writer:
//!
//! - the conversations are imported over HTTP (`POST /v1/conversations/from-segments`, started on days spread
//!   over `--year`) and processed by the server's own pipeline; the run waits until the last one is processed;
//! - **generation**: `POST /v1/wrapped/{year}/generate`, then `GET /v1/wrapped/{year}` every few milliseconds
//!   until it reads `done`: the time from the request to the first `done` (target ≤ 1 s);
//! - the same computation without the events, `GET /v1/wrapped/{year}?as_of=<now>`, `--as-of-runs` times (median);
//! - **reads**: `--requests` sequential `GET /v1/wrapped/{year}` of the generated recap after `--warmup` ones, p50
//!   and p99 (target p99 ≤ 20 ms).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::Args;
use crate::p3::percentile_ms;
use crate::rng::Rng;
use crate::text;

/// How long the run waits for the imported conversations to be processed, and for a generation.
const PROCESSING_TIMEOUT: Duration = Duration::from_secs(1800);
const GENERATION_TIMEOUT: Duration = Duration::from_secs(120);

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())
}

/// A conversation of the year: a few spoken segments, the user's first and the others by one of `people`, on
/// day `n % 365` of `year`.
fn import_body(n: usize, year: i32, people: &[String]) -> String {
    let mut rng = Rng::new(
        0x5eed_0006_u64
            .wrapping_mul(1_000_003)
            .wrapping_add(n as u64),
    );
    let day = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or_default()
        .checked_add_days(chrono::Days::new((n % 365) as u64))
        .unwrap_or_default();
    let started = format!("{day}T{:02}:{:02}:00Z", 8 + n % 12, (n * 7) % 60);
    let mut at = 0.0f64;
    let segments: Vec<Value> = (0..6)
        .map(|i| {
            let speaker = (i % 2) as u32;
            let mut text = text::sentence(&mut rng, 8, 20);
            if speaker == 0 && i == 0 {
                text = format!("I'll send the report to Ann tomorrow. {text}");
            }
            let length = 2.0 + rng.unit() * 6.0;
            let segment = json!({
                "text": text,
                "speaker": format!("SPEAKER_{speaker:02}"),
                "is_user": speaker == 0,
                "person_id": (speaker == 1).then(|| people[n % people.len()].clone()),
                "start": at,
                "end": at + length,
            });
            at += length + rng.unit();
            segment
        })
        .collect();
    json!({"transcript_segments": segments, "started_at": started, "language": "en"}).to_string()
}

/// Imports the conversations with `concurrency` clients; answers the id of the last one created.
async fn import(
    base: &str,
    token: &str,
    count: usize,
    year: i32,
    concurrency: usize,
    people: Arc<Vec<String>>,
) -> Result<String, String> {
    let endpoint = format!("{base}/v1/conversations/from-segments");
    let next = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(std::sync::Mutex::new((0usize, String::new())));
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (endpoint, token, next, last, people) = (
            endpoint.clone(),
            token.to_string(),
            next.clone(),
            last.clone(),
            people.clone(),
        );
        workers.push(tokio::spawn(async move {
            let http = client()?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return Ok::<(), String>(());
                }
                let answer = http
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(import_body(n, year, &people))
                    .send()
                    .await
                    .map_err(|e| format!("import {n}: {e}"))?;
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                if !status.is_success() {
                    return Err(format!("import {n}: HTTP {status}: {text}"));
                }
                let id = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                    .ok_or_else(|| format!("import {n}: no id in {text}"))?;
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if n >= last.0 {
                    *last = (n, id);
                }
            }
        }));
    }
    for worker in workers {
        worker.await.map_err(|e| format!("import task: {e}"))??;
    }
    let last = last.lock().unwrap_or_else(|e| e.into_inner()).1.clone();
    Ok(last)
}

/// Creates `count` people of the user (the conversations name them) and answers their ids.
async fn create_people(base: &str, token: &str, count: usize) -> Result<Vec<String>, String> {
    let http = client()?;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let answer = http
            .post(format!("{base}/v1/users/people"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(json!({ "name": format!("Person {n}") }).to_string())
            .send()
            .await
            .map_err(|e| format!("person {n}: {e}"))?;
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("person {n}: HTTP {status}: {text}"));
        }
        let id = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .ok_or_else(|| format!("person {n}: no id in {text}"))?;
        ids.push(id);
    }
    Ok(ids)
}

async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> Result<(u16, Value), String> {
    let answer = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = answer.status().as_u16();
    let text = answer.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Waits until conversation `id` leaves `processing` (conversations are processed in log order, so the last
/// one created is among the last processed).
async fn wait_processed(base: &str, token: &str, id: &str) -> Result<(), String> {
    let http = client()?;
    let started = Instant::now();
    loop {
        let (_, conversation) =
            get_json(&http, &format!("{base}/v1/conversations/{id}"), token).await?;
        match conversation["status"].as_str() {
            Some("completed") | Some("failed") => return Ok(()),
            _ if started.elapsed() > PROCESSING_TIMEOUT => {
                return Err(format!("conversation {id} was not processed in time"))
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let server: String = args.required("server")?;
    let conversations: usize = args.or("conversations", 5_000)?;
    let year: i32 = args.or("year", 2025)?;
    let concurrency: usize = args.or("concurrency", 8)?;
    let requests: usize = args.or("requests", 1_000)?;
    let warmup: usize = args.or("warmup", 50)?;
    let as_of_runs: usize = args.or("as-of-runs", 5)?;
    let label: String = args.or("label", "p6".to_string())?;
    args.finish()?;
    let base = url.trim_end_matches('/').to_string();
    let token = crate::p4::tokens(&server, 1)
        .await?
        .pop()
        .ok_or("no token")?;

    let started = Instant::now();
    let people = Arc::new(create_people(&base, &token, 7).await?);
    let last = import(&base, &token, conversations, year, concurrency, people).await?;
    wait_processed(&base, &token, &last).await?;
    let prepare_s = started.elapsed().as_secs_f64();
    eprintln!("{label}: {conversations} conversations imported and processed in {prepare_s:.1} s");

    let http = client()?;
    let wrapped = format!("{base}/v1/wrapped/{year}");
    let mut as_of_ms = Vec::with_capacity(as_of_runs);
    let mut counted = 0;
    for _ in 0..as_of_runs.max(1) {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let begun = Instant::now();
        let (status, view) = get_json(&http, &format!("{wrapped}?as_of={now}"), &token).await?;
        as_of_ms.push(begun.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!("GET {wrapped}?as_of: HTTP {status}: {view}"));
        }
        counted = view["result"]["total_conversations"].as_u64().unwrap_or(0);
    }
    as_of_ms.sort_by(f64::total_cmp);
    let as_of_median = as_of_ms[as_of_ms.len() / 2];

    let begun = Instant::now();
    let asked = http
        .post(format!("{wrapped}/generate"))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| format!("POST generate: {e}"))?;
    if !asked.status().is_success() {
        return Err(format!("POST generate: HTTP {}", asked.status()));
    }
    let generate_s = loop {
        let (_, view) = get_json(&http, &wrapped, &token).await?;
        match view["status"].as_str() {
            Some("done") => break begun.elapsed().as_secs_f64(),
            Some("error") => return Err(format!("generation failed: {view}")),
            _ if begun.elapsed() > GENERATION_TIMEOUT => {
                return Err("generation did not finish in time".into())
            }
            _ => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    };

    for _ in 0..warmup {
        get_json(&http, &wrapped, &token).await?;
    }
    let mut samples_us = Vec::with_capacity(requests);
    for _ in 0..requests {
        let begun = Instant::now();
        let (status, _) = get_json(&http, &wrapped, &token).await?;
        samples_us.push(begun.elapsed().as_micros() as u64);
        if status != 200 {
            return Err(format!("GET {wrapped}: HTTP {status}"));
        }
    }
    samples_us.sort_unstable();
    let (p50, p99) = (
        percentile_ms(&samples_us, 50.0),
        percentile_ms(&samples_us, 99.0),
    );
    eprintln!(
        "{label}: {counted} conversations counted in {year}; generation {generate_s:.3} s (target <= 1 s); \
         as_of fold median {as_of_median:.1} ms; GET p50 {p50:.2} ms, p99 {p99:.2} ms (target <= 20 ms)"
    );
    println!("{label}.conversations={conversations}");
    println!("{label}.counted={counted}");
    println!("{label}.prepare_s={prepare_s:.1}");
    println!("{label}.generate_s={generate_s:.3}");
    println!("{label}.as_of_median_ms={as_of_median:.1}");
    println!("{label}.get_p50_ms={p50:.3}");
    println!("{label}.get_p99_ms={p99:.3}");
    Ok(())
}
