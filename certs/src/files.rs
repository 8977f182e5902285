//! Writing certificates and keys to disk: keys are created 0600, and nothing is overwritten unless
//! the caller says so. Every path is checked before anything is written, so a refused command leaves
//! no half-written directory behind.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;

/// Whether a file holds a secret (a private key): it is then created readable by its owner only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrecy {
    Public,
    Secret,
}

/// One file to write.
#[derive(Debug)]
pub(crate) struct Output {
    pub path: PathBuf,
    pub contents: Vec<u8>,
    pub secrecy: Secrecy,
}

impl Output {
    pub(crate) fn public(path: PathBuf, contents: impl Into<Vec<u8>>) -> Self {
        Output {
            path,
            contents: contents.into(),
            secrecy: Secrecy::Public,
        }
    }

    pub(crate) fn secret(path: PathBuf, contents: impl Into<Vec<u8>>) -> Self {
        Output {
            path,
            contents: contents.into(),
            secrecy: Secrecy::Secret,
        }
    }
}

/// Refuses if any of `outputs` exists (unless `force`), then creates `dir` and writes them all.
pub(crate) fn write_all(dir: &Path, outputs: &[Output], force: bool) -> Result<(), Error> {
    if !force {
        if let Some(existing) = outputs.iter().find(|o| o.path.exists()) {
            return Err(Error::WouldOverwrite {
                path: existing.path.clone(),
            });
        }
    }
    // Directories made here for keys and labels are the owner's alone (0700); an existing one is
    // left as it is (the files in it are 0600 all the same).
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    if outputs.iter().any(|o| matches!(o.secrecy, Secrecy::Secret)) {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(dir, e))?;
    for output in outputs {
        write_one(output)?;
    }
    Ok(())
}

fn write_one(output: &Output) -> Result<(), Error> {
    let path = &output.path;
    // Replace rather than truncate: an existing file keeps its old mode when truncated, and a key
    // must never end up world-readable because an older file was.
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(path, e)),
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(match output.secrecy {
            Secrecy::Secret => 0o600,
            Secrecy::Public => 0o644,
        });
    }
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(&output.contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Reads a whole text file, naming it in the error.
pub(crate) fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_owner_only_and_never_overwritten_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let out = [Output::secret(key.clone(), "secret")];
        write_all(dir.path(), &out, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let err = write_all(dir.path(), &out, false).unwrap_err();
        assert_eq!(err.code(), "certs.exists");
        assert!(err.to_string().contains("--force"), "{err}");
        write_all(dir.path(), &out, true).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_made_for_a_key_is_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("units/SIM-0001");
        write_all(
            &dir,
            &[Output::secret(dir.join("key.pem"), "secret")],
            false,
        )
        .unwrap();
        for d in [root.path().join("units"), dir] {
            let mode = fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
    }
}
