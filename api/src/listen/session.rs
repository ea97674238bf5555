//! One `/v4/listen` session: audio or client transcripts in, live segments out, conversations split on silence
//! and handed to processing (spec §4.2–4.6).

use crate::time_input::now;
use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use chrono::{DateTime, Utc};
use omi_commands::{Actor, CommandError, Metadata};
use omi_domain::conversation::{
    speaker_label, ConversationEvent, ConversationStatus, TranscriptSegment,
};
use omi_domain::DomainError;
use omi_projections::conversations;
use omi_services::audio::Decoder;
use omi_services::stt::{SttConfig, SttSegment, SttSession};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};
use uuid::Uuid;

use super::audio_chunks::AudioChunks;
use super::messages::{self, ClientMessage, SuggestedSegment};
use super::params::ListenParams;
use crate::app::conversations::capture::{self, Current};
use crate::app::people;
use crate::app::webhooks::audio;
use crate::state::AppState;

/// Client frames read while segments wait for a merge before the merge goes first (so that a client flooding
/// the socket cannot postpone its segments indefinitely).
const MERGE_AFTER_READS: u32 = 64;
/// How often the server sends the text frame `ping`.
const PING_EVERY: Duration = Duration::from_secs(10);
/// How long sending one message may take before the client counts as gone (it stopped reading, and the
/// connection's send buffer is full).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a leaving session waits for the speech-to-text engine to hand over what it still holds.
const STT_DRAIN: Duration = Duration::from_secs(15);
/// How long the session waits for a conversation it handed to processing.
const PROCESSING_WAIT: Duration = Duration::from_secs(600);

/// Close codes of spec §4.8.
pub const GOING_AWAY: u16 = 1001;
pub const POLICY: u16 = 1008;
pub const SERVER_ERROR: u16 = 1011;

/// A live session's state.
pub struct Session {
    state: AppState,
    uid: String,
    params: ListenParams,
    metadata: Metadata,
    current: Option<Current>,
    /// Seconds added to stream-relative segment times to put them on the conversation's timeline.
    offset: Option<f64>,
    /// When the first audio (or the first client segment) arrived: stream time zero.
    stream_started: Option<DateTime<Utc>>,
    /// When the current conversation last got segments.
    last_segments: Option<DateTime<Utc>>,
    /// Segments not yet merged, on the stream's timeline.
    pending: Vec<TranscriptSegment>,
    /// Speakers the user labelled in this session: speaker index → (is the user, person id).
    speakers: HashMap<u32, (bool, Option<String>)>,
    stt: Option<SttSession>,
    decoder: Option<Decoder>,
    /// The audio kept for the user's `audio_bytes` webhooks, when one is on at the start of the session.
    audio_chunks: Option<AudioChunks>,
    /// Conversations handed to processing report here when done; made with the first one (most sessions of a
    /// device that stays idle never hand one over).
    processed: Option<(mpsc::Sender<Value>, mpsc::Receiver<Value>)>,
}

impl Session {
    /// A session of user `uid`.
    pub fn new(state: AppState, uid: String, params: ListenParams, request_id: String) -> Self {
        let metadata = Metadata::new(uid.clone(), Actor::User, request_id);
        Self {
            state,
            uid,
            params,
            metadata,
            current: None,
            offset: None,
            stream_started: None,
            last_segments: None,
            pending: Vec::new(),
            speakers: HashMap::new(),
            stt: None,
            decoder: None,
            audio_chunks: None,
            processed: None,
        }
    }

