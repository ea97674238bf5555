//! P4: concurrent `/v4/listen` sessions with client transcripts (`custom_stt=enabled`), each streaming pcm16
//! at 16 kHz in real time (a 640-byte frame every 20 ms) and sending a `suggested_transcript` with one new
//! segment (unique text) every 1.8–2.2 s (`--segment-ms`, default 2000, ±10 %; 0 streams audio only, to
//! measure the audio path by itself). Sessions are added in steps (each session is its own user, so its
//! own conversation); each step is measured for a window after it settles.
//!
//! Latency, per segment: from sending the `suggested_transcript` to receiving the JSON array that holds that
//! segment's text (what a client experiences; the server merges segments as soon as they arrive). The window's
//! p50/p90/p99 are the result; the target is p99 < 100 ms.
//!
//! The load generator keeps its own cost low so that it is not the limit at 1,000+ sessions on one core shared
//! with PostgreSQL: one shared audio buffer (no copy per frame), small WebSocket read buffers, and its CPU use is
//! reported per step (`cpu.loadgen_cores`) along with the share of real-time audio it delivered (`audio_rate`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::args::Args;
use crate::cpu::{Snapshot, Watch};
use crate::p3::percentile_ms;
use crate::rng::Rng;
use crate::text;

const FRAME: Duration = Duration::from_millis(20);
/// 20 ms of 16 kHz mono pcm16.
const FRAME_BYTES: usize = 640;
const MAX_STEPS: usize = 32;
/// The clients' WebSocket read buffer: they only read small JSON messages (tungstenite's default of 128 KiB is
/// zero-filled before every read).
const READ_BUFFER_BYTES: usize = 8 * 1024;

struct Sample {
    step: usize,
    latency_us: u64,
}

#[derive(Default)]
struct Shared {
    /// Mean time between a session's segments in ms (±10 %); 0: audio only, no segments.
    segment_ms: u64,
    /// The step being measured (1-based), 0 between windows.
    measuring: AtomicUsize,
    stop: AtomicBool,
    alive: AtomicUsize,
    connect_failures: AtomicUsize,
    dropped: AtomicUsize,
    sent: [AtomicU64; MAX_STEPS],
    frames: [AtomicU64; MAX_STEPS],
    samples: Mutex<Vec<Sample>>,
    first_error: Mutex<Option<String>>,
}

impl Shared {
    fn error(&self, error: String) {
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(error);
        }
    }
}

/// (utime + stime) ticks of this process and its threads.
fn own_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0)
}

/// Busy and total ticks of each CPU, from `/proc/stat`.
fn per_cpu() -> Vec<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            let get = |i: usize| v.get(i).copied().unwrap_or(0);
            let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
            (busy, busy + get(3) + get(4))
        })
        .collect()
}

