//! The certificate catalogue: every profile written to a directory of its own, under one
//! manufacturer root, with a `manifest.json` that says what is wrong with each and the verdict
//! expected under each trust mode. QA, the simulator and other tools' tests read it; the openssl
//! cross-check in `tests/certs_openssl.rs` checks it with a second implementation.
//!
//! ```text
//! catalogue/
//!   manifest.json
//!   manufacturer-root.pem      the root most profiles' anchors.pem holds
//!   good-chain/                chain.pem leaf.pem intermediates.pem key.pem anchors.pem pin.txt
//!   expired/ ...
//!   wrong-key/                 a genuine chain.pem with a key.pem that does not match it
//! ```

use std::path::{Path, PathBuf};

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::ca::{ecdsa_key, ManufacturerCa, DEFAULT_ORGANIZATION};
use crate::files::{self, Output};
use crate::{
    generate_with_ca, pem, profiles, CertProfile, Error, Expectations, Material, Options,
    ProfileIdentity, TrustMode, WRONG_KEY,
};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The manufacturer root, at the top of the catalogue.
pub const ROOT: &str = "manufacturer-root.pem";
/// The version of the manifest's format; bumped when a field changes meaning.
pub const FORMAT: u32 = 1;

/// `manifest.json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// When the catalogue was made (RFC 3339, UTC); validity dates are relative to it.
    pub generated_at: String,
    /// The device id every leaf names (except `wrong-name`'s).
    pub device_id: String,
    /// The trust modes, in the order of each profile's `expect`.
    pub modes: [TrustMode; 3],
    /// The manufacturer root file, relative to the catalogue directory.
    pub manufacturer_root: String,
    /// One entry per certificate profile.
    pub profiles: Vec<Entry>,
    /// Faults in how a certificate is served rather than in the certificate (`wrong-key`).
    pub serving_faults: Vec<Entry>,
}

/// One profile in the manifest.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// The profile name, also its directory.
    pub name: String,
    /// What is wrong with it, in plain words.
    pub summary: String,
    /// What a client checks it against.
    pub identity: IdentityEntry,
    /// The pin the administrator recorded, `sha256/BASE64`.
    pub pin: String,
    /// The pin of the key actually served (differs for `key-rotated`).
    pub served_pin: String,
    /// SHA-256 of the served leaf, hex.
    pub fingerprint: String,
    /// The verdict expected under each trust mode.
    pub expect: Expectations,
    /// The profile's directory, relative to the catalogue directory.
    pub dir: String,
    /// The files in it.
    pub files: Vec<String>,
}

/// A profile's identity, spelled out: `{"kind": "device_id", "value": "SIM-0001"}` or
/// `{"kind": "ip", "value": "192.168.4.1"}`.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityEntry {
    /// `device_id` or `ip`.
    pub kind: &'static str,
    /// The device id or the address.
    pub value: String,
}

/// Makes every profile under one new manufacturer CA and writes the catalogue into `dir`. Refuses
/// when `dir` already holds a catalogue, unless `force`.
pub fn write(dir: &Path, options: &Options, force: bool) -> Result<Manifest, Error> {
    crate::device_id::validate(&options.device_id)?;
    let manifest_path = dir.join(MANIFEST);
    if manifest_path.exists() && !force {
        return Err(Error::WouldOverwrite {
            path: manifest_path,
        });
    }
    let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION)?;
    let mut entries = Vec::new();
    for profile in profiles() {
        let material = generate_with_ca(profile.name, options, &ca)?;
        entries.push(write_entry(dir, profile, &material)?);
    }
    // wrong-key: the good chain with a key that is not its own.
    let mut wrong = generate_with_ca("good-chain", options, &ca)?;
    wrong.key = ecdsa_key()?.into();
    wrong.profile = &WRONG_KEY;
    let serving_faults = vec![write_entry(dir, &WRONG_KEY, &wrong)?];

    let manifest = Manifest {
        format: FORMAT,
        generated_at: crate::template::now()
            .format(&Rfc3339)
            .map_err(|e| Error::generate("the manifest date", e))?,
        device_id: options.device_id.clone(),
        modes: TrustMode::ALL,
        manufacturer_root: ROOT.to_owned(),
        profiles: entries,
        serving_faults,
    };
    let json =
        serde_json::to_string_pretty(&manifest).map_err(|e| Error::generate("the manifest", e))?;
    files::write_all(
        dir,
        &[
            Output::public(dir.join(ROOT), ca.root_pem()),
            Output::public(manifest_path, json + "\n"),
        ],
        true,
    )?;
    Ok(manifest)
}

fn write_entry(dir: &Path, profile: &CertProfile, material: &Material) -> Result<Entry, Error> {
    let written = material.write_to(&dir.join(profile.name))?;
    Ok(Entry {
        name: profile.name.to_owned(),
        summary: profile.summary.to_owned(),
        identity: IdentityEntry {
            kind: match profile.identity {
                ProfileIdentity::DeviceId => "device_id",
                ProfileIdentity::Ip(_) => "ip",
            },
            value: material.identity(),
        },
        pin: material.pin.clone(),
        served_pin: pem::certificate_pin(material.leaf())?,
        fingerprint: material.fingerprint(),
        expect: profile.expect,
        dir: profile.name.to_owned(),
        files: written
            .iter()
            .map(PathBuf::as_path)
            .filter_map(file_name)
            .collect(),
    })
}

fn file_name(path: &Path) -> Option<String> {
    Some(path.file_name()?.to_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_writes_every_profile_and_a_manifest_with_the_matrix() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = write(dir.path(), &Options::new("SIM-0042"), false).unwrap();
        assert_eq!(manifest.profiles.len(), profiles().len());
        for entry in &manifest.profiles {
            for f in ["chain.pem", "key.pem", "anchors.pem", "pin.txt"] {
                assert!(
                    dir.path().join(&entry.dir).join(f).is_file(),
                    "{} {f}",
                    entry.name
                );
            }
        }
        let text = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ip = json["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "ip-not-in-san")
            .unwrap();
        assert_eq!(ip["identity"]["value"], "192.168.4.1");
        assert_eq!(ip["expect"]["pin"]["code"], "cert.wrong_name");
        assert_eq!(json["serving_faults"][0]["name"], "wrong-key");
        assert_eq!(
            json["serving_faults"][0]["expect"]["both"]["code"],
            "tls.bad_handshake_signature"
        );

        let again = write(dir.path(), &Options::new("SIM-0042"), false).unwrap_err();
        assert_eq!(again.code(), "certs.exists");
        write(dir.path(), &Options::new("SIM-0042"), true).unwrap();
    }
}
