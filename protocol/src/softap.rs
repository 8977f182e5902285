//! The SoftAP registry: what a radio would broadcast in its beacons, written by the simulated
//! SoftAP (`accessory-sim`) where the `sim` Wi-Fi backend of `provision` scans for it.
//!
//! One JSON file per SoftAP ([`file_name`]) in a directory: [`DEFAULT_DIR`], or the one the
//! environment variable [`DIR_ENV`] names (each side reads its environment; [`dir`] decides).
//! An entry also holds the AP's own configuration, as `hostapd.conf` would: the WPA PSK, never the
//! passphrase, so a backend can refuse a wrong passphrase as a real AP's 4-way handshake does.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Security;

/// The registry format version; a reader skips entries of another version.
pub const FORMAT_VERSION: u32 = 1;

/// Where the registry lives unless [`DIR_ENV`] says otherwise.
pub const DEFAULT_DIR: &str = "/run/accessory-softap";

/// The environment variable naming another registry directory.
pub const DIR_ENV: &str = "ACCESSORY_SOFTAP_DIR";

/// The registry directory, given the value of [`DIR_ENV`] (`std::env::var_os(DIR_ENV)`).
pub fn dir(env_value: Option<OsString>) -> PathBuf {
    env_value
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

/// The SSID an accessory advertises unless told otherwise: `Accessory-` and the last 4 characters
/// of its device id (`SIM-0001` -> `Accessory-0001`), as `accessory sim softap` names its SoftAP and
/// `certs mint` prints it on the label.
pub fn default_ssid(device_id: &str) -> String {
    let tail: String = device_id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{SSID_PREFIX}{tail}")
}

/// What every default SSID begins with ([`default_ssid`]); `accessory scan` calls a network whose
/// SSID begins with it an accessory.
pub const SSID_PREFIX: &str = "Accessory-";

/// The file name of the entry with this id: `ID.json`.
pub fn file_name(id: &str) -> String {
    format!("{id}.json")
}

/// Whether a directory member could be an entry (a `.json` file; anything else is skipped: the
/// directory is shared).
pub fn is_entry_file(path: &Path) -> bool {
    path.extension().and_then(|x| x.to_str()) == Some("json")
}

/// One advertised SoftAP.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// Unique id of this SoftAP; also names its namespace and interfaces.
    pub id: String,
    /// The network name it advertises.
    pub ssid: String,
    /// How it is secured.
    pub security: Security,
    /// The WPA PSK, 64 hex digits (`crate::Psk::to_hex`), unless the SoftAP is open.
    pub psk: Option<String>,
    /// Received signal strength a station would see, dBm (e.g. -40 strong, -80 weak).
    pub signal_dbm: i32,
    /// 2.4 GHz channel advertised (cosmetic: there is no radio).
    pub channel: u32,
    /// The network namespace the SoftAP lives in.
    pub namespace: String,
    /// The accessory end of the veth pair (inside `namespace`).
    pub accessory_interface: String,
    /// The station end: inside `namespace` until a station joins and moves it into its own.
    pub station_interface: String,
    /// The accessory's (and router's, and DHCP server's) address, e.g. 192.168.4.1.
    pub accessory_address: String,
    /// The prefix length of the SoftAP's subnet.
    pub prefix_len: u8,
    /// The TCP port of the accessory's HTTPS API.
    pub port: u16,
    /// The process that made the entry.
    pub owner_pid: u32,
    /// The owner's start time (clock ticks since boot, /proc/PID/stat field 22): with the pid,
    /// identifies the owner even if the pid is reused.
    pub owner_start: u64,
    /// False while the SoftAP is being built or torn down; scanners skip it.
    pub ready: bool,
}

impl RegistryEntry {
    /// The entry's file in `dir`.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(file_name(&self.id))
    }

    /// The file's text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a registry entry serializes")
    }

    /// An entry from a file's text: `None` for anything else (a foreign file, a torn write).
    pub fn parse(text: &str) -> Option<RegistryEntry> {
        serde_json::from_str(text).ok()
    }

    /// Whether a station may join it now: this format version, and ready.
    pub fn is_joinable(&self) -> bool {
        self.version == FORMAT_VERSION && self.ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> RegistryEntry {
        RegistryEntry {
            version: FORMAT_VERSION,
            id: "0123abcd".into(),
            ssid: "Accessory-1234".into(),
            security: Security::Wpa2Psk,
            psk: Some(crate::wpa_psk("password", "Accessory-1234").to_hex()),
            signal_dbm: -42,
            channel: 6,
            namespace: "asap-0123abcd".into(),
            accessory_interface: "as0123abcda".into(),
            station_interface: "as0123abcds".into(),
            accessory_address: "192.168.4.1".into(),
            prefix_len: 24,
            port: 443,
            owner_pid: 42,
            owner_start: 7,
            ready: true,
        }
    }

    #[test]
    fn an_entry_round_trips_and_keeps_the_version_1_spelling() {
        let e = entry();
        let text = e.to_json();
        assert!(text.contains("\"security\": \"wpa2-psk\""), "{text}");
        assert_eq!(RegistryEntry::parse(&text), Some(e.clone()));
        assert_eq!(
            e.path_in(Path::new("/run/x")),
            PathBuf::from("/run/x/0123abcd.json")
        );
        assert!(e.is_joinable());
        assert!(RegistryEntry::parse("{not json").is_none());
        assert!(
            RegistryEntry::parse(&text.replace("\"ready\"", "\"extra\": 1, \"ready\"")).is_none()
        );
    }

    #[test]
    fn the_directory_is_the_default_unless_the_environment_names_one() {
        assert_eq!(dir(None), PathBuf::from("/run/accessory-softap"));
        assert_eq!(dir(Some("/tmp/r".into())), PathBuf::from("/tmp/r"));
        assert!(is_entry_file(Path::new("/d/a.json")));
        assert!(!is_entry_file(Path::new("/d/.a.json.tmp")));
    }

    #[test]
    fn the_default_ssid_ends_with_the_device_ids_last_four_characters() {
        assert_eq!(default_ssid("SIM-0001"), "Accessory-0001");
        assert_eq!(default_ssid("PLUG-0042"), "Accessory-0042");
        assert_eq!(default_ssid("AB"), "Accessory-AB");
    }
}
