//! Outbound webhook requests: the Standard Webhooks signature ([`signature`]), the guard that keeps requests off
//! loopback, private, link-local and unspecified addresses ([`address`]), and the sender that posts one attempt
//! and reports its outcome ([`sender`]).

pub mod address;
pub mod sender;
pub mod signature;

pub use sender::{Attempt, Request, Sender};
pub use signature::{new_secret, sign, SecretError};
