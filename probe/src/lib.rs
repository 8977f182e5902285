//! (Table of contents to come.)
#![forbid(unsafe_code)]

mod clienthello;
mod error;
mod platform;
mod profile;

pub use clienthello::{measure, ClientHelloSize};
pub use error::Error;
pub use platform::{Platform, RuleBook};
pub use profile::{profiles, Group, Profile, Version};
