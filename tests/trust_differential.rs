//! The anchors-mode verdict against `openssl verify -x509_strict -purpose sslserver`, situation by
//! situation: a differential test with a second, independent implementation.
//!
//! Every situation is made at test time by the `openssl` command line (`req -x509`, `x509 -req`
//! with an extension file, `ca` with `-startdate/-enddate` for dates in the past or the future),
//! then judged twice: by `openssl verify -x509_strict -purpose sslserver -CAfile anchors.pem
//! [-untrusted untrusted.pem] [-verify_hostname H | -verify_ip IP] leaf.pem`, and by
//! [`trust::TrustPolicy::check`] in anchors mode (the anchors and intermediates read from the
//! same files with `trust::load_certificates`, as `accessory trust verify` reads them).
//!
//! Every disagreement must be in [`DISAGREEMENTS`] with its reason and which side we believe is
//! right (mirrored in `docs/differential.md`): a new disagreement fails the test, and so does an
//! entry that no longer disagrees, or whose recorded verdict of ours changed (the refusal code is
//! part of the entry). Without `openssl` the test is a visible skip (tests/src/skip.rs), a failure under `CI=true`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use trust::{Anchors, CertificateDer, Identity, TrustPolicy, UnixTime};

// ---------------------------------------------------------------------------------------------
// Situations
// ---------------------------------------------------------------------------------------------

/// A key type and size, as `openssl genpkey` makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Rsa(u32),
    Ec(&'static str),
    Ed25519,
}

impl Key {
    fn file_stem(self) -> String {
        match self {
            Key::Rsa(bits) => format!("rsa{bits}"),
            Key::Ec(curve) => curve.to_owned(),
            Key::Ed25519 => "ed25519".to_owned(),
        }
    }
}

/// The validity window of a certificate, relative to now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum When {
    /// From now for a year (`-days 365`).
    Now,
    /// Ended 30 days ago (`openssl ca -startdate/-enddate`).
    Expired,
    /// Starts in 30 days.
    NotYet,
    /// From now for ten years (`-days 3650`).
    TenYears,
}

/// How a self-signed certificate's extensions are chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Exts {
    /// Exactly these `name=value` lines (an `-extfile` section).
    Listed(Vec<(String, String)>),
    /// The system `openssl.cnf` defaults of `openssl req -x509` (v3_ca: CA:TRUE, no keyUsage), plus
    /// these `-addext` lines: what a person typing the README's command gets.
    ReqDefaults(Vec<String>),
}

#[derive(Clone, Debug)]
struct Cert {
    /// The file stem in the situation's directory (`NAME.pem`).
    name: &'static str,
    subject: String,
    key: Key,
    /// Which key of this type (certificates with the same slot and type share a key).
    key_slot: &'static str,
    /// None: self-signed.
    issuer: Option<&'static str>,
    exts: Exts,
    /// `-sha256` etc.; None for Ed25519 issuers.
    digest: Option<&'static str>,
    when: When,
    /// Written by `openssl ca` without `-notext`: the text dump before `-----BEGIN`.
    text_before_pem: bool,
}

impl Cert {
    fn new(name: &'static str, subject: &str, issuer: Option<&'static str>, exts: &str) -> Self {
        Self {
            name,
            subject: subject.to_owned(),
            key: Key::Ec("P-256"),
            key_slot: name,
            issuer,
            exts: Exts::Listed(parse_exts(exts)),
            digest: Some("sha256"),
            when: When::Now,
            text_before_pem: false,
        }
    }

    fn key(mut self, key: Key) -> Self {
        self.key = key;
        self
    }

    fn digest(mut self, digest: Option<&'static str>) -> Self {
        self.digest = digest;
        self
    }

    fn when(mut self, when: When) -> Self {
        self.when = when;
        self
    }

    fn subject(mut self, subject: &str) -> Self {
        self.subject = subject.to_owned();
        self
    }

    /// Sets (replaces or adds) extension `name`.
    fn set(mut self, name: &str, value: &str) -> Self {
        if let Exts::Listed(list) = &mut self.exts {
            match list.iter_mut().find(|(n, _)| n == name) {
                Some(entry) => entry.1 = value.to_owned(),
                None => list.push((name.to_owned(), value.to_owned())),
            }
        }
        self
    }

    /// Removes extension `name`.
    fn unset(mut self, name: &str) -> Self {
        if let Exts::Listed(list) = &mut self.exts {
            list.retain(|(n, _)| n != name);
        }
        self
    }
}

