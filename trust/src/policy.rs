//! `TrustPolicy`: what a peer must prove, and [`TrustPolicy::check`], the one place that decides.
//!
//! Both the rustls verifier (on a live handshake) and the offline `accessory trust verify` call
//! `check`, so an offline verdict is the verdict a connection would get. `check` covers the
//! certificate; the handshake signature (proof that the peer holds the key) is the verifier's
//! second half and is checked on every connection, in every mode.
//!
//! The order of the checks is the order of the diagnoses a person should see first: a certificate
//! we cannot parse, a key too weak for any signature to mean anything, the wrong key (pin or
//! first-use record), a chain that does not reach an anchor (which includes dates, EKU, CA flags
//! and critical extensions), and finally the wrong name.

use std::cell::RefCell;
use std::fmt;

use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::public_key::PublicKey;

use crate::anchor::Anchors;
use crate::date::rfc3339;
use crate::diagnosis::{codes, refusal_from_webpki};
use crate::error::{Error, Refusal};
use crate::identity::{self, Identity};
use crate::pin::Pin;

/// The smallest RSA key whose signatures we believe (and the smallest any current phone accepts).
pub const MIN_RSA_BITS: usize = 2048;

/// What a peer must prove. Cannot be empty: at least a pin, an anchor, or trust on first use.
///
/// Modes, by what is given:
/// - **pins** only: the leaf's key must be one of the pins. Dates, EKU and the chain are reported
///   in [`Observed::notes`], not enforced: a pin names a key, as an SSH host key does.
/// - **anchors** only: a path from the leaf to one of the anchors (and nothing else) must validate
///   under webpki, at the given time, for serverAuth, and the anchor it ends at must be fit to
///   issue (in date, CA:TRUE, keyCertSign: see `rfc5280::check_anchor`). A leaf byte-identical to
///   an anchor is trusted directly, even with CA:TRUE, with its dates and EKU still checked.
/// - **both**: both of the above.
/// - **tofu** with a recorded pin: like pins, but a mismatch is `tofu.key_changed`.
/// - **tofu** without a record (first use): everything checkable without a root (a certificate that
///   parses, a key strong enough, the identity, and, on a connection, the handshake signature).
///   The observed pin is in [`Observed::pin`] with [`Observed::first_use`] set: the application
///   must confirm it (a fingerprint from the label, or a person) **before sending any credential**.
///
/// The identity, when given, is checked in every mode. When none is given, the name the
/// connection was made to is checked in modes with anchors (a chain to an anchor alone would
/// accept any certificate the anchor vouched for), and no name is checked by pins or trust on
/// first use alone (they name the key).
#[derive(Clone)]
pub struct TrustPolicy {
    pins: Vec<Pin>,
    anchors: Option<Anchors>,
    tofu: Tofu,
    identity: Option<Identity>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// Whether a policy trusts on first use, and what it recorded ([`TrustPolicy::tofu`]). Not
/// `provision::FirstUse`, which is how a first use is confirmed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Tofu {
    /// Not trust on first use.
    #[default]
    Off,
    /// Trust on first use, and this is the first use: nothing recorded yet.
    Unrecorded,
    /// Trust on first use, with the pin recorded at first use.
    Recorded(Pin),
}

/// Builds a [`TrustPolicy`]; see [`TrustPolicy::builder`].
#[derive(Debug, Default, Clone)]
pub struct TrustPolicyBuilder {
    pins: Vec<Pin>,
    anchors: Option<Anchors>,
    tofu: Tofu,
    identity: Option<Identity>,
}

impl TrustPolicyBuilder {
    /// Accepts a leaf whose key has this pin (may be called more than once: any pin matches).
    pub fn pin(mut self, pin: Pin) -> Self {
        self.pins.push(pin);
        self
    }

    /// Accepts any of these pins.
    pub fn pins(mut self, pins: impl IntoIterator<Item = Pin>) -> Self {
        self.pins.extend(pins);
        self
    }

    /// Requires a path to one of these anchors (called twice, the sets are merged).
    pub fn anchors(mut self, anchors: Anchors) -> Self {
        self.anchors = Some(match self.anchors.take() {
            None => anchors,
            Some(old) => {
                let mut all = old.certificates().to_vec();
                all.extend(anchors.certificates().iter().cloned());
                // Both sets parsed as anchors already, so this cannot fail.
                Anchors::from_certificates(all).unwrap_or(anchors)
            }
        });
        self
    }

