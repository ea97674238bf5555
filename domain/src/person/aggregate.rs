//! The person aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{checked_name, normalized_name, PersonCommand, PersonEvent};
use crate::DomainError;

/// The refusal of a creation whose stream holds a person of another name (renamed since): the next slot is
/// tried.
pub const SLOT_TAKEN: &str = "this slot holds a person renamed since";

/// A person as their stream tells it; `uid` is empty before the first creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub uid: String,
    pub name: String,
    /// Whether the person exists now (created and not deleted since).
    pub live: bool,
}

impl Aggregate for Person {
    const TYPE: &'static str = "Person";
    type Command = PersonCommand;
    type Event = PersonEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PersonCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        if let Some(event) = self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: PersonEvent) {
        match event {
            PersonEvent::PersonCreated { uid, name, .. } => {
                *self = Person {
                    uid,
                    name,
                    live: true,
                }
            }
            PersonEvent::PersonRenamed { name, .. } => self.name = name,
            PersonEvent::PersonDeleted { .. } => self.live = false,
        }
    }
}

impl Person {
    fn decide(&self, command: PersonCommand) -> Result<Option<PersonEvent>, DomainError> {
        match command {
            PersonCommand::CreatePerson { uid, name, at } => {
                let name = checked_name(&name)?;
                if !self.uid.is_empty() && self.uid != uid {
                    return Err(DomainError::Conflict(SLOT_TAKEN.into()));
                }
                if self.live {
                    return if normalized_name(&self.name) == normalized_name(&name) {
                        Ok(None)
                    } else {
                        Err(DomainError::Conflict(SLOT_TAKEN.into()))
                    };
                }
                Ok(Some(PersonEvent::PersonCreated {
                    uid,
                    name,
                    created_at: at,
                }))
            }
            PersonCommand::RenamePerson { uid, name, at } => {
                self.owned_by(&uid)?;
                let name = checked_name(&name)?;
                Ok((name != self.name).then_some(PersonEvent::PersonRenamed {
                    uid,
                    name,
                    renamed_at: at,
                }))
            }
            PersonCommand::DeletePerson { uid, at } => {
                self.owned_by(&uid)?;
                Ok(Some(PersonEvent::PersonDeleted {
                    uid,
                    deleted_at: at,
                }))
            }
        }
    }

    /// Another user's person, or one that does not exist, is not found.
    fn owned_by(&self, uid: &str) -> Result<(), DomainError> {
        if self.live && self.uid == uid {
            Ok(())
        } else {
            Err(DomainError::NotFound("Person"))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::Timestamp;

    fn at() -> Timestamp {
        Utc.timestamp_opt(1_764_626_400, 0).unwrap()
    }

    fn created(name: &str) -> PersonEvent {
        PersonEvent::PersonCreated {
            uid: "u1".into(),
            name: name.into(),
            created_at: at(),
        }
    }

    fn create(uid: &str, name: &str) -> PersonCommand {
        PersonCommand::CreatePerson {
            uid: uid.into(),
            name: name.into(),
            at: at(),
        }
    }

    #[test]
    fn creating_the_same_name_again_records_nothing() {
        TestFramework::<Person>::with(())
            .given(vec![created("Ada")])
            .when(create("u1", " ada "))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_slot_whose_person_was_renamed_is_a_conflict() {
        TestFramework::<Person>::with(())
            .given(vec![
                created("Ada"),
                PersonEvent::PersonRenamed {
                    uid: "u1".into(),
                    name: "Grace".into(),
                    renamed_at: at(),
                },
            ])
            .when(create("u1", "Ada"))
            .then_expect_error(DomainError::Conflict(SLOT_TAKEN.into()));
    }

    #[test]
    fn a_deleted_person_may_be_created_again() {
        TestFramework::<Person>::with(())
            .given(vec![
                created("Ada"),
                PersonEvent::PersonDeleted {
                    uid: "u1".into(),
                    deleted_at: at(),
                },
            ])
            .when(create("u1", "Ada"))
            .then_expect_events(vec![created("Ada")]);
    }

    #[test]
    fn another_users_person_is_not_found() {
        TestFramework::<Person>::with(())
            .given(vec![created("Ada")])
            .when(PersonCommand::DeletePerson {
                uid: "u2".into(),
                at: at(),
            })
            .then_expect_error(DomainError::NotFound("Person"));
    }

    #[test]
    fn a_name_of_one_character_is_refused() {
        TestFramework::<Person>::with(())
            .given_no_previous_events()
            .when(create("u1", "A"))
            .then_expect_error(DomainError::Invalid(
                "name must be between 2 and 40 characters".into(),
            ));
    }
}
