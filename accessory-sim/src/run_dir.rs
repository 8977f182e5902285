//! Where a simulator run puts its files, and how each file is created.
//!
//! The simulator writes test secrets (its key, the simulated networks' passphrases, a PoP code, a
//! client key) on shared lab machines, often as root. Issue 12 found the old writer open to a local
//! attacker: a predictable `$TMPDIR/accessory-sim/<id>`, symbolic links followed, existing files
//! truncated with their owner and mode kept. The rules now:
//!
//! - the per-user base directory ([`base_dir`]: `$XDG_RUNTIME_DIR/accessory-sim`, else
//!   `$TMPDIR/accessory-sim-<uid>`) is created 0700; one that exists must be a real directory owned
//!   by us (a link, or another user's directory, is refused; ours but wider is narrowed to 0700);
//! - each run gets its own fresh subdirectory (`<id>-XXXXXX`, made by `mkdir`, so exclusive): two
//!   simulators with the same id never share a file; it is removed when the run ends;
//! - every file is created with `O_CREAT|O_EXCL|O_NOFOLLOW`; a name already taken is replaced only
//!   when it is a regular file we own (a `--out DIR` used twice), never written through: a link or
//!   another user's file is refused. Keys and passphrases are 0600, the rest 0644.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::Error;

/// The per-user directory that holds the simulator's runs.
pub fn base_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() && dir.is_dir() => dir.join("accessory-sim"),
        _ => std::env::temp_dir().join(format!(
            "accessory-sim-{}",
            rustix::process::geteuid().as_raw()
        )),
    }
}

fn refused(path: &Path, reason: impl Into<String>) -> Error {
    Error::Write {
        path: path.to_owned(),
        io: io::Error::new(io::ErrorKind::PermissionDenied, reason.into()),
    }
}

/// Creates `dir` 0700 if missing, or checks that the one there is a directory of ours (narrowing
/// its mode to 0700); a symbolic link or another user's directory is refused.
pub(crate) fn private_dir(dir: &Path) -> Result<(), Error> {
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(io) => {
            return Err(Error::Write {
                path: dir.to_owned(),
                io,
            })
        }
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|io| Error::Write {
        path: dir.to_owned(),
        io,
    })?;
    if meta.file_type().is_symlink() {
        return Err(refused(
            dir,
            "a symbolic link is in place of the directory; not followed",
        ));
    }
    if !meta.is_dir() {
        return Err(refused(dir, "not a directory"));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(refused(
            dir,
            format!(
                "the directory belongs to uid {}, not to this user (uid {me}); not used",
                meta.uid()
            ),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|io| {
            Error::Write {
                path: dir.to_owned(),
                io,
            }
        })?;
    }
    Ok(())
}

/// A fresh directory for one run under the per-user `base`, removed when dropped.
pub(crate) fn fresh_run(base: &Path, name: &str) -> Result<tempfile::TempDir, Error> {
    private_dir(base)?;
    let prefix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(base)
        .map_err(|io| Error::Write {
            path: base.to_owned(),
            io,
        })
}

/// Creates `path` exclusively without following links and writes `contents`; `private` files
/// are 0600. A regular file of ours already there is replaced (removed, then created anew);
/// anything else there is refused.
pub(crate) fn create_file(path: &Path, contents: &[u8], private: bool) -> Result<(), Error> {
    let open = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if private { 0o600 } else { 0o644 })
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
    };
    let file = match open() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(path).map_err(|io| Error::Write {
                path: path.to_owned(),
                io,
            })?;
            let me = rustix::process::geteuid().as_raw();
            if meta.file_type().is_symlink() {
                return Err(refused(
                    path,
                    "a symbolic link is in its place; not followed",
                ));
            }
            if !meta.is_file() || meta.uid() != me {
                return Err(refused(
                    path,
                    format!(
                        "a file of uid {} is in its place; not reused (remove it, or choose another --out)",
                        meta.uid()
                    ),
                ));
            }
            std::fs::remove_file(path).and_then(|()| open())
        }
        other => other,
    };
    let result = file.and_then(|mut f| {
        // The umask may have narrowed `mode`; a private file is exactly 0600 either way.
        f.set_permissions(std::fs::Permissions::from_mode(if private {
            0o600
        } else {
            0o644
        }))?;
        f.write_all(contents)
    });
    result.map_err(|io| Error::Write {
        path: path.to_owned(),
        io,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_dir_is_created_0700_and_a_wider_one_of_ours_is_narrowed() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("base");
        private_dir(&d).unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        private_dir(&d).unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_symbolic_link_in_place_of_the_base_directory_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let elsewhere = t.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let d = t.path().join("base");
        std::os::unix::fs::symlink(&elsewhere, &d).unwrap();
        let e = private_dir(&d).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }

    #[test]
    fn two_runs_with_the_same_name_get_different_directories_removed_when_dropped() {
        let t = tempfile::tempdir().unwrap();
        let a = fresh_run(t.path(), "SIM-0001").unwrap();
        let b = fresh_run(t.path(), "SIM-0001").unwrap();
        assert_ne!(a.path(), b.path());
        assert_eq!(std::fs::metadata(a.path()).unwrap().mode() & 0o777, 0o700);
        let kept = a.path().to_owned();
        drop(a);
        assert!(!kept.exists());
        assert!(b.path().exists());
    }

    #[test]
    fn files_are_created_with_their_modes_and_one_of_ours_is_replaced_not_truncated_in_place() {
        let t = tempfile::tempdir().unwrap();
        let key = t.path().join("key.pem");
        create_file(&key, b"one", true).unwrap();
        assert_eq!(std::fs::metadata(&key).unwrap().mode() & 0o777, 0o600);
        let before = std::fs::metadata(&key).unwrap().ino();
        // Someone holding the old file open (a hard link elsewhere) keeps the old contents.
        let link = t.path().join("held");
        std::fs::hard_link(&key, &link).unwrap();
        create_file(&key, b"two", true).unwrap();
        assert_ne!(std::fs::metadata(&key).unwrap().ino(), before);
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "one");
        let public = t.path().join("anchors.pem");
        create_file(&public, b"x", false).unwrap();
        assert_eq!(std::fs::metadata(&public).unwrap().mode() & 0o777, 0o644);
    }
}
