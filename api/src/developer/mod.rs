//! The developer API (`/v1/dev/user/*`, spec §7.4): the user's memories, action items, conversations and goals for
//! scripts, authenticated by `omi_dev_` keys with scopes and rate-limited per key and per user. Every write
//! records the key as the actor. The handlers call the application layer (`crate::app`) and shape its answers as the spec's developer API does.
//!
//! The change feed (`/v1/dev/user/changes`, `…/changes/stream`) is offered with the scope `changes:read`.
//!
//! Goals (`/v1/dev/user/goals*`) are offered with the scopes `goals:read` and `goals:write`, and folders
//! (`/v1/dev/user/folders`, newer) and ask (`/v1/dev/user/ask`, newer: an answer from the user's conversations
//! with its sources, as chat gives it) with the scope `conversations:read`.
//!
//! The scope is checked before the body or the query is looked at (both are taken as `Result`s), so a key
//! without the scope gets 403 whatever it sent.

mod action_items;
mod ask;
mod changes;
mod conversations;
mod daily_summaries;
mod folders;
mod goals;
mod memories;
mod search;

use aide::axum::ApiRouter;
use omi_domain::api_key::KeyFamily;

use crate::key_auth::behind_key;
use crate::state::AppState;

/// The routes of the developer API, behind key authentication and rate limits, tagged `developer`.
pub fn router(state: AppState) -> ApiRouter<AppState> {
    let routes = ApiRouter::new()
        .merge(memories::router())
        .merge(action_items::router())
        .merge(ask::router())
        .merge(conversations::router())
        .merge(changes::router())
        .merge(daily_summaries::router())
        .merge(folders::router())
        .merge(goals::router())
        .merge(search::router())
        .with_path_items(|item| item.tag("developer"));
    behind_key(routes, state, KeyFamily::Developer)
}
