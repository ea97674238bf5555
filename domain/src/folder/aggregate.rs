//! The folders aggregate: a user's folders and the rules that span them.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::{SystemFolder, DEFAULT_COLOR, DEFAULT_ICON, MAX_CUSTOM_FOLDERS};
use super::{FolderChanges, FoldersCommand, FoldersEvent};
use crate::{DomainError, Timestamp};

/// One folder (spec §2.9), without its conversation count, which the read side keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `#RRGGBB`.
    pub color: String,
    pub icon: String,
    /// Folders are listed by it, ascending.
    pub order: i64,
    /// The fallback folder (`Other`).
    pub is_default: bool,
    /// Created automatically; cannot be deleted.
    pub is_system: bool,
    /// The conversation category a system folder stands for.
    pub category_mapping: Option<String>,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub created_at: Timestamp,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub updated_at: Timestamp,
}

/// A user's folders: none until the first folder command or the first processed conversation creates the
/// system folders.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Folders {
    folders: Vec<Folder>,
}

/// The events a command records, or why it is refused.
type Decision = Result<Vec<FoldersEvent>, DomainError>;

impl Folders {
    /// Every folder of the user, in creation order (the `order` field says how they are listed).
    pub fn all(&self) -> &[Folder] {
        &self.folders
    }

    /// The folder `id`, if the user has it.
    pub fn get(&self, id: &str) -> Option<&Folder> {
        self.folders.iter().find(|folder| folder.id == id)
    }

    fn initialized(&self) -> bool {
        !self.folders.is_empty()
    }

    fn custom_count(&self) -> usize {
        self.folders
            .iter()
            .filter(|folder| !folder.is_system)
            .count()
    }

    fn next_order(&self) -> i64 {
        self.folders
            .iter()
            .map(|folder| folder.order)
            .max()
            .map_or(0, |max| max + 1)
    }

    fn default_folder(&self) -> Option<&Folder> {
        self.folders.iter().find(|folder| folder.is_default)
    }

    fn found(&self, id: &str) -> Result<&Folder, DomainError> {
        self.get(id).ok_or(DomainError::NotFound("Folder"))
    }

    /// The ten system folders of `uid`, in their initial order.
    fn system_folders(uid: &str, at: Timestamp) -> FoldersEvent {
        let folders = SystemFolder::ALL
            .iter()
            .enumerate()
            .map(|(order, folder)| Folder {
                id: folder.id_for(uid),
                name: folder.name().to_string(),
                description: None,
                color: DEFAULT_COLOR.to_string(),
                icon: DEFAULT_ICON.to_string(),
                order: order as i64,
                is_default: folder.is_default(),
                is_system: true,
                category_mapping: Some(folder.category_mapping()),
                created_at: at,
                updated_at: at,
            })
            .collect();
        FoldersEvent::SystemFoldersCreated {
            uid: uid.to_string(),
            folders,
        }
    }

    fn decide(&self, command: FoldersCommand) -> Decision {
        use FoldersCommand as C;
        match command {
            C::EnsureSystemFolders { .. } => Ok(vec![]),
            C::CreateFolder {
                uid,
                folder_id,
                name,
                description,
                color,
                icon,
                at,
            } => {
                if self.get(&folder_id).is_some() {
                    return Err(DomainError::Conflict("Folder already exists".into()));
                }
                if self.custom_count() >= MAX_CUSTOM_FOLDERS {
                    return Err(DomainError::Invalid(format!(
                        "Maximum of {MAX_CUSTOM_FOLDERS} custom folders reached"
                    )));
                }
                let folder = Folder {
                    id: folder_id,
                    name,
                    description,
                    color,
                    icon,
                    order: self.next_order(),
                    is_default: false,
                    is_system: false,
                    category_mapping: None,
                    created_at: at,
                    updated_at: at,
                };
                Ok(vec![FoldersEvent::FolderCreated { uid, folder }])
            }
            C::UpdateFolder {
                uid,
                folder_id,
                changes,
                at,
            } => {
                let current = self.found(&folder_id)?;
                let Some(folder) = changed(current, changes, at) else {
                    return Ok(vec![]);
                };
                Ok(vec![FoldersEvent::FolderUpdated { uid, folder }])
            }
            C::ReorderFolders {
                uid,
                folder_ids,
                at,
            } => self.reorder(uid, folder_ids, at),
            C::DeleteFolder {
                uid,
                folder_id,
                move_to_folder_id,
                at,
            } => {
                let folder = self.found(&folder_id)?;
                if folder.is_system {
                    return Err(DomainError::Invalid(
                        "System folders cannot be deleted".into(),
                    ));
                }
                let moved_to = match move_to_folder_id {
                    Some(target) if target == folder_id => {
                        return Err(DomainError::Invalid(
                            "move_to_folder_id must be another folder".into(),
                        ))
                    }
                    Some(target) => self
                        .get(&target)
                        .ok_or(DomainError::NotFound("Target folder"))?
                        .id
                        .clone(),
                    None => self
                        .default_folder()
                        .ok_or(DomainError::NotFound("Default folder"))?
                        .id
                        .clone(),
                };
                Ok(vec![FoldersEvent::FolderDeleted {
                    uid,
                    folder_id,
                    moved_to,
                    at,
                }])
            }
        }
    }

