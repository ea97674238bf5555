//! The memory aggregate: decides which commands stand and what they record.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{content_fingerprint, MemoryCategory, MemoryCommand, MemoryEvent, Visibility};
use crate::DomainError;

/// The state a memory needs to decide on commands. `None` before creation and after deletion.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Memory {
    current: Option<Current>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Current {
    uid: String,
    content: String,
    category: MemoryCategory,
    visibility: Visibility,
    tags: Vec<String>,
    /// The model and [`content_fingerprint`] of the latest embedding: the content when it was recorded (a decision
    /// records only an embedding of the current content).
    #[serde(default)]
    embedded: Option<(String, u64)>,
}

impl Memory {
    fn owned_by(&self, uid: &str) -> Result<&Current, DomainError> {
        match &self.current {
            Some(current) if current.uid == uid => Ok(current),
            _ => Err(DomainError::NotFound("Memory")),
        }
    }
}

fn non_blank(content: &str) -> Result<String, DomainError> {
    let content = content.trim();
    if content.is_empty() {
        return Err(DomainError::Invalid(
            "Memory content cannot be empty".into(),
        ));
    }
    Ok(content.to_string())
}

impl Aggregate for Memory {
    const TYPE: &'static str = "Memory";
    type Command = MemoryCommand;
    type Event = MemoryEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: MemoryCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let events = match command {
            MemoryCommand::CreateMemory {
                uid,
                content,
                category,
                visibility,
                tags,
                manually_added,
                conversation_id,
                app_id,
                at,
            } => {
                let content = non_blank(&content)?;
                if self.current.is_some() {
                    // A create on a stream that exists changes nothing: a reaction that handles its event
                    // again (its ids derived from what it handles) finds its memory there already.
                    return Ok(());
                }
                vec![MemoryEvent::MemoryCreated {
                    uid,
                    content,
                    category,
                    visibility,
                    tags,
                    manually_added,
                    reviewed: manually_added,
                    user_review: manually_added.then_some(true),
                    conversation_id,
                    app_id,
                    created_at: at,
                }]
            }
            MemoryCommand::EditMemory {
                uid,
                content,
                category,
                tags,
                visibility,
                at,
            } => {
                let current = self.owned_by(&uid)?;
                let content = content.map(|c| non_blank(&c)).transpose()?;
                let content = content.filter(|c| *c != current.content);
                let category = category.filter(|c| *c != current.category);
                let tags = tags.filter(|t| *t != current.tags);
                let visibility = visibility.filter(|v| *v != current.visibility);
                let mut events = Vec::new();
                if content.is_some() || category.is_some() || tags.is_some() {
                    events.push(MemoryEvent::MemoryEdited {
                        content,
                        category,
                        tags,
                        updated_at: at,
                    });
                }
                if let Some(visibility) = visibility {
                    events.push(MemoryEvent::MemoryVisibilityChanged {
                        visibility,
                        updated_at: at,
                    });
                }
                events
            }
            MemoryCommand::ReviewMemory { uid, value, at } => {
                self.owned_by(&uid)?;
                vec![MemoryEvent::MemoryReviewed {
                    value,
                    reviewed_at: at,
                }]
            }
            MemoryCommand::DeleteMemory { uid, at } => {
                self.owned_by(&uid)?;
                vec![MemoryEvent::MemoryDeleted { deleted_at: at }]
            }
            MemoryCommand::RecordEmbedding {
                uid,
                text,
                model,
                vector,
                at,
            } => {
                let current = self.owned_by(&uid)?;
                let placed = current.embedded.as_ref() == Some(&(model.clone(), text));
                if text != content_fingerprint(&current.content) || placed {
                    vec![]
                } else {
                    vec![MemoryEvent::MemoryEmbedded {
                        model,
                        vector,
                        embedded_at: at,
                    }]
                }
            }
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MemoryEvent) {
        match event {
            MemoryEvent::MemoryCreated {
                uid,
                content,
                category,
                visibility,
                tags,
                ..
            } => {
                self.current = Some(Current {
                    uid,
                    content,
                    category,
                    visibility,
                    tags,
                    embedded: None,
                })
            }
            MemoryEvent::MemoryEdited {
                content,
                category,
                tags,
                ..
            } => {
                if let Some(current) = &mut self.current {
                    if let Some(content) = content {
                        current.content = content;
                    }
                    if let Some(category) = category {
                        current.category = category;
                    }
                    if let Some(tags) = tags {
                        current.tags = tags;
                    }
                }
            }
            MemoryEvent::MemoryVisibilityChanged { visibility, .. } => {
                if let Some(current) = &mut self.current {
                    current.visibility = visibility;
                }
            }
            MemoryEvent::MemoryEmbedded { model, .. } => {
                if let Some(current) = &mut self.current {
                    current.embedded = Some((model, content_fingerprint(&current.content)));
                }
            }
            MemoryEvent::MemoryReviewed { .. } => {}
            MemoryEvent::MemoryDeleted { .. } => self.current = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::Timestamp;

    type Given = TestFramework<Memory>;

    fn at(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn created(uid: &str, content: &str) -> MemoryEvent {
        MemoryEvent::MemoryCreated {
            uid: uid.into(),
            content: content.into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added: true,
            reviewed: true,
            user_review: Some(true),
            conversation_id: None,
            app_id: None,
            created_at: at(0),
        }
    }

    fn create(uid: &str, content: &str, manually_added: bool) -> MemoryCommand {
        MemoryCommand::CreateMemory {
            uid: uid.into(),
            content: content.into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added,
            conversation_id: None,
            app_id: None,
            at: at(0),
        }
    }

    fn edit(
        uid: &str,
        content: Option<&str>,
        category: Option<MemoryCategory>,
        visibility: Option<Visibility>,
    ) -> MemoryCommand {
        MemoryCommand::EditMemory {
            uid: uid.into(),
            content: content.map(String::from),
            category,
            tags: None,
            visibility,
            at: at(5),
        }
    }

    #[test]
    fn a_manual_memory_is_created_reviewed() {
        Given::with(())
            .given_no_previous_events()
            .when(create("u1", "  likes tea ", true))
            .then_expect_events(vec![created("u1", "likes tea")]);
    }

    #[test]
    fn an_extracted_memory_awaits_review() {
        let result = Given::with(())
            .given_no_previous_events()
            .when(create("u1", "likes tea", false))
            .inspect_result()
            .unwrap();
        assert!(matches!(
            &result[..],
            [MemoryEvent::MemoryCreated {
                reviewed: false,
                user_review: None,
                manually_added: false,
                ..
            }]
        ));
    }

    #[test]
    fn blank_content_is_refused() {
        Given::with(())
            .given_no_previous_events()
            .when(create("u1", "   ", true))
            .then_expect_error(DomainError::Invalid(
                "Memory content cannot be empty".into(),
            ));
    }

    #[test]
    fn creating_an_existing_memory_again_records_nothing() {
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(create("u1", "likes tea", true))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_deleted_memory_can_be_created_again() {
        Given::with(())
            .given(vec![
                created("u1", "likes tea"),
                MemoryEvent::MemoryDeleted { deleted_at: at(1) },
            ])
            .when(create("u1", "likes tea", true))
            .then_expect_events(vec![created("u1", "likes tea")]);
    }

    #[test]
    fn an_edit_records_only_what_changed() {
        let command = edit(
            "u1",
            Some("likes green tea"),
            Some(MemoryCategory::Interesting),
            Some(Visibility::Public),
        );
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(command)
            .then_expect_events(vec![
                MemoryEvent::MemoryEdited {
                    content: Some("likes green tea".into()),
                    category: None,
                    tags: None,
                    updated_at: at(5),
                },
                MemoryEvent::MemoryVisibilityChanged {
                    visibility: Visibility::Public,
                    updated_at: at(5),
                },
            ]);
    }

    #[test]
    fn an_edit_that_changes_nothing_records_nothing() {
        let command = edit("u1", Some("likes tea"), None, None);
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(command)
            .then_expect_events(vec![]);
    }

    #[test]
    fn another_users_memory_is_not_found() {
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(edit("u2", Some("x"), None, None))
            .then_expect_error(DomainError::NotFound("Memory"));
    }

    #[test]
    fn a_deleted_memory_cannot_be_reviewed() {
        Given::with(())
            .given(vec![
                created("u1", "likes tea"),
                MemoryEvent::MemoryDeleted { deleted_at: at(1) },
            ])
            .when(MemoryCommand::ReviewMemory {
                uid: "u1".into(),
                value: true,
                at: at(2),
            })
            .then_expect_error(DomainError::NotFound("Memory"));
    }

    #[test]
    fn a_memory_is_deleted_once() {
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(MemoryCommand::DeleteMemory {
                uid: "u1".into(),
                at: at(3),
            })
            .then_expect_events(vec![MemoryEvent::MemoryDeleted { deleted_at: at(3) }]);
    }

    fn embed(uid: &str, content: &str, model: &str) -> MemoryCommand {
        MemoryCommand::RecordEmbedding {
            uid: uid.into(),
            text: content_fingerprint(content),
            model: model.into(),
            vector: crate::conversation::Embedding::new(vec![0.0, 1.0]).unwrap(),
            at: at(4),
        }
    }

    fn embedded(model: &str) -> MemoryEvent {
        MemoryEvent::MemoryEmbedded {
            model: model.into(),
            vector: crate::conversation::Embedding::new(vec![0.0, 1.0]).unwrap(),
            embedded_at: at(4),
        }
    }

    #[test]
    fn an_embedding_of_the_current_content_is_recorded_once_per_model() {
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(embed("u1", "likes tea", "m"))
            .then_expect_events(vec![embedded("m")]);
        Given::with(())
            .given(vec![created("u1", "likes tea"), embedded("m")])
            .when(embed("u1", "likes tea", "m"))
            .then_expect_events(vec![]);
        Given::with(())
            .given(vec![created("u1", "likes tea"), embedded("m")])
            .when(embed("u1", "likes tea", "other"))
            .then_expect_events(vec![embedded("other")]);
    }

    #[test]
    fn an_embedding_follows_the_content_through_edits() {
        let edited = MemoryEvent::MemoryEdited {
            content: Some("likes green tea".into()),
            category: None,
            tags: None,
            updated_at: at(2),
        };
        // Of the content before the edit: not recorded.
        Given::with(())
            .given(vec![created("u1", "likes tea"), edited.clone()])
            .when(embed("u1", "likes tea", "m"))
            .then_expect_events(vec![]);
        // Of the edited content: recorded, though the model placed the memory before.
        Given::with(())
            .given(vec![created("u1", "likes tea"), embedded("m"), edited])
            .when(embed("u1", "likes green tea", "m"))
            .then_expect_events(vec![embedded("m")]);
    }

    #[test]
    fn another_users_or_a_deleted_memory_gets_no_embedding() {
        Given::with(())
            .given(vec![created("u1", "likes tea")])
            .when(embed("u2", "likes tea", "m"))
            .then_expect_error(DomainError::NotFound("Memory"));
        Given::with(())
            .given(vec![
                created("u1", "likes tea"),
                MemoryEvent::MemoryDeleted { deleted_at: at(1) },
            ])
            .when(embed("u1", "likes tea", "m"))
            .then_expect_error(DomainError::NotFound("Memory"));
    }
}
