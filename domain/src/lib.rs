//! The domain of omi-server: one module per aggregate, each with its commands, events and the aggregate that
//! decides between them. Everything here is pure: ids and clocks come in with the command, nothing does IO.

pub mod action_item;
pub mod api_key;
pub mod app;
pub mod capture;
pub mod chat;
pub mod contract;
pub mod conversation;
pub mod daily_summary;
pub mod daily_summary_settings;
pub mod developer_webhook;
pub mod device;
pub mod error;
pub mod folder;
pub mod goal;
pub mod integration;
pub mod memory;
pub mod notification;
pub mod patch;
pub mod person;
pub mod storable;
pub mod timestamp;
pub mod trend;
pub mod user;
pub mod webhook_delivery;
pub mod wrapped;

pub use error::DomainError;
pub use patch::Patch;

/// Timestamps in the domain are UTC, as the spec's wire format is.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
