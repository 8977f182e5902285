//! `Identity`: what the certificate must name.
//!
//! An accessory's SoftAP address is the same on every unit (typically `192.168.4.1`), so an IP
//! identity says little; the device id printed on the label is what tells one unit from another.
//! DNS names and IP addresses are matched by webpki (RFC 6125 rules, iPAddress SANs only, never
//! the CN); a device id is matched here, against the places manufacturers put it.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rustls_pki_types::ServerName;
use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_SERIALNUMBER};

use crate::diagnosis::codes;
use crate::error::{Error, Refusal};

/// What the peer's certificate must name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identity {
    /// A device id: matched against the subject serialNumber, the subject CN, or the first label
    /// of a DNS SAN (`<id>.accessory.local`), ASCII case-insensitively.
    DeviceId(String),
    /// A DNS name, matched against DNS SANs (wildcards per RFC 6125) by webpki.
    Dns(String),
    /// An IP address, matched against iPAddress SANs only (not a CN or a DNS SAN spelling it).
    Ip(IpAddr),
}

impl Identity {
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
    if id.is_empty() {
        return false;
    }
    let subject = cert.subject();
    let in_subject = subject
        .iter_by_oid(&OID_X509_SERIALNUMBER)
        .chain(subject.iter_by_oid(&OID_X509_COMMON_NAME))
        .filter_map(|attr| attr.as_str().ok())
        .any(|value| value.eq_ignore_ascii_case(id));
    if in_subject {
        return true;
    }
    dns_sans(cert).iter().any(|name| {
        name.split('.')
            .next()
            .is_some_and(|label| label.eq_ignore_ascii_case(id))
    })
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
