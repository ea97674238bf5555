//! Adapters to the outside world, each behind a trait with a working offline default:
//! - `chat`: answering chat messages from retrieved history (extractive; OpenAI-compatible streaming with tools);
//! - `llm`: language models (OpenAI-compatible chat completions; the embedded extractive pipeline);
//! - `stt`: speech-to-text (Deepgram-compatible streaming; OpenAI-compatible transcriptions);
//! - `audio`: decoding what devices stream (PCM, Opus) into 16-bit PCM.

pub mod audio;
pub mod chat;
pub mod llm;
pub mod stt;
