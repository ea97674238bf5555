//! P10: webhook deliveries to a local receiver, on a server started with `OMI_WEBHOOK_ALLOW_PRIVATE=1`:
//!
//! - the run starts a receiver on 127.0.0.1 (answers 200 at once) and points the user's `memory_created` webhook
//!   at it, or, with `--apps N`, creates N `memory_creation` apps of the user whose webhooks all point at it and
//!   enables them;
//! - it imports `--conversations` (200) conversations with `--concurrency` (8) clients, or, with
//!   `--interval-ms M`, one every M milliseconds (paced: the latency of a load the server keeps up with); each is
//!   processed by the server's pipeline, whose `ConversationProcessed` event schedules one delivery per webhook;
//! - **latency**: from the import's answer to each delivery's first attempt arriving at the receiver, p50 and
//!   p99 (an upper bound of "causing event → first attempt", since it includes the processing; target p99 ≤ 1 s);
//! - the same from the developer delivery log (developer webhook only): from scheduling to first attempt;
//! - **throughput**: deliveries received per second between the first and the last arrival, against the
//!   baseline of the same number of POSTs of the same body sent straight to the receiver by
//!   [`CLIENTS`] clients (the delivery worker's concurrency) in the same run;
//! - every delivery must arrive, and each `webhook-id` exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::args::Args;
use crate::p3::percentile_ms;

/// The clients of the baseline: as many as the server's delivery worker has attempts in flight.
const CLIENTS: usize = 64;

/// Arrivals by conversation id: when, and with which `webhook-id`.
type Arrivals = Arc<Mutex<HashMap<String, Vec<(Instant, String)>>>>;

