//! (Table of contents to come.)
#![forbid(unsafe_code)]

mod alert;
mod clienthello;
mod error;
mod handshake;
mod lint;
mod platform;
mod probe;
mod profile;
mod report;
mod target;
mod verdict;

pub use alert::Alert;
pub use clienthello::{measure, ClientHelloSize};
pub use error::Error;
pub use platform::{Platform, RuleBook};
pub use probe::{run, run_with, Options};
pub use profile::{profiles, Group, Profile, Version};
pub use report::{AppleError, Chain, PlatformError, ProfileResult, Report};
pub use target::Target;
pub use verdict::{Reason, Verdict};
