//! `Identity`: what the certificate must name.
//!
//! An accessory's SoftAP address is the same on every unit (typically `192.168.4.1`), so an IP
//! identity says little; the device id printed on the label is what tells one unit from another.
//! DNS names and IP addresses are matched by webpki (RFC 6125 rules, iPAddress SANs only, never
//! the CN); a device id is matched here, against the places manufacturers put it, in exactly
//! three forms: the subject CN, the subject serialNumber, or the DNS SAN `<id>.accessory.local`
//! ([`ACCESSORY_DOMAIN`]). A DNS SAN in any other domain (`sim-0001.evil.example`) or a bare label
//! (`sim-0001`) does not name a device id: whoever controls `evil.example` can get such a name.
//!
//! Two device ids are the same device when they are equal ignoring ASCII case
//! ([`same_device_id`]): a device id is also a DNS label, and DNS names are case-insensitive, so a
//! certificate naming `SIM-0001.accessory.local` names `sim-0001` too. The certificate check, the
//! check of the id an accessory reports in `GET /v1/device` and the ledger all use this one rule.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rustls_pki_types::{CertificateDer, ServerName};
use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_SERIALNUMBER};

use crate::diagnosis::codes;
use crate::error::{Error, Refusal};

/// The accessory domain: a device id `ID` is named by the DNS SAN `ID.accessory.local` (what
/// `accessory certs mint` and the simulator write). `.local` is reserved for link-local names
/// (RFC 6762), so no public CA issues names under it.
pub const ACCESSORY_DOMAIN: &str = "accessory.local";

/// Whether `a` and `b` are the same device id: equal ignoring ASCII case, and not empty. The one
/// comparison of device ids, used for the certificate, for the id an accessory reports and for
/// `--device-id`.
pub fn same_device_id(a: &str, b: &str) -> bool {
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// What a certificate says about a device id; see [`check_device_id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceIdCheck {
    /// The certificate names this device id.
    Named,
    /// The certificate names other device ids (listed as written), not this one.
    NamesOthers(Vec<String>),
    /// The certificate names no device id at all: no subject CN, no subject serialNumber, no DNS
    /// SAN in the [`ACCESSORY_DOMAIN`] (or it cannot be parsed).
    NamesNone,
}

/// Whether the certificate `cert` names the device id `id`, by the rule [`Identity::DeviceId`]
/// uses. For an application that learns a device id after the handshake (an accessory reporting
/// its id) and must check it against the certificate the verifier accepted before trusting it.
pub fn check_device_id(cert: &CertificateDer<'_>, id: &str) -> DeviceIdCheck {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(cert.as_ref()) else {
        return DeviceIdCheck::NamesNone;
    };
    let named = device_ids_named(&cert);
    if named.iter().any(|n| same_device_id(n, id)) {
        DeviceIdCheck::Named
    } else if named.is_empty() {
        DeviceIdCheck::NamesNone
    } else {
        DeviceIdCheck::NamesOthers(named)
    }
}

/// Every device id a certificate names: subject serialNumbers, subject CNs, and the first label
/// of each DNS SAN `<label>.accessory.local`.
fn device_ids_named(cert: &X509Certificate<'_>) -> Vec<String> {
    let subject = cert.subject();
    let mut ids: Vec<String> = subject
        .iter_by_oid(&OID_X509_SERIALNUMBER)
        .chain(subject.iter_by_oid(&OID_X509_COMMON_NAME))
        .filter_map(|attr| attr.as_str().ok())
        .map(str::to_owned)
        .collect();
    ids.extend(
        dns_sans(cert)
            .into_iter()
            .filter_map(device_id_of_dns_name)
            .map(str::to_owned),
    );
    ids
}

/// `ID` for `ID.accessory.local` (the domain in any case), else `None`.
fn device_id_of_dns_name(name: &str) -> Option<&str> {
    let (label, domain) = name.split_once('.')?;
    (!label.is_empty() && domain.eq_ignore_ascii_case(ACCESSORY_DOMAIN)).then_some(label)
}

