//! The certificate catalogue checked by a second implementation, as rcgen's `verify-tests` does:
//! openssl parses every certificate and key the `certs` crate writes, computes every pin itself, and
//! `openssl verify` agrees with each profile's expectation wherever openssl's verdict means something.
//!
//! Where it does not: openssl has no notion of a device id (so `cn-only` is checked by hostname and by
//! the absence of a SAN), accepts a CA:TRUE certificate as a TLS server (`ca-as-leaf` is checked by
//! what `-text` shows), and at its default security level (1, 80 bits) still accepts RSA-1024 and
//! SHA-1: both are refused at `-auth_level 2`, which is asserted.

use std::path::{Path, PathBuf};
use std::process::Command;

use certs::catalogue::{self, Manifest};

const DEVICE: &str = "SIM-0042";

struct Catalogue {
    _dir: tempfile::TempDir,
    root: PathBuf,
    manifest: Manifest,
}

fn catalogue() -> Catalogue {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().to_owned();
    let manifest = catalogue::write(&root, &certs::Options::new(DEVICE), false)
        .expect("the catalogue is written");
    Catalogue {
        _dir: dir,
        root,
        manifest,
    }
}

fn openssl_available() -> bool {
    accessory_tests::skip::require_tool("openssl")
}

/// Runs openssl; returns (success, stdout + stderr).
fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// `openssl verify -CAfile anchors.pem [-untrusted intermediates.pem] EXTRA leaf.pem`: Ok, or the
/// X509_V_ERR number openssl reports.
fn verify(dir: &Path, extra: &[&str]) -> Result<(), u32> {
    let anchors = dir.join(certs::file::ANCHORS);
    let intermediates = dir.join(certs::file::INTERMEDIATES);
    let leaf = dir.join(certs::file::LEAF);
    let mut args = vec!["verify", "-CAfile", path(&anchors)];
    if intermediates.exists() {
        args.extend(["-untrusted", path(&intermediates)]);
    }
    args.extend_from_slice(extra);
    args.push(path(&leaf));
    let (ok, text) = openssl(&args);
    if ok {
        return Ok(());
    }
    // "CN = SIM-0042, ... error 10 at 0 depth lookup: certificate has expired"
    let code = text
        .split("error ")
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u32>().ok())
        .next();
    Err(code.unwrap_or_else(|| panic!("openssl verify failed without an error number: {text}")))
}

/// The SHA-256 SPKI pin of a certificate, computed by openssl alone.
fn openssl_pin(cert: &Path) -> String {
    let pubkey = Command::new("openssl")
        .args(["x509", "-noout", "-pubkey", "-in", path(cert)])
        .output()
        .expect("openssl x509 -pubkey");
    assert!(pubkey.status.success());
    let der = pipe(&["pkey", "-pubin", "-outform", "DER"], &pubkey.stdout);
    let digest = pipe(&["dgst", "-sha256", "-binary"], &der);
    let b64 = pipe(&["base64", "-A"], &digest);
    format!("sha256/{}", String::from_utf8(b64).unwrap().trim())
}

/// The public key of a private key file, PEM, by openssl.
fn openssl_public_of_key(key: &Path) -> String {
    let (ok, text) = openssl(&["pkey", "-in", path(key), "-pubout"]);
    assert!(ok, "openssl cannot read {}: {text}", key.display());
    text
}

fn openssl_public_of_cert(cert: &Path) -> String {
    let (ok, text) = openssl(&["x509", "-noout", "-pubkey", "-in", path(cert)]);
    assert!(ok, "{text}");
    text
}

fn pipe(args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?}");
    out.stdout
}

/// Splits a PEM bundle into one PEM text per certificate.
fn split_pem(text: &str) -> Vec<String> {
    text.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|s| s.contains("BEGIN CERTIFICATE"))
        .map(str::to_owned)
        .collect()
}

fn x509_text(pem: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.pem");
    std::fs::write(&file, pem).unwrap();
    let (ok, text) = openssl(&["x509", "-noout", "-text", "-in", path(&file)]);
    assert!(ok, "openssl cannot parse a certificate: {text}\n{pem}");
    text
}

