//! The one list of read models. The live projector, `omi-server replay` (all of them or `--projection NAME`),
//! `omi-server parked retry`, `omi-server read-models`, `/health`, `/metrics` and the benchmarks' checks all
//! read it, so a new read model is its module plus one line here. A read model needs no row of its own in the
//! database beforehand: one without a checkpoint starts at the beginning of the log.

use std::sync::Arc;

use super::{Projection, ProjectionError};

/// Every read model of the server, in the order the projector applies a batch to them.
pub fn registry() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(crate::memories::MemoriesProjection),
        Arc::new(crate::action_items::ActionItemsProjection),
        Arc::new(crate::api_keys::ApiKeysProjection),
        Arc::new(crate::conversations::ConversationsProjection),
        Arc::new(crate::statistics::ConversationStatisticsProjection),
        Arc::new(crate::daily_summaries::DailySummariesProjection),
        Arc::new(crate::daily_summaries::DailySummarySettingsProjection),
        Arc::new(crate::wrapped::WrappedProjection),
        Arc::new(crate::trends::TrendsProjection),
        Arc::new(crate::folders::FoldersProjection),
        Arc::new(crate::goals::GoalsProjection),
        Arc::new(crate::goals::GoalProgressProjection),
        Arc::new(crate::users::UsersProjection),
        Arc::new(crate::people::PeopleProjection),
        Arc::new(crate::devices::DevicesProjection),
        Arc::new(crate::notifications::NotificationsProjection),
        Arc::new(crate::integrations::IntegrationsProjection),
        Arc::new(crate::webhooks::DeveloperWebhooksProjection),
        Arc::new(crate::webhooks::WebhookDeliveriesProjection),
        Arc::new(crate::apps::AppsProjection),
        Arc::new(crate::apps::AppLogosProjection),
        Arc::new(crate::apps::AppInstallationsProjection),
        Arc::new(crate::apps::AppReviewsProjection),
        Arc::new(crate::chat::ChatMessagesProjection),
        // After `memories` and `conversations`: it reads their rows of the batch.
        Arc::new(crate::search::SearchProjection),
        Arc::new(crate::search::SearchVectorsProjection),
        Arc::new(crate::search::MemoryVectorsProjection),
    ]
}

/// The read model of the registry named `name`; an unknown name is refused with the names there are.
pub fn registered(name: &str) -> Result<Arc<dyn Projection>, ProjectionError> {
    let all = registry();
    let known = all.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| ProjectionError::Unknown(name.to_string(), known))
}

#[cfg(test)]
mod tests;
