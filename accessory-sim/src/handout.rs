//! The files a simulated accessory hands its tester: anchors, chain, pin, and the test secrets
//! (the simulated networks' passphrases, the PoP code, the accessory's and the client's keys).
//!
//! One writer and one file-name rule for `accessory sim`, `sim softap` and the fleet, so the paths a
//! tester is told are the paths written. Private files are created 0600 (and put back to 0600 when
//! they existed), and never written through a symbolic link planted in the directory.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::Error;

/// A directory of handout files.
#[derive(Debug, Clone)]
pub struct Handout {
    dir: PathBuf,
}

impl Handout {
    /// Creates the directory (and its parents) if missing.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|io| Error::Write {
            path: dir.clone(),
            io,
        })?;
        Ok(Self { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file anyone may read (anchors, a chain, a pin); returns its path.
    pub fn public(&self, name: &str, contents: &str) -> Result<PathBuf, Error> {
        let path = self.dir.join(name);
        write(&path, contents.as_bytes(), false)?;
        Ok(path)
    }

    /// Writes a test secret (a key, a PoP code), 0600; returns its path.
    pub fn private(&self, name: &str, contents: &str) -> Result<PathBuf, Error> {
        let path = self.dir.join(name);
        write(&path, contents.as_bytes(), true)?;
        Ok(path)
    }

    /// Writes a simulated network's own test passphrase (not anyone's credential), 0600, as
    /// `--network-passphrase-file` reads it, under [`passphrase_file_name`]; returns its path.
    pub fn network_passphrase(&self, ssid: &str, passphrase: &str) -> Result<PathBuf, Error> {
        self.private(&passphrase_file_name(ssid), passphrase)
    }
}

/// The file name of a network's passphrase: the SSID with every character but ASCII letters,
/// digits, `-` and `_` replaced by `_`, then `.passphrase` (`My Home` -> `My_Home.passphrase`).
pub fn passphrase_file_name(ssid: &str) -> String {
    let name: String = ssid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}.passphrase")
}

/// Writes `contents` to `path`, truncating; `private` files are 0600 and never written through a
/// symbolic link.
pub(crate) fn write(path: &Path, contents: &[u8], private: bool) -> Result<(), Error> {
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        if private {
            options
                .mode(0o600)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let mut file = options.open(path)?;
        if private {
            // `mode` applies to a new file only; one left from an earlier run is narrowed too.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(contents)
    })();
    result.map_err(|io| Error::Write {
        path: path.to_owned(),
        io,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passphrase_file_is_named_after_its_ssid_with_unsafe_characters_replaced() {
        assert_eq!(passphrase_file_name("Home"), "Home.passphrase");
        assert_eq!(passphrase_file_name("My Home/5G"), "My_Home_5G.passphrase");
        assert_eq!(passphrase_file_name("a-b_c"), "a-b_c.passphrase");
        assert_eq!(passphrase_file_name("../x"), "___x.passphrase");
    }

    #[test]
    fn private_files_are_0600_even_when_they_existed_wider_and_public_ones_are_written_as_given() {
        let dir = tempfile::tempdir().unwrap();
        let h = Handout::create(dir.path().join("new/dir")).unwrap();
        let stale = h.public("key.pem", "old").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        let key = h.private("key.pem", "new").unwrap();
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "new");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let pass = h.network_passphrase("My Home", "test pass").unwrap();
        assert_eq!(pass, h.dir().join("My_Home.passphrase"));
        assert_eq!(
            std::fs::metadata(&pass).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_symbolic_link_planted_in_the_directory_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "untouched").unwrap();
        let h = Handout::create(dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(&target, h.dir().join("pop.txt")).unwrap();
        let err = h.private("pop.txt", "secret").unwrap_err();
        assert_eq!(err.code(), "sim.write");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    }
}
