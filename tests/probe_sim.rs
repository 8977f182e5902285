//! `accessory probe` against simulated accessories: each field failure is told apart from the others,
//! on real TLS over loopback, and the probe never sends the accessory anything but handshakes and
//! its record-size check's `GET /` (no credential).

use accessory_sim::{Fault, Scenario, Simulator};
use probe::{ClientProfile, Platform, ProfileResult, Report, Target};

const DEVICE: &str = "SIM-PROBE-0001";

/// Runs a probe with `profiles` against a simulated accessory with `faults`, and checks that the
/// accessory received no request but the record-size check's `GET /` (so no credential).
async fn probe_with(faults: &[&str], profiles: &[&str]) -> Report {
    let mut scenario = Scenario::good(DEVICE);
    for f in faults {
        let fault: Fault = f.parse().unwrap_or_else(|e| panic!("fault {f}: {e}"));
        scenario = scenario.with_fault(fault);
    }
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    let target = Target::parse(&sim.addr().to_string()).unwrap();
    let chosen: Vec<&'static ClientProfile> = if profiles.is_empty() {
        probe::profiles().iter().collect()
    } else {
        profiles
            .iter()
            .map(|p| ClientProfile::by_name(p).unwrap())
            .collect()
    };
    let report = probe::run(&target, &chosen).await.expect("probe runs");
    let requests = sim.requests();
    sim.shutdown().await;
    // The only application data the probe sends: the record-size check's `GET /`, no credential.
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.path == "/" && !r.carried_credential),
        "the probe sent more than its GET /: {requests:?}"
    );
    println!("{report}");
    report
}

async fn probe_all(faults: &[&str]) -> Report {
    probe_with(faults, &[]).await
}

#[track_caller]
fn profile<'r>(report: &'r Report, name: &str) -> &'r ProfileResult {
    report
        .profile(name)
        .unwrap_or_else(|| panic!("no result for {name}"))
}

#[track_caller]
fn assert_completed(report: &Report, names: &[&str]) {
    for name in names {
        let p = profile(report, name);
        assert!(p.completed, "{name} should complete: {p:?}");
        assert!(
            p.error.is_none() && p.alert_received.is_none(),
            "{name}: {p:?}"
        );
    }
}

#[track_caller]
fn assert_verdict(report: &Report, platform: Platform, passes: bool) {
    let v = report
        .verdict(platform)
        .unwrap_or_else(|| panic!("no verdict for {platform}"));
    assert_eq!(v.passed, passes, "{platform}: {v:?}");
}

#[tokio::test]
async fn every_profile_passes_against_a_good_accessory() {
    let report = probe_all(&[]).await;
    assert_completed(
        &report,
        &["ios26", "ios18", "android", "tls12-only", "tls13-only"],
    );
    for platform in Platform::ALL {
        assert_verdict(&report, platform, true);
    }
    assert!(report.passed());
    let ios26 = profile(&report, "ios26");
    assert_eq!(
        ios26.group.as_deref(),
        Some("X25519MLKEM768"),
        "a current server picks the hybrid"
    );
    assert!(ios26.clienthello.unwrap().record_bytes > 1024);
    assert!(profile(&report, "ios18").clienthello.unwrap().record_bytes < 1024);
    // What went on the wire is what `measure` computes offline (no SNI towards an IP address).
    for p in &report.profiles {
        let offline = probe::measure(
            ClientProfile::by_name(p.profile).unwrap(),
            Target::parse(&report.target).unwrap().server_name(),
        )
        .unwrap();
        assert_eq!(p.clienthello, Some(offline), "{}", p.profile);
    }
    let chain = report.chain.as_ref().expect("the chain was captured");
    assert_eq!(chain.captured_with, "ios26");
    assert!(report
        .findings
        .iter()
        .all(|f| f.severity != trust::lint::Severity::Error));
}