    /// Runs the session until the client leaves or goes quiet.
    ///
    /// Segments are merged as soon as they arrive: whenever segments wait and nothing else is ready, one merge
    /// runs (spec §4.5 does this on a 0.6 s tick). While a merge is in flight the socket is not read, so the
    /// segments that arrive meanwhile are read right after it and go into the next merge together; under load the
    /// work batches by itself.
    pub async fn run(mut self, mut socket: WebSocket) {
        match self.start(&mut socket).await {
            Ok(()) => {}
            Err((SERVER_ERROR, reason)) => return self.close_failed(&mut socket, &reason).await,
            Err((code, reason)) => return close(&mut socket, code, &reason).await,
        }
        let mut lifecycle = interval(
            (self.params.conversation_timeout / 2)
                .clamp(Duration::from_millis(200), Duration::from_secs(5)),
        );
        let mut ping = interval(PING_EVERY);
        for timer in [&mut lifecycle, &mut ping] {
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        }
        ping.reset();
        let inactivity = self.state.config.listen_inactivity;
        // One timer for inactivity, moved only when it fires: input merely records when it came.
        let mut last_input = Instant::now();
        let deadline = sleep_until(last_input + inactivity);
        tokio::pin!(deadline);
        // Frames read since the oldest waiting segment arrived.
        let mut reads_while_pending = 0u32;
        let shutdown = self.state.connections.shutting_down();
        tokio::pin!(shutdown);
        // Whether the server is shutting down (the client is told, once what it sent is stored).
        let mut going_away = false;
        loop {
            let waiting = !self.pending.is_empty();
            let overdue = waiting && reads_while_pending >= MERGE_AFTER_READS;
            tokio::select! {
                biased;
                _ = std::future::ready(()), if overdue => {
                    reads_while_pending = 0;
                    if let Err(reason) = self.flush(&mut socket).await {
                        return self.close_failed(&mut socket, &reason).await;
                    }
                }
                message = socket.recv() => match message {
                    Some(Ok(message)) => {
                        last_input = Instant::now();
                        if waiting {
                            reads_while_pending += 1;
                        }
                        if !self.receive(message).await {
                            break;
                        }
                    }
                    _ => break,
                },
                segment = next_segment(&mut self.stt) => match segment {
                    Some(segment) => self.hear(segment),
                    None => {
                        tracing::warn!("speech-to-text stopped; the session goes on without it");
                        self.stt = None;
                    }
                },
                _ = std::future::ready(()), if waiting => {
                    reads_while_pending = 0;
                    if let Err(reason) = self.flush(&mut socket).await {
                        return self.close_failed(&mut socket, &reason).await;
                    }
                }
                _ = lifecycle.tick() => {
                    if let Err(reason) = self.split_on_silence(&mut socket).await {
                        return self.close_failed(&mut socket, &reason).await;
                    }
                }
                _ = ping.tick() => {
                    // An account erased while its session is open is closed on the next ping (every process).
                    let erased = omi_store::erasure::is_erased(&self.state.database, &self.uid).await;
                    if erased.unwrap_or(false) {
                        return close(&mut socket, POLICY, crate::erasure::ACCOUNT_DELETED).await;
                    }
                    if send(&mut socket, Message::Text("ping".into())).await.is_err() {
                        break;
                    }
                }
                Some(done) = next_processed(&mut self.processed) => {
                    if send_json(&mut socket, &messages::memory_created(done)).await.is_err() {
                        break;
                    }
                }
                _ = &mut deadline => {
                    let due = last_input + inactivity;
                    if due > Instant::now() {
                        deadline.as_mut().reset(due);
                    } else {
                        return close(&mut socket, GOING_AWAY, "no input for too long").await;
                    }
                }
                _ = &mut shutdown => {
                    going_away = true;
                    break;
                }
            }
        }
        // The client left (or the server is going): what the engine still holds is drained and stored; the
        // conversation stays in progress until the next session or the sweep finishes it.
        if let Some(stt) = self.stt.take() {
            let mut remaining = stt.finish();
            while let Ok(Some(segment)) = tokio::time::timeout(STT_DRAIN, remaining.recv()).await {
                self.hear(segment);
            }
        }
        let _ = self.flush(&mut socket).await;
        if let Some(rest) = self.audio_chunks.as_mut().and_then(AudioChunks::rest) {
            self.keep_audio(&rest).await;
        }
        if going_away {
            close(&mut socket, GOING_AWAY, "the server is shutting down").await;
        }
    }

