//! Client profiles: what each phone's TLS stack puts in its ClientHello, rebuilt with rustls.
//!
//! A profile fixes what decides whether an embedded TLS stack can talk to a phone at all: the protocol
//! versions, the key-exchange groups in preference order (which also decides which key shares are
//! sent, and so the ClientHello's size) and the cipher suites. It is built with the aws-lc-rs provider,
//! the one rustls provider with the post-quantum hybrid X25519MLKEM768.
//!
//! What a profile does not reproduce: rustls does not offer the CBC suites, GREASE values or the
//! exact extension order of Apple's and Google's stacks, so a real phone's ClientHello is somewhat
//! larger than the profile's (a real iOS 26 ClientHello is about 1.5 KB; ours is measured and printed
//! in every report). What matters for a small stack is the order of magnitude, and it is the
//! post-quantum key share (1,216 bytes on its own) that sets it.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::Resumption;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::{CipherSuite, ClientConfig, SupportedCipherSuite, SupportedProtocolVersion};
use serde::Serialize;

use crate::{Error, Platform};

/// A TLS protocol version a profile offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Version {
    /// TLS 1.2 (RFC 5246).
    #[serde(rename = "TLS 1.2")]
    Tls12,
    /// TLS 1.3 (RFC 8446).
    #[serde(rename = "TLS 1.3")]
    Tls13,
}

/// A key-exchange group a profile offers, by its IANA name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Group {
    /// The post-quantum hybrid: ML-KEM-768 with X25519 (draft-ietf-tls-ecdhe-mlkem). Its key share is
    /// 1,216 bytes.
    X25519MLKEM768,
    /// Curve25519 ECDHE (32-byte share).
    X25519,
    /// NIST P-256 ECDHE.
    #[serde(rename = "secp256r1")]
    Secp256r1,
    /// NIST P-384 ECDHE.
    #[serde(rename = "secp384r1")]
    Secp384r1,
}

/// One client profile: a phone (or a diagnostic variant) as its ClientHello shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClientProfile {
    /// The name on the command line (`--profile ios26`).
    pub name: &'static str,
    /// What it emulates, in plain words.
    pub emulates: &'static str,
    /// The platform whose verdict this profile decides, if any (`tls12-only` and `tls13-only` are
    /// diagnostic: they explain, they do not decide).
    pub platform: Option<Platform>,
    /// Protocol versions offered.
    pub versions: &'static [Version],
    /// Key-exchange groups in preference order. rustls sends a key share for the first group and,
    /// when the first is a hybrid, also for its classical part (X25519), as iOS 26 does.
    pub groups: &'static [Group],
    /// Cipher suites in preference order.
    #[serde(serialize_with = "suite_names")]
    pub suites: &'static [CipherSuite],
}

const TLS13_SUITES_AES_FIRST: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];

