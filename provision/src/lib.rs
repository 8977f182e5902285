//! Provision a Wi-Fi accessory: reach it, verify it with a trust policy, send it the home network,
//! confirm it joined, and record it in the ledger.
#![forbid(unsafe_code)]

mod error;
mod ledger;
mod secret;

pub use error::Error;
pub use ledger::{AccessoryRecord, AttemptOutcome, AttemptRecord, Ledger, SCHEMA_VERSION};
pub use secret::Secret;
