//! How trust's findings read to a person: a certificate inspection (`accessory trust inspect`), a
//! pin in every spelling (`trust pin`), an offline verdict (`trust verify`). JSON is `Serialize`.

use std::fmt;

use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Serialize;

use crate::{AccessoryVerifier, Diagnosis, Identity, Inspection, Observed, Pin, TrustPolicy};

/// One line per fact, each ending with a newline.
impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self;
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_owned()
            } else {
                v.join(", ")
            }
        };
        writeln!(f, "  subject:        {}", c.subject)?;
        writeln!(f, "  issuer:         {}", c.issuer)?;
        writeln!(f, "  serial:         {}", c.serial)?;
        writeln!(
            f,
            "  validity:       {} .. {} ({} days)",
            c.not_before, c.not_after, c.validity_days
        )?;
        writeln!(f, "  DNS names:      {}", list(&c.dns_names))?;
        let ips: Vec<String> = c.ip_addresses.iter().map(ToString::to_string).collect();
        writeln!(f, "  IP addresses:   {}", list(&ips))?;
        writeln!(
            f,
            "  CA:             {}{}",
            c.is_ca,
            if c.self_issued { " (self-issued)" } else { "" }
        )?;
        match &c.extended_key_usage {
            Some(eku) => writeln!(f, "  extended usage: {}", list(eku))?,
            None => writeln!(f, "  extended usage: (no extendedKeyUsage)")?,
        }
        writeln!(
            f,
            "  key:            {} {} bits",
            c.key_algorithm, c.key_bits
        )?;
        writeln!(f, "  signature:      {}", c.signature_algorithm)?;
        if !c.critical_extensions.is_empty() {
            writeln!(f, "  critical:       {}", list(&c.critical_extensions))?;
        }
        writeln!(f, "  pin:            {}", c.pin)?;
        writeln!(f, "  pin (curl):     {}", c.pin_curl)?;
        writeln!(f, "  fingerprint:    {}", c.fingerprint_sha256)?;
        Ok(())
    }
}

/// A pin in every accepted spelling.
#[derive(Debug, Serialize)]
pub struct PinSpellings {
    /// `sha256/BASE64` (OkHttp, and ours).
    pub pin: String,
    /// `sha256//BASE64` (curl's `--pinnedpubkey`).
    pub curl: String,
    /// 64 hex digits.
    pub hex: String,
    /// The bare base64.
    pub base64: String,
}

impl From<&Pin> for PinSpellings {
    fn from(pin: &Pin) -> Self {
        Self {
            pin: pin.to_string(),
            curl: pin.to_curl(),
            hex: pin.to_hex(),
            base64: pin.to_base64(),
        }
    }
}

impl fmt::Display for PinSpellings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "okhttp  {}", self.pin)?;
        writeln!(f, "curl    {}", self.curl)?;
        writeln!(f, "hex     {}", self.hex)?;
        writeln!(f, "base64  {}", self.base64)
    }
}

/// The offline verdict on a chain under a policy (`accessory trust verify`).
#[derive(Debug, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum OfflineVerdict {
    /// The policy accepts the chain.
    Accept {
        /// The policy's mode (`pin`, `anchors`, ...).
        mode: String,
        /// The identity checked, if any.
        identity: Option<Identity>,
        /// What the check learned.
        observed: Observed,
    },
    /// The policy refuses the chain.
    Refuse {
        /// The policy's mode.
        mode: String,
        /// The identity checked, if any.
        identity: Option<Identity>,
        /// Why.
        diagnosis: Diagnosis,
    },
}

impl OfflineVerdict {
    /// Verifies `chain` (leaf first) under `policy` as of `now`, as a handshake's verifier would;
    /// `identity` is the one the policy was built with, for the report.
    pub fn of(
        policy: TrustPolicy,
        identity: Option<Identity>,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Self {
        let mode = policy.mode();
        match AccessoryVerifier::new(policy).verify_offline(chain, now) {
            Ok(observed) => Self::Accept {
                mode,
                identity,
                observed,
            },
            Err(refusal) => {
                let mut diagnosis = Diagnosis::from_refusal(&refusal);
                // Android names the host it checked: the DNS name or IP given, if any.
                match &identity {
                    Some(Identity::Dns(name)) => diagnosis = diagnosis.naming_host(name.clone()),
                    Some(Identity::Ip(ip)) => diagnosis = diagnosis.naming_host(ip.to_string()),
                    _ => {}
                }
                Self::Refuse {
                    mode,
                    identity,
                    diagnosis,
                }
            }
        }
    }

    /// True when the chain was accepted.
    pub fn accepted(&self) -> bool {
        matches!(self, Self::Accept { .. })
    }
}

impl fmt::Display for OfflineVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accept {
                mode,
                identity,
                observed,
            } => {
                writeln!(f, "accepted ({mode} mode)")?;
                match identity {
                    Some(id) => writeln!(f, "  identity:     {id}")?,
                    None => writeln!(
                        f,
                        "  identity:     not checked (give --device-id, --dns or --ip)"
                    )?,
                }
                writeln!(f, "  pin:          {}", observed.pin)?;
                writeln!(f, "  fingerprint:  {}", observed.fingerprint)?;
                for note in &observed.notes {
                    writeln!(
                        f,
                        "  not enforced in this mode: {} ({})",
                        note.detail, note.code
                    )?;
                }
                Ok(())
            }
            Self::Refuse {
                mode, diagnosis, ..
            } => {
                writeln!(f, "refused ({mode} mode)")?;
                writeln!(f, "{diagnosis:#}")
            }
        }
    }
}
