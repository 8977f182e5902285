//! What to provision: the accessory's address, the trust policy's inputs, the home network, the
//! label code, the deadline. Built by the command line (or a fleet worker, or a Wi-Fi join step that
//! supplies the address and the interface to bind to).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;
use crate::ledger::Ledger;
use crate::secret::Secret;

/// The default HTTPS port of the accessory API.
pub const DEFAULT_PORT: u16 = 443;

/// Everything one provisioning run needs.
pub struct Request {
    pub accessory: Target,
    /// Bind the connection to this interface (`SO_BINDTODEVICE`): the one that joined the SoftAP.
    pub bind_device: Option<String>,
    pub trust: TrustInputs,
    /// The id on the label. When given, the certificate must name it and `GET /v1/device` must
    /// report it. Given or not, the id `GET /v1/device` reports must be one the certificate names
    /// (`trust::check_device_id`) before anything secret is sent or recorded.
    pub device_id: Option<String>,
    pub network: Network,
    /// The proof-of-possession code on the label.
    pub pop: Option<Secret>,
    /// For accessories that demand mutual TLS.
    pub client_identity: Option<ClientIdentity>,
    /// The whole run, from the first connect to the accessory's answer "connected".
    pub deadline: Duration,
    /// Where first-use keys are looked up and the attempt is recorded.
    pub ledger: Option<Arc<Ledger>>,
    /// How to confirm a first use without `--expect-fingerprint`.
    pub first_use: FirstUse,
}

/// Where the accessory is: a host and port, and the address already resolved when a join step
/// knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub addr: Option<SocketAddr>,
}

impl Target {
    /// An address a join step found (`192.168.4.1:443` on the SoftAP).
    pub fn from_addr(addr: SocketAddr) -> Self {
        Target {
            host: addr.ip().to_string(),
            port: addr.port(),
            addr: Some(addr),
        }
    }

    /// `host:port` as the `Host` header and the ledger write it.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.authority())
    }
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`; the port defaults to 443.
impl FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidRequest(format!("accessory address {s:?}: {why}"));
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if let Ok(addr) = s.parse::<SocketAddr>() {
            return Ok(Target::from_addr(addr));
        }
        if let Ok(ip) = s.parse::<std::net::IpAddr>() {
            return Ok(Target::from_addr(SocketAddr::new(ip, DEFAULT_PORT)));
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("missing ']'"))?;
            match after.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None if after.is_empty() => (host, None),
                None => return Err(bad("unexpected text after ']'")),
            }
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
            None => DEFAULT_PORT,
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad("no host name"));
        }
        Ok(Target {
            host: host.to_owned(),
            port,
            addr: None,
        })
    }
}

/// The inputs of the trust policy. At least one of pins, anchors, tofu.
#[derive(Default)]
pub struct TrustInputs {
    pub pins: Vec<trust::Pin>,
    pub anchors: Option<trust::Anchors>,
    /// Trust on first use: record the key the first time, refuse a different one later.
    pub tofu: bool,
    /// The key a first use must present (from the label or QR code).
    pub expect: Option<ExpectedKey>,
    /// A DNS name or IP address the certificate must name (`--dns`, `--ip`), for a request without
    /// a device id. Without either, pins and first use check no name (they name the key) and
    /// anchors check the accessory's address (see `trust::TrustPolicy`).
    pub name: Option<trust::Identity>,
}

/// What `--expect-fingerprint` names: the SHA-256 of the leaf certificate (hex, colons allowed), or
/// an SPKI pin (`sha256/BASE64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedKey {
    Fingerprint(String),
    Pin(trust::Pin),
}

impl ExpectedKey {
    /// Whether the observed key is this one.
    pub fn matches(&self, pin: &trust::Pin, fingerprint: &str) -> bool {
        match self {
            ExpectedKey::Fingerprint(fp) => fp.eq_ignore_ascii_case(fingerprint),
            ExpectedKey::Pin(p) => p == pin,
        }
    }
}

impl fmt::Display for ExpectedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedKey::Fingerprint(fp) => write!(f, "fingerprint {fp}"),
            ExpectedKey::Pin(p) => write!(f, "pin {p}"),
        }
    }
}

