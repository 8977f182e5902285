//! Declarative API profiles: a TOML file that describes an accessory's own HTTPS provisioning API
//! (docs/api-profiles.md), so `provision` can speak it and the simulator can answer it. No I/O:
//! [`ApiProfile::parse`] takes the text and a name for messages; reading files is the caller's.
//!
//! A profile names four exchanges: the device info (where the device id is in its JSON answer, a
//! JSON pointer), the set-network request (a JSON or form body with placeholders, see
//! [`template`]), the status (polled or long-polled; the device's own state strings mapped to our
//! [`State`] and [`Reason`]), an optional networks list; and how requests after the device info
//! authenticate ([`Auth`]). Our own `/v1` API is the built-in [`ApiProfile::v1`].
//!
//! Every refusal is a [`ProfileError`] with a stable code (`profile.*`) and the line and column in
//! the file. `{passphrase}` may appear only in the set-network body: a path or a query lands in
//! logs.

pub mod template;

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::api::{DeviceInfo, Reason, State, Status};
use template::{placeholders_in, BodyKind, BodyTemplate, PathTemplate, Placeholder};

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

// ---- the TOML as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: Spanned<u32>,
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    auth: Option<RawAuth>,
    device: RawDevice,
    set_network: RawSetNetwork,
    status: RawStatus,
    #[serde(default)]
    networks: Option<RawNetworks>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