#[tokio::test]
async fn clienthello_limit_fails_ios26_with_the_alert_and_names_the_clienthello_size_while_ios18_passes(
) {
    let report = probe_all(&["clienthello-limit=1024,bad_certificate"]).await;
    let ios26 = profile(&report, "ios26");
    assert!(!ios26.completed);
    let alert = ios26
        .alert_received
        .expect("the accessory answered with an alert");
    assert_eq!((alert.name, alert.number), ("bad_certificate", 42));
    let apple = ios26
        .error
        .as_ref()
        .and_then(|e| e.apple.clone())
        .expect("Apple's name");
    assert_eq!(
        (apple.name.as_str(), apple.number),
        ("errSSLPeerBadCert", -9825)
    );
    let size = ios26.clienthello.unwrap().record_bytes;
    let cause = ios26.cause.as_ref().expect("a cause");
    assert_eq!(cause.code, "tls.clienthello_too_large");
    assert!(
        cause.what.contains(&format!("{size}-byte ClientHello")),
        "{}",
        cause.what
    );
    assert!(cause.what.contains("X25519MLKEM768"), "{}", cause.what);

    assert_completed(&report, &["ios18", "android", "tls12-only", "tls13-only"]);
    assert_verdict(&report, Platform::Ios26, false);
    assert_verdict(&report, Platform::Ios18, true);
    assert_verdict(&report, Platform::Android, true);
    let verdict = report.verdict(Platform::Ios26).unwrap();
    assert_eq!(verdict.reasons[0].code, "tls.clienthello_too_large");
    assert!(
        verdict.reasons[0].fix.contains("ClientHello"),
        "{:?}",
        verdict.reasons[0]
    );
    // The chain was still learnt, from a profile whose ClientHello the accessory could read.
    assert_ne!(report.chain.as_ref().unwrap().captured_with, "ios26");
}

#[tokio::test]
async fn clienthello_limit_answered_with_a_reset_is_still_blamed_on_the_clienthello_size() {
    let report = probe_all(&["clienthello-limit=1024,reset"]).await;
    let ios26 = profile(&report, "ios26");
    assert!(
        !ios26.completed && ios26.alert_received.is_none(),
        "{ios26:?}"
    );
    assert_eq!(
        ios26.cause.as_ref().unwrap().code,
        "tls.clienthello_too_large"
    );
    assert_verdict(&report, Platform::Ios26, false);
    assert_verdict(&report, Platform::Ios18, true);
}

#[tokio::test]
async fn tls12_only_accessory_fails_only_the_tls13_only_profile() {
    let report = probe_all(&["tls12-only"]).await;
    let t13 = profile(&report, "tls13-only");
    assert!(!t13.completed);
    assert_eq!(t13.alert_received.map(|a| a.name), Some("protocol_version"));
    assert_eq!(t13.cause.as_ref().unwrap().code, "tls.no_common_version");
    assert_completed(&report, &["ios26", "ios18", "android", "tls12-only"]);
    for name in ["ios26", "ios18", "android"] {
        assert_eq!(
            profile(&report, name).version,
            Some(probe::Version::Tls12),
            "{name}"
        );
    }
    // Phones fall back to TLS 1.2: no platform fails.
    assert!(report.passed(), "{:?}", report.verdicts);
}

/// A certificate fault that every handshake survives (the probe pins the key) and Apple's rules do not.
async fn apple_refuses_by_rule(fault: &str, rule: &str) {
    let report = probe_all(&[fault]).await;
    assert_completed(
        &report,
        &["ios26", "ios18", "android", "tls12-only", "tls13-only"],
    );
    for platform in [Platform::Ios26, Platform::Ios18] {
        let v = report.verdict(platform).unwrap();
        assert!(!v.passed, "{fault}: {platform} should fail");
        assert!(
            v.reasons.iter().any(|r| r.code == format!("lint.{rule}")),
            "{fault}: {platform} should fail by {rule}: {:?}",
            v.reasons
        );
    }
    assert!(!report.passed());
}

