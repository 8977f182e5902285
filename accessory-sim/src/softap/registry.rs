//! The SoftAP registry: what a radio would broadcast in its beacons, written where the `sim` Wi-Fi
//! backend of `provision` scans for it.
//!
//! One JSON file per SoftAP in a directory (`/run/accessory-softap/` by default, or
//! `$ACCESSORY_SOFTAP_DIR`). The format is the contract between this crate and
//! `provision::wifi::sim` (which does not depend on this crate): keep [`FORMAT_VERSION`] in step.
//! The file also holds the AP's own configuration, as `hostapd.conf` would: the WPA2 PSK
//! (PBKDF2-HMAC-SHA1 of the passphrase and SSID, never the passphrase itself), so the backend can
//! refuse a wrong passphrase the way a real AP's 4-way handshake does. Files are mode 0600 in a
//! 0700 directory.
//!
//! An entry is written *before* its namespace is created and removed *after* it is gone, with the
//! owner's pid and start time, so a sweep can tell a stale entry (owner dead) from one being built.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Error;

/// The registry format version; `provision::wifi::sim` refuses entries of another version.
pub const FORMAT_VERSION: u32 = 1;

/// Where the registry lives unless `ACCESSORY_SOFTAP_DIR` says otherwise.
pub const DEFAULT_DIR: &str = "/run/accessory-softap";

/// The registry directory in force.
pub fn registry_dir() -> PathBuf {
    std::env::var_os("ACCESSORY_SOFTAP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

/// One advertised SoftAP.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    pub version: u32,
    /// Unique id of this SoftAP; also names its namespace and interfaces.
    pub id: String,
    pub ssid: String,
    /// `open` or `wpa2-psk`.
    pub security: String,
    /// WPA2 PSK, hex (64 characters), when `security` is `wpa2-psk`.
    pub psk: Option<String>,
    /// Received signal strength a station would see, dBm (e.g. -40 strong, -80 weak).
    pub signal_dbm: i32,
    /// 2.4 GHz channel advertised (cosmetic: there is no radio).
    pub channel: u32,
    pub namespace: String,
    /// The accessory end of the veth pair (inside `namespace`).
    pub accessory_interface: String,
    /// The station end: inside `namespace` until a station joins and moves it into its own.
    pub station_interface: String,
    /// The accessory's (and router's, and DHCP server's) address, e.g. 192.168.4.1.
    pub accessory_address: String,
    pub prefix_len: u8,
    /// The TCP port of the accessory's HTTPS API.
    pub port: u16,
    pub owner_pid: u32,
    /// The owner's start time (clock ticks since boot, /proc/PID/stat field 22): with the pid,
    /// identifies the owner even if the pid is reused.
    pub owner_start: u64,
    /// False while the SoftAP is being built or torn down; scanners skip it.
    pub ready: bool,
}

impl RegistryEntry {
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.json", self.id))
    }

    /// Whether the process that created this entry is gone.
    pub fn owner_is_gone(&self) -> bool {
        process_start_time(self.owner_pid) != Some(self.owner_start)
    }
}

/// Writes `entry` atomically (temp file + rename), mode 0600.
pub fn write(dir: &Path, entry: &RegistryEntry) -> Result<PathBuf, Error> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| Error::Registry {
            path: dir.to_owned(),
            source,
        })?;
    let path = entry.path_in(dir);
    let tmp = dir.join(format!(".{}.json.tmp", entry.id));
    let text = serde_json::to_string_pretty(entry).expect("a registry entry serializes");
    let io = |source| Error::Registry {
        path: path.clone(),
        source,
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, &path).map_err(io)?;
    Ok(path)
}

/// Every parseable entry in `dir` (unreadable or foreign files are skipped: the directory is shared).
pub fn list(dir: &Path) -> Vec<(PathBuf, RegistryEntry)> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        if let Ok(entry) = serde_json::from_str::<RegistryEntry>(&text) {
            out.push((path, entry));
        }
    }
    out.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    out
}

/// The start time of a live process, from /proc/PID/stat field 22 (after the parenthesised name,
/// which may itself contain spaces and parentheses).
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    // `rest` starts at field 3 (state); field 22 is index 19 here.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This process's own start time.
pub fn own_start_time() -> u64 {
    process_start_time(std::process::id()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_start_time_and_a_dead_pid_has_none() {
        assert!(process_start_time(std::process::id()).is_some());
        assert!(process_start_time(u32::MAX - 1).is_none());
    }

    #[test]
    fn entries_round_trip_through_the_directory_and_foreign_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let entry = RegistryEntry {
            version: FORMAT_VERSION,
            id: "0123abcd".into(),
            ssid: "Accessory-1234".into(),
            security: "open".into(),
            psk: None,
            signal_dbm: -42,
            channel: 6,
            namespace: "asap-0123abcd".into(),
            accessory_interface: "as0123abcda".into(),
            station_interface: "as0123abcds".into(),
            accessory_address: "192.168.4.1".into(),
            prefix_len: 24,
            port: 443,
            owner_pid: std::process::id(),
            owner_start: own_start_time(),
            ready: true,
        };
        let path = write(dir.path(), &entry).unwrap();
        fs::write(dir.path().join("notes.json"), "{not json").unwrap();
        let listed = list(dir.path());
        assert_eq!(listed, vec![(path, entry.clone())]);
        assert!(!entry.owner_is_gone());
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(entry.path_in(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
