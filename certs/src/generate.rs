//! How each profile is made. Every faulty profile starts from the good device leaf of
//! `template.rs` and changes one thing, so that a test of a profile tests exactly that fault.

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PublicKeyData as _, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::ca::{ecdsa_key, ManufacturerCa, DEFAULT_ORGANIZATION};
use crate::rsa_legacy::{self, RsaKey};
use crate::template::{self, Validity};
use crate::{device_id, pem, profile_named, CertProfile, Error, Material};

/// A private extension OID under 32473, the enterprise number RFC 5612 reserves for documentation:
/// no client anywhere understands it.
const UNKNOWN_EXTENSION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 32473, 1];

/// What every generated profile needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The device id the leaf names (subject serialNumber; CN and DNS SAN `<id>.accessory.local`).
    pub device_id: String,
}

impl Options {
    /// Options for `device_id`.
    pub fn new(device_id: impl Into<String>) -> Self {
        Options {
            device_id: device_id.into(),
        }
    }
}

impl Default for Options {
    /// Device id `ACC-0001`.
    fn default() -> Self {
        Options::new("ACC-0001")
    }
}

/// Makes the certificates of the profile `profile` under a fresh manufacturer CA.
pub fn generate(profile: &str, options: &Options) -> Result<Material, Error> {
    let profile = profile_named(profile)?;
    device_id::validate(&options.device_id)?;
    let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION)?;
    generate_with_ca(profile.name, options, &ca)
}

/// Makes the certificates of the profile `profile` under `ca`, so that many devices (a fleet, a
/// catalogue) share one manufacturer root. The `sha1` profile needs the CA's root key.
pub fn generate_with_ca(
    profile: &str,
    options: &Options,
    ca: &ManufacturerCa,
) -> Result<Material, Error> {
    let profile = profile_named(profile)?;
    let id = options.device_id.as_str();
    device_id::validate(id)?;
    let maker = Maker { profile, id, ca };
    match profile.name {
        "good-chain" => maker.chained(good(id)?),
        "good-self-signed" => maker.self_signed(good(id)?, ecdsa_key()?, true),
        "self-signed-ca" => {
            // `openssl req -x509` with the default v3_ca section: CA:TRUE (critical), subject and
            // authority key identifiers, no key usage, no EKU; an RSA-2048 key.
            let mut p = good(id)?;
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages.clear();
            p.extended_key_usages.clear();
            let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .map_err(|e| Error::generate("an RSA-2048 key", e))?;
            maker.self_signed(p, key, true)
        }
        "expired" => maker.chained(template::device_leaf(id, Validity::relative(-395, -30))?),
        "not-yet-valid" => maker.chained(template::device_leaf(id, Validity::relative(30, 395))?),
        "wrong-name" => maker.chained(good(&device_id::another(id))?),
        "cn-only" => {
            let mut p = good(id)?;
            p.subject_alt_names.clear();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, id);
            p.distinguished_name = dn;
            maker.chained(p)
        }
        "ip-not-in-san" => {
            let mut p = good(id)?;
            p.subject_alt_names
                .retain(|san| matches!(san, SanType::DnsName(_)));
            maker.chained(p)
        }
        "untrusted-root" => {
            let other = ManufacturerCa::generate("Other Manufacturer")?;
            let key = ecdsa_key()?;
            let leaf = sign(&good(id)?, &key, &other)?;
            maker.finish(
                vec![leaf.der().clone(), other.intermediate().clone()],
                key.into(),
                vec![ca.root().clone()],
            )
        }
        "self-signed-unknown" => maker.self_signed(good(id)?, ecdsa_key()?, false),
        "ca-as-leaf" => {
            let mut p = good(id)?;
            p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            p.key_usages.push(KeyUsagePurpose::KeyCertSign);
            maker.chained(p)
        }
        "client-auth-eku" => {
            let mut p = good(id)?;
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            maker.chained(p)
        }
        "long-validity" => maker.chained(template::device_leaf(
            id,
            Validity::days_from_yesterday(10 * 365),
        )?),
        "rsa-1024" => {
            let mut p = good(id)?;
            p.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            let key = RsaKey::generate(1024)?;
            let public = rcgen::SubjectPublicKeyInfo::from_der(&key.spki)
                .map_err(|e| Error::generate("the RSA-1024 public key", e))?;
            let leaf = p
                .signed_by(&public, &ca.issuer()?)
                .map_err(|e| Error::generate("the device certificate", e))?;
            maker.finish(
                vec![leaf.der().clone(), ca.intermediate().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.pkcs8)),
                vec![ca.root().clone()],
            )
        }
        "sha1" => {
            // A legacy RSA issuing CA under the manufacturer root (SHA-256 itself), whose leaf is
            // signed with SHA-1: the anchor is the usual root, only the leaf's signature is weak.
            let org = ca.organization();
            let rsa_ca_key =
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                    .map_err(|e| Error::generate("an RSA-2048 key", e))?;
            let rsa_ca_params = template::intermediate(org, &format!("{org} Legacy RSA CA"));
            let rsa_ca = rsa_ca_params
                .signed_by(&rsa_ca_key, &ca.root_issuer("the sha1 profile")?)
                .map_err(|e| Error::generate("the legacy RSA CA", e))?;
            let key = ecdsa_key()?;
            let issuer = rcgen::Issuer::from_ca_cert_der(rsa_ca.der(), &rsa_ca_key)
                .map_err(|e| Error::generate("the legacy RSA CA", e))?;
            let sha256_leaf = good(id)?
                .signed_by(&key, &issuer)
                .map_err(|e| Error::generate("the device certificate", e))?;
            let rsa = RsaKey::from_pkcs8(&rsa_ca_key.serialize_der())?;
            let leaf = rsa_legacy::resign_with_sha1(sha256_leaf.der(), &rsa.key)?;
            maker.finish(
                vec![leaf, rsa_ca.der().clone()],
                key.into(),
                vec![ca.root().clone()],
            )
        }
        "incomplete-chain" => {
            let mut m = maker.chained(good(id)?)?;
            m.withheld = m.chain.split_off(1);
            Ok(m)
        }
        "unknown-critical-extension" => {
            let mut p = good(id)?;
            // Content: UTF8String "accessory-test".
            let mut content = vec![0x0c, 14];
            content.extend_from_slice(b"accessory-test");
            let mut ext = CustomExtension::from_oid_content(UNKNOWN_EXTENSION_OID, content);
            ext.set_criticality(true);
            p.custom_extensions.push(ext);
            maker.chained(p)
        }
        "key-rotated" => {
            let old_key = ecdsa_key()?;
            let old_pin = pem::spki_pin(&old_key.subject_public_key_info());
            let mut m = maker.chained(good(id)?)?;
            m.pin = old_pin;
            Ok(m)
        }
        other => Err(Error::generate(
            "a certificate profile",
            format!("profile `{other}` has no recipe (a bug)"),
        )),
    }
}