#[tokio::test]
async fn long_validity_passes_every_handshake_but_fails_apple_by_the_825_day_rule() {
    apple_refuses_by_rule("long-validity", "apple.validity_825").await;
}

#[tokio::test]
async fn cn_only_passes_every_handshake_but_fails_apple_by_the_san_rule() {
    apple_refuses_by_rule("cn-only", "apple.san_dns_name").await;
}

#[tokio::test]
async fn client_auth_eku_passes_every_handshake_but_fails_apple_by_the_server_auth_rule() {
    apple_refuses_by_rule("client-auth-eku", "apple.server_auth_eku").await;
}

/// The simulator's default `require-client-cert` answers a missing client certificate with
/// `bad_certificate` (42): in TLS 1.3 after the client has finished, in TLS 1.2 as well. Apple
/// reports it as errSSLPeerBadCert (-9825). (No real stack is known to do this for a missing
/// certificate: docs/alerts.md. rustls's own `certificate_required` (116) is
/// `require-client-cert=stock`, tested below.)
#[tokio::test]
async fn require_client_cert_is_reported_as_errsslpeerbadcert_on_every_profile() {
    let report = probe_all(&["require-client-cert"]).await;
    for p in &report.profiles {
        assert!(!p.completed, "{}", p.profile);
        assert_eq!(
            p.alert_received.map(|a| a.number),
            Some(42),
            "{}",
            p.profile
        );
        let e = p.error.as_ref().unwrap();
        assert_eq!(e.code, "tls.peer_alert.bad_certificate", "{}", p.profile);
        let apple = e.apple.as_ref().unwrap();
        assert_eq!(
            (apple.name.as_str(), apple.number),
            ("errSSLPeerBadCert", -9825)
        );
    }
    // TLS 1.3's objection arrives after the client finished: the probe waited for it.
    assert_eq!(
        profile(&report, "tls13-only").version,
        Some(probe::Version::Tls13)
    );
    for platform in Platform::ALL {
        assert_verdict(&report, platform, false);
    }
}

/// rustls's own refusal (`require-client-cert=stock`) is `certificate_required` (116), in TLS 1.3
/// and in TLS 1.2: coreTLS reports it as errSSLFatalAlert (-9802), not errSSLPeerBadCert
/// (docs/alerts.md; what the iOS 12+ stack reports is unverified).
#[tokio::test]
async fn require_client_cert_stock_is_reported_as_certificate_required_on_every_profile() {
    let report = probe_all(&["require-client-cert=stock"]).await;
    for p in &report.profiles {
        assert!(!p.completed, "{}", p.profile);
        assert_eq!(
            p.alert_received.map(|a| a.number),
            Some(116),
            "{}",
            p.profile
        );
        let e = p.error.as_ref().unwrap();
        assert_eq!(e.code, "tls.peer_alert.certificate_required");
        let apple = e.apple.as_ref().unwrap();
        assert_eq!(
            (apple.name.as_str(), apple.number),
            ("errSSLFatalAlert", -9802)
        );
    }
    for platform in Platform::ALL {
        assert_verdict(&report, platform, false);
    }
}

#[tokio::test]
async fn an_accessory_answering_bad_certificate_is_what_apple_calls_errsslpeerbadcert() {
    let report = probe_all(&["alert=bad_certificate"]).await;
    assert!(report.chain.is_none(), "no profile got to the certificate");
    for p in &report.profiles {
        let e = p.error.as_ref().unwrap();
        assert_eq!(e.code, "tls.peer_alert.bad_certificate", "{}", p.profile);
        assert_eq!(e.apple.as_ref().unwrap().number, -9825);
        assert!(e.android.as_deref().unwrap().contains("BAD_CERTIFICATE"));
    }
    assert!(!report.passed());
}