pub async fn tokens(server: &str, count: usize) -> Result<Vec<String>, String> {
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let results = futures_util::stream::iter(0..count)
        .map(|i| {
            let uid = format!("bench-p4-{run}-{i:05}");
            async move {
                let out = tokio::process::Command::new(server)
                    .args(["token", "--uid", &uid])
                    .output()
                    .await
                    .map_err(|e| format!("{server} token: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "{server} token: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<Result<String, String>>>()
        .await;
    results.into_iter().collect()
}

async fn session(index: usize, ws_url: String, token: String, shared: Arc<Shared>) {
    let fail = |e: String| {
        shared.connect_failures.fetch_add(1, Ordering::Relaxed);
        shared.error(format!("session {index}: {e}"));
    };
    let mut request = match ws_url.as_str().into_client_request() {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    match format!("Bearer {token}").parse() {
        Ok(value) => {
            request.headers_mut().insert("authorization", value);
        }
        Err(_) => return fail("bad token".into()),
    }
    let socket = match tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async_with_config(
            request,
            Some(WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES)),
            true,
        ),
    )
    .await
    {
        Ok(Ok((socket, _))) => socket,
        Ok(Err(e)) => return fail(e.to_string()),
        Err(_) => return fail("connect timed out".into()),
    };
    let (mut sink, mut stream) = socket.split();
    // The session streams once the server says `ready`.
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                if text.contains("\"ready\"") {
                    break;
                }
            }
            Ok(Some(Ok(_))) => {}
            other => {
                return fail(format!(
                    "no ready: {:?}",
                    other.map(|o| o.map(|r| r.map(|_| ())))
                ))
            }
        }
    }
    shared.alive.fetch_add(1, Ordering::Relaxed);
    let mut rng = Rng::new(0x9e37_0000 + index as u64);
    let audio = Bytes::from(vec![0u8; FRAME_BYTES]);
    let mut frames = tokio::time::interval(FRAME);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let stream_start = Instant::now();
    // A random phase, so that the sessions' sends are spread evenly over time.
    let segment_ms = shared.segment_ms;
    let mut next_segment = if segment_ms == 0 {
        stream_start + Duration::from_secs(365 * 24 * 3600)
    } else {
        stream_start + Duration::from_millis(rng.between(200, 200 + segment_ms))
    };
    let mut pending: VecDeque<(String, Instant, usize)> = VecDeque::new();
    let mut n = 0u64;
    let result: Result<(), String> = async {
        loop {
            tokio::select! {
                _ = frames.tick() => {
                    if shared.stop.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    let step = shared.measuring.load(Ordering::Relaxed);
                    sink.send(Message::Binary(audio.clone())).await.map_err(|e| format!("send audio: {e}"))?;
                    if step > 0 {
                        shared.frames[step].fetch_add(1, Ordering::Relaxed);
                    }
                    let now = Instant::now();
                    if now >= next_segment {
                        n += 1;
                        let text = format!("p4 s{index} n{n} {}", text::sentence(&mut rng, 4, 12));
                        let at = now.duration_since(stream_start).as_secs_f64();
                        let message = serde_json::json!({
                            "type": "suggested_transcript",
                            "stt_provider": "bench",
                            "segments": [{"text": text, "speaker": "SPEAKER_00", "is_user": n.is_multiple_of(2),
                                          "start": (at - 1.5).max(0.0), "end": at}],
                        });
                        let sent = Instant::now();
                        sink.send(Message::Text(message.to_string().into())).await.map_err(|e| format!("send transcript: {e}"))?;
                        if step > 0 {
                            shared.sent[step].fetch_add(1, Ordering::Relaxed);
                        }
                        pending.push_back((text, sent, step));
                        next_segment = now + Duration::from_millis(rng.between(segment_ms * 9 / 10, segment_ms * 11 / 10));
                    }
                }
                message = stream.next() => match message {
                    Some(Ok(Message::Text(text))) if text.starts_with('[') => {
                        let received = Instant::now();
                        let items: Vec<serde_json::Value> = serde_json::from_str(text.as_str()).unwrap_or_default();
                        for item in items {
                            let Some(t) = item["text"].as_str() else { continue };
                            let Some(position) = pending.iter().position(|(p, _, _)| p == t) else { continue };
                            let Some((_, sent, step)) = pending.remove(position) else { continue };
                            if step > 0 {
                                let latency_us = received.duration_since(sent).as_micros() as u64;
                                let mut samples = shared.samples.lock().unwrap_or_else(|e| e.into_inner());
                                samples.push(Sample { step, latency_us });
                            }
                        }
                    }
                    Some(Ok(Message::Close(frame))) => return Err(format!("closed by the server: {frame:?}")),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(format!("receive: {e}")),
                    None => return Err("the server closed the connection".into()),
                },
            }
        }
    }
    .await;
    shared.alive.fetch_sub(1, Ordering::Relaxed);
    if let Err(error) = result {
        shared.dropped.fetch_add(1, Ordering::Relaxed);
        shared.error(format!("session {index}: {error}"));
    }
    let _ = sink.send(Message::Close(None)).await;
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let server: String = args.required("server")?;
    let steps: String = args.or("steps", "100,250,500,1000,1500".to_string())?;
    let seconds: f64 = args.or("seconds", 30.0)?;
    let settle: f64 = args.or("settle", 5.0)?;
    let ramp_rate: f64 = args.or("ramp-rate", 100.0)?;
    let stop_p99_ms: f64 = args.or("stop-p99-ms", 5_000.0)?;
    let label: String = args.or("label", "p4".to_string())?;
    let segment_ms: u64 = args.or("segment-ms", 2000)?;
    let watch = Watch {
        postgres: args.optional("pg-pid")?,
        process: args.optional("server-pid")?,
    };
    args.finish()?;
    let steps: Vec<usize> = steps
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("--steps: bad number {s:?}"))
        })
        .collect::<Result<_, _>>()?;
    if steps.is_empty() || steps.len() >= MAX_STEPS || steps.windows(2).any(|w| w[0] >= w[1]) {
        return Err("--steps: an increasing list of at most 30 session counts".into());
    }
    let max = *steps.last().unwrap_or(&0);
    let started = Instant::now();
    let tokens = tokens(&server, max).await?;
    eprintln!(
        "P4: {max} tokens in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let ws_url = format!(
        "{}/v4/listen?custom_stt=enabled&codec=pcm16&sample_rate=16000&language=en",
        url.trim_end_matches('/').replacen("http", "ws", 1)
    );
    let shared = Arc::new(Shared {
        segment_ms,
        ..Shared::default()
    });
    let mut handles = Vec::new();
    let mut reached = 0usize;
    println!(
        "{label}.steps={}",
        steps
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    println!("{label}.seconds={seconds}");
    println!("{label}.segment_ms={segment_ms}");
    for (i, &target) in steps.iter().enumerate() {
        let step = i + 1;
        // Ramp up to `target` at `ramp_rate` sessions a second.
        let ramp_started = Instant::now();
        let gap = Duration::from_secs_f64(1.0 / ramp_rate.max(1.0));
        while handles.len() < target {
            let index = handles.len();
            handles.push(tokio::spawn(session(
                index,
                ws_url.clone(),
                tokens[index].clone(),
                shared.clone(),
            )));
            tokio::time::sleep(gap).await;
        }
        let ramp_s = ramp_started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_secs_f64(settle)).await;
        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let before = Snapshot::take(watch);
        let (own_before, cpus_before) = (own_ticks(), per_cpu());
        let window = Instant::now();
        shared.measuring.store(step, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        shared.measuring.store(0, Ordering::Relaxed);
        let wall = window.elapsed().as_secs_f64();
        let after = Snapshot::take(watch);
        let (own_after, cpus_after) = (own_ticks(), per_cpu());
        let alive = shared.alive.load(Ordering::Relaxed);
        // Replies to the window's last sends.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut latency: Vec<u64> = shared
            .samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|s| s.step == step)
            .map(|s| s.latency_us)
            .collect();
        latency.sort_unstable();
        let sent = shared.sent[step].load(Ordering::Relaxed);
        let frames = shared.frames[step].load(Ordering::Relaxed);
        let expected_frames = alive as f64 * wall / FRAME.as_secs_f64();
        let p = format!("{label}.s{target}");
        let cpu_cores: Vec<String> = cpus_before
            .iter()
            .zip(&cpus_after)
            .map(|(a, b)| {
                let total = b.1.saturating_sub(a.1).max(1) as f64;
                format!("{:.2}", b.0.saturating_sub(a.0) as f64 / total)
            })
            .collect();
        println!("{p}.sessions={alive}");
        println!("{p}.ramp_s={ramp_s:.1}");
        println!(
            "{p}.loadavg={}",
            loadavg
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!("{p}.segments_sent={sent}");
        println!("{p}.segments_answered={}", latency.len());
        println!(
            "{p}.audio_rate={:.3}",
            frames as f64 / expected_frames.max(1.0)
        );
        for q in [50.0, 90.0, 99.0, 100.0] {
            let key = if q == 100.0 {
                "max".to_string()
            } else {
                format!("p{q:.0}")
            };
            println!("{p}.latency_{key}_ms={:.1}", percentile_ms(&latency, q));
        }
        println!(
            "{}",
            before.report(&after, &format!("{p}.cpu"), "server", "children")
        );
        println!(
            "{p}.cpu.loadgen_cores={:.2}",
            own_after.saturating_sub(own_before) as f64 / 100.0 / wall
        );
        println!("{p}.cpu.per_cpu_busy={}", cpu_cores.join(","));
        eprintln!(
            "P4: {alive}/{target} sessions: latency p50 {:.0} ms p90 {:.0} ms p99 {:.0} ms; {} of {sent} segments \
             answered; audio {:.1} %; per-CPU busy {}",
            percentile_ms(&latency, 50.0),
            percentile_ms(&latency, 90.0),
            percentile_ms(&latency, 99.0),
            latency.len(),
            frames as f64 / expected_frames.max(1.0) * 100.0,
            cpu_cores.join(",")
        );
        reached = target;
        // Stop when the step failed: p99 over the limit, sessions lost, or segments not answered.
        if percentile_ms(&latency, 99.0) > stop_p99_ms
            || alive * 10 < target * 9
            || (latency.len() as u64) * 10 < sent * 9
        {
            eprintln!(
                "P4: stopping the ramp at {target} sessions (p99 over {stop_p99_ms} ms, sessions lost, or \
                 under 90 % of segments answered)"
            );
            break;
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    for handle in handles {
        let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
    }
    println!("{label}.reached={reached}");
    println!(
        "{label}.connect_failures={}",
        shared.connect_failures.load(Ordering::Relaxed)
    );
    println!("{label}.dropped={}", shared.dropped.load(Ordering::Relaxed));
    if let Some(error) = shared
        .first_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        println!("{label}.first_error={}", error.replace('\n', " "));
    }
    Ok(())
}
