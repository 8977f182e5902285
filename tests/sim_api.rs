//! The accessory API as the simulator speaks it: the happy path, every bad request answered with a
//! 4xx JSON error (nothing panics), proof of possession bound to the TLS session, the application
//! faults, the request log, and a fleet.

use std::time::Duration;

use accessory_sim::{Fleet, FleetOptions, Scenario};
use accessory_tests::sim::{api, curl_anchors, Pop, Served};
use serde_json::Value;

#[track_caller]
fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

/// Asserts a JSON error `{error, code}` with this status and code.
#[track_caller]
fn assert_error(answer: (u16, String), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(got, status, "{body}");
    let v = json(&body);
    assert_eq!(v["code"], code, "{body}");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
}

const HOME: &str =
    r#"{"ssid":"Home","passphrase":"correct horse battery","security":"wpa2-psk","apply":true}"#;

#[test]
fn good_accessory_joins_home_and_long_poll_reports_connected() {
    let served = Served::with_faults("SIM-0001", &[]);
    let (s, b) = api(&served, "GET", "/v1/device", None, Pop::None);
    assert_eq!(s, 200);
    assert_eq!(json(&b)["device_id"], "SIM-0001");
    let (s, b) = api(&served, "GET", "/v1/networks", None, Pop::None);
    assert_eq!(s, 200);
    assert!(json(&b)["networks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["ssid"] == "Home"));
    assert_eq!(
        api(&served, "PUT", "/v1/network", Some(HOME), Pop::None).0,
        204
    );
    let (s, b) = api(&served, "GET", "/v1/status?wait=10", None, Pop::None);
    assert_eq!(s, 200);
    let v = json(&b);
    assert_eq!(v["state"], "connected", "{b}");
    assert!(v["ip"].as_str().is_some(), "{b}");
    let log = served.sim().requests();
    assert_eq!(
        log.iter().filter(|r| r.carried_credential).count(),
        1,
        "{log:?}"
    );
    assert_eq!(api(&served, "POST", "/v1/reset", None, Pop::None).0, 204);
    assert_eq!(
        json(&api(&served, "GET", "/v1/status", None, Pop::None).1)["state"],
        "idle"
    );
}

#[test]
fn put_then_apply_is_accepted_and_apply_without_a_network_is_a_conflict() {
    let served = Served::with_faults("SIM-0001", &[]);
    assert_error(
        api(&served, "POST", "/v1/apply", None, Pop::None),
        409,
        "not_configured",
    );
    let body = r#"{"ssid":"Cafe"}"#;
    assert_eq!(
        api(&served, "PUT", "/v1/network", Some(body), Pop::None).0,
        204
    );
    assert_eq!(
        json(&api(&served, "GET", "/v1/status", None, Pop::None).1)["state"],
        "configured"
    );
    assert_eq!(api(&served, "POST", "/v1/apply", None, Pop::None).0, 202);
    let (_, b) = api(&served, "GET", "/v1/status?wait=10", None, Pop::None);
    assert_eq!(json(&b)["state"], "connected", "{b}");
}

#[test]
fn bad_requests_get_4xx_json_errors_and_nothing_panics() {
    let served = Served::with_faults("SIM-0001", &[]);
    assert_error(
        api(&served, "GET", "/v1/nothing", None, Pop::None),
        404,
        "not_found",
    );
    assert_error(api(&served, "GET", "/", None, Pop::None), 404, "not_found");
    assert_error(
        api(&served, "DELETE", "/v1/device", None, Pop::None),
        405,
        "method_not_allowed",
    );
    assert_error(
        api(&served, "GET", "/v1/network", None, Pop::None),
        405,
        "method_not_allowed",
    );
    assert_error(
        api(&served, "PUT", "/v1/network", Some("{\"ssid\":"), Pop::None),
        400,
        "invalid_json",
    );
    assert_error(
        api(&served, "PUT", "/v1/network", Some("[]"), Pop::None),
        400,
        "invalid_json",
    );
    assert_error(
        api(
            &served,
            "PUT",
            "/v1/network",
            Some(r#"{"ssid":"Home","passphrase":"correct horse battery","colour":1}"#),
            Pop::None,
        ),
        400,
        "invalid_json",
    );
    assert_error(
        api(
            &served,
            "PUT",
            "/v1/network",
            Some(r#"{"ssid":"","passphrase":"12345678"}"#),
            Pop::None,
        ),
        400,
        "invalid_ssid",
    );
    let long_ssid = format!(r#"{{"ssid":"{}","passphrase":"12345678"}}"#, "s".repeat(33));
    assert_error(
        api(&served, "PUT", "/v1/network", Some(&long_ssid), Pop::None),
        400,
        "invalid_ssid",
    );
    // 32 bytes of UTF-8 is the limit, not 32 characters.
    let utf8_ssid = format!(r#"{{"ssid":"{}","passphrase":"12345678"}}"#, "é".repeat(17));
    assert_error(
        api(&served, "PUT", "/v1/network", Some(&utf8_ssid), Pop::None),
        400,
        "invalid_ssid",
    );
    for bad in [
        "1234567",
        &"p".repeat(64),
        &"g".repeat(64),
        "passw\u{f6}rd1",
    ] {
        let body = serde_json::json!({"ssid": "Home", "passphrase": bad}).to_string();
        assert_error(
            api(&served, "PUT", "/v1/network", Some(&body), Pop::None),
            400,
            "invalid_passphrase",
        );
    }
    assert_error(
        api(
            &served,
            "PUT",
            "/v1/network",
            Some(r#"{"ssid":"Home","security":"wpa2-psk"}"#),
            Pop::None,
        ),
        400,
        "missing_passphrase",
    );
    assert_error(
        api(
            &served,
            "PUT",
            "/v1/network",
            Some(r#"{"ssid":"Home","passphrase":"12345678","security":"wep"}"#),
            Pop::None,
        ),
        400,
        "invalid_security",
    );
    assert_error(
        api(&served, "GET", "/v1/status?wait=soon", None, Pop::None),
        400,
        "invalid_wait",
    );
    let big = "x".repeat(protocol::api::MAX_BODY + 1);
    assert_error(
        api(&served, "PUT", "/v1/network", Some(&big), Pop::None),
        413,
        "body_too_large",
    );
    // Still serving after all of that.
    assert_eq!(api(&served, "GET", "/v1/device", None, Pop::None).0, 200);
    // A 64-hex-digit PSK is a valid passphrase.
    let hex = serde_json::json!({"ssid": "Home", "passphrase": "ab".repeat(32)}).to_string();
    assert_eq!(
        api(&served, "PUT", "/v1/network", Some(&hex), Pop::None).0,
        204
    );
}

/// Issue 12 item 1: `wait=1e20` once panicked a worker (`Duration::from_secs_f64` before the
/// cap), and the connection died without an answer.
#[test]
fn a_wait_too_large_to_convert_is_capped_and_nan_infinity_or_negative_is_refused_without_a_panic() {
    let served = Served::with_faults("SIM-0001", &[]);
    for huge in [
        "1e20",
        "1e300",
        "18446744073709551616",
        "1.7976931348623157e308",
    ] {
        let (s, b) = api(
            &served,
            "GET",
            &format!("/v1/status?wait={huge}"),
            None,
            Pop::None,
        );
        assert_eq!(s, 200, "wait={huge}: {b}");
        assert_eq!(json(&b)["state"], "idle", "wait={huge}: {b}");
    }
    for bad in ["-1", "NaN", "inf", "-inf", "infinity", "1e", "0x3c"] {
        assert_error(
            api(
                &served,
                "GET",
                &format!("/v1/status?wait={bad}"),
                None,
                Pop::None,
            ),
            400,
            "invalid_wait",
        );
    }
    let many = "a=1&".repeat(100);
    assert_error(
        api(
            &served,
            "GET",
            &format!("/v1/status?{many}wait=1"),
            None,
            Pop::None,
        ),
        400,
        "invalid_query",
    );
    // Still serving, and every request answered.
    assert_eq!(api(&served, "GET", "/v1/device", None, Pop::None).0, 200);
    assert_eq!(served.sim().requests().len(), 4 + 7 + 1 + 1);
}

#[test]
fn oversize_body_is_refused_with_413_by_curl_too() {
    if !accessory_tests::skip::require_tool("curl") {
        return;
    }
    let served = Served::with_faults("SIM-0001", &[]);
    let file = served.dir().join("big.json");
    std::fs::write(&file, vec![b'x'; 200_000]).unwrap();
    let data = format!("@{}", file.display());
    let r = curl_anchors(
        &served,
        "/v1/network",
        &["-X", "PUT", "--data-binary", &data, "-w", "%{http_code}"],
    );
    r.assert_says("413").assert_says("body_too_large");
}

#[test]
fn proof_of_possession_is_required_and_bound_to_the_session() {
    let served = Served::start(
        Scenario::good("SIM-0001")
            .with_pop_code("4711-0815")
            .with_connect_delay_ms(10),
    );
    // The device answers without a proof, and says it wants one.
    let (s, b) = api(&served, "GET", "/v1/device", None, Pop::None);
    assert_eq!(s, 200);
    assert!(json(&b)["capabilities"]
        .as_array()
        .unwrap()
        .contains(&Value::from("pop")));
    assert_error(
        api(&served, "PUT", "/v1/network", Some(HOME), Pop::None),
        401,
        "pop_required",
    );
    assert_error(
        api(
            &served,
            "PUT",
            "/v1/network",
            Some(HOME),
            Pop::Code("0000-0000"),
        ),
        403,
        "pop_invalid",
    );
    assert_error(
        api(
            &served,
            "GET",
            "/v1/networks",
            None,
            Pop::Header("PoP not-base64!"),
        ),
        403,
        "pop_invalid",
    );
    // A proof computed on another connection is worthless on this one (the exporter differs).
    let relayed = protocol::pop::authorization("4711-0815", &[0u8; 32]);
    assert_error(
        api(&served, "GET", "/v1/networks", None, Pop::Header(&relayed)),
        403,
        "pop_invalid",
    );
    assert_eq!(
        api(
            &served,
            "PUT",
            "/v1/network",
            Some(HOME),
            Pop::Code("4711-0815")
        )
        .0,
        204
    );
    let (_, b) = api(
        &served,
        "GET",
        "/v1/status?wait=10",
        None,
        Pop::Code("4711-0815"),
    );
    assert_eq!(json(&b)["state"], "connected", "{b}");
}

#[test]
fn wrong_passphrase_fails_with_auth_failed_and_unknown_network_with_network_not_found() {
    let served = Served::with_faults("SIM-0001", &[]);
    let wrong = r#"{"ssid":"Home","passphrase":"incorrect horse battery","apply":true}"#;
    assert_eq!(
        api(&served, "PUT", "/v1/network", Some(wrong), Pop::None).0,
        204
    );
    let v = json(&api(&served, "GET", "/v1/status?wait=10", None, Pop::None).1);
    assert_eq!(
        (v["state"].as_str(), v["reason"].as_str()),
        (Some("failed"), Some("auth_failed"))
    );
    let elsewhere = r#"{"ssid":"Neighbour","passphrase":"correct horse battery","apply":true}"#;
    assert_eq!(
        api(&served, "PUT", "/v1/network", Some(elsewhere), Pop::None).0,
        204
    );
    let v = json(&api(&served, "GET", "/v1/status?wait=10", None, Pop::None).1);
    assert_eq!(v["reason"], "network_not_found");
}

#[test]
fn forced_faults_fail_even_the_right_passphrase() {
    for (fault, reason) in [
        ("wrong-passphrase", "auth_failed"),
        ("network-not-found", "network_not_found"),
    ] {
        let served = Served::with_faults("SIM-0001", &[fault]);
        assert_eq!(
            api(&served, "PUT", "/v1/network", Some(HOME), Pop::None).0,
            204
        );
        let v = json(&api(&served, "GET", "/v1/status?wait=10", None, Pop::None).1);
        assert_eq!(v["reason"], reason, "{fault}: {v}");
    }
}

#[test]
fn http_500_fault_answers_every_request_with_a_json_500() {
    let served = Served::with_faults("SIM-0001", &["http-500"]);
    assert_error(
        api(&served, "GET", "/v1/device", None, Pop::None),
        500,
        "internal",
    );
    assert_error(
        api(&served, "PUT", "/v1/network", Some(HOME), Pop::None),
        500,
        "internal",
    );
}

#[test]
fn malformed_json_fault_cuts_answers_short() {
    let served = Served::with_faults("SIM-0001", &["malformed-json"]);
    let (s, b) = api(&served, "GET", "/v1/device", None, Pop::None);
    assert_eq!(s, 200);
    assert!(serde_json::from_str::<Value>(&b).is_err(), "{b}");
}

#[test]
fn slow_status_answers_status_late_but_answers() {
    let served = Served::with_faults("SIM-0001", &["slow-status=0.3"]);
    let (s, b) = api(&served, "GET", "/v1/status", None, Pop::None);
    assert_eq!(s, 200);
    assert_eq!(json(&b)["state"], "idle");
}

#[test]
fn reboot_after_apply_drops_the_listener_and_comes_back_connected() {
    let served = Served::with_faults("SIM-0001", &["reboot-after-apply=1"]);
    assert_eq!(
        api(&served, "PUT", "/v1/network", Some(HOME), Pop::None).0,
        204
    );
    // While it is away, connections are refused; then it answers again, joined.
    let addr = served.addr();
    let mut refused = false;
    let mut back = false;
    for _ in 0..100 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Err(_) => refused = true,
            Ok(_) if refused => {
                back = true;
                break;
            }
            Ok(_) => {}
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(refused, "the accessory never went away");
    assert!(back, "the accessory never came back");
    let (_, b) = api(&served, "GET", "/v1/status?wait=10", None, Pop::None);
    assert_eq!(json(&b)["state"], "connected", "{b}");
}

#[test]
fn request_log_records_credentials_without_keeping_them() {
    let served = Served::with_faults("SIM-0001", &[]);
    api(&served, "GET", "/v1/device", None, Pop::None);
    api(
        &served,
        "PUT",
        "/v1/network",
        Some(r#"{"ssid":"Home","passphrase":"short"}"#),
        Pop::None,
    );
    let log = served.sim().requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (
            log[0].method.as_str(),
            log[0].path.as_str(),
            log[0].carried_credential
        ),
        ("GET", "/v1/device", false)
    );
    // Refused as invalid, but it did arrive: the log says so.
    assert!(log[1].carried_credential);
    assert_eq!(log[1].status, 400);
    assert!(!format!("{log:?}").contains("short"));
}

#[test]
fn fleet_members_have_distinct_ids_keys_and_ports_and_one_anchor_verifies_all() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fleet = runtime
        .block_on(Fleet::start(5, FleetOptions::default()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = fleet
        .write(
            &dir.path().join("anchors.pem"),
            &dir.path().join("manifest.json"),
        )
        .unwrap();
    let ids: std::collections::BTreeSet<_> =
        manifest.accessories.iter().map(|a| a.id.clone()).collect();
    let pins: std::collections::BTreeSet<_> =
        manifest.accessories.iter().map(|a| a.pin.clone()).collect();
    let ports: std::collections::BTreeSet<_> =
        manifest.accessories.iter().map(|a| a.addr.port()).collect();
    assert_eq!((ids.len(), pins.len(), ports.len()), (5, 5, 5));
    let text = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    let v = json(&text);
    assert_eq!(v["accessories"][4]["id"], "SIM-0005");
    if accessory_tests::skip::require_tool("curl") {
        let anchors = dir.path().join("anchors.pem").display().to_string();
        for a in &manifest.accessories {
            let host = format!("{}.accessory.local", a.id);
            let resolve = format!("{host}:{}:127.0.0.1", a.addr.port());
            let url = format!("https://{host}:{}/v1/device", a.addr.port());
            let r =
                accessory_tests::sim::curl(&["--cacert", &anchors, "--resolve", &resolve, &url]);
            assert_eq!(r.code, 0, "{}", r.text);
            r.assert_says(&a.id);
        }
    }
    runtime.block_on(fleet.shutdown());
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let mut scenario = Scenario::good("SIM-0001");
    scenario.timings.header_read_timeout_ms = 300;
    let served = Served::start(scenario);
    let config = accessory_tests::sim::rustls_client(&served);
    let addr = served.addr();
    let name = rustls_pki_types::ServerName::try_from(served.host()).unwrap();
    let answer = served.block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .unwrap();
        tls.write_all(b"GET /v1/device HTTP/1.1\r\nHost: slow")
            .await
            .unwrap();
        let mut out = Vec::new();
        // The guard is far above the accessory's bound; the assertion is only that it hangs up.
        tokio::time::timeout(Duration::from_secs(60), tls.read_to_end(&mut out))
            .await
            .map(|_| out)
    });
    let out = answer.expect("the accessory kept a half-sent request open");
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    assert!(served.sim().requests().is_empty());
}