    /// What the certificate must name. Without it, the name the connection was made to is used
    /// when the policy has anchors, and no name is checked by pins or first use alone.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Trust on first use: `Some(pin)` is the pin recorded at first use, `None` means this is the
    /// first use (see [`TrustPolicy`] for what the application must then do).
    pub fn tofu(mut self, recorded: Option<Pin>) -> Self {
        self.tofu = match recorded {
            Some(pin) => Tofu::Recorded(pin),
            None => Tofu::Unrecorded,
        };
        self
    }

    /// The policy, or [`Error::EmptyPolicy`] when there is nothing to trust.
    pub fn build(self) -> Result<TrustPolicy, Error> {
        let anchors = self.anchors.filter(|a| !a.is_empty());
        if self.pins.is_empty() && anchors.is_none() && self.tofu == Tofu::Off {
            return Err(Error::EmptyPolicy);
        }
        Ok(TrustPolicy {
            pins: self.pins,
            anchors,
            tofu: self.tofu,
            identity: self.identity,
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        })
    }
}

/// What a check learned about the peer it accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    /// The pin of the leaf's key.
    pub pin: Pin,
    /// SHA-256 of the leaf certificate's DER, lowercase hex.
    pub fingerprint: String,
    /// The chain as presented, leaf first.
    #[serde(skip)]
    pub chain: Vec<CertificateDer<'static>>,
    /// True when this was trust on first use without a record: the pin must be confirmed before
    /// anything secret is sent.
    pub first_use: bool,
    /// What was noticed but not enforced in this mode (dates, EKU, chain in pin mode).
    pub notes: Vec<Note>,
}

/// A finding reported, not enforced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The code the finding would have as a refusal, e.g. `cert.expired`.
    pub code: &'static str,
    /// The specifics.
    pub detail: String,
}

impl TrustPolicy {
    /// Starts a policy.
    pub fn builder() -> TrustPolicyBuilder {
        TrustPolicyBuilder::default()
    }

    /// The pins accepted.
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// The anchors, if any.
    pub fn anchor_set(&self) -> Option<&Anchors> {
        self.anchors.as_ref()
    }

    /// The identity required, if one was given.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Whether this policy is trust on first use, and what it recorded.
    pub fn tofu(&self) -> Tofu {
        self.tofu
    }

    /// The mode's name: `pin`, `anchors`, `both`, `tofu`, `tofu-first-use` (plus combinations).
    pub fn mode(&self) -> String {
        let mut parts = Vec::new();
        match (self.pins.is_empty(), self.anchors.is_some()) {
            (false, true) => parts.push("both"),
            (false, false) => parts.push("pin"),
            (true, true) => parts.push("anchors"),
            (true, false) => {}
        }
        match self.tofu {
            Tofu::Recorded(_) => parts.push("tofu"),
            Tofu::Unrecorded => parts.push("tofu-first-use"),
            Tofu::Off => {}
        }
        parts.join("+")
    }

    pub(crate) fn algorithms(&self) -> &WebPkiSupportedAlgorithms {
        &self.algorithms
    }

    /// Refuses a key no signature should be believed from ([`check_rsa_strength`]) or one the
    /// TLS provider cannot verify a signature with. The second rule is the provider's own list
    /// of algorithms (the one the live verifier checks handshake signatures with), not a list
    /// kept here: a key the offline check accepts is a key a connection can be made with.
    fn check_key_strength(&self, cert: &X509Certificate<'_>) -> Result<(), Refusal> {
        check_rsa_strength(cert)?;
        let spki = cert.public_key().raw;
        let supported = spki_algorithm(spki).is_some_and(|alg| {
            self.algorithms
                .all
                .iter()
                .any(|a| a.public_key_alg_id().as_ref() == alg)
        });
        if supported {
            return Ok(());
        }
        let key = cert.public_key();
        let kind = match key.parsed() {
            Ok(PublicKey::EC(_)) => {
                let curve = key
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                format!("an elliptic-curve key on {}", curve_name(&curve))
            }
            Ok(PublicKey::DSA(_)) => "a DSA key".to_owned(),
            _ => format!("a key of type {}", key.algorithm.algorithm.to_id_string()),
        };
        Err(Refusal::new(
            codes::UNSUPPORTED_KEY,
            format!(
                "{kind}, which the TLS provider cannot verify signatures with (it takes ECDSA on P-256, P-384 or P-521, Ed25519, or RSA of 2048 bits or more)"
            ),
        ))
    }