#[tokio::test]
async fn a_genuine_certificate_served_with_another_key_fails_every_pinned_handshake() {
    let report = probe_all(&["wrong-key"]).await;
    assert!(report.chain.is_some());
    for p in &report.profiles {
        assert!(!p.completed, "{}", p.profile);
        assert_eq!(
            p.error.as_ref().unwrap().code,
            "tls.bad_handshake_signature",
            "{}",
            p.profile
        );
    }
    assert!(!report.passed());
}

#[tokio::test]
async fn chosen_profiles_run_alone_and_only_their_platforms_get_a_verdict() {
    let report = probe_with(&["clienthello-limit=1024"], &["ios18"]).await;
    assert_eq!(report.profiles.len(), 1);
    assert_eq!(report.verdicts.len(), 1);
    assert_verdict(&report, Platform::Ios18, true);
    assert!(report.passed());
}

/// The probe's own pinned verifier cannot finish a handshake signed by an RSA-1024 key (aws-lc-rs
/// refuses it), so no profile completes; the platforms are then judged by their rules: Apple refuses
/// keys under 2048 bits, Android still accepts 1024.
#[tokio::test]
async fn rsa_1024_fails_ios_by_the_key_size_rule_and_android_is_judged_by_its_rules_alone() {
    let report = probe_all(&["rsa-1024"]).await;
    for p in &report.profiles {
        assert_eq!(
            p.error.as_ref().unwrap().code,
            "cert.weak_key",
            "{}",
            p.profile
        );
    }
    for platform in [Platform::Ios26, Platform::Ios18] {
        let v = report.verdict(platform).unwrap();
        assert!(!v.passed);
        assert!(
            v.reasons
                .iter()
                .any(|r| r.code == "lint.apple.rsa_key_size"),
            "{v:?}"
        );
    }
    let android = report.verdict(Platform::Android).unwrap();
    assert!(android.passed, "{android:?}");
    assert!(
        android.notes[0].contains("certificate rules alone"),
        "{android:?}"
    );
}

#[tokio::test]
async fn an_expired_certificate_completes_every_pinned_handshake_and_fails_every_platform() {
    let report = probe_all(&["expired"]).await;
    assert_completed(&report, &["ios26", "ios18", "android"]);
    for platform in Platform::ALL {
        let v = report.verdict(platform).unwrap();
        assert!(!v.passed, "{platform}");
        assert_eq!(v.reasons[0].code, "lint.x509.expired");
    }
}

