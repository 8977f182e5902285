//! `accessory explain CODE`: from an error code in a field report to its candidate causes, ranked,
//! each with the simulator command that reproduces it and the command that tells it from the others.
//!
//! One table, [`EXPLANATIONS`]; the CLI only prints it. The numbers and names are Apple's
//! (`SecBase.h`, `NSError.swift`) and Android's (Conscrypt, OkHttp); every cause says where it comes
//! from or that it is unverified (docs/alerts.md has the quotes and line numbers). Ranks are this
//! project's judgement of how often each cause meets a Wi-Fi accessory, not a measured frequency.

use serde::Serialize;

/// One candidate cause of a field code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// What happened, in plain words.
    pub what: &'static str,
    /// The `accessory sim` command that reproduces it (empty when it lies outside what a simulated
    /// accessory can do, e.g. a phone setting).
    pub reproduce: &'static str,
    /// The `accessory probe` / `accessory trust` command (or the check) that tells it from the
    /// other causes.
    pub tell_apart: &'static str,
    /// Where the link between the code and this cause comes from, or "unverified".
    pub source: &'static str,
}

/// A field code and its causes, most likely first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The code as a field report quotes it (`-9825`, `65`, `CertPathValidatorException`).
    pub code: &'static str,
    /// Its name (`errSSLPeerBadCert`, `EHOSTUNREACH`, the exception's message).
    pub name: &'static str,
    /// Who reports it.
    pub platform: &'static str,
    /// What the code itself means, with its source.
    pub meaning: &'static str,
    /// The candidate causes, most likely first.
    pub causes: &'static [Cause],
}

const CLIENT_CERT_42: Cause = Cause {
    what: "the accessory requires a client certificate (mutual TLS) and did not accept the one \
           sent, answering bad_certificate (42); mbedTLS sends 42 for a name mismatch, 48 for an \
           untrusted certificate",
    reproduce: "accessory sim --fault require-client-cert",
    tell_apart: "accessory probe HOST:PORT (a client-certificate requirement fails every profile, \
                 after a version was agreed)",
    source: "coreTLS sslAlertMessage.c (42 -> errSSLPeerBadCert); Alamofire#2512 field log \
             (-9825 with -1205); mbedtls ssl_tls.c 10021-10049",
};

const TOO_LARGE: Cause = Cause {
    what: "the accessory cannot read iOS 26's larger ClientHello (~1.5 KB with the X25519MLKEM768 \
           share, two TCP segments on Wi-Fi): its buffer is too small or it reads once",
    reproduce: "accessory sim --personality mbedtls-3.6=1024   (or --fault single-read)",
    tell_apart: "accessory probe HOST:PORT (only ios26 fails; its real hello refused whole or \
                 split); accessory probe HOST:PORT --sweep (the largest hello accepted)",
    source: "tldr.fail; mbedtls ssl_msg.c 2165-2168 (no alert, close)",
};

