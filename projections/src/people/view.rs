//! A person as the API shows them.

use chrono::{DateTime, Utc};
use omi_domain::person::{normalized_name, PersonEvent, SPEECH_SAMPLES_VERSION};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::documents::Owned;
use crate::time::iso;

/// A person (spec §2.6). Speech samples are not stored by this server yet: the list is always empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonView {
    pub id: String,
    /// 2 to 40 characters.
    pub name: String,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub updated_at: DateTime<Utc>,
    /// URLs of the person's speech samples.
    pub speech_samples: Vec<String>,
    /// The sample format version (3).
    pub speech_samples_version: u32,
}

impl PersonView {
    /// The name as creation by name compares it.
    pub(crate) fn normalized_name(&self) -> String {
        normalized_name(&self.name)
    }

    /// The person after `event`; `None` once deleted.
    pub(crate) fn evolve(
        id: &str,
        current: Option<Owned<PersonView>>,
        event: &PersonEvent,
    ) -> Option<Owned<PersonView>> {
        match event {
            PersonEvent::PersonCreated {
                uid,
                name,
                created_at,
            } => Some(Owned {
                uid: uid.clone(),
                doc: PersonView {
                    id: id.to_string(),
                    name: name.clone(),
                    created_at: *created_at,
                    updated_at: *created_at,
                    speech_samples: Vec::new(),
                    speech_samples_version: SPEECH_SAMPLES_VERSION,
                },
            }),
            PersonEvent::PersonRenamed {
                name, renamed_at, ..
            } => current.map(|mut row| {
                row.doc.name = name.clone();
                row.doc.updated_at = *renamed_at;
                row
            }),
            PersonEvent::PersonDeleted { .. } => None,
        }
    }
}
