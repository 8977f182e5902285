//! The certificate profiles: what each one puts in the certificate, what is wrong with it, and the
//! verdict the `trust` verifier is expected to reach under each trust mode.
//!
//! This table is the contract between the certificate generator, the simulator and the trust tests:
//! the verdict codes are `trust` diagnosis codes. Only the generator (`generate.rs`) knows how each
//! profile is made; this file says what it means.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

/// The address every accessory answers on inside its own SoftAP, identical on every unit.
pub const SOFTAP_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 4, 1));

/// One kind of certificate an accessory may present, good or faulty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CertProfile {
    /// The profile's name: a DESIGN.md fault name, or `good-chain`, `good-self-signed`, `self-signed-ca`.
    pub name: &'static str,
    /// What is in the certificate and what is wrong with it, in plain words.
    pub summary: &'static str,
    /// The identity a client checks it against in the expectation matrix.
    pub identity: ProfileIdentity,
    /// The verdict expected under each trust mode.
    pub expect: Expectations,
}

/// What a client asks the certificate to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ProfileIdentity {
    /// The device id given to [`crate::generate`] (subject serialNumber, DNS SAN first label).
    DeviceId,
    /// An IP address (iPAddress SAN): always [`SOFTAP_IP`].
    Ip(IpAddr),
}

/// The three ways an administrator can tell a client what to trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustMode {
    /// Only the SPKI pin the administrator recorded (`Material::pin`).
    Pin,
    /// Only the anchors the administrator distributes (`Material::anchors`).
    Anchors,
    /// Both: the chain must validate to an anchor and the leaf key must match the pin.
    Both,
}

impl TrustMode {
    /// All modes, in the order of the manifest's columns.
    pub const ALL: [TrustMode; 3] = [TrustMode::Pin, TrustMode::Anchors, TrustMode::Both];

    /// `pin`, `anchors` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustMode::Pin => "pin",
            TrustMode::Anchors => "anchors",
            TrustMode::Both => "both",
        }
    }
}

/// The verdict expected under each trust mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Expectations {
    /// Pin only.
    pub pin: Expected,
    /// Anchors only.
    pub anchors: Expected,
    /// Pin and anchors.
    pub both: Expected,
}

impl Expectations {
    /// The expectation for one mode.
    pub fn get(&self, mode: TrustMode) -> Expected {
        match mode {
            TrustMode::Pin => self.pin,
            TrustMode::Anchors => self.anchors,
            TrustMode::Both => self.both,
        }
    }

    const fn all(e: Expected) -> Self {
        Expectations {
            pin: e,
            anchors: e,
            both: e,
        }
    }

    /// Accepted by a pin (which identifies a key, not a chain), refused with `code` when a chain is
    /// validated.
    const fn chain_fault(code: &'static str) -> Self {
        Expectations {
            pin: Expected::Accept,
            anchors: Expected::Refuse(code),
            both: Expected::Refuse(code),
        }
    }
}

/// One expected verdict. Serialized as `{"verdict":"accept"}` or
/// `{"verdict":"refuse","code":"cert.expired"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "code")]
pub enum Expected {
    /// The handshake completes.
    Accept,
    /// The handshake is refused with this `trust` diagnosis code.
    Refuse(&'static str),
}

impl Expected {
    /// The diagnosis code of a refusal.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Expected::Accept => None,
            Expected::Refuse(code) => Some(code),
        }
    }

    /// Whether the handshake is expected to complete.
    pub fn is_accept(&self) -> bool {
        matches!(self, Expected::Accept)
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Accept => f.pad("accept"),
            Expected::Refuse(code) => f.pad(code),
        }
    }
}

const ACCEPT: Expectations = Expectations::all(Expected::Accept);

const fn profile(
    name: &'static str,
    summary: &'static str,
    identity: ProfileIdentity,
    expect: Expectations,
) -> CertProfile {
    CertProfile {
        name,
        summary,
        identity,
        expect,
    }
}

use ProfileIdentity::DeviceId;