const BOTH_SUITES_AES_FIRST: &[CipherSuite] = &[
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

const TLS12_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

const CLASSICAL: &[Group] = &[Group::X25519, Group::Secp256r1, Group::Secp384r1];

static PROFILES: [ClientProfile; 5] = [
    ClientProfile {
        name: "ios26",
        emulates: "iOS 26 / macOS 26 (Network.framework, URLSession): TLS 1.2-1.3, X25519MLKEM768 \
                   preferred with an X25519 share alongside, then X25519, P-256, P-384: the \
                   post-quantum share is sent by default",
        platform: Some(Platform::Ios26),
        versions: &[Version::Tls13, Version::Tls12],
        groups: &[
            Group::X25519MLKEM768,
            Group::X25519,
            Group::Secp256r1,
            Group::Secp384r1,
        ],
        suites: BOTH_SUITES_AES_FIRST,
    },
    ClientProfile {
        name: "ios18",
        emulates: "iOS 18 / macOS 15: TLS 1.2-1.3, X25519, P-256, P-384 with one X25519 share; \
                   no post-quantum share",
        platform: Some(Platform::Ios18),
        versions: &[Version::Tls13, Version::Tls12],
        groups: CLASSICAL,
        suites: BOTH_SUITES_AES_FIRST,
    },
    ClientProfile {
        name: "android",
        emulates:
            "Android 10-15 apps through the platform stack (Conscrypt/BoringSSL via OkHttp or \
                   HttpsURLConnection): TLS 1.2-1.3, X25519, P-256, P-384; no post-quantum share",
        platform: Some(Platform::Android),
        versions: &[Version::Tls13, Version::Tls12],
        groups: CLASSICAL,
        suites: &[
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
    },
    ClientProfile {
        name: "tls12-only",
        emulates:
            "diagnostic: TLS 1.2 only, X25519, P-256, P-384 (older clients; shows whether the \
                   accessory still speaks TLS 1.2)",
        platform: None,
        versions: &[Version::Tls12],
        groups: CLASSICAL,
        suites: TLS12_SUITES,
    },
    ClientProfile {
        name: "tls13-only",
        emulates:
            "diagnostic: TLS 1.3 only, X25519, P-256, P-384 (shows whether the accessory speaks \
                   TLS 1.3 at all)",
        platform: None,
        versions: &[Version::Tls13],
        groups: CLASSICAL,
        suites: TLS13_SUITES_AES_FIRST,
    },
];

/// Every client profile, in the order a probe runs them.
pub fn profiles() -> &'static [ClientProfile] {
    &PROFILES
}

impl ClientProfile {
    /// The profile called `name`.
    pub fn by_name(name: &str) -> Result<&'static ClientProfile, Error> {
        PROFILES
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::UnknownProfile {
                name: name.to_owned(),
                known: PROFILES
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Whether this profile offers `version`.
    pub fn offers(&self, version: Version) -> bool {
        self.versions.contains(&version)
    }

    /// Whether this profile sends the post-quantum key share.
    pub fn sends_post_quantum_share(&self) -> bool {
        self.groups.first() == Some(&Group::X25519MLKEM768)
    }

    /// The aws-lc-rs provider cut down to this profile's groups and suites.
    pub fn provider(&self) -> CryptoProvider {
        let mut provider = aws_lc_rs::default_provider();
        provider.kx_groups = self.groups.iter().map(|g| g.rustls()).collect();
        provider.cipher_suites = self
            .suites
            .iter()
            .filter_map(|id| {
                aws_lc_rs::ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| s.suite() == *id)
                    .copied()
            })
            .collect::<Vec<SupportedCipherSuite>>();
        provider
    }

    /// A client configuration for this profile that verifies the server with `verifier`.
    ///
    /// No client certificate (a probe never sends credentials), no session resumption (every
    /// connection is a full handshake with the same ClientHello, so sizes are comparable).
    pub fn client_config(
        &self,
        verifier: Arc<dyn ServerCertVerifier>,
    ) -> Result<ClientConfig, Error> {
        let mut config = self
            .builder()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.resumption = Resumption::disabled();
        Ok(config)
    }

    /// The rustls builder with provider and versions chosen, before the verifier.
    pub(crate) fn builder(
        &self,
    ) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, Error> {
        ClientConfig::builder_with_provider(Arc::new(self.provider()))
            .with_protocol_versions(&self.rustls_versions())
            .map_err(|e| Error::ClientProfile {
                profile: self.name,
                reason: e.to_string(),
            })
    }

    fn rustls_versions(&self) -> Vec<&'static SupportedProtocolVersion> {
        self.versions
            .iter()
            .map(|v| match v {
                Version::Tls12 => &rustls::version::TLS12,
                Version::Tls13 => &rustls::version::TLS13,
            })
            .collect()
    }
}

impl Group {
    /// The aws-lc-rs implementation of this group.
    pub fn rustls(self) -> &'static dyn SupportedKxGroup {
        match self {
            Group::X25519MLKEM768 => kx_group::X25519MLKEM768,
            Group::X25519 => kx_group::X25519,
            Group::Secp256r1 => kx_group::SECP256R1,
            Group::Secp384r1 => kx_group::SECP384R1,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        })
    }
}

fn suite_names<S: serde::Serializer>(suites: &[CipherSuite], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(suites.iter().map(|c| format!("{c:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_builds_with_every_suite_it_names() {
        for p in profiles() {
            assert_eq!(
                p.provider().cipher_suites.len(),
                p.suites.len(),
                "{}",
                p.name
            );
            assert_eq!(p.provider().kx_groups.len(), p.groups.len(), "{}", p.name);
            p.builder().expect(p.name);
        }
    }

    #[test]
    fn only_ios26_sends_the_post_quantum_share() {
        let pq: Vec<_> = profiles()
            .iter()
            .filter(|p| p.sends_post_quantum_share())
            .map(|p| p.name)
            .collect();
        assert_eq!(pq, ["ios26"]);
    }

    #[test]
    fn unknown_profile_names_the_known_ones() {
        let err = ClientProfile::by_name("ios9").unwrap_err().to_string();
        assert!(
            err.contains("ios9") && err.contains("ios26, ios18, android"),
            "{err}"
        );
    }

    #[test]
    fn each_platform_is_decided_by_exactly_one_profile() {
        for platform in Platform::ALL {
            let n = profiles()
                .iter()
                .filter(|p| p.platform == Some(platform))
                .count();
            assert_eq!(n, 1, "{platform}");
        }
    }
}
