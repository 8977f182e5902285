//! `probe` against a TLS stack nobody here wrote: `openssl s_server` (OpenSSL 3.0 on the CI image,
//! which has no ML-KEM). It shows, with a real third-party stack, two claims the probe and
//! docs/alerts.md make: a server without post-quantum support still completes the iOS 26 handshake
//! with X25519 (it ignores the hybrid share it does not know), and a server requiring a client
//! certificate answers `certificate_required` in TLS 1.3 and `handshake_failure` in TLS 1.2.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use probe::{ClientProfile, Report, Target, Version};

/// `openssl s_server` serving a good certificate on a free loopback port; killed on drop.
struct SServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl SServer {
    fn start(extra: &[&str]) -> Option<SServer> {
        if !accessory_tests::skip::require_tool("openssl") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let material =
            certs::generate("good-chain", &certs::Options::new("SIM-OPENSSL-0001")).unwrap();
        let chain = dir.path().join("chain.pem");
        let key = dir.path().join("key.pem");
        std::fs::File::create(&chain)
            .unwrap()
            .write_all(material.chain_pem().as_bytes())
            .unwrap();
        std::fs::File::create(&key)
            .unwrap()
            .write_all(material.key_pem().as_bytes())
            .unwrap();
        // A port that was free a moment ago; s_server binds it itself.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(addr.to_string())
            .arg("-cert")
            .arg(&chain)
            .arg("-key")
            .arg(&key)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let server = SServer {
            child,
            addr,
            _dir: dir,
        };
        // Wait until it listens (startup, not a timed assertion: the test fails only if it never does).
        for _ in 0..100 {
            if TcpStream::connect(addr).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("openssl s_server never listened on {addr}");
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn probe(server: &SServer) -> Report {
    let target = Target::parse(&server.addr.to_string()).unwrap();
    let profiles: Vec<&'static ClientProfile> = probe::profiles().iter().collect();
    let report = probe::run(&target, &profiles).await.expect("probe runs");
    println!("{report}");
    report
}

#[tokio::test]
async fn a_server_without_post_quantum_support_completes_ios26_with_x25519() {
    let Some(server) = SServer::start(&[]) else {
        return;
    };
    let report = probe(&server).await;
    let ios26 = report.profile("ios26").unwrap();
    assert!(ios26.completed, "{ios26:?}");
    assert_eq!(ios26.group.as_deref(), Some("X25519"));
    assert_eq!(ios26.version, Some(Version::Tls13));
    assert!(report.profiles.iter().all(|p| p.completed));
    assert!(report.passed(), "{:?}", report.verdicts);
}

#[tokio::test]
async fn openssl_requiring_a_client_certificate_says_certificate_required_in_tls13_and_handshake_failure_in_tls12(
) {
    let Some(server) = SServer::start(&["-Verify", "1"]) else {
        return;
    };
    let report = probe(&server).await;
    for name in ["ios26", "ios18", "android", "tls13-only"] {
        let p = report.profile(name).unwrap();
        assert!(!p.completed, "{name}");
        let e = p.error.as_ref().unwrap();
        assert_eq!(e.code, "tls.peer_alert.certificate_required", "{name}");
        assert_eq!(e.apple.as_ref().unwrap().name, "errSSLFatalAlert");
    }
    let tls12 = report.profile("tls12-only").unwrap();
    let e = tls12.error.as_ref().unwrap();
    assert_eq!(e.code, "tls.peer_alert.handshake_failure");
    assert_eq!(e.apple.as_ref().unwrap().number, -9824);
    assert!(!report.passed());
}

#[tokio::test]
async fn openssl_s_server_answers_the_faithful_ios26_hello_with_a_serverhello() {
    // OpenSSL 3.0 knows no X25519MLKEM768: it must take the X25519 share of the refreshed hello
    // (a ServerHello), which proves the rebuilt hello, keys and lengths, is well-formed.
    let Some(server) = SServer::start(&[]) else {
        return;
    };
    let record = probe::Template::of("ios26")
        .unwrap()
        .captured()
        .refreshed(None)
        .unwrap()
        .to_record();
    let result = probe::try_hello(
        server.addr,
        "ios26".into(),
        &record,
        probe::Segmentation::default(),
        Duration::from_secs(5),
    )
    .await;
    println!("{result:?}");
    assert_eq!(result.whole, probe::Answer::ServerHello);
    assert_eq!(result.split, Some(probe::Answer::ServerHello));
    let report = probe(&server).await;
    assert!(report.passed(), "{report}");
}

#[tokio::test]
async fn openssl_s_server_limited_to_p256_asks_the_faithful_ios26_hello_for_another_share() {
    // iOS 26 sends X25519MLKEM768 and X25519 shares and lists secp256r1: a P-256-only server
    // answers with a HelloRetryRequest (a round trip more), which the probe counts as accepted.
    let Some(server) = SServer::start(&["-groups", "P-256"]) else {
        return;
    };
    let record = probe::Template::of("ios26")
        .unwrap()
        .captured()
        .refreshed(None)
        .unwrap()
        .to_record();
    let answer = probe::send(server.addr, &record, None, Duration::from_secs(5)).await;
    assert_eq!(answer, probe::Answer::HelloRetryRequest);
    assert!(answer.accepted());
    // In a full probe the round trip is a note on the iOS 26 verdict, not a failure.
    let report = probe(&server).await;
    let v = report.verdict(probe::Platform::Ios26).unwrap();
    assert!(v.passed, "{v:?}");
    assert!(
        v.notes.iter().any(|n| n.contains("HelloRetryRequest")),
        "{v:?}"
    );
}

/// The record-size block of a probe of `server`, asserted line by line by the callers.
async fn record_checks(server: &SServer) -> (probe::RecordChecks, String) {
    let report = probe(server).await;
    let records = report.records.clone().expect("records checked");
    (records, report.to_string())
}

#[track_caller]
fn assert_line(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l.trim_start().starts_with(line)),
        "no line starting {line:?} in:\n{text}"
    );
}

#[tokio::test]
async fn openssl_s_server_honours_max_fragment_length_512_in_tls13_and_ignores_record_size_limit() {
    // OpenSSL implements RFC 6066's max_fragment_length (server side since 1.1.1) and not
    // RFC 8449's record_size_limit: its flight shrinks to 512-byte records for the one only.
    let Some(server) = SServer::start(&[]) else {
        return;
    };
    let (records, text) = record_checks(&server).await;
    let mfl = records.limit("max_fragment_length").unwrap();
    assert_eq!(mfl.version, Some(Version::Tls13));
    assert_eq!(mfl.honoured, probe::Honoured::Yes, "{}", mfl.why);
    assert!(mfl.largest_record.unwrap() <= 512);
    assert!(mfl.largest_without_offer.unwrap() > 512, "{mfl:?}");
    assert_line(
        &text,
        "honours max_fragment_length 512 (RFC 6066): yes (TLS 1.3: largest record ",
    );
    let rsl = records.limit("record_size_limit").unwrap();
    assert_eq!(rsl.honoured, probe::Honoured::No, "{}", rsl.why);
    assert_line(
        &text,
        "honours record_size_limit 512 (RFC 8449): no (TLS 1.3: ",
    );
    // And it reads a full 16 KB record (its -www page answers).
    let app = records.application.as_ref().unwrap();
    assert!(app.reads_full_records(), "{:?}", app.tries);
    assert_line(
        &text,
        "reads a 16384-byte application record: yes (answered \"HTTP/1.0 200 ok\")",
    );
}

#[tokio::test]
async fn openssl_s_server_in_tls12_echoes_max_fragment_length_in_its_server_hello_and_fragments_its_certificate(
) {
    let Some(server) = SServer::start(&["-tls1_2"]) else {
        return;
    };
    let (records, text) = record_checks(&server).await;
    let mfl = records.limit("max_fragment_length").unwrap();
    assert_eq!(mfl.version, Some(Version::Tls12));
    assert_eq!(mfl.acknowledged, Some(true));
    assert_eq!(mfl.honoured, probe::Honoured::Yes, "{}", mfl.why);
    assert_line(
        &text,
        "honours max_fragment_length 512 (RFC 6066): yes (TLS 1.2: echoed in the ServerHello",
    );
    let rsl = records.limit("record_size_limit").unwrap();
    assert_eq!(rsl.acknowledged, Some(false));
    assert_line(
        &text,
        "honours record_size_limit 512 (RFC 8449): no (TLS 1.2: not in the ServerHello",
    );
}

#[tokio::test]
async fn a_p256_only_openssl_server_still_gets_its_record_size_offers_judged_with_a_p256_share() {
    // The first raw hello gets a HelloRetryRequest for secp256r1 (0x0017); the offers are then
    // sent with a P-256 share, so they reach the flight.
    let Some(server) = SServer::start(&["-groups", "P-256"]) else {
        return;
    };
    let (records, text) = record_checks(&server).await;
    let mfl = records.limit("max_fragment_length").unwrap();
    assert_eq!(mfl.honoured, probe::Honoured::Yes, "{}", mfl.why);
    assert!(mfl.why.contains("group 0x0017"), "{}", mfl.why);
    assert_line(&text, "honours max_fragment_length 512 (RFC 6066): yes");
}
