//! A scenario: one simulated accessory, described in TOML.
//!
//! ```toml
//! id = "SIM-0001"
//! model = "Plug Mini"
//! profile = "good-chain"          # a `certs` profile name
//! pop_code = "4711-0815"          # optional: require proof of possession
//! faults = ["clienthello-limit=1024", "slow-status=2"]
//!
//! [timings]
//! connect_delay_ms = 800          # how long joining the home network takes
//!
//! [[networks]]
//! ssid = "Home"
//! passphrase = "correct horse battery"
//! security = "wpa2-psk"
//! rssi = -48
//! channel = 6
//! ```
//!
//! Unknown fields are errors (`deny_unknown_fields`): a typo in a QA scenario should fail loudly,
//! not silently serve a good accessory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use protocol::Security;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fault::{Fault, FaultKind};
use crate::profile::ServedProfile;

/// The largest scenario file read: a scenario is a page of TOML; `/dev/zero` is refused, not read
/// until memory runs out.
pub(crate) const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// One simulated accessory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Scenario {
    /// The device id: printed on the label, named by the certificate.
    pub id: String,
    /// The model name `GET /v1/device` reports.
    #[serde(default = "default_model")]
    pub model: String,
    /// The firmware version `GET /v1/device` reports.
    #[serde(default = "default_firmware")]
    pub firmware: String,
    /// The `certs` profile of the certificate served (`good-chain` unless a certificate fault says
    /// otherwise).
    #[serde(default = "default_profile")]
    pub profile: String,
    /// The proof-of-possession code on the label; when set, every request but `GET /v1/device` must
    /// carry `Authorization: PoP ...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop_code: Option<String>,
    /// The networks the accessory's scan sees, with their passphrases.
    #[serde(default = "default_networks")]
    pub networks: Vec<Network>,
    /// How long things take.
    #[serde(default)]
    pub timings: Timings,
    /// Faults, as `name[=value]` strings.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// For `require-client-cert`: the PEM file of CA certificates client certificates must chain to.
    /// Without it the simulator mints a client CA and a client certificate of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<PathBuf>,
    /// How many connections it holds at once; at the cap the oldest that has not sent a request is
    /// shed [default: from the descriptor limit, `default_max_connections`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// The accessory's own HTTPS API, answered instead of `/v1` (`accessory sim --api-profile
    /// FILE`; not a scenario member: the profile is its own file).
    #[serde(skip)]
    pub api_profile: Option<Arc<ServedProfile>>,
}

/// How long a client has to send a request's headers by default (hyper's `header_read_timeout`;
/// a scenario's `timings.header_read_timeout_ms`).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A network the accessory can see, as the scenario describes it. Not the same thing as
/// [`protocol::api::NetworkEntry`], which is what the accessory *says* about it in a scan: the
/// scenario also knows the passphrase (a secret the API never sends) and whether the network is
/// hidden (then it is not listed at all). [`Network::entry`] is the one conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Network {
    /// The SSID (1 to 32 bytes).
    pub ssid: String,
    /// The passphrase; absent for an open network. Never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    /// How it is secured (`wpa2-psk` unless said).
    #[serde(default = "default_security")]
    pub security: Security,
    /// Signal strength in dBm.
    #[serde(default = "default_rssi")]
    pub rssi: i32,
    /// The channel.
    #[serde(default = "default_channel")]
    pub channel: u32,
    /// A hidden network: not in the scan, but joinable by name.
    #[serde(default)]
    pub hidden: bool,
}

/// How long things take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Timings {
    /// From apply to `connected` or `failed`, in milliseconds.
    #[serde(default = "default_connect_delay_ms")]
    pub connect_delay_ms: u64,
    /// How long a client may take to send a request's headers before the connection is closed
    /// (hyper's `header_read_timeout`), in milliseconds.
    #[serde(default = "default_header_read_timeout_ms")]
    pub header_read_timeout_ms: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            connect_delay_ms: default_connect_delay_ms(),
            header_read_timeout_ms: default_header_read_timeout_ms(),
        }
    }
}