pub async fn run(mut args: Args) -> Result<(), String> {
    let base: String = args.required("url")?;
    let token: String = args.required("token")?;
    let count: usize = args.or("conversations", 200)?;
    let concurrency: usize = args.or("concurrency", 8)?;
    let label: String = args.or("label", "p10".to_string())?;
    let apps: usize = args.or("apps", 0)?;
    let interval_ms: u64 = args.or("interval-ms", 0)?;
    args.finish()?;
    // Paced: one import at a time, started every `interval_ms`, so the latency is that of a load the server keeps
    // up with rather than of a queue.
    let (concurrency, interval) = match interval_ms {
        0 => (concurrency, None),
        ms => (1, Some(Duration::from_millis(ms))),
    };
    let per_conversation = apps.max(1);
    let expected = count * per_conversation;

    let arrivals: Arrivals = Arc::default();
    let receiving = Arc::clone(&arrivals);
    let port = start_receiver(Arc::new(move |arrived, webhook_id, body: &[u8]| {
        if let Ok(body) = serde_json::from_slice::<Value>(body) {
            if let Some(id) = body["id"].as_str() {
                receiving
                    .lock()
                    .unwrap()
                    .entry(id.to_string())
                    .or_default()
                    .push((arrived, webhook_id));
            }
        }
    }))
    .await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let receiver = format!("http://127.0.0.1:{port}/hook");
    if apps == 0 {
        set_developer_webhook(&http, &base, &token, "memory_created", &receiver).await?;
    } else {
        create_apps(&http, &base, &token, &receiver, apps).await?;
        eprintln!("{label}: {apps} apps created and enabled");
    }
    let answered: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    futures_util::stream::iter(0..count)
        .for_each_concurrent(concurrency, |n| {
            let (http, base, token, answered) = (&http, &base, &token, Arc::clone(&answered));
            async move {
                if let Some(interval) = interval {
                    tokio::time::sleep_until((started + interval * n as u32).into()).await;
                }
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
    let deadline = Instant::now() + Duration::from_secs(1800);
    let arrived =
        |arrivals: &Arrivals| -> usize { arrivals.lock().unwrap().values().map(Vec::len).sum() };
    while arrived(&arrivals) < expected {
        if Instant::now() > deadline {
            return Err(format!(
                "{} of {expected} deliveries arrived",
                arrived(&arrivals)
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
        // The first arrival of each webhook-id is that delivery's first attempt.
        let mut firsts: HashMap<&str, Instant> = HashMap::new();
        for (at, id) in got {
            let first_of = firsts.entry(id.as_str()).or_insert(*at);
            *first_of = (*first_of).min(*at);
            *ids.entry(id.clone()).or_insert(0usize) += 1;
        }
        if firsts.len() != per_conversation {
            return Err(format!(
                "conversation {conversation} was delivered to {} webhooks, not {per_conversation}",
                firsts.len()
            ));
        }
        for arrived in firsts.into_values() {
            latencies_us.push(arrived.saturating_duration_since(*at_answer).as_micros() as u64);
            first = Some(first.map_or(arrived, |f| f.min(arrived)));
            last = Some(last.map_or(arrived, |l| l.max(arrived)));
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
    let rate = expected as f64 / span;
    eprintln!(
        "{label}: {expected} deliveries, {rate:.1}/s; import answered → first attempt p50 {p50:.1} ms, p99 {p99:.1} ms; \
         webhook-ids received more than once: {repeated}"
    );
    println!("{label}_apps={apps}");
    println!("{label}_deliveries={expected}");
    println!("{label}_deliveries_per_second={rate:.1}");
    println!("{label}_first_attempt_p50_ms={p50:.1}");
    println!("{label}_first_attempt_p99_ms={p99:.1}");
    println!("{label}_repeated_ids={repeated}");
    let baseline = baseline_rate(&http, &receiver, expected.min(20_000)).await?;
    eprintln!(
        "{label}: baseline, POSTs straight to the receiver by {CLIENTS} clients: {baseline:.1}/s; ratio {:.3}",
        rate / baseline
    );
    println!("{label}_baseline_posts_per_second={baseline:.1}");
    println!("{label}_throughput_ratio={:.3}", rate / baseline);
    if apps > 0 {
        return Ok(());
    }
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

/// Points the user's developer webhook of type `wtype` (`memory_created`, `realtime_transcript`, …) at `receiver`.
pub(crate) async fn set_developer_webhook(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    wtype: &str,
    receiver: &str,
) -> Result<(), String> {
    let set = http
        .post(format!("{base}/v1/users/developer/webhook/{wtype}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(json!({ "url": receiver }).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !set.status().is_success() {
        return Err(format!("setting the webhook answered {}", set.status()));
    }
    Ok(())
}

/// Creates `count` `memory_creation` apps of the user calling `receiver`, and enables each.
pub(crate) async fn create_apps(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    receiver: &str,
    count: usize,
) -> Result<(), String> {
    let boundary = "omi-bench-p10";
    let results: Vec<Result<(), String>> = futures_util::stream::iter(0..count)
        .map(|n| async move {
            let app_data = json!({
                "name": format!("Bench hook {n}"), "description": "Hears about every conversation",
                "category": "utilities-and-tools", "capabilities": ["external_integration"],
                "external_integration": {"triggers_on": "memory_creation", "webhook_url": receiver},
            });
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"app_data\"\r\n\r\n{app_data}\r\n--{boundary}--\r\n"
            );
            let created = http
                .post(format!("{base}/v1/apps"))
                .bearer_auth(token)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let created = created.bytes().await.map_err(|e| e.to_string())?;
            let created: Value = serde_json::from_slice(&created).map_err(|e| e.to_string())?;
            let app_id = created["app_id"]
                .as_str()
                .ok_or_else(|| format!("creating an app answered {created}"))?;
            let enabled = http
                .post(format!("{base}/v1/apps/enable?app_id={app_id}"))
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !enabled.status().is_success() {
                return Err(format!("enabling an app answered {}", enabled.status()));
            }
            Ok(())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

/// POSTs per second straight to the receiver: `count` requests with a conversation-sized body from [`CLIENTS`]
/// clients.
async fn baseline_rate(
    http: &reqwest::Client,
    receiver: &str,
    count: usize,
) -> Result<f64, String> {
    let body = json!({"id": "baseline", "structured": {"title": "x".repeat(200), "overview": "y".repeat(800)}})
        .to_string();
    let started = Instant::now();
    let failures: usize = futures_util::stream::iter(0..count)
        .map(|n| {
            let body = body.clone();
            async move {
                let sent = http
                    .post(receiver)
                    .header("content-type", "application/json")
                    .header("webhook-id", format!("baseline_{n}"))
                    .body(body)
                    .send()
                    .await;
                usize::from(!sent.is_ok_and(|r| r.status().is_success()))
            }
        })
        .buffer_unordered(CLIENTS)
        .fold(0, |sum, failed| async move { sum + failed })
        .await;
    if failures > 0 {
        return Err(format!("{failures} baseline POSTs failed"));
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
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

/// What a receiver does with each request: its arrival (headers read), its `webhook-id` and its body.
pub(crate) type Record = Arc<dyn Fn(Instant, String, &[u8]) + Send + Sync>;

/// Starts a receiver on 127.0.0.1 that answers every request 200 after handing it to `record`; returns its port.
pub(crate) async fn start_receiver(record: Record) -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let _ = receive(stream, record).await;
            });
        }
    });
    Ok(port)
}

/// Reads one request, hands it to `record`, answers 200.
async fn receive(mut stream: TcpStream, record: Record) -> std::io::Result<()> {
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
    record(arrived, webhook_id, &buffer[head_end..]);
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await?;
    stream.shutdown().await
}
