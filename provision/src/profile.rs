//! An accessory's own HTTPS API, described by an API profile (`protocol::profile`,
//! docs/api-profiles.md): the file read, the static header's value read from its file, and the
//! pieces the flow (`flow.rs`) asks of it. The built-in profile is our `/v1` API
//! ([`LoadedProfile::v1`]), which [`crate::run`] uses: the default path is this machinery too.
//!
//! Nothing about trust changes with a profile: the TLS session is verified by the trust policy,
//! the device id read from the profile's answer must be one the certificate names
//! (`ProvenDevice`), and the profile's credential (proof of possession or static header) is sent
//! only on a trusted session, never with the device info request.

use std::path::{Path, PathBuf};

use hyper::header::HeaderName;
use protocol::profile::{self, ApiProfile, Auth, ProfileError};
use zeroize::Zeroizing;

use crate::client::Credential;
use crate::error::Error;
use crate::request::{Network, Request};
use crate::secret::{read_secret_file, Secret, SecretFileError};

/// The largest profile file read: a profile is a page of TOML.
const MAX_PROFILE_BYTES: usize = 256 * 1024;

/// A checked API profile and the value of its static header, if it has one.
pub struct LoadedProfile {
    api: ApiProfile,
    header: Option<(HeaderName, Secret)>,
    /// The built-in `/v1` profile, whose answers are read as its documented JSON types.
    v1: bool,
}

impl std::fmt::Debug for LoadedProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedProfile")
            .field("name", &self.api.name)
            .field("header", &self.header.as_ref().map(|(n, _)| n))
            .finish()
    }
}

/// A profile file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileLoadError {
    /// The file (or the static header's value file) cannot be read.
    #[error(transparent)]
    Read(#[from] SecretFileError),
    /// The file is not a valid profile; the error names the file, line and column.
    #[error(transparent)]
    Invalid(#[from] ProfileError),
    /// The profile is not UTF-8.
    #[error("{0}: the API profile is not UTF-8 text")]
    NotUtf8(PathBuf),
}

impl ProfileLoadError {
    /// The stable code: `profile.*` for the contents, `input.*` for the file.
    pub fn code(&self) -> &'static str {
        match self {
            ProfileLoadError::Read(e) => e.code(),
            ProfileLoadError::Invalid(e) => e.code,
            ProfileLoadError::NotUtf8(_) => trust::diagnosis::codes::INPUT_NOT_UTF8,
        }
    }

    /// What a caller does about it: fix the input.
    pub fn kind(&self) -> trust::ErrorKind {
        trust::ErrorKind::BadInput
    }
}

impl LoadedProfile {
    /// Our own `/v1` API (`profiles/v1.toml`, built in).
    pub fn v1() -> LoadedProfile {
        LoadedProfile {
            api: ApiProfile::v1(),
            header: None,
            v1: true,
        }
    }

