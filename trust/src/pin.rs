//! `Pin`: the SHA-256 of a certificate's SubjectPublicKeyInfo, the way OkHttp, curl and HPKP name a key.
//!
//! A pin identifies a key, not a certificate: a renewed certificate for the same key keeps its pin,
//! and a new key (a rotated or a stolen-and-replaced one) gets a new pin. All three spellings in the
//! field are accepted on input; `Display` prints the OkHttp/Android one.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The SHA-256 of a DER SubjectPublicKeyInfo.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin([u8; 32]);

impl Pin {
    /// The pin of a DER-encoded SubjectPublicKeyInfo.
    pub fn of_spki(spki_der: &[u8]) -> Self {
        Self(Sha256::digest(spki_der).into())
    }

    /// The pin of a certificate's public key.
    pub fn of_certificate(cert: &CertificateDer<'_>) -> Result<Self, Error> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| {
            Error::BadCertificate {
                reason: e.to_string(),
            }
        })?;
        Ok(Self::of_spki(parsed.public_key().raw))
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The curl `--pinnedpubkey` spelling: `sha256//BASE64`.
    pub fn to_curl(&self) -> String {
        format!("sha256//{}", STANDARD.encode(self.0))
    }

    /// Lowercase hex, 64 digits, no separators.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The base64 digest alone (what iOS `NSPinnedLeafIdentities` and Android's network security
    /// config `<pin digest="SHA-256">` take).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256/{}", STANDARD.encode(self.0))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({self})")
    }
}

impl FromStr for Pin {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let text = s.trim();
        let bad = |reason| Error::InvalidPin {
            input: s.to_owned(),
            reason,
        };
        if let Some(rest) = text.strip_prefix("sha256/") {
            // `sha256//X` is curl's spelling of the same thing.
            // A digest's base64 (44 characters) may itself begin with '/': only a 45th character
            // makes the slash curl's.
            let b64 = match rest.strip_prefix('/') {
                Some(curl) if rest.len() > 44 => curl,
                _ => rest,
            };
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| bad("the part after sha256/ is not base64"))?;
            let digest: [u8; 32] = bytes
                .try_into()
                .map_err(|_| bad("a SHA-256 digest is 32 bytes"))?;
            return Ok(Self(digest));
        }
        if text.is_empty() {
            return Err(bad("empty"));
        }
        let digits: String = text.chars().filter(|c| *c != ':').collect();
        if digits.len() != 64 {
            return Err(bad("not sha256/… and not 64 hex digits"));
        }
        let bytes = hex::decode(&digits).map_err(|_| bad("not hex"))?;
        let digest: [u8; 32] = bytes
            .try_into()
            .map_err(|_| bad("a SHA-256 digest is 32 bytes"))?;
        Ok(Self(digest))
    }
}

impl Serialize for Pin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn all_three_spellings_name_the_same_pin() {
        let from_hex: Pin = HEX.parse().unwrap();
        let okhttp: Pin = from_hex.to_string().parse().unwrap();
        let curl: Pin = from_hex.to_curl().parse().unwrap();
        assert_eq!(from_hex, okhttp);
        assert_eq!(from_hex, curl);
        assert!(from_hex.to_string().starts_with("sha256/"));
        assert!(from_hex.to_curl().starts_with("sha256//"));
        assert_eq!(from_hex.to_hex(), HEX);
    }

    #[test]
    fn hex_with_colons_is_accepted() {
        let colons: String = HEX
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(colons.parse::<Pin>().unwrap(), HEX.parse::<Pin>().unwrap());
    }

    #[test]
    fn short_or_garbled_pins_are_refused_with_a_reason() {
        for bad in ["", "sha256/", "sha256/AAAA", "abc", "sha1/AAAA", &HEX[..62]] {
            let err = bad.parse::<Pin>().unwrap_err();
            assert_eq!(err.code(), "input.invalid_pin", "{bad:?}");
        }
    }
}
