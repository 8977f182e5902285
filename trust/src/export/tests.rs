//! Exports checked in-process; `tests/admin_export.rs` checks them with real parsers (plistlib,
//! xml.etree) and curl.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use rustls_pki_types::CertificateDer;

use super::*;

fn root(cn: &str) -> ExportAnchor {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let der = p
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .clone();
    ExportAnchor::from_certificate(der, None).unwrap()
}

fn device(id: &str) -> ExportAnchor {
    let mut p = CertificateParams::new(vec![format!("{id}.accessory.local")]).unwrap();
    p.distinguished_name.push(DnType::CommonName, id);
    let der = p
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .clone();
    ExportAnchor::from_certificate(der, None).unwrap()
}

#[test]
fn a_re_export_of_the_same_anchors_is_byte_identical() {
    let input = ExportInput::new(vec![root("Maker Root"), device("SIM-0001")], vec![]);
    let a = export(Format::Mobileconfig, &input).unwrap();
    let b = export(Format::Mobileconfig, &input).unwrap();
    assert_eq!(a.files[0].contents, b.files[0].contents);
    let text = String::from_utf8(a.files[0].contents.clone()).unwrap();
    assert!(text.contains("<string>com.apple.security.root</string>"));
    assert!(text.contains("<string>Configuration</string>"));
    assert!(a.instructions.contains("Certificate Trust Settings"));
    assert_eq!(a.files.last().unwrap().path, "README.txt");
}

#[test]
fn stable_uuids_are_version_8_and_differ_by_name() {
    let u = stable_uuid("a");
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "8");
    assert!(matches!(&u[19..20], "8" | "9" | "A" | "B"));
    assert_ne!(u, stable_uuid("b"));
    assert_eq!(u, stable_uuid("a"));
}

#[test]
fn android_raw_names_are_lowercase_letters_digits_and_underscores() {
    assert_eq!(
        android::raw_name("Maker Root CA (2026)"),
        "maker_root_ca_2026"
    );
    assert_eq!(android::raw_name("SIM-0001"), "sim_0001");
    assert_eq!(android::raw_name("0001"), "anchor_0001");
    assert_eq!(android::raw_name("..."), "anchor");
}

#[test]
fn android_export_scopes_anchors_and_pins_to_the_domain() {
    let mut input = ExportInput::new(
        vec![root("Maker Root"), root("Maker Root")],
        vec!["sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()],
    );
    input.pin_expiration = Some("2027-01-01".into());
    let e = export(Format::AndroidNsc, &input).unwrap();
    let xml = String::from_utf8(e.files[0].contents.clone()).unwrap();
    assert_eq!(e.files[0].path, "xml/network_security_config.xml");
    assert!(xml.contains("<domain includeSubdomains=\"false\">192.168.4.1</domain>"));
    assert!(xml.contains("<pin-set expiration=\"2027-01-01\">"));
    assert!(
        xml.contains("<pin digest=\"SHA-256\">AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</pin>")
    );
    let raws: Vec<_> = e
        .files
        .iter()
        .filter(|f| f.path.starts_with("raw/"))
        .collect();
    assert_eq!(
        raws.len(),
        2,
        "two distinct raw files for two anchors with one label"
    );
    assert_ne!(raws[0].path, raws[1].path);
}

#[test]
fn android_xml_comments_never_hold_a_double_hyphen() {
    let e = export(
        Format::AndroidNsc,
        &ExportInput::new(vec![root("a--b-")], vec![]),
    )
    .unwrap();
    let xml = String::from_utf8(e.files[0].contents.clone()).unwrap();
    for comment in xml.split("<!--").skip(1) {
        let body = comment.split("-->").next().unwrap();
        assert!(!body.contains("--") && !body.ends_with('-'), "{body:?}");
    }
}

#[test]
fn a_bad_pin_expiration_is_refused() {
    let mut input = ExportInput::new(vec![root("R")], vec![]);
    input.pin_expiration = Some("next year".into());
    let e = export(Format::AndroidNsc, &input).unwrap_err();
    assert_eq!(e.code(), "export.invalid_value");
}

#[test]
fn curl_pins_take_server_keys_and_leave_ca_roots_out_with_a_warning() {
    let dev = device("SIM-0001");
    let input = ExportInput::new(vec![root("Maker Root"), dev.clone()], vec![]);
    let e = export(Format::CurlPins, &input).unwrap();
    let text = String::from_utf8(e.files[0].contents.clone()).unwrap();
    assert_eq!(
        text.trim(),
        format!("sha256//{}", dev.pin.trim_start_matches("sha256/"))
    );
    assert!(e.warnings[0].contains("Maker Root"));
    let only_ca = ExportInput::new(vec![root("Maker Root")], vec![]);
    assert_eq!(
        export(Format::CurlPins, &only_ca).unwrap_err().code(),
        "export.unsuitable"
    );
}

#[test]
fn curl_pins_follow_the_anchor_role_not_the_mere_presence_of_a_san() {
    let make = |ca: bool, cert_sign: bool| {
        let mut p = CertificateParams::new(vec!["dev-1.accessory.local".to_owned()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "dev-1");
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        if cert_sign {
            p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        }
        let der = p
            .self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .clone();
        ExportAnchor::from_certificate(der, None).unwrap()
    };
    // `openssl req -x509 -addext subjectAltName=…`: CA:TRUE, no keyUsage, a host name: endpoint.
    assert!(make(true, false).names_a_server);
    // A CA made on purpose (keyCertSign) that happens to carry a SAN: an issuer, not a server.
    assert!(!make(true, true).names_a_server);
}

#[test]
fn nothing_to_export_is_an_error() {
    let e = export(Format::Json, &ExportInput::new(vec![], vec![])).unwrap_err();
    assert_eq!(e.code(), "export.empty");
}

#[test]
fn the_json_export_parses_and_carries_each_anchor_with_its_pem() {
    let dev = device("SIM-0001");
    let input = ExportInput::new(vec![dev.clone()], vec!["sha256/x".into()]);
    let e = export(Format::Json, &input).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&e.files[0].contents).unwrap();
    assert_eq!(v["anchors"][0]["fingerprint"], dev.fingerprint.as_str());
    assert_eq!(v["anchors"][0]["pin"], dev.pin.as_str());
    let pem = v["anchors"][0]["pem"].as_str().unwrap();
    use rustls_pki_types::pem::PemObject as _;
    assert_eq!(
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap(),
        dev.certificate
    );
    assert_eq!(v["pins"][0], "sha256/x");
}

#[test]
fn writing_into_a_directory_with_an_existing_file_writes_nothing_without_force() {
    let input = ExportInput::new(vec![root("Maker Root")], vec![]);
    let e = export(Format::Mobileconfig, &input).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let readme = dir.path().join("README.txt");
    std::fs::write(&readme, "mine").unwrap();
    let mut wrote = Vec::new();
    let err = e
        .write_to(dir.path(), false, |p| wrote.push(p.to_owned()))
        .unwrap_err();
    assert!(matches!(&err, ExportError::Exists { path } if *path == readme));
    assert_eq!(err.code(), crate::diagnosis::codes::EXPORT_EXISTS);
    assert_eq!(err.kind(), crate::ErrorKind::LocalState);
    assert!(wrote.is_empty());
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    e.write_to(dir.path(), true, |p| wrote.push(p.to_owned()))
        .unwrap();
    assert_eq!(wrote.len(), e.files.len());
    for f in &e.files {
        assert_eq!(std::fs::read(dir.path().join(&f.path)).unwrap(), f.contents);
    }
}
