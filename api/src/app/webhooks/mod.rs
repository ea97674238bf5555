//! Outbound webhooks (spec §5.4, §7.10 `developer/webhook*`, issue 17): the user's developer webhooks (their
//! URLs, secrets and toggles, in `developer`), the delivery log and redelivery (`deliveries`), and scheduling a
//! delivery, which every sender of webhooks shares (`schedule`).

pub mod deliveries;
pub mod developer;
pub mod schedule;