enum RawAuth {
    None,
    Pop,
    StaticHeader {
        // Not `Spanned`: an internally tagged enum buffers its content, which loses spans.
        header: String,
        #[serde(default)]
        prefix: String,
        value_file: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    #[serde(default = "get")]
    method: Method,
    path: Spanned<String>,
    id: Spanned<String>,
    model: Option<Spanned<String>>,
    firmware: Option<Spanned<String>>,
    api: Option<Spanned<String>>,
    capabilities: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSetNetwork {
    method: Method,
    path: Spanned<String>,
    body_kind: BodyKind,
    body: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    #[serde(default = "get")]
    method: Method,
    path: Spanned<String>,
    long_poll: Option<String>,
    poll_interval_ms: Option<Spanned<u64>>,
    state: Spanned<String>,
    reason: Option<Spanned<String>>,
    ip: Option<Spanned<String>>,
    connected: Spanned<Vec<String>>,
    connecting: Vec<String>,
    #[serde(default)]
    idle: Vec<String>,
    #[serde(default)]
    failed: Vec<String>,
    #[serde(default)]
    reasons: RawReasons,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReasons {
    #[serde(default)]
    wrong_passphrase: Vec<String>,
    #[serde(default)]
    network_not_found: Vec<String>,
    #[serde(default)]
    other: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetworks {
    #[serde(default = "get")]
    method: Method,
    path: Spanned<String>,
    list: Spanned<String>,
    #[serde(default = "default_ssid_member")]
    ssid: String,
}

fn get() -> Method {
    Method::Get
}

fn default_ssid_member() -> String {
    "ssid".into()
}

/// The text being parsed and its name: turns byte offsets into lines and columns.
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, code: &'static str, at: usize, message: impl Into<String>) -> ProfileError {
        let at = at.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        ProfileError {
            code,
            name: self.name.to_owned(),
            line,
            column: before[line_start..].chars().count() + 1,
            message: message.into(),
        }
    }

    /// Where `{name}` is inside the value at `span` (the raw text holds it verbatim), else the
    /// value's start.
    fn placeholder_at(&self, span: &Range<usize>, name: &str) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or("");
        raw.find(&format!("{{{name}}}"))
            .map_or(span.start, |i| span.start + i)
    }

    /// Checks the placeholders of a path: `{device_id}` only (or none at all).
    fn path(
        &self,
        value: &Spanned<String>,
        allow_device_id: bool,
    ) -> Result<PathTemplate, ProfileError> {
        let text = value.get_ref();
        if !text.starts_with('/') {
            return Err(self.error(
                codes::INVALID,
                value.span().start,
                format!("a path starts with '/': {text:?}"),
            ));
        }
        for (name, _) in placeholders_in(text) {
            let at = self.placeholder_at(&value.span(), name);
            match Placeholder::from_name(name) {
                None => return Err(self.unknown(at, name)),
                Some(Placeholder::Passphrase) => {
                    return Err(self.error(
                        codes::PASSPHRASE_OUTSIDE_BODY,
                        at,
                        "{passphrase} may appear only in the set-network body: a path or query lands in logs",
                    ))
                }
                Some(Placeholder::DeviceId) if allow_device_id => {}
                Some(p) => {
                    return Err(self.error(
                        codes::INVALID,
                        at,
                        format!(
                            "{{{}}} cannot be used in this path (only {{device_id}}, and not in the device info path)",
                            p.name()
                        ),
                    ))
                }
            }
        }
        Ok(PathTemplate::new(text.clone()))
    }

    fn unknown(&self, at: usize, name: &str) -> ProfileError {
        let known: Vec<String> = Placeholder::ALL
            .iter()
            .map(|p| format!("{{{}}}", p.name()))
            .collect();
        self.error(
            codes::UNKNOWN_PLACEHOLDER,
            at,
            format!(
                "unknown placeholder {{{name}}} (known: {})",
                known.join(", ")
            ),
        )
    }

    fn pointer(&self, value: &Spanned<String>) -> Result<String, ProfileError> {
        let text = value.get_ref();
        if !text.is_empty() && !text.starts_with('/') {
            return Err(self.error(
                codes::INVALID,
                value.span().start,
                format!("{text:?} is not a JSON pointer (RFC 6901: empty, or starting with '/', e.g. \"/device/id\")"),
            ));
        }
        Ok(text.clone())
    }

    fn opt_pointer(&self, value: &Option<Spanned<String>>) -> Result<Option<String>, ProfileError> {
        value.as_ref().map(|v| self.pointer(v)).transpose()
    }
}

impl ApiProfile {
    /// Parses and checks a profile. `name` names it in errors (the file's path).
    pub fn parse(name: &str, text: &str) -> Result<ApiProfile, ProfileError> {
        let src = Source { name, text };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            src.error(codes::SYNTAX, at, e.message().trim_end().to_owned())
        })?;
        if *raw.format.get_ref() != FORMAT {
            return Err(src.error(
                codes::INVALID,
                raw.format.span().start,
                format!(
                    "profile format {} is not one this build reads (format = {FORMAT})",
                    raw.format.get_ref()
                ),
            ));
        }
        let auth = match raw.auth {
            None | Some(RawAuth::None) => Auth::None,
            Some(RawAuth::Pop) => Auth::Pop,
            Some(RawAuth::StaticHeader {
                header,
                prefix,
                value_file,
            }) => {
                let h = &header;
                if h.is_empty()
                    || !h
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                {
                    return Err(src.error(
                        codes::INVALID,
                        text.find(&format!("{h:?}")).unwrap_or(0),
                        format!("{h:?} is not an HTTP header name"),
                    ));
                }
                Auth::StaticHeader {
                    header: h.clone(),
                    prefix,
                    value_file,
                }
            }
        };

        let d = &raw.device;
        let device = DeviceEndpoint {
            method: d.method,
            path: src.path(&d.path, false)?.as_str().to_owned(),
            id: src.pointer(&d.id)?,
            model: src.opt_pointer(&d.model)?,
            firmware: src.opt_pointer(&d.firmware)?,
            api: src.opt_pointer(&d.api)?,
            capabilities: src.opt_pointer(&d.capabilities)?,
        };

        let s = &raw.set_network;
        let body_span = s.body.span();
        for (name, _) in placeholders_in(s.body.get_ref()) {
            if Placeholder::from_name(name).is_none() {
                return Err(src.unknown(src.placeholder_at(&body_span, name), name));
            }
        }
        let body = BodyTemplate::parse(s.body_kind, s.body.get_ref()).map_err(|p| {
            let at =
                p.at.as_deref()
                    .map_or(body_span.start, |n| src.placeholder_at(&body_span, n));
            src.error(codes::INVALID, at, p.message)
        })?;
        for needed in [Placeholder::Ssid, Placeholder::Passphrase] {
            if !body.uses(needed) {
                return Err(src.error(
                    codes::INVALID,
                    body_span.start,
                    format!("the set-network body never sends {{{}}}", needed.name()),
                ));
            }
        }
        let set_network = SetNetworkEndpoint {
            method: s.method,
            path: src.path(&s.path, true)?,
            body,
        };

