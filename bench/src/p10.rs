//! P10: developer webhook deliveries to a local receiver, on a server started with `OMI_WEBHOOK_ALLOW_PRIVATE=1`:
//!
//! - the run starts a receiver on 127.0.0.1 (answers 200 at once) and points the user's `memory_created` webhook
//!   at it;
//! - it imports `--conversations` (200) conversations with `--concurrency` (8) clients; each is processed by the
//!   server's pipeline, whose `ConversationProcessed` event schedules one delivery;
//! - **latency**: from the import's answer to the first attempt arriving at the receiver, p50 and p99 (an upper
//!   bound of "causing event → first attempt", since it includes the processing; target p99 ≤ 1 s);
//! - the same from the delivery log: from a delivery's scheduling to its first attempt, p50 and p99;
//! - **throughput**: deliveries received per second between the first and the last arrival;
//! - every conversation must arrive, and each `webhook-id` exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::args::Args;
use crate::p3::percentile_ms;

/// Arrivals by conversation id: when, and with which `webhook-id`.
type Arrivals = Arc<Mutex<HashMap<String, Vec<(Instant, String)>>>>;

pub async fn run(mut args: Args) -> Result<(), String> {
    let base: String = args.required("url")?;
    let token: String = args.required("token")?;
    let count: usize = args.or("conversations", 200)?;
    let concurrency: usize = args.or("concurrency", 8)?;
    let label: String = args.or("label", "p10".to_string())?;
    args.finish()?;

    let arrivals: Arrivals = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let receiving = Arc::clone(&arrivals);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let arrivals = Arc::clone(&receiving);
            tokio::spawn(async move {
                let _ = receive(stream, arrivals).await;
            });
        }
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let hook = format!("{base}/v1/users/developer/webhook/memory_created");
    let set = http
        .post(&hook)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json!({"url": format!("http://127.0.0.1:{port}/hook")}).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !set.status().is_success() {
        return Err(format!("setting the webhook answered {}", set.status()));
    }

    let answered: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    futures_util::stream::iter(0..count)
        .for_each_concurrent(concurrency, |n| {
            let (http, base, token, answered) = (&http, &base, &token, Arc::clone(&answered));
            async move {
                let body = json!({"transcript_segments": [
                    {"text": format!("Meeting {n}: we ship the launch on Friday and I send Ann the budget."), "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 5.0},
                    {"text": "Sounds good, let's review it on Monday at 10am.", "speaker": "SPEAKER_01", "start": 5.5, "end": 9.0},
                ]});
                let sent = http
                    .post(format!("{base}/v1/conversations/from-segments"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                if let Ok(response) = sent {
                    if let Ok(value) = response
                        .bytes()
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()))
                    {
                        if let Some(id) = value["id"].as_str() {
                            answered.lock().unwrap().insert(id.to_string(), Instant::now());
                        }
                    }
                }
            }
        })
        .await;
    let answered = answered.lock().unwrap().clone();
    if answered.len() != count {
        return Err(format!("{} of {count} imports answered", answered.len()));
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while arrivals.lock().unwrap().len() < count {
        if Instant::now() > deadline {
            return Err(format!(
                "{} of {count} deliveries arrived",
                arrivals.lock().unwrap().len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let arrivals = arrivals.lock().unwrap().clone();
    let mut latencies_us = Vec::new();
    let mut ids = HashMap::new();
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    for (conversation, at_answer) in &answered {
        let got = arrivals
            .get(conversation)
            .ok_or_else(|| format!("conversation {conversation} was never delivered"))?;
        let (arrived, _) = got
            .iter()
            .min_by_key(|(at, _)| *at)
            .cloned()
            .unwrap_or((*at_answer, String::new()));
        latencies_us.push(arrived.saturating_duration_since(*at_answer).as_micros() as u64);
        first = Some(first.map_or(arrived, |f| f.min(arrived)));
        last = Some(last.map_or(arrived, |l| l.max(arrived)));
        for (_, id) in got {
            *ids.entry(id.clone()).or_insert(0usize) += 1;
        }
    }
    let repeated = ids.values().filter(|&&n| n > 1).count();
    latencies_us.sort_unstable();
    let span = last
        .zip(first)
        .map(|(l, f)| l.duration_since(f).as_secs_f64())
        .unwrap_or(0.0)
        .max(0.001);
    let p50 = percentile_ms(&latencies_us, 50.0);
    let p99 = percentile_ms(&latencies_us, 99.0);
    let rate = count as f64 / span;
    eprintln!(
        "{label}: {count} deliveries, {rate:.1}/s; import answered → first attempt p50 {p50:.1} ms, p99 {p99:.1} ms; \
         webhook-ids received more than once: {repeated}"
    );
    println!("{label}_deliveries={count}");
    println!("{label}_deliveries_per_second={rate:.1}");
    println!("{label}_first_attempt_p50_ms={p50:.1}");
    println!("{label}_first_attempt_p99_ms={p99:.1}");
    println!("{label}_repeated_ids={repeated}");
    let scheduled = scheduled_to_first_attempt_us(&http, &base, &token, count).await?;
    let (s50, s99) = (
        percentile_ms(&scheduled, 50.0),
        percentile_ms(&scheduled, 99.0),
    );
    eprintln!("{label}: delivery scheduled → first attempt (server clock) p50 {s50:.1} ms, p99 {s99:.1} ms");
    println!("{label}_scheduled_to_first_attempt_p50_ms={s50:.1}");
    println!("{label}_scheduled_to_first_attempt_p99_ms={s99:.1}");
    Ok(())
}

/// From the delivery log: for each delivery, the time from its scheduling to its first attempt (sorted, µs).
async fn scheduled_to_first_attempt_us(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    count: usize,
) -> Result<Vec<u64>, String> {
    let mut found = Vec::new();
    let mut offset = 0;
    while found.len() < count {
        let page = http
            .get(format!(
                "{base}/v1/users/developer/webhooks/deliveries?limit=200&offset={offset}"
            ))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        let page: Value = serde_json::from_slice(&page).map_err(|e| e.to_string())?;
        let deliveries = page["deliveries"].as_array().cloned().unwrap_or_default();
        if deliveries.is_empty() {
            break;
        }
        offset += deliveries.len();
        for delivery in deliveries {
            let at = |value: &Value| {
                value
                    .as_str()
                    .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
            };
            if let (Some(scheduled), Some(attempted)) = (
                at(&delivery["created_at"]),
                at(&delivery["attempts"][0]["attempted_at"]),
            ) {
                found.push(
                    (attempted - scheduled)
                        .num_microseconds()
                        .unwrap_or(0)
                        .max(0) as u64,
                );
            }
        }
    }
    found.sort_unstable();
    Ok(found)
}

/// Reads one request, records its conversation id and `webhook-id`, answers 200.
async fn receive(mut stream: TcpStream, arrivals: Arrivals) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let arrived = Instant::now();
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            line.strip_prefix(name)
                .map(|v| v.trim_start_matches(':').trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let webhook_id = header("webhook-id").unwrap_or_default();
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    if let Ok(body) = serde_json::from_slice::<Value>(&buffer[head_end..]) {
        if let Some(id) = body["id"].as_str() {
            arrivals
                .lock()
                .unwrap()
                .entry(id.to_string())
                .or_default()
                .push((arrived, webhook_id));
        }
    }
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await?;
    stream.shutdown().await
}
