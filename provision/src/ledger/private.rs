//! The SQLite ledger's file is private: it holds home SSIDs, device ids and pins. It is created
//! 0600 without following a link (a planted symlink is refused, not written through), in
//! directories created 0700; a file an older build left readable is narrowed to 0600, with its
//! `-wal` and `-shm` files (SQLite gives new ones the database file's mode).

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates (or narrows) the ledger file at `path` and its missing directories.
pub(crate) fn create(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                io::Error::other(format!(
                    "{} is a symbolic link; the ledger is never written through one",
                    path.display()
                ))
            } else {
                e
            }
        })?;
    narrow(&file)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = Path::new(&side);
        // Never through a link: only a regular file there is narrowed.
        if side
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_file())
        {
            if let Ok(f) = OpenOptions::new()
                .read(true)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
                .open(side)
            {
                narrow(&f)?;
            }
        }
    }
    Ok(())
}

/// Narrows the default ledger's own directory (ours, made by an older build 0755) to 0700. Only
/// that one: a directory someone named with `--ledger` is theirs to keep as they like.
pub(crate) fn narrow_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = dir.symlink_metadata() else {
        return Ok(());
    };
    if meta.is_dir()
        && meta.uid() == rustix::process::geteuid().as_raw()
        && meta.permissions().mode() & 0o077 != 0
    {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn narrow(file: &std::fs::File) -> io::Result<()> {
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
