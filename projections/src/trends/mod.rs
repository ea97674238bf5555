//! Trends (spec §7.11, §2.12): for each trend category and type, the whitelisted topics and how many
//! conversations speak of them so. One row per conversation holds the mentions its latest processing run
//! recorded (`TrendsExtracted`); a new run's result replaces them, and a deleted or merged conversation's
//! mentions stop counting. `GET /v1/trends` counts the rows; it is the same for every caller.

mod projection;
mod queries;
mod view;

pub use projection::TrendsProjection;
pub use queries::{trends, Trend, TrendTopic};
