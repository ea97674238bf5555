//! The delivery worker: sends the webhook deliveries that are due, in every server process. What is due is read
//! from the `webhook_deliveries` read model (so a restart, even after `kill -9`, finds every pending delivery
//! again), and each attempt is first claimed in `webhook_delivery_leases` (a batch of due deliveries in one
//! statement): a claim lasts as long as its batch's attempts could take plus a margin, so several processes on one
//! PostgreSQL do not send the same attempt, and a process killed while sending hands the delivery over once its
//! claim lapses. An attempt is recorded as an event naming its
//! number; a second recording of the same number is refused.
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
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures::StreamExt;
use omi_commands::{Actor, Metadata};
use omi_domain::app::{App, AppCommand};
use omi_domain::developer_webhook::{DeveloperWebhooks, DeveloperWebhooksCommand, WebhookType};
use omi_domain::webhook_delivery::{
    AttemptOutcome, DeliveryState, EndpointKind, WebhookDelivery, WebhookDeliveryCommand,
};
use omi_projections::apps::{self, AppRecord};
use omi_projections::time::micros;
use omi_projections::webhooks::{self, developer_webhooks, DeliveryRow};
use omi_services::webhooks::{Request, Sender};
use omi_store::{audio_spool, leases, Database};

use crate::config::WebhookSettings;
use crate::state::AppState;

/// How often the worker looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_millis(200);
/// Due deliveries read (and claimed, in one statement) at once.
const BATCH: i64 = 256;
/// Attempts in flight at once per process.
const CONCURRENCY: usize = 64;
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
        let worker = Worker {
            holder: uuid::Uuid::new_v4().to_string(),
            settings: state.config.webhooks.clone(),
            sender,
            state,
        };
        worker.run().await;
    })
}

struct Worker {
    state: AppState,
    sender: Sender,
    settings: WebhookSettings,
    /// This process's name on its claims.
    holder: String,
}

impl Worker {
    async fn run(&self) {
        let mut appends = self.state.database.appends();
        let mut swept: Option<std::time::Instant> = None;
        loop {
            if swept.is_none_or(|at| at.elapsed() >= SPOOL_SWEEP) {
                swept = Some(std::time::Instant::now());
                self.sweep_spool().await;
            }
            appends.borrow_and_update();
            match webhooks::due(&self.state.database, Utc::now(), BATCH).await {
                Ok(due) if !due.is_empty() => {
                    if let Err(error) = self.attempt_batch(due).await {
                        tracing::warn!(%error, "cannot claim the due webhook deliveries");
                        tokio::time::sleep(POLL).await;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot read the due webhook deliveries"),
            }
            // An append may be a delivery being scheduled: look again once the read model has had time to show it.
            tokio::select! {
                _ = appends.changed() => tokio::time::sleep(Duration::from_millis(20)).await,
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Claims the due deliveries (one statement), makes the next attempt of each claimed one that is still due,
    /// and releases the claims (one statement). The claims last as long as the batch could take if every attempt
    /// ran to its timeout, plus a margin.
    async fn attempt_batch(&self, due: Vec<(String, DeliveryRow)>) -> anyhow::Result<()> {
        let longest = due
            .iter()
            .map(|(_, row)| timeout_of(&row.view.payload_kind))
            .max()
            .unwrap_or_default();
        let rounds = due.len().div_ceil(CONCURRENCY) as u32;
        let ids: Vec<&str> = due.iter().map(|(_, row)| row.view.id.as_str()).collect();
        let claimed = self.claim(&ids, longest * rounds + CLAIM_MARGIN).await?;
        let claimed: Vec<&str> = claimed.iter().map(String::as_str).collect();
        let attempted = self.attempt_claimed_batch(&claimed).await;
        self.release(&claimed).await?;
        attempted
    }

    /// Reads the claimed deliveries again (another process may have just made their attempts) and what their
    /// endpoints look like, once for the batch, then attempts each.
    async fn attempt_claimed_batch(&self, claimed: &[&str]) -> anyhow::Result<()> {
        if claimed.is_empty() {
            return Ok(());
        }
        let rows = webhooks::deliveries_by_id(&self.state.database, claimed).await?;
        let endpoints = Endpoints::read(&self.state.database, &rows).await?;
        let endpoints = &endpoints;
        futures::stream::iter(rows)
            .for_each_concurrent(CONCURRENCY, |(uid, row)| async move {
                if let Err(error) = self.attempt_claimed(&uid, &row, endpoints).await {
                    tracing::warn!(delivery = %row.view.id, %error, "webhook attempt not recorded; it is tried again");
                }
            })
            .await;
        Ok(())
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
