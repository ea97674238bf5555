//! The current logo of each app, served back by its id (`GET /v1/app-logos/{logo_id}`).

use omi_domain::app::AppEvent;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// A logo: its id, content type and the base64 of its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logo {
    pub logo_id: String,
    pub content_type: String,
    pub data: String,
}

/// The projection behind [`super::logo`]: one row per app that has a logo, keyed by the app id.
pub struct AppLogosProjection;

impl Projection for AppLogosProjection {
    fn name(&self) -> &'static str {
        "app_logos"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["App"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["app_logos"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, evolve))
    }
}

impl Document for Logo {
    const TABLE: &'static str = "app_logos";
    const COLUMNS: &'static [&'static str] = &["logo_id"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.logo_id.clone())
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.logo_id);
    }
}

fn select(recorded: &RecordedEvent) -> Option<&AppEvent> {
    match &recorded.event {
        StoredEvent::App(event) => Some(event),
        _ => None,
    }
}

/// The owner comes with the app's creation and stays with its logo; a deleted app's logo goes with it.
fn evolve(_id: &str, current: Option<Owned<Logo>>, event: &AppEvent) -> Option<Owned<Logo>> {
    match event {
        AppEvent::AppCreated { uid, .. } => Some(Owned {
            uid: uid.clone(),
            doc: Logo {
                logo_id: String::new(),
                content_type: String::new(),
                data: String::new(),
            },
        }),
        AppEvent::AppLogoStored {
            logo_id,
            content_type,
            data,
            ..
        } => current.map(|row| Owned {
            uid: row.uid,
            doc: Logo {
                logo_id: logo_id.clone(),
                content_type: content_type.clone(),
                data: data.clone(),
            },
        }),
        AppEvent::AppDeleted { .. } => None,
        _ => current,
    }
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
