//! Apps (spec §2.7, §7.1): what every door may ask of the marketplace — create and edit an app from the
//! reference's `app_data` (checked in [`input`]) with its logo ([`logo`]), delete it, show or hide it, read it
//! as a user may see it, the catalog ([`catalog`]), enabling with the setup check ([`installs`]), reviews
//! ([`reviews`]), `sk_` keys ([`keys`]) with the import API's checks ([`import_access`]) and the admin's approval.

pub mod catalog;
pub mod import_access;
pub mod import_api;
pub mod input;
pub mod installs;
pub mod keys;
pub mod logo;
pub mod manifest;
pub mod reviews;
pub mod webhooks;

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use omi_commands::{Actor, Metadata};
use omi_domain::app::{
    is_app_id, new_app_id, App, AppCommand, Capability, ChatTool, ExternalIntegration,
    ProactiveNotification,
};
use omi_projections::apps::{self as read, AppsFilter, ListedApp, ReviewRecord};
use schemars::JsonSchema;
use serde::Serialize;

use self::logo::Upload;
use super::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// An app as a user sees it (spec §2.7): what the owner wrote, the server's fields, the stats, and whether the
/// user has it enabled. Lists leave out the email and the prompts.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AppView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub author: String,
    /// The logo's URL on this server (`/v1/app-logos/{logo_id}`), when it has one.
    pub image: Option<String>,
    pub category: String,
    /// The owner.
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub private: bool,
    pub approved: bool,
    /// `under-review`, `approved` or `rejected`.
    pub status: String,
    pub capabilities: BTreeSet<Capability>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_prompt: Option<String>,
    pub external_integration: Option<ExternalIntegration>,
    pub proactive_notification: Option<ProactiveNotification>,
    pub username: Option<String>,
    /// The average review score (0..5); null before the first review.
    pub rating_avg: Option<f64>,
    pub rating_count: i64,
    pub installs: i64,
    /// Whether the requesting user has the app enabled.
    pub enabled: bool,
    pub trigger_workflow_memories: bool,
    pub is_paid: bool,
    pub price: Option<f64>,
    pub payment_plan: Option<String>,
    pub is_popular: bool,
    /// Apps of the server's own team; none are here.
    pub official: bool,
    pub source_code_url: Option<String>,
    pub thumbnails: Vec<String>,
    pub thumbnail_urls: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Whether the app's webhook was turned off after failing for the give-up time (72 h); the owner enables
    /// it again with `{"disabled": false}` in an edit's `app_data`.
    pub disabled: bool,
    /// Why the app's webhook was turned off.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// The chat tools its manifest lists (`chat_tools_manifest_url`), as last fetched.
    pub chat_tools: Vec<ChatTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<ReviewRecord>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_review: Option<ReviewRecord>,
}

impl AppView {
    /// The full view of `listed` for a user (`enabled` for them).
    pub fn of(listed: ListedApp, enabled: bool) -> Self {
        let ListedApp { app, stats } = listed;
        let definition = app.definition;
        Self {
            id: app.id,
            name: definition.name,
            description: definition.description,
            author: definition.author,
            image: app.logo_id.map(|id| format!("/v1/app-logos/{id}")),
            category: definition.category,
            uid: Some(app.uid),
            email: definition.email,
            private: app.private,
            approved: app.approved,
            status: app.status,
            capabilities: definition.capabilities,
            memory_prompt: definition.memory_prompt,
            chat_prompt: definition.chat_prompt,
            persona_prompt: definition.persona_prompt,
            external_integration: definition.external_integration,
            proactive_notification: definition.proactive_notification,
            username: definition.username,
            rating_avg: stats.rating_avg(),
            rating_count: stats.rating_count,
            installs: stats.installs,
            enabled,
            trigger_workflow_memories: definition.trigger_workflow_memories,
            is_paid: definition.is_paid,
            price: definition.price,
            payment_plan: definition.payment_plan,
            is_popular: app.is_popular,
            official: false,
            source_code_url: definition.source_code_url,
            thumbnail_urls: definition.thumbnails.clone(),
            thumbnails: definition.thumbnails,
            created_at: app.created_at,
            disabled: app.auto_disabled.is_some(),
            disabled_reason: app.auto_disabled.as_ref().map(|off| off.reason.clone()),
            disabled_at: app.auto_disabled.as_ref().map(|off| off.disabled_at),
            chat_tools: app.chat_tools,
            reviews: None,
            user_review: None,
        }
    }