/// What the peer's certificate must name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identity {
    /// A device id: matched against the subject serialNumber, the subject CN, or a DNS SAN
    /// `<id>.accessory.local` ([`ACCESSORY_DOMAIN`]), by [`same_device_id`] (ASCII
    /// case-insensitively). No other DNS name names a device id.
    DeviceId(String),
    /// A DNS name, matched against DNS SANs (wildcards per RFC 6125) by webpki.
    Dns(String),
    /// An IP address, matched against iPAddress SANs only (not a CN or a DNS SAN spelling it).
    Ip(IpAddr),
}

impl Identity {
    /// The identity a command line asked for, from its mutually exclusive `--device-id`, `--dns` and
    /// `--ip` (in that order, should more than one be given), or none.
    pub fn chosen(
        device_id: Option<String>,
        dns: Option<String>,
        ip: Option<IpAddr>,
    ) -> Option<Self> {
        device_id
            .map(Self::DeviceId)
            .or(dns.map(Self::Dns))
            .or(ip.map(Self::Ip))
    }

    /// The identity rustls was asked to connect to, for policies that name none of their own.
    pub fn from_server_name(name: &ServerName<'_>) -> Option<Self> {
        match name {
            ServerName::DnsName(d) => Some(Self::Dns(d.as_ref().to_owned())),
            ServerName::IpAddress(ip) => Some(Self::Ip(IpAddr::from(*ip))),
            _ => None,
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DeviceId(id) => write!(f, "device id {id}"),
            Self::Dns(name) => write!(f, "DNS name {name}"),
            Self::Ip(ip) => write!(f, "IP address {ip}"),
        }
    }
}

/// Parses `device-id:X`, `dns:X`, `ip:X`, or a bare IP address or DNS name.
impl FromStr for Identity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(id) = s.strip_prefix("device-id:") {
            return Ok(Self::DeviceId(id.to_owned()));
        }
        if let Some(name) = s.strip_prefix("dns:") {
            return Ok(Self::Dns(name.to_owned()));
        }
        let ip_text = s.strip_prefix("ip:").unwrap_or(s);
        if let Ok(ip) = ip_text.parse() {
            return Ok(Self::Ip(ip));
        }
        Ok(Self::Dns(s.to_owned()))
    }
}

/// Checks `identity` against a parsed certificate. `webpki_cert` is the same certificate as webpki
/// sees it (`None` when webpki cannot parse it, e.g. for an unknown critical extension, which then
/// refuses DNS and IP identities with webpki's reason).
pub(crate) fn check(
    identity: &Identity,
    cert: &X509Certificate<'_>,
    webpki_cert: Result<&webpki::EndEntityCert<'_>, &Refusal>,
) -> Result<(), Refusal> {
    let wrong = || {
        Refusal::new(
            codes::WRONG_NAME,
            format!(
                "the certificate names {} but the expected identity is {identity}",
                names(cert)
            ),
        )
    };
    match identity {
        Identity::DeviceId(id) => {
            if device_id_matches(id, cert) {
                Ok(())
            } else {
                Err(wrong())
            }
        }
        Identity::Dns(name) => {
            let server_name = ServerName::try_from(name.as_str()).map_err(|_| {
                Refusal::new(
                    codes::WRONG_NAME,
                    format!("{name:?} is not a valid DNS name to check a certificate against"),
                )
            })?;
            by_webpki(&server_name, webpki_cert, wrong)
        }
        Identity::Ip(ip) => by_webpki(&ServerName::IpAddress((*ip).into()), webpki_cert, wrong),
    }
}

fn by_webpki(
    name: &ServerName<'_>,
    webpki_cert: Result<&webpki::EndEntityCert<'_>, &Refusal>,
    wrong: impl Fn() -> Refusal,
) -> Result<(), Refusal> {
    let cert = webpki_cert.map_err(Clone::clone)?;
    match cert.verify_is_valid_for_subject_name(name) {
        Ok(()) => Ok(()),
        Err(webpki::Error::CertNotValidForName(_)) | Err(webpki::Error::UnsupportedNameType) => {
            Err(wrong())
        }
        Err(e) => Err(crate::diagnosis::refusal_from_webpki(&e)),
    }
}

fn device_id_matches(id: &str, cert: &X509Certificate<'_>) -> bool {
    device_ids_named(cert)
        .iter()
        .any(|named| same_device_id(named, id))
}

