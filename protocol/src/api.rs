//! The accessory API as JSON (DESIGN.md "The accessory API"): the paths, the limits, and what
//! `GET /v1/device`, `GET /v1/networks`, `PUT /v1/network` and `GET /v1/status` carry. A reader
//! ignores members it does not know, except the accessory reading `PUT /v1/network`, which refuses
//! them.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `GET`: who the accessory says it is ([`DeviceInfo`]).
pub const DEVICE: &str = "/v1/device";
/// `GET`: the networks it sees ([`NetworkList`]).
pub const NETWORKS: &str = "/v1/networks";
/// `PUT`: the home network ([`NetworkRequest`]).
pub const NETWORK: &str = "/v1/network";
/// `POST`: join the stored network.
pub const APPLY: &str = "/v1/apply";
/// `GET`, `?wait=S` to long-poll while connecting ([`Status`]).
pub const STATUS: &str = "/v1/status";
/// `POST`: forget the network.
pub const RESET: &str = "/v1/reset";

/// The largest request body the accessory reads.
pub const MAX_BODY: usize = 64 * 1024;
/// The longest long poll (`GET /v1/status?wait=`).
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// `GET /v1/device`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The id on the label, which the certificate names.
    pub device_id: String,
    /// The model name.
    #[serde(default)]
    pub model: String,
    /// The firmware version.
    #[serde(default)]
    pub firmware: String,
    /// The API version the accessory speaks.
    #[serde(default)]
    pub api: serde_json::Value,
    /// What it can do (`long-poll`, `wpa3-sae`, `hex-psk`, `pop`).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// `GET /v1/networks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkList {
    /// What the scan shows (hidden networks are not in it).
    pub networks: Vec<NetworkEntry>,
}

/// One network in [`NetworkList`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkEntry {
    /// The SSID.
    pub ssid: String,
    /// Signal strength, dBm.
    pub rssi: i32,
    /// The channel.
    pub channel: u32,
    /// How it is secured, as [`crate::Security`] spells it (text, so a newer kind still lists).
    pub security: String,
}

/// The body of `PUT /v1/network`. No `Debug`: it holds the passphrase.
///
/// `security` stays text on the wire side so an accessory can answer an unknown kind with
/// `invalid_security` rather than `invalid_json`; [`crate::Security`] parses it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRequest<'a> {
    /// The SSID.
    pub ssid: Cow<'a, str>,
    /// The passphrase; absent for an open network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<Cow<'a, str>>,
    /// A [`crate::Security`] spelling; absent means `open` without a passphrase, `wpa2-psk` with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Cow<'a, str>>,
    /// A hidden network (joined by name like any other).
    #[serde(default)]
    pub hidden: bool,
    /// Join at once, as `POST /v1/apply` would.
    #[serde(default)]
    pub apply: bool,
}

/// Where the accessory is in joining the home network:
/// `idle → configured → connecting → connected | failed`, and reset back to `idle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Unprovisioned.
    Idle,
    /// A network is stored, not applied yet.
    Configured,
    /// Joining.
    Connecting,
    /// Joined, with an address.
    Connected,
    /// Joining failed; the reason says why.
    Failed,
}

impl State {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Configured => "configured",
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Failed => "failed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why joining failed. An accessory may name a reason this crate does not know: it is kept as
/// [`Reason::Other`] with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `auth_failed`: the network refused the passphrase.
    AuthFailed,
    /// `network_not_found`: no such network in range.
    NetworkNotFound,
    /// `dhcp_failed`: associated, but no address.
    DhcpFailed,
    /// `timeout`: gave up.
    Timeout,
    /// Another reason, as the accessory spelled it.
    Other(String),
}

impl Reason {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Reason::AuthFailed => "auth_failed",
            Reason::NetworkNotFound => "network_not_found",
            Reason::DhcpFailed => "dhcp_failed",
            Reason::Timeout => "timeout",
            Reason::Other(s) => s,
        }
    }

    fn from_text(s: String) -> Reason {
        match s.as_str() {
            "auth_failed" => Reason::AuthFailed,
            "network_not_found" => Reason::NetworkNotFound,
            "dhcp_failed" => Reason::DhcpFailed,
            "timeout" => Reason::Timeout,
            _ => Reason::Other(s),
        }
    }
}

/// The reason an accessory spelled: a known one, else [`Reason::Other`].
impl From<String> for Reason {
    fn from(s: String) -> Reason {
        Reason::from_text(s)
    }
}

/// The reason an accessory spelled: a known one, else [`Reason::Other`].
impl From<&str> for Reason {
    fn from(s: &str) -> Reason {
        Reason::from_text(s.to_owned())
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Reason::from_text)
    }
}

/// The body of `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The state.
    pub state: State,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The address on the home network, once connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl Status {
    /// A status with no reason and no address.
    pub fn of(state: State) -> Self {
        Status {
            state,
            reason: None,
            ip: None,
        }
    }
}

/// An error answer: `{error, code}` (a sentence for a person, a stable code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// One line for a person.
    #[serde(default)]
    pub error: String,
    /// The stable code (`pop_required`, `invalid_passphrase`...).
    #[serde(default)]
    pub code: String,
}

impl ErrorBody {
    /// Reads an error body; anything that is not the documented shape becomes its text (at most
    /// 200 bytes of it).
    pub fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_else(|_| ErrorBody {
            error: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            code: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_and_writes_the_documented_json() {
        let failed = Status {
            state: State::Failed,
            reason: Some(Reason::AuthFailed),
            ip: None,
        };
        let text = serde_json::to_string(&failed).unwrap();
        assert_eq!(text, r#"{"state":"failed","reason":"auth_failed"}"#);
        assert_eq!(serde_json::from_str::<Status>(&text).unwrap(), failed);
        assert_eq!(
            serde_json::to_string(&Status::of(State::Idle)).unwrap(),
            r#"{"state":"idle"}"#
        );
        let odd: Status =
            serde_json::from_str(r#"{"state":"failed","reason":"radio_off","extra":1}"#).unwrap();
        assert_eq!(odd.reason, Some(Reason::Other("radio_off".into())));
        assert!(serde_json::from_str::<Status>(r#"{"state":"sleeping"}"#).is_err());
    }

    #[test]
    fn the_network_body_has_the_documented_members_in_order() {
        let body = NetworkRequest {
            ssid: "Home".into(),
            passphrase: Some("12345678".into()),
            security: Some("wpa2-psk".into()),
            hidden: false,
            apply: true,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"ssid":"Home","passphrase":"12345678","security":"wpa2-psk","hidden":false,"apply":true}"#
        );
        let read: NetworkRequest<'_> = serde_json::from_str(r#"{"ssid":"Cafe"}"#).unwrap();
        assert_eq!(
            (read.ssid.as_ref(), read.passphrase, read.apply),
            ("Cafe", None, false)
        );
        assert!(serde_json::from_str::<NetworkRequest<'_>>(r#"{"ssid":"x","pass":"y"}"#).is_err());
    }

    #[test]
    fn an_error_body_that_is_not_json_becomes_its_text() {
        assert_eq!(
            ErrorBody::parse(br#"{"error":"no","code":"pop_invalid"}"#).code,
            "pop_invalid"
        );
        assert_eq!(ErrorBody::parse(b"<html>").error, "<html>");
        assert_eq!(ErrorBody::parse(&[b'x'; 500]).error.len(), 200);
    }
}
