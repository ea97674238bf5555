//! Keeps `apps`, `app_installations` and `app_reviews` in step with the log.

use omi_domain::app::{AppEvent, AppInstallationEvent, AppReviewEvent};
use sqlx::AnyConnection;

use super::view::{AppRecord, InstallationRecord, ReviewRecord};
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection of the app rows (`apps`).
pub struct AppsProjection;

/// The projection of enabled apps (`app_installations`).
pub struct AppInstallationsProjection;

/// The projection of reviews (`app_reviews`).
pub struct AppReviewsProjection;

impl Projection for AppsProjection {
    fn name(&self) -> &'static str {
        "apps"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["App"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["apps"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move { fold_into(conn, &changes_of(events, select_app), evolve_app).await })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select_app, evolve_app))
    }
}

impl Projection for AppInstallationsProjection {
    fn name(&self) -> &'static str {
        "app_installations"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["AppInstallation"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["app_installations"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move {
            fold_into(
                conn,
                &changes_of(events, select_installation),
                evolve_installation,
            )
            .await
        })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(
            select_installation,
            evolve_installation,
        ))
    }
}

impl Projection for AppReviewsProjection {
    fn name(&self) -> &'static str {
        "app_reviews"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["AppReview"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["app_reviews"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(
            async move { fold_into(conn, &changes_of(events, select_review), evolve_review).await },
        )
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select_review, evolve_review))
    }
}

impl Document for AppRecord {
    const TABLE: &'static str = "apps";
    const COLUMNS: &'static [&'static str] = &["private", "approved", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.private)
            .bind(self.approved)
            .bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.boolean(self.private)
            .boolean(self.approved)
            .bigint(micros(&self.created_at));
    }
}

impl Document for InstallationRecord {
    const TABLE: &'static str = "app_installations";
    const COLUMNS: &'static [&'static str] = &["app_id", "counts_install"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.app_id.clone()).bind(self.counts_install)
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.app_id).boolean(self.counts_install);
    }
}

impl Document for ReviewRecord {
    const TABLE: &'static str = "app_reviews";
    const COLUMNS: &'static [&'static str] = &["app_id", "score_millis", "rated_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.app_id.clone())
            .bind(self.score_millis())
            .bind(micros(&self.rated_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.app_id)
            .bigint(self.score_millis())
            .bigint(micros(&self.rated_at));
    }
}

fn select_app(recorded: &RecordedEvent) -> Option<&AppEvent> {
    match &recorded.event {
        StoredEvent::App(event) => Some(event),
        _ => None,
    }
}

fn select_installation(recorded: &RecordedEvent) -> Option<&AppInstallationEvent> {
    match &recorded.event {
        StoredEvent::AppInstallation(event) => Some(event),
        _ => None,
    }
}

fn select_review(recorded: &RecordedEvent) -> Option<&AppReviewEvent> {
    match &recorded.event {
        StoredEvent::AppReview(event) => Some(event),
        _ => None,
    }
}

fn evolve_app(
    id: &str,
    current: Option<Owned<AppRecord>>,
    event: &AppEvent,
) -> Option<Owned<AppRecord>> {
    AppRecord::evolve(id, current.map(|row| row.doc), event).map(|doc| Owned {
        uid: doc.uid.clone(),
        doc,
    })
}

fn evolve_installation(
    _id: &str,
    current: Option<Owned<InstallationRecord>>,
    event: &AppInstallationEvent,
) -> Option<Owned<InstallationRecord>> {
    InstallationRecord::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

fn evolve_review(
    _id: &str,
    current: Option<Owned<ReviewRecord>>,
    event: &AppReviewEvent,
) -> Option<Owned<ReviewRecord>> {
    ReviewRecord::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}