    /// The checks webpki's `verify_path` hook runs on a path it has validated: every intermediate
    /// must be allowed to sign certificates and have a usable key, and the anchor the path ends
    /// at must be fit to issue (`rfc5280::check_anchor`). Fails closed: an anchor that cannot be
    /// found among ours, or a certificate that cannot be parsed, refuses the path.
    fn check_path(
        &self,
        anchors: &Anchors,
        path: &webpki::VerifiedPath<'_>,
        now: UnixTime,
        strength: &dyn Fn(&X509Certificate<'_>) -> Result<(), Refusal>,
    ) -> Result<(), Refusal> {
        for der in path.intermediate_certificates().map(|c| c.der()) {
            let (_, ca) = x509_parser::parse_x509_certificate(der.as_ref()).map_err(|e| {
                Refusal::new(
                    codes::BAD_ENCODING,
                    format!("cannot parse an intermediate of the chain: {e}"),
                )
            })?;
            crate::rfc5280::check_intermediate(&ca)?;
            strength(&ca).map_err(|weak| {
                Refusal::new(
                    weak.code(),
                    format!(
                        "the intermediate \"{}\" has {}",
                        ca.subject(),
                        weak.detail()
                    ),
                )
            })?;
        }
        let der = anchors.certificate_of(path.anchor())?;
        let (_, anchor) = x509_parser::parse_x509_certificate(der).map_err(|e| {
            Refusal::new(
                codes::BAD_ENCODING,
                format!("cannot parse the trust anchor the chain ends at: {e}"),
            )
        })?;
        crate::rfc5280::check_anchor(&anchor, now, strength)?;
        crate::rfc5280::check_anchor_path_length(&anchor, path.intermediate_certificates().count())
    }

    /// Decides whether `end_entity` (with `intermediates`, as presented) is trusted at `now`.
    ///
    /// `server_name` is the name the connection was made to; it is the identity when the policy
    /// names none and has anchors. This is the whole certificate verdict; a live connection adds the handshake
    /// signature check.
    pub fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        server_name: Option<&ServerName<'_>>,
    ) -> Result<Observed, Refusal> {
        let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref()).map_err(|e| {
            Refusal::new(
                codes::BAD_ENCODING,
                format!("cannot parse the certificate: {e}"),
            )
        })?;
        let pin = Pin::of_spki(cert.public_key().raw);
        self.check_key_strength(&cert)?;

        if !self.pins.is_empty() && !self.pins.contains(&pin) {
            return Err(Refusal::new(
                codes::PIN_MISMATCH,
                format!(
                    "the accessory presented key {pin}, the pinned key is {}",
                    join(&self.pins)
                ),
            ));
        }
        if let Tofu::Recorded(recorded) = self.tofu {
            if recorded != pin {
                return Err(Refusal::new(
                    codes::KEY_CHANGED,
                    format!("the accessory presented key {pin}, the key recorded at first use is {recorded}"),
                ));
            }
        }

        let webpki_cert =
            webpki::EndEntityCert::try_from(end_entity).map_err(|e| refusal_from_webpki(&e));
        if let Some(anchors) = &self.anchors {
            if anchors.contains(end_entity) {
                check_dates(&cert, now)?;
                check_server_auth(&cert)?;
            } else {
                let ee = webpki_cert.as_ref().map_err(Clone::clone)?;
                // webpki takes an anchor as a name and a key; the anchor a path ends at must also
                // be fit to issue (rfc5280::check_anchor). A path refused here lets webpki try the
                // others (another anchor, a cross-signed intermediate); if none is left, this
                // refusal is the diagnosis, being about a path that was otherwise complete.
                let anchor_refusal = RefCell::new(None);
                let strength = |c: &X509Certificate<'_>| self.check_key_strength(c);
                let anchor_fit = |path: &webpki::VerifiedPath<'_>| match self
                    .check_path(anchors, path, now, &strength)
                {
                    Ok(()) => Ok(()),
                    Err(r) => {
                        *anchor_refusal.borrow_mut() = Some(r);
                        Err(webpki::Error::UnknownIssuer)
                    }
                };
                let verified = ee.verify_for_usage(
                    self.algorithms.all,
                    anchors.trust_anchors(),
                    intermediates,
                    now,
                    webpki::KeyUsage::server_auth(),
                    None,
                    Some(&anchor_fit),
                );
                if let Err(e) = verified {
                    // A weak key anywhere the chain could lead is the diagnosis before webpki's:
                    // the provider refuses to verify signatures by an RSA-1024 root, which webpki
                    // reports as a bad signature, not as the root's key.
                    return Err(anchor_refusal.into_inner().unwrap_or_else(|| {
                        weak_link(&cert, intermediates, anchors, &strength)
                            .unwrap_or_else(|| refusal_from_webpki(&e))
                    }));
                }
            }
            crate::rfc5280::check_leaf(&cert)?;
        }