/// Every code `accessory explain` knows, in the order `accessory explain --list` prints them.
pub static EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: "-9825",
        name: "errSSLPeerBadCert",
        platform: "Apple (SecureTransport / Network.framework)",
        meaning: "misc. bad certificate: the accessory sent the alert bad_certificate (42) \
                  (SecBase.h line 834)",
        causes: &[
            CLIENT_CERT_42,
            Cause {
                what: "the accessory answers a ClientHello it cannot parse (the post-quantum key \
                       share) with bad_certificate",
                reproduce: "accessory sim --fault clienthello-limit=1460,bad_certificate",
                tell_apart: "accessory probe HOST:PORT (only ios26 fails, with alert 42, before a \
                             version was agreed)",
                source: "unverified: no field report tying iOS 26's -9825 to the ClientHello was \
                         found; mbedTLS does not answer so (it closes)",
            },
            Cause {
                what: "an mbedTLS client on the other side (the accessory as client) refused the \
                       phone's certificate for its name",
                reproduce: "",
                tell_apart: "accessory trust verify --anchors ROOT --dns NAME chain.pem",
                source: "mbedtls ssl_tls.c 10021-10049 (BADCERT_CN_MISMATCH -> BAD_CERT)",
            },
        ],
    },
    Explanation {
        code: "-9802",
        name: "errSSLFatalAlert",
        platform: "Apple",
        meaning: "fatal alert (SecBase.h line 809): the accessory sent a fatal alert without an \
                  errSSLPeer… code; Apple DTS: \"pretty generic TLS negotiation failure\"",
        causes: &[
            Cause {
                what: "the accessory sent an alert coreTLS has no case for: unrecognized_name \
                       (112) to a phone that sends no SNI to 192.168.4.1, unsupported_extension \
                       (110), missing_extension (109), no_application_protocol (120)",
                reproduce: "accessory sim --fault alert=unrecognized_name",
                tell_apart: "accessory probe HOST:PORT (names the alert received)",
                source: "coreTLS sslAlertMessage.c SSLProcessAlert default branch; \
                         developer.apple.com/forums/thread/80638",
            },
            Cause {
                what: "the accessory requires a client certificate and says so with \
                       certificate_required (116), as rustls and OpenSSL do in TLS 1.3",
                reproduce: "accessory sim --fault require-client-cert=stock",
                tell_apart: "accessory probe HOST:PORT (every profile fails with \
                             certificate_required)",
                source: "coreTLS (116 -> errSSLFatalAlert); what iOS 12+ reports: unverified",
            },
        ],
    },
    Explanation {
        code: "-9806",
        name: "errSSLClosedAbort",
        platform: "Apple",
        meaning: "connection closed via error (SecBase.h line 813): the transport closed or reset \
                  while a record was being read",
        causes: &[
            TOO_LARGE,
            Cause {
                what: "firmware that reads the ClientHello with one recv() resets a hello split \
                       over two TCP segments",
                reproduce: "accessory sim --personality single-read",
                tell_apart: "accessory probe HOST:PORT (the real iOS 26 hello: accepted whole, \
                             reset when split)",
                source: "Security SSLRecordInternal.c 104-120 (closed transport -> \
                         errSSLClosedAbort, legacy stack); tldr.fail",
            },
            Cause {
                what: "the accessory rebooted or its TLS task crashed during the handshake",
                reproduce: "accessory sim --fault reboot-after-apply",
                tell_apart: "accessory probe HOST:PORT repeated (intermittent, every profile)",
                source: "unverified (inference from the meaning)",
            },
        ],
    },
    Explanation {
        code: "-9807",
        name: "errSSLXCertChainInvalid",
        platform: "Apple",
        meaning: "invalid certificate chain (SecBase.h line 814): the phone's trust evaluation \
                  refused the accessory's chain",
        causes: &[
            Cause {
                what: "the root is not trusted on the phone (profile not installed, or full \
                       trust not enabled) or the app does not ship it",
                reproduce: "accessory sim --fault untrusted-root",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --ip 192.168.4.1",
                source: "which code iOS reports for which trust failure: unverified",
            },
            Cause {
                what: "the accessory does not send its intermediate (a SoftAP has no internet to \
                       fetch it)",
                reproduce: "accessory sim --fault incomplete-chain",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --ip 192.168.4.1 \
                             (cert.unknown_issuer); accessory trust fetch HOST:PORT",
                source: "unverified (which code)",
            },
            Cause {
                what: "the certificate breaks Apple's rules: valid over 825 days, no SAN (name \
                       only in the CN), no serverAuth EKU, RSA under 2048, SHA-1",
                reproduce: "accessory sim --fault long-validity   (or cn-only, client-auth-eku)",
                tell_apart: "accessory trust lint chain.pem --profile apple",
                source: "Apple support 103769; Security SecPolicyServer.c (825 days for \
                         non-system roots)",
            },
        ],
    },
    Explanation {
        code: "-9808",
        name: "errSSLBadCert",
        platform: "Apple",
        meaning: "bad certificate format (SecBase.h line 815); seen for iOS 26 in \
                  developer.apple.com/forums/thread/800607, where Apple DTS asked for the trust \
                  asset version",
        causes: &[
            Cause {
                what: "a trust-evaluation failure the phone reports this way (a CA certificate \
                       served as the leaf, an EKU without serverAuth, an unreadable certificate)",
                reproduce: "accessory sim --fault ca-as-leaf   (or client-auth-eku)",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --ip 192.168.4.1; \
                             accessory trust lint chain.pem --profile apple",
                source: "unverified (which failure gives -9808)",
            },
            Cause {
                what: "the phone's trust store (trust asset) differs: works on iOS 18, fails on \
                       iOS 26 for a publicly trusted server",
                reproduce: "",
                tell_apart: "compare Settings > General > About > Certificate Trust Settings on \
                             both phones",
                source: "developer.apple.com/forums/thread/800607",
            },
        ],
    },
    Explanation {
        code: "-9813",
        name: "errSSLNoRootCert",
        platform: "Apple",
        meaning: "cert chain not verified by root (SecBase.h line 820)",
        causes: &[
            Cause {
                what: "the chain ends at a root the phone does not trust, or at a self-signed \
                       certificate that is not an anchor",
                reproduce: "accessory sim --fault self-signed-unknown   (or untrusted-root)",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --ip 192.168.4.1",
                source: "unverified (which failure gives -9813 rather than -9807)",
            },
            Cause {
                what: "the intermediate is missing from what the accessory sends",
                reproduce: "accessory sim --fault incomplete-chain",
                tell_apart: "accessory trust fetch HOST:PORT (the chain's length and issuers)",
                source: "unverified",
            },
        ],
    },
    Explanation {
        code: "-9816",
        name: "errSSLClosedNoNotify",
        platform: "Apple",
        meaning: "server closed session with no notification (SecBase.h line 823)",
        causes: &[
            Cause {
                what: "the accessory closed the connection without an alert: mbedTLS does so \
                       for a ClientHello larger than its input buffer",
                reproduce: "accessory sim --personality mbedtls-3.6=1024",
                tell_apart: "accessory probe HOST:PORT --sweep",
                source: "mbedtls ssl_msg.c 2165-2168; which of -9806/-9816 iOS 12+ reports: \
                         unverified",
            },
            Cause {
                what: "a missing client certificate on an mbedTLS accessory in TLS 1.2 (closed, \
                       no alert)",
                reproduce: "accessory sim --personality mbedtls-3.6 --fault require-client-cert",
                tell_apart: "accessory probe HOST:PORT (tls12-only and every TLS 1.2 profile \
                             fail)",
                source: "mbedtls ssl_tls.c 8052-8060",
            },
        ],
    },
    Explanation {
        code: "-9824",
        name: "errSSLPeerHandshakeFail",
        platform: "Apple",
        meaning: "handshake failure (SecBase.h line 833): the accessory sent handshake_failure \
                  (40)",
        causes: &[
            Cause {
                what: "no common cipher suite, group or signature scheme (an RSA-only or \
                       CBC-only stack)",
                reproduce: "accessory sim --fault alert=handshake_failure",
                tell_apart: "accessory probe HOST:PORT (which profiles fail; tls12-only vs \
                             tls13-only)",
                source: "coreTLS sslAlertMessage.c (40 -> errSSLPeerHandshakeFail)",
            },
            Cause {
                what: "an OpenSSL-based accessory requiring a client certificate, in TLS 1.2",
                reproduce: "accessory sim --fault require-client-cert=stock --fault tls12-only",
                tell_apart: "accessory probe HOST:PORT",
                source: "docs/alerts.md (OpenSSL's TLS 1.2 answer); element-x-ios#5088 (-9824 \
                         with another stack)",
            },
        ],
    },
    Explanation {
        code: "-9858",
        name: "errSSLHandshakeFail",
        platform: "Apple",
        meaning: "handshake failed (SecBase.h line 879), not errSSLPeerProtocolVersion (-9836); \
                  seen inside NSURLErrorSecureConnectionFailed (-1200) \
                  (developer.apple.com/forums/thread/110653)",
        causes: &[Cause {
            what: "a handshake failure the modern stack reports without a more precise code",
            reproduce: "accessory sim --fault alert=handshake_failure",
            tell_apart: "accessory probe HOST:PORT (the alert or close each profile got)",
            source: "unverified (what makes iOS report -9858 rather than -9824)",
        }],
    },
    Explanation {
        code: "65",
        name: "EHOSTUNREACH",
        platform: "Apple (errno from connect(); 113 on Linux)",
        meaning: "No route to host: nothing answered for the address on any usable interface",
        causes: &[
            Cause {
                what: "iOS local network privacy: the app was denied (or not yet granted) Local \
                       Network access, so the system blocks the connection",
                reproduce: "",
                tell_apart: "accessory probe 192.168.4.1:443 from a laptop on the SoftAP passes; \
                             Settings > Privacy > Local Network on the phone",
                source: "TN3179 (local network privacy, iOS 14+); that denial shows as errno 65: \
                         unverified",
            },
            Cause {
                what: "the socket is bound to an address (or routed) on another interface than \
                       the SoftAP's Wi-Fi (cellular, Ethernet), which has no route to 192.168.4.1",
                reproduce: "",
                tell_apart: "accessory probe 192.168.4.1:443 --interface IFACE (says wrong \
                             interface when the accessory is not on its subnets); ip route get \
                             192.168.4.1 shows the interface the system picks",
                source: "unverified (inference from routing)",
            },
            Cause {
                what: "the accessory does not answer ARP (client isolation, a crashed \
                       accessory) or the link dropped (a flap after joining)",
                reproduce: "accessory sim softap --link-fault no-route   (root; or flap)",
                tell_apart: "accessory probe HOST:PORT (net.no_route)",
                source: "Apple Developer Forums, network tag (errno 65 with permission granted)",
            },
        ],
    },
    Explanation {
        code: "CertPathValidatorException",
        name: "Trust anchor for certification path not found.",
        platform: "Android (Conscrypt TrustManagerImpl)",
        meaning: "no trust anchor for the chain (conscrypt TrustManagerImpl.java 675-676)",
        causes: &[
            Cause {
                what: "the app targets API level 24 or later and the root is only a \
                       user-installed CA: the app's network security config must name it",
                reproduce: "",
                tell_apart: "accessory trust export --format android-nsc (what the app must ship)",
                source: "NetworkSecurityConfig.createBaseConfig; AOSP commit 32d2a1024f75",
            },
            Cause {
                what: "the chain reaches no anchor the app trusts (another root, a missing \
                       intermediate, an unknown self-signed certificate)",
                reproduce: "accessory sim --fault untrusted-root   (or incomplete-chain, \
                            self-signed-unknown)",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --ip 192.168.4.1",
                source: "conscrypt TrustManagerImpl.java 675-676",
            },
        ],
    },
    Explanation {
        code: "SSLPeerUnverifiedException",
        name: "Hostname … not verified",
        platform: "Android (OkHttp)",
        meaning: "the certificate does not name the host the app connected to (okhttp \
                  ConnectPlan.kt 368-378)",
        causes: &[
            Cause {
                what: "no iPAddress SAN for 192.168.4.1 (an IP in the CN or in a DNS SAN does \
                       not count; no CN fallback since OkHttp 3.10.0)",
                reproduce: "accessory sim --fault ip-not-in-san   (or cn-only)",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --ip 192.168.4.1",
                source: "OkHostnameVerifier.kt; okhttp commit cd84d79c3574",
            },
            Cause {
                what: "the certificate names another device",
                reproduce: "accessory sim --fault wrong-name",
                tell_apart: "accessory probe HOST:PORT --anchors ROOT.pem --device-id ID",
                source: "okhttp ConnectPlan.kt 368-378",
            },
        ],
    },
    Explanation {
        code: "SSLHandshakeException",
        name: "Chain validation failed / SSLV3_ALERT_… / Connection closed by peer",
        platform: "Android (Conscrypt, BoringSSL inside)",
        meaning: "the handshake failed; the rest of the message says why",
        causes: &[
            Cause {
                what: "\"Chain validation failed\": an anchor was found but the path failed \
                       (expired, not yet valid, EKU)",
                reproduce: "accessory sim --fault expired   (or not-yet-valid, client-auth-eku)",
                tell_apart: "accessory trust verify --anchors ROOT.pem --ip 192.168.4.1 chain.pem",
                source: "conscrypt TrustManagerImpl.java 733-736",
            },
            Cause {
                what: "\"…SSLV3_ALERT_BAD_CERTIFICATE\" or another alert: the accessory sent it \
                       (see -9825, -9824)",
                reproduce: "accessory sim --fault require-client-cert",
                tell_apart: "accessory probe HOST:PORT",
                source: "BoringSSL reason strings",
            },
            Cause {
                what: "\"Connection closed by peer\": the accessory closed without an alert \
                       (see -9816)",
                reproduce: "accessory sim --personality mbedtls-3.6=1024",
                tell_apart: "accessory probe HOST:PORT --sweep",
                source: "mbedtls ssl_msg.c 2165-2168",
            },
        ],
    },
];

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {} ({})", self.code, self.name, self.platform)?;
        writeln!(f, "  {}", self.meaning)?;
        writeln!(f, "\ncandidate causes, most likely first:")?;
        for (i, c) in self.causes.iter().enumerate() {
            writeln!(f, "{}. {}", i + 1, c.what)?;
            if c.reproduce.is_empty() {
                writeln!(
                    f,
                    "   reproduce:   (outside what a simulated accessory can do)"
                )?;
            } else {
                writeln!(f, "   reproduce:   {}", c.reproduce)?;
            }
            writeln!(f, "   tell apart:  {}", c.tell_apart)?;
            writeln!(f, "   source:      {}", c.source)?;
        }
        Ok(())
    }
}