fn good(id: &str) -> Result<CertificateParams, Error> {
    template::device_leaf(id, Validity::device())
}

fn sign(
    params: &CertificateParams,
    key: &KeyPair,
    ca: &ManufacturerCa,
) -> Result<Certificate, Error> {
    params
        .signed_by(key, &ca.issuer()?)
        .map_err(|e| Error::generate("the device certificate", e))
}

struct Maker<'a> {
    profile: &'static CertProfile,
    id: &'a str,
    ca: &'a ManufacturerCa,
}

impl Maker<'_> {
    /// A leaf with a fresh ECDSA key, issued by the manufacturer intermediate, served with it.
    fn chained(&self, params: CertificateParams) -> Result<Material, Error> {
        let key = ecdsa_key()?;
        let leaf = sign(&params, &key, self.ca)?;
        self.finish(
            vec![leaf.der().clone(), self.ca.intermediate().clone()],
            key.into(),
            vec![self.ca.root().clone()],
        )
    }

    /// A self-signed leaf; the administrator trusts it directly when `trusted`, or else the
    /// manufacturer root.
    fn self_signed(
        &self,
        mut params: CertificateParams,
        key: KeyPair,
        trusted: bool,
    ) -> Result<Material, Error> {
        // A self-signed certificate names itself as its authority, as openssl does.
        params.use_authority_key_identifier_extension = true;
        let leaf = params
            .self_signed(&key)
            .map_err(|e| Error::generate("the self-signed certificate", e))?;
        let anchors = if trusted {
            vec![leaf.der().clone()]
        } else {
            vec![self.ca.root().clone()]
        };
        self.finish(vec![leaf.der().clone()], key.into(), anchors)
    }

    fn finish(
        &self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        anchors: Vec<CertificateDer<'static>>,
    ) -> Result<Material, Error> {
        let pin = pem::certificate_pin(&chain[0])?;
        Ok(Material {
            profile: self.profile,
            device_id: self.id.to_owned(),
            chain,
            key,
            anchors,
            pin,
            withheld: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{profiles, serving};

    #[test]
    fn every_profile_generates_a_parsable_chain_whose_key_belongs_to_its_leaf() {
        let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION).unwrap();
        for profile in profiles() {
            let m = generate_with_ca(profile.name, &Options::new("SIM-0001"), &ca)
                .unwrap_or_else(|e| panic!("{}: {e}", profile.name));
            for cert in m.chain.iter().chain(&m.anchors).chain(&m.withheld) {
                x509_parser::parse_x509_certificate(cert)
                    .unwrap_or_else(|e| panic!("{}: {e}", profile.name));
            }
            serving::certified_key(&m).unwrap_or_else(|e| panic!("{}: {e}", profile.name));
            assert!(m.pin.starts_with("sha256/"), "{}", profile.name);
            if profile.name == "key-rotated" {
                assert_ne!(m.pin, m.served_pin());
            } else {
                assert_eq!(m.pin, m.served_pin(), "{}", profile.name);
            }
        }
    }

    /// What rustls-webpki (the path validator `trust` builds on) says about a profile in anchors
    /// mode, reduced to the `trust` code it should become.
    fn webpki_verdict(m: &Material) -> Result<(), String> {
        use rustls::client::danger::ServerCertVerifier as _;
        use rustls::{CertificateError, Error as E};
        let mut roots = rustls::RootCertStore::empty();
        for anchor in &m.anchors {
            roots
                .add(anchor.clone())
                .map_err(|e| format!("anchor: {e}"))?;
        }
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            std::sync::Arc::new(roots),
            std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        )
        .build()
        .unwrap();
        let name = match m.profile.identity {
            crate::ProfileIdentity::DeviceId => {
                rustls_pki_types::ServerName::try_from(device_id::dns_name(&m.device_id)).unwrap()
            }
            crate::ProfileIdentity::Ip(ip) => rustls_pki_types::ServerName::from(ip),
        };
        let now = rustls_pki_types::UnixTime::now();
        match verifier.verify_server_cert(&m.chain[0], &m.chain[1..], &name, &[], now) {
            Ok(_) => Ok(()),
            Err(E::InvalidCertificate(e)) => Err(match e {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "cert.expired".into()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "cert.not_yet_valid".into()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => "cert.wrong_name".into(),
                CertificateError::UnknownIssuer => "cert.unknown_issuer".into(),
                CertificateError::InvalidPurpose
                | CertificateError::InvalidPurposeContext { .. } => "cert.invalid_purpose".into(),
                CertificateError::UnsupportedSignatureAlgorithmContext { .. } => {
                    "cert.weak_signature".into()
                }
                other => {
                    let text = format!("{other:?}");
                    if text.contains("CaUsedAsEndEntity") {
                        "cert.ca_used_as_end_entity".into()
                    } else if text.contains("UnsupportedCriticalExtension") {
                        "cert.unsupported_critical_extension".into()
                    } else {
                        text
                    }
                }
            }),
            Err(other) => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn webpki_refuses_each_chained_fault_for_the_reason_its_profile_names() {
        let ca = ManufacturerCa::generate(DEFAULT_ORGANIZATION).unwrap();
        // Judged elsewhere: self-signed anchors and CN-only names are `trust`'s own rules, the
        // weak key fails at the handshake signature, not in path validation.
        let elsewhere = ["good-self-signed", "self-signed-ca", "cn-only", "rsa-1024"];
        for profile in profiles().iter().filter(|p| !elsewhere.contains(&p.name)) {
            let m = generate_with_ca(profile.name, &Options::new("SIM-0001"), &ca).unwrap();
            let expected = profile.expect.anchors.code().map(str::to_owned);
            assert_eq!(webpki_verdict(&m).err(), expected, "{}", profile.name);
        }
    }

    #[test]
    fn generate_refuses_an_unknown_profile_and_a_bad_device_id() {
        assert_eq!(
            generate("nope", &Options::default()).unwrap_err().code(),
            "certs.unknown_profile"
        );
        assert_eq!(
            generate("good-chain", &Options::new("a b"))
                .unwrap_err()
                .code(),
            "certs.invalid_device_id"
        );
    }
}
