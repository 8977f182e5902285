//! Minting: one device certificate and key from a manufacturer CA, as a manufacturing line does for
//! each unit. The leaf is the `good-chain` profile's leaf: subject serialNumber = the device
//! id, CN and DNS SAN `<id>.accessory.local`, IP SAN 192.168.4.1, ECDSA P-256, serverAuth.

use std::path::{Path, PathBuf};

use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::ca::{ecdsa_key, ManufacturerCa};
use crate::files::{self, Output};
use crate::label::file as label_file;
use crate::template::{self, Validity};
use crate::{device_id, file, pem, Error};
use protocol::label::Label;

/// The longest validity minted: Apple's platforms refuse TLS server certificates valid longer.
pub const MAX_DAYS: u32 = 825;
/// The default validity.
pub const DEFAULT_DAYS: u32 = 365;

/// What to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MintOptions {
    /// The unit's device id.
    pub device_id: String,
    /// Days of validity, from yesterday (1..=[`MAX_DAYS`]).
    pub days: u32,
    /// The SSID of the unit's SoftAP, for its label [default: `protocol::softap::default_ssid`].
    pub ssid: Option<String>,
}

impl MintOptions {
    /// A certificate for `device_id`, valid [`DEFAULT_DAYS`].
    pub fn new(device_id: impl Into<String>) -> Self {
        MintOptions {
            device_id: device_id.into(),
            days: DEFAULT_DAYS,
            ssid: None,
        }
    }

    /// With the SoftAP SSID the label names.
    pub fn ssid(mut self, ssid: impl Into<String>) -> Self {
        self.ssid = Some(ssid.into());
        self
    }

    /// With `days` of validity.
    pub fn days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }
}

/// A minted device certificate and its key.
#[non_exhaustive]
pub struct Minted {
    /// The device id.
    pub device_id: String,
    /// Leaf and issuing intermediate, as the device serves them.
    pub chain: Vec<CertificateDer<'static>>,
    /// The device's private key (PKCS#8).
    pub key: PrivateKeyDer<'static>,
    /// The leaf's SPKI pin, `sha256/BASE64`.
    pub pin: String,
    /// SHA-256 of the leaf, hex (for the label or QR code).
    pub fingerprint: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// The unit's label: device id, SoftAP SSID, the key's SHA-256, a fresh PoP code.
    pub label: Label,
    /// The PoP code alone (also in `label`), wiped when dropped.
    pub pop: Zeroizing<String>,
}

// Written by hand so that the key is never printed.
impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("device_id", &self.device_id)
            .field("pin", &self.pin)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// What [`Minted::write_to`] wrote, for people and `--json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MintSummary {
    /// The device id.
    pub device_id: String,
    /// The leaf's SPKI pin.
    pub pin: String,
    /// SHA-256 of the leaf, hex.
    pub fingerprint: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Leaf and intermediate, PEM.
    pub chain: PathBuf,
    /// The leaf alone, PEM.
    pub leaf: PathBuf,
    /// The private key, PEM, mode 0600.
    pub key: PathBuf,
    /// The SoftAP SSID on the label.
    pub ssid: String,
    /// The label's payload, mode 0600 (it carries the PoP code).
    pub label: PathBuf,
    /// The label's QR code and text, SVG, mode 0600.
    pub label_svg: PathBuf,
    /// The label's QR code, PNG, mode 0600.
    pub label_png: PathBuf,
    /// The PoP code alone, mode 0600 (`provision --pop-file`).
    pub pop: PathBuf,
}