        // A name is checked when one is asked for. Without one, a chain to an anchor proves only
        // "someone the anchor vouched for", so the name the connection was made to is the
        // identity (as a browser does); a pin or a first-use record names the key itself, as an
        // SSH host key does, and an address says nothing more (every SoftAP is 192.168.4.1).
        let from_connection = server_name
            .filter(|_| self.anchors.is_some())
            .and_then(Identity::from_server_name);
        if let Some(id) = self.identity.as_ref().or(from_connection.as_ref()) {
            identity::check(id, &cert, webpki_cert.as_ref())?;
        }

        let notes = if self.anchors.is_none() {
            unenforced(&cert, now, webpki_cert.as_ref().err())
        } else {
            Vec::new()
        };
        let mut chain = Vec::with_capacity(1 + intermediates.len());
        chain.push(end_entity.clone().into_owned());
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        Ok(Observed {
            pin,
            fingerprint: hex::encode(Sha256::digest(end_entity.as_ref())),
            chain,
            first_use: self.tofu == Tofu::Unrecorded,
            notes,
        })
    }
}

impl fmt::Debug for TrustPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustPolicy")
            .field("mode", &self.mode())
            .field("pins", &self.pins)
            .field("anchors", &self.anchors.as_ref().map(Anchors::len))
            .field("tofu", &self.tofu)
            .field("identity", &self.identity)
            .finish()
    }
}

fn join(pins: &[Pin]) -> String {
    pins.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Bits in an RSA modulus given as unsigned big-endian bytes.
fn rsa_bits(modulus: &[u8]) -> usize {
    let m = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => return 0,
    };
    m.len() * 8 - m[0].leading_zeros() as usize
}

/// Refuses RSA keys under 2048 bits: a signature by such a key proves little, and every current
/// client refuses it, so a connection would fail on the handshake signature anyway, with a less
/// helpful message. Also refuses RSA moduli whose length is not a whole number of bytes (a sign of
/// a broken key generator).
fn check_rsa_strength(cert: &X509Certificate<'_>) -> Result<(), Refusal> {
    let weak = |detail: String| Err(Refusal::new(codes::WEAK_KEY, detail));
    if let Ok(PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        let bits = rsa_bits(rsa.modulus);
        if bits < MIN_RSA_BITS {
            return weak(format!(
                "an RSA key of {bits} bits; at least {MIN_RSA_BITS} are needed"
            ));
        }
        if !bits.is_multiple_of(8) {
            return weak(format!("an RSA key of {bits} bits, not a multiple of 8"));
        }
    }
    Ok(())
}

/// The contents of a SubjectPublicKeyInfo's AlgorithmIdentifier (what webpki's
/// `public_key_alg_id` holds): `SEQUENCE { SEQUENCE { alg }, BIT STRING }`.
fn spki_algorithm(spki: &[u8]) -> Option<&[u8]> {
    fn header(der: &[u8]) -> Option<(u8, usize, usize)> {
        let (&tag, rest) = der.split_first()?;
        let (&first, rest) = rest.split_first()?;
        if first < 0x80 {
            return Some((tag, 2, first as usize));
        }
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        Some((tag, 2 + n, len))
    }
    let (tag, head, len) = header(spki)?;
    let body = spki.get(head..head + len).filter(|_| tag == 0x30)?;
    let (tag, head, len) = header(body)?;
    body.get(head..head + len).filter(|_| tag == 0x30)
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.3.132.0.10" => "secp256k1 (1.3.132.0.10)".to_owned(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7)".to_owned(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1 (1.3.36.3.3.2.8.1.1.11)".to_owned(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1 (1.3.36.3.3.2.8.1.1.13)".to_owned(),
        "" => "an unnamed curve".to_owned(),
        other => format!("curve {other}"),
    }
}

