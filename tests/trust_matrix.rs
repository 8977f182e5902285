//! The expectation matrix: every certificate profile under every trust mode, through a real TLS
//! handshake on loopback, gives the verdict `certs::profiles()` promises (and the catalogue's
//! manifest.json publishes). A man in the middle with a genuine certificate and another key is
//! refused in every mode, over TLS 1.2 and 1.3.

use std::fmt::Write as _;

use accessory_tests::tls::{handshake, server_config, Server};
use certs::{Expected, Material, ProfileIdentity, TrustMode};
use trust::{AccessoryVerifier, Anchors, Diagnosis, Identity, Pin, TrustPolicy};

const DEVICE_ID: &str = "SIM-0001";

fn policy(material: &Material, mode: TrustMode) -> TrustPolicy {
    let identity = match material.profile.identity {
        ProfileIdentity::DeviceId => Identity::DeviceId(material.device_id.clone()),
        ProfileIdentity::Ip(ip) => Identity::Ip(ip),
    };
    let pin: Pin = material.pin.parse().expect("the material's pin parses");
    let anchors = || Anchors::from_certificates(material.anchors.clone()).expect("anchors load");
    let builder = TrustPolicy::builder().identity(identity);
    match mode {
        TrustMode::Pin => builder.pin(pin),
        TrustMode::Anchors => builder.anchors(anchors()),
        TrustMode::Both => builder.pin(pin).anchors(anchors()),
    }
    .build()
    .expect("a non-empty policy")
}

/// The verdict a client reaches: `Ok(())` or the diagnosis code of its error.
async fn verdict(server: &Server, policy: TrustPolicy) -> Result<(), Diagnosis> {
    let verifier = AccessoryVerifier::new(policy);
    match handshake(server.addr(), trust::client_config(verifier.clone())).await {
        Ok(greeting) => {
            assert_eq!(greeting, "hello from the accessory\n");
            assert!(
                verifier.observed().is_some(),
                "an accepted peer is observed"
            );
            Ok(())
        }
        Err(e) => Err(Diagnosis::from_io(&e)),
    }
}

fn describe(r: &Result<(), Diagnosis>) -> String {
    match r {
        Ok(()) => "accept".to_owned(),
        Err(d) => format!("{d}"),
    }
}

#[tokio::test]
async fn every_profile_gets_its_expected_verdict_in_every_mode_over_a_real_handshake() {
    let mut failures = String::new();
    let mut checked = 0;
    for profile in certs::profiles() {
        let material = certs::generate(profile.name, &certs::Options::new(DEVICE_ID))
            .unwrap_or_else(|e| panic!("generating {}: {e}", profile.name));
        let key = certs::serving::certified_key(&material)
            .unwrap_or_else(|e| panic!("serving {}: {e}", profile.name));
        let server = Server::start(key).await;
        for mode in TrustMode::ALL {
            let got = verdict(&server, policy(&material, mode)).await;
            checked += 1;
            let ok = match (profile.expect.get(mode), &got) {
                (Expected::Accept, Ok(())) => true,
                (Expected::Refuse(code), Err(d)) => d.code == code,
                _ => false,
            };
            if !ok {
                let _ = writeln!(
                    failures,
                    "{:<28} {:<8} expected {:?}, got {}",
                    profile.name,
                    mode.as_str(),
                    profile.expect.get(mode),
                    describe(&got)
                );
            }
        }
    }
    assert_eq!(
        checked,
        3 * certs::profiles().len(),
        "the matrix covers every profile"
    );
    assert!(
        checked >= 3 * 18,
        "all 18 profiles of the contract are there ({checked} cells)"
    );
    assert!(
        failures.is_empty(),
        "verdicts that differ from the manifest:\n{failures}"
    );
}

#[tokio::test]
async fn a_genuine_certificate_served_with_another_key_is_refused_in_every_mode_and_version() {
    let material = certs::generate("good-chain", &certs::Options::new(DEVICE_ID)).unwrap();
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = server_config(certs::serving::with_other_key(&material), &[version]);
        let server = Server::with_config(config).await;
        for mode in TrustMode::ALL {
            let got = verdict(&server, policy(&material, mode)).await;
            assert_eq!(
                got.as_ref().map_err(|d| d.code),
                Err("tls.bad_handshake_signature"),
                "{mode:?} over {version:?}: {}",
                describe(&got)
            );
        }
    }
}

#[tokio::test]
async fn first_use_accepts_a_valid_handshake_and_exposes_the_pin_for_confirmation() {
    let material = certs::generate("good-self-signed", &certs::Options::new(DEVICE_ID)).unwrap();
    let server = Server::start(certs::serving::certified_key(&material).unwrap()).await;
    let first_use = TrustPolicy::builder()
        .identity(Identity::DeviceId(DEVICE_ID.into()))
        .tofu(None)
        .build()
        .unwrap();
    let verifier = AccessoryVerifier::new(first_use);
    handshake(server.addr(), trust::client_config(verifier.clone()))
        .await
        .expect("first use completes the handshake");
    let observed = verifier.observed().expect("the peer is observed");
    assert!(observed.first_use, "first use is flagged for confirmation");
    assert_eq!(observed.pin.to_string(), material.pin);

    // The next connection compares against the record; a different key is a hard failure.
    let other = certs::generate("good-self-signed", &certs::Options::new(DEVICE_ID)).unwrap();
    let recorded: Pin = other.pin.parse().unwrap();
    let later = TrustPolicy::builder()
        .identity(Identity::DeviceId(DEVICE_ID.into()))
        .tofu(Some(recorded))
        .build()
        .unwrap();
    let got = verdict(&server, later).await;
    assert_eq!(got.map_err(|d| d.code), Err("tofu.key_changed"));
}

#[tokio::test]
async fn first_use_still_refuses_a_peer_without_the_key() {
    let material = certs::generate("good-self-signed", &certs::Options::new(DEVICE_ID)).unwrap();
    let server = Server::start(certs::serving::with_other_key(&material)).await;
    let first_use = TrustPolicy::builder()
        .identity(Identity::DeviceId(DEVICE_ID.into()))
        .tofu(None)
        .build()
        .unwrap();
    let got = verdict(&server, first_use).await;
    assert_eq!(got.map_err(|d| d.code), Err("tls.bad_handshake_signature"));
}

#[tokio::test]
async fn a_chain_capture_records_the_chain_and_refuses_it() {
    let material = certs::generate("good-chain", &certs::Options::new(DEVICE_ID)).unwrap();
    let server = Server::start(certs::serving::certified_key(&material).unwrap()).await;
    let capture = trust::ChainCapture::new();
    let err = handshake(server.addr(), capture.client_config())
        .await
        .expect_err("a capture never trusts");
    assert_eq!(Diagnosis::from_io(&err).code, "capture.refused");
    assert_eq!(capture.captured().unwrap(), material.chain);
}