/// Mints a device certificate signed by `ca`'s issuing intermediate.
pub fn mint(ca: &ManufacturerCa, options: &MintOptions) -> Result<Minted, Error> {
    device_id::validate(&options.device_id)?;
    if options.days == 0 || options.days > MAX_DAYS {
        return Err(Error::InvalidValidity {
            days: options.days,
            reason: "device certificates are valid 1 to 825 days (Apple refuses longer)",
        });
    }
    let validity = Validity::days_from_yesterday(i64::from(options.days));
    let params = template::device_leaf(&options.device_id, validity)?;
    let key = ecdsa_key()?;
    let leaf = params
        .signed_by(&key, &ca.issuer()?)
        .map_err(|e| Error::generate("the device certificate", e))?;
    let ssid = options
        .ssid
        .clone()
        .unwrap_or_else(|| protocol::softap::default_ssid(&options.device_id));
    protocol::validate_ssid(&ssid).map_err(|e| Error::InvalidLabel {
        reason: format!("SSID {ssid:?}: {e}"),
    })?;
    let pop = protocol::pop::generate_code(&mut rand_core::OsRng);
    let label = Label {
        device_id: options.device_id.clone(),
        ssid,
        key_sha256: Sha256::digest(pem::spki_of(leaf.der())?).into(),
        pop: pop.to_string(),
    };
    let date = |t: time::OffsetDateTime| {
        t.format(&Rfc3339)
            .map_err(|e| Error::generate("a validity date", e))
    };
    Ok(Minted {
        device_id: options.device_id.clone(),
        pin: pem::certificate_pin(leaf.der())?,
        fingerprint: pem::fingerprint(leaf.der()),
        chain: vec![leaf.der().clone(), ca.intermediate().clone()],
        key: key.into(),
        not_before: date(validity.not_before)?,
        not_after: date(validity.not_after)?,
        label,
        pop,
    })
}

impl Minted {
    /// Writes `chain.pem`, `leaf.pem`, `key.pem` (0600) and the label (`label.txt`, `label.svg`,
    /// `label.png`, `pop.txt`, all 0600: they carry the PoP code) into `dir`. Refuses to overwrite
    /// any of them unless `force`.
    pub fn write_to(&self, dir: &Path, force: bool) -> Result<MintSummary, Error> {
        let chain = dir.join(file::CHAIN);
        let leaf = dir.join(file::LEAF);
        let key = dir.join(file::KEY);
        let label = dir.join(label_file::TEXT);
        let label_svg = dir.join(label_file::SVG);
        let label_png = dir.join(label_file::PNG);
        let pop = dir.join(label_file::POP);
        files::write_all(
            dir,
            &[
                Output::public(chain.clone(), pem::certificates(&self.chain)),
                Output::public(leaf.clone(), pem::certificates(&self.chain[..1])),
                Output::secret(
                    key.clone(),
                    pem::encode("PRIVATE KEY", self.key.secret_der()),
                ),
                Output::secret(label.clone(), self.label.payload() + "\n"),
                Output::secret(label_svg.clone(), crate::label::svg(&self.label)?),
                Output::secret(label_png.clone(), crate::label::png(&self.label)?),
                Output::secret(pop.clone(), format!("{}\n", *self.pop)),
            ],
            force,
        )?;
        Ok(MintSummary {
            device_id: self.device_id.clone(),
            pin: self.pin.clone(),
            fingerprint: self.fingerprint.clone(),
            not_before: self.not_before.clone(),
            not_after: self.not_after.clone(),
            chain,
            leaf,
            key,
            ssid: self.label.ssid.clone(),
            label,
            label_svg,
            label_png,
            pop,
        })
    }
}

