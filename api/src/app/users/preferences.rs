//! Language and transcription preferences, onboarding and mentor notifications.

use omi_domain::user::{
    Onboarding, UserCommand, MAX_LANGUAGE_CHARS, MAX_MENTOR_FREQUENCY, MAX_PROFILE_FIELD_CHARS,
    MAX_VOCABULARY_ENTRIES, MAX_VOCABULARY_ENTRY_CHARS,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{execute, settings};
use crate::app::validation::{check_length, Problems};
use crate::app::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// `{language}`: the empty string until the user chooses one.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LanguageView {
    pub language: String,
}

/// The language to transcribe and answer in.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LanguageUpdate {
    /// A language code such as `en`, `vi`, `pt-BR` (letters, digits, `-`, `_`; at most 16 characters).
    pub language: String,
}

/// What a language change answers: whether transcription runs in single-language mode from now on (the
/// language is not one the multi-language model knows).
#[derive(Debug, Serialize, JsonSchema)]
pub struct LanguageChanged {
    /// `ok`.
    pub status: &'static str,
    pub single_language_mode: bool,
}

/// The user's transcription preferences (spec §7.10).
#[derive(Debug, Serialize, JsonSchema)]
pub struct TranscriptionPreferences {
    pub single_language_mode: bool,
    /// Words and phrases the transcription should know (at most 100).
    pub vocabulary: Vec<String>,
    pub language: String,
    /// Whether the apps transcribe on the device; this server does not record it, so always false.
    pub uses_custom_stt: bool,
    pub custom_stt_since: Option<String>,
}

/// A change of transcription preferences: absent fields are left alone.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct TranscriptionPreferencesUpdate {
    pub single_language_mode: Option<bool>,
    /// At most 100 entries of at most 100 characters each; the whole list is replaced, blank entries dropped.
    pub vocabulary: Option<Vec<String>>,
}

/// Where the user is in the apps' onboarding.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OnboardingView {
    pub completed: bool,
    pub acquisition_source: Option<String>,
    pub device_onboarding_completed: bool,
}

/// A change of onboarding: absent fields are left alone, an empty `acquisition_source` clears it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct OnboardingUpdate {
    pub completed: Option<bool>,
    pub acquisition_source: Option<String>,
    pub device_onboarding_completed: Option<bool>,
}

/// `{frequency}`: 0 (off) to 5, 3 by default.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct MentorNotificationSettings {
    pub frequency: i64,
}

/// The user's language.
pub async fn language(state: &AppState, uid: &str) -> ApiResult<LanguageView> {
    Ok(LanguageView {
        language: settings(state, uid).await?.language,
    })
}

/// Sets the language (422 for one that is not a language code).
pub async fn change_language(
    state: &AppState,
    caller: &Caller,
    update: LanguageUpdate,
) -> ApiResult<LanguageChanged> {
    let language = update.language.trim().to_string();
    let mut problems = Problems::new();
    let shaped = language
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if language.is_empty() || !shaped || language.chars().count() > MAX_LANGUAGE_CHARS {
        problems.add(
            "body.language",
            format!("language must be a language code such as en or pt-BR (at most {MAX_LANGUAGE_CHARS} letters, digits, - or _)"),
        );
    }
    problems.finish()?;
    let command = UserCommand::ChangeLanguage {
        uid: caller.uid.clone(),
        language,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    Ok(LanguageChanged {
        status: "ok",
        single_language_mode: settings(state, &caller.uid).await?.single_language_mode,
    })
}

/// The user's transcription preferences.
pub async fn transcription_preferences(
    state: &AppState,
    uid: &str,
) -> ApiResult<TranscriptionPreferences> {
    let user = settings(state, uid).await?;
    Ok(TranscriptionPreferences {
        single_language_mode: user.single_language_mode,
        vocabulary: user.vocabulary,
        language: user.language,
        uses_custom_stt: false,
        custom_stt_since: None,
    })
}

/// Changes the transcription preferences: more than 100 vocabulary entries, or one over 100 characters, is 422.
pub async fn change_transcription_preferences(
    state: &AppState,
    caller: &Caller,
    update: TranscriptionPreferencesUpdate,
) -> ApiResult<TranscriptionPreferences> {
    let mut problems = Problems::new();
    let vocabulary = update.vocabulary.map(|entries| {
        if entries.len() > MAX_VOCABULARY_ENTRIES {
            problems.add(
                "body.vocabulary",
                format!("vocabulary must hold at most {MAX_VOCABULARY_ENTRIES} entries"),
            );
        }
        entries
            .iter()
            .enumerate()
            .take(MAX_VOCABULARY_ENTRIES + 1)
            .for_each(|(index, entry)| {
                check_length(
                    &mut problems,
                    &format!("body.vocabulary.{index}"),
                    "a vocabulary entry",
                    entry,
                    MAX_VOCABULARY_ENTRY_CHARS,
                );
            });
        entries
            .into_iter()
            .map(|entry| entry.trim().to_string())
            .filter(|entry| !entry.is_empty())
            .collect::<Vec<_>>()
    });
    problems.finish()?;
    let command = UserCommand::ChangeTranscriptionPreferences {
        uid: caller.uid.clone(),
        single_language_mode: update.single_language_mode,
        vocabulary,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    transcription_preferences(state, &caller.uid).await
}

/// The user's onboarding.
pub async fn onboarding(state: &AppState, uid: &str) -> ApiResult<OnboardingView> {
    let Onboarding {
        completed,
        acquisition_source,
        device_onboarding_completed,
    } = settings(state, uid).await?.onboarding;
    Ok(OnboardingView {
        completed,
        acquisition_source,
        device_onboarding_completed,
    })
}

/// Changes the onboarding (an `acquisition_source` over 500 characters is 422).
pub async fn change_onboarding(
    state: &AppState,
    caller: &Caller,
    update: OnboardingUpdate,
) -> ApiResult<OnboardingView> {
    let mut problems = Problems::new();
    let acquisition_source = update.acquisition_source.map(|source| {
        check_length(
            &mut problems,
            "body.acquisition_source",
            "acquisition_source",
            &source,
            MAX_PROFILE_FIELD_CHARS,
        );
        source.trim().to_string()
    });
    problems.finish()?;
    let command = UserCommand::ChangeOnboarding {
        uid: caller.uid.clone(),
        completed: update.completed,
        acquisition_source,
        device_onboarding_completed: update.device_onboarding_completed,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    onboarding(state, &caller.uid).await
}

/// The user's mentor-notification settings.
pub async fn mentor_notifications(
    state: &AppState,
    uid: &str,
) -> ApiResult<MentorNotificationSettings> {
    Ok(MentorNotificationSettings {
        frequency: i64::from(settings(state, uid).await?.mentor_frequency),
    })
}

/// Sets the mentor-notification frequency; outside 0-5 is 422.
pub async fn change_mentor_notifications(
    state: &AppState,
    caller: &Caller,
    update: MentorNotificationSettings,
) -> ApiResult<MentorNotificationSettings> {
    let mut problems = Problems::new();
    if !(0..=i64::from(MAX_MENTOR_FREQUENCY)).contains(&update.frequency) {
        problems.add(
            "body.frequency",
            format!("frequency must be between 0 and {MAX_MENTOR_FREQUENCY}"),
        );
    }
    problems.finish()?;
    let command = UserCommand::ChangeMentorNotificationSettings {
        uid: caller.uid.clone(),
        frequency: update.frequency as u8,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    mentor_notifications(state, &caller.uid).await
}
