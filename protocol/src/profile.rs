//! Declarative API profiles: a TOML file that describes an accessory's own HTTPS provisioning API
//! (docs/api-profiles.md), so `provision` can speak it and the simulator can answer it. No I/O:
//! [`ApiProfile::parse`] takes the text and a name for messages; reading files is the caller's.
//!
//! A profile names four exchanges: the device info (where the device id is in its JSON answer, a
//! JSON pointer), the set-network request (a JSON or form body with placeholders, see
//! [`template`]), the status (polled or long-polled; the device's own state strings mapped to our
//! [`crate::api::State`] and [`crate::api::Reason`]), an optional networks list; and how requests after the device info
//! authenticate ([`Auth`]). Our own `/v1` API is the built-in [`ApiProfile::v1`].
//!
//! Every refusal is a [`ProfileError`] with a stable code (`profile.*`) and the line and column in
//! the file. `{passphrase}` may appear only in the set-network body: a path or a query lands in
//! logs.

mod answer;
mod load;
pub mod template;

pub use answer::set_pointer;

use std::fmt;

use serde::Deserialize;

use crate::api::Status;
use template::{BodyTemplate, PathTemplate};

/// The profile format this build reads.
pub const FORMAT: u32 = 1;

/// `profiles/v1.toml`: our own API as a profile, what `provision` uses without `--api-profile`.
pub const V1_TEXT: &str = include_str!("../../profiles/v1.toml");

/// Stable codes of the errors in a profile.
pub mod codes {
    /// Not TOML, a member missing, unknown, or of the wrong type.
    pub const SYNTAX: &str = "profile.syntax";
    /// A `{name}` that is not a placeholder.
    pub const UNKNOWN_PLACEHOLDER: &str = "profile.unknown_placeholder";
    /// `{passphrase}` outside the set-network body.
    pub const PASSPHRASE_OUTSIDE_BODY: &str = "profile.passphrase_outside_body";
    /// Valid TOML that does not describe a usable API (a bad pointer, method, template, format).
    pub const INVALID: &str = "profile.invalid";
}

/// A profile refused: its code, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}:{line}:{column}: {message}")]
pub struct ProfileError {
    /// One of [`codes`].
    pub code: &'static str,
    /// The file (or the name the caller gave the text).
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, for a person.
    pub message: String,
}

/// An HTTP method a profile may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
}

impl Method {
    /// The method's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

/// How requests after the device info authenticate (the device info request carries nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Nothing.
    None,
    /// Our proof of possession (`Authorization: PoP`, bound to the TLS exporter, [`crate::pop`]),
    /// when a code is given.
    Pop,
    /// A fixed header whose value is read from a file (a bearer token, an API key).
    StaticHeader {
        /// The header's name.
        header: String,
        /// Written before the file's value (`"Bearer "`).
        prefix: String,
        /// The file, relative to the profile's directory unless absolute.
        value_file: String,
    },
}

/// `GET` the device info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEndpoint {
    /// The method.
    pub method: Method,
    /// The path (no placeholders: the id is not known yet).
    pub path: String,
    /// JSON pointer to the device id.
    pub id: String,
    /// JSON pointer to the model name.
    pub model: Option<String>,
    /// JSON pointer to the firmware version.
    pub firmware: Option<String>,
    /// JSON pointer to the API version.
    pub api: Option<String>,
    /// JSON pointer to an array of capability strings.
    pub capabilities: Option<String>,
}

/// The request that carries the home network.
#[derive(Debug, Clone, PartialEq)]
pub struct SetNetworkEndpoint {
    /// The method.
    pub method: Method,
    /// The path (`{device_id}` allowed).
    pub path: PathTemplate,
    /// The body.
    pub body: BodyTemplate,
}

/// How the status is asked for again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polling {
    /// `?NAME=SECONDS`: the accessory answers when the state changes or the time is up.
    LongPoll {
        /// The query parameter.
        param: String,
    },
    /// Ask again after this many milliseconds.
    Interval {
        /// Milliseconds between two requests.
        ms: u64,
    },
}

/// The status request and what its answers mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEndpoint {
    /// The method.
    pub method: Method,
    /// The path (`{device_id}` allowed).
    pub path: PathTemplate,
    /// Long poll or interval.
    pub polling: Polling,
    /// JSON pointer to the device's state (a string, or a number compared as its text).
    pub state: String,
    /// JSON pointer to the failure reason, when the device says it apart from the state.
    pub reason: Option<String>,
    /// JSON pointer to the address on the home network.
    pub ip: Option<String>,
    /// The device's states meaning "joined".
    pub connected: Vec<String>,
    /// ... "still joining".
    pub connecting: Vec<String>,
    /// ... "has no network" (it lost the one it was given).
    pub idle: Vec<String>,
    /// ... "joining failed" (the reason read at `reason`).
    pub failed: Vec<String>,
    /// The device's strings (of the reason, else of the state) that mean the network refused the
    /// passphrase.
    pub wrong_passphrase: Vec<String>,
    /// ... no such network in range.
    pub network_not_found: Vec<String>,
    /// ... another failure.
    pub other: Vec<String>,
}

/// The optional networks list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworksEndpoint {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: PathTemplate,
    /// JSON pointer to the array.
    pub list: String,
    /// The member of each entry that holds the SSID.
    pub ssid: String,
    /// The member of each entry that holds the signal strength in dBm (a number), if it has one.
    pub rssi: Option<String>,
    /// The member of each entry that holds the security as [`crate::Security`] spells it
    /// (`wpa2-psk`...), if it has one; without it the person's `--network-security` applies.
    pub security: Option<String>,
}

/// A parsed, checked API profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiProfile {
    /// Its name.
    pub name: String,
    /// Authentication of the requests after the device info.
    pub auth: Auth,
    /// Device info.
    pub device: DeviceEndpoint,
    /// Set network.
    pub set_network: SetNetworkEndpoint,
    /// Status.
    pub status: StatusEndpoint,
    /// Networks list.
    pub networks: Option<NetworksEndpoint>,
}

/// What a status answer means, read by the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Our status (state, reason, address).
    Status(Status),
    /// A state the profile does not map, as the device spelled it.
    Unmapped(String),
}

impl ApiProfile {
    /// Our own `/v1` API (`profiles/v1.toml`).
    pub fn v1() -> ApiProfile {
        ApiProfile::parse("profiles/v1.toml", V1_TEXT).expect("the built-in profile parses")
    }

    /// The status request's path and query for one poll (`wait` seconds of long poll).
    pub fn status_path(&self, device_id: &str, wait: u64) -> String {
        let path = self.status.path.render(device_id);
        match &self.status.polling {
            Polling::LongPoll { param } => format!("{path}?{param}={wait}"),
            Polling::Interval { .. } => path,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
