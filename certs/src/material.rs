//! `Material`: what one profile produced: the chain an accessory serves, its key, the anchors and
//! pin an administrator would have recorded.

use std::path::{Path, PathBuf};

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::files::{self, Output};
use serde::Serialize;

use crate::{pem, CertProfile, Error, ProfileIdentity};

/// The certificates and key of one profile, as served and as trusted.
#[non_exhaustive]
pub struct Material {
    /// The profile this was made from.
    pub profile: &'static CertProfile,
    /// The device id asked for (a `wrong-name` leaf names another one).
    pub device_id: String,
    /// What the accessory serves, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key the accessory serves with (PKCS#8).
    pub key: PrivateKeyDer<'static>,
    /// What the administrator trusts: the manufacturer root, or the self-signed leaf itself.
    pub anchors: Vec<CertificateDer<'static>>,
    /// The SPKI pin the administrator recorded, `sha256/BASE64`: the served leaf's, except for
    /// `key-rotated`, where it is the old key's.
    pub pin: String,
    /// Certificates that exist but are not served: the intermediate `incomplete-chain` leaves out.
    pub withheld: Vec<CertificateDer<'static>>,
}

impl Clone for Material {
    fn clone(&self) -> Self {
        Material {
            profile: self.profile,
            device_id: self.device_id.clone(),
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            anchors: self.anchors.clone(),
            pin: self.pin.clone(),
            withheld: self.withheld.clone(),
        }
    }
}

// Written by hand so that the key is never printed.
impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Material")
            .field("profile", &self.profile.name)
            .field("device_id", &self.device_id)
            .field("chain", &self.chain.len())
            .field("anchors", &self.anchors.len())
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

/// File names inside a profile directory written by [`Material::write_to`].
pub mod file {
    /// The served chain, leaf first.
    pub const CHAIN: &str = "chain.pem";
    /// The leaf alone.
    pub const LEAF: &str = "leaf.pem";
    /// The served certificates after the leaf (for `openssl verify -untrusted`); absent when none.
    pub const INTERMEDIATES: &str = "intermediates.pem";
    /// The private key (PKCS#8), mode 0600.
    pub const KEY: &str = "key.pem";
    /// What the administrator trusts.
    pub const ANCHORS: &str = "anchors.pem";
    /// The recorded pin, one line.
    pub const PIN: &str = "pin.txt";
    /// Certificates made but not served; absent when none.
    pub const WITHHELD: &str = "withheld.pem";
}

impl Material {
    /// The leaf certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    /// What the client checks the certificate against: the device id, or `192.168.4.1`.
    pub fn identity(&self) -> String {
        match self.profile.identity {
            ProfileIdentity::DeviceId => self.device_id.clone(),
            ProfileIdentity::Ip(ip) => ip.to_string(),
        }
    }

    /// The pin of the key actually served (differs from [`Material::pin`] for `key-rotated`).
    pub fn served_pin(&self) -> String {
        // The leaf was made by this crate and parsed when the pin was computed, so this holds.
        pem::certificate_pin(self.leaf()).unwrap_or_default()
    }

    /// SHA-256 of the leaf DER, lowercase hex.
    pub fn fingerprint(&self) -> String {
        pem::fingerprint(self.leaf())
    }

    /// The served chain as PEM, leaf first.
    pub fn chain_pem(&self) -> String {
        pem::certificates(&self.chain)
    }

    /// The private key as PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        let label = match &self.key {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        pem::encode(label, self.key.secret_der())
    }

    /// The anchors as PEM.
    pub fn anchors_pem(&self) -> String {
        pem::certificates(&self.anchors)
    }

    /// Writes the profile's files into `dir` (created if needed), replacing files of the same names;
    /// the key is written 0600. Returns the paths written. See [`file`](mod@file) for the names.
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        let mut outputs = vec![
            Output::public(dir.join(file::CHAIN), self.chain_pem()),
            Output::public(dir.join(file::LEAF), pem::certificates(&self.chain[..1])),
            Output::secret(dir.join(file::KEY), self.key_pem()),
            Output::public(dir.join(file::ANCHORS), self.anchors_pem()),
            Output::public(dir.join(file::PIN), format!("{}\n", self.pin)),
        ];
        if self.chain.len() > 1 {
            outputs.push(Output::public(
                dir.join(file::INTERMEDIATES),
                pem::certificates(&self.chain[1..]),
            ));
        }
        if !self.withheld.is_empty() {
            outputs.push(Output::public(
                dir.join(file::WITHHELD),
                pem::certificates(&self.withheld),
            ));
        }
        files::write_all(dir, &outputs, true)?;
        // A directory reused for another profile must not keep a previous profile's extras, which
        // `openssl verify -untrusted` would pick up.
        for stale in [file::INTERMEDIATES, file::WITHHELD] {
            let path = dir.join(stale);
            if !outputs.iter().any(|o| o.path == path) && path.exists() {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(outputs.into_iter().map(|o| o.path).collect())
    }
}

impl Material {
    /// What was written into `dir` (`files`, as [`Material::write_to`] returned them), with what a
    /// verifying client must conclude: what `accessory certs generate` prints.
    pub fn written<'a>(&'a self, dir: &'a Path, files: Vec<PathBuf>) -> Written<'a> {
        Written {
            profile: self.profile.name,
            summary: self.profile.summary,
            identity: self.identity(),
            pin: &self.pin,
            fingerprint: self.fingerprint(),
            expect: self.profile.expect,
            dir,
            files,
        }
    }
}

/// A profile's material as written: see [`Material::written`].
#[derive(Debug, Serialize)]
pub struct Written<'a> {
    /// The profile's name.
    pub profile: &'a str,
    /// What it is, in one line.
    pub summary: &'a str,
    /// The identity the leaf names.
    pub identity: String,
    /// The leaf key's pin.
    pub pin: &'a str,
    /// The leaf's SHA-256 fingerprint.
    pub fingerprint: String,
    /// The verdict expected under each trust mode.
    pub expect: crate::Expectations,
    /// The directory written into.
    pub dir: &'a Path,
    /// The files written.
    pub files: Vec<PathBuf>,
}

impl std::fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}: {}", self.profile, self.summary)?;
        writeln!(f, "  identity  {}", self.identity)?;
        writeln!(f, "  pin       {}", self.pin)?;
        writeln!(
            f,
            "  expect    pin: {}, anchors: {}, both: {}",
            self.expect.pin, self.expect.anchors, self.expect.both
        )?;
        for file in &self.files {
            writeln!(f, "  wrote     {}", file.display())?;
        }
        Ok(())
    }
}
