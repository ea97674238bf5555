//! The user aggregate: the settings as they stand, and the decision of each command. A command that would
//! leave everything as it is records nothing.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::values::{
    check_place, parse_time_zone, same_place, single_language_mode_for, Geolocation, Onboarding,
    Profile, TrainingDataStatus, DEFAULT_MENTOR_FREQUENCY, MAX_MENTOR_FREQUENCY,
    MAX_VOCABULARY_ENTRIES,
};
use super::{UserCommand, UserEvent};
use crate::{DomainError, Timestamp};

/// A user's settings; a user who never changed anything has the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub profile: Profile,
    /// The empty string until the user chooses one.
    pub language: String,
    pub single_language_mode: bool,
    pub vocabulary: Vec<String>,
    pub onboarding: Onboarding,
    pub store_recording_permission: bool,
    pub private_cloud_sync_enabled: bool,
    pub training_data: Option<TrainingDataStatus>,
    pub geolocation: Option<Geolocation>,
    pub mentor_frequency: u8,
    /// Conversation id → the rating of its summary.
    pub summary_ratings: BTreeMap<String, i8>,
}

impl Default for User {
    fn default() -> Self {
        Self {
            profile: Profile::default(),
            language: String::new(),
            single_language_mode: false,
            vocabulary: Vec::new(),
            onboarding: Onboarding::default(),
            store_recording_permission: false,
            private_cloud_sync_enabled: false,
            training_data: None,
            geolocation: None,
            mentor_frequency: DEFAULT_MENTOR_FREQUENCY,
            summary_ratings: BTreeMap::new(),
        }
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: UserCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::UserProfileChanged { profile, .. } => self.profile = profile,
            UserEvent::UserLanguageChanged {
                language,
                single_language_mode,
                ..
            } => {
                self.language = language;
                self.single_language_mode = single_language_mode;
            }
            UserEvent::TranscriptionPreferencesChanged {
                single_language_mode,
                vocabulary,
                ..
            } => {
                self.single_language_mode = single_language_mode;
                self.vocabulary = vocabulary;
            }
            UserEvent::OnboardingChanged { onboarding, .. } => self.onboarding = onboarding,
            UserEvent::StoreRecordingPermissionChanged { granted, .. } => {
                self.store_recording_permission = granted
            }
            UserEvent::PrivateCloudSyncChanged { enabled, .. } => {
                self.private_cloud_sync_enabled = enabled
            }
            UserEvent::TrainingDataOptedIn { .. } => {
                self.training_data = Some(TrainingDataStatus::PendingReview)
            }
            UserEvent::GeolocationRecorded { geolocation, .. } => {
                self.geolocation = Some(geolocation)
            }
            UserEvent::MentorNotificationSettingsChanged { frequency, .. } => {
                self.mentor_frequency = frequency
            }
            UserEvent::ConversationSummaryRated {
                conversation_id,
                rating,
                ..
            } => {
                self.summary_ratings.insert(conversation_id, rating);
            }
        }
    }
}

