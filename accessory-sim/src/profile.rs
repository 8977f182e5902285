//! The API profile a simulated accessory answers instead of `/v1` (`accessory sim --api-profile
//! FILE`, docs/api-profiles.md): the file read and checked, and the static header value it
//! expects. The routes that answer it are `profile_api.rs`.

use std::path::Path;

use protocol::profile::{ApiProfile, Auth};

use crate::error::Error;

/// The largest profile file read.
const MAX_PROFILE_BYTES: u64 = 256 * 1024;

/// An API profile the simulator answers, and the static header value it expects, if any.
pub struct ServedProfile {
    api: ApiProfile,
    header: Option<(String, String)>,
}

impl std::fmt::Debug for ServedProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedProfile")
            .field("name", &self.api.name)
            .field("header", &self.header.as_ref().map(|(n, _)| n))
            .finish()
    }
}

impl PartialEq for ServedProfile {
    fn eq(&self, other: &Self) -> bool {
        self.api == other.api && self.header == other.header
    }
}

impl ServedProfile {
    /// Reads and checks a profile file (and a static header's value file, beside it).
    pub fn load(path: &Path) -> Result<ServedProfile, Error> {
        let read = |path: &Path| {
            use trust::diagnosis::codes;
            trust::read_file_bounded(path, MAX_PROFILE_BYTES).map_err(|io| Error::ApiProfile {
                code: match io.kind() {
                    std::io::ErrorKind::NotFound => codes::INPUT_NOT_FOUND,
                    std::io::ErrorKind::IsADirectory => codes::INPUT_IS_A_DIRECTORY,
                    std::io::ErrorKind::InvalidData => codes::INPUT_TOO_LARGE,
                    _ => codes::INPUT_UNREADABLE,
                },
                message: format!("cannot read {}: {io}", path.display()),
            })
        };
        let bytes = read(path)?;
        let text = String::from_utf8(bytes).map_err(|_| Error::ApiProfile {
            code: trust::diagnosis::codes::INPUT_NOT_UTF8,
            message: format!("{}: the API profile is not UTF-8 text", path.display()),
        })?;
        let api = ApiProfile::parse(&path.display().to_string(), &text).map_err(|e| {
            Error::ApiProfile {
                code: e.code,
                message: e.to_string(),
            }
        })?;
        let header = match &api.auth {
            Auth::StaticHeader {
                header,
                prefix,
                value_file,
            } => {
                let file = match path.parent() {
                    Some(dir) if !Path::new(value_file).is_absolute() => dir.join(value_file),
                    _ => value_file.into(),
                };
                let value = String::from_utf8(read(&file)?).unwrap_or_default();
                let value = value.lines().next().unwrap_or("").to_owned();
                Some((header.to_ascii_lowercase(), format!("{prefix}{value}")))
            }
            _ => None,
        };
        Ok(ServedProfile { api, header })
    }

    /// The profile.
    pub fn api(&self) -> &ApiProfile {
        &self.api
    }

    /// The name of the static header the accessory checks, if it checks one.
    pub(crate) fn header_name(&self) -> Option<&str> {
        self.header.as_ref().map(|(n, _)| n.as_str())
    }

    /// The static header's name and the value it must have.
    pub(crate) fn header(&self) -> Option<(&str, &str)> {
        self.header.as_ref().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether a request body carries a passphrase, read through the profile's template (what
    /// the request log records).
    pub(crate) fn carries_passphrase(&self, body: &[u8]) -> bool {
        self.api
            .set_network
            .body
            .read(body)
            .is_some_and(|b| b.passphrase.is_some())
    }
}
