//! The one error type of the write side: why an aggregate refused a command.

/// A command refused by an aggregate. The api maps each variant to a 4xx status with `{"detail": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The target does not exist, was deleted, or belongs to another user (never revealed as such).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The command breaks a rule of the aggregate; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The command conflicts with the current state (for example creating what already exists).
    #[error("{0}")]
    Conflict(String),
}