    /// Reads and checks a profile file; a static header's value is read from its `value_file`
    /// (relative to the profile's directory).
    pub fn load(path: &Path) -> Result<LoadedProfile, ProfileLoadError> {
        let bytes = read_secret_file(path, "API profile", MAX_PROFILE_BYTES)?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| ProfileLoadError::NotUtf8(path.to_owned()))?;
        let api = ApiProfile::parse(&path.display().to_string(), text)?;
        let header = match &api.auth {
            Auth::StaticHeader {
                header,
                prefix,
                value_file,
            } => {
                let file = value_path(path, value_file);
                let value = Secret::from_file(&file, "API profile header value")?;
                let name = HeaderName::from_bytes(header.as_bytes())
                    .expect("the profile checked the header name");
                let full = Secret::new(format!("{prefix}{}", value.expose()));
                Some((name, full))
            }
            _ => None,
        };
        Ok(LoadedProfile {
            api,
            header,
            v1: false,
        })
    }

    /// The profile.
    pub fn api(&self) -> &ApiProfile {
        &self.api
    }

    /// Whether the accessory can be asked for the networks it sees (the profile has a `[networks]`
    /// list; the built-in `/v1` profile does).
    pub fn lists_networks(&self) -> bool {
        self.api.networks.is_some()
    }

    /// Whether this is the built-in `/v1` profile.
    pub(crate) fn is_v1(&self) -> bool {
        self.v1
    }

    /// The name of the static header this profile sends, if it sends one.
    pub(crate) fn header_name(&self) -> Option<&str> {
        self.header.as_ref().map(|(name, _)| name.as_str())
    }

    /// The credential a trusted request carries under this profile. A proof-of-possession code
    /// given to a profile that does not use one is refused, not silently dropped.
    pub(crate) fn credential<'a>(&'a self, request: &'a Request) -> Result<Credential<'a>, Error> {
        match (&self.api.auth, &self.header, &request.pop) {
            (Auth::Pop, _, Some(code)) => Ok(Credential::Pop(code)),
            (Auth::Pop, _, None) => Ok(Credential::None),
            (_, _, Some(_)) => Err(Error::InvalidRequest(format!(
                "the API profile {:?} does not use a proof of possession: drop --pop-file",
                self.api.name
            ))),
            (Auth::StaticHeader { .. }, Some((name, value)), None) => {
                Ok(Credential::Header(name, value))
            }
            _ => Ok(Credential::None),
        }
    }

    /// The set-network body for this request and proven device id, and its content type. Wiped
    /// when dropped.
    pub(crate) fn network_body(
        &self,
        network: &Network,
        device_id: &str,
    ) -> (Zeroizing<Vec<u8>>, &'static str) {
        let passphrase = if network.security.needs_passphrase() {
            network.passphrase.expose()
        } else {
            ""
        };
        let values = profile::template::Values {
            ssid: &network.ssid,
            passphrase,
            security: network.security.as_str(),
            hidden: network.hidden,
            device_id,
        };
        let body = &self.api.set_network.body;
        // Reserved once at the most the body can take, so no reallocation leaves a copy of the
        // passphrase behind in freed memory.
        let cap = body.max_len(&values);
        let mut out = Zeroizing::new(Vec::with_capacity(cap));
        body.render(&values, &mut out);
        debug_assert!(out.len() <= cap);
        (out, body.kind().content_type())
    }
}

/// A profile's method as hyper's.
pub(crate) fn method(m: profile::Method) -> hyper::Method {
    match m {
        profile::Method::Get => hyper::Method::GET,
        profile::Method::Post => hyper::Method::POST,
        profile::Method::Put => hyper::Method::PUT,
        profile::Method::Patch => hyper::Method::PATCH,
    }
}

/// `value_file` relative to the profile's directory, unless absolute.
fn value_path(profile: &Path, value_file: &str) -> PathBuf {
    let file = Path::new(value_file);
    if file.is_absolute() {
        return file.to_owned();
    }
    profile
        .parent()
        .map_or_else(|| file.to_owned(), |dir| dir.join(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_code_is_in_the_diagnosis_catalogue_as_bad_input() {
        for code in [
            profile::codes::SYNTAX,
            profile::codes::UNKNOWN_PLACEHOLDER,
            profile::codes::PASSPHRASE_OUTSIDE_BODY,
            profile::codes::INVALID,
        ] {
            let d = trust::Diagnosis::lookup(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(d.kind, trust::ErrorKind::BadInput, "{code}");
        }
    }

    #[test]
    fn the_built_in_profile_sends_the_v1_network_json_and_an_open_network_sends_no_passphrase() {
        let v1 = LoadedProfile::v1();
        let n = Network {
            ssid: "Home".into(),
            passphrase: Secret::new("correct horse".into()),
            security: protocol::Security::Wpa2Psk,
            hidden: false,
        };
        let (body, content_type) = v1.network_body(&n, "SIM-1");
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"ssid":"Home","passphrase":"correct horse","security":"wpa2-psk","hidden":false,"apply":true}"#
        );
        assert_eq!(content_type, "application/json");
        let open = Network {
            ssid: "Cafe".into(),
            passphrase: Secret::new(String::new()),
            security: protocol::Security::Open,
            hidden: true,
        };
        assert_eq!(
            std::str::from_utf8(&v1.network_body(&open, "SIM-1").0).unwrap(),
            r#"{"ssid":"Cafe","security":"open","hidden":true,"apply":true}"#
        );
    }

    #[test]
    fn a_static_header_value_is_read_from_the_file_beside_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../profiles/bearer-token.toml");
        let path = dir.path().join("bearer-token.toml");
        std::fs::copy(shipped, &path).unwrap();
        let missing = LoadedProfile::load(&path).unwrap_err();
        assert_eq!(missing.code(), "input.not_found", "{missing}");
        std::fs::write(dir.path().join("bearer-token.secret"), "tok-123\n").unwrap();
        let loaded = LoadedProfile::load(&path).unwrap();
        let (name, value) = loaded.header.as_ref().unwrap();
        assert_eq!(
            (name.as_str(), value.expose()),
            ("authorization", "Bearer tok-123")
        );
    }
}
