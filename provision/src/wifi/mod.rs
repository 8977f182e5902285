//! The Wi-Fi join layer: find the accessory's SoftAP, join it, get an address, and afterwards leave it
//! and put the station back the way it was.
//!
//! Every backend implements [`WifiBackend`] (scan, join, address, leave, restore):
//!
//! - [`SimBackend`]: the namespace SoftAPs of `accessory sim softap` (a veth pair, dnsmasq, a
//!   registry); a wrong passphrase is refused as a real AP's handshake would refuse it, and the
//!   address comes from a real DHCP exchange.
//! - [`WpaSupplicantBackend`]: wpa_supplicant's control socket (`SCAN`, `SCAN_RESULTS`,
//!   `ADD_NETWORK`, `SET_NETWORK`, `SELECT_NETWORK`, `STATUS`).
//! - [`NetworkManagerBackend`]: NetworkManager over D-Bus (zbus).
//! - [`NoneBackend`]: already joined; give the interface (or only the accessory address).
//!
//! The trait is synchronous (the work is a few process spawns, datagrams and D-Bus calls): async
//! callers run it on `spawn_blocking`. [`join`] and [`leave`] are the whole sequence, with the
//! clean-up on every failure path; [`joined`] is join -> run the caller's work -> leave, with
//! interrupts.
//!
//! Whichever backend joined, the connections to the accessory are bound to [`Lease::interface`]
//! (`SO_BINDTODEVICE`), so a default route through another network can never carry them.

mod dhcp;
// Join -> run -> leave, with interrupts.
mod lifecycle;
mod networkmanager;
mod none;
mod sim;
// `accessory scan`: what a backend sees, accessories marked.
mod survey;
mod wpa_supplicant;

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use lifecycle::{joined, JoinEvent, JoinPlan, LifecycleError, Phase};
pub use networkmanager::{
    access_point_from_properties, add_and_activate_message, connection_settings,
    NetworkManagerBackend,
};
pub use none::NoneBackend;
pub use sim::SimBackend;
pub use survey::{looks_like_accessory, survey, SeenNetwork, ACCESSORY_PREFIXES};
pub use wpa_supplicant::{
    parse_scan_results, parse_status, WpaScanResult, WpaStatus, WpaSupplicantBackend,
};

use protocol::Security;

/// A scan's security as text: the kind's spelling, or `other` for one this tool does not join.
fn security_name(security: &Option<Security>) -> &'static str {
    security.map_or("other", Security::as_str)
}

fn serialize_security<S: serde::Serializer>(
    security: &Option<Security>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(security_name(security))
}

/// One network seen by a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanResult {
    /// The network's name (SSID).
    pub ssid: String,
    /// BSSID, when the backend knows it.
    pub bssid: Option<String>,
    /// Signal strength at the station, in dBm (-45 is strong, -85 weak).
    pub signal_dbm: i32,
    /// How it is secured; `None` for enterprise, WEP, OWE or another kind this tool does not join
    /// (`other` in JSON).
    #[serde(serialize_with = "serialize_security")]
    pub security: Option<Security>,
    /// Its channel's centre frequency in MHz (2437 is channel 6), when the backend knows it.
    pub frequency_mhz: Option<u32>,
    /// The backend's own handle for it (registry id, D-Bus object path, BSSID).
    #[serde(skip)]
    pub handle: String,
}

/// What the station got from the network: its address, and the router (the accessory, on a SoftAP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// The joined interface; connections to the accessory are bound to it.
    pub interface: String,
    /// The station's address.
    pub address: Ipv4Addr,
    /// The subnet's prefix length (24 for 255.255.255.0).
    pub prefix_len: u8,
    /// The default router it was given: on a SoftAP, the accessory; `None` when none was offered.
    pub router: Option<Ipv4Addr>,
    /// The DHCP server that granted it.
    pub server: Option<Ipv4Addr>,
    /// How long the lease lasts; `None` when the backend does not say.
    #[serde(skip)]
    pub lease_time: Option<Duration>,
}

/// Which network to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// Exactly this SSID.
    Ssid(String),
    /// Any SSID starting with this (accessories append part of their id: `Acme-Plug-3F2A`).
    Prefix(String),
}

