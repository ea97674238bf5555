//! The delivery worker: sends the webhook deliveries that are due, in every server process. What is due is read
//! from the `webhook_deliveries` read model (so a restart, even after `kill -9`, finds every pending delivery
//! again), and each attempt is first claimed in `webhook_delivery_leases` (the due deliveries picked at once, in
//! one statement): a claim lasts as long as an attempt could take plus a margin, so several processes on one
//! PostgreSQL do not send the same attempt, and a process killed while sending hands the delivery over once its
//! claim lapses. An attempt is recorded as an event naming its number; a second recording of the same number is
//! refused.
//!
//! Attempts run side by side, at most `CONCURRENCY` per process and `PER_LANE` per receiver (one app's webhook,
//! or one user's developer webhook of one type), and the worker picks up newly due deliveries while others are
//! in flight: a receiver that answers slowly, or not at all until the timeout, holds up only its own deliveries.
//!
//! A failed attempt is retried after the pauses of `OMI_WEBHOOK_RETRY_SECS` (the last one repeating), each
//! lengthened by up to a fifth at random. A delivery still failing `OMI_WEBHOOK_GIVE_UP_SECS` (72 h) after it
//! became pending is abandoned, and the endpoint to which nothing was delivered in that time is turned off: the
//! user's developer webhook, or the app (for all its users, until its owner enables it again). A delivery to a
//! developer webhook turned off or cleared meanwhile is abandoned, and so is one to an app that was deleted,
//! turned off, disabled by the user or left without a webhook URL.
//!
//! An `audio_bytes` delivery names a chunk of the audio spool; its bytes are read when it is sent. Chunks older than
//! the give-up time plus a day are removed (no delivery can need them); a delivery whose chunk is gone (expired, or
//! its user erased) is abandoned.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use omi_commands::{Actor, Metadata};
use omi_domain::app::{App, AppCommand};
use omi_domain::developer_webhook::{DeveloperWebhooks, DeveloperWebhooksCommand, WebhookType};
use omi_domain::webhook_delivery::{
    AttemptOutcome, DeliveryState, EndpointKind, WebhookDelivery, WebhookDeliveryCommand,
};
use omi_projections::apps::{self, AppRecord};
use omi_projections::time::micros;
use omi_projections::webhooks::{self, developer_webhooks, DeliveryRow, Lane};
use omi_services::webhooks::{Request, Sender};
use omi_store::{audio_spool, leases, Database};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::config::WebhookSettings;
use crate::state::AppState;

/// How often the worker looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_millis(200);
/// Due deliveries read at once at most.
const BATCH: i64 = 256;
/// Attempts in flight at once per process.
const CONCURRENCY: usize = 64;
/// Attempts in flight at once per process to one receiver (a [`Lane`]).
const PER_LANE: usize = 16;
/// Free attempts the worker waits for before it reads the due deliveries again.
const REFILL: usize = 16;
/// How much longer than its timeout an attempt's claim lasts.
const CLAIM_MARGIN: Duration = Duration::from_secs(30);
/// The table of the worker's claims.
const LEASES: &str = "webhook_delivery_leases";
/// How long the worker waits for the read models to show an attempt it recorded.
const CATCH_UP: Duration = Duration::from_secs(10);
/// How often the worker removes the spooled audio no delivery can need any more.
const SPOOL_SWEEP: Duration = Duration::from_secs(600);

/// Starts the worker of this process.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let sender = match Sender::new(state.config.webhooks.allow_private) {
            Ok(sender) => sender,
            Err(error) => {
                tracing::error!(%error, "no HTTP client for webhooks; deliveries wait");
                return;
            }
        };
        let worker = Arc::new(Worker {
            holder: uuid::Uuid::new_v4().to_string(),
            settings: state.config.webhooks.clone(),
            sender,
            state,
            permits: Arc::new(Semaphore::new(CONCURRENCY)),
            lanes: Mutex::default(),
            finished: Mutex::default(),
            done: Notify::new(),
        });
        worker.run().await;
    })
}