fn parse_exts(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

const ROOT_EXTS: &str = "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash";

const INTER_EXTS: &str = "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid";

const LEAF_EXTS: &str = "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:dev-0001.accessory.local
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid";

const HOST: &str = "dev-0001.accessory.local";
const SOFTAP_IP: &str = "192.168.4.1";

fn root() -> Cert {
    Cert::new("root", "/O=Maker/CN=Maker Root", None, ROOT_EXTS)
}

fn inter(name: &'static str, issuer: &'static str) -> Cert {
    Cert::new(
        name,
        &format!("/O=Maker/CN=Maker {name}"),
        Some(issuer),
        INTER_EXTS,
    )
}

fn leaf(issuer: &'static str) -> Cert {
    Cert::new("leaf", "/CN=DEV-0001", Some(issuer), LEAF_EXTS)
}

/// A self-signed leaf (CA:FALSE), as a careful manufacturer makes an accessory's own certificate.
fn self_signed_leaf() -> Cert {
    Cert::new("leaf", "/CN=DEV-0001", None, LEAF_EXTS).unset("authorityKeyIdentifier")
}

#[derive(Clone, Debug)]
enum NameCheck {
    None,
    Dns(&'static str),
    Ip(&'static str),
}

#[derive(Clone, Debug)]
struct Situation {
    name: &'static str,
    certs: Vec<Cert>,
    /// Certificates in `-CAfile` / the anchors.
    anchors: Vec<&'static str>,
    /// Certificates in `-untrusted` / the presented chain after the leaf.
    untrusted: Vec<&'static str>,
    check: NameCheck,
}

impl Situation {
    /// The usual shape: `certs` end with the leaf, the first is the only anchor, the ones between
    /// are presented as intermediates, and the leaf must name `HOST`.
    fn chain(name: &'static str, certs: Vec<Cert>) -> Self {
        let anchors = vec![certs[0].name];
        let untrusted = match certs.len() {
            0..=2 => Vec::new(),
            n => certs[1..n - 1].iter().map(|c| c.name).collect(),
        };
        Self {
            name,
            certs,
            anchors,
            untrusted,
            check: NameCheck::Dns(HOST),
        }
    }

    fn check(mut self, check: NameCheck) -> Self {
        self.check = check;
        self
    }

    fn anchors(mut self, anchors: &[&'static str]) -> Self {
        self.anchors = anchors.to_vec();
        self
    }

    fn untrusted(mut self, untrusted: &[&'static str]) -> Self {
        self.untrusted = untrusted.to_vec();
        self
    }

    /// The certificate `leaf.pem` (always the last).
    fn leaf(&self) -> &'static str {
        self.certs.last().expect("a leaf").name
    }
}

/// root -> leaf, with the leaf changed by `f`.
fn root_leaf(name: &'static str, f: impl FnOnce(Cert) -> Cert) -> Situation {
    Situation::chain(name, vec![root(), f(leaf("root"))])
}

/// root -> inter -> leaf, with each changed by its function.
fn root_inter_leaf(
    name: &'static str,
    r: impl FnOnce(Cert) -> Cert,
    i: impl FnOnce(Cert) -> Cert,
    l: impl FnOnce(Cert) -> Cert,
) -> Situation {
    Situation::chain(
        name,
        vec![r(root()), i(inter("inter", "root")), l(leaf("inter"))],
    )
}

fn same(c: Cert) -> Cert {
    c
}

/// Every situation, by area. Names are what the situation is.
fn situations() -> Vec<Situation> {
    use NameCheck::{Dns, Ip};
    let accessory_own = |name: &'static str, cn: &str, host: &str| Cert {
        name,
        subject: format!("/CN={cn}"),
        key: Key::Ec("P-256"),
        key_slot: name,
        issuer: None,
        exts: Exts::ReqDefaults(vec![format!("subjectAltName=DNS:{host}")]),
        digest: Some("sha256"),
        when: When::Now,
        text_before_pem: false,
    };
    let mut s = vec![
        // --- Self-signed certificates trusted directly (the anchor is the leaf itself) ---
        Situation::chain(
            "self_signed_ca_true_from_default_req_x509_trusted_directly",
            vec![accessory_own("leaf", "DEV-0001", HOST)],
        ),
        Situation::chain(
            "self_signed_ca_false_leaf_trusted_directly",
            vec![self_signed_leaf()],
        ),
        Situation::chain(
            "self_signed_ca_false_leaf_trusted_directly_wrong_name",
            vec![self_signed_leaf()],
        )
        .check(Dns("dev-0002.accessory.local")),
        Situation::chain(
            "self_signed_ca_false_leaf_trusted_directly_expired",
            vec![self_signed_leaf().when(When::Expired)],
        ),
        Situation::chain(
            "self_signed_ca_false_leaf_trusted_directly_not_yet_valid",
            vec![self_signed_leaf().when(When::NotYet)],
        ),
        Situation::chain(
            "self_signed_ca_false_leaf_trusted_directly_client_auth_only",
            vec![self_signed_leaf().set("extendedKeyUsage", "clientAuth")],
        ),
        Situation::chain(
            "self_signed_leaf_not_among_the_anchors",
            vec![root(), self_signed_leaf()],
        )
        .untrusted(&[]),
        // Issue 10 item 1: an accessory's own certificate as an anchor must not issue.
        Situation::chain(
            "accessory_anchor_from_default_req_x509_issues_another_device",
            vec![
                accessory_own("dev1", "DEV-0001", HOST),
                leaf("dev1")
                    .subject("/CN=DEV-0002")
                    .set("subjectAltName", "DNS:dev-0002.accessory.local"),
            ],
        )
        .check(Dns("dev-0002.accessory.local")),
        Situation::chain(
            "accessory_anchor_with_key_cert_sign_and_server_auth_issues_another_device",
            vec![
                Cert::new("dev1", "/CN=DEV-0001", None, ROOT_EXTS)
                    .set("subjectAltName", &format!("DNS:{HOST}"))
                    .set("extendedKeyUsage", "serverAuth"),
                leaf("dev1")
                    .subject("/CN=DEV-0002")
                    .set("subjectAltName", "DNS:dev-0002.accessory.local"),
            ],
        )
        .check(Dns("dev-0002.accessory.local")),
        Situation::chain(
            "maker_root_from_default_req_x509_issues_a_leaf",
            vec![
                Cert {
                    exts: Exts::ReqDefaults(Vec::new()),
                    ..accessory_own("root", "Maker-Root", "")
                },
                leaf("root"),
            ],
        ),
        // --- Chains with and without intermediates ---
        root_leaf("root_issues_leaf", same),
        root_inter_leaf("root_inter_leaf", same, same, same),
        Situation::chain(
            "root_inter_inter_leaf",
            vec![
                root(),
                inter("inter", "root"),
                inter("inter2", "inter"),
                leaf("inter2"),
            ],
        ),
        root_inter_leaf(
            "root_inter_leaf_without_the_intermediate_presented",
            same,
            same,
            same,
        )
        .untrusted(&[]),
        Situation::chain(
            "leaf_from_a_foreign_root",
            vec![
                Cert::new("other", "/CN=Other Root", None, ROOT_EXTS),
                root(),
                leaf("root"),
            ],
        )
        .anchors(&["other"])
        .untrusted(&[]),
        root_leaf("leaf_with_ca_true_issued_by_root", |l| {
            l.set("basicConstraints", "critical,CA:TRUE")
                .set("keyUsage", "critical,digitalSignature,keyCertSign")
        }),
        root_inter_leaf("intermediate_is_also_an_anchor", same, same, same)
            .anchors(&["root", "inter"])
            .untrusted(&[]),
        // --- pathLenConstraint ---
        root_inter_leaf(
            "root_pathlen_0_with_one_intermediate",
            |r| r.set("basicConstraints", "critical,CA:TRUE,pathlen:0"),
            same,
            same,
        ),
        root_inter_leaf(
            "root_pathlen_1_with_one_intermediate",
            |r| r.set("basicConstraints", "critical,CA:TRUE,pathlen:1"),
            same,
            same,
        ),
        root_inter_leaf(
            "intermediate_pathlen_0_issues_the_leaf",
            same,
            |i| i.set("basicConstraints", "critical,CA:TRUE,pathlen:0"),
            same,
        ),
        Situation::chain(
            "intermediate_pathlen_0_issues_another_intermediate",
            vec![
                root(),
                inter("inter", "root").set("basicConstraints", "critical,CA:TRUE,pathlen:0"),
                inter("inter2", "inter"),
                leaf("inter2"),
            ],
        ),
        Situation::chain(
            "root_pathlen_1_with_two_intermediates",
            vec![
                root().set("basicConstraints", "critical,CA:TRUE,pathlen:1"),
                inter("inter", "root"),
                inter("inter2", "inter"),
                leaf("inter2"),
            ],
        ),
        // --- Dates at every level ---
        root_inter_leaf("leaf_expired", same, same, |l| l.when(When::Expired)),
        root_inter_leaf("leaf_not_yet_valid", same, same, |l| l.when(When::NotYet)),
        root_inter_leaf(
            "intermediate_expired",
            same,
            |i| i.when(When::Expired),
            same,
        ),
        root_inter_leaf(
            "intermediate_not_yet_valid",
            same,
            |i| i.when(When::NotYet),
            same,
        ),
        root_inter_leaf("root_expired", |r| r.when(When::Expired), same, same),
        root_inter_leaf("root_not_yet_valid", |r| r.when(When::NotYet), same, same),
        root_leaf("leaf_valid_for_ten_years", |l| l.when(When::TenYears)),
        // --- Names ---
        root_leaf("dns_san_names_the_host", same),
        root_leaf("dns_san_names_another_host", same).check(Dns("dev-0002.accessory.local")),
        root_leaf("dns_san_in_other_case", |l| {
            l.set("subjectAltName", "DNS:DEV-0001.Accessory.Local")
        }),
        root_leaf("ip_san_names_the_address", |l| {
            l.set("subjectAltName", &format!("IP:{SOFTAP_IP}"))
        })
        .check(Ip(SOFTAP_IP)),
        root_leaf("ip_san_names_another_address", |l| {
            l.set("subjectAltName", "IP:192.168.4.2")
        })
        .check(Ip(SOFTAP_IP)),
        root_leaf("address_spelled_as_a_dns_san", |l| {
            l.set("subjectAltName", &format!("DNS:{SOFTAP_IP}"))
        })
        .check(Ip(SOFTAP_IP)),
        root_leaf("address_only_in_the_cn", |l| {
            l.subject(&format!("/CN={SOFTAP_IP}"))
                .unset("subjectAltName")
        })
        .check(Ip(SOFTAP_IP)),
        root_leaf("host_only_in_the_cn_no_san", |l| {
            l.subject(&format!("/CN={HOST}")).unset("subjectAltName")
        }),
        root_leaf("no_san_and_no_name_asked_for", |l| {
            l.unset("subjectAltName")
        })
        .check(NameCheck::None),
        root_leaf("wildcard_san_matches_one_label", |l| {
            l.set("subjectAltName", "DNS:*.accessory.local")
        }),
        root_leaf("wildcard_san_does_not_match_two_labels", |l| {
            l.set("subjectAltName", "DNS:*.accessory.local")
        })
        .check(Dns("a.dev-0001.accessory.local")),
        root_leaf("partial_label_wildcard_san", |l| {
            l.set("subjectAltName", "DNS:dev-*.accessory.local")
        }),
        // --- Extended key usage at every level ---
        root_inter_leaf("leaf_eku_client_auth_only", same, same, |l| {
            l.set("extendedKeyUsage", "clientAuth")
        }),
        root_inter_leaf("leaf_eku_server_and_client_auth", same, same, |l| {
            l.set("extendedKeyUsage", "serverAuth,clientAuth")
        }),
        root_inter_leaf("leaf_eku_any_only", same, same, |l| {
            l.set("extendedKeyUsage", "anyExtendedKeyUsage")
        }),
        root_inter_leaf("leaf_without_eku", same, same, |l| {
            l.unset("extendedKeyUsage")
        }),
        root_inter_leaf(
            "intermediate_eku_server_auth",
            same,
            |i| i.set("extendedKeyUsage", "serverAuth"),
            same,
        ),
        root_inter_leaf(
            "intermediate_eku_client_auth_only",
            same,
            |i| i.set("extendedKeyUsage", "clientAuth"),
            same,
        ),
        root_inter_leaf(
            "intermediate_eku_any_only",
            same,
            |i| i.set("extendedKeyUsage", "anyExtendedKeyUsage"),
            same,
        ),
        root_inter_leaf(
            "root_eku_server_auth",
            |r| r.set("extendedKeyUsage", "serverAuth"),
            same,
            same,
        ),
        root_inter_leaf(
            "root_eku_client_auth_only",
            |r| r.set("extendedKeyUsage", "clientAuth"),
            same,
            same,
        ),
        root_inter_leaf(
            "root_eku_any_only",
            |r| r.set("extendedKeyUsage", "anyExtendedKeyUsage"),
            same,
            same,
        ),
        // --- Key usage at every level ---
        root_inter_leaf(
            "leaf_key_usage_without_digital_signature_rsa",
            same,
            same,
            |l| {
                l.key(Key::Rsa(2048))
                    .set("keyUsage", "critical,keyEncipherment")
            },
        ),
        root_inter_leaf("leaf_key_usage_non_repudiation_only", same, same, |l| {
            l.set("keyUsage", "critical,nonRepudiation")
        }),
        root_inter_leaf("leaf_without_key_usage", same, same, |l| {
            l.unset("keyUsage")
        }),
        root_inter_leaf("leaf_ca_false_with_key_cert_sign", same, same, |l| {
            l.set("keyUsage", "critical,digitalSignature,keyCertSign")
        }),
        root_inter_leaf(
            "intermediate_key_usage_without_key_cert_sign",
            same,
            |i| i.set("keyUsage", "critical,digitalSignature,cRLSign"),
            same,
        ),
        root_inter_leaf(
            "intermediate_key_usage_crl_sign_only",
            same,
            |i| i.set("keyUsage", "critical,cRLSign"),
            same,
        ),
        root_inter_leaf(
            "intermediate_without_key_usage",
            same,
            |i| i.unset("keyUsage"),
            same,
        ),
        root_inter_leaf(
            "root_key_usage_crl_sign_only",
            |r| r.set("keyUsage", "critical,cRLSign"),
            same,
            same,
        ),
        root_inter_leaf(
            "root_key_usage_without_key_cert_sign",
            |r| r.set("keyUsage", "critical,digitalSignature"),
            same,
            same,
        ),
        root_inter_leaf(
            "root_without_key_usage",
            |r| r.unset("keyUsage"),
            same,
            same,
        ),
        // --- Key types and sizes ---
        root_inter_leaf("leaf_rsa_1024", same, same, |l| l.key(Key::Rsa(1024))),
        root_inter_leaf("leaf_rsa_2048", same, same, |l| l.key(Key::Rsa(2048))),
        root_inter_leaf("leaf_rsa_4096", same, same, |l| l.key(Key::Rsa(4096))),
        root_inter_leaf("leaf_p384", same, same, |l| l.key(Key::Ec("P-384"))),
        root_inter_leaf("leaf_p521", same, same, |l| l.key(Key::Ec("P-521"))),
        root_inter_leaf("leaf_secp256k1", same, same, |l| {
            l.key(Key::Ec("secp256k1"))
        }),
        root_inter_leaf("leaf_brainpool_p256r1", same, same, |l| {
            l.key(Key::Ec("brainpoolP256r1"))
        }),
        root_inter_leaf("leaf_ed25519", same, same, |l| l.key(Key::Ed25519)),
        root_inter_leaf(
            "intermediate_rsa_1024",
            same,
            |i| i.key(Key::Rsa(1024)),
            same,
        ),
        root_inter_leaf("root_rsa_1024", |r| r.key(Key::Rsa(1024)), same, same),
        root_inter_leaf(
            "rsa_4096_root_rsa_2048_intermediate",
            |r| r.key(Key::Rsa(4096)),
            |i| i.key(Key::Rsa(2048)),
            same,
        ),
        root_inter_leaf(
            "root_p384",
            |r| r.key(Key::Ec("P-384")).digest(Some("sha384")),
            same,
            same,
        ),
        root_inter_leaf(
            "root_p521",
            |r| r.key(Key::Ec("P-521")).digest(Some("sha512")),
            same,
            same,
        ),
        root_inter_leaf(
            "root_secp256k1",
            |r| r.key(Key::Ec("secp256k1")),
            same,
            same,
        ),
        root_inter_leaf(
            "ed25519_root_and_intermediate",
            |r| r.key(Key::Ed25519),
            |i| i.key(Key::Ed25519),
            same,
        ),
        // --- Signature algorithms (the digest is the issuer's choice) ---
        root_leaf("leaf_signed_sha1_with_rsa", |l| l.digest(Some("sha1")))
            .with_issuer_key(Key::Rsa(2048)),
        root_leaf("leaf_signed_sha256_with_rsa", same).with_issuer_key(Key::Rsa(2048)),
        root_leaf("leaf_signed_sha384_with_rsa", |l| l.digest(Some("sha384")))
            .with_issuer_key(Key::Rsa(2048)),
        root_leaf("leaf_signed_sha512_with_rsa", |l| l.digest(Some("sha512")))
            .with_issuer_key(Key::Rsa(2048)),
        root_leaf("leaf_signed_ecdsa_with_sha1", |l| l.digest(Some("sha1"))),
        root_leaf("leaf_signed_ecdsa_p256_with_sha384", |l| {
            l.digest(Some("sha384"))
        }),
        root_leaf("leaf_signed_ecdsa_p256_with_sha512", |l| {
            l.digest(Some("sha512"))
        }),
        root_inter_leaf(
            "intermediate_signed_sha1_with_rsa",
            |r| r.key(Key::Rsa(2048)),
            |i| i.digest(Some("sha1")),
            same,
        ),
        root_inter_leaf(
            "root_self_signature_sha1_with_rsa",
            |r| r.key(Key::Rsa(2048)).digest(Some("sha1")),
            same,
            same,
        ),
        // --- Name constraints (on the intermediate) ---
        root_inter_leaf(
            "permitted_dns_subtree_contains_the_leaf",
            same,
            |i| i.set("nameConstraints", "critical,permitted;DNS:accessory.local"),
            same,
        ),
        root_inter_leaf(
            "permitted_dns_subtree_excludes_the_leaf",
            same,
            |i| i.set("nameConstraints", "critical,permitted;DNS:maker.example"),
            same,
        ),
        root_inter_leaf(
            "excluded_dns_subtree_contains_the_leaf",
            same,
            |i| i.set("nameConstraints", "critical,excluded;DNS:accessory.local"),
            same,
        ),
        root_inter_leaf(
            "permitted_ip_subtree_contains_the_leaf",
            same,
            |i| {
                i.set(
                    "nameConstraints",
                    "critical,permitted;IP:192.168.4.0/255.255.255.0",
                )
            },
            |l| l.set("subjectAltName", &format!("IP:{SOFTAP_IP}")),
        )
        .check(Ip(SOFTAP_IP)),
        root_inter_leaf(
            "permitted_ip_subtree_excludes_the_leaf",
            same,
            |i| {
                i.set(
                    "nameConstraints",
                    "critical,permitted;IP:10.0.0.0/255.0.0.0",
                )
            },
            |l| l.set("subjectAltName", &format!("IP:{SOFTAP_IP}")),
        )
        .check(Ip(SOFTAP_IP)),
        root_inter_leaf(
            "excluded_ip_subtree_contains_the_leaf",
            same,
            |i| {
                i.set(
                    "nameConstraints",
                    "critical,excluded;IP:192.168.0.0/255.255.0.0",
                )
            },
            |l| l.set("subjectAltName", &format!("IP:{SOFTAP_IP}")),
        )
        .check(Ip(SOFTAP_IP)),
        root_inter_leaf(
            "permitted_dns_subtree_and_a_cn_only_leaf_outside_it",
            same,
            |i| i.set("nameConstraints", "critical,permitted;DNS:maker.example"),
            |l| {
                l.subject("/CN=dev-0001.accessory.local")
                    .unset("subjectAltName")
            },
        )
        .check(NameCheck::None),
        root_inter_leaf(
            "name_constraints_on_the_root_exclude_the_leaf",
            |r| r.set("nameConstraints", "critical,permitted;DNS:maker.example"),
            same,
            same,
        ),
        // --- Unknown critical extensions ---
        root_inter_leaf("leaf_unknown_critical_extension", same, same, |l| {
            l.set("1.3.6.1.4.1.55555.1", "critical,ASN1:NULL")
        }),
        root_inter_leaf("leaf_unknown_non_critical_extension", same, same, |l| {
            l.set("1.3.6.1.4.1.55555.1", "ASN1:NULL")
        }),
        root_inter_leaf(
            "intermediate_unknown_critical_extension",
            same,
            |i| i.set("1.3.6.1.4.1.55555.1", "critical,ASN1:NULL"),
            same,
        ),
        root_inter_leaf(
            "root_unknown_critical_extension",
            |r| r.set("1.3.6.1.4.1.55555.1", "critical,ASN1:NULL"),
            same,
            same,
        ),
        // --- basicConstraints on the intermediate ---
        root_inter_leaf(
            "intermediate_without_basic_constraints",
            same,
            |i| i.unset("basicConstraints"),
            same,
        ),
        root_inter_leaf(
            "intermediate_ca_false",
            same,
            |i| i.set("basicConstraints", "critical,CA:FALSE"),
            same,
        ),
        root_inter_leaf(
            "intermediate_basic_constraints_not_critical",
            same,
            |i| i.set("basicConstraints", "CA:TRUE"),
            same,
        ),
        // --- Key identifiers ---
        root_inter_leaf("leaf_without_authority_key_identifier", same, same, |l| {
            l.unset("authorityKeyIdentifier")
        }),
        root_inter_leaf(
            "intermediate_without_subject_key_identifier",
            same,
            |i| i.unset("subjectKeyIdentifier"),
            |l| l.unset("authorityKeyIdentifier"),
        ),
        // --- Files as openssl writes them ---
        root_leaf("leaf_file_from_openssl_ca_with_text_before_the_pem", |l| {
            Cert {
                text_before_pem: true,
                ..l
            }
        }),
    ];
    s.sort_by_key(|s| s.name);
    s
}

impl Situation {
    /// Gives every certificate but the leaf `key` (the leaf's issuer signs with it).
    fn with_issuer_key(mut self, key: Key) -> Self {
        let n = self.certs.len();
        for c in &mut self.certs[..n - 1] {
            c.key = key;
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Expected disagreements
// ---------------------------------------------------------------------------------------------

/// Who we believe is right in a disagreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Right {
    /// Our verdict is the one we want (a deliberate rule; the doc says why).
    Us,
    /// OpenSSL's verdict is right: ours is a bug to fix. No entry is one today; the variant stays so
    /// that a wrong verdict found later is recorded as such, not as a rule.
    #[allow(dead_code)] // no known wrong verdict today (docs/differential.md)
    OpenSsl,
}

/// A documented disagreement: the situation, our verdict (`"accepted"` or the refusal code), who
/// is right, and why. Mirrored in `docs/differential.md`.
struct Disagreement {
    situation: &'static str,
    ours: &'static str,
    right: Right,
    reason: &'static str,
}

const fn d(
    situation: &'static str,
    ours: &'static str,
    right: Right,
    reason: &'static str,
) -> Disagreement {
    Disagreement {
        situation,
        ours,
        right,
        reason,
    }
}

const DISAGREEMENTS: &[Disagreement] = &[
    d(
        "host_only_in_the_cn_no_san",
        "cert.wrong_name",
        Right::Us,
        "names are matched against SANs only (RFC 6125 6.4.4; iOS 13+ trusts no name in the CN, \
         Apple support 103769; Android: unverified); openssl falls back to the CN when there is no \
         SAN",
    ),
    d(
        "intermediate_basic_constraints_not_critical",
        "accepted",
        Right::Us,
        "RFC 5280 path validation (6.1.4(k)) reads CA:TRUE whether or not the extension is \
         critical; criticality is a rule for issuers (4.2.1.9), which -x509_strict enforces and \
         webpki does not",
    ),
    d(
        "intermediate_rsa_1024",
        "cert.weak_key",
        Right::Us,
        "an RSA-1024 key signs nothing we believe (MIN_RSA_BITS = 2048; iOS 13+ refuses RSA under 2048 bits, Apple support 103769); openssl \
         accepts it at its default security level 1 and refuses it at -auth_level 2",
    ),
    d(
        "intermediate_signed_sha1_with_rsa",
        "cert.weak_signature",
        Right::Us,
        "SHA-1 signatures are refused (collisions are practical; iOS 13+ refuses them, Apple support 103769); openssl \
         accepts them at security level 1 and refuses them at -auth_level 2",
    ),
    d(
        "intermediate_without_key_usage",
        "accepted",
        Right::Us,
        "RFC 5280 requires keyUsage of conforming CAs (4.2.1.3) but path validation checks \
         keyCertSign only when keyUsage is present (6.1.4(n)); -x509_strict requires it, webpki \
         does not",
    ),
    d(
        "leaf_rsa_1024",
        "cert.weak_key",
        Right::Us,
        "an RSA-1024 key is refused (MIN_RSA_BITS = 2048; iOS 13+ refuses RSA under 2048 bits, Apple support 103769); openssl accepts it \
         at its default security level 1 and refuses it at -auth_level 2",
    ),
    d(
        "leaf_signed_ecdsa_with_sha1",
        "cert.weak_signature",
        Right::Us,
        "SHA-1 signatures are refused (iOS 13+ refuses them, Apple support 103769); openssl accepts them at security level 1",
    ),
    d(
        "leaf_signed_sha1_with_rsa",
        "cert.weak_signature",
        Right::Us,
        "SHA-1 signatures are refused (iOS 13+ refuses them, Apple support 103769); openssl accepts them at security level 1",
    ),
    d(
        "leaf_with_ca_true_issued_by_root",
        "cert.ca_used_as_end_entity",
        Right::Us,
        "a CA:TRUE certificate presented as the server is refused (webpki, RFC 5280 4.2.1.9 \
         intent, CA/B rules); openssl's sslserver purpose does not look at the leaf's CA flag",
    ),
    d(
        "maker_root_from_default_req_x509_issues_a_leaf",
        "accepted",
        Right::Us,
        "by design (issue 10 item 1): a manufacturer root made by `openssl req -x509 -subj \
         /CN=Maker-Root` (CA:TRUE, no keyUsage, names no host) still issues; RFC 5280 path \
         validation does not require keyUsage on a trust anchor, -x509_strict does",
    ),
    d(
        "permitted_dns_subtree_and_a_cn_only_leaf_outside_it",
        "accepted",
        Right::Us,
        "openssl applies DNS name constraints to a CN that looks like a host name when there is no \
         SAN; we never match a name against the CN, so a CN cannot stand in for a constrained name \
         (with an identity asked for, this leaf is refused as cert.wrong_name)",
    ),
    // openssl accepts RSA-1024 at security level 1).
    d(
        "root_rsa_1024",
        "cert.weak_key",
        Right::Us,
        "an RSA-1024 root is refused (openssl accepts it at security level 1, refuses it at \
         -auth_level 2); the code should be cert.weak_key naming the root (item 7)",
    ),
    d(
        "root_secp256k1",
        "cert.unsupported_key",
        Right::Us,
        "secp256k1 signatures are not among the aws-lc-rs provider's verification algorithms, so \
         no live handshake could validate this chain (on iOS and Android: unverified); openssl \
         verifies them",
    ),
    d(
        "root_without_key_usage",
        "accepted",
        Right::Us,
        "as maker_root_from_default_req_x509_issues_a_leaf: RFC 5280 does not make keyUsage on a \
         trust anchor a validation rule; -x509_strict does",
    ),
    d(
        "leaf_secp256k1",
        "cert.unsupported_key",
        Right::Us,
        "secp256k1 keys are not among the TLS provider's verification algorithms, so no live \
         handshake could complete with this leaf: the offline verdict is the live one (issue 10 \
         item 6); openssl verifies them",
    ),
    d(
        "leaf_brainpool_p256r1",
        "cert.unsupported_key",
        Right::Us,
        "brainpoolP256r1 keys are not among the TLS provider's verification algorithms (issue 10 \
         item 6), as for leaf_secp256k1; openssl verifies them",
    ),
];

// ---------------------------------------------------------------------------------------------
// Making the situations with openssl
// ---------------------------------------------------------------------------------------------

/// Runs openssl in `dir`; panics with its output when it fails (a broken generator must not
/// look like a verdict).
fn openssl_ok(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Keys are made once per (slot, type) and shared by every situation (RSA-4096 takes seconds).
struct Keys {
    dir: PathBuf,
    made: Mutex<HashMap<(String, Key), PathBuf>>,
}

impl Keys {
    fn get(&self, slot: &str, key: Key) -> PathBuf {
        let mut made = self.made.lock().expect("key cache");
        if let Some(p) = made.get(&(slot.to_owned(), key)) {
            return p.clone();
        }
        let path = self.dir.join(format!("{slot}-{}.key", key.file_stem()));
        let p = path.to_str().expect("UTF-8 path");
        match key {
            Key::Rsa(bits) => openssl_ok(
                &self.dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    &format!("rsa_keygen_bits:{bits}"),
                    "-out",
                    p,
                ],
            ),
            Key::Ec(curve) => openssl_ok(
                &self.dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    &format!("ec_paramgen_curve:{curve}"),
                    "-pkeyopt",
                    "ec_param_enc:named_curve",
                    "-out",
                    p,
                ],
            ),
            Key::Ed25519 => openssl_ok(&self.dir, &["genpkey", "-algorithm", "ED25519", "-out", p]),
        }
        made.insert((slot.to_owned(), key), path.clone());
        path
    }
}

/// `YYYYMMDDHHMMSSZ`, `days` from now (negative: in the past), for `openssl ca`.
fn asn1_time(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Writes `NAME.pem` for every certificate of the situation into `dir`, in order.
fn make(dir: &Path, situation: &Situation, keys: &Keys) {
    let mut serial = 0x1000u32;
    for cert in &situation.certs {
        serial += 1;
        let key = keys.get(cert.key_slot, cert.key);
        let key = key.to_str().expect("UTF-8");
        let out = format!("{}.pem", cert.name);
        let cnf = format!("{}.cnf", cert.name);
        let mut cnf_text = String::from("[req]\ndistinguished_name = dn\n[dn]\n[ext]\n");
        let mut addext = Vec::new();
        match &cert.exts {
            Exts::Listed(list) => {
                for (n, v) in list {
                    writeln!(cnf_text, "{n} = {v}").expect("string");
                }
            }
            Exts::ReqDefaults(lines) => addext.clone_from(lines),
        }
        std::fs::write(dir.join(&cnf), cnf_text).expect("config written");
        // The signer's key decides: Ed25519 signs without a separate digest.
        let signer_key = match cert.issuer {
            None => cert.key,
            Some(issuer) => {
                situation
                    .certs
                    .iter()
                    .find(|c| c.name == issuer)
                    .expect("the issuer is listed before")
                    .key
            }
        };
        let digest_name = if signer_key == Key::Ed25519 {
            None
        } else {
            cert.digest
        };
        let digest = digest_name.map(|d| format!("-{d}"));
        let days = if cert.when == When::TenYears {
            "3650"
        } else {
            "365"
        };
        let dated = matches!(cert.when, When::Expired | When::NotYet) || cert.text_before_pem;
        let serial_text = serial.to_string();
        match (cert.issuer, dated) {
            (None, false) => {
                let mut args = vec![
                    "req",
                    "-x509",
                    "-new",
                    "-key",
                    key,
                    "-subj",
                    &cert.subject,
                    "-days",
                    days,
                    "-set_serial",
                    &serial_text,
                    "-out",
                    &out,
                ];
                if let Exts::Listed(_) = cert.exts {
                    args.extend(["-config", &cnf, "-extensions", "ext"]);
                }
                for line in &addext {
                    args.extend(["-addext", line]);
                }
                args.extend(digest.as_deref());
                openssl_ok(dir, &args);
            }
            (Some(issuer), false) => {
                let csr = format!("{}.csr", cert.name);
                openssl_ok(
                    dir,
                    &[
                        "req",
                        "-new",
                        "-key",
                        key,
                        "-subj",
                        &cert.subject,
                        "-config",
                        &cnf,
                        "-out",
                        &csr,
                    ],
                );
                let issuer_cert = situation
                    .certs
                    .iter()
                    .find(|c| c.name == issuer)
                    .expect("the issuer is listed before");
                let issuer_key = keys.get(issuer_cert.key_slot, issuer_cert.key);
                let issuer_pem = format!("{issuer}.pem");
                let mut args = vec![
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &issuer_pem,
                    "-CAkey",
                    issuer_key.to_str().expect("UTF-8"),
                    "-extfile",
                    &cnf,
                    "-extensions",
                    "ext",
                    "-days",
                    days,
                    "-set_serial",
                    &serial_text,
                    "-out",
                    &out,
                ];
                args.extend(digest.as_deref());
                openssl_ok(dir, &args);
            }
            (issuer, true) => {
                // `openssl ca`, the one command of OpenSSL 3.0 that sets arbitrary dates.
                let (start, end) = match cert.when {
                    When::Expired => (asn1_time(-400), asn1_time(-30)),
                    When::NotYet => (asn1_time(30), asn1_time(400)),
                    When::Now | When::TenYears => (asn1_time(-1), asn1_time(365)),
                };
                let db = dir.join(format!("{}.db", cert.name));
                std::fs::create_dir_all(&db).expect("ca database");
                std::fs::write(db.join("index.txt"), "").expect("index");
                std::fs::write(db.join("serial"), format!("{serial:04X}\n")).expect("serial");
                let ca_cnf = format!("{}.ca.cnf", cert.name);
                std::fs::write(
                    dir.join(&ca_cnf),
                    format!(
                        "[ca]\ndefault_ca = d\n[d]\ndatabase = {db}/index.txt\nnew_certs_dir = {db}\n\
                         serial = {db}/serial\ndefault_md = default\npolicy = p\nunique_subject = no\n\
                         [p]\ncommonName = optional\n",
                        db = db.display()
                    ),
                )
                .expect("ca config written");
                let csr = format!("{}.csr", cert.name);
                openssl_ok(
                    dir,
                    &[
                        "req",
                        "-new",
                        "-key",
                        key,
                        "-subj",
                        &cert.subject,
                        "-config",
                        &cnf,
                        "-out",
                        &csr,
                    ],
                );
                let mut args = vec![
                    "ca",
                    "-batch",
                    "-config",
                    &ca_cnf,
                    "-in",
                    &csr,
                    "-subj",
                    &cert.subject,
                    "-preserveDN",
                    "-startdate",
                    &start,
                    "-enddate",
                    &end,
                    "-extfile",
                    &cnf,
                    "-extensions",
                    "ext",
                    "-out",
                    &out,
                ];
                if !cert.text_before_pem {
                    args.push("-notext");
                }
                let issuer_key;
                let issuer_pem;
                match issuer {
                    None => args.extend(["-selfsign", "-keyfile", key]),
                    Some(issuer) => {
                        let issuer_cert = situation
                            .certs
                            .iter()
                            .find(|c| c.name == issuer)
                            .expect("the issuer is listed before");
                        issuer_key = keys.get(issuer_cert.key_slot, issuer_cert.key);
                        issuer_pem = format!("{issuer}.pem");
                        args.extend([
                            "-cert",
                            &issuer_pem,
                            "-keyfile",
                            issuer_key.to_str().expect("UTF-8"),
                        ]);
                    }
                }
                let md = digest_name.unwrap_or("default");
                args.extend(["-md", md]);
                openssl_ok(dir, &args);
            }
        }
    }
    let concat = |names: &[&str], file: &str| {
        let mut text = Vec::new();
        for n in names {
            text.extend(std::fs::read(dir.join(format!("{n}.pem"))).expect("made above"));
        }
        std::fs::write(dir.join(file), text).expect("bundle written");
    };
    concat(&situation.anchors, "anchors.pem");
    concat(&situation.untrusted, "untrusted.pem");
}

// ---------------------------------------------------------------------------------------------
// The two verdicts
// ---------------------------------------------------------------------------------------------

/// `openssl verify -x509_strict -purpose sslserver ...`: Ok, or openssl's error line.
fn openssl_verdict(dir: &Path, s: &Situation) -> Result<(), String> {
    let leaf = format!("{}.pem", s.leaf());
    let mut args = vec![
        "verify",
        "-x509_strict",
        "-purpose",
        "sslserver",
        "-CAfile",
        "anchors.pem",
    ];
    if !s.untrusted.is_empty() {
        args.extend(["-untrusted", "untrusted.pem"]);
    }
    match s.check {
        NameCheck::None => {}
        NameCheck::Dns(h) => args.extend(["-verify_hostname", h]),
        NameCheck::Ip(ip) => args.extend(["-verify_ip", ip]),
    }
    args.push(&leaf);
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(&args)
        .output()
        .expect("openssl runs");
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // "CN = DEV-0001\nerror 10 at 0 depth lookup: certificate has expired\n..."
    Err(text
        .lines()
        .find(|l| l.starts_with("error ") && l.contains(" depth lookup"))
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("refused")
        .to_owned())
}

/// Ours, in anchors mode: `"accepted"` or the refusal code (or the input error's code).
fn our_verdict(dir: &Path, s: &Situation) -> Result<(), String> {
    let load = |name: &str| -> Result<Vec<CertificateDer<'static>>, String> {
        trust::load_certificates(dir.join(name)).map_err(|e| e.code().to_owned())
    };
    let anchors = Anchors::from_certificates(load("anchors.pem")?)
        .map_err(|e| format!("anchor {}", e.code()))?;
    let leaf = load(&format!("{}.pem", s.leaf()))?;
    let intermediates = if s.untrusted.is_empty() {
        Vec::new()
    } else {
        load("untrusted.pem")?
    };
    let mut builder = TrustPolicy::builder().anchors(anchors);
    match s.check {
        NameCheck::None => {}
        NameCheck::Dns(h) => builder = builder.identity(Identity::Dns(h.to_owned())),
        NameCheck::Ip(ip) => {
            builder = builder.identity(Identity::Ip(ip.parse::<IpAddr>().expect("an address")));
        }
    }
    let policy = builder.build().map_err(|e| e.code().to_owned())?;
    policy
        .check(&leaf[0], &intermediates, UnixTime::now(), None)
        .map(|_| ())
        .map_err(|r| r.code().to_owned())
}

struct Outcome {
    name: &'static str,
    openssl: Result<(), String>,
    ours: Result<(), String>,
}

impl Outcome {
    fn agree(&self) -> bool {
        self.openssl.is_ok() == self.ours.is_ok()
    }

    fn ours_text(&self) -> &str {
        match &self.ours {
            Ok(()) => "accepted",
            Err(code) => code,
        }
    }

    fn openssl_text(&self) -> &str {
        match &self.openssl {
            Ok(()) => "accepted",
            Err(line) => line,
        }
    }
}

fn run_all() -> Vec<Outcome> {
    let work = tempfile::tempdir().expect("temporary directory");
    let keys = Keys {
        dir: work.path().to_owned(),
        made: Mutex::new(HashMap::new()),
    };
    let all = situations();
    let next = Mutex::new(all.iter());
    let outcomes = Mutex::new(Vec::new());
    // Two workers: openssl processes dominate, and the machine has two cores.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some(s) = next.lock().expect("queue").next() else {
                    break;
                };
                let dir = work.path().join(s.name);
                std::fs::create_dir_all(&dir).expect("situation directory");
                make(&dir, s, &keys);
                let outcome = Outcome {
                    name: s.name,
                    openssl: openssl_verdict(&dir, s),
                    ours: our_verdict(&dir, s),
                };
                outcomes.lock().expect("outcomes").push(outcome);
            });
        }
    });
    let mut outcomes = outcomes.into_inner().expect("outcomes");
    outcomes.sort_by_key(|o| o.name);
    outcomes
}