fn dns_sans<'a>(cert: &'a X509Certificate<'_>) -> Vec<&'a str> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(*d),
            _ => None,
        })
        .collect()
}

/// Every name a person would look for, for messages: `CN=…, serialNumber=…, DNS:…, IP:…`.
pub(crate) fn names(cert: &X509Certificate<'_>) -> String {
    let mut out = Vec::new();
    let subject = cert.subject();
    for cn in subject.iter_common_name().filter_map(|a| a.as_str().ok()) {
        out.push(format!("CN={cn}"));
    }
    for sn in subject
        .iter_by_oid(&OID_X509_SERIALNUMBER)
        .filter_map(|a| a.as_str().ok())
    {
        out.push(format!("serialNumber={sn}"));
    }
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => out.push(format!("DNS:{d}")),
                GeneralName::IPAddress(b) => out.push(format!("IP:{}", ip_text(b))),
                _ => {}
            }
        }
    }
    if out.is_empty() {
        "nothing".to_owned()
    } else {
        out.join(", ")
    }
}

/// An iPAddress SAN's bytes as text.
pub(crate) fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default()).to_string(),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()).to_string(),
        _ => hex::encode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: Option<&str>, serial: Option<&str>, dns: &[&str]) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p =
            rcgen::CertificateParams::new(dns.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        }
        if let Some(sn) = serial {
            p.distinguished_name.push(
                rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]),
                rcgen::DnValue::PrintableString(sn.try_into().unwrap()),
            );
        }
        p.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn device_ids_are_the_same_ignoring_ascii_case_and_never_when_empty() {
        assert!(same_device_id("SIM-0001", "sim-0001"));
        assert!(same_device_id("sim-0001", "SIM-0001"));
        assert!(!same_device_id("SIM-0001", "SIM-0002"));
        assert!(!same_device_id("SIM-0001", "SIM-00010"));
        assert!(!same_device_id("", ""));
        // ASCII only: a Kelvin sign is not a K.
        assert!(!same_device_id("K-1", "\u{212A}-1"));
    }

    #[test]
    fn a_device_id_is_named_by_cn_serial_number_or_a_name_in_the_accessory_domain() {
        let by_cn = cert(Some("SIM-0001"), None, &[]);
        assert_eq!(check_device_id(&by_cn, "sim-0001"), DeviceIdCheck::Named);
        let by_serial = cert(None, Some("SIM-0001"), &[]);
        assert_eq!(
            check_device_id(&by_serial, "SIM-0001"),
            DeviceIdCheck::Named
        );
        let by_dns = cert(None, None, &["sim-0001.accessory.local"]);
        assert_eq!(check_device_id(&by_dns, "SIM-0001"), DeviceIdCheck::Named);
        let upper_domain = cert(None, None, &["SIM-0001.ACCESSORY.LOCAL"]);
        assert_eq!(
            check_device_id(&upper_domain, "sim-0001"),
            DeviceIdCheck::Named
        );
    }

    #[test]
    fn a_dns_name_outside_the_accessory_domain_names_no_device_id() {
        for name in [
            "sim-0001.evil.example",
            "sim-0001",
            "sim-0001.accessory.local.evil.example",
            "x.sim-0001.accessory.local",
            "sim-0001.accessory.localx",
        ] {
            let c = cert(None, None, &[name]);
            assert_eq!(
                check_device_id(&c, "SIM-0001"),
                DeviceIdCheck::NamesNone,
                "{name}"
            );
        }
    }

    #[test]
    fn a_certificate_naming_another_device_lists_what_it_names() {
        let c = cert(Some("SIM-0003"), None, &["SIM-0003.accessory.local"]);
        assert_eq!(
            check_device_id(&c, "SIM-0002"),
            DeviceIdCheck::NamesOthers(vec!["SIM-0003".into(), "SIM-0003".into()])
        );
        assert_eq!(
            check_device_id(&c, ""),
            DeviceIdCheck::NamesOthers(vec!["SIM-0003".into(), "SIM-0003".into()])
        );
        let garbage = CertificateDer::from(vec![0x30, 0x00]);
        assert_eq!(
            check_device_id(&garbage, "SIM-0003"),
            DeviceIdCheck::NamesNone
        );
    }
}