    /// The list form: no email, no prompts.
    pub fn reduced(mut self) -> Self {
        self.email = None;
        self.memory_prompt = None;
        self.chat_prompt = None;
        self.persona_prompt = None;
        self
    }

    fn is_persona(&self) -> bool {
        self.capabilities.contains(&Capability::Persona)
    }
}

/// `{"status": "ok"}` and the like.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Status {
    pub status: String,
}

impl Status {
    pub fn ok() -> Self {
        Self {
            status: "ok".into(),
        }
    }
}

/// The answer of `POST /v1/apps`: `{"status": "ok", "app_id"}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub status: String,
    pub app_id: String,
}

fn not_found() -> ApiError {
    ApiError::NotFound("App not found".into())
}

/// The live app `app_id`, whoever may see it, or 404.
pub async fn found(state: &AppState, app_id: &str) -> ApiResult<ListedApp> {
    if !is_app_id(app_id) {
        return Err(not_found());
    }
    read::app(&state.database, app_id)
        .await?
        .ok_or_else(not_found)
}

/// The app `app_id` when `uid` owns it: 404 when it does not exist, 403 when another user owns it.
pub async fn owned(state: &AppState, uid: &str, app_id: &str) -> ApiResult<ListedApp> {
    let listed = found(state, app_id).await?;
    if listed.app.uid != uid {
        return Err(ApiError::Forbidden(
            "You are not authorized to perform this action".into(),
        ));
    }
    Ok(listed)
}

/// The app `app_id` as `uid` may see it: their own, or approved and public (404 when unapproved, 403 when
/// private).
pub async fn visible(state: &AppState, uid: &str, app_id: &str) -> ApiResult<ListedApp> {
    let listed = found(state, app_id).await?;
    if listed.app.uid == uid {
        return Ok(listed);
    }
    if !listed.app.approved {
        return Err(not_found());
    }
    if listed.app.private {
        return Err(ApiError::Forbidden("App is private".into()));
    }
    Ok(listed)
}

/// The ids `uid` has enabled, as a set.
async fn enabled_set(state: &AppState, uid: &str) -> ApiResult<HashSet<String>> {
    Ok(read::enabled_app_ids(&state.database, uid)
        .await?
        .into_iter()
        .collect())
}

/// Every app `uid` may see (the public catalog, their own, the ones they enabled), in the list form, each
/// with its reviews when asked.
pub async fn available(
    state: &AppState,
    uid: &str,
    include_reviews: bool,
) -> ApiResult<Vec<AppView>> {
    let enabled = enabled_set(state, uid).await?;
    let mut views = Vec::new();
    for listed in read::apps_where(&state.database, AppsFilter::AvailableTo(uid)).await? {
        let is_enabled = enabled.contains(&listed.app.id);
        let mut view = AppView::of(listed, is_enabled).reduced();
        if include_reviews {
            view.reviews = Some(reviews::with_text(state, &view.id).await?);
        }
        views.push(view);
    }
    Ok(views)
}

/// The public catalog (approved, not private, no personas), in the list form, for `uid` if known.
pub async fn public(
    state: &AppState,
    uid: Option<&str>,
    include_reviews: bool,
) -> ApiResult<Vec<AppView>> {
    let enabled = match uid {
        Some(uid) => enabled_set(state, uid).await?,
        None => HashSet::new(),
    };
    let mut views = Vec::new();
    for listed in read::apps_where(&state.database, AppsFilter::Public).await? {
        let is_enabled = enabled.contains(&listed.app.id);
        let mut view = AppView::of(listed, is_enabled).reduced();
        if view.is_persona() {
            continue;
        }
        if include_reviews {
            view.reviews = Some(reviews::with_text(state, &view.id).await?);
        }
        views.push(view);
    }
    Ok(views)
}

/// The app `app_id` in full, as `uid` may see it, with its reviews and `uid`'s own.
pub async fn one(state: &AppState, uid: &str, app_id: &str) -> ApiResult<AppView> {
    let listed = visible(state, uid, app_id).await?;
    let enabled = read::installation(&state.database, app_id, uid)
        .await?
        .is_some();
    let mut view = AppView::of(listed, enabled);
    view.reviews = Some(reviews::with_text(state, app_id).await?);
    view.user_review = read::review(&state.database, app_id, uid).await?;
    Ok(view)
}