struct Worker {
    state: AppState,
    sender: Sender,
    settings: WebhookSettings,
    /// This process's name on its claims.
    holder: String,
    /// One per attempt in flight.
    permits: Arc<Semaphore>,
    /// Attempts in flight per lane.
    lanes: Mutex<HashMap<Lane, usize>>,
    /// The deliveries whose attempts ended, whose claims the loop releases (in one statement).
    finished: Mutex<Vec<String>>,
    /// Told when an attempt ends.
    done: Notify,
}

/// An attempt's place in its lane, given back when it is dropped.
struct InLane {
    worker: Arc<Worker>,
    lane: Lane,
}

impl Drop for InLane {
    fn drop(&mut self) {
        let mut lanes = self.worker.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(flying) = lanes.get_mut(&self.lane) {
            *flying = flying.saturating_sub(1);
            if *flying == 0 {
                lanes.remove(&self.lane);
            }
        }
    }
}

impl Worker {
    async fn run(self: Arc<Self>) {
        let mut appends = self.state.database.appends();
        let mut swept: Option<std::time::Instant> = None;
        loop {
            if swept.is_none_or(|at| at.elapsed() >= SPOOL_SWEEP) {
                swept = Some(std::time::Instant::now());
                self.sweep_spool().await;
            }
            self.release_finished().await;
            appends.borrow_and_update();
            // New attempts are taken up a few at a time, not one read of the due deliveries per ended attempt.
            let free = self.permits.available_permits();
            if free >= REFILL {
                let skipped = self.full_lanes();
                let limit = (free as i64 * 2).min(BATCH);
                match webhooks::due(&self.state.database, Utc::now(), limit, &skipped).await {
                    Ok(due) if !due.is_empty() => match self.start(due).await {
                        Ok(0) => {}
                        Ok(_) => continue,
                        Err(error) => {
                            tracing::warn!(%error, "cannot claim the due webhook deliveries")
                        }
                    },
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot read the due webhook deliveries"),
                }
            }
            // An append may be a delivery being scheduled: look again once the read model has had time to show it.
            tokio::select! {
                _ = appends.changed() => tokio::time::sleep(Duration::from_millis(20)).await,
                _ = self.done.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// The lanes with [`PER_LANE`] attempts in flight: their due deliveries wait.
    fn full_lanes(&self) -> Vec<Lane> {
        let lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes
            .iter()
            .filter(|(_, flying)| **flying >= PER_LANE)
            .map(|(lane, _)| lane.clone())
            .collect()
    }

    /// Picks from `due` as many as there are free attempts (at most [`PER_LANE`] per lane), claims them (one
    /// statement), reads them again (another process may have just made their attempts) with their endpoints,
    /// and starts the attempt of each; answers how many started. A claim lasts as long as its attempt could take,
    /// plus a margin.
    async fn start(self: &Arc<Self>, due: Vec<(String, DeliveryRow)>) -> anyhow::Result<usize> {
        let mut picked: HashMap<String, (OwnedSemaphorePermit, InLane, Duration)> = HashMap::new();
        {
            let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
            for (uid, row) in &due {
                let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
                    break;
                };
                let lane = Lane::of(uid, row);
                let flying = lanes.entry(lane.clone()).or_default();
                if *flying >= PER_LANE {
                    continue;
                }
                *flying += 1;
                let timeout = timeout_of(&row.view.payload_kind);
                let in_lane = InLane {
                    worker: Arc::clone(self),
                    lane,
                };
                picked.insert(row.view.id.clone(), (permit, in_lane, timeout));
            }
        }
        if picked.is_empty() {
            return Ok(0);
        }
        let longest = picked.values().map(|(_, _, timeout)| *timeout).max();
        let ids: Vec<&str> = picked.keys().map(String::as_str).collect();
        let claimed = self
            .claim(&ids, longest.unwrap_or_default() + CLAIM_MARGIN)
            .await?;
        let claimed: Vec<&str> = claimed.iter().map(String::as_str).collect();
        let read = async {
            let rows = webhooks::deliveries_by_id(&self.state.database, &claimed).await?;
            let endpoints = Endpoints::read(&self.state.database, &rows).await?;
            anyhow::Ok((rows, endpoints))
        };
        let (rows, endpoints) = match read.await {
            Ok(read) => read,
            Err(error) => {
                self.release(&claimed).await?;
                return Err(error);
            }
        };
        let endpoints = Arc::new(endpoints);
        let mut started = 0;
        for (uid, row) in rows {
            let Some((permit, in_lane, _)) = picked.remove(&row.view.id) else {
                continue;
            };
            let (worker, endpoints) = (Arc::clone(self), Arc::clone(&endpoints));
            tokio::spawn(async move {
                if let Err(error) = worker.attempt_claimed(&uid, &row, &endpoints).await {
                    tracing::warn!(delivery = %row.view.id, %error, "webhook attempt not recorded; it is tried again");
                }
                drop((permit, in_lane));
                worker.finish(row.view.id);
            });
            started += 1;
        }
        // Claimed but not found again: released at once; not claimed: another process has them.
        let unread: Vec<&str> = claimed
            .iter()
            .copied()
            .filter(|id| picked.contains_key(*id))
            .collect();
        self.release(&unread).await?;
        Ok(started)
    }

    /// Hands the claim of an ended attempt to the loop, and wakes it.
    fn finish(&self, id: String) {
        self.finished
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id);
        self.done.notify_one();
    }

    /// Releases the claims of the attempts that ended (one statement); one that cannot be released lapses.
    async fn release_finished(&self) {
        let ended = std::mem::take(&mut *self.finished.lock().unwrap_or_else(|e| e.into_inner()));
        if ended.is_empty() {
            return;
        }
        let ids: Vec<&str> = ended.iter().map(String::as_str).collect();
        if let Err(error) = self.release(&ids).await {
            tracing::warn!(%error, "cannot release webhook delivery claims; they lapse");
        }
    }

    async fn attempt_claimed(
        &self,
        uid: &str,
        row: &DeliveryRow,
        endpoints: &Endpoints,
    ) -> anyhow::Result<()> {
        let id = row.view.id.as_str();
        let now = Utc::now();
        let due = row.view.next_attempt_at.is_some_and(|at| at <= now);
        if row.view.state != DeliveryState::Pending || !due {
            return Ok(());
        }
        if let Some(reason) = self.gone_endpoint(uid, row, endpoints).await? {
            return self.abandon(uid, id, reason).await;
        }
        let give_up = TimeDelta::from_std(self.settings.give_up_after).unwrap_or(TimeDelta::MAX);
        if !row.view.attempts.is_empty() && now - row.pending_since >= give_up {
            self.abandon(uid, id, failing_for(self.settings.give_up_after))
                .await?;
            return self.disable_if_failing(uid, row).await;
        }
        let spooled;
        let body = if row.view.payload_kind == WebhookType::AudioBytes.as_str() {
            match audio_spool::get(&self.state.database, &row.body).await? {
                Some(chunk) => {
                    spooled = chunk.audio;
                    spooled.as_slice()
                }
                None => {
                    let reason = "the audio chunk is no longer kept".to_string();
                    return self.abandon(uid, id, reason).await;
                }
            }
        } else {
            row.body.as_bytes()
        };
        let request = Request {
            id,
            url: &row.view.url,
            secret: &row.secret,
            content_type: &row.content_type,
            body,
            timeout: timeout_of(&row.view.payload_kind),
        };
        let sent = self.sender.send(&request, now.timestamp()).await;
        let number = row.view.attempts.len() as u32 + 1;
        let outcome = if sent.delivered() {
            AttemptOutcome::Delivered {
                status_code: sent.status_code.unwrap_or(200),
                message: sent.message.clone(),
            }
        } else {
            AttemptOutcome::Failed {
                status_code: sent.status_code,
                error: sent.error.clone(),
                next_attempt_at: Utc::now() + self.pause_before(number),
            }
        };
        let command = WebhookDeliveryCommand::RecordAttempt {
            attempt: number,
            outcome,
            duration_ms: sent.duration.as_millis() as u64,
            at: now,
        };
        self.record(uid, id, command).await
    }

    /// Removes the spooled audio recorded longer ago than retrying lasts, plus a day.
    async fn sweep_spool(&self) {
        let kept = TimeDelta::from_std(self.settings.give_up_after).unwrap_or(TimeDelta::MAX);
        let Some(before) = Utc::now()
            .checked_sub_signed(kept)
            .and_then(|at| at.checked_sub_signed(TimeDelta::days(1)))
        else {
            return;
        };
        match audio_spool::expire(&self.state.database, micros(&before)).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired spooled audio removed"),
            Err(error) => tracing::warn!(%error, "cannot remove expired spooled audio"),
        }
    }

