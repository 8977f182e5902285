//! `Diagnosis`: every refusal and failure, explained to the person who has to fix it.
//!
//! A diagnosis has a stable code (scripts, the ledger and field reports match on it), what
//! happened, the likely cause, the fix, and the names other platforms give the same failure, so a
//! firmware team holding an iOS log line (`errSSLPeerBadCert -9825`) or an Android stack trace can
//! find it here. [`CATALOGUE`] lists every code; the CLI and the README print their tables from it.
//!
//! Apple names are SecureTransport's `errSSL…` constants (Network.framework and URLSession still
//! report them), or `NSURLError…`/POSIX names for failures below TLS. Where an ATS rule is what an
//! iPhone trips over, the `errSSLATS…` name is given.

use std::fmt;
use std::io;

use rustls::{AlertDescription, CertificateError, PeerIncompatible};
use serde::Serialize;

use crate::error::{Error, Refusal};

/// The stable codes, as constants, for code that produces them.
pub mod codes {
    #![allow(missing_docs)]
    pub const EXPIRED: &str = "cert.expired";
    pub const NOT_YET_VALID: &str = "cert.not_yet_valid";
    pub const WRONG_NAME: &str = "cert.wrong_name";
    pub const UNKNOWN_ISSUER: &str = "cert.unknown_issuer";
    pub const CA_USED_AS_END_ENTITY: &str = "cert.ca_used_as_end_entity";
    pub const END_ENTITY_USED_AS_CA: &str = "cert.end_entity_used_as_ca";
    pub const INVALID_PURPOSE: &str = "cert.invalid_purpose";
    pub const UNSUPPORTED_CRITICAL_EXTENSION: &str = "cert.unsupported_critical_extension";
    pub const WEAK_SIGNATURE: &str = "cert.weak_signature";
    pub const WEAK_KEY: &str = "cert.weak_key";
    pub const UNSUPPORTED_KEY: &str = "cert.unsupported_key";
    pub const ANCHOR_NOT_ISSUER: &str = "cert.anchor_not_issuer";
    pub const BAD_SIGNATURE: &str = "cert.bad_signature";
    pub const BAD_ENCODING: &str = "cert.bad_encoding";
    pub const NAME_CONSTRAINT_VIOLATION: &str = "cert.name_constraint_violation";
    pub const PATH_LEN_EXCEEDED: &str = "cert.path_len_exceeded";
    pub const PATH_TOO_COMPLEX: &str = "cert.path_too_complex";
    pub const REVOKED: &str = "cert.revoked";
    pub const NONE_PRESENTED: &str = "cert.none_presented";
    pub const CERT_OTHER: &str = "cert.other";
    pub const PIN_MISMATCH: &str = "cert.pin_mismatch";
    pub const KEY_CHANGED: &str = "tofu.key_changed";
    pub const CAPTURED: &str = "capture.refused";
    pub const BAD_HANDSHAKE_SIGNATURE: &str = "tls.bad_handshake_signature";
    pub const NO_COMMON_VERSION: &str = "tls.no_common_version";
    pub const INCOMPATIBLE: &str = "tls.incompatible";
    pub const PEER_MISBEHAVED: &str = "tls.peer_misbehaved";
    pub const NOT_TLS: &str = "tls.not_tls";
    pub const TLS_OTHER: &str = "tls.other";
    pub const PEER_ALERT_UNKNOWN: &str = "tls.peer_alert.unknown";
    pub const NO_ROUTE: &str = "net.no_route";
    pub const NET_UNREACHABLE: &str = "net.unreachable";
    pub const REFUSED: &str = "net.refused";
    pub const RESET: &str = "net.reset";
    pub const CLOSED: &str = "net.closed";
    pub const TIMEOUT: &str = "net.timeout";
    pub const NET_OTHER: &str = "net.other";
}

/// The name Apple's platforms give a failure: `errSSLPeerBadCert`, -9825.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApplePlatformName {
    /// The constant's name.
    pub name: &'static str,
    /// Its value (an `OSStatus`, an `NSURLError` code, or a POSIX errno on Apple platforms).
    pub number: i32,
}

/// An explained failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The stable code, e.g. `cert.expired`.
    pub code: &'static str,
    /// What happened, in one sentence.
    pub summary: &'static str,
    /// The likely cause.
    pub cause: &'static str,
    /// What to do about it.
    pub fix: &'static str,
    /// What Apple's platforms call it.
    pub apple: Option<ApplePlatformName>,
    /// What Android (Conscrypt/OkHttp) reports.
    pub android: Option<&'static str>,
    /// The specifics of this occurrence (dates, names, pins); empty in the catalogue.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Apple's name and number for a failure, for a catalogue entry.
pub const fn apple(name: &'static str, number: i32) -> Option<ApplePlatformName> {
    Some(ApplePlatformName { name, number })
}

/// A catalogue entry: a diagnosis with no occurrence detail. Other crates' catalogues (the
/// provisioning flow's `accessory.*` codes) are built with it too.
pub const fn entry(
    code: &'static str,
    summary: &'static str,
    cause: &'static str,
    fix: &'static str,
    apple: Option<ApplePlatformName>,
    android: Option<&'static str>,
) -> Diagnosis {
    Diagnosis {
        code,
        summary,
        cause,
        fix,
        apple,
        android,
        detail: String::new(),
    }
}

