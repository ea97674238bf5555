//! Given/when/then tests of the app aggregate, one per rule.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::app::{AppDefinition, Capability};
use crate::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
}

fn definition(name: &str) -> Box<AppDefinition> {
    Box::new(AppDefinition {
        name: name.into(),
        description: "Summarizes".into(),
        category: "other".into(),
        author: "Ada".into(),
        email: None,
        capabilities: BTreeSet::from([Capability::Memories]),
        memory_prompt: Some("Summarize".into()),
        chat_prompt: None,
        persona_prompt: None,
        external_integration: None,
        proactive_notification: None,
        trigger_workflow_memories: true,
        is_paid: false,
        price: None,
        payment_plan: None,
        username: None,
        source_code_url: None,
        thumbnails: vec![],
    })
}

fn created() -> AppEvent {
    AppEvent::AppCreated {
        uid: "owner".into(),
        definition: definition("Notes"),
        created_at: at(0),
    }
}

#[test]
fn an_app_is_created_once() {
    let create = AppCommand::CreateApp {
        uid: "owner".into(),
        definition: definition("Notes"),
        at: at(0),
    };
    TestFramework::<App>::with(())
        .given_no_previous_events()
        .when(create.clone())
        .then_expect_events(vec![created()]);
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(create)
        .then_expect_error(DomainError::Conflict("App already exists".into()));
}

#[test]
fn only_the_owner_updates_the_app() {
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::UpdateApp {
            uid: "someone".into(),
            definition: definition("Mine now"),
            at: at(1),
        })
        .then_expect_error(DomainError::NotFound("App"));
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::UpdateApp {
            uid: "owner".into(),
            definition: definition("Renamed"),
            at: at(1),
        })
        .then_expect_events(vec![AppEvent::AppUpdated {
            definition: definition("Renamed"),
            updated_at: at(1),
        }]);
}

#[test]
fn visibility_changes_only_when_it_differs() {
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::ChangeVisibility {
            uid: "owner".into(),
            private: false,
            at: at(1),
        })
        .then_expect_events(vec![]);
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::ChangeVisibility {
            uid: "owner".into(),
            private: true,
            at: at(1),
        })
        .then_expect_events(vec![AppEvent::AppVisibilityChanged {
            private: true,
            changed_at: at(1),
        }]);
}

#[test]
fn a_deleted_app_refuses_everything() {
    let deleted = AppEvent::AppDeleted { deleted_at: at(1) };
    TestFramework::<App>::with(())
        .given(vec![created(), deleted.clone()])
        .when(AppCommand::ApproveApp { at: at(2) })
        .then_expect_error(DomainError::NotFound("App"));
    TestFramework::<App>::with(())
        .given(vec![created(), deleted])
        .when(AppCommand::DeleteApp {
            uid: "owner".into(),
            at: at(2),
        })
        .then_expect_error(DomainError::NotFound("App"));
}

#[test]
fn a_key_is_revoked_once_and_only_if_it_exists() {
    let key = AppEvent::AppKeyCreated {
        key_id: "k1".into(),
        label: "import".into(),
        hashed_key: "h".into(),
        created_at: at(1),
    };
    let revoke = AppCommand::RevokeAppKey {
        uid: "owner".into(),
        key_id: "k1".into(),
        at: at(2),
    };
    TestFramework::<App>::with(())
        .given(vec![created(), key.clone()])
        .when(revoke.clone())
        .then_expect_events(vec![AppEvent::AppKeyRevoked {
            key_id: "k1".into(),
            revoked_at: at(2),
        }]);
    TestFramework::<App>::with(())
        .given(vec![
            created(),
            key,
            AppEvent::AppKeyRevoked {
                key_id: "k1".into(),
                revoked_at: at(2),
            },
        ])
        .when(revoke)
        .then_expect_error(DomainError::NotFound("API key"));
}

#[test]
fn an_admin_approves_a_live_app_of_any_owner() {
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::ApproveApp { at: at(3) })
        .then_expect_events(vec![AppEvent::AppApproved { approved_at: at(3) }]);
}

#[test]
fn the_first_webhook_secret_is_kept_and_only_the_owner_rotates_it() {
    let first = AppEvent::AppWebhookSecretRotated {
        secret: "whsec_one".into(),
        rotated_at: at(5),
    };
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::EnsureWebhookSecret {
            secret: "whsec_one".into(),
            at: at(5),
        })
        .then_expect_events(vec![first.clone()]);
    TestFramework::<App>::with(())
        .given(vec![created(), first.clone()])
        .when(AppCommand::EnsureWebhookSecret {
            secret: "whsec_two".into(),
            at: at(6),
        })
        .then_expect_events(vec![]);
    TestFramework::<App>::with(())
        .given(vec![created(), first.clone()])
        .when(AppCommand::RotateWebhookSecret {
            uid: "mallory".into(),
            secret: "whsec_two".into(),
            at: at(6),
        })
        .then_expect_error(DomainError::NotFound("App"));
    TestFramework::<App>::with(())
        .given(vec![created(), first])
        .when(AppCommand::RotateWebhookSecret {
            uid: "owner".into(),
            secret: "whsec_two".into(),
            at: at(6),
        })
        .then_expect_events(vec![AppEvent::AppWebhookSecretRotated {
            secret: "whsec_two".into(),
            rotated_at: at(6),
        }]);
}

#[test]
fn an_app_is_auto_disabled_once_and_enabled_again_by_its_owner() {
    let off = AppEvent::AppAutoDisabled {
        reason: "failing".into(),
        disabled_at: at(5),
    };
    let disable = || AppCommand::AutoDisable {
        reason: "failing".into(),
        at: at(5),
    };
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(disable())
        .then_expect_events(vec![off.clone()]);
    TestFramework::<App>::with(())
        .given(vec![created(), off.clone()])
        .when(disable())
        .then_expect_events(vec![]);
    TestFramework::<App>::with(())
        .given(vec![created()])
        .when(AppCommand::ReEnable {
            uid: "owner".into(),
            at: at(6),
        })
        .then_expect_events(vec![]);
    TestFramework::<App>::with(())
        .given(vec![created(), off])
        .when(AppCommand::ReEnable {
            uid: "owner".into(),
            at: at(6),
        })
        .then_expect_events(vec![AppEvent::AppReEnabled { enabled_at: at(6) }]);
}
