//! A credential held in memory: the home network passphrase, the proof-of-possession code.
//!
//! The value is wiped when dropped (`zeroize`), prints as `Secret(..)` in Debug output whatever the
//! verbosity, and has no `Display` and no `Serialize`: the only way to reach the bytes is
//! [`Secret::expose`], which the flow calls at the one place a credential leaves the process (the
//! body of `PUT /v1/network`, the HMAC key of the proof of possession), after the peer was verified.
//!
//! Secrets come from files (never from argv): [`Secret::from_file`] and [`read_secret_file`] are the
//! one reader for every such file the binary takes (the home network passphrase, the PoP code, the
//! SoftAP's label passphrase, a client key). The read is bounded by what it reads, not by what the
//! file's metadata claims (0 for a pipe or `/dev/zero`), into memory that is wiped when dropped.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// The environment variable the home network passphrase may come from (never a flag: argv is
/// world-readable).
pub const NETWORK_PASSPHRASE_ENV: &str = "ACCESSORY_NETWORK_PASSPHRASE";

/// The environment variable the SoftAP's own passphrase (from the accessory's label) may come from.
pub const SOFTAP_PASSPHRASE_ENV: &str = "ACCESSORY_SOFTAP_PASSPHRASE";

/// The most a one-line secret file (a passphrase, a PoP code) may hold, in bytes.
pub const MAX_SECRET_LINE: usize = 4096;

/// A credential, wiped on drop, never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a credential. Trailing newline characters (what `echo pass > file` leaves) are removed,
    /// nothing else: a passphrase may begin or end with spaces.
    pub fn new(mut value: String) -> Self {
        while value.ends_with('\n') || value.ends_with('\r') {
            value.pop();
        }
        Self(Zeroizing::new(value))
    }

    /// The credential itself. Call only where it is about to be sent to a verified peer.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in characters (for validation messages that must not show the value).
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Secret {
    /// Reads a one-line secret from a file: the first line, without its line ending, at most
    /// [`MAX_SECRET_LINE`] bytes of UTF-8 in the file. `what` names it in errors ("network
    /// passphrase"). A regular file, a pipe or a character device is read; a directory is refused.
    pub fn from_file(path: &Path, what: &'static str) -> Result<Self, SecretFileError> {
        let bytes = read_secret_file(path, what, MAX_SECRET_LINE)?;
        let fail = |problem| SecretFileError {
            path: path.to_owned(),
            what,
            problem,
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| fail(Problem::NotUtf8))?;
        let line = text.lines().next().unwrap_or("");
        if line.is_empty() {
            return Err(fail(Problem::Empty));
        }
        Ok(Self::new(line.to_owned()))
    }
}

impl Secret {
    /// The home network passphrase for `ssid`: from `file`, else $ACCESSORY_NETWORK_PASSPHRASE,
    /// else a no-echo prompt when standard input is a terminal. Never argv.
    pub fn network_passphrase(file: Option<&Path>, ssid: &str) -> Result<Self, PassphraseError> {
        use std::io::IsTerminal as _;
        if let Some(path) = file {
            return Ok(Self::from_file(path, "network passphrase")?);
        }
        if let Some(value) = std::env::var_os(NETWORK_PASSPHRASE_ENV) {
            let value = value.into_string().map_err(|_| PassphraseError::NotUtf8)?;
            return Ok(Self::new(value));
        }
        if std::io::stdin().is_terminal() {
            return rpassword::prompt_password(format!("Passphrase for {ssid}: "))
                .map(Self::new)
                .map_err(PassphraseError::Terminal);
        }
        Err(PassphraseError::Missing)
    }

    /// The SoftAP's own passphrase (from the accessory's label): from `file`, else
    /// $ACCESSORY_SOFTAP_PASSPHRASE, else none (an open SoftAP).
    pub fn softap_passphrase(file: Option<&Path>) -> Result<Option<Self>, SecretFileError> {
        match file {
            Some(path) => Self::from_file(path, "SoftAP passphrase").map(Some),
            None => Ok(std::env::var(SOFTAP_PASSPHRASE_ENV).ok().map(Self::new)),
        }
    }
}

/// Why no home network passphrase could be read ([`Secret::network_passphrase`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseError {
    /// The passphrase file is unusable.
    #[error(transparent)]
    File(#[from] SecretFileError),
    /// $ACCESSORY_NETWORK_PASSPHRASE is set, and is not UTF-8.
    #[error("${NETWORK_PASSPHRASE_ENV} is not UTF-8")]
    NotUtf8,
    /// The terminal prompt failed.
    #[error("cannot read the passphrase from the terminal: {0}")]
    Terminal(std::io::Error),
    /// No file, no environment variable, no terminal to ask on.
    #[error(
        "no network passphrase: give --network-passphrase-file FILE or set ${NETWORK_PASSPHRASE_ENV} \
         (it is never read from the command line)"
    )]
    Missing,
}

impl PassphraseError {
    /// The stable code (`input.no_passphrase`, `input.not_utf8`...).
    pub fn code(&self) -> &'static str {
        use trust::diagnosis::codes;
        match self {
            Self::File(e) => e.code(),
            Self::NotUtf8 => codes::INPUT_NOT_UTF8,
            Self::Terminal(_) => codes::INPUT_UNREADABLE,
            Self::Missing => codes::INPUT_NO_PASSPHRASE,
        }
    }

    /// What a caller does about it: give the passphrase in a usable way.
    pub fn kind(&self) -> trust::ErrorKind {
        trust::ErrorKind::BadInput
    }
}