fn default_model() -> String {
    "Accessory Sim".to_owned()
}
fn default_firmware() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
fn default_profile() -> String {
    "good-chain".to_owned()
}
fn default_security() -> Security {
    Security::Wpa2Psk
}
fn default_rssi() -> i32 {
    -50
}
fn default_channel() -> u32 {
    6
}
fn default_connect_delay_ms() -> u64 {
    500
}
fn default_header_read_timeout_ms() -> u64 {
    HEADER_READ_TIMEOUT.as_millis() as u64
}

/// The networks every scenario sees unless it says otherwise. The passphrases are test values.
fn default_networks() -> Vec<Network> {
    vec![
        Network {
            ssid: "Home".to_owned(),
            passphrase: Some("correct horse battery".to_owned()),
            security: Security::Wpa2Psk,
            rssi: -48,
            channel: 6,
            hidden: false,
        },
        Network {
            ssid: "Home-5G".to_owned(),
            passphrase: Some("correct horse battery".to_owned()),
            security: Security::Wpa3Sae,
            rssi: -61,
            channel: 36,
            hidden: false,
        },
        Network {
            ssid: "Cafe".to_owned(),
            passphrase: None,
            security: Security::Open,
            rssi: -77,
            channel: 11,
            hidden: false,
        },
    ]
}

impl Network {
    /// A WPA2 network with this passphrase.
    pub fn wpa2(ssid: &str, passphrase: &str) -> Self {
        Network {
            ssid: ssid.to_owned(),
            passphrase: Some(passphrase.to_owned()),
            security: Security::Wpa2Psk,
            rssi: -50,
            channel: 6,
            hidden: false,
        }
    }
}

impl Network {
    /// What a scan answer lists for this network (`GET /v1/networks`).
    pub fn entry(&self) -> protocol::api::NetworkEntry {
        protocol::api::NetworkEntry {
            ssid: self.ssid.clone(),
            rssi: self.rssi,
            channel: self.channel,
            security: self.security.to_string(),
        }
    }
}

impl Scenario {
    /// A good accessory: a valid chain from a manufacturer CA, no faults, the default networks
    /// (`Home` with passphrase `correct horse battery`, `Home-5G`, open `Cafe`).
    pub fn good(device_id: &str) -> Self {
        Scenario {
            id: device_id.to_owned(),
            model: default_model(),
            firmware: default_firmware(),
            profile: default_profile(),
            pop_code: None,
            networks: default_networks(),
            timings: Timings::default(),
            faults: Vec::new(),
            client_ca: None,
            max_connections: None,
            api_profile: None,
        }
    }

    /// Adds a fault (builder style).
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Sets the certificate profile (builder style).
    pub fn with_profile(mut self, profile: &str) -> Self {
        self.profile = profile.to_owned();
        self
    }

    /// Requires proof of possession with this code (builder style).
    pub fn with_pop_code(mut self, code: &str) -> Self {
        self.pop_code = Some(code.to_owned());
        self
    }

    /// Replaces the visible networks (builder style).
    pub fn with_networks(mut self, networks: Vec<Network>) -> Self {
        self.networks = networks;
        self
    }

    /// Sets the connect delay (builder style).
    pub fn with_connect_delay_ms(mut self, ms: u64) -> Self {
        self.timings.connect_delay_ms = ms;
        self
    }