        let st = raw.status;
        let polling = match (st.long_poll, st.poll_interval_ms) {
            (Some(param), None) => Polling::LongPoll { param },
            (None, Some(ms)) if *ms.get_ref() > 0 => Polling::Interval { ms: *ms.get_ref() },
            (None, Some(ms)) => {
                return Err(src.error(
                    codes::INVALID,
                    ms.span().start,
                    "poll_interval_ms is at least 1",
                ))
            }
            (Some(_), Some(ms)) => {
                return Err(src.error(
                    codes::INVALID,
                    ms.span().start,
                    "give long_poll or poll_interval_ms, not both",
                ))
            }
            (None, None) => Polling::Interval { ms: 1000 },
        };
        if st.connected.get_ref().is_empty() {
            return Err(src.error(
                codes::INVALID,
                st.connected.span().start,
                "status.connected names at least one state",
            ));
        }
        let status = StatusEndpoint {
            method: st.method,
            path: src.path(&st.path, true)?,
            polling,
            state: src.pointer(&st.state)?,
            reason: src.opt_pointer(&st.reason)?,
            ip: src.opt_pointer(&st.ip)?,
            connected: st.connected.into_inner(),
            connecting: st.connecting,
            idle: st.idle,
            failed: st.failed,
            wrong_passphrase: st.reasons.wrong_passphrase,
            network_not_found: st.reasons.network_not_found,
            other: st.reasons.other,
        };
        let networks = match raw.networks {
            None => None,
            Some(n) => Some(NetworksEndpoint {
                method: n.method,
                path: src.path(&n.path, true)?,
                list: src.pointer(&n.list)?,
                ssid: n.ssid,
            }),
        };
        Ok(ApiProfile {
            name: raw.name,
            auth,
            device,
            set_network,
            status,
            networks,
        })
    }

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

    /// Reads the device info answer: `None` when there is no device id (a string) at the pointer.
    pub fn read_device(&self, answer: &serde_json::Value) -> Option<DeviceInfo> {
        let d = &self.device;
        let text = |p: &Option<String>| {
            p.as_deref()
                .and_then(|p| answer.pointer(p))
                .map(scalar_text)
                .unwrap_or_default()
        };
        Some(DeviceInfo {
            device_id: answer.pointer(&d.id)?.as_str()?.to_owned(),
            model: text(&d.model),
            firmware: text(&d.firmware),
            api: d
                .api
                .as_deref()
                .and_then(|p| answer.pointer(p))
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            capabilities: d
                .capabilities
                .as_deref()
                .and_then(|p| answer.pointer(p))
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Reads a status answer: the state at its pointer, mapped; `None` when there is no state.
    pub fn read_status(&self, answer: &serde_json::Value) -> Option<Reading> {
        let s = &self.status;
        let state = scalar_text(answer.pointer(&s.state)?);
        let ip =
            s.ip.as_deref()
                .and_then(|p| answer.pointer(p))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
        let is = |list: &[String]| list.iter().any(|x| *x == state);
        let plain = |state| {
            Some(Reading::Status(Status {
                state,
                reason: None,
                ip: None,
            }))
        };
        if is(&s.connected) {
            return Some(Reading::Status(Status {
                state: State::Connected,
                reason: None,
                ip,
            }));
        }
        if is(&s.connecting) {
            return plain(State::Connecting);
        }
        if is(&s.idle) {
            return plain(State::Idle);
        }
        let said = s
            .reason
            .as_deref()
            .and_then(|p| answer.pointer(p))
            .map(scalar_text);
        let reason_of = |text: &str| {
            let has = |list: &[String]| list.iter().any(|x| x == text);
            if has(&s.wrong_passphrase) {
                Some(Reason::AuthFailed)
            } else if has(&s.network_not_found) {
                Some(Reason::NetworkNotFound)
            } else if has(&s.other) {
                Some(Reason::Other(text.to_owned()))
            } else {
                None
            }
        };
        let failed = |reason| {
            Some(Reading::Status(Status {
                state: State::Failed,
                reason: Some(reason),
                ip: None,
            }))
        };
        if is(&s.failed) {
            return failed(match &said {
                Some(r) => reason_of(r).unwrap_or_else(|| Reason::from(r.as_str())),
                None => Reason::Other("unknown".into()),
            });
        }
        match reason_of(&state) {
            Some(reason) => failed(reason),
            None => Some(Reading::Unmapped(state)),
        }
    }

    // ---- the accessory's side (the simulator) ----

    /// The device info answer an accessory of this profile sends.
    pub fn device_answer(&self, info: &DeviceInfo) -> serde_json::Value {
        let d = &self.device;
        let mut v = serde_json::Value::Null;
        set_pointer(&mut v, &d.id, info.device_id.clone().into());
        if let Some(p) = &d.model {
            set_pointer(&mut v, p, info.model.clone().into());
        }
        if let Some(p) = &d.firmware {
            set_pointer(&mut v, p, info.firmware.clone().into());
        }
        if let Some(p) = &d.api {
            set_pointer(&mut v, p, info.api.clone());
        }
        if let Some(p) = &d.capabilities {
            set_pointer(&mut v, p, info.capabilities.clone().into());
        }
        v
    }

    /// The status answer an accessory of this profile sends for our status: the first of the
    /// device's strings for the state (and the reason).
    pub fn status_answer(&self, status: &Status) -> serde_json::Value {
        let s = &self.status;
        let first = |list: &[String]| list.first().cloned();
        let (state, reason) = match status.state {
            State::Connected => (first(&s.connected), None),
            State::Connecting | State::Configured => (first(&s.connecting), None),
            State::Idle => (first(&s.idle).or_else(|| first(&s.connecting)), None),
            State::Failed => {
                let reason = match status.reason {
                    Some(Reason::AuthFailed) => first(&s.wrong_passphrase),
                    Some(Reason::NetworkNotFound) => first(&s.network_not_found),
                    _ => None,
                }
                .or_else(|| first(&s.other));
                match (&s.reason, first(&s.failed)) {
                    // The device says "failed" and the reason apart.
                    (Some(_), Some(failed)) => (
                        Some(failed),
                        reason.or_else(|| status.reason.as_ref().map(|r| r.to_string())),
                    ),
                    // The state is the reason.
                    _ => (reason.or_else(|| first(&s.failed)), None),
                }
            }
        };
        let mut v = serde_json::Value::Null;
        set_pointer(&mut v, &s.state, device_scalar(&state.unwrap_or_default()));
        if let (Some(p), Some(r)) = (&s.reason, reason) {
            set_pointer(&mut v, p, device_scalar(&r));
        }
        if let (Some(p), Some(ip)) = (&s.ip, &status.ip) {
            set_pointer(&mut v, p, ip.clone().into());
        }
        v
    }
}

/// A scalar as the text a profile compares: a string as itself, a number or boolean as JSON
/// writes it.
fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A device string as the accessory writes it: a number when it is one (`"3"` -> `3`).
fn device_scalar(text: &str) -> serde_json::Value {
    match text.parse::<i64>() {
        Ok(n) => n.into(),
        Err(_) => text.into(),
    }
}

/// Sets the value at a JSON pointer, making the objects on the way.
pub fn set_pointer(root: &mut serde_json::Value, pointer: &str, value: serde_json::Value) {
    let mut at = root;
    for token in pointer.split('/').skip(1) {
        let key = token.replace("~1", "/").replace("~0", "~");
        if !at.is_object() {
            *at = serde_json::Value::Object(Default::default());
        }
        at = at
            .as_object_mut()
            .expect("made an object")
            .entry(key)
            .or_insert(serde_json::Value::Null);
    }
    *at = value;
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
