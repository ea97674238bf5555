//! Keeps the `users` table in step with the log: the row's document is the user aggregate's state, folded by
//! the aggregate's own `apply`, so the read model and the write side never disagree on what an event means.

use cqrs_es::Aggregate;
use omi_domain::user::{User, UserEvent};
use sqlx::AnyConnection;

use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The projection behind [`super::user_of`] and [`super::time_zones`].
pub struct UsersProjection;

impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        "users"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["User"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["users"]
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

impl Document for User {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static [&'static str] = &["time_zone"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.profile.time_zone.clone())
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text_or_null(self.profile.time_zone.as_deref());
    }
}

fn select(recorded: &RecordedEvent) -> Option<&UserEvent> {
    match &recorded.event {
        StoredEvent::User(event) => Some(event),
        _ => None,
    }
}

fn evolve(_id: &str, current: Option<Owned<User>>, event: &UserEvent) -> Option<Owned<User>> {
    let mut row = current.unwrap_or_else(|| Owned {
        uid: event.uid().to_string(),
        doc: User::default(),
    });
    row.doc.apply(event.clone());
    Some(row)
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
