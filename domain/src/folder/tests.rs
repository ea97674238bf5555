//! The rules of a user's folders, one test per rule.

use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::{DomainError, Patch, Timestamp};

type Framework = TestFramework<Folders>;

fn at() -> Timestamp {
    Utc.timestamp_opt(1_764_626_400, 0).unwrap()
}

fn later() -> Timestamp {
    Utc.timestamp_opt(1_764_630_000, 0).unwrap()
}

/// The system folders as a user's first command records them at `at`.
fn system_at(at: Timestamp) -> FoldersEvent {
    Framework::with(())
        .given_no_previous_events()
        .when(FoldersCommand::EnsureSystemFolders {
            uid: "u1".into(),
            at,
        })
        .inspect_result()
        .expect("the system folders are created")
        .remove(0)
}

fn system() -> FoldersEvent {
    system_at(at())
}

fn create(id: &str, name: &str) -> FoldersCommand {
    FoldersCommand::CreateFolder {
        uid: "u1".into(),
        folder_id: id.into(),
        name: name.into(),
        description: None,
        color: DEFAULT_COLOR.into(),
        icon: DEFAULT_ICON.into(),
        at: later(),
    }
}

fn custom(id: &str, name: &str, order: i64) -> Folder {
    Folder {
        id: id.into(),
        name: name.into(),
        description: None,
        color: DEFAULT_COLOR.into(),
        icon: DEFAULT_ICON.into(),
        order,
        is_default: false,
        is_system: false,
        category_mapping: None,
        created_at: later(),
        updated_at: later(),
    }
}

fn created(id: &str, name: &str, order: i64) -> FoldersEvent {
    FoldersEvent::FolderCreated {
        uid: "u1".into(),
        folder: custom(id, name, order),
    }
}

#[test]
fn the_first_command_creates_the_ten_system_folders_with_other_as_default() {
    let FoldersEvent::SystemFoldersCreated { folders, .. } = system() else {
        panic!("system folders first");
    };
    let names: Vec<&str> = folders.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Personal",
            "Work",
            "Health",
            "Education",
            "Finance",
            "Travel",
            "Social",
            "Technology",
            "Entertainment",
            "Other"
        ]
    );
    assert!(folders.iter().all(|f| f.is_system));
    let defaults: Vec<&str> = folders
        .iter()
        .filter(|f| f.is_default)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(defaults, ["Other"]);
    assert_eq!(folders[1].id, SystemFolder::Work.id_for("u1"));
    assert_eq!(folders[1].category_mapping.as_deref(), Some("work"));
}