/// Reads a whole secret file (a private key) into wiped memory: at most `max` bytes, else
/// [`Problem::TooLarge`]. The limit is enforced on what is read (`max + 1` bytes at most), so a
/// pipe or `/dev/zero` cannot make it read more.
pub fn read_secret_file(
    path: &Path,
    what: &'static str,
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    let fail = |problem| SecretFileError {
        path: path.to_owned(),
        what,
        problem,
    };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(Problem::NotFound),
        _ => fail(Problem::Unreadable(e)),
    })?;
    let meta = file.metadata().map_err(|e| fail(Problem::Unreadable(e)))?;
    if meta.is_dir() {
        return Err(fail(Problem::IsADirectory));
    }
    // Room for one byte more than allowed, reserved up front: the buffer never reallocates, so no
    // unwiped copy of a partial secret is left behind in freed memory.
    let mut bytes = Zeroizing::new(Vec::with_capacity(max + 1));
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(Problem::Unreadable(e)))?;
    if bytes.len() > max {
        return Err(fail(Problem::TooLarge { max }));
    }
    Ok(bytes)
}

/// A secret file that could not be used, naming the file and what it was for.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", path.display(), problem.describe(what))]
pub struct SecretFileError {
    /// The file.
    pub path: PathBuf,
    /// What it holds, in words ("network passphrase").
    pub what: &'static str,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a secret file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem {
    /// There is no such file.
    NotFound,
    /// It is a directory.
    IsADirectory,
    /// Opening or reading it failed.
    Unreadable(std::io::Error),
    /// It holds more than the limit.
    TooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// A one-line secret that is not UTF-8 text.
    NotUtf8,
    /// A one-line secret whose first line is empty.
    Empty,
}

impl Problem {
    pub(crate) fn describe(&self, what: &str) -> String {
        match self {
            Self::NotFound => format!("no such file (the {what})"),
            Self::IsADirectory => format!("is a directory, not the {what}"),
            Self::Unreadable(e) => format!("cannot read the {what}: {e}"),
            Self::TooLarge { max } => format!("too large for the {what} (at most {max} bytes)"),
            Self::NotUtf8 => format!("the {what} is not UTF-8 text"),
            Self::Empty => format!("the {what} file is empty"),
        }
    }
}

impl SecretFileError {
    /// The stable code (`input.not_found`, `input.too_large`...), as for any unusable input file.
    pub fn code(&self) -> &'static str {
        use trust::diagnosis::codes;
        match self.problem {
            Problem::NotFound => codes::INPUT_NOT_FOUND,
            Problem::IsADirectory => codes::INPUT_IS_A_DIRECTORY,
            Problem::Unreadable(_) => codes::INPUT_UNREADABLE,
            Problem::TooLarge { .. } => codes::INPUT_TOO_LARGE,
            Problem::NotUtf8 => codes::INPUT_NOT_UTF8,
            Problem::Empty => codes::INPUT_EMPTY,
        }
    }

    /// What a caller does about it: give a usable file.
    pub fn kind(&self) -> trust::ErrorKind {
        trust::ErrorKind::BadInput
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_value() {
        let s = Secret::new("hunter2-correct-horse".to_owned());
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(format!("{s:#?}"), "Secret(..)");
    }

    fn file(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn a_secret_file_gives_its_first_line_without_the_line_ending() {
        let (_d, path) = file(b" pass word \r\nsecond line\n");
        let s = Secret::from_file(&path, "network passphrase").unwrap();
        assert_eq!(s.expose(), " pass word ");
    }

    #[test]
    fn unusable_secret_files_are_refused_with_their_own_code() {
        let (dir, empty) = file(b"\nafter an empty line");
        let (_d2, latin1) = file(b"caf\xe9");
        let (_d3, big) = file(&[b'a'; MAX_SECRET_LINE + 1]);
        let cases = [
            (dir.path().join("missing"), "input.not_found"),
            (dir.path().to_owned(), "input.is_a_directory"),
            (empty, "input.empty"),
            (latin1, "input.not_utf8"),
            (big, "input.too_large"),
        ];
        for (path, code) in cases {
            let e = Secret::from_file(&path, "PoP code").unwrap_err();
            assert_eq!(e.code(), code, "{}", path.display());
            assert!(
                e.to_string().starts_with(&path.display().to_string()),
                "{e}"
            );
        }
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read() {
        let (_d, path) = file(&[b'a'; MAX_SECRET_LINE]);
        assert_eq!(
            Secret::from_file(&path, "x").unwrap().char_len(),
            MAX_SECRET_LINE
        );
    }

    #[test]
    fn an_endless_device_is_cut_at_the_limit_whatever_its_metadata_says() {
        // /dev/zero reports a size of 0 and never ends: only the bounded read stops it.
        let e = read_secret_file(Path::new("/dev/zero"), "client key", 1024).unwrap_err();
        assert_eq!(e.code(), "input.too_large");
    }

    #[test]
    fn a_pipe_is_read_as_a_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo failed");
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, b"from a pipe\n").unwrap())
        };
        let s = Secret::from_file(&fifo, "SoftAP passphrase").unwrap();
        writer.join().unwrap();
        assert_eq!(s.expose(), "from a pipe");
    }

    #[test]
    fn trailing_newlines_from_a_file_are_removed_but_spaces_are_kept() {
        assert_eq!(
            Secret::new(" pass word \r\n".into()).expose(),
            " pass word "
        );
    }
}
