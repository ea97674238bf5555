//! Decoding what devices stream on `/v4/listen` (spec §4.1, §4.3) into mono 16-bit PCM.
//!
//! - `pcm8` / `pcm16`: raw 16-bit little-endian PCM at the requested rate (the name only reflects the
//!   device's usual rate); interleaved multi-channel input is down-mixed to mono; a partial sample at
//!   the end of a frame is carried over to the next frame.
//! - `opus` / `opus_fs320`: one Opus packet per WebSocket frame (160- or 320-sample frames), decoded by
//!   the pure-Rust `opus-rs` (bit-exact with libopus on libopus-encoded packets; see the tests), only at
//!   16 kHz like the reference server.
//! - `aac`, `lc3`, `lc3_fs1030`: not supported; [`Codec::parse`] returns `None` and the caller closes the
//!   socket.
//!
//! A corrupt frame is an error for that frame only; the decoder stays usable. Frames of at most
//! [`KEEPALIVE_MAX_BYTES`] bytes are keepalives: the caller filters them, and [`Decoder::decode`] ignores
//! them too (empty output, no state change).

mod wav;

pub use wav::wav_bytes;

use std::fmt;

/// Frames of this many bytes or fewer are keepalives, not audio (spec §4.3).
pub const KEEPALIVE_MAX_BYTES: usize = 2;

/// The only rate at which Opus is decoded (as in the reference server).
pub const OPUS_SAMPLE_RATE: u32 = 16_000;

/// The largest Opus packet duration (120 ms) at 16 kHz, in samples per channel.
const OPUS_MAX_FRAME: usize = 1920;

/// An audio codec of the `/v4/listen` `codec` query parameter that this server decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Pcm8,
    Pcm16,
    Opus,
    OpusFs320,
}

impl Codec {
    /// The codec for a wire name (`pcm8`, `pcm16`, `opus`, `opus_fs320`); `None` for anything else,
    /// including the spec's `aac`, `lc3` and `lc3_fs1030`, which this server does not decode.
    pub fn parse(name: &str) -> Option<Codec> {
        match name {
            "pcm8" => Some(Codec::Pcm8),
            "pcm16" => Some(Codec::Pcm16),
            "opus" => Some(Codec::Opus),
            "opus_fs320" => Some(Codec::OpusFs320),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Pcm8 => "pcm8",
            Codec::Pcm16 => "pcm16",
            Codec::Opus => "opus",
            Codec::OpusFs320 => "opus_fs320",
        }
    }

    /// Whether this is one of the Opus codecs.
    pub fn is_opus(self) -> bool {
        matches!(self, Codec::Opus | Codec::OpusFs320)
    }