    /// Why the endpoint no longer takes deliveries, if it does not.
    async fn gone_endpoint(
        &self,
        uid: &str,
        row: &DeliveryRow,
        endpoints: &Endpoints,
    ) -> anyhow::Result<Option<String>> {
        let endpoint = &row.view.endpoint;
        if endpoint.kind == EndpointKind::App {
            return Ok(endpoints.gone_app(uid, &endpoint.id));
        }
        let Some(wtype) = WebhookType::parse(&endpoint.id) else {
            return Ok(Some("the endpoint is not a developer webhook type".into()));
        };
        let current = developer_webhooks(&self.state.database, uid)
            .await?
            .endpoint(wtype);
        Ok((!current.is_enabled())
            .then(|| "the developer webhook was turned off or its URL cleared".to_string()))
    }

    /// Turns off the endpoint of `row` when nothing was delivered to it since `row` became pending: a developer
    /// webhook of the user, or an app's webhook (for all its users).
    async fn disable_if_failing(&self, uid: &str, row: &DeliveryRow) -> anyhow::Result<()> {
        let endpoint = &row.view.endpoint;
        let database = &self.state.database;
        let reason = failing_for(self.settings.give_up_after);
        let metadata = self.metadata(uid);
        match endpoint.kind {
            EndpointKind::Developer => {
                let Some(wtype) = WebhookType::parse(&endpoint.id) else {
                    return Ok(());
                };
                if webhooks::endpoint_delivered_since(database, uid, endpoint, row.pending_since)
                    .await?
                {
                    return Ok(());
                }
                let command = DeveloperWebhooksCommand::DisableDeveloperWebhook {
                    uid: uid.to_string(),
                    wtype,
                    reason: Some(reason),
                    at: Utc::now(),
                };
                self.state
                    .commands
                    .execute::<DeveloperWebhooks>(uid, command, &metadata)
                    .await?;
                tracing::info!(
                    webhook = wtype.as_str(),
                    "developer webhook turned off after failing"
                );
            }
            EndpointKind::App => {
                if webhooks::delivered_to_endpoint_since(database, endpoint, row.pending_since)
                    .await?
                {
                    return Ok(());
                }
                let Some(listed) = apps::app(database, &endpoint.id).await? else {
                    return Ok(());
                };
                let command = AppCommand::AutoDisable {
                    reason,
                    at: Utc::now(),
                };
                // The app's stream is its owner's.
                let metadata = self.metadata(&listed.app.uid);
                self.state
                    .commands
                    .execute::<App>(&endpoint.id, command, &metadata)
                    .await?;
                tracing::info!(app = %endpoint.id, "app turned off after its webhook kept failing");
            }
        }
        Ok(())
    }