#[tokio::test]
async fn a_stalled_accessory_times_out_on_every_profile_and_fails_every_platform() {
    let sim = Simulator::start(
        Scenario::good(DEVICE).with_fault("stall".parse().unwrap()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let target = Target::parse(&sim.addr().to_string()).unwrap();
    let options = probe::Options {
        timeout: std::time::Duration::from_secs(1),
        ..probe::Options::default()
    };
    let chosen: Vec<&'static ClientProfile> = probe::profiles().iter().collect();
    let report = probe::run_with(&target, &chosen, &options).await.unwrap();
    sim.shutdown().await;
    assert!(report.chain.is_none());
    for p in &report.profiles {
        let e = p.error.as_ref().unwrap();
        assert_eq!(e.code, "net.timeout", "{}", p.profile);
        assert_eq!(e.apple.as_ref().unwrap().name, "NSURLErrorTimedOut");
        // The ClientHello went out; nothing came back.
        assert!(
            p.clienthello.is_some() && p.version.is_none(),
            "{}",
            p.profile
        );
    }
    assert!(Platform::ALL
        .iter()
        .all(|&p| !report.verdict(p).unwrap().passed));
}

#[tokio::test]
async fn an_alert_sent_as_soon_as_the_connection_is_accepted_is_still_reported_as_the_alert() {
    let report = probe_all(&["alert=handshake_failure@accept"]).await;
    for p in &report.profiles {
        assert_eq!(
            p.alert_received.map(|a| a.name),
            Some("handshake_failure"),
            "{}: {:?}",
            p.profile,
            p.error
        );
        assert_eq!(
            p.error.as_ref().unwrap().apple.as_ref().unwrap().number,
            -9824
        );
    }
}

/// Runs a probe of the three platform profiles against a simulated accessory serving `fault`'s
/// chain, with the app's trust: the accessory's own anchors (what an administrator distributes for
/// it) and its device id.
async fn probe_trusting_its_anchors(fault: Option<&str>) -> Report {
    let mut scenario = Scenario::good(DEVICE);
    if let Some(f) = fault {
        scenario = scenario.with_fault(f.parse().unwrap());
    }
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target = Target::parse(&sim.addr().to_string()).unwrap();
    let options = probe::Options {
        faithful: false,
        trust: probe::AppTrust {
            anchors: Some(trust::Anchors::from_pem(sim.anchors_pem().as_bytes()).unwrap()),
            pins: Vec::new(),
            identity: Some(trust::Identity::DeviceId(DEVICE.to_owned())),
        },
        ..probe::Options::default()
    };
    let chosen: Vec<&'static ClientProfile> = ["ios26", "ios18", "android"]
        .iter()
        .map(|p| ClientProfile::by_name(p).unwrap())
        .collect();
    let report = probe::run_with(&target, &chosen, &options).await.unwrap();
    // The only application data the probe sends: the record-size check's `GET /`, no credential.
    let requests = sim.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.path == "/" && !r.carried_credential),
        "the probe sent more than its GET /: {requests:?}"
    );
    sim.shutdown().await;
    println!("{report}");
    report
}

#[tokio::test]
async fn chains_a_phone_would_not_trust_fail_every_platform_when_the_anchors_and_identity_are_given(
) {
    for (fault, code) in [
        ("incomplete-chain", "cert.unknown_issuer"),
        ("ca-as-leaf", "cert.ca_used_as_end_entity"),
        ("wrong-name", "cert.wrong_name"),
        ("untrusted-root", "cert.unknown_issuer"),
        ("self-signed-unknown", "cert.unknown_issuer"),
    ] {
        let report = probe_trusting_its_anchors(Some(fault)).await;
        for platform in Platform::ALL {
            let v = report.verdict(platform).unwrap();
            assert!(!v.passed, "{fault}: {platform} should fail: {v:?}");
            let reason = v
                .reasons
                .iter()
                .find(|r| r.code.starts_with("cert."))
                .unwrap_or_else(|| panic!("{fault}: {platform}: no trust reason: {v:?}"));
            assert_eq!(reason.code, code, "{fault}: {platform}");
            assert!(
                reason.what.contains("would not trust the chain"),
                "{fault}: {}",
                reason.what
            );
            assert!(reason.shown.is_some(), "{fault}: {platform}: {reason:?}");
        }
        // The handshakes themselves completed: it is the trust check that fails them.
        assert!(report.profiles.iter().all(|p| p.completed), "{fault}");
    }
}

#[tokio::test]
async fn a_good_chain_passes_every_platform_when_its_anchors_and_identity_are_given_and_says_what_it_checked(
) {
    let report = probe_trusting_its_anchors(None).await;
    for platform in Platform::ALL {
        let v = report.verdict(platform).unwrap();
        assert!(v.passed, "{platform}: {v:?}");
        assert!(
            v.notes
                .iter()
                .any(|n| n.contains("trust checked with the anchors")),
            "{v:?}"
        );
        assert!(!v.notes.iter().any(|n| n.contains("trust not checked")));
    }
    let android = report.verdict(Platform::Android).unwrap();
    assert!(android
        .notes
        .iter()
        .any(|n| n.contains("targeting API level 24")));
}