    /// Samples per channel in one device frame: 160 for `opus`, 320 for `opus_fs320`; `None` for PCM,
    /// whose frames have any length.
    pub fn frame_samples(self) -> Option<usize> {
        match self {
            Codec::Opus => Some(160),
            Codec::OpusFs320 => Some(320),
            Codec::Pcm8 | Codec::Pcm16 => None,
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a decoder could not be created or a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    #[error("{codec} is only decoded at {OPUS_SAMPLE_RATE} Hz, not at sample_rate={sample_rate}")]
    UnsupportedSampleRate { codec: Codec, sample_rate: u32 },
    #[error("invalid sample_rate {0}")]
    InvalidSampleRate(u32),
    #[error("invalid channel count {channels} for {codec} (supported: {max} at most)")]
    InvalidChannels {
        codec: Codec,
        channels: u16,
        max: u16,
    },
    #[error("corrupt {codec} frame of {len} bytes: {reason}")]
    CorruptFrame {
        codec: Codec,
        len: usize,
        reason: String,
    },
}

/// Decodes the frames of one stream into mono 16-bit PCM at the stream's sample rate.
pub struct Decoder {
    codec: Codec,
    sample_rate: u32,
    channels: u16,
    inner: Inner,
}

enum Inner {
    Pcm {
        /// Bytes of an incomplete sample frame (all channels) left over from the last frame.
        pending: Vec<u8>,
    },
    Opus {
        decoder: Box<opus_rs::OpusDecoder>,
        buf: Vec<f32>,
    },
}

/// The most channels accepted for interleaved PCM.
const PCM_MAX_CHANNELS: u16 = 8;
/// The highest sample rate accepted for PCM.
const PCM_MAX_SAMPLE_RATE: u32 = 384_000;

impl Decoder {
    /// A decoder for `codec` at `sample_rate` Hz with `channels` interleaved channels. Opus needs
    /// `sample_rate == 16000` and 1 or 2 channels; PCM takes 1 to 8 channels at any positive rate.
    pub fn new(codec: Codec, sample_rate: u32, channels: u16) -> Result<Decoder, AudioError> {
        if sample_rate == 0 || sample_rate > PCM_MAX_SAMPLE_RATE {
            return Err(AudioError::InvalidSampleRate(sample_rate));
        }
        let inner = match codec {
            Codec::Pcm8 | Codec::Pcm16 => {
                if channels == 0 || channels > PCM_MAX_CHANNELS {
                    return Err(AudioError::InvalidChannels {
                        codec,
                        channels,
                        max: PCM_MAX_CHANNELS,
                    });
                }
                Inner::Pcm {
                    pending: Vec::new(),
                }
            }
            Codec::Opus | Codec::OpusFs320 => {
                if sample_rate != OPUS_SAMPLE_RATE {
                    return Err(AudioError::UnsupportedSampleRate { codec, sample_rate });
                }
                if channels == 0 || channels > 2 {
                    return Err(AudioError::InvalidChannels {
                        codec,
                        channels,
                        max: 2,
                    });
                }
                // A mono decoder down-mixes stereo packets itself, as libopus does.
                let decoder =
                    opus_rs::OpusDecoder::new(OPUS_SAMPLE_RATE as i32, 1).map_err(|e| {
                        AudioError::CorruptFrame {
                            codec,
                            len: 0,
                            reason: e.to_string(),
                        }
                    })?;
                Inner::Opus {
                    decoder: Box::new(decoder),
                    buf: vec![0.0; OPUS_MAX_FRAME],
                }
            }
        };
        Ok(Decoder {
            codec,
            sample_rate,
            channels,
            inner,
        })
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The rate of the decoded PCM (the stream's rate).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Decodes one WebSocket frame into mono samples at [`Decoder::sample_rate`]. Frames of at most
    /// [`KEEPALIVE_MAX_BYTES`] bytes are keepalives and yield nothing. An error concerns this frame
    /// only: the decoder can go on with the next.
    pub fn decode(&mut self, frame: &[u8]) -> Result<Vec<i16>, AudioError> {
        if frame.len() <= KEEPALIVE_MAX_BYTES {
            return Ok(Vec::new());
        }
        let codec = self.codec;
        match &mut self.inner {
            Inner::Pcm { pending } => Ok(decode_pcm(pending, frame, self.channels as usize)),
            Inner::Opus { decoder, buf } => {
                // opus-rs does not panic on garbage in our fuzzing, but a panic must never take the
                // session down: contain it and reset the decoder state.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decoder.decode(frame, OPUS_MAX_FRAME, buf)
                }));
                match result {
                    Ok(Ok(n)) => Ok(buf[..n.min(buf.len())]
                        .iter()
                        .map(|&x| f32_to_i16(x))
                        .collect()),
                    Ok(Err(reason)) => Err(AudioError::CorruptFrame {
                        codec,
                        len: frame.len(),
                        reason: reason.to_string(),
                    }),
                    Err(_) => {
                        if let Ok(fresh) = opus_rs::OpusDecoder::new(OPUS_SAMPLE_RATE as i32, 1) {
                            **decoder = fresh;
                        }
                        Err(AudioError::CorruptFrame {
                            codec,
                            len: frame.len(),
                            reason: "the Opus decoder failed on this packet".into(),
                        })
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("codec", &self.codec)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .finish()
    }
}

/// libopus's float-to-int16 conversion (`FLOAT2INT16`): scale, round, saturate.
fn f32_to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

fn decode_pcm(pending: &mut Vec<u8>, frame: &[u8], channels: usize) -> Vec<i16> {
    let block = 2 * channels;
    if pending.is_empty() {
        let whole = frame.len() / block * block;
        pending.extend_from_slice(&frame[whole..]);
        return mix(&frame[..whole], channels);
    }
    let mut data = std::mem::take(pending);
    data.extend_from_slice(frame);
    let whole = data.len() / block * block;
    pending.extend_from_slice(&data[whole..]);
    mix(&data[..whole], channels)
}

/// Interleaved 16-bit LE samples (whole sample frames) to mono: the mean of the channels.
fn mix(data: &[u8], channels: usize) -> Vec<i16> {
    if channels == 1 {
        return data
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
    }
    data.chunks_exact(2 * channels)
        .map(|frame| {
            let sum: i32 = frame
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]) as i32)
                .sum();
            (sum / channels as i32) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests;
