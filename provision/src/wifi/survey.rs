//! `accessory scan`: what a backend sees, and which networks look like accessories' SoftAPs.
//!
//! A network looks like an accessory when the backend's networks all are (the `sim` backend lists
//! only the simulated accessories' registry), or when its SSID begins with a known SoftAP prefix:
//! [`protocol::softap::SSID_PREFIX`] (what `accessory sim softap` and `certs mint` name a unit's
//! SoftAP), ESP-IDF's `PROV_` (the service name its wifi_provisioning examples advertise), or one
//! the caller adds (`--prefix`).

use serde::Serialize;

use super::{ScanResult, WifiBackend, WifiError};

/// SSID prefixes that mark a SoftAP as an accessory's, besides those a caller adds.
pub const ACCESSORY_PREFIXES: [&str; 2] = [protocol::softap::SSID_PREFIX, "PROV_"];

/// One network a scan saw, and whether it looks like an accessory's SoftAP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenNetwork {
    /// What the backend reported.
    #[serde(flatten)]
    pub network: ScanResult,
    /// Whether it looks like an accessory's SoftAP (see the module documentation).
    pub accessory: bool,
}

/// Whether `ssid` begins with one of [`ACCESSORY_PREFIXES`] or of `extra`.
pub fn looks_like_accessory(ssid: &str, extra: &[String]) -> bool {
    ACCESSORY_PREFIXES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .any(|p| !p.is_empty() && ssid.starts_with(p))
}

/// Scans with `backend` and marks the accessories; strongest first, then by SSID.
pub fn survey(
    backend: &mut dyn WifiBackend,
    extra_prefixes: &[String],
) -> Result<Vec<SeenNetwork>, WifiError> {
    let all_accessories = backend.lists_only_accessories();
    let mut seen: Vec<SeenNetwork> = backend
        .scan()?
        .into_iter()
        .map(|network| SeenNetwork {
            accessory: all_accessories || looks_like_accessory(&network.ssid, extra_prefixes),
            network,
        })
        .collect();
    seen.sort_by(|a, b| {
        b.network
            .signal_dbm
            .cmp(&a.network.signal_dbm)
            .then_with(|| a.network.ssid.cmp(&b.network.ssid))
    });
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessory_prefixes_and_added_ones_mark_accessories_and_nothing_else() {
        assert!(looks_like_accessory("Accessory-0042", &[]));
        assert!(looks_like_accessory("PROV_3F2A1B", &[]));
        assert!(!looks_like_accessory("Home", &[]));
        assert!(!looks_like_accessory("accessory-0042", &[]));
        assert!(looks_like_accessory("Acme-3F2A", &["Acme-".into()]));
        assert!(!looks_like_accessory("Home", &[String::new()]));
    }
}