#[test]
fn ensuring_the_system_folders_again_records_nothing() {
    Framework::with(())
        .given(vec![system()])
        .when(FoldersCommand::EnsureSystemFolders {
            uid: "u1".into(),
            at: later(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_first_custom_folder_comes_after_the_system_folders_and_creates_them() {
    Framework::with(())
        .given_no_previous_events()
        .when(create("f1", "Ideas"))
        .then_expect_events(vec![system_at(later()), created("f1", "Ideas", 10)]);
}

#[test]
fn a_custom_folder_beyond_fifty_is_refused() {
    let mut given = vec![system()];
    for n in 0..MAX_CUSTOM_FOLDERS {
        given.push(created(&format!("f{n}"), "x", 10 + n as i64));
    }
    Framework::with(())
        .given(given)
        .when(create("one-more", "x"))
        .then_expect_error(DomainError::Invalid(
            "Maximum of 50 custom folders reached".into(),
        ));
}

#[test]
fn an_update_changes_what_is_given_and_an_empty_one_records_nothing() {
    let mut renamed = custom("f1", "Plans", 10);
    renamed.description = Some("trips".into());
    renamed.updated_at = at();
    Framework::with(())
        .given(vec![system(), created("f1", "Ideas", 10)])
        .when(FoldersCommand::UpdateFolder {
            uid: "u1".into(),
            folder_id: "f1".into(),
            changes: FolderChanges {
                name: Some("Plans".into()),
                description: Patch::Set("trips".into()),
                ..FolderChanges::default()
            },
            at: at(),
        })
        .then_expect_events(vec![FoldersEvent::FolderUpdated {
            uid: "u1".into(),
            folder: renamed,
        }]);
    Framework::with(())
        .given(vec![system(), created("f1", "Ideas", 10)])
        .when(FoldersCommand::UpdateFolder {
            uid: "u1".into(),
            folder_id: "f1".into(),
            changes: FolderChanges {
                name: Some("Ideas".into()),
                ..FolderChanges::default()
            },
            at: at(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn an_unknown_folder_is_not_found() {
    Framework::with(())
        .given(vec![system()])
        .when(FoldersCommand::UpdateFolder {
            uid: "u1".into(),
            folder_id: "nope".into(),
            changes: FolderChanges::default(),
            at: at(),
        })
        .then_expect_error(DomainError::NotFound("Folder"));
}

#[test]
fn a_reorder_puts_the_listed_folders_first_and_keeps_the_others_in_order() {
    let other = SystemFolder::Other.id_for("u1");
    let personal = SystemFolder::Personal.id_for("u1");
    let mut expected = vec!["f1".to_string(), other.clone()];
    expected.extend(
        SystemFolder::ALL[..9]
            .iter()
            .map(|folder| folder.id_for("u1")),
    );
    Framework::with(())
        .given(vec![system(), created("f1", "Ideas", 10)])
        .when(FoldersCommand::ReorderFolders {
            uid: "u1".into(),
            folder_ids: vec!["f1".into(), other.clone()],
            at: at(),
        })
        .then_expect_events(vec![FoldersEvent::FoldersReordered {
            uid: "u1".into(),
            folder_ids: expected,
            at: at(),
        }]);
    Framework::with(())
        .given(vec![system()])
        .when(FoldersCommand::ReorderFolders {
            uid: "u1".into(),
            folder_ids: vec![personal.clone(), personal],
            at: at(),
        })
        .then_expect_error(DomainError::Invalid(format!(
            "folder {} is listed more than once",
            SystemFolder::Personal.id_for("u1")
        )));
    Framework::with(())
        .given(vec![system()])
        .when(FoldersCommand::ReorderFolders {
            uid: "u1".into(),
            folder_ids: vec![SystemFolder::Work.id_for("u2")],
            at: at(),
        })
        .then_expect_error(DomainError::NotFound("Folder"));
}

#[test]
fn a_deleted_folder_sends_its_conversations_to_the_target_or_the_default_folder() {
    let work = SystemFolder::Work.id_for("u1");
    Framework::with(())
        .given(vec![system(), created("f1", "Ideas", 10)])
        .when(FoldersCommand::DeleteFolder {
            uid: "u1".into(),
            folder_id: "f1".into(),
            move_to_folder_id: Some(work.clone()),
            at: at(),
        })
        .then_expect_events(vec![FoldersEvent::FolderDeleted {
            uid: "u1".into(),
            folder_id: "f1".into(),
            moved_to: work,
            at: at(),
        }]);
    Framework::with(())
        .given(vec![system(), created("f1", "Ideas", 10)])
        .when(FoldersCommand::DeleteFolder {
            uid: "u1".into(),
            folder_id: "f1".into(),
            move_to_folder_id: None,
            at: at(),
        })
        .then_expect_events(vec![FoldersEvent::FolderDeleted {
            uid: "u1".into(),
            folder_id: "f1".into(),
            moved_to: SystemFolder::Other.id_for("u1"),
            at: at(),
        }]);
    Framework::with(())
        .given(vec![system(), created("f1", "Ideas", 10)])
        .when(FoldersCommand::DeleteFolder {
            uid: "u1".into(),
            folder_id: "f1".into(),
            move_to_folder_id: Some("nope".into()),
            at: at(),
        })
        .then_expect_error(DomainError::NotFound("Target folder"));
}

#[test]
fn a_system_folder_cannot_be_deleted() {
    Framework::with(())
        .given(vec![system()])
        .when(FoldersCommand::DeleteFolder {
            uid: "u1".into(),
            folder_id: SystemFolder::Work.id_for("u1"),
            move_to_folder_id: None,
            at: at(),
        })
        .then_expect_error(DomainError::Invalid(
            "System folders cannot be deleted".into(),
        ));
}