/// The ids of the apps `uid` has enabled.
pub async fn enabled_ids(state: &AppState, uid: &str) -> ApiResult<Vec<String>> {
    Ok(read::enabled_app_ids(&state.database, uid).await?)
}

/// The author an app gets when `app_data` names none: the owner's profile name, else their uid.
async fn default_author(state: &AppState, uid: &str) -> ApiResult<String> {
    let user = omi_projections::users::user_of(&state.database, uid).await?;
    Ok(user
        .profile
        .name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| uid.to_string()))
}

/// Creates an app for the caller from `app_data` and an optional logo; answers its new id. A refused logo or
/// `app_data` records nothing.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    app_data: &str,
    file: Option<Upload>,
) -> ApiResult<Created> {
    let author = default_author(state, &caller.uid).await?;
    let checked = input::parse(app_data, None, &author)?;
    let logo_type = file.as_ref().map(logo::check).transpose()?;
    let at = now();
    let app_id = new_app_id(at);
    let command = AppCommand::CreateApp {
        uid: caller.uid.clone(),
        definition: Box::new(checked.definition),
        at,
    };
    state
        .create::<App>(&app_id, command, &caller.metadata)
        .await?;
    if let (Some(file), Some(content_type)) = (file, logo_type) {
        logo::store(state, caller, &app_id, file, content_type).await?;
    }
    if checked.private {
        change_visibility(state, caller, &app_id, true).await?;
    }
    manifest::after_edit(state, caller, &app_id).await?;
    Ok(Created {
        status: "ok".into(),
        app_id,
    })
}

/// Edits the caller's app: the fields `app_data` names replace the current ones; a logo replaces the image.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    app_data: &str,
    file: Option<Upload>,
) -> ApiResult<Status> {
    let listed = owned(state, &caller.uid, app_id).await?;
    let mut current = serde_json::to_value(&listed.app.definition)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    current["private"] = listed.app.private.into();
    let checked = input::parse(app_data, Some(current), &listed.app.definition.author)?;
    let logo_type = file.as_ref().map(logo::check).transpose()?;
    if checked.definition != listed.app.definition {
        let command = AppCommand::UpdateApp {
            uid: caller.uid.clone(),
            definition: Box::new(checked.definition),
            at: now(),
        };
        state
            .execute::<App>(app_id, command, &caller.metadata)
            .await?;
    }
    if let (Some(file), Some(content_type)) = (file, logo_type) {
        logo::store(state, caller, app_id, file, content_type).await?;
    }
    change_visibility(state, caller, app_id, checked.private).await?;
    manifest::after_edit(state, caller, app_id).await?;
    if checked.enable_again {
        webhooks::enable_again(state, caller, app_id).await?;
    }
    Ok(Status::ok())
}

/// Makes the caller's app private or public (nothing is recorded when it already is).
pub async fn change_visibility(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    private: bool,
) -> ApiResult<Status> {
    owned(state, &caller.uid, app_id).await?;
    let command = AppCommand::ChangeVisibility {
        uid: caller.uid.clone(),
        private,
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(Status::ok())
}

/// Deletes the caller's app.
pub async fn delete(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Status> {
    owned(state, &caller.uid, app_id).await?;
    let command = AppCommand::DeleteApp {
        uid: caller.uid.clone(),
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(Status::ok())
}

/// What an admin decides about an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminDecision {
    Approve,
    Reject,
    Popular(bool),
}

/// Records an admin's decision on `app_id`; the events belong to the app's owner, the actor is the server.
pub async fn decide(
    state: &AppState,
    request_id: &str,
    app_id: &str,
    decision: AdminDecision,
) -> ApiResult<Status> {
    let listed = found(state, app_id).await?;
    let at = now();
    let command = match decision {
        AdminDecision::Approve => AppCommand::ApproveApp { at },
        AdminDecision::Reject => AppCommand::RejectApp { at },
        AdminDecision::Popular(popular) => AppCommand::SetPopular { popular, at },
    };
    let metadata = Metadata::new(listed.app.uid, Actor::System, request_id);
    state.execute::<App>(app_id, command, &metadata).await?;
    Ok(Status::ok())
}

/// Public apps waiting for an admin's approval (full form, for the admin).
pub async fn unapproved(state: &AppState) -> ApiResult<Vec<AppView>> {
    Ok(
        read::apps_where(&state.database, AppsFilter::PublicUnapproved)
            .await?
            .into_iter()
            .map(|listed| AppView::of(listed, false))
            .collect(),
    )
}
