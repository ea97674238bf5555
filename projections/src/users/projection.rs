//! Keeps the `users` table in step with the log: the row's document is the user aggregate's state, folded by
//! the aggregate's own `apply`, so the read model and the write side never disagree on what an event means.

use cqrs_es::Aggregate;
use omi_domain::user::{User, UserEvent};

use crate::documents::{document_projection, Document, Owned};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;

document_projection! {
    /// The projection behind [`super::user_of`] and [`super::time_zones`].
    UsersProjection {
        name: "users",
        reads: ["User"],
        table: "users",
        select: select,
        evolve: evolve,
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