#[test]
fn openssl_parses_every_certificate_and_key_of_the_catalogue() {
    if !openssl_available() {
        return;
    }
    let c = catalogue();
    let all = c.manifest.profiles.iter().chain(&c.manifest.serving_faults);
    for entry in all {
        let dir = c.root.join(&entry.dir);
        for file in ["chain.pem", "anchors.pem", "withheld.pem"] {
            let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
                continue;
            };
            let certs = split_pem(&text);
            assert!(
                !certs.is_empty(),
                "{}/{file} holds no certificate",
                entry.name
            );
            for pem in certs {
                x509_text(&pem);
            }
        }
        openssl_public_of_key(&dir.join(certs::file::KEY));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(certs::file::KEY))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "{}: key.pem is readable by others",
                entry.name
            );
        }
    }
}

#[test]
fn openssl_computes_the_same_pins_as_the_manifest() {
    if !openssl_available() {
        return;
    }
    let c = catalogue();
    for entry in c.manifest.profiles.iter().chain(&c.manifest.serving_faults) {
        let dir = c.root.join(&entry.dir);
        let served = openssl_pin(&dir.join(certs::file::LEAF));
        assert_eq!(served, entry.served_pin, "{}", entry.name);
        let recorded = std::fs::read_to_string(dir.join(certs::file::PIN)).unwrap();
        assert_eq!(recorded.trim(), entry.pin, "{}", entry.name);
        if entry.name == "key-rotated" {
            assert_ne!(entry.pin, served, "key-rotated records the old key's pin");
        } else {
            assert_eq!(entry.pin, served, "{}", entry.name);
        }
    }
}

#[test]
fn every_served_key_belongs_to_its_leaf_except_the_wrong_key_fault() {
    if !openssl_available() {
        return;
    }
    let c = catalogue();
    for entry in c.manifest.profiles.iter().chain(&c.manifest.serving_faults) {
        let dir = c.root.join(&entry.dir);
        let of_key = openssl_public_of_key(&dir.join(certs::file::KEY));
        let of_cert = openssl_public_of_cert(&dir.join(certs::file::LEAF));
        if entry.name == "wrong-key" {
            assert_ne!(
                of_key, of_cert,
                "wrong-key must serve a key that is not the leaf's"
            );
        } else {
            assert_eq!(
                of_key, of_cert,
                "{}: key.pem is not the leaf's key",
                entry.name
            );
        }
    }
}

