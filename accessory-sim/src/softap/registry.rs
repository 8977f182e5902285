//! The SoftAP registry on disk: writing, listing and sweeping the entries whose format
//! (`protocol::softap`: the entry, its file name, the directory and its environment variable) is
//! shared with the `sim` Wi-Fi backend of `provision`. Files are mode 0600 in a 0700 directory.
//!
//! An entry is written *before* its namespace is created and removed *after* it is gone, with the
//! owner's pid and start time, so a sweep can tell a stale entry (owner dead) from one being built.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use protocol::softap::{self, RegistryEntry};

use super::Error;

/// The registry directory in force: `$ACCESSORY_SOFTAP_DIR`, or `/run/accessory-softap`.
pub fn registry_dir() -> PathBuf {
    softap::dir(std::env::var_os(softap::DIR_ENV))
}

/// Whether the process that created this entry is gone.
pub(crate) fn owner_is_gone(entry: &RegistryEntry) -> bool {
    process_start_time(entry.owner_pid) != Some(entry.owner_start)
}

/// Writes `entry` atomically (temp file + rename), mode 0600.
pub(crate) fn write(dir: &Path, entry: &RegistryEntry) -> Result<PathBuf, Error> {
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
    let text = entry.to_json();
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
pub(crate) fn list(dir: &Path) -> Vec<(PathBuf, RegistryEntry)> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let path = e.path();
        if !softap::is_entry_file(&path) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        if let Some(entry) = RegistryEntry::parse(&text) {
            out.push((path, entry));
        }
    }
    out.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    out
}

/// The start time of a live process, from /proc/PID/stat field 22 (after the parenthesised name,
/// which may itself contain spaces and parentheses).
pub(crate) fn process_start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    // `rest` starts at field 3 (state); field 22 is index 19 here.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This process's own start time.
pub(crate) fn own_start_time() -> u64 {
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
            version: softap::FORMAT_VERSION,
            id: "0123abcd".into(),
            ssid: "Accessory-1234".into(),
            security: protocol::Security::Open,
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
        assert!(!owner_is_gone(&entry));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(entry.path_in(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