macro_rules! alert {
    ($name:literal, $apple:expr, $boring:literal, $summary:expr, $cause:expr, $fix:expr) => {
        entry(
            concat!("tls.peer_alert.", $name),
            $summary,
            $cause,
            $fix,
            $apple,
            Some(concat!(
                "javax.net.ssl.SSLHandshakeException: … SSL routines:OPENSSL_internal:",
                $boring
            )),
        )
    };
    ($name:literal, $apple:expr, $boring:literal) => {
        alert!(
            $name,
            $apple,
            $boring,
            concat!("the accessory ended the handshake with the alert ", $name),
            "the accessory's TLS stack objected to something in our handshake; small embedded stacks often send a generic alert for anything they cannot handle",
            "read the accessory's TLS log for the reason; try `accessory probe` to see which client profiles it accepts"
        )
    };
}

const GENERIC_FIX: &str = "run `accessory trust verify` on the chain for details";

/// Every code this crate produces, with its explanation.
pub static CATALOGUE: &[Diagnosis] = &[
    entry(codes::EXPIRED, "the accessory's certificate has expired",
        "the certificate's notAfter is in the past, or the checking device's clock is wrong (accessories without an RTC often boot in 1970 or 2000)",
        "reissue the certificate; check the clock of the device doing the check",
        apple("errSSLCertExpired", -9814),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: … CertificateExpiredException")),
    entry(codes::NOT_YET_VALID, "the accessory's certificate is not valid yet",
        "the certificate's notBefore is in the future: minted with a wrong clock, or the checking device's clock is behind",
        "check both clocks; reissue the certificate with a notBefore in the past",
        apple("errSSLCertNotYetValid", -9815),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: … CertificateNotYetValidException")),
    entry(codes::WRONG_NAME, "the certificate does not name the accessory we meant to reach",
        "the certificate names another device (a swapped unit, a copied certificate, a man in the middle), or names it only where this check does not look (an IP in the CN instead of an iPAddress SAN)",
        "check the device id on the label; mint certificates that name the device id in the CN, serialNumber and a DNS SAN, and the IP in an iPAddress SAN",
        apple("errSSLHostNameMismatch", -9843),
        Some("javax.net.ssl.SSLPeerUnverifiedException: Hostname 192.168.4.1 not verified")),
    entry(codes::UNKNOWN_ISSUER, "the certificate does not chain to a trusted anchor",
        "the issuing root is not among the anchors given, an intermediate is missing from what the accessory sends, or the certificate is self-signed and not itself an anchor",
        "add the manufacturer root with `accessory trust add`, make the accessory send its intermediates, or pin the key instead",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: Trust anchor for certification path not found.")),
    entry(codes::CA_USED_AS_END_ENTITY, "the accessory presents a CA certificate as its own",
        "the leaf says CA:TRUE (what `openssl req -x509` makes by default) and is not itself a trusted anchor",
        "mint a leaf with basicConstraints CA:FALSE signed by the CA, or trust this exact certificate as an anchor",
        apple("errSSLBadCert", -9808),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException")),
    entry(codes::END_ENTITY_USED_AS_CA, "a certificate that is not a CA issued another",
        "an intermediate in the chain lacks basicConstraints CA:TRUE",
        "reissue the intermediate as a CA",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException")),
    entry(codes::INVALID_PURPOSE, "the certificate is not meant for TLS servers",
        "its extendedKeyUsage lacks serverAuth (e.g. clientAuth only)",
        "reissue with extendedKeyUsage serverAuth",
        apple("errSSLBadCert", -9808),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException: … extended key usage does not permit use for TLS server authentication")),
    entry(codes::UNSUPPORTED_CRITICAL_EXTENSION, "the certificate has a critical extension no verifier understands",
        "an extension marked critical that verifiers must refuse when they do not know it",
        "reissue without marking the extension critical",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: … unrecognized critical extension")),
    entry(codes::WEAK_SIGNATURE, "the certificate is signed with an algorithm no longer trusted",
        "a SHA-1 (or MD5) signature, refused by every current platform",
        "reissue with SHA-256 or better",
        apple("errSSLATSCertificateHashAlgorithmViolation", -9885),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: Algorithm constraints check failed on signature algorithm: SHA1withRSA")),
    entry(codes::WEAK_KEY, "the accessory's key is too weak to be trusted",
        "an RSA key shorter than 2048 bits: its handshake signature cannot be verified by any current client",
        "generate an ECDSA P-256 or RSA-2048 key and reissue",
        apple("errSSLATSMinimumKeySizeViolation", -9883),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: Algorithm constraints check failed on keysize limits")),
    entry(codes::UNSUPPORTED_KEY, "the accessory's key is of a type no TLS client here can verify",
        "a key type or elliptic curve outside the TLS provider's signature algorithms (secp256k1, brainpoolP256r1, DSA…): the handshake signature could not be checked, so the connection would fail",
        "generate an ECDSA P-256, P-384, P-521, Ed25519 or RSA-2048+ key and reissue",
        apple("errSSLBadCert", -9808),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException")),
    entry(codes::ANCHOR_NOT_ISSUER, "the chain ends at an anchor that is an accessory's own certificate",
        "an anchor that names a host (subjectAltName), is not a CA, lacks keyCertSign or is a server's certificate (serverAuth EKU) authenticates that one accessory by direct trust and never issues; a certificate signed by its key is another device vouched for by a device",
        "trust the manufacturer's CA (`accessory trust add maker-root.pem`), or this accessory's own certificate or key (pin)",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: Trust anchor for certification path not found.")),
    entry(codes::BAD_SIGNATURE, "a signature in the certificate chain does not verify",
        "a certificate was altered, or an intermediate with the same name but another key was sent",
        "send the right intermediates; reissue the certificate",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: signature check failed")),
    entry(codes::BAD_ENCODING, "the certificate is malformed",
        "DER that violates X.509 (bad times, bad extensions, trailing data)",
        "reissue the certificate with a standard tool; `accessory trust inspect` shows what parses",
        apple("errSSLBadCert", -9808),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateParsingException")),
    entry(codes::NAME_CONSTRAINT_VIOLATION, "the certificate names something its CA may not vouch for",
        "the CA carries name constraints that exclude the leaf's names",
        "reissue under a CA allowed to name the device, or correct the constraints",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: name constraints")),
    entry(codes::PATH_LEN_EXCEEDED, "the chain is longer than its CAs allow",
        "a pathLenConstraint is exceeded, or the chain is deeper than a verifier accepts",
        "shorten the chain or fix the constraint",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: path length constraint")),
    entry(codes::PATH_TOO_COMPLEX, "building a path through the chain took too much work",
        "many candidate intermediates or name constraints (an attack, or a badly assembled chain)",
        "send only the intermediates needed, in order",
        apple("errSSLXCertChainInvalid", -9807),
        None),
    entry(codes::REVOKED, "the certificate has been revoked",
        "its issuer says it must not be used",
        "reissue the certificate",
        apple("errSSLXCertChainInvalid", -9807),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: Certificate has been revoked")),
    entry(codes::NONE_PRESENTED, "the accessory sent no certificate",
        "its TLS stack is misconfigured (no certificate loaded)",
        "load the certificate into the accessory's TLS server",
        apple("errSSLBadCert", -9808),
        Some("javax.net.ssl.SSLPeerUnverifiedException: No peer certificate")),
    entry(codes::CERT_OTHER, "the certificate was refused",
        "a certificate problem without a more precise name",
        GENERIC_FIX,
        apple("errSSLBadCert", -9808),
        Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException")),
    entry(codes::PIN_MISMATCH, "the accessory's key is not the pinned key",
        "the accessory has a new key (reflashed, replaced, rotated), or something else is answering at its address",
        "if the key change is expected, record the new pin (`accessory trust pin`); otherwise treat it as an attack and send nothing",
        apple("NSURLErrorCancelled", -999),
        Some("javax.net.ssl.SSLPeerUnverifiedException: Certificate pinning failure!")),
    entry(codes::KEY_CHANGED, "WARNING: the accessory's key has changed since it was first seen",
        "the accessory was reflashed or replaced, or someone is impersonating it (as SSH warns: REMOTE HOST IDENTIFICATION HAS CHANGED)",
        "confirm with the device's label or QR fingerprint; if the change is legitimate, forget the old record in the ledger and pair again",
        apple("NSURLErrorCancelled", -999),
        Some("javax.net.ssl.SSLPeerUnverifiedException: Certificate pinning failure!")),
    entry(codes::CAPTURED, "the chain was captured, and (by design) not trusted",
        "a capturing verifier never accepts: it records what the peer presents so it can be inspected or pinned",
        "inspect the captured chain; connect again with a pin or anchors",
        None,
        None),
    entry(codes::BAD_HANDSHAKE_SIGNATURE, "the accessory could not prove it holds the certificate's key",
        "the handshake signature does not verify with the certificate's public key: a genuine certificate served with another key (a man in the middle), or a key/certificate mix-up on the accessory",
        "check that the accessory's key matches its certificate; if it does, treat this as an attack",
        apple("errSSLCrypto", -9809),
        Some("javax.net.ssl.SSLHandshakeException: … SSL routines:OPENSSL_internal:BAD_SIGNATURE")),
    entry(codes::NO_COMMON_VERSION, "the accessory and this client share no TLS version",
        "the accessory speaks only TLS 1.0/1.1 (or SSL); TLS 1.2 is the floor here and on every current phone",
        "update the accessory's TLS stack to TLS 1.2 or 1.3",
        apple("errSSLPeerProtocolVersion", -9836),
        Some("javax.net.ssl.SSLHandshakeException: … SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL")),
    entry(codes::INCOMPATIBLE, "the accessory and this client share no usable parameters",
        "no common cipher suite, group or signature scheme",
        "enable ECDHE with AES-GCM or ChaCha20 and ECDSA/RSA-PSS signatures on the accessory; `accessory probe` shows what it offers",
        apple("errSSLNegotiation", -9801),
        Some("javax.net.ssl.SSLHandshakeException: … NO_SHARED_CIPHER")),
    entry(codes::PEER_MISBEHAVED, "the accessory broke the TLS protocol",
        "a TLS stack bug or a non-TLS service",
        "capture the handshake (`accessory probe`) and report it to the TLS stack's maintainers",
        apple("errSSLProtocol", -9800),
        Some("javax.net.ssl.SSLProtocolException")),
    entry(codes::NOT_TLS, "the accessory did not answer in TLS",
        "plain HTTP on the TLS port, or a different service",
        "check the port; make the accessory serve HTTPS there",
        apple("errSSLProtocol", -9800),
        Some("javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?")),
    entry(codes::TLS_OTHER, "the TLS handshake failed",
        "a TLS failure without a more precise name",
        GENERIC_FIX,
        apple("errSSLProtocol", -9800),
        Some("javax.net.ssl.SSLHandshakeException")),
    entry(codes::NO_ROUTE, "no route to the accessory",
        "the SoftAP was left or not joined yet, the link flapped, or the interface has no address on the accessory's subnet (EHOSTUNREACH)",
        "join the accessory's SoftAP again and wait for an address; retry within the deadline",
        apple("EHOSTUNREACH", 65),
        Some("java.net.NoRouteToHostException: No route to host")),
    entry(codes::NET_UNREACHABLE, "the accessory's network is unreachable",
        "no interface is up on a network that leads to the accessory (ENETUNREACH)",
        "join the accessory's SoftAP; check the interface",
        apple("ENETUNREACH", 51),
        Some("java.net.ConnectException: failed to connect … ENETUNREACH (Network is unreachable)")),
    entry(codes::REFUSED, "the accessory refused the connection",
        "nothing listens on that port yet (still booting), or the port is wrong",
        "wait for the accessory to boot and retry; check the port",
        apple("NSURLErrorCannotConnectToHost", -1004),
        Some("java.net.ConnectException: failed to connect … ECONNREFUSED (Connection refused)")),
    entry(codes::RESET, "the accessory reset the connection",
        "the accessory's TLS stack gave up (often on a ClientHello too large for its buffer, as with the post-quantum key share), or it rebooted",
        "try `accessory probe` to see which ClientHello sizes it accepts; enlarge its receive buffer",
        apple("errSSLClosedAbort", -9806),
        Some("java.net.SocketException: Connection reset")),
    entry(codes::CLOSED, "the accessory closed the connection during the handshake",
        "its TLS stack gave up without an alert (a ClientHello it cannot read, an unsupported version)",
        "try `accessory probe` to see which client profiles it accepts",
        apple("errSSLClosedNoNotify", -9816),
        Some("javax.net.ssl.SSLHandshakeException: Connection closed by peer")),
    entry(codes::TIMEOUT, "the accessory did not answer in time",
        "it is busy, stalled, or out of range; or the link dropped without a reset",
        "retry; move closer; check that the accessory is in setup mode",
        apple("NSURLErrorTimedOut", -1001),
        Some("java.net.SocketTimeoutException: timeout")),
    entry(codes::NET_OTHER, "the connection to the accessory failed",
        "a network failure without a more precise name",
        "check the link to the accessory",
        apple("NSURLErrorNetworkConnectionLost", -1005),
        Some("java.net.SocketException")),
    alert!("close_notify", apple("errSSLClosedGraceful", -9805), "SSLV3_ALERT_CLOSE_NOTIFY",
        "the accessory closed the connection during the handshake",
        "its TLS stack gave up politely: often a ClientHello it cannot read, or a missing feature",
        "try `accessory probe` to see which client profiles it accepts"),
    alert!("unexpected_message", apple("errSSLPeerUnexpectedMsg", -9819), "SSLV3_ALERT_UNEXPECTED_MESSAGE"),
    alert!("bad_record_mac", apple("errSSLPeerBadRecordMac", -9820), "SSLV3_ALERT_BAD_RECORD_MAC"),
    alert!("decryption_failed", apple("errSSLPeerDecryptionFail", -9821), "TLSV1_ALERT_DECRYPTION_FAILED"),
    alert!("record_overflow", apple("errSSLPeerRecordOverflow", -9822), "TLSV1_ALERT_RECORD_OVERFLOW",
        "the accessory said a record was too large for it",
        "a small TLS stack with a small receive buffer: a large ClientHello (the post-quantum key share makes it ~1.5 KB) overflows it",
        "enlarge the accessory's TLS input buffer (e.g. MBEDTLS_SSL_IN_CONTENT_LEN), or support record_size_limit"),
    alert!("decompression_failure", apple("errSSLPeerDecompressFail", -9823), "SSLV3_ALERT_DECOMPRESSION_FAILURE"),
    alert!("handshake_failure", apple("errSSLPeerHandshakeFail", -9824), "SSLV3_ALERT_HANDSHAKE_FAILURE",
        "the accessory refused the handshake (handshake_failure)",
        "no common cipher suite, group or signature scheme; or a stack that cannot read a large ClientHello answers this way",
        "compare what the accessory supports with modern clients (`accessory probe`); enable ECDHE-ECDSA with AES-GCM"),
    alert!("no_certificate", None, "SSLV3_ALERT_NO_CERTIFICATE"),
    alert!("bad_certificate", apple("errSSLPeerBadCert", -9825), "SSLV3_ALERT_BAD_CERTIFICATE",
        "the accessory sent the alert bad_certificate",
        "the accessory objected to a certificate: it requires a client certificate we did not send or it did not like, or (iOS 26 field reports) its stack answers bad_certificate to a ClientHello it cannot parse",
        "check whether the accessory requires a client certificate; try `accessory probe` with the ios26 and ios18 profiles to compare"),
    alert!("unsupported_certificate", apple("errSSLPeerUnsupportedCert", -9826), "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE"),
    alert!("certificate_revoked", apple("errSSLPeerCertRevoked", -9827), "SSLV3_ALERT_CERTIFICATE_REVOKED"),
    alert!("certificate_expired", apple("errSSLPeerCertExpired", -9828), "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
    alert!("certificate_unknown", apple("errSSLPeerCertUnknown", -9829), "SSLV3_ALERT_CERTIFICATE_UNKNOWN"),
    alert!("illegal_parameter", apple("errSSLIllegalParam", -9830), "SSLV3_ALERT_ILLEGAL_PARAMETER"),
    alert!("unknown_ca", apple("errSSLPeerUnknownCA", -9831), "TLSV1_ALERT_UNKNOWN_CA"),
    alert!("access_denied", apple("errSSLPeerAccessDenied", -9832), "TLSV1_ALERT_ACCESS_DENIED"),
    alert!("decode_error", apple("errSSLPeerDecodeError", -9833), "TLSV1_ALERT_DECODE_ERROR",
        "the accessory could not decode our handshake (decode_error)",
        "a small TLS stack that cannot parse a large or unfamiliar ClientHello (post-quantum key share, many extensions)",
        "update the accessory's TLS stack; `accessory probe` shows which ClientHello it accepts"),
    alert!("decrypt_error", apple("errSSLPeerDecryptError", -9834), "TLSV1_ALERT_DECRYPT_ERROR"),
    alert!("export_restriction", apple("errSSLPeerExportRestriction", -9835), "TLSV1_ALERT_EXPORT_RESTRICTION"),
    alert!("protocol_version", apple("errSSLPeerProtocolVersion", -9836), "TLSV1_ALERT_PROTOCOL_VERSION",
        "the accessory refused our TLS version (protocol_version)",
        "the accessory speaks only TLS 1.0/1.1, or only TLS 1.3 when the client offers less",
        "enable TLS 1.2 and 1.3 on the accessory"),
    alert!("insufficient_security", apple("errSSLPeerInsufficientSecurity", -9837), "TLSV1_ALERT_INSUFFICIENT_SECURITY"),
    alert!("internal_error", apple("errSSLPeerInternalError", -9838), "TLSV1_ALERT_INTERNAL_ERROR",
        "the accessory failed internally during the handshake (internal_error)",
        "out of memory on a small device (a large ClientHello or key share), or a TLS stack bug",
        "check the accessory's heap during the handshake; `accessory probe` shows which client profiles it survives"),
    alert!("inappropriate_fallback", apple("errSSLInappropriateFallback", -9860), "TLSV1_ALERT_INAPPROPRIATE_FALLBACK"),
    alert!("user_canceled", apple("errSSLPeerUserCancelled", -9839), "TLSV1_ALERT_USER_CANCELLED"),
    alert!("no_renegotiation", apple("errSSLPeerNoRenegotiation", -9840), "TLSV1_ALERT_NO_RENEGOTIATION"),
    alert!("missing_extension", apple("errSSLMissingExtension", -9861), "TLSV1_ALERT_MISSING_EXTENSION"),
    alert!("unsupported_extension", apple("errSSLUnsupportedExtension", -9855), "TLSV1_ALERT_UNSUPPORTED_EXTENSION"),
    alert!("certificate_unobtainable", None, "TLSV1_ALERT_CERTIFICATE_UNOBTAINABLE"),
    alert!("unrecognized_name", apple("errSSLUnrecognizedName", -9865), "TLSV1_ALERT_UNRECOGNIZED_NAME"),
    alert!("bad_certificate_status_response", apple("errSSLBadCertificateStatusResponse", -9862), "TLSV1_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE"),
    alert!("bad_certificate_hash_value", None, "TLSV1_ALERT_BAD_CERTIFICATE_HASH_VALUE"),
    alert!("unknown_psk_identity", apple("errSSLUnknownPSKIdentity", -9864), "TLSV1_ALERT_UNKNOWN_PSK_IDENTITY"),
    alert!("certificate_required", apple("errSSLCertificateRequired", -9863), "TLSV1_ALERT_CERTIFICATE_REQUIRED",
        "the accessory requires a client certificate",
        "the accessory is configured for mutual TLS and this client sent none",
        "provision with the client certificate the accessory expects, or turn off client authentication on it"),
    alert!("no_application_protocol", None, "TLSV1_ALERT_NO_APPLICATION_PROTOCOL"),
    alert!("encrypted_client_hello_required", None, "TLSV1_ALERT_ECH_REQUIRED"),
    entry(codes::PEER_ALERT_UNKNOWN, "the accessory ended the handshake with an alert this tool does not know",
        "a non-standard alert number",
        "read the accessory's TLS log",
        apple("errSSLFatalAlert", -9802),
        None),
];

/// Alert numbers (RFC 8446 §6 and the IANA registry) and the names in our codes.
const ALERT_NAMES: &[(u8, &str)] = &[
    (0, "close_notify"),
    (10, "unexpected_message"),
    (20, "bad_record_mac"),
    (21, "decryption_failed"),
    (22, "record_overflow"),
    (30, "decompression_failure"),
    (40, "handshake_failure"),
    (41, "no_certificate"),
    (42, "bad_certificate"),
    (43, "unsupported_certificate"),
    (44, "certificate_revoked"),
    (45, "certificate_expired"),
    (46, "certificate_unknown"),
    (47, "illegal_parameter"),
    (48, "unknown_ca"),
    (49, "access_denied"),
    (50, "decode_error"),
    (51, "decrypt_error"),
    (60, "export_restriction"),
    (70, "protocol_version"),
    (71, "insufficient_security"),
    (80, "internal_error"),
    (86, "inappropriate_fallback"),
    (90, "user_canceled"),
    (100, "no_renegotiation"),
    (109, "missing_extension"),
    (110, "unsupported_extension"),
    (111, "certificate_unobtainable"),
    (112, "unrecognized_name"),
    (113, "bad_certificate_status_response"),
    (114, "bad_certificate_hash_value"),
    (115, "unknown_psk_identity"),
    (116, "certificate_required"),
    (120, "no_application_protocol"),
    (121, "encrypted_client_hello_required"),
];

impl Diagnosis {
    /// The catalogue entry for `code`, if there is one.
    pub fn lookup(code: &str) -> Option<&'static Diagnosis> {
        CATALOGUE.iter().find(|d| d.code == code)
    }

    /// The catalogue entry for `code` with `detail` attached (an unknown code gets the generic
    /// TLS entry with that code's name in the detail, so nothing is lost).
    pub fn for_code(code: &str, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        let mut d = match Self::lookup(code) {
            Some(d) => d.clone(),
            None => {
                detail = format!("{code}: {detail}");
                Self::lookup(codes::TLS_OTHER).cloned().unwrap_or_else(|| {
                    entry(
                        codes::TLS_OTHER,
                        "the TLS handshake failed",
                        "",
                        "",
                        None,
                        None,
                    )
                })
            }
        };
        d.detail = detail;
        d
    }

    /// The diagnosis of a refusal.
    pub fn from_refusal(r: &Refusal) -> Self {
        Self::for_code(r.code(), r.detail())
    }

    /// The diagnosis of a socket error: refused, no route, reset, timeout, or a rustls error that
    /// tokio-rustls carried inside an `io::Error`.
    pub fn from_io(e: &io::Error) -> Self {
        if let Some(inner) = e.get_ref() {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return diagnose(tls);
            }
            if let Some(ours) = inner.downcast_ref::<Error>() {
                return Self::from_error(ours);
            }
        }
        let code = match (e.kind(), e.raw_os_error()) {
            (io::ErrorKind::ConnectionRefused, _) => codes::REFUSED,
            (io::ErrorKind::HostUnreachable, _) => codes::NO_ROUTE,
            (io::ErrorKind::NetworkUnreachable, _) => codes::NET_UNREACHABLE,
            (_, Some(EHOSTUNREACH)) => codes::NO_ROUTE,
            (_, Some(ENETUNREACH)) => codes::NET_UNREACHABLE,
            (io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted, _)
            | (io::ErrorKind::BrokenPipe, _) => codes::RESET,
            (io::ErrorKind::UnexpectedEof, _) => codes::CLOSED,
            (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, _) => codes::TIMEOUT,
            _ => codes::NET_OTHER,
        };
        Self::for_code(code, e.to_string())
    }

    /// The diagnosis of this crate's error (a refusal, or the error's own code).
    pub fn from_error(e: &Error) -> Self {
        match e {
            Error::Refused(r) => Self::from_refusal(r),
            other => Self::for_code(other.code(), other.to_string()),
        }
    }

    /// The diagnosis of any error: walks the `source()` chain for an `io::Error`, a rustls error
    /// or one of ours.
    pub fn from_any(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut cur = Some(e);
        while let Some(err) = cur {
            if let Some(tls) = err.downcast_ref::<rustls::Error>() {
                return diagnose(tls);
            }
            if let Some(ours) = err.downcast_ref::<Error>() {
                return Self::from_error(ours);
            }
            if let Some(r) = err.downcast_ref::<Refusal>() {
                return Self::from_refusal(r);
            }
            if let Some(io) = err.downcast_ref::<io::Error>() {
                return Self::from_io(io);
            }
            cur = err.source();
        }
        Self::for_code(codes::TLS_OTHER, e.to_string())
    }
}

#[cfg(target_vendor = "apple")]
const EHOSTUNREACH: i32 = 65;
#[cfg(not(target_vendor = "apple"))]
const EHOSTUNREACH: i32 = 113;
#[cfg(target_vendor = "apple")]
const ENETUNREACH: i32 = 51;
#[cfg(not(target_vendor = "apple"))]
const ENETUNREACH: i32 = 101;

impl fmt::Display for Diagnosis {
    /// `{}`: one line, `code: summary (detail)`. `{:#}`: adds cause, fix and platform names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.summary)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        if f.alternate() {
            write!(f, "\n  likely cause: {}\n  fix: {}", self.cause, self.fix)?;
            if let Some(a) = &self.apple {
                write!(f, "\n  Apple: {} ({})", a.name, a.number)?;
            }
            if let Some(a) = self.android {
                write!(f, "\n  Android: {a}")?;
            }
        }
        Ok(())
    }
}

/// Explains a rustls error: a refusal from this crate's verifiers, webpki's and rustls's own
/// certificate errors, peer alerts, version and protocol failures.
pub fn diagnose(e: &rustls::Error) -> Diagnosis {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(CertificateError::Other(other)) => from_other(&other.0),
        E::InvalidCertificate(c) => {
            Diagnosis::for_code(code_of_certificate_error(c), e.to_string())
        }
        E::AlertReceived(a) => Diagnosis::for_code(&alert_code(*a), e.to_string()),
        E::PeerIncompatible(p) => {
            let code = match p {
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::SupportedVersionsExtensionRequired
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                | PeerIncompatible::Tls13RequiredForQuic => codes::NO_COMMON_VERSION,
                _ => codes::INCOMPATIBLE,
            };
            Diagnosis::for_code(code, e.to_string())
        }
        E::PeerMisbehaved(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => {
            Diagnosis::for_code(codes::PEER_MISBEHAVED, e.to_string())
        }
        E::InvalidMessage(_) => Diagnosis::for_code(codes::NOT_TLS, e.to_string()),
        E::NoCertificatesPresented => Diagnosis::for_code(codes::NONE_PRESENTED, e.to_string()),
        E::Other(other) => from_other(&other.0),
        _ => Diagnosis::for_code(codes::TLS_OTHER, e.to_string()),
    }
}

fn from_other(err: &std::sync::Arc<dyn std::error::Error + Send + Sync>) -> Diagnosis {
    let err: &(dyn std::error::Error + 'static) = err.as_ref();
    if let Some(ours) = err.downcast_ref::<Error>() {
        return Diagnosis::from_error(ours);
    }
    if let Some(r) = err.downcast_ref::<Refusal>() {
        return Diagnosis::from_refusal(r);
    }
    if let Some(w) = err.downcast_ref::<webpki::Error>() {
        return Diagnosis::from_refusal(&refusal_from_webpki(w));
    }
    Diagnosis::for_code(codes::CERT_OTHER, err.to_string())
}

/// The RFC name of an alert number (`bad_certificate` for 42), from the IANA registry; `None` for
/// an unassigned number. The one table of alert names: the codes below and `probe` use it.
pub fn alert_name(number: u8) -> Option<&'static str> {
    ALERT_NAMES
        .iter()
        .find(|(num, _)| *num == number)
        .map(|(_, name)| *name)
}

/// The code of a peer alert: `tls.peer_alert.<name>`.
pub fn alert_code(a: AlertDescription) -> String {
    match alert_name(u8::from(a)) {
        Some(name) => format!("tls.peer_alert.{name}"),
        None => codes::PEER_ALERT_UNKNOWN.to_owned(),
    }
}

#[allow(deprecated)]
fn code_of_certificate_error(c: &CertificateError) -> &'static str {
    use CertificateError as C;
    match c {
        C::BadEncoding => codes::BAD_ENCODING,
        C::Expired | C::ExpiredContext { .. } => codes::EXPIRED,
        C::NotValidYet | C::NotValidYetContext { .. } => codes::NOT_YET_VALID,
        C::Revoked => codes::REVOKED,
        C::UnknownIssuer => codes::UNKNOWN_ISSUER,
        C::BadSignature => codes::BAD_SIGNATURE,
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => codes::WEAK_SIGNATURE,
        C::NotValidForName | C::NotValidForNameContext { .. } => codes::WRONG_NAME,
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => codes::INVALID_PURPOSE,
        _ => codes::CERT_OTHER,
    }
}

/// Maps webpki's verdict to ours (rustls folds several of these, `CaUsedAsEndEntity` and
/// `UnsupportedCriticalExtension` among them, into an opaque `Other`; we keep them apart).
pub(crate) fn refusal_from_webpki(e: &webpki::Error) -> Refusal {
    use webpki::Error as W;
    #[allow(deprecated)]
    let code = match e {
        W::CertExpired { .. } => codes::EXPIRED,
        W::CertNotValidYet { .. } => codes::NOT_YET_VALID,
        W::CertNotValidForName(_) | W::UnsupportedNameType => codes::WRONG_NAME,
        W::UnknownIssuer | W::CertDistrusted => codes::UNKNOWN_ISSUER,
        W::CaUsedAsEndEntity => codes::CA_USED_AS_END_ENTITY,
        W::EndEntityUsedAsCa => codes::END_ENTITY_USED_AS_CA,
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) => codes::INVALID_PURPOSE,
        W::UnsupportedCriticalExtension => codes::UNSUPPORTED_CRITICAL_EXTENSION,
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => codes::WEAK_SIGNATURE,
        W::InvalidSignatureForPublicKey | W::SignatureAlgorithmMismatch => codes::BAD_SIGNATURE,
        W::NameConstraintViolation => codes::NAME_CONSTRAINT_VIOLATION,
        W::PathLenConstraintViolated | W::MaximumPathDepthExceeded => codes::PATH_LEN_EXCEEDED,
        W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => codes::PATH_TOO_COMPLEX,
        W::CertRevoked => codes::REVOKED,
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::UnsupportedCertVersion
        | W::InvalidSerialNumber
        | W::EmptyEkuExtension
        | W::MalformedDnsIdentifier
        | W::MalformedNameConstraint
        | W::InvalidNetworkMaskConstraint
        | W::InvalidCertValidity => codes::BAD_ENCODING,
        _ => codes::CERT_OTHER,
    };
    Refusal::new(code, webpki_detail(e))
}

fn webpki_detail(e: &webpki::Error) -> String {
    use webpki::Error as W;
    match e {
        W::CertExpired { time, not_after } => format!(
            "expired at {}, checked at {}",
            crate::date::rfc3339(not_after.as_secs() as i64),
            crate::date::rfc3339(time.as_secs() as i64)
        ),
        W::CertNotValidYet { time, not_before } => format!(
            "valid from {}, checked at {}",
            crate::date::rfc3339(not_before.as_secs() as i64),
            crate::date::rfc3339(time.as_secs() as i64)
        ),
        W::CaUsedAsEndEntity => {
            "the end-entity certificate says CA:TRUE and is not itself an anchor".to_owned()
        }
        W::UnknownIssuer => "no path from this certificate to any of the anchors given".to_owned(),
        other => format!("webpki: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_catalogue_is_unique_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for d in CATALOGUE {
            assert!(seen.insert(d.code), "duplicate {}", d.code);
            assert!(
                !d.summary.is_empty() && !d.cause.is_empty() && !d.fix.is_empty(),
                "{}",
                d.code
            );
        }
        for (_, name) in ALERT_NAMES {
            let code = format!("tls.peer_alert.{name}");
            assert!(
                Diagnosis::lookup(&code).is_some(),
                "{code} missing from the catalogue"
            );
        }
    }

    #[test]
    fn a_bad_certificate_alert_is_what_apple_calls_errsslpeerbadcert() {
        let d = diagnose(&rustls::Error::AlertReceived(
            AlertDescription::BadCertificate,
        ));
        assert_eq!(d.code, "tls.peer_alert.bad_certificate");
        assert_eq!(d.apple, apple("errSSLPeerBadCert", -9825));
    }

    #[test]
    fn an_unknown_ca_alert_is_errsslpeerunknownca_minus_9831_not_minus_9850() {
        // SecureTransport.h: errSSLPeerUnknownCA = -9831; -9850 is errSSLWeakPeerEphemeralDHKey.
        let d = diagnose(&rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert_eq!(d.code, "tls.peer_alert.unknown_ca");
        assert_eq!(d.apple, apple("errSSLPeerUnknownCA", -9831));
    }

    #[test]
    fn webpki_errors_rustls_hides_in_other_keep_their_names() {
        for (w, code) in [
            (
                webpki::Error::CaUsedAsEndEntity,
                codes::CA_USED_AS_END_ENTITY,
            ),
            (
                webpki::Error::UnsupportedCriticalExtension,
                codes::UNSUPPORTED_CRITICAL_EXTENSION,
            ),
        ] {
            let e = rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                std::sync::Arc::new(w),
            )));
            assert_eq!(diagnose(&e).code, code);
        }
    }

    #[test]
    fn socket_errors_are_named_by_kind_and_errno() {
        let from = |e: io::Error| Diagnosis::from_io(&e).code;
        assert_eq!(
            from(io::ErrorKind::ConnectionRefused.into()),
            codes::REFUSED
        );
        assert_eq!(
            from(io::Error::from_raw_os_error(EHOSTUNREACH)),
            codes::NO_ROUTE
        );
        assert_eq!(
            from(io::Error::from_raw_os_error(ENETUNREACH)),
            codes::NET_UNREACHABLE
        );
        assert_eq!(from(io::ErrorKind::ConnectionReset.into()), codes::RESET);
        assert_eq!(from(io::ErrorKind::TimedOut.into()), codes::TIMEOUT);
        let wrapped = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
        );
        assert_eq!(from(wrapped), "tls.peer_alert.protocol_version");
    }
}
