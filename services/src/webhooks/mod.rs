//! Outbound webhook requests: the Standard Webhooks signature ([`signature`]) and the sender that posts one attempt
//! and reports its outcome ([`sender`]), reaching only the public addresses [`crate::outbound::is_public`] allows.

pub mod sender;
pub mod signature;

pub use sender::{Attempt, Request, Sender};
pub use signature::{new_secret, sign, SecretError};