    async fn abandon(&self, uid: &str, id: &str, reason: String) -> anyhow::Result<()> {
        let command = WebhookDeliveryCommand::Abandon {
            reason,
            at: Utc::now(),
        };
        self.record(uid, id, command).await
    }

    /// Records on the delivery's stream and waits until the read model shows it, so that no process finds the
    /// attempt due again once the claim is released.
    async fn record(
        &self,
        uid: &str,
        id: &str,
        command: WebhookDeliveryCommand,
    ) -> anyhow::Result<()> {
        let metadata = self.metadata(uid);
        let appended = self
            .state
            .commands
            .execute::<WebhookDelivery>(id, command, &metadata)
            .await?;
        if let Some(position) = appended.position {
            self.state.projector.wait_for(position, CATCH_UP).await;
        }
        Ok(())
    }

    fn metadata(&self, uid: &str) -> Metadata {
        Metadata::new(uid, Actor::System, Metadata::new_correlation_id())
    }

    /// The pause before the attempt after attempt `number`, with jitter.
    fn pause_before(&self, number: u32) -> TimeDelta {
        let schedule = &self.settings.retry_schedule;
        let index = (number as usize)
            .saturating_sub(1)
            .min(schedule.len().saturating_sub(1));
        let base = schedule
            .get(index)
            .copied()
            .unwrap_or(Duration::from_secs(60));
        let mut random = [0u8; 2];
        let jitter = match getrandom::fill(&mut random) {
            Ok(()) => f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX) / 5.0,
            Err(_) => 0.0,
        };
        TimeDelta::from_std(base.mul_f64(1.0 + jitter)).unwrap_or(TimeDelta::hours(1))
    }

    /// Takes the claims on `ids` for `length`, except those another process holds unexpired; answers the ids
    /// claimed.
    async fn claim(&self, ids: &[&str], length: Duration) -> anyhow::Result<HashSet<String>> {
        let now = Utc::now();
        let until = now + TimeDelta::from_std(length).unwrap_or(TimeDelta::minutes(5));
        let database = &self.state.database;
        let (now, until) = (micros(&now), micros(&until));
        let claimed = leases::claim_many(database, LEASES, ids, &self.holder, now, until).await?;
        Ok(claimed.into_iter().collect())
    }

    async fn release(&self, ids: &[&str]) -> anyhow::Result<()> {
        Ok(leases::release_many(&self.state.database, LEASES, ids, &self.holder).await?)
    }
}