/// What went wrong joining or leaving. Each variant has a stable [`code`](WifiError::code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WifiError {
    /// No network matched.
    #[error("no Wi-Fi network matches {wanted} (the scan saw {seen})")]
    NotFound {
        /// What was looked for, in words (``SSID `Acme-Plug` `` or ``prefix `Acme-` ``).
        wanted: String,
        /// The SSIDs the scan saw, comma-separated (`nothing` for none).
        seen: String,
    },
    /// Several matched and nothing says which one.
    #[error("{count} networks match {wanted}: {list}; give --device-id or an exact --ssid")]
    Ambiguous {
        /// What was looked for, in words.
        wanted: String,
        /// How many networks matched.
        count: usize,
        /// Those networks with their signal, comma-separated.
        list: String,
    },
    /// The network needs a passphrase and none was given.
    #[error("{ssid} is secured with {security}; give its passphrase (--softap-passphrase-file or ACCESSORY_SOFTAP_PASSPHRASE)")]
    PassphraseRequired {
        /// The network's SSID.
        ssid: String,
        /// How it is secured.
        security: Security,
    },
    /// The access point refused the passphrase (the 4-way handshake failed).
    #[error("{ssid} refused the passphrase (WPA2 4-way handshake failed: wrong passphrase)")]
    AuthFailed {
        /// The network's SSID.
        ssid: String,
    },
    /// The network uses security this tool cannot join.
    #[error("{ssid} uses {} security, which this backend cannot join", security_name(.security))]
    Unsupported {
        /// The network's SSID.
        ssid: String,
        /// Its security; `None` for a kind this tool has no name for (enterprise, WEP, OWE).
        security: Option<Security>,
    },
    /// No DHCP lease.
    #[error("no address on {interface}: {message}")]
    Dhcp {
        /// The joined interface.
        interface: String,
        /// What the DHCP exchange got instead.
        message: String,
    },
    /// The interface is missing or unusable.
    #[error("interface {interface}: {message}")]
    Interface {
        /// The interface's name (`wlan0`).
        interface: String,
        /// What is wrong with it.
        message: String,
    },
    /// The backend itself is unavailable or answered unexpectedly.
    #[error("{backend}: {message}")]
    Backend {
        /// The backend's name (`networkmanager`, `wpa_supplicant`).
        backend: &'static str,
        /// What it answered, or why it could not be reached.
        message: String,
    },
    /// The backend needs a privilege this process lacks.
    #[error("the {backend} Wi-Fi backend needs root: {message}")]
    NotPermitted {
        /// The backend's name.
        backend: &'static str,
        /// What refused, and what it needs.
        message: String,
    },
}

impl WifiError {
    /// The stable code (`wifi.not_found`, `wifi.auth_failed`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            WifiError::NotFound { .. } => trust::diagnosis::codes::WIFI_NOT_FOUND,
            WifiError::Ambiguous { .. } => trust::diagnosis::codes::WIFI_AMBIGUOUS,
            WifiError::PassphraseRequired { .. } => {
                trust::diagnosis::codes::WIFI_PASSPHRASE_REQUIRED
            }
            WifiError::AuthFailed { .. } => trust::diagnosis::codes::WIFI_AUTH_FAILED,
            WifiError::Unsupported { .. } => trust::diagnosis::codes::WIFI_UNSUPPORTED_SECURITY,
            WifiError::Dhcp { .. } => trust::diagnosis::codes::WIFI_DHCP_FAILED,
            WifiError::Interface { .. } => trust::diagnosis::codes::WIFI_INTERFACE,
            WifiError::Backend { .. } => trust::diagnosis::codes::WIFI_BACKEND,
            WifiError::NotPermitted { .. } => trust::diagnosis::codes::WIFI_NOT_PERMITTED,
        }
    }

    /// What a caller does about it: the SoftAP is out of reach (or refused its passphrase, which
    /// for this tool is the same: the accessory cannot be reached), the command line must say more,
    /// or the machine's Wi-Fi cannot be used.
    pub fn kind(&self) -> trust::ErrorKind {
        use trust::ErrorKind as K;
        match self {
            WifiError::NotFound { .. } | WifiError::Dhcp { .. } | WifiError::AuthFailed { .. } => {
                K::Unreachable
            }
            WifiError::Ambiguous { .. } | WifiError::PassphraseRequired { .. } => K::Usage,
            WifiError::Unsupported { .. }
            | WifiError::Interface { .. }
            | WifiError::Backend { .. }
            | WifiError::NotPermitted { .. } => K::LocalState,
        }
    }
}

/// A way to join Wi-Fi networks.
pub trait WifiBackend: Send {
    /// The backend's name as given to `--wifi`.
    fn name(&self) -> &'static str;
    /// The networks in range now.
    fn scan(&mut self) -> Result<Vec<ScanResult>, WifiError>;
    /// Whether every network [`scan`](WifiBackend::scan) lists is an accessory's SoftAP (the
    /// simulated SoftAPs' registry); a radio's scan lists every network in range.
    fn lists_only_accessories(&self) -> bool {
        false
    }
    /// Associates with `network`; a secured network needs `passphrase`. Remembers what it changes so
    /// [`restore`](WifiBackend::restore) can undo it.
    fn join(&mut self, network: &ScanResult, passphrase: Option<&str>) -> Result<(), WifiError>;
    /// Waits (up to `timeout`) for the joined interface's address.
    fn address(&mut self, timeout: Duration) -> Result<Lease, WifiError>;
    /// Disassociates (releasing the lease). Safe to call when not joined.
    fn leave(&mut self) -> Result<(), WifiError>;
    /// Puts back the connection that was active before [`join`](WifiBackend::join).
    fn restore(&mut self) -> Result<(), WifiError>;
}

