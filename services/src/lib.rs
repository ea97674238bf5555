//! Adapters to the outside world, each behind a trait with a working offline default:
//! - `chat`: answering chat messages from retrieved history (extractive; OpenAI-compatible streaming with tools);
//! - `embeddings`: vectors for semantic search (OpenAI-compatible `/v1/embeddings`; none offline: search is
//!   full-text only);
//! - `llm`: language models (OpenAI-compatible chat completions; the embedded extractive pipeline);
//! - `stt`: speech-to-text (Deepgram-compatible streaming; OpenAI-compatible transcriptions);
//! - `audio`: decoding what devices stream (PCM, Opus) into 16-bit PCM;
//! - `oauth`: the OAuth 2.0 providers of account integrations (Google Calendar);
//! - `push`: push notifications (Firebase Cloud Messaging HTTP v1; none offline: notifications are recorded);
//! - `webhooks`: signed outbound webhook requests (Standard Webhooks) that never reach private addresses;
//! - `outbound`: the address guard of requests made for apps (setup checks).

pub mod audio;
pub mod chat;
pub mod embeddings;
pub mod llm;
pub mod manifest;
pub mod oauth;
pub mod outbound;
pub mod push;
pub mod stt;
pub mod webhooks;