/// The apps a batch of deliveries goes to, and which of them their users have enabled: read once per batch.
struct Endpoints {
    apps: HashMap<String, AppRecord>,
    /// (app id, uid) of the enabled installations among the batch's.
    installed: HashSet<(String, String)>,
}

impl Endpoints {
    async fn read(
        database: &Database,
        rows: &[(String, DeliveryRow)],
    ) -> anyhow::Result<Endpoints> {
        let mut by_user: HashMap<&str, Vec<&str>> = HashMap::new();
        for (uid, row) in rows {
            let endpoint = &row.view.endpoint;
            if endpoint.kind == EndpointKind::App {
                by_user.entry(uid).or_default().push(&endpoint.id);
            }
        }
        let mut ids: Vec<&str> = by_user.values().flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let apps = apps::records(database, &ids).await?;
        let mut installed = HashSet::new();
        for (uid, app_ids) in by_user {
            for app_id in apps::installed_among(database, uid, &app_ids).await? {
                installed.insert((app_id, uid.to_string()));
            }
        }
        Ok(Endpoints { apps, installed })
    }

    /// Why the app `app_id` no longer takes deliveries about `uid`, if it does not.
    fn gone_app(&self, uid: &str, app_id: &str) -> Option<String> {
        let Some(app) = self.apps.get(app_id) else {
            return Some("the app was deleted".into());
        };
        if app.auto_disabled.is_some() {
            return Some("the app was turned off after failing".into());
        }
        if !self
            .installed
            .contains(&(app_id.to_string(), uid.to_string()))
        {
            return Some("the user disabled the app".into());
        }
        let has_url = app
            .definition
            .external_integration
            .as_ref()
            .is_some_and(|integration| integration.webhook_url.is_some());
        (!has_url).then(|| "the app no longer has a webhook URL".to_string())
    }
}

/// The timeout of one attempt (spec §5.4: 15 s for live transcripts and audio, 30 s otherwise).
fn timeout_of(payload_kind: &str) -> Duration {
    match payload_kind {
        "realtime_transcript" | "audio_bytes" => Duration::from_secs(15),
        _ => Duration::from_secs(30),
    }
}

fn failing_for(give_up_after: Duration) -> String {
    format!(
        "the endpoint kept failing for {} hours",
        give_up_after.as_secs_f64() / 3600.0
    )
}