/// A certificate with a weak key that the chain from `leaf` leads to by issuer names, among the
/// intermediates presented and the anchors: the diagnosis for a path webpki refused, since the
/// provider refuses to verify a weak key's signatures and webpki then names the signature.
fn weak_link(
    leaf: &X509Certificate<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &Anchors,
    strength: &dyn Fn(&X509Certificate<'_>) -> Result<(), Refusal>,
) -> Option<Refusal> {
    let anchor_count = anchors.certificates().len();
    let candidates: Vec<(bool, X509Certificate<'_>)> = anchors
        .certificates()
        .iter()
        .map(|c| c.as_ref())
        .chain(intermediates.iter().map(|c| c.as_ref()))
        .enumerate()
        .filter_map(|(i, der)| {
            let (_, x) = x509_parser::parse_x509_certificate(der).ok()?;
            Some((i < anchor_count, x))
        })
        .collect();
    let mut seen = vec![false; candidates.len()];
    let mut issuers = vec![leaf.issuer().as_raw()];
    while let Some(issuer) = issuers.pop() {
        for (i, (is_anchor, c)) in candidates.iter().enumerate() {
            if seen[i] || c.subject().as_raw() != issuer {
                continue;
            }
            seen[i] = true;
            if let Err(weak) = strength(c) {
                let what = if *is_anchor {
                    "the trust anchor"
                } else {
                    "the intermediate"
                };
                return Some(Refusal::new(
                    weak.code(),
                    format!("{what} \"{}\" has {}", c.subject(), weak.detail()),
                ));
            }
            if !*is_anchor {
                issuers.push(c.issuer().as_raw());
            }
        }
    }
    None
}

fn check_dates(cert: &X509Certificate<'_>, now: UnixTime) -> Result<(), Refusal> {
    let now = now.as_secs() as i64;
    let validity = cert.validity();
    let (from, until) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    if now > until {
        return Err(Refusal::new(
            codes::EXPIRED,
            format!("expired at {}, checked at {}", rfc3339(until), rfc3339(now)),
        ));
    }
    if now < from {
        return Err(Refusal::new(
            codes::NOT_YET_VALID,
            format!("valid from {}, checked at {}", rfc3339(from), rfc3339(now)),
        ));
    }
    Ok(())
}

/// An EKU, if present, must allow serverAuth (RFC 5280 §4.2.1.12, as webpki does for chains).
fn check_server_auth(cert: &X509Certificate<'_>) -> Result<(), Refusal> {
    match cert.extended_key_usage() {
        Ok(Some(eku)) if !(eku.value.server_auth || eku.value.any) => Err(Refusal::new(
            codes::INVALID_PURPOSE,
            "the extendedKeyUsage does not include serverAuth",
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(Refusal::new(
            codes::BAD_ENCODING,
            format!("unreadable extendedKeyUsage: {e}"),
        )),
    }
}

/// What an anchors check would have refused, for modes that do not enforce it.
fn unenforced(cert: &X509Certificate<'_>, now: UnixTime, webpki: Option<&Refusal>) -> Vec<Note> {
    let mut notes = Vec::new();
    let note = |r: Refusal| Note {
        code: r.code(),
        detail: r.detail().to_owned(),
    };
    if let Err(r) = check_dates(cert, now) {
        notes.push(note(r));
    }
    if let Err(r) = check_server_auth(cert) {
        notes.push(note(r));
    }
    if cert.is_ca() {
        notes.push(Note {
            code: codes::CA_USED_AS_END_ENTITY,
            detail: "the certificate says CA:TRUE".to_owned(),
        });
    }
    if let Some(r) = webpki {
        notes.push(note(r.clone()));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::anchor::AnchorRole;

    #[test]
    fn a_policy_with_nothing_to_trust_cannot_be_built() {
        assert_eq!(
            TrustPolicy::builder().build().unwrap_err(),
            Error::EmptyPolicy
        );
        let only_identity = TrustPolicy::builder().identity(Identity::DeviceId("x".into()));
        assert_eq!(only_identity.build().unwrap_err(), Error::EmptyPolicy);
        let empty_anchors = Anchors::from_certificates(Vec::new()).unwrap();
        assert_eq!(
            TrustPolicy::builder()
                .anchors(empty_anchors)
                .build()
                .unwrap_err(),
            Error::EmptyPolicy
        );
    }

    fn self_signed(ca: bool, names: &[&str]) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "ACC-42");
        if ca {
            p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        p.self_signed(&key).unwrap().der().clone()
    }

    fn anchors_of(cert: &CertificateDer<'static>) -> Anchors {
        Anchors::from_certificates(vec![cert.clone()]).unwrap()
    }

    #[test]
    fn a_ca_true_leaf_identical_to_an_anchor_is_trusted_directly() {
        let leaf = self_signed(true, &["acc-42.accessory.local"]);
        let policy = TrustPolicy::builder()
            .anchors(anchors_of(&leaf))
            .identity(Identity::DeviceId("ACC-42".into()))
            .build()
            .unwrap();
        policy.check(&leaf, &[], UnixTime::now(), None).unwrap();

        let stranger = self_signed(true, &["acc-42.accessory.local"]);
        let err = policy
            .check(&stranger, &[], UnixTime::now(), None)
            .unwrap_err();
        assert_eq!(err.code(), codes::CA_USED_AS_END_ENTITY);
    }

    #[test]
    fn a_directly_trusted_anchor_still_has_its_dates_checked() {
        let leaf = self_signed(false, &["acc-42.accessory.local"]);
        let policy = TrustPolicy::builder()
            .anchors(anchors_of(&leaf))
            .build()
            .unwrap();
        let before_rcgen_validity = UnixTime::since_unix_epoch(std::time::Duration::ZERO);
        let err = policy
            .check(&leaf, &[], before_rcgen_validity, None)
            .unwrap_err();
        assert_eq!(err.code(), codes::NOT_YET_VALID);
    }

    /// A leaf for `acc-43` signed by `issuer`'s key, under `issuer`'s name.
    fn leaf_issued_by(
        issuer: rcgen::CertificateParams,
        key: rcgen::KeyPair,
    ) -> CertificateDer<'static> {
        let issuer = rcgen::Issuer::new(issuer, key);
        let mut p =
            rcgen::CertificateParams::new(vec!["acc-43.accessory.local".to_owned()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "ACC-43");
        p.signed_by(&rcgen::KeyPair::generate().unwrap(), &issuer)
            .unwrap()
            .der()
            .clone()
    }

    fn accessory_params(ca: bool) -> rcgen::CertificateParams {
        let mut p =
            rcgen::CertificateParams::new(vec!["acc-42.accessory.local".to_owned()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "ACC-42");
        if ca {
            p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        p
    }

    /// A manufacturer root: CA:TRUE, no subjectAltName (an issuer).
    fn maker_root_params() -> rcgen::CertificateParams {
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "Maker Root");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p
    }

    #[test]
    fn an_accessory_certificate_trusted_directly_cannot_vouch_for_another_accessory() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = accessory_params(false);
        let own = params.self_signed(&key).unwrap().der().clone();
        let policy = TrustPolicy::builder()
            .anchors(anchors_of(&own))
            .build()
            .unwrap();
        policy.check(&own, &[], UnixTime::now(), None).unwrap();

        let minted = leaf_issued_by(params, key);
        let err = policy
            .check(&minted, &[], UnixTime::now(), None)
            .unwrap_err();
        assert_eq!(err.code(), codes::ANCHOR_NOT_ISSUER, "{err}");
        assert!(
            err.detail().contains("the trust anchor \"CN=ACC-42\""),
            "{err}"
        );
    }

    #[test]
    fn an_expired_anchor_refuses_the_chains_it_issued_naming_the_anchor() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = maker_root_params();
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let root = params.self_signed(&key).unwrap().der().clone();
        let leaf = leaf_issued_by(params, key);
        let policy = TrustPolicy::builder()
            .anchors(anchors_of(&root))
            .build()
            .unwrap();
        let err = policy.check(&leaf, &[], UnixTime::now(), None).unwrap_err();
        assert_eq!(err.code(), codes::EXPIRED, "{err}");
        assert!(
            err.detail().starts_with("the trust anchor \"CN=Maker Root\" that issued the accessory's chain expired at 2001-01-01"),
            "{err}"
        );
    }

    #[test]
    fn a_renewed_anchor_beside_its_expired_predecessor_still_validates_the_chain() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = maker_root_params();
        let renewed = params.self_signed(&key).unwrap().der().clone();
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let expired = params.self_signed(&key).unwrap().der().clone();
        let leaf = leaf_issued_by(params, key);
        // Same name and key: webpki tries the expired one first, the check refuses that path, and
        // webpki goes on to the renewed one.
        let anchors = Anchors::from_certificates(vec![expired, renewed]).unwrap();
        let policy = TrustPolicy::builder().anchors(anchors).build().unwrap();
        policy.check(&leaf, &[], UnixTime::now(), None).unwrap();
    }

    #[test]
    fn a_ca_true_accessory_certificate_trusted_directly_cannot_vouch_for_another_accessory() {
        // What `openssl req -x509` makes: CA:TRUE, no keyUsage, a host name in the SAN.
        let key = rcgen::KeyPair::generate().unwrap();
        let params = accessory_params(true);
        let own = params.self_signed(&key).unwrap().der().clone();
        assert_eq!(AnchorRole::of_der(&own).0, AnchorRole::Endpoint);
        let policy = TrustPolicy::builder()
            .anchors(anchors_of(&own))
            .build()
            .unwrap();
        policy.check(&own, &[], UnixTime::now(), None).unwrap();
        let minted = leaf_issued_by(params, key);
        let err = policy
            .check(&minted, &[], UnixTime::now(), None)
            .unwrap_err();
        assert_eq!(err.code(), codes::ANCHOR_NOT_ISSUER, "{err}");
        assert!(err.detail().contains("DNS:acc-42.accessory.local"), "{err}");

        // A manufacturer root of the same shape without the host name issues.
        let key = rcgen::KeyPair::generate().unwrap();
        let root = maker_root_params().self_signed(&key).unwrap().der().clone();
        assert_eq!(AnchorRole::of_der(&root).0, AnchorRole::Issuer);
        let leaf = leaf_issued_by(maker_root_params(), key);
        TrustPolicy::builder()
            .anchors(anchors_of(&root))
            .build()
            .unwrap()
            .check(&leaf, &[], UnixTime::now(), None)
            .unwrap();
    }

    #[test]
    fn an_intermediate_whose_key_usage_lacks_key_cert_sign_is_refused() {
        let root_key = rcgen::KeyPair::generate().unwrap();
        let mut root_params = maker_root_params();
        root_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        let root = root_params.self_signed(&root_key).unwrap().der().clone();
        let root_issuer = rcgen::Issuer::new(root_params, root_key);
        let check = |usage: rcgen::KeyUsagePurpose| {
            let ica_key = rcgen::KeyPair::generate().unwrap();
            let mut ica = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            ica.distinguished_name
                .push(rcgen::DnType::CommonName, "Maker ICA");
            ica.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            ica.key_usages = vec![usage];
            let ica_der = ica.signed_by(&ica_key, &root_issuer).unwrap().der().clone();
            let leaf = leaf_issued_by(ica, ica_key);
            TrustPolicy::builder()
                .anchors(anchors_of(&root))
                .build()
                .unwrap()
                .check(&leaf, &[ica_der], UnixTime::now(), None)
        };
        let err = check(rcgen::KeyUsagePurpose::DigitalSignature).unwrap_err();
        assert_eq!(err.code(), codes::INVALID_PURPOSE, "{err}");
        assert!(
            err.detail().contains("the intermediate \"CN=Maker ICA\""),
            "{err}"
        );
        check(rcgen::KeyUsagePurpose::KeyCertSign).unwrap();
    }

    #[test]
    fn a_root_whose_eku_is_client_auth_only_is_refused_for_a_server() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = maker_root_params();
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let root = params.self_signed(&key).unwrap().der().clone();
        let leaf = leaf_issued_by(params, key);
        let err = TrustPolicy::builder()
            .anchors(anchors_of(&root))
            .build()
            .unwrap()
            .check(&leaf, &[], UnixTime::now(), None)
            .unwrap_err();
        assert_eq!(err.code(), codes::INVALID_PURPOSE, "{err}");
        assert!(err.detail().contains("\"CN=Maker Root\""), "{err}");
    }

    #[test]
    fn a_p521_key_is_accepted_at_every_level() {
        let p521 = || rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let key = p521();
        let root = maker_root_params().self_signed(&key).unwrap().der().clone();
        let issuer = rcgen::Issuer::new(maker_root_params(), key);
        let mut p =
            rcgen::CertificateParams::new(vec!["acc-43.accessory.local".to_owned()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "ACC-43");
        let leaf = p.signed_by(&p521(), &issuer).unwrap().der().clone();
        let observed = TrustPolicy::builder()
            .anchors(anchors_of(&root))
            .build()
            .unwrap()
            .check(&leaf, &[], UnixTime::now(), None)
            .unwrap();
        assert_eq!(observed.pin, Pin::of_certificate(&leaf).unwrap());
    }

    #[test]
    fn a_path_ending_at_an_anchor_that_is_not_ours_is_refused_not_accepted_unchecked() {
        let ours = self_signed(true, &[]);
        let theirs = self_signed(true, &[]);
        let anchors = anchors_of(&ours);
        let stranger = webpki::anchor_from_trusted_cert(&theirs).unwrap();
        let err = anchors.certificate_of(&stranger).unwrap_err();
        assert_eq!(err.code(), codes::UNKNOWN_ISSUER, "{err}");
        // Found by identity, not by equal contents: a copy of our own anchor is not ours either.
        let copy = webpki::anchor_from_trusted_cert(&ours).unwrap();
        assert!(anchors.certificate_of(&copy).is_err());
        let own = &anchors.trust_anchors()[0];
        assert_eq!(anchors.certificate_of(own).unwrap(), &ours);
    }

    #[test]
    fn a_device_id_matches_a_dns_san_only_in_the_accessory_domain() {
        let leaf = self_signed(
            false,
            &["dev-7.accessory.local", "dev-8.evil.example", "dev-9"],
        );
        let pin = Pin::of_certificate(&leaf).unwrap();
        let check = |id: &str| {
            TrustPolicy::builder()
                .pin(pin)
                .identity(Identity::DeviceId(id.into()))
                .build()
                .unwrap()
                .check(&leaf, &[], UnixTime::now(), None)
        };
        check("DEV-7").unwrap();
        check("acc-42").unwrap();
        for id in ["dev-8", "dev-9"] {
            assert_eq!(check(id).unwrap_err().code(), codes::WRONG_NAME, "{id}");
        }
    }

    #[test]
    fn a_policy_says_whether_it_trusts_on_first_use_and_what_it_recorded_as_a_tofu_value() {
        let leaf = self_signed(false, &["acc-42.accessory.local"]);
        let pin = Pin::of_certificate(&leaf).unwrap();
        let by_pin = TrustPolicy::builder().pin(pin).build().unwrap();
        assert_eq!(by_pin.tofu(), Tofu::Off);
        let first = TrustPolicy::builder().tofu(None).build().unwrap();
        assert_eq!(first.tofu(), Tofu::Unrecorded);
        assert_eq!(first.mode(), "tofu-first-use");
        let recorded = TrustPolicy::builder().tofu(Some(pin)).build().unwrap();
        assert_eq!(recorded.tofu(), Tofu::Recorded(pin));
        assert_eq!(recorded.mode(), "tofu");
    }

    #[test]
    fn without_an_identity_the_connections_name_is_checked_with_anchors_and_not_by_a_pin() {
        let leaf = self_signed(false, &["acc-42.accessory.local"]);
        let pin = Pin::of_certificate(&leaf).unwrap();
        let loopback = ServerName::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]).into());
        let now = UnixTime::now();
        let by_pin = TrustPolicy::builder().pin(pin).build().unwrap();
        by_pin.check(&leaf, &[], now, Some(&loopback)).unwrap();
        let first_use = TrustPolicy::builder().tofu(None).build().unwrap();
        first_use.check(&leaf, &[], now, Some(&loopback)).unwrap();

        let pin_and_ip = TrustPolicy::builder()
            .pin(pin)
            .identity(Identity::Ip([127, 0, 0, 1].into()))
            .build()
            .unwrap();
        let err = pin_and_ip
            .check(&leaf, &[], now, Some(&loopback))
            .unwrap_err();
        assert_eq!(err.code(), codes::WRONG_NAME);
        let by_anchor = TrustPolicy::builder()
            .anchors(anchors_of(&leaf))
            .build()
            .unwrap();
        let err = by_anchor
            .check(&leaf, &[], now, Some(&loopback))
            .unwrap_err();
        assert_eq!(err.code(), codes::WRONG_NAME);
        let by_name = ServerName::try_from("acc-42.accessory.local").unwrap();
        by_anchor.check(&leaf, &[], now, Some(&by_name)).unwrap();
    }

    #[test]
    fn pin_mode_reports_dates_without_enforcing_them_and_a_changed_key_is_named_by_mode() {
        let leaf = self_signed(false, &["acc-42.accessory.local"]);
        let pin = Pin::of_certificate(&leaf).unwrap();
        let before_rcgen_validity = UnixTime::since_unix_epoch(std::time::Duration::ZERO);
        let by_pin = TrustPolicy::builder().pin(pin).build().unwrap();
        let seen = by_pin
            .check(&leaf, &[], before_rcgen_validity, None)
            .unwrap();
        assert_eq!(seen.notes[0].code, codes::NOT_YET_VALID);

        let other = self_signed(false, &["acc-42.accessory.local"]);
        let err = by_pin
            .check(&other, &[], UnixTime::now(), None)
            .unwrap_err();
        assert_eq!(err.code(), codes::PIN_MISMATCH);
        let tofu = TrustPolicy::builder().tofu(Some(pin)).build().unwrap();
        let err = tofu.check(&other, &[], UnixTime::now(), None).unwrap_err();
        assert_eq!(err.code(), codes::KEY_CHANGED);
        let first = TrustPolicy::builder().tofu(None).build().unwrap();
        assert!(
            first
                .check(&other, &[], UnixTime::now(), None)
                .unwrap()
                .first_use
        );
    }

    #[test]
    fn rsa_modulus_bits_ignore_the_sign_byte() {
        assert_eq!(rsa_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(rsa_bits(&[0x01, 0x00]), 9);
        assert_eq!(rsa_bits(&[0u8; 4]), 0);
    }
}