/// The explanation for `code`: an Apple number (`-9825`), name (`errSSLPeerBadCert`), an errno
/// (`65`, `EHOSTUNREACH`) or an Android exception name; ASCII case ignored.
pub fn explain(code: &str) -> Option<&'static Explanation> {
    let wanted = code.trim();
    let wanted = wanted.strip_prefix("errno").unwrap_or(wanted).trim();
    EXPLANATIONS.iter().find(|e| {
        e.code.eq_ignore_ascii_case(wanted)
            || e.name.eq_ignore_ascii_case(wanted)
            || e.name
                .split_whitespace()
                .next()
                .is_some_and(|first| first.eq_ignore_ascii_case(wanted))
            || wanted
                .rsplit('.')
                .next()
                .is_some_and(|tail| e.code.eq_ignore_ascii_case(tail))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_issue_names_is_explained_with_ranked_causes_commands_and_sources() {
        for code in [
            "-9825",
            "-9802",
            "-9806",
            "-9807",
            "-9808",
            "-9813",
            "-9816",
            "-9824",
            "-9858",
            "65",
            "CertPathValidatorException",
            "SSLPeerUnverifiedException",
            "SSLHandshakeException",
        ] {
            let e = explain(code).unwrap_or_else(|| panic!("{code} is not explained"));
            assert!(!e.causes.is_empty(), "{code}");
            for c in e.causes {
                assert!(!c.source.is_empty(), "{code}: {}", c.what);
                assert!(
                    c.tell_apart.contains("accessory ")
                        || c.tell_apart.contains("route get")
                        || c.tell_apart.contains("Settings"),
                    "{code}: {}",
                    c.tell_apart
                );
                assert!(
                    c.reproduce.is_empty() || c.reproduce.starts_with("accessory sim"),
                    "{code}: {}",
                    c.reproduce
                );
            }
        }
    }

    #[test]
    fn codes_are_found_by_number_name_errno_and_exception_class() {
        assert_eq!(explain("errSSLPeerBadCert").unwrap().code, "-9825");
        assert_eq!(explain("EHOSTUNREACH").unwrap().code, "65");
        assert_eq!(explain("errno 65").unwrap().code, "65");
        assert_eq!(
            explain("java.security.cert.CertPathValidatorException")
                .unwrap()
                .code,
            "CertPathValidatorException"
        );
        assert_eq!(explain("-9858").unwrap().name, "errSSLHandshakeFail");
        assert!(explain("-1").is_none());
    }

    #[test]
    fn the_apple_names_agree_with_the_catalogue_where_it_has_them() {
        for e in EXPLANATIONS {
            let Ok(number) = e.code.parse::<i32>() else {
                continue;
            };
            if let Some(d) = super::super::CATALOGUE
                .iter()
                .find(|d| d.apple.is_some_and(|a| a.number == number))
            {
                assert_eq!(d.apple.unwrap().name, e.name, "{}", e.code);
            }
        }
    }
}
