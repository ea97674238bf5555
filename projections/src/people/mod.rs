//! The people each user talks with (spec §2.6, §7.10): one row per live person, indexed by owner and creation
//! time for the list and by owner and normalized name for creation by name. A deleted person has no row.

mod as_of;
mod projection;
mod queries;
mod view;

pub use as_of::names_of;
pub use projection::PeopleProjection;
pub use queries::{by_name, get, list};
pub use view::PersonView;
