//! The values of folders: the system folders and the category each takes, their stable ids, and the limits and
//! defaults of custom folders.

use uuid::Uuid;

/// The color of a folder created without one.
pub const DEFAULT_COLOR: &str = "#6B7280";
/// The icon of a folder created without one.
pub const DEFAULT_ICON: &str = "📁";
/// The most custom (non-system) folders a user may have.
pub const MAX_CUSTOM_FOLDERS: usize = 50;
/// The longest folder name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 100;
/// The longest folder description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Namespace of the system folders' ids (a v5 UUID of the user and the folder's name).
const SYSTEM_FOLDER_NAMESPACE: Uuid = Uuid::from_u128(0x8f0e_2a41_5c37_4b6e_9d12_7a30_c4e5_f901);

/// The stream holding all of a user's folders.
pub fn folders_stream_id(uid: &str) -> String {
    uid.to_string()
}

/// Whether `color` is a `#RRGGBB` hex color.
pub fn is_hex_color(color: &str) -> bool {
    color.len() == 7
        && color.starts_with('#')
        && color[1..].bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The ten folders every user gets, in their initial order; `Other` is the default folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemFolder {
    Personal,
    Work,
    Health,
    Education,
    Finance,
    Travel,
    Social,
    Technology,
    Entertainment,
    Other,
}

impl SystemFolder {
    /// All of them, in their initial order.
    pub const ALL: [SystemFolder; 10] = [
        SystemFolder::Personal,
        SystemFolder::Work,
        SystemFolder::Health,
        SystemFolder::Education,
        SystemFolder::Finance,
        SystemFolder::Travel,
        SystemFolder::Social,
        SystemFolder::Technology,
        SystemFolder::Entertainment,
        SystemFolder::Other,
    ];

    /// The folder's name as created.
    pub fn name(self) -> &'static str {
        match self {
            SystemFolder::Personal => "Personal",
            SystemFolder::Work => "Work",
            SystemFolder::Health => "Health",
            SystemFolder::Education => "Education",
            SystemFolder::Finance => "Finance",
            SystemFolder::Travel => "Travel",
            SystemFolder::Social => "Social",
            SystemFolder::Technology => "Technology",
            SystemFolder::Entertainment => "Entertainment",
            SystemFolder::Other => "Other",
        }
    }

    /// The conversation category (`CategoryEnum`) the folder stands for: its name in lower case.
    pub fn category_mapping(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// Whether it is the fallback folder.
    pub fn is_default(self) -> bool {
        self == SystemFolder::Other
    }

    /// The folder's id for user `uid`: the same on every server and every replay, distinct per user.
    pub fn id_for(self, uid: &str) -> String {
        let seed = format!("{uid}\u{1f}{}", self.name());
        Uuid::new_v5(&SYSTEM_FOLDER_NAMESPACE, seed.as_bytes()).to_string()
    }

    /// The folder a conversation of `category` goes to (spec §2.9's mapping table); any category it does not
    /// name, unknown ones included, goes to `Other`.
    pub fn for_category(category: &str) -> SystemFolder {
        match category {
            "personal" | "family" | "parenting" | "romantic" | "spiritual" | "inspiration" => {
                SystemFolder::Personal
            }
            "work" | "business" | "entrepreneurship" | "legal" => SystemFolder::Work,
            "health" | "sports" => SystemFolder::Health,
            "education" | "science" | "philosophy" | "literature" | "history" | "psychology" => {
                SystemFolder::Education
            }
            "finance" | "economics" => SystemFolder::Finance,
            "travel" => SystemFolder::Travel,
            "social" => SystemFolder::Social,
            "technology" | "architecture" | "design" => SystemFolder::Technology,
            "entertainment" | "music" => SystemFolder::Entertainment,
            _ => SystemFolder::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::CATEGORIES;

    #[test]
    fn system_folder_ids_depend_on_the_user_and_the_name_only() {
        assert_eq!(
            SystemFolder::Work.id_for("u1"),
            SystemFolder::Work.id_for("u1")
        );
        assert_ne!(
            SystemFolder::Work.id_for("u1"),
            SystemFolder::Work.id_for("u2")
        );
        assert_ne!(
            SystemFolder::Work.id_for("u1"),
            SystemFolder::Personal.id_for("u1")
        );
    }

    #[test]
    fn categories_go_to_the_folders_of_the_mapping_table_and_the_rest_to_other() {
        assert_eq!(SystemFolder::for_category("legal"), SystemFolder::Work);
        assert_eq!(
            SystemFolder::for_category("parenting"),
            SystemFolder::Personal
        );
        assert_eq!(SystemFolder::for_category("sports"), SystemFolder::Health);
        assert_eq!(
            SystemFolder::for_category("psychology"),
            SystemFolder::Education
        );
        assert_eq!(
            SystemFolder::for_category("economics"),
            SystemFolder::Finance
        );
        assert_eq!(
            SystemFolder::for_category("music"),
            SystemFolder::Entertainment
        );
        assert_eq!(
            SystemFolder::for_category("design"),
            SystemFolder::Technology
        );
        assert_eq!(SystemFolder::for_category("weather"), SystemFolder::Other);
        assert_eq!(
            SystemFolder::for_category("no such category"),
            SystemFolder::Other
        );
        // Every folder but Other is reached by its own category.
        for folder in SystemFolder::ALL {
            assert!(CATEGORIES.contains(&folder.category_mapping().as_str()));
            assert_eq!(
                SystemFolder::for_category(&folder.category_mapping()),
                folder
            );
        }
    }

    #[test]
    fn colors_are_six_hex_digits_after_a_hash() {
        assert!(is_hex_color("#6B7280"));
        assert!(is_hex_color("#abcdef"));
        assert!(!is_hex_color("6B7280"));
        assert!(!is_hex_color("#6B728"));
        assert!(!is_hex_color("#GGGGGG"));
        assert!(!is_hex_color("#6B7280\0"));
    }
}
