//! Adapters to the outside world, each behind a trait with a working offline default:
//! - `llm`: language models (OpenAI-compatible chat completions; the embedded extractive pipeline);
//! - `stt`: speech-to-text (Deepgram-compatible streaming; OpenAI-compatible transcriptions);
//! - `audio`: decoding what devices stream (PCM, Opus) into 16-bit PCM;
//! - `outbound`: the address guard of requests made for apps (setup checks, webhooks).

pub mod audio;
pub mod llm;
pub mod outbound;
pub mod stt;