    /// The listed folders first, then the others in their current order; records nothing when the order
    /// would stay as it is.
    fn reorder(&self, uid: String, listed: Vec<String>, at: Timestamp) -> Decision {
        for (place, id) in listed.iter().enumerate() {
            self.found(id)?;
            if listed[..place].contains(id) {
                return Err(DomainError::Invalid(format!(
                    "folder {id} is listed more than once"
                )));
            }
        }
        let mut rest: Vec<&Folder> = self
            .folders
            .iter()
            .filter(|folder| !listed.contains(&folder.id))
            .collect();
        rest.sort_by_key(|folder| folder.order);
        let mut folder_ids = listed;
        folder_ids.extend(rest.into_iter().map(|folder| folder.id.clone()));
        let unchanged = folder_ids
            .iter()
            .enumerate()
            .all(|(order, id)| self.get(id).is_some_and(|f| f.order == order as i64));
        if unchanged {
            return Ok(vec![]);
        }
        Ok(vec![FoldersEvent::FoldersReordered {
            uid,
            folder_ids,
            at,
        }])
    }
}

/// The folder after `changes`, or `None` when they change nothing.
fn changed(current: &Folder, changes: FolderChanges, at: Timestamp) -> Option<Folder> {
    let mut next = current.clone();
    if let Some(name) = changes.name {
        next.name = name;
    }
    changes.description.apply_to(&mut next.description);
    if let Some(color) = changes.color {
        next.color = color;
    }
    if let Some(icon) = changes.icon {
        next.icon = icon;
    }
    if let Some(order) = changes.order {
        next.order = order;
    }
    if next == *current {
        return None;
    }
    next.updated_at = at;
    Some(next)
}

fn uid_of(command: &FoldersCommand) -> (&str, Timestamp) {
    use FoldersCommand as C;
    match command {
        C::EnsureSystemFolders { uid, at }
        | C::CreateFolder { uid, at, .. }
        | C::UpdateFolder { uid, at, .. }
        | C::ReorderFolders { uid, at, .. }
        | C::DeleteFolder { uid, at, .. } => (uid, *at),
    }
}

impl Aggregate for Folders {
    const TYPE: &'static str = "Folders";
    type Command = FoldersCommand;
    type Event = FoldersEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FoldersCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let (uid, at) = uid_of(&command);
        // The first command of a user creates the system folders, then is decided against them.
        let mut events = Vec::new();
        let mut working = self.clone();
        if !self.initialized() {
            let created = Self::system_folders(uid, at);
            working.apply(created.clone());
            events.push(created);
        }
        events.extend(working.decide(command)?);
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: FoldersEvent) {
        use FoldersEvent as E;
        match event {
            E::SystemFoldersCreated { folders, .. } => self.folders.extend(folders),
            E::FolderCreated { folder, .. } => self.folders.push(folder),
            E::FolderUpdated { folder, .. } => {
                if let Some(current) = self.folders.iter_mut().find(|f| f.id == folder.id) {
                    *current = folder;
                }
            }
            E::FoldersReordered { folder_ids, at, .. } => {
                for folder in &mut self.folders {
                    if let Some(order) = folder_ids.iter().position(|id| *id == folder.id) {
                        if folder.order != order as i64 {
                            folder.order = order as i64;
                            folder.updated_at = at;
                        }
                    }
                }
            }
            E::FolderDeleted { folder_id, .. } => self.folders.retain(|f| f.id != folder_id),
        }
    }
}