#[test]
fn openssl_verify_x509_strict_and_the_anchors_mode_disagree_only_where_documented() {
    if !accessory_tests::skip::require_tool("openssl") {
        return;
    }
    let outcomes = run_all();
    let mut report = String::new();
    let mut failures = Vec::new();
    for o in &outcomes {
        let entry = DISAGREEMENTS.iter().find(|e| e.situation == o.name);
        let mark = match (o.agree(), entry) {
            (true, None) => "agree",
            (false, Some(e)) if e.ours == o.ours_text() => "documented",
            (false, Some(e)) => {
                failures.push(format!(
                    "{}: documented with our verdict {:?}, now {:?}",
                    o.name,
                    e.ours,
                    o.ours_text()
                ));
                "CHANGED"
            }
            (false, None) => {
                failures.push(format!(
                    "{}: NEW disagreement (openssl: {}; ours: {})",
                    o.name,
                    o.openssl_text(),
                    o.ours_text()
                ));
                "NEW"
            }
            (true, Some(_)) => {
                failures.push(format!(
                    "{}: listed as a disagreement but both now say {}",
                    o.name,
                    o.ours_text()
                ));
                "STALE"
            }
        };
        writeln!(
            report,
            "{mark:>10} {:<70} openssl: {} | ours: {}",
            o.name,
            o.openssl_text(),
            o.ours_text()
        )
        .expect("string");
    }
    for e in DISAGREEMENTS {
        if !outcomes.iter().any(|o| o.name == e.situation) {
            failures.push(format!("{}: listed but no such situation", e.situation));
        }
        if DISAGREEMENTS
            .iter()
            .filter(|x| x.situation == e.situation)
            .count()
            > 1
        {
            failures.push(format!("{}: listed twice", e.situation));
        }
        let side = match e.right {
            Right::Us => "we believe our verdict is right",
            Right::OpenSsl => "we believe openssl is right",
        };
        writeln!(report, "documented {}: {side}: {}", e.situation, e.reason).expect("string");
    }
    let agree = outcomes.iter().filter(|o| o.agree()).count();
    println!("{report}");
    println!(
        "{} situations, {} agree, {} documented disagreements",
        outcomes.len(),
        agree,
        outcomes.len() - agree
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(outcomes.len() >= 60, "at least 60 situations");
    // The generator works: the plain chains are accepted by both, a foreign root refused by both.
    for (name, accepted) in [
        ("root_issues_leaf", true),
        ("root_inter_leaf", true),
        ("leaf_from_a_foreign_root", false),
        ("leaf_expired", false),
    ] {
        let o = outcomes.iter().find(|o| o.name == name).expect(name);
        assert_eq!(
            o.openssl.is_ok(),
            accepted,
            "{name}: openssl {}",
            o.openssl_text()
        );
        assert_eq!(o.ours.is_ok(), accepted, "{name}: ours {}", o.ours_text());
    }
}

#[test]
fn every_documented_disagreement_is_in_docs_differential_md_with_our_verdict() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/differential.md"),
    )
    .expect("docs/differential.md is in the repository");
    for e in DISAGREEMENTS {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", e.situation)))
            .unwrap_or_else(|| panic!("{}: no row in docs/differential.md", e.situation));
        let ours = if e.ours == "accepted" {
            " accepted |".to_owned()
        } else {
            format!(" `{}` |", e.ours)
        };
        assert!(
            row.contains(&ours),
            "{}: the doc's row says otherwise: {row}",
            e.situation
        );
        let right = match e.right {
            Right::Us => "| us |",
            Right::OpenSsl => "| openssl |",
        };
        assert!(
            row.contains(right),
            "{}: the doc's row names another side: {row}",
            e.situation
        );
    }
    let rows = doc
        .lines()
        .skip_while(|l| !l.starts_with("| situation | openssl | ours |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .count();
    assert_eq!(
        rows,
        DISAGREEMENTS.len(),
        "one row per documented disagreement"
    );
}