impl FromStr for ExpectedKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.starts_with("sha256/") {
            return s
                .parse::<trust::Pin>()
                .map(ExpectedKey::Pin)
                .map_err(|e| Error::InvalidRequest(format!("expected fingerprint {s:?}: {e}")));
        }
        let hex: String = s
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(ExpectedKey::Fingerprint(hex))
        } else {
            Err(Error::InvalidRequest(format!(
                "expected fingerprint {s:?}: give the certificate's SHA-256 as 64 hex digits \
                 (colons allowed) or a pin sha256/BASE64"
            )))
        }
    }
}

/// The home network to send.
#[derive(Debug, Clone)]
pub struct Network {
    pub ssid: String,
    pub passphrase: Secret,
    /// `wpa2-psk`, `wpa3-sae`, `wpa2-wpa3`, `open`.
    pub security: String,
    pub hidden: bool,
}

impl Network {
    /// Checks what the accessory would refuse anyway (SSID 1 to 32 bytes; passphrase 8 to 63
    /// characters or 64 hex digits, empty only for an open network), so a typo fails before anything
    /// is sent. The message never contains the passphrase.
    pub fn validate(&self) -> Result<(), Error> {
        if self.ssid.is_empty() || self.ssid.len() > 32 {
            return Err(Error::InvalidRequest(format!(
                "network SSID {:?} is {} bytes; it must be 1 to 32",
                self.ssid,
                self.ssid.len()
            )));
        }
        let p = self.passphrase.expose();
        let n = self.passphrase.char_len();
        let ok = if self.security == "open" {
            p.is_empty()
        } else {
            (8..=63).contains(&n) || (n == 64 && p.chars().all(|c| c.is_ascii_hexdigit()))
        };
        if !ok {
            return Err(Error::InvalidRequest(if self.security == "open" {
                "an open network takes no passphrase".to_owned()
            } else {
                format!(
                    "the network passphrase is {n} characters; WPA needs 8 to 63 characters or 64 hex digits"
                )
            }));
        }
        Ok(())
    }
}

/// A client certificate chain and its key, for accessories that demand mutual TLS.
#[derive(Debug)]
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// How a first use is confirmed when no expected fingerprint was given.
#[derive(Clone)]
pub enum FirstUse {
    /// Refuse, printing the observed fingerprint (non-interactive runs).
    Refuse,
    /// Ask someone (a terminal prompt); true means "yes, this is the key on the label".
    Ask(Arc<dyn Fn(&FirstUseQuestion) -> bool + Send + Sync>),
}

impl fmt::Debug for FirstUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FirstUse::Refuse => "Refuse",
            FirstUse::Ask(_) => "Ask(..)",
        })
    }
}

/// What a person is asked to confirm at first use.
#[derive(Debug, Clone)]
pub struct FirstUseQuestion {
    pub address: String,
    pub device_id: Option<String>,
    pub fingerprint: String,
    pub pin: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_a_port_uses_443() {
        let t: Target = "192.168.4.1".parse().unwrap();
        assert_eq!(t.authority(), "192.168.4.1:443");
        let t: Target = "plug.local".parse().unwrap();
        assert_eq!((t.host.as_str(), t.port, t.addr), ("plug.local", 443, None));
        let t: Target = "[::1]:8443".parse().unwrap();
        assert_eq!(t.authority(), "[::1]:8443");
        assert!("host:0".parse::<Target>().is_err());
        assert!("host:https".parse::<Target>().is_err());
    }

    #[test]
    fn an_expected_fingerprint_may_have_colons_and_any_case() {
        let fp = "AB:".repeat(31) + "AB";
        match fp.parse::<ExpectedKey>().unwrap() {
            ExpectedKey::Fingerprint(hex) => assert_eq!(hex, "ab".repeat(32)),
            other => panic!("{other:?}"),
        }
        assert!("abc".parse::<ExpectedKey>().is_err());
    }

    #[test]
    fn a_short_passphrase_is_refused_without_showing_it() {
        let n = Network {
            ssid: "Home".into(),
            passphrase: Secret::new("short".into()),
            security: "wpa2-psk".into(),
            hidden: false,
        };
        let msg = n.validate().unwrap_err().to_string();
        assert!(msg.contains("5 characters"), "{msg}");
        assert!(!msg.contains("short"), "{msg}");
    }
}