    /// Reads a scenario file (at most `MAX_SCENARIO_BYTES`, 1 MiB).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let read = |io| Error::ReadScenario {
            path: path.to_owned(),
            io,
        };
        let bytes = trust::read_file_bounded(path, MAX_SCENARIO_BYTES).map_err(read)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses a scenario; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Self, Error> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| Error::ParseScenario {
            path: origin.to_owned(),
            // TOML's message is a diagram (the line, a caret under the mistake): kept as lines.
            message: e.to_string().trim_end().to_owned(),
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The scenario as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks what serde cannot: a usable id, valid networks.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::InvalidScenario(m));
        if self.id.is_empty()
            || self.id.len() > 64
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return bad(format!(
                "device id `{}` must be 1 to 64 letters, digits, `-`, `_` or `.`",
                self.id
            ));
        }
        if let Err(e) = certs::profile_named(&self.profile) {
            return bad(format!("profile `{}`: {e}", self.profile));
        }
        // One certificate is served, made by one `certs` profile: two different certificate
        // faults (or a fault and a non-default profile) would leave one silently unserved, as
        // `--fault expired --fault sha1` once served a valid SHA-1 certificate under a banner
        // naming both. Refused until `certs` can make the combination.
        let mut wanted: Vec<&str> = Vec::new();
        if self.profile != default_profile() {
            wanted.push(&self.profile);
        }
        for f in &self.faults {
            if let Fault::Certificate(p) = f {
                if !wanted.contains(&p.as_str()) {
                    wanted.push(p);
                }
            }
        }
        if wanted.len() > 1 {
            return bad(format!(
                "certificate faults `{}` cannot be served at once: an accessory serves one certificate, made by one profile; run one simulator per fault (`accessory sim --fault {}`, then `--fault {}`)",
                wanted.join("` and `"),
                wanted[0],
                wanted[1]
            ));
        }
        for n in &self.networks {
            if protocol::validate_ssid(&n.ssid).is_err() {
                return bad(format!("network `{}`: an SSID is 1 to 32 bytes", n.ssid));
            }
            match (&n.passphrase, n.security) {
                (Some(_), Security::Open) => {
                    return bad(format!(
                        "network `{}`: an open network has no passphrase",
                        n.ssid
                    ))
                }
                (None, s) if s.needs_passphrase() => {
                    return bad(format!(
                        "network `{}`: a {s} network needs a passphrase",
                        n.ssid
                    ))
                }
                (Some(p), _) if protocol::validate_passphrase(p).is_err() => {
                    return bad(format!(
                    "network `{}`: a passphrase is 8 to 63 printable characters or 64 hex digits",
                    n.ssid
                ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The certificate profile actually served: the last certificate fault, else `profile`.
    pub fn effective_profile(&self) -> &str {
        self.faults
            .iter()
            .rev()
            .find_map(|f| match f {
                Fault::Certificate(p) => Some(p.as_str()),
                _ => None,
            })
            .unwrap_or(&self.profile)
    }

    /// Whether a fault of this kind is present.
    pub fn has(&self, kind: FaultKind) -> bool {
        self.faults.iter().any(|f| f.kind() == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_file_round_trips() {
        let s = Scenario::good("SIM-7")
            .with_fault("clienthello-limit=1024".parse().unwrap())
            .with_pop_code("1234");
        let back = Scenario::from_toml(&s.to_toml(), Path::new("x.toml")).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn unknown_fields_are_refused_with_the_file_name() {
        let e = Scenario::from_toml("id = \"A\"\nprofle = \"expired\"\n", Path::new("qa.toml"))
            .unwrap_err();
        let m = e.to_string();
        assert!(m.contains("qa.toml") && m.contains("profle"), "{m}");
    }

    #[test]
    fn unknown_faults_in_a_file_are_refused() {
        let e = Scenario::from_toml("id = \"A\"\nfaults = [\"stal\"]\n", Path::new("qa.toml"))
            .unwrap_err();
        assert!(e.to_string().contains("stal"), "{e}");
    }

    #[test]
    fn a_toml_error_keeps_its_caret_diagram_on_its_own_lines() {
        let e = Scenario::from_toml("id = \"X\"\nfaults = [expired]\n", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        let caret = e
            .lines()
            .find(|l| l.contains('^'))
            .unwrap_or_else(|| panic!("{e}"));
        assert!(caret.trim_start().starts_with('|'), "{e}");
        assert!(e.lines().any(|l| l.contains("faults = [expired]")), "{e}");
    }

    #[test]
    fn two_different_certificate_faults_are_refused_naming_both_and_one_repeated_is_served() {
        let two = Scenario::good("A")
            .with_fault("expired".parse().unwrap())
            .with_fault("sha1".parse().unwrap());
        let e = two.validate().unwrap_err().to_string();
        assert!(e.contains("`expired` and `sha1`"), "{e}");
        let profile_and_fault = Scenario::good("A")
            .with_profile("cn-only")
            .with_fault("sha1".parse().unwrap());
        assert!(profile_and_fault.validate().is_err());
        let repeated = Scenario::good("A")
            .with_fault("expired".parse().unwrap())
            .with_fault("expired".parse().unwrap())
            .with_fault("wrong-key".parse().unwrap());
        repeated.validate().unwrap();
    }

    #[test]
    fn a_certificate_fault_overrides_the_profile() {
        let s = Scenario::good("A").with_fault("expired".parse().unwrap());
        assert_eq!(s.effective_profile(), "expired");
    }
}