    async fn start(&mut self, socket: &mut WebSocket) -> Result<(), (u16, String)> {
        let fail = |e: crate::error::ApiError| (SERVER_ERROR, e.to_string());
        self.say(socket, messages::service_status("initiating", None))
            .await?;
        if let Some(id) = conversations::last_completed_id(&self.state.database, &self.uid)
            .await
            .map_err(|e| fail(e.into()))?
        {
            self.say(socket, messages::last_memory(&id)).await?;
        }
        self.say(
            socket,
            messages::service_status("in_progress_conversations_processing", None),
        )
        .await?;
        let current = capture::resolve(
            &self.state,
            &self.uid,
            self.params.source,
            &self.params.language,
            self.params.conversation_timeout,
            &self.metadata,
        )
        .await
        .map_err(fail)?;
        self.say(socket, messages::conversation_session(&current.id))
            .await?;
        self.set_current(Some(current));
        self.say(socket, messages::service_status("stt_initiating", None))
            .await?;
        // The parameters are checked here; the decoder is kept only if an engine will take the audio (an Opus
        // decoder holds tens of KiB, which an idle custom-STT session has no use for).
        let decoder = Decoder::new(
            self.params.codec,
            self.params.sample_rate,
            self.params.channels,
        )
        .map_err(|e| (POLICY, e.to_string()))?;
        // The audio is decoded for the user's `audio_bytes` webhooks too, with or without transcription.
        match audio::audio_seconds(&self.state.database, &self.uid).await {
            Ok(Some(seconds)) => {
                self.audio_chunks = Some(AudioChunks::new(self.params.sample_rate, seconds));
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "cannot tell whether an audio_bytes webhook is on; audio is not kept")
            }
        }
        let mut decoder = Some(decoder);
        let mut status_text = None;
        if !self.params.custom_stt {
            match &self.state.stt {
                Some(engine) => {
                    let config = SttConfig { sample_rate: self.params.sample_rate, language: self.params.language.clone() };
                    match engine.open(config).await {
                        Ok(session) => {
                            self.stt = Some(session);
                            self.decoder = decoder.take();
                        }
                        Err(error) => {
                            tracing::error!(%error, "speech-to-text unavailable");
                            status_text = Some("speech-to-text is unavailable; audio is not transcribed");
                        }
                    }
                }
                None => status_text = Some("no speech-to-text is configured; send suggested_transcript (custom_stt=enabled)"),
            }
        }
        if self.audio_chunks.is_some() {
            self.decoder = self.decoder.take().or(decoder);
        }
        self.say(socket, messages::service_status("ready", status_text))
            .await
    }

    async fn say(&self, socket: &mut WebSocket, message: Value) -> Result<(), (u16, String)> {
        send_json(socket, &message)
            .await
            .map_err(|_| (GOING_AWAY, "client left".to_string()))
    }

    /// Handles one client frame; false when the client closed.
    async fn receive(&mut self, message: Message) -> bool {
        match message {
            Message::Binary(frame) => {
                // Frames of two bytes or fewer are keepalives.
                if frame.len() > 2 {
                    self.stream_started.get_or_insert_with(Utc::now);
                    self.audio(&frame).await;
                }
            }
            Message::Text(text) => self.text(text.as_str()).await,
            Message::Close(_) => return false,
            Message::Ping(_) | Message::Pong(_) => {}
        }
        true
    }

    /// Hands one audio frame to speech-to-text and to the `audio_bytes` chunks. Without either (custom STT, or no
    /// engine configured, and no audio webhook) the audio has no consumer and is not decoded at all.
    async fn audio(&mut self, frame: &[u8]) {
        let Some(decoder) = &mut self.decoder else {
            return;
        };
        if self.stt.is_none() && self.audio_chunks.is_none() {
            return;
        }
        let samples = match decoder.decode(frame) {
            Ok(samples) => samples,
            Err(error) => {
                tracing::debug!(%error, "skipping an undecodable audio frame");
                return;
            }
        };
        let full = match &mut self.audio_chunks {
            Some(chunks) => chunks.push(&samples),
            None => Vec::new(),
        };
        for chunk in full {
            self.keep_audio(&chunk).await;
        }
        if let Some(stt) = &self.stt {
            if stt.send(samples).await.is_err() {
                tracing::warn!("speech-to-text stopped taking audio");
                self.stt = None;
            }
        }
    }

    /// Keeps a chunk of audio for the `audio_bytes` webhooks, on the conversation the session writes into. A
    /// failure loses that chunk only: the session goes on.
    async fn keep_audio(&self, chunk: &[u8]) {
        let Some(current) = &self.current else {
            tracing::debug!("an audio chunk without a conversation to record it on is dropped");
            return;
        };
        let kept = capture::record_audio_chunk(
            &self.state,
            &self.uid,
            &current.id,
            self.params.sample_rate,
            chunk,
            now(),
            &self.metadata,
        )
        .await;
        if let Err(error) = kept {
            tracing::warn!(%error, conversation = %current.id, "an audio chunk for the audio_bytes webhooks was not kept");
        }
    }

    async fn text(&mut self, text: &str) {
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                tracing::debug!(%error, "ignoring an unknown client message");
                return;
            }
        };
        match message {
            ClientMessage::SuggestedTranscript {
                segments,
                stt_provider,
            } => {
                if !self.params.custom_stt {
                    tracing::debug!("suggested_transcript ignored: custom_stt is disabled");
                    return;
                }
                self.stream_started.get_or_insert_with(Utc::now);
                for segment in segments {
                    self.suggest(segment, stt_provider.clone());
                }
            }
            ClientMessage::SpeakerAssigned {
                speaker_id,
                person_id,
                segment_ids,
            } => {
                let is_user = person_id.as_deref() == Some("user");
                let person_id = person_id.filter(|p| p != "user" && !p.is_empty());
                if let Some(person) = &person_id {
                    if let Err(error) = people::check_person(&self.state, &self.uid, person).await {
                        // The socket has no answer to a message: an assignment to someone who is not one
                        // of the user's people is dropped, as one to an unknown segment is.
                        tracing::debug!(%error, "speaker assignment to an unknown person ignored");
                        return;
                    }
                }
                self.speakers
                    .insert(speaker_id, (is_user, person_id.clone()));
                if let (Some(current), false) = (&self.current, segment_ids.is_empty()) {
                    if let Err(error) = capture::assign_segments(
                        &self.state,
                        &self.uid,
                        &current.id,
                        segment_ids,
                        is_user,
                        person_id,
                        &self.metadata,
                    )
                    .await
                    {
                        tracing::debug!(%error, "speaker assignment not applied");
                    }
                }
            }
            ClientMessage::ImageChunk {} | ClientMessage::SkipQuestion {} => {
                tracing::debug!("photos and onboarding are not supported; message ignored");
            }
        }
    }

    fn suggest(&mut self, segment: SuggestedSegment, stt_provider: Option<String>) {
        if segment.text.trim().is_empty()
            || !segment.start.is_finite()
            || !segment.end.is_finite()
            || segment.end < segment.start
            || segment.start < 0.0
        {
            return;
        }
        let speaker_id = segment.speaker_index();
        let mut transcript = TranscriptSegment {
            id: Uuid::new_v4().to_string(),
            text: segment.text.clone(),
            speaker: segment.speaker_name(),
            speaker_id,
            is_user: segment.is_user,
            person_id: segment.person_id.clone(),
            start: segment.start,
            end: segment.end,
            translations: Vec::new(),
            speech_profile_processed: false,
            stt_provider: Some(stt_provider.unwrap_or_else(|| "client".to_string())),
        };
        self.label(&mut transcript);
        self.pending.push(transcript);
    }

    fn hear(&mut self, segment: SttSegment) {
        let mut transcript = TranscriptSegment {
            id: Uuid::new_v4().to_string(),
            text: segment.text,
            speaker: speaker_label(segment.speaker),
            speaker_id: segment.speaker,
            is_user: false,
            person_id: None,
            start: segment.start,
            end: segment.end,
            translations: Vec::new(),
            speech_profile_processed: false,
            stt_provider: None,
        };
        self.label(&mut transcript);
        self.pending.push(transcript);
    }

    /// Applies the speaker labels the user gave in this session.
    fn label(&self, segment: &mut TranscriptSegment) {
        if let Some((is_user, person_id)) = self.speakers.get(&segment.speaker_id) {
            segment.is_user = *is_user;
            segment.person_id = person_id.clone();
        }
    }

    /// Merges the buffered segments into the conversation and sends the changed ones to the client.
    async fn flush(&mut self, socket: &mut WebSocket) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.current.is_none() {
            self.open_next(socket).await?;
        }
        let Some(current) = self.current.clone() else {
            return Ok(());
        };
        self.pending.sort_by(|a, b| a.start.total_cmp(&b.start));
        let stream_started = self.stream_started.unwrap_or_else(Utc::now);
        let first_start = self.pending[0].start;
        let offset = *self.offset.get_or_insert_with(|| match current.started_at {
            Some(started_at) => seconds_between(started_at, stream_started),
            None => -first_start,
        });
        let speech_began =
            stream_started + chrono::Duration::milliseconds((first_start * 1000.0) as i64);
        let segments: Vec<TranscriptSegment> = self
            .pending
            .iter()
            .cloned()
            .map(|mut s| {
                s.start = (s.start + offset).max(0.0);
                s.end = (s.end + offset).max(s.start);
                s
            })
            .collect();
        let now = now();
        match capture::append_segments(
            &self.state,
            &self.uid,
            &current.id,
            segments,
            speech_began,
            now,
            &self.metadata,
        )
        .await
        {
            Ok(appended) => {
                self.pending.clear();
                self.last_segments = Some(now);
                // Read-your-writes: a client that opens the conversation after seeing the segments finds them.
                if let Err(error) = self.state.caught_up(appended.position).await {
                    tracing::warn!(%error, "live segments are stored but not yet readable");
                }
                for event in appended.events {
                    if let ConversationEvent::SegmentsAppended {
                        segments,
                        started_at,
                        ..
                    } = event
                    {
                        if let (Some(started_at), Some(current)) = (started_at, &mut self.current) {
                            current.started_at = Some(started_at);
                        }
                        send_json(socket, &serde_json::to_value(&segments).unwrap_or_default())
                            .await
                            .map_err(|_| "client left".to_string())?;
                    }
                }
                Ok(())
            }
            // The conversation was finished or deleted elsewhere (the sweep, POST /v1/conversations): the
            // segments start the next one.
            Err(CommandError::Domain(DomainError::NotFound(_) | DomainError::Conflict(_))) => {
                self.set_current(None);
                self.offset = None;
                self.open_next(socket).await
            }
            Err(other) => Err(other.to_string()),
        }
    }

    /// Processes the conversation once it has been silent for the timeout, then opens the next one.
    async fn split_on_silence(&mut self, socket: &mut WebSocket) -> Result<(), String> {
        let Some(current) = self.current.clone() else {
            return Ok(());
        };
        let Some(last) = self.last_segments else {
            return Ok(());
        };
        let silence = now()
            .signed_duration_since(last)
            .to_std()
            .unwrap_or_default();
        if silence < self.params.conversation_timeout || !self.pending.is_empty() {
            return Ok(());
        }
        let went_to_processing =
            capture::finish(&self.state, &self.uid, &current.id, &self.metadata)
                .await
                .map_err(|e| e.to_string())?;
        if went_to_processing {
            if let Ok(Some(view)) =
                conversations::get(&self.state.database, &self.uid, &current.id).await
            {
                let view = serde_json::to_value(&view).unwrap_or_default();
                send_json(socket, &messages::processing_started(view))
                    .await
                    .map_err(|_| "client left".to_string())?;
            }
            self.watch_processing(current.id.clone());
        }
        self.set_current(None);
        self.offset = None;
        self.last_segments = None;
        self.open_next(socket).await
    }

    async fn open_next(&mut self, socket: &mut WebSocket) -> Result<(), String> {
        let current = capture::open(
            &self.state,
            &self.uid,
            self.params.source,
            &self.params.language,
            &self.metadata,
        )
        .await
        .map_err(|e| e.to_string())?;
        send_json(socket, &messages::conversation_session(&current.id))
            .await
            .map_err(|_| "client left".to_string())?;
        self.set_current(Some(current));
        Ok(())
    }

    /// Switches the conversation this session writes into, keeping the live registry in step.
    fn set_current(&mut self, next: Option<Current>) {
        if let Some(previous) = &self.current {
            self.state.live.leave(&previous.id);
        }
        if let Some(next) = &next {
            self.state.live.enter(&next.id);
        }
        self.current = next;
    }

    /// Tells the client (`memory_created`) when the conversation it handed over is processed.
    fn watch_processing(&mut self, id: String) {
        let done = self
            .processed
            .get_or_insert_with(|| mpsc::channel(16))
            .0
            .clone();
        let (state, uid) = (self.state.clone(), self.uid.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            while started.elapsed() < PROCESSING_WAIT {
                match conversations::get(&state.database, &uid, &id).await {
                    Ok(Some(view)) if view.status != ConversationStatus::Processing => {
                        let _ = done
                            .send(serde_json::to_value(&view).unwrap_or_default())
                            .await;
                        return;
                    }
                    Ok(None) => return,
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
    }
}

async fn next_processed(
    processed: &mut Option<(mpsc::Sender<Value>, mpsc::Receiver<Value>)>,
) -> Option<Value> {
    match processed {
        Some((_, receiver)) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_segment(stt: &mut Option<SttSession>) -> Option<SttSegment> {
    match stt {
        Some(session) => session.segments.recv().await,
        None => std::future::pending().await,
    }
}

fn seconds_between(earlier: DateTime<Utc>, later: DateTime<Utc>) -> f64 {
    later.signed_duration_since(earlier).num_milliseconds() as f64 / 1000.0
}

async fn send_json(socket: &mut WebSocket, message: &Value) -> Result<(), SendFailed> {
    send(socket, Message::Text(message.to_string().into())).await
}

/// A message could not be sent: the connection failed, or the client stopped reading.
#[derive(Debug)]
pub struct SendFailed;

/// Sends one message, giving up after [`SEND_TIMEOUT`] (a client that does not read cannot hold the session).
async fn send(socket: &mut WebSocket, message: Message) -> Result<(), SendFailed> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(SendFailed),
    }
}

/// Closes a session whose work failed: with 1008 and the account's erasure when it was erased meanwhile (the
/// erasure removed what the session was writing into), otherwise with 1011 and `reason`.
impl Session {
    async fn close_failed(&self, socket: &mut WebSocket, reason: &str) {
        let erased = omi_store::erasure::is_erased(&self.state.database, &self.uid).await;
        if erased.unwrap_or(false) {
            close(socket, POLICY, crate::erasure::ACCOUNT_DELETED).await
        } else {
            close(socket, SERVER_ERROR, reason).await
        }
    }
}

/// Closes the socket with `code` and `reason`.
pub async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.chars().take(120).collect::<String>().into(),
    };
    let _ = send(socket, Message::Close(Some(frame))).await;
}

impl Drop for Session {
    fn drop(&mut self) {
        self.set_current(None);
    }
}
