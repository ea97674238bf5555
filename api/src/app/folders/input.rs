//! The inputs of folder requests and their checks (spec §2.9, §7.13), the same for every door: a name of 1-100
//! characters after trimming, a description of at most 500, a `#RRGGBB` color, a short icon, and bounded id
//! lists. Each problem is a 422 at its place; nothing is written when there is one.

use omi_domain::folder::{
    is_hex_color, FolderChanges, DEFAULT_COLOR, DEFAULT_ICON, MAX_CUSTOM_FOLDERS,
    MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};
use omi_domain::Patch;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::validation::{check_length, Problems};
use crate::error::ApiResult;

/// The longest icon, in characters: an emoji with its modifiers, or a short name such as `folder`.
pub const MAX_ICON_CHARS: usize = 32;
/// The most folder ids a reorder lists: every folder a user can have.
pub const MAX_REORDER_IDS: usize = MAX_CUSTOM_FOLDERS + 10;
/// The largest `order` a folder may be given (new folders take the largest plus one).
pub const MAX_ORDER: i64 = 1_000_000;
/// The most conversation ids one bulk move takes.
pub const MAX_BULK_MOVE_IDS: usize = 1_000;

/// A new folder.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewFolder {
    /// 1-100 characters (trimmed).
    pub name: String,
    /// At most 500 characters; what belongs in the folder, in plain words.
    #[serde(default)]
    pub description: Option<String>,
    /// `#RRGGBB`; `#6B7280` when absent.
    #[serde(default)]
    pub color: Option<String>,
    /// An emoji; `📁` when absent.
    #[serde(default)]
    pub icon: Option<String>,
}

/// A change to a folder: absent fields stay as they are; a `null` description removes it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct FolderUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Patch<String>,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default)]
    pub order: Option<i64>,
}

/// The new order: the listed folders first, in this order; the others after them as they were.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Reorder {
    pub folder_ids: Vec<String>,
}

/// The conversations to move into a folder; ids that are not the caller's conversations are skipped.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkMove {
    pub conversation_ids: Vec<String>,
}

/// A new folder's checked fields: name, description, color, icon.
pub struct CheckedFolder {
    pub name: String,
    pub description: Option<String>,
    pub color: String,
    pub icon: String,
}

fn check_name(problems: &mut Problems, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        problems.add("body.name", "name must not be empty");
    } else {
        check_length(problems, "body.name", "name", name, MAX_NAME_CHARS);
    }
    name.to_string()
}

fn check_description(problems: &mut Problems, description: String) -> Option<String> {
    check_length(
        problems,
        "body.description",
        "description",
        &description,
        MAX_DESCRIPTION_CHARS,
    );
    Some(description.trim().to_string()).filter(|d| !d.is_empty())
}

fn check_color(problems: &mut Problems, color: String) -> String {
    if !is_hex_color(&color) {
        problems.add("body.color", "color must be a hex color such as #6B7280");
    }
    color
}

fn check_icon(problems: &mut Problems, icon: String) -> String {
    let icon = icon.trim().to_string();
    if icon.is_empty() {
        problems.add("body.icon", "icon must not be empty");
    } else {
        check_length(problems, "body.icon", "icon", &icon, MAX_ICON_CHARS);
    }
    icon
}

impl NewFolder {
    /// The folder's fields, checked, with the defaults filled in.
    pub fn check(self) -> ApiResult<CheckedFolder> {
        let mut problems = Problems::new();
        let name = check_name(&mut problems, &self.name);
        let description = self
            .description
            .and_then(|d| check_description(&mut problems, d));
        let color = check_color(
            &mut problems,
            self.color.unwrap_or_else(|| DEFAULT_COLOR.to_string()),
        );
        let icon = check_icon(
            &mut problems,
            self.icon.unwrap_or_else(|| DEFAULT_ICON.to_string()),
        );
        problems.or(CheckedFolder {
            name,
            description,
            color,
            icon,
        })
    }
}

impl FolderUpdate {
    /// The changes, checked.
    pub fn check(self) -> ApiResult<FolderChanges> {
        let mut problems = Problems::new();
        let name = self.name.map(|name| check_name(&mut problems, &name));
        let description = match self.description {
            Patch::Set(d) => match check_description(&mut problems, d) {
                Some(d) => Patch::Set(d),
                None => Patch::Clear,
            },
            other => other,
        };
        let color = self.color.map(|c| check_color(&mut problems, c));
        let icon = self.icon.map(|i| check_icon(&mut problems, i));
        if self
            .order
            .is_some_and(|order| !(0..=MAX_ORDER).contains(&order))
        {
            problems.add(
                "body.order",
                format!("order must be between 0 and {MAX_ORDER}"),
            );
        }
        problems.or(FolderChanges {
            name,
            description,
            color,
            icon,
            order: self.order,
        })
    }
}

impl Reorder {
    /// The ids, at most [`MAX_REORDER_IDS`] of them.
    pub fn check(self) -> ApiResult<Vec<String>> {
        let mut problems = Problems::new();
        if self.folder_ids.len() > MAX_REORDER_IDS {
            problems.add(
                "body.folder_ids",
                format!("at most {MAX_REORDER_IDS} folder ids"),
            );
        }
        problems.or(self.folder_ids)
    }
}

impl BulkMove {
    /// The ids, at most [`MAX_BULK_MOVE_IDS`] of them, each once.
    pub fn check(self) -> ApiResult<Vec<String>> {
        let mut problems = Problems::new();
        if self.conversation_ids.len() > MAX_BULK_MOVE_IDS {
            problems.add(
                "body.conversation_ids",
                format!("at most {MAX_BULK_MOVE_IDS} conversation ids"),
            );
        }
        let mut ids = self.conversation_ids;
        ids.sort();
        ids.dedup();
        problems.or(ids)
    }
}