static PROFILES: [CertProfile; 18] = [
    profile(
        "good-chain",
        "nothing: manufacturer root -> intermediate -> device leaf naming its device id (ECDSA P-256, serverAuth, 1 year)",
        DeviceId,
        ACCEPT,
    ),
    profile(
        "good-self-signed",
        "nothing: a self-signed device leaf (CA:FALSE, serverAuth) that the administrator trusts directly",
        DeviceId,
        ACCEPT,
    ),
    profile(
        "self-signed-ca",
        "a self-signed leaf that says CA:TRUE and has no EKU, as `openssl req -x509` makes it (RSA-2048); trusted directly as its own anchor",
        DeviceId,
        ACCEPT,
    ),
    profile(
        "expired",
        "the device leaf expired 30 days ago",
        DeviceId,
        Expectations::chain_fault("cert.expired"),
    ),
    profile(
        "not-yet-valid",
        "the device leaf becomes valid only in 30 days (a device clock or factory clock set wrong)",
        DeviceId,
        Expectations::chain_fault("cert.not_yet_valid"),
    ),
    profile(
        "wrong-name",
        "the device leaf names another device id: a genuine certificate from the wrong accessory",
        DeviceId,
        Expectations::all(Expected::Refuse("cert.wrong_name")),
    ),
    profile(
        "cn-only",
        "the device id is only in the subject CN, with no subjectAltName at all (Apple refuses this; the verifier accepts it by CN)",
        DeviceId,
        ACCEPT,
    ),
    profile(
        "ip-not-in-san",
        "the client connects to 192.168.4.1 but the leaf has only a DNS name, no iPAddress SAN",
        ProfileIdentity::Ip(SOFTAP_IP),
        Expectations::all(Expected::Refuse("cert.wrong_name")),
    ),
    profile(
        "untrusted-root",
        "a well-formed chain that ends at another manufacturer's root, not the one the administrator trusts",
        DeviceId,
        Expectations::chain_fault("cert.unknown_issuer"),
    ),
    profile(
        "self-signed-unknown",
        "a self-signed device leaf, while the administrator trusts the manufacturer root",
        DeviceId,
        Expectations::chain_fault("cert.unknown_issuer"),
    ),
    profile(
        "ca-as-leaf",
        "the device leaf says CA:TRUE: a CA certificate used as an end entity",
        DeviceId,
        Expectations::chain_fault("cert.ca_used_as_end_entity"),
    ),
    profile(
        "client-auth-eku",
        "the device leaf's extended key usage is clientAuth only, not serverAuth",
        DeviceId,
        Expectations::chain_fault("cert.invalid_purpose"),
    ),
    profile(
        "long-validity",
        "the device leaf is valid for 10 years, over Apple's 825-day limit (the verifier accepts it; lint flags it)",
        DeviceId,
        ACCEPT,
    ),
    profile(
        "rsa-1024",
        "the device leaf's key is RSA-1024: too weak for any modern client, so its handshake signature is refused",
        DeviceId,
        Expectations::all(Expected::Refuse("cert.weak_key")),
    ),
    profile(
        "sha1",
        "the device leaf is signed with sha1WithRSAEncryption by a legacy RSA issuing CA under the manufacturer root",
        DeviceId,
        Expectations::chain_fault("cert.weak_signature"),
    ),
    profile(
        "incomplete-chain",
        "the accessory serves its leaf without the intermediate that links it to the manufacturer root",
        DeviceId,
        Expectations::chain_fault("cert.unknown_issuer"),
    ),
    profile(
        "unknown-critical-extension",
        "the device leaf carries a private extension marked critical, which no client understands",
        DeviceId,
        Expectations::chain_fault("cert.unsupported_critical_extension"),
    ),
    profile(
        "key-rotated",
        "same name, same issuer, new key: the pin the administrator recorded is the old key's",
        DeviceId,
        Expectations {
            pin: Expected::Refuse("cert.pin_mismatch"),
            anchors: Expected::Accept,
            both: Expected::Refuse("cert.pin_mismatch"),
        },
    ),
];

/// A fault that is in how a certificate is served, not in the certificate: a genuine chain served
/// with a key that does not match it (see [`crate::serving::with_other_key`]).
pub const WRONG_KEY: CertProfile = profile(
    "wrong-key",
    "a genuine device chain served with a different private key: what a man in the middle who copied the certificate looks like",
    DeviceId,
    Expectations::all(Expected::Refuse("tls.bad_handshake_signature")),
);

/// How many of [`PROFILES`] (the first ones) are good: `good-chain`, `good-self-signed`,
/// `self-signed-ca`.
const GOOD: usize = 3;

/// Every certificate profile, good ones first.
pub fn profiles() -> &'static [CertProfile] {
    &PROFILES
}

/// The profiles that are certificate faults (every profile but the good ones): what a simulated
/// accessory can be told to serve with `--fault NAME`.
pub fn faulty_profiles() -> &'static [CertProfile] {
    &PROFILES[GOOD..]
}

/// The certificate profile called `name`.
pub fn profile_named(name: &str) -> Result<&'static CertProfile, crate::Error> {
    PROFILES
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| crate::Error::UnknownProfile {
            name: name.to_owned(),
            known: PROFILES
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_good_profiles_come_first_and_every_other_profile_is_a_fault() {
        let good: Vec<_> = profiles()[..GOOD].iter().map(|p| p.name).collect();
        assert_eq!(good, ["good-chain", "good-self-signed", "self-signed-ca"]);
        assert_eq!(faulty_profiles().len(), profiles().len() - GOOD);
        assert!(faulty_profiles().iter().all(|p| !good.contains(&p.name)));
    }

    #[test]
    fn profile_names_are_unique_and_include_every_certificate_fault_of_the_design() {
        let design = [
            "expired",
            "not-yet-valid",
            "wrong-name",
            "cn-only",
            "ip-not-in-san",
            "untrusted-root",
            "self-signed-unknown",
            "ca-as-leaf",
            "client-auth-eku",
            "long-validity",
            "rsa-1024",
            "sha1",
            "incomplete-chain",
            "unknown-critical-extension",
            "key-rotated",
        ];
        for name in design {
            assert!(profile_named(name).is_ok(), "{name} missing");
        }
        let mut names: Vec<_> = profiles().iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), profiles().len());
        assert!(
            profile_named("wrong-key").is_err(),
            "wrong-key is a serving fault"
        );
    }

    #[test]
    fn unknown_profile_error_lists_the_known_names() {
        let err = profile_named("nope").unwrap_err().to_string();
        assert!(
            err.starts_with("unknown certificate profile `nope`"),
            "{err}"
        );
        assert!(err.contains("good-chain"), "{err}");
    }

    #[test]
    fn expectations_serialize_as_verdict_and_code() {
        let json = serde_json::to_value(profile_named("expired").unwrap().expect).unwrap();
        assert_eq!(json["pin"]["verdict"], "accept");
        assert_eq!(json["anchors"]["verdict"], "refuse");
        assert_eq!(json["anchors"]["code"], "cert.expired");
    }
}