impl User {
    /// The events `command` records, in order; none when nothing would change.
    fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, DomainError> {
        Ok(match command {
            UserCommand::ChangeProfile { uid, changes, at } => {
                self.change_profile(uid, changes, at)?
            }
            UserCommand::ChangeLanguage { uid, language, at } => {
                let single_language_mode = single_language_mode_for(&language);
                (language != self.language || single_language_mode != self.single_language_mode)
                    .then_some(UserEvent::UserLanguageChanged {
                        uid,
                        language,
                        single_language_mode,
                        changed_at: at,
                    })
                    .into_iter()
                    .collect()
            }
            UserCommand::ChangeTranscriptionPreferences {
                uid,
                single_language_mode,
                vocabulary,
                at,
            } => {
                if vocabulary
                    .as_ref()
                    .is_some_and(|words| words.len() > MAX_VOCABULARY_ENTRIES)
                {
                    return Err(DomainError::Invalid(format!(
                        "vocabulary must hold at most {MAX_VOCABULARY_ENTRIES} entries"
                    )));
                }
                let single_language_mode =
                    single_language_mode.unwrap_or(self.single_language_mode);
                let vocabulary = vocabulary.unwrap_or_else(|| self.vocabulary.clone());
                (single_language_mode != self.single_language_mode || vocabulary != self.vocabulary)
                    .then_some(UserEvent::TranscriptionPreferencesChanged {
                        uid,
                        single_language_mode,
                        vocabulary,
                        changed_at: at,
                    })
                    .into_iter()
                    .collect()
            }
            UserCommand::ChangeOnboarding {
                uid,
                completed,
                acquisition_source,
                device_onboarding_completed,
                at,
            } => {
                let current = &self.onboarding;
                let onboarding = Onboarding {
                    completed: completed.unwrap_or(current.completed),
                    acquisition_source: match acquisition_source {
                        Some(source) => Some(source).filter(|source| !source.is_empty()),
                        None => current.acquisition_source.clone(),
                    },
                    device_onboarding_completed: device_onboarding_completed
                        .unwrap_or(current.device_onboarding_completed),
                };
                (onboarding != *current)
                    .then_some(UserEvent::OnboardingChanged {
                        uid,
                        onboarding,
                        changed_at: at,
                    })
                    .into_iter()
                    .collect()
            }
            UserCommand::SetStoreRecordingPermission { uid, granted, at } => (granted
                != self.store_recording_permission)
                .then_some(UserEvent::StoreRecordingPermissionChanged {
                    uid,
                    granted,
                    changed_at: at,
                })
                .into_iter()
                .collect(),
            UserCommand::SetPrivateCloudSync { uid, enabled, at } => (enabled
                != self.private_cloud_sync_enabled)
                .then_some(UserEvent::PrivateCloudSyncChanged {
                    uid,
                    enabled,
                    changed_at: at,
                })
                .into_iter()
                .collect(),
            UserCommand::OptInToTrainingData { uid, at } => {
                let mut events = Vec::new();
                if self.training_data.is_none() {
                    events.push(UserEvent::TrainingDataOptedIn {
                        uid: uid.clone(),
                        opted_in_at: at,
                    });
                }
                if !self.private_cloud_sync_enabled {
                    events.push(UserEvent::PrivateCloudSyncChanged {
                        uid,
                        enabled: true,
                        changed_at: at,
                    });
                }
                events
            }
            UserCommand::RecordGeolocation {
                uid,
                geolocation,
                at,
            } => {
                check_place(&geolocation)?;
                let unchanged = self
                    .geolocation
                    .as_ref()
                    .is_some_and(|last| same_place(last, &geolocation));
                (!unchanged)
                    .then_some(UserEvent::GeolocationRecorded {
                        uid,
                        geolocation,
                        recorded_at: at,
                    })
                    .into_iter()
                    .collect()
            }
            UserCommand::ChangeMentorNotificationSettings { uid, frequency, at } => {
                if frequency > MAX_MENTOR_FREQUENCY {
                    return Err(DomainError::Invalid(format!(
                        "frequency must be between 0 and {MAX_MENTOR_FREQUENCY}"
                    )));
                }
                (frequency != self.mentor_frequency)
                    .then_some(UserEvent::MentorNotificationSettingsChanged {
                        uid,
                        frequency,
                        changed_at: at,
                    })
                    .into_iter()
                    .collect()
            }
            UserCommand::RateConversationSummary {
                uid,
                conversation_id,
                rating,
                at,
            } => {
                if !(-1..=1).contains(&rating) {
                    return Err(DomainError::Invalid("value must be 1, 0 or -1".into()));
                }
                (self.summary_ratings.get(&conversation_id) != Some(&rating))
                    .then_some(UserEvent::ConversationSummaryRated {
                        uid,
                        conversation_id,
                        rating,
                        rated_at: at,
                    })
                    .into_iter()
                    .collect()
            }
        })
    }

    fn change_profile(
        &self,
        uid: String,
        changes: Profile,
        at: Timestamp,
    ) -> Result<Vec<UserEvent>, DomainError> {
        if let Some(zone) = changes.time_zone.as_deref().filter(|zone| !zone.is_empty()) {
            parse_time_zone(zone)?;
        }
        let merge = |given: Option<String>, current: &Option<String>| match given {
            Some(value) => Some(value).filter(|value| !value.is_empty()),
            None => current.clone(),
        };
        let current = &self.profile;
        let profile = Profile {
            name: merge(changes.name, &current.name),
            email: merge(changes.email, &current.email),
            time_zone: merge(changes.time_zone, &current.time_zone),
            motivation: merge(changes.motivation, &current.motivation),
            use_case: merge(changes.use_case, &current.use_case),
            job: merge(changes.job, &current.job),
            company: merge(changes.company, &current.company),
        };
        Ok((profile != *current)
            .then_some(UserEvent::UserProfileChanged {
                uid,
                profile,
                changed_at: at,
            })
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests;
