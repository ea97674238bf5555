//! The standalone action-item list ("tasks") of each user (spec §2.3, §6.2).

mod projection;
mod queries;
mod view;

pub use projection::ActionItemsProjection;
pub use queries::{get, list, ActionItemFilter, ActionItemPage};
pub use view::ActionItemView;