#[test]
fn openssl_verify_agrees_with_each_profiles_expectation() {
    if !openssl_available() {
        return;
    }
    let c = catalogue();
    let host = format!("{DEVICE}.accessory.local");
    // What a strict TLS client checks: server purpose, the device's DNS name, 112-bit security.
    let strict = [
        "-purpose",
        "sslserver",
        "-verify_hostname",
        host.as_str(),
        "-auth_level",
        "2",
    ];
    let dir = |name: &str| c.root.join(name);
    let leaf_text = |name: &str| {
        x509_text(&std::fs::read_to_string(dir(name).join(certs::file::LEAF)).unwrap())
    };

    // Good profiles verify strictly, and by IP as well.
    for good in [
        "good-chain",
        "good-self-signed",
        "self-signed-ca",
        "key-rotated",
    ] {
        assert_eq!(verify(&dir(good), &strict), Ok(()), "{good}");
        assert_eq!(
            verify(&dir(good), &["-verify_ip", "192.168.4.1"]),
            Ok(()),
            "{good}"
        );
    }
    assert!(leaf_text("self-signed-ca").contains("CA:TRUE"));
    assert!(leaf_text("good-self-signed").contains("CA:FALSE"));

    // X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID.
    assert_eq!(verify(&dir("expired"), &[]), Err(10));
    assert_eq!(verify(&dir("not-yet-valid"), &[]), Err(9));

    // X509_V_ERR_HOSTNAME_MISMATCH: the leaf names another device.
    assert_eq!(verify(&dir("wrong-name"), &[]), Ok(()));
    assert_eq!(verify(&dir("wrong-name"), &strict), Err(62));

    // No SAN at all: the chain is fine, the CN is the device id, and no DNS name matches.
    let cn_only = leaf_text("cn-only");
    assert!(!cn_only.contains("Subject Alternative Name"), "{cn_only}");
    assert!(cn_only.contains(&format!("CN = {DEVICE}")), "{cn_only}");
    assert_eq!(verify(&dir("cn-only"), &[]), Ok(()));
    assert_eq!(verify(&dir("cn-only"), &strict), Err(62));

    // X509_V_ERR_IP_ADDRESS_MISMATCH.
    assert_eq!(verify(&dir("ip-not-in-san"), &strict), Ok(()));
    assert_eq!(
        verify(&dir("ip-not-in-san"), &["-verify_ip", "192.168.4.1"]),
        Err(64)
    );

    // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT.
    assert_eq!(verify(&dir("untrusted-root"), &[]), Err(20));
    assert_eq!(verify(&dir("self-signed-unknown"), &[]), Err(18));
    assert_eq!(verify(&dir("incomplete-chain"), &[]), Err(20));
    // ...and the withheld intermediate is exactly the missing link.
    let withheld = dir("incomplete-chain").join(certs::file::WITHHELD);
    assert_eq!(
        verify(&dir("incomplete-chain"), &["-untrusted", path(&withheld)]),
        Ok(())
    );

    // openssl accepts a CA certificate as a TLS server; it is `trust` (webpki) that refuses it.
    // Check that the certificate is what the profile says: CA:TRUE, issued by the intermediate.
    assert_eq!(verify(&dir("ca-as-leaf"), &strict), Ok(()));
    let ca_leaf = leaf_text("ca-as-leaf");
    assert!(ca_leaf.contains("CA:TRUE"), "{ca_leaf}");
    assert!(ca_leaf
        .contains("Issuer: O = Accessory Manufacturer, CN = Accessory Manufacturer Device CA"));

    // X509_V_ERR_INVALID_PURPOSE.
    assert_eq!(verify(&dir("client-auth-eku"), &[]), Ok(()));
    assert_eq!(verify(&dir("client-auth-eku"), &strict), Err(26));

    // Over 825 days: still valid in 826 days' time.
    assert_eq!(verify(&dir("long-validity"), &strict), Ok(()));
    let leaf = dir("long-validity").join(certs::file::LEAF);
    let seconds = (826 * 86_400).to_string();
    let (ok, text) = openssl(&["x509", "-noout", "-checkend", &seconds, "-in", path(&leaf)]);
    assert!(ok, "long-validity expires within 826 days: {text}");
    let good = dir("good-chain").join(certs::file::LEAF);
    let (ok, _) = openssl(&["x509", "-noout", "-checkend", &seconds, "-in", path(&good)]);
    assert!(!ok, "a good leaf is valid for about a year");

    // Weak algorithms: accepted at openssl's default level 1 (80 bits), refused at level 2:
    // X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_MD_TOO_WEAK.
    assert!(leaf_text("rsa-1024").contains("Public-Key: (1024 bit)"));
    assert_eq!(verify(&dir("rsa-1024"), &[]), Ok(()));
    assert_eq!(verify(&dir("rsa-1024"), &["-auth_level", "2"]), Err(66));
    assert!(leaf_text("sha1").contains("Signature Algorithm: sha1WithRSAEncryption"));
    assert_eq!(verify(&dir("sha1"), &[]), Ok(()));
    assert_eq!(verify(&dir("sha1"), &["-auth_level", "2"]), Err(68));

    // X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION.
    assert!(leaf_text("unknown-critical-extension").contains("1.3.6.1.4.1.32473.1: critical"));
    assert_eq!(verify(&dir("unknown-critical-extension"), &[]), Err(34));

    // wrong-key: the certificate is genuine; only the key is not its own (checked above).
    assert_eq!(verify(&dir("wrong-key"), &strict), Ok(()));
}

#[test]
fn every_profile_of_the_catalogue_is_in_the_manifest_with_its_expectations() {
    let c = catalogue();
    let names: Vec<_> = c
        .manifest
        .profiles
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let expected: Vec<_> = certs::profiles().iter().map(|p| p.name).collect();
    assert_eq!(names, expected);
    let text = std::fs::read_to_string(c.root.join(catalogue::MANIFEST)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (entry, profile) in json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .zip(certs::profiles())
    {
        for mode in certs::TrustMode::ALL {
            let e = &entry["expect"][mode.as_str()];
            match profile.expect.get(mode) {
                certs::Expected::Accept => assert_eq!(e["verdict"], "accept"),
                certs::Expected::Refuse(code) => {
                    assert_eq!(e["verdict"], "refuse");
                    assert_eq!(e["code"], code);
                }
            }
        }
        assert!(entry["pin"].as_str().unwrap().starts_with("sha256/"));
    }
}
