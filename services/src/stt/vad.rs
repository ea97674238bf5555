//! Energy-based voice activity detection: cuts a live PCM stream into utterance-sized chunks for
//! engines that transcribe whole files (OpenAI-compatible `/audio/transcriptions`).
//!
//! The stream is looked at in frames of 30 ms. A frame is loud when its RMS level stands well above an
//! adaptive noise floor (and above an absolute minimum, so digital silence is never speech). The floor
//! is the quietest frame of the last few seconds ("minimum statistics"): it follows a changing
//! background within that window, and speech, which always has pauses, does not raise it. Speech
//! starts after a run of loud frames; the chunk then includes a pre-roll of the audio just before.
//! A chunk ends after enough silence following speech, or when it reaches the maximum length (the
//! next chunk then starts right away).

use std::collections::VecDeque;

/// Tuning of the [`Vad`]; the defaults suit speech at any usual rate.
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Analysis frame length, in milliseconds.
    pub frame_ms: u32,
    /// Consecutive loud frames that start speech.
    pub start_frames: u32,
    /// Silence after speech that ends a chunk, in milliseconds.
    pub end_silence_ms: u32,
    /// Longest chunk, in milliseconds.
    pub max_chunk_ms: u32,
    /// Audio kept before the detected start of speech, in milliseconds.
    pub pre_roll_ms: u32,
    /// A frame is loud when its RMS exceeds the noise floor times this factor...
    pub threshold_ratio: f64,
    /// ...and this absolute RMS (16-bit scale; 60 ≈ −55 dBFS).
    pub min_rms: f64,
    /// The noise floor is the quietest frame of this window, in milliseconds.
    pub noise_window_ms: u32,
}

impl Default for VadConfig {
    fn default() -> VadConfig {
        VadConfig {
            frame_ms: 30,
            start_frames: 3,
            end_silence_ms: 700,
            max_chunk_ms: 30_000,
            pre_roll_ms: 300,
            threshold_ratio: 2.5,
            min_rms: 60.0,
            noise_window_ms: 3000,
        }
    }
}

/// A chunk of speech cut from the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct VadChunk {
    /// Index in the stream of the chunk's first sample.
    pub start_sample: u64,
    pub samples: Vec<i16>,
}

impl VadChunk {
    /// Start in seconds since the stream's first sample.
    pub fn start_seconds(&self, sample_rate: u32) -> f64 {
        self.start_sample as f64 / sample_rate as f64
    }

    pub fn duration_seconds(&self, sample_rate: u32) -> f64 {
        self.samples.len() as f64 / sample_rate as f64
    }
}

/// The detector for one stream: feed it PCM with [`Vad::push`], collect chunks, and call
/// [`Vad::flush`] at the end of the stream.
#[derive(Debug)]
pub struct Vad {
    frame_len: usize,
    start_frames: usize,
    end_silence_frames: usize,
    max_chunk_samples: usize,
    pre_roll_frames: usize,
    threshold_ratio: f64,
    min_rms: f64,
    /// Samples of an incomplete frame.
    partial: Vec<i16>,
    /// Samples of the stream consumed into whole frames so far.
    position: u64,
    /// RMS of the frames of the noise window, oldest first.
    levels: VecDeque<f64>,
    noise_window: usize,
    /// Not in speech: the latest frames (pre-roll and the current loud run), oldest first.
    recent: VecDeque<Vec<i16>>,
    loud_run: usize,
    /// In speech: the chunk being built.
    chunk: Option<VadChunk>,
    silent_run: usize,
}

impl Vad {
    pub fn new(sample_rate: u32, config: &VadConfig) -> Vad {
        let per_ms = sample_rate as f64 / 1000.0;
        let frame_len = ((config.frame_ms.max(1) as f64 * per_ms).round() as usize).max(1);
        let frames = |ms: u32| (ms as f64 / config.frame_ms.max(1) as f64).ceil() as usize;
        Vad {
            frame_len,
            start_frames: (config.start_frames as usize).max(1),
            end_silence_frames: frames(config.end_silence_ms).max(1),
            max_chunk_samples: ((config.max_chunk_ms as f64 * per_ms) as usize).max(frame_len),
            pre_roll_frames: frames(config.pre_roll_ms),
            threshold_ratio: config.threshold_ratio,
            min_rms: config.min_rms,
            partial: Vec::with_capacity(frame_len),
            position: 0,
            levels: VecDeque::new(),
            noise_window: frames(config.noise_window_ms).max(1),
            recent: VecDeque::new(),
            loud_run: 0,
            chunk: None,
            silent_run: 0,
        }
    }

    /// Whether speech is going on (a chunk is being built).
    pub fn in_speech(&self) -> bool {
        self.chunk.is_some()
    }

    /// Feeds samples; returns the chunks that ended.
    pub fn push(&mut self, samples: &[i16]) -> Vec<VadChunk> {
        let mut out = Vec::new();
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.frame_len - self.partial.len()).min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.partial.len() == self.frame_len {
                let frame =
                    std::mem::replace(&mut self.partial, Vec::with_capacity(self.frame_len));
                if let Some(chunk) = self.frame(frame) {
                    out.push(chunk);
                }
            }
        }
        out
    }

    /// Ends the stream: the chunk in progress (with any incomplete frame), if speech was going on.
    pub fn flush(&mut self) -> Option<VadChunk> {
        let partial = std::mem::take(&mut self.partial);
        let mut chunk = self.chunk.take()?;
        chunk.samples.extend_from_slice(&partial);
        self.silent_run = 0;
        Some(chunk)
    }

    fn frame(&mut self, frame: Vec<i16>) -> Option<VadChunk> {
        let start = self.position;
        self.position += frame.len() as u64;
        let rms = (frame.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>()
            / frame.len() as f64)
            .sqrt();
        let noise = self.levels.iter().copied().fold(f64::INFINITY, f64::min);
        let loud =
            rms > self.min_rms && (self.levels.is_empty() || rms > noise * self.threshold_ratio);
        if self.levels.len() == self.noise_window {
            self.levels.pop_front();
        }
        self.levels.push_back(rms);

        if let Some(chunk) = &mut self.chunk {
            self.silent_run = if loud { 0 } else { self.silent_run + 1 };
            let fits = chunk.samples.len() + frame.len() <= self.max_chunk_samples;
            if self.silent_run >= self.end_silence_frames {
                if fits {
                    chunk.samples.extend_from_slice(&frame);
                }
                self.silent_run = 0;
                return self.chunk.take();
            }
            if !fits {
                // Full: cut here, and go on at once with a new chunk: speech is still going on.
                let next = VadChunk {
                    start_sample: start,
                    samples: frame,
                };
                return self.chunk.replace(next);
            }
            chunk.samples.extend_from_slice(&frame);
            return None;
        }

        self.loud_run = if loud { self.loud_run + 1 } else { 0 };
        self.recent.push_back(frame);
        while self.recent.len() > self.pre_roll_frames + self.loud_run {
            self.recent.pop_front();
        }
        if self.loud_run >= self.start_frames {
            let frames = self.recent.len() as u64;
            let chunk_start = start + self.frame_len as u64 - frames * self.frame_len as u64;
            let mut samples = Vec::with_capacity(self.max_chunk_samples.min(1 << 20));
            for f in self.recent.drain(..) {
                samples.extend_from_slice(&f);
            }
            self.loud_run = 0;
            self.silent_run = 0;
            self.chunk = Some(VadChunk {
                start_sample: chunk_start,
                samples,
            });
        }
        None
    }
}