#[tokio::test]
async fn without_anchors_or_a_pin_every_verdict_says_trust_was_not_checked() {
    let report = probe_with(&["untrusted-root"], &["ios18", "android"]).await;
    for platform in [Platform::Ios18, Platform::Android] {
        let v = report.verdict(platform).unwrap();
        assert!(v.passed, "untrusted-root passes unchecked: {v:?}");
        assert!(
            v.notes.iter().any(|n| n == probe::TRUST_NOT_CHECKED),
            "{v:?}"
        );
    }
    assert!(report.to_string().contains("trust not checked"));
}

/// `clienthello-limit=N` answers as mbedTLS does with a ClientHello larger than its input buffer:
/// it closes the connection without an alert (docs/alerts.md, "What real stacks send"), and the
/// probe still blames the ClientHello's size.
#[tokio::test]
async fn clienthello_limit_closes_without_an_alert_by_default_as_mbedtls_does_and_ios26_fails_on_size(
) {
    let report = probe_all(&["clienthello-limit=1024"]).await;
    let ios26 = profile(&report, "ios26");
    assert!(!ios26.completed);
    assert!(ios26.alert_received.is_none(), "{ios26:?}");
    assert_eq!(
        ios26.error.as_ref().unwrap().code,
        "net.closed",
        "{ios26:?}"
    );
    assert_eq!(
        ios26.cause.as_ref().unwrap().code,
        "tls.clienthello_too_large"
    );
    assert_verdict(&report, Platform::Ios26, false);
    assert_verdict(&report, Platform::Ios18, true);
}

/// The `mbedtls-3.6=1024` personality (ESP-IDF's defaults but a 1 KB input buffer): TLS 1.2 only,
/// and a ClientHello over the buffer closed without an alert. iOS 26 fails on its size; iOS 18 and
/// Android pass.
#[tokio::test]
async fn the_mbedtls_personality_with_a_small_input_buffer_closes_ios26_without_an_alert() {
    let personality: accessory_sim::Personality = "mbedtls-3.6=1024".parse().unwrap();
    let faults: Vec<String> = personality.faults().iter().map(|f| f.to_string()).collect();
    let faults: Vec<&str> = faults.iter().map(String::as_str).collect();
    let report = probe_with(&faults, &["ios26", "ios18", "android"]).await;
    let ios26 = profile(&report, "ios26");
    assert!(ios26.alert_received.is_none(), "{ios26:?}");
    assert_eq!(ios26.error.as_ref().unwrap().code, "net.closed");
    assert_verdict(&report, Platform::Ios26, false);
    assert_verdict(&report, Platform::Ios18, true);
    assert_verdict(&report, Platform::Android, true);
    assert_eq!(
        profile(&report, "ios18").version,
        Some(probe::Version::Tls12)
    );
}

/// mbedTLS's answer to a missing client certificate (`require-client-cert=mbedtls`): in TLS 1.3
/// the alert no_certificate (41), in TLS 1.2 no alert at all: the connection closes before the
/// accessory's Finished (as Debian's libmbedtls 2.28.3 does: `-0x7480`, checked by hand).
#[tokio::test]
async fn an_mbedtls_accessory_answers_a_missing_client_certificate_with_41_in_tls13_and_silence_in_tls12(
) {
    let report = probe_with(
        &["require-client-cert=mbedtls"],
        &["tls13-only", "tls12-only"],
    )
    .await;
    let tls13 = profile(&report, "tls13-only");
    assert!(!tls13.completed, "{tls13:?}");
    let alert = tls13.alert_received.expect("an alert in TLS 1.3");
    assert_eq!((alert.name, alert.number), ("no_certificate", 41));
    let tls12 = profile(&report, "tls12-only");
    assert!(!tls12.completed, "{tls12:?}");
    assert!(tls12.alert_received.is_none(), "{tls12:?}");
    assert!(
        tls12.version.is_some(),
        "refused after agreeing on TLS 1.2: {tls12:?}"
    );
    let code = &tls12.error.as_ref().unwrap().code;
    assert!(code == "net.closed" || code == "net.reset", "{tls12:?}");
}
