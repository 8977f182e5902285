//! docs/alerts.md is hand-written for people; these tests hold it to the code: every alert row to
//! `trust`'s diagnosis catalogue (Apple's name and number, Android's reason), every profile row to the
//! ClientHello the profile really sends.

use std::net::Ipv4Addr;

use probe::{Alert, ClientProfile};
use rustls_pki_types::ServerName;
use trust::Diagnosis;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/alerts.md");
    std::fs::read_to_string(path).expect("docs/alerts.md exists")
}

/// The cells of every table row in `doc` (header and separator rows included).
fn rows(doc: &str) -> Vec<Vec<String>> {
    doc.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

/// `errSSLPeerBadCert (-9825)` -> (`errSSLPeerBadCert`, -9825).
fn apple_cell(cell: &str) -> (String, i32) {
    let (name, number) = cell
        .split_once(" (")
        .unwrap_or_else(|| panic!("not `name (number)`: {cell}"));
    (
        name.to_owned(),
        number.trim_end_matches(')').parse().unwrap(),
    )
}

#[test]
fn every_alert_row_agrees_with_the_diagnosis_catalogue_and_every_alert_apple_names_has_a_row() {
    let doc = doc();
    let mut documented = Vec::new();
    for row in rows(&doc) {
        let Ok(number) = row[0].parse::<u8>() else {
            continue;
        };
        let name = &row[1];
        assert_eq!(
            Alert::from_number(number).name,
            name,
            "alert {number}'s name"
        );
        let code = format!("tls.peer_alert.{name}");
        let d =
            Diagnosis::lookup(&code).unwrap_or_else(|| panic!("{code} is not in the catalogue"));
        let apple = d
            .apple
            .unwrap_or_else(|| panic!("{code} has no Apple name in the catalogue"));
        assert_eq!(
            apple_cell(&row[2]),
            (apple.name.to_owned(), apple.number),
            "{code}"
        );
        let android = d.android.unwrap_or_default();
        assert!(
            android.ends_with(&row[3]),
            "{code}: docs say {}, code says {android}",
            row[3]
        );
        documented.push(code);
    }
    for d in trust::diagnosis::CATALOGUE {
        if d.code.starts_with("tls.peer_alert.")
            && d.code != "tls.peer_alert.unknown"
            && d.apple.is_some()
        {
            assert!(
                documented.iter().any(|c| c == d.code),
                "{} is missing from docs/alerts.md",
                d.code
            );
        }
    }
}

#[test]
fn the_rows_without_an_alert_agree_with_the_network_diagnoses() {
    let doc = doc();
    let rows = rows(&doc);
    for (starts, code) in [
        ("reset the connection", "net.reset"),
        ("closed the connection", "net.closed"),
        ("never answered", "net.timeout"),
    ] {
        let row = rows
            .iter()
            .find(|r| r[0].starts_with(starts))
            .unwrap_or_else(|| panic!("no row for {code}"));
        let d = Diagnosis::lookup(code).unwrap();
        let apple = d.apple.unwrap();
        assert_eq!(
            apple_cell(&row[1]),
            (apple.name.to_owned(), apple.number),
            "{code}"
        );
        assert_eq!(row[2], d.android.unwrap(), "{code}");
    }
}

#[test]
fn the_clienthello_sizes_in_the_docs_are_the_ones_measured() {
    let doc = doc();
    let accessory = ServerName::IpAddress(Ipv4Addr::new(192, 168, 4, 1).into());
    let mut checked = 0;
    for row in rows(&doc) {
        let Ok(profile) = ClientProfile::by_name(&row[0]) else {
            continue;
        };
        let measured = probe::measure(profile, accessory.clone()).unwrap();
        let documented = row.last().unwrap();
        assert_eq!(
            *documented,
            format!("{} bytes", measured.record_bytes),
            "{}",
            profile.name
        );
        checked += 1;
    }
    assert_eq!(checked, probe::profiles().len(), "every profile has a row");
}

/// coreTLS (`lib/sslAlertMessage.c`, `SSLProcessAlert`) reports every received fatal alert it has no
/// `errSSLPeer…` case for as errSSLFatalAlert (-9802), 110 explicitly; the catalogue and the docs say
/// so, and no longer call 86, 110, 112, 113 and 115 TLS 1.3 alerts.
#[test]
fn alerts_coretls_has_no_case_for_are_errsslfatalalert_and_the_docs_source_it() {
    for number in [86u8, 109, 110, 111, 112, 113, 114, 115, 116, 120, 121] {
        let name = Alert::from_number(number).name;
        let d = Diagnosis::lookup(&format!("tls.peer_alert.{name}")).unwrap();
        let apple = d.apple.expect("an Apple name");
        assert_eq!(
            (apple.name, apple.number),
            ("errSSLFatalAlert", -9802),
            "{name}"
        );
    }
    let doc = doc();
    assert!(!doc.contains("alerts added with TLS 1.3"));
    for cited in [
        "coreTLS",
        "sslAlertMessage.c",
        "errSSLHandshakeFail (-9858)",
        "errSSLNoRootCert (-9813)",
        "errSSLBadCert (-9808)",
        "NSURLErrorServerCertificateUntrusted (-1202)",
        "apps *targeting* API level 24",
        "MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA",
        "keeping the\n  default value of 16KB for the incoming buffer",
    ] {
        assert!(doc.contains(cited), "docs/alerts.md should cite {cited:?}");
    }
}

/// mbedTLS's guidance (keep the 16 KB incoming buffer on a server) is what the fix texts say, in
/// the catalogue and in the probe's verdict.
#[test]
fn the_record_overflow_fix_follows_mbedtls_guidance_and_bad_certificate_does_not_claim_a_field_report(
) {
    let overflow = Diagnosis::lookup("tls.peer_alert.record_overflow").unwrap();
    assert!(overflow
        .fix
        .contains("keep MBEDTLS_SSL_IN_CONTENT_LEN at its default 16384"));
    assert!(overflow.cause.contains("mbedTLS sends no alert"));
    let bad_cert = Diagnosis::lookup("tls.peer_alert.bad_certificate").unwrap();
    assert!(bad_cert.cause.contains("unverified"), "{}", bad_cert.cause);
    assert!(!bad_cert.cause.contains("(iOS 26 field reports)"));
}
