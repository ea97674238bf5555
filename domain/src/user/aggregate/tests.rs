use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;

fn at() -> Timestamp {
    Utc.timestamp_opt(1_764_626_400, 0).unwrap()
}

fn given(events: Vec<UserEvent>) -> cqrs_es::test::AggregateTestExecutor<User> {
    TestFramework::<User>::with(()).given(events)
}

fn place(latitude: f64, longitude: f64) -> Geolocation {
    Geolocation {
        latitude,
        longitude,
        google_place_id: None,
        address: None,
        location_type: None,
    }
}

fn recorded(latitude: f64, longitude: f64) -> UserEvent {
    UserEvent::GeolocationRecorded {
        uid: "u1".into(),
        geolocation: place(latitude, longitude),
        recorded_at: at(),
    }
}

fn locate(latitude: f64, longitude: f64) -> UserCommand {
    UserCommand::RecordGeolocation {
        uid: "u1".into(),
        geolocation: place(latitude, longitude),
        at: at(),
    }
}

fn profile(changes: Profile) -> UserCommand {
    UserCommand::ChangeProfile {
        uid: "u1".into(),
        changes,
        at: at(),
    }
}

#[test]
fn a_profile_change_keeps_the_fields_not_given_and_an_empty_string_clears_one() {
    let first = Profile {
        name: Some("Ada".into()),
        time_zone: Some("Europe/Paris".into()),
        ..Profile::default()
    };
    given(vec![])
        .when(profile(first.clone()))
        .then_expect_events(vec![UserEvent::UserProfileChanged {
            uid: "u1".into(),
            profile: first.clone(),
            changed_at: at(),
        }]);
    given(vec![UserEvent::UserProfileChanged {
        uid: "u1".into(),
        profile: first,
        changed_at: at(),
    }])
    .when(profile(Profile {
        name: Some(String::new()),
        job: Some("pilot".into()),
        ..Profile::default()
    }))
    .then_expect_events(vec![UserEvent::UserProfileChanged {
        uid: "u1".into(),
        profile: Profile {
            time_zone: Some("Europe/Paris".into()),
            job: Some("pilot".into()),
            ..Profile::default()
        },
        changed_at: at(),
    }]);
}

#[test]
fn a_time_zone_that_is_not_an_iana_name_is_refused() {
    let refused = given(vec![]).when(profile(Profile {
        time_zone: Some("Europe/Atlantis".into()),
        ..Profile::default()
    }));
    refused.then_expect_error_message(
        "time_zone must be an IANA time zone name such as Europe/Paris, not \"Europe/Atlantis\"",
    );
}

#[test]
fn the_same_place_at_four_decimals_records_nothing() {
    given(vec![recorded(48.8566, 2.3522)])
        .when(locate(48.85661, 2.35219))
        .then_expect_events(vec![]);
    given(vec![recorded(48.8566, 2.3522)])
        .when(locate(48.8567, 2.3522))
        .then_expect_events(vec![recorded(48.8567, 2.3522)]);
    given(vec![])
        .when(locate(95.0, 0.0))
        .then_expect_error(DomainError::Invalid(
            "latitude must be between -90 and 90".into(),
        ));
}

#[test]
fn a_language_outside_the_multi_language_model_sets_single_language_mode() {
    given(vec![])
        .when(UserCommand::ChangeLanguage {
            uid: "u1".into(),
            language: "vi".into(),
            at: at(),
        })
        .then_expect_events(vec![UserEvent::UserLanguageChanged {
            uid: "u1".into(),
            language: "vi".into(),
            single_language_mode: true,
            changed_at: at(),
        }]);
}

#[test]
fn more_than_a_hundred_vocabulary_entries_are_refused() {
    given(vec![])
        .when(UserCommand::ChangeTranscriptionPreferences {
            uid: "u1".into(),
            single_language_mode: None,
            vocabulary: Some(vec!["word".into(); 101]),
            at: at(),
        })
        .then_expect_error(DomainError::Invalid(
            "vocabulary must hold at most 100 entries".into(),
        ));
}

#[test]
fn the_mentor_frequency_is_zero_to_five_and_three_records_nothing_at_first() {
    let frequency = |frequency| UserCommand::ChangeMentorNotificationSettings {
        uid: "u1".into(),
        frequency,
        at: at(),
    };
    given(vec![]).when(frequency(3)).then_expect_events(vec![]);
    given(vec![])
        .when(frequency(6))
        .then_expect_error(DomainError::Invalid(
            "frequency must be between 0 and 5".into(),
        ));
}

#[test]
fn opting_in_to_training_data_turns_private_cloud_sync_on_once() {
    let opt_in = || UserCommand::OptInToTrainingData {
        uid: "u1".into(),
        at: at(),
    };
    let opted_in = UserEvent::TrainingDataOptedIn {
        uid: "u1".into(),
        opted_in_at: at(),
    };
    let synced = UserEvent::PrivateCloudSyncChanged {
        uid: "u1".into(),
        enabled: true,
        changed_at: at(),
    };
    given(vec![])
        .when(opt_in())
        .then_expect_events(vec![opted_in.clone(), synced.clone()]);
    given(vec![opted_in, synced])
        .when(opt_in())
        .then_expect_events(vec![]);
}

#[test]
fn a_summary_rating_is_one_zero_or_minus_one_and_the_same_again_records_nothing() {
    let rate = |rating| UserCommand::RateConversationSummary {
        uid: "u1".into(),
        conversation_id: "c1".into(),
        rating,
        at: at(),
    };
    let rated = UserEvent::ConversationSummaryRated {
        uid: "u1".into(),
        conversation_id: "c1".into(),
        rating: -1,
        rated_at: at(),
    };
    given(vec![])
        .when(rate(-1))
        .then_expect_events(vec![rated.clone()]);
    given(vec![rated]).when(rate(-1)).then_expect_events(vec![]);
    given(vec![])
        .when(rate(2))
        .then_expect_error(DomainError::Invalid("value must be 1, 0 or -1".into()));
}