/// What `accessory certs mint` prints for people.
impl std::fmt::Display for MintSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "minted {} (valid until {})",
            self.device_id, self.not_after
        )?;
        writeln!(f, "  chain        {}", self.chain.display())?;
        writeln!(f, "  key          {}", self.key.display())?;
        writeln!(
            f,
            "  label        {} (QR: {}, {})",
            self.label.display(),
            self.label_png.display(),
            self.label_svg.display()
        )?;
        writeln!(f, "  pop          {}", self.pop.display())?;
        writeln!(f, "  ssid         {}", self.ssid)?;
        writeln!(f, "  pin          {}", self.pin)?;
        writeln!(f, "  fingerprint  {}", self.fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_ORGANIZATION;

    #[test]
    fn a_ca_written_and_loaded_back_mints_leaves_that_chain_to_its_root() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION).unwrap();
        ca.write_to(dir.path(), false).unwrap();
        let loaded = ManufacturerCa::load(dir.path()).unwrap();
        assert_eq!(loaded.root(), ca.root());
        assert_eq!(loaded.organization(), DEFAULT_ORGANIZATION);
        let minted = mint(&loaded, &MintOptions::new("PLUG-0007")).unwrap();
        let (_, leaf) = x509_parser::parse_x509_certificate(&minted.chain[0]).unwrap();
        let (_, inter) = x509_parser::parse_x509_certificate(ca.intermediate()).unwrap();
        assert_eq!(leaf.issuer(), inter.subject());
        leaf.verify_signature(Some(inter.public_key())).unwrap();
        assert!(leaf.subject().to_string().contains("PLUG-0007"));
    }

    #[test]
    fn mint_refuses_validity_over_825_days_and_existing_files_without_force() {
        let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION).unwrap();
        let err = mint(&ca, &MintOptions::new("X-1").days(826)).unwrap_err();
        assert_eq!(err.code(), "certs.invalid_validity");
        let dir = tempfile::tempdir().unwrap();
        let minted = mint(&ca, &MintOptions::new("X-1")).unwrap();
        minted.write_to(dir.path(), false).unwrap();
        let err = minted.write_to(dir.path(), false).unwrap_err();
        assert_eq!(err.code(), "certs.exists");
        minted.write_to(dir.path(), true).unwrap();
    }

    #[test]
    fn mint_writes_a_label_naming_the_unit_its_ssid_its_key_and_a_fresh_pop_code() {
        let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION).unwrap();
        let minted = mint(&ca, &MintOptions::new("PLUG-0042")).unwrap();
        let other = mint(&ca, &MintOptions::new("PLUG-0042").ssid("Acme-42")).unwrap();
        assert_eq!(minted.label.ssid, "Accessory-0042");
        assert_eq!(other.label.ssid, "Acme-42");
        assert_ne!(*minted.pop, *other.pop);
        assert_eq!(minted.label.key_pin(), minted.pin);
        let dir = tempfile::tempdir().unwrap();
        let summary = minted.write_to(dir.path(), false).unwrap();
        let text = std::fs::read_to_string(&summary.label).unwrap();
        assert_eq!(Label::parse(&text).unwrap(), minted.label);
        let pop = std::fs::read_to_string(&summary.pop).unwrap();
        assert_eq!(pop.trim(), minted.pop.as_str());
        #[cfg(unix)]
        for path in [
            &summary.label,
            &summary.label_svg,
            &summary.label_png,
            &summary.pop,
        ] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        let err = mint(&ca, &MintOptions::new("X-1").ssid("")).unwrap_err();
        assert_eq!(err.code(), "certs.invalid_label");
    }

    #[test]
    fn loading_a_ca_whose_key_is_not_its_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        ManufacturerCa::generate(DEFAULT_ORGANIZATION)
            .unwrap()
            .write_to(dir.path(), false)
            .unwrap();
        let other = tempfile::tempdir().unwrap();
        ManufacturerCa::generate(DEFAULT_ORGANIZATION)
            .unwrap()
            .write_to(other.path(), false)
            .unwrap();
        std::fs::copy(
            other.path().join(crate::INTERMEDIATE_KEY),
            dir.path().join(crate::INTERMEDIATE_KEY),
        )
        .unwrap();
        let err = ManufacturerCa::load(dir.path()).unwrap_err();
        assert_eq!(err.code(), "certs.bad_ca");
        assert!(err.to_string().contains("does not belong"), "{err}");
    }
}