/// Picks the network to join: exact SSID (the strongest if several BSSIDs share it), or a prefix
/// with one match, or with several the strongest whose SSID names `device_id`. Several prefix
/// matches and no way to choose is [`WifiError::Ambiguous`], listing them.
pub fn choose(
    results: &[ScanResult],
    wanted: &Wanted,
    device_id: Option<&str>,
) -> Result<ScanResult, WifiError> {
    let mut matches: Vec<&ScanResult> = results
        .iter()
        .filter(|r| match wanted {
            Wanted::Ssid(s) => r.ssid == *s,
            Wanted::Prefix(p) => r.ssid.starts_with(p.as_str()),
        })
        .collect();
    matches.sort_by(|a, b| b.signal_dbm.cmp(&a.signal_dbm).then(a.ssid.cmp(&b.ssid)));
    let describe = || match wanted {
        Wanted::Ssid(s) => format!("SSID `{s}`"),
        Wanted::Prefix(p) => format!("prefix `{p}`"),
    };
    let Some(first) = matches.first() else {
        let mut seen: Vec<&str> = results.iter().map(|r| r.ssid.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        return Err(WifiError::NotFound {
            wanted: describe(),
            seen: if seen.is_empty() {
                "nothing".into()
            } else {
                seen.join(", ")
            },
        });
    };
    let distinct = {
        let mut s: Vec<&str> = matches.iter().map(|r| r.ssid.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    if matches!(wanted, Wanted::Ssid(_)) || distinct == 1 {
        return Ok((*first).clone());
    }
    if let Some(id) = device_id {
        let id_l = id.to_ascii_lowercase();
        let named = matches.iter().find(|r| {
            let ssid = r.ssid.to_ascii_lowercase();
            let tail = match wanted {
                Wanted::Prefix(p) => ssid[p.len().min(ssid.len())..].to_owned(),
                Wanted::Ssid(_) => ssid.clone(),
            };
            ssid.contains(&id_l) || (!tail.is_empty() && id_l.ends_with(&tail))
        });
        // The device id is checked again after TLS (`GET /v1/device`), so the strongest is a safe
        // guess when no SSID names it.
        return Ok((*named.unwrap_or(first)).clone());
    }
    Err(WifiError::Ambiguous {
        wanted: describe(),
        count: matches.len(),
        list: matches
            .iter()
            .map(|r| format!("{} ({} dBm)", r.ssid, r.signal_dbm))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// What [`join`] did, and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct Joined {
    /// The backend's name (`sim`, `wpa_supplicant`...).
    pub backend: &'static str,
    /// The network joined; `None` when the station was already on it (the `none` backend).
    pub network: Option<ScanResult>,
    /// The address it got.
    pub lease: Lease,
    /// From the start of the scan to "joined with an address".
    #[serde(rename = "took_ms", serialize_with = "millis")]
    pub took: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Scan, choose, join, wait for an address; with `wanted` = `None` (already joined), only the
/// address. On any failure after joining began, leaves and restores before returning the error.
pub fn join(
    backend: &mut dyn WifiBackend,
    wanted: Option<&Wanted>,
    device_id: Option<&str>,
    passphrase: Option<&str>,
    timeout: Duration,
) -> Result<Joined, WifiError> {
    let start = Instant::now();
    let network = match wanted {
        Some(wanted) => {
            let results = backend.scan()?;
            let network = choose(&results, wanted, device_id)?;
            tracing::info!(backend = backend.name(), ssid = %network.ssid, signal = network.signal_dbm, "joining");
            Some(network)
        }
        None => None,
    };
    let joined = match &network {
        Some(n) => backend.join(n, passphrase),
        None => Ok(()),
    }
    .and_then(|()| backend.address(timeout.saturating_sub(start.elapsed())));
    match joined {
        Ok(lease) => {
            tracing::info!(interface = %lease.interface, address = %lease.address, router = ?lease.router, "joined with an address");
            Ok(Joined {
                backend: backend.name(),
                network,
                lease,
                took: start.elapsed(),
            })
        }
        Err(e) => {
            if let Err(cleanup) = leave(backend) {
                tracing::warn!(error = %cleanup, "leaving after a failed join");
            }
            Err(e)
        }
    }
}

/// Leaves the network and restores the previous connection; both are attempted, the first error wins.
pub fn leave(backend: &mut dyn WifiBackend) -> Result<(), WifiError> {
    let left = backend.leave();
    let restored = backend.restore();
    left.and(restored)
}

/// The backends `--wifi` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// [`SimBackend`]: the simulated SoftAPs of `accessory sim softap`.
    Sim,
    /// [`NetworkManagerBackend`]: NetworkManager over D-Bus.
    NetworkManager,
    /// [`WpaSupplicantBackend`]: wpa_supplicant's control socket.
    WpaSupplicant,
    /// [`NoneBackend`]: the station has already joined.
    None,
}

impl BackendKind {
    /// Every backend, in the order `--wifi`'s help lists them.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Sim,
        BackendKind::NetworkManager,
        BackendKind::WpaSupplicant,
        BackendKind::None,
    ];
    /// Every backend's name, in the order of [`BackendKind::ALL`].
    pub const NAMES: [&'static str; 4] = [
        BackendKind::Sim.name(),
        BackendKind::NetworkManager.name(),
        BackendKind::WpaSupplicant.name(),
        BackendKind::None.name(),
    ];

    /// The backend of this exact name (no aliases).
    pub fn named(name: &str) -> Option<BackendKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The name `--wifi` takes and the messages print (the one spelling; parsing also takes a
    /// few aliases).
    pub const fn name(self) -> &'static str {
        match self {
            BackendKind::Sim => "sim",
            BackendKind::NetworkManager => "networkmanager",
            BackendKind::WpaSupplicant => "wpa_supplicant",
            BackendKind::None => "none",
        }
    }
}

impl FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(kind) = Self::named(s) {
            return Ok(kind);
        }
        match s {
            "nm" => Ok(BackendKind::NetworkManager),
            "wpa-supplicant" | "wpa" => Ok(BackendKind::WpaSupplicant),
            other => Err(format!(
                "unknown Wi-Fi backend `{other}`: expected one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Builds a backend; `interface` picks the Wi-Fi device for the real backends (and is the joined
/// interface for `none`).
pub fn backend(
    kind: BackendKind,
    interface: Option<&str>,
) -> Result<Box<dyn WifiBackend>, WifiError> {
    Ok(match kind {
        BackendKind::Sim => Box::new(SimBackend::new()),
        BackendKind::NetworkManager => Box::new(NetworkManagerBackend::new(interface)),
        BackendKind::WpaSupplicant => Box::new(WpaSupplicantBackend::new(interface)?),
        BackendKind::None => Box::new(NoneBackend::new(interface.map(str::to_owned))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(ssid: &str, dbm: i32) -> ScanResult {
        ScanResult {
            ssid: ssid.into(),
            bssid: None,
            signal_dbm: dbm,
            security: Some(Security::Open),
            frequency_mhz: None,
            handle: ssid.into(),
        }
    }

    #[test]
    fn a_prefix_with_one_match_picks_it() {
        let r = [net("Home", -30), net("Acme-3F2A", -60)];
        let c = choose(&r, &Wanted::Prefix("Acme-".into()), None).unwrap();
        assert_eq!(c.ssid, "Acme-3F2A");
    }

    #[test]
    fn several_prefix_matches_without_a_device_id_is_an_error_that_lists_them() {
        let r = [
            net("Acme-3F2A", -60),
            net("Acme-9B01", -40),
            net("Home", -30),
        ];
        let e = choose(&r, &Wanted::Prefix("Acme-".into()), None).unwrap_err();
        assert_eq!(e.code(), "wifi.ambiguous");
        let text = e.to_string();
        assert!(
            text.contains("Acme-3F2A") && text.contains("Acme-9B01"),
            "{text}"
        );
        assert!(!text.contains("Home"), "{text}");
    }

    #[test]
    fn several_prefix_matches_with_a_device_id_pick_the_one_that_names_it() {
        let r = [net("Acme-3F2A", -60), net("Acme-9B01", -40)];
        let c = choose(&r, &Wanted::Prefix("Acme-".into()), Some("ACME-00003F2A")).unwrap();
        assert_eq!(c.ssid, "Acme-3F2A");
    }

    #[test]
    fn an_exact_ssid_seen_twice_picks_the_strongest() {
        let r = [net("Acme", -70), net("Acme", -35)];
        let c = choose(&r, &Wanted::Ssid("Acme".into()), None).unwrap();
        assert_eq!(c.signal_dbm, -35);
    }

    #[test]
    fn no_match_says_what_the_scan_saw() {
        let e = choose(&[net("Home", -30)], &Wanted::Ssid("Acme".into()), None).unwrap_err();
        assert_eq!(e.code(), "wifi.not_found");
        assert!(e.to_string().contains("Home"));
    }
}
