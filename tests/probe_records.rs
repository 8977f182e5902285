//! After the handshake: record sizes. A simulated mbedTLS accessory with a 4 KB input buffer
//! (`MBEDTLS_SSL_IN_CONTENT_LEN=4096`) refuses a 16 KB application record and reads a 4 KB one;
//! the rustls simulator reads 16 KB records and, like rustls, honours neither
//! `max_fragment_length` nor `record_size_limit` (the honouring side is `openssl s_server`, in
//! probe_openssl.rs). Each check is asserted on the report and on the line the probe prints.

use std::process::Command;

use accessory_sim::{Personality, Scenario, Simulator};
use accessory_tests::provision::accessory_bin;
use probe::{ClientProfile, Honoured, Reply, Report, Target, Version};

async fn probe_scenario(scenario: Scenario) -> (Report, String) {
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    let target = Target::parse(&sim.addr().to_string()).unwrap();
    let chosen: Vec<&'static ClientProfile> = ["ios26", "ios18", "android"]
        .iter()
        .map(|p| ClientProfile::by_name(p).unwrap())
        .collect();
    let options = probe::Options {
        faithful: false,
        ..probe::Options::default()
    };
    let report = probe::run_with(&target, &chosen, &options)
        .await
        .expect("probe runs");
    let requests = sim.requests();
    sim.shutdown().await;
    // The record-size check's GET / is the only request, and it carries no credential.
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.path == "/" && !r.carried_credential),
        "{requests:?}"
    );
    let text = report.to_string();
    println!("{text}");
    (report, text)
}

#[track_caller]
fn assert_line(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l.trim_start().starts_with(line)),
        "no line starting {line:?} in:\n{text}"
    );
}

#[tokio::test]
async fn an_mbedtls_accessory_with_a_4096_byte_input_buffer_refuses_a_16384_byte_record_and_reads_a_4096_byte_one(
) {
    let personality: Personality = "mbedtls-3.6=4096".parse().unwrap();
    let mut scenario = Scenario::good("SIM-RECORDS-0001");
    for f in personality.faults() {
        scenario = scenario.with_fault(f);
    }
    let (report, text) = probe_scenario(scenario).await;
    // The handshakes pass: the buffer only shows with the first large record.
    assert!(report.profile("ios26").unwrap().completed);
    let app = report
        .records
        .as_ref()
        .unwrap()
        .application
        .as_ref()
        .unwrap();
    assert!(!app.reads_full_records());
    let first = &app.tries[0];
    assert_eq!(first.plaintext, 16_384);
    // TLS 1.2 AES-GCM: 5-byte header, 8-byte explicit nonce, 16-byte tag.
    assert_eq!(first.wire, Some(16_384 + 5 + 8 + 16));
    // As mbedTLS: no alert, the connection ends (a close, or a reset with the record unread).
    assert!(
        matches!(first.reply, Reply::Closed | Reply::Reset),
        "{:?}",
        first.reply
    );
    assert_eq!(app.largest_read(), Some(4_096));
    assert_line(&text, "reads a 16384-byte application record: NO: ");
    assert!(text.contains("; a 4096-byte record is read"), "{text}");
}

#[tokio::test]
async fn in_content_len_2048_alone_refuses_16384_and_4096_byte_records_and_reads_a_1024_byte_one() {
    let scenario =
        Scenario::good("SIM-RECORDS-0002").with_fault("in-content-len=2048".parse().unwrap());
    let (report, text) = probe_scenario(scenario).await;
    let app = report
        .records
        .as_ref()
        .unwrap()
        .application
        .as_ref()
        .unwrap();
    // TLS 1.3 here (the fault alone keeps the simulator's versions): 16 KB and 4 KB refused,
    // 1 KB read.
    let replies: Vec<bool> = app.tries.iter().map(|t| t.reply.read()).collect();
    assert_eq!(replies, [false, false, true], "{:?}", app.tries);
    assert_eq!(app.tries[0].wire, Some(16_384 + 5 + 1 + 16));
    assert_line(&text, "reads a 16384-byte application record: NO: ");
    assert!(text.contains("a 1024-byte record is read"), "{text}");
}

#[tokio::test]
async fn the_rustls_simulator_reads_16_kb_records_and_honours_neither_max_fragment_length_nor_record_size_limit(
) {
    let (report, text) = probe_scenario(Scenario::good("SIM-RECORDS-0003")).await;
    let records = report.records.as_ref().unwrap();
    let app = records.application.as_ref().unwrap();
    assert!(app.reads_full_records(), "{:?}", app.tries);
    assert_eq!(app.tries.len(), 1);
    assert!(
        matches!(&app.tries[0].reply, Reply::Answered { first_line } if first_line.starts_with("HTTP/1.1 "))
    );
    assert_line(
        &text,
        "reads a 16384-byte application record: yes (answered \"HTTP/1.1 ",
    );
    for name in ["max_fragment_length", "record_size_limit"] {
        let offer = records.limit(name).unwrap();
        assert_eq!(offer.version, Some(Version::Tls13));
        // rustls implements neither: its flight has a record far over 512 bytes either way.
        assert_eq!(offer.honoured, Honoured::No, "{}", offer.why);
        assert!(offer.largest_record.unwrap() > 512);
    }
    assert_line(
        &text,
        "honours max_fragment_length 512 (RFC 6066): no (TLS 1.3: a protected record of ",
    );
    assert_line(
        &text,
        "honours record_size_limit 512 (RFC 8449): no (TLS 1.3: a protected record of ",
    );
}

#[tokio::test]
async fn a_tls12_accessory_that_ignores_max_fragment_length_is_told_by_its_server_hello() {
    let scenario = Scenario::good("SIM-RECORDS-0004").with_fault("tls12-only".parse().unwrap());
    let (report, text) = probe_scenario(scenario).await;
    let offer = report
        .records
        .as_ref()
        .unwrap()
        .limit("max_fragment_length")
        .unwrap();
    assert_eq!(offer.version, Some(Version::Tls12));
    assert_eq!(offer.acknowledged, Some(false));
    assert_eq!(offer.honoured, Honoured::No);
    assert_line(
        &text,
        "honours max_fragment_length 512 (RFC 6066): no (TLS 1.2: not in the ServerHello",
    );
}

#[tokio::test]
async fn probe_json_carries_the_record_checks_and_no_record_checks_turns_them_off() {
    let scenario =
        Scenario::good("SIM-RECORDS-0005").with_fault("in-content-len=4096".parse().unwrap());
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sim.addr().to_string();
    let run = |extra: &'static [&'static str]| {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(accessory_bin())
                .args(["probe", &addr, "--profile", "ios26", "--json"])
                .args(extra)
                .env_remove("ACCESSORY_PROBE_PROFILES")
                .output()
                .expect("the binary runs")
        })
    };
    let checked = run(&[]).await.unwrap();
    let skipped = run(&["--no-record-checks"]).await.unwrap();
    sim.shutdown().await;
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("JSON");
    let app = &report["records"]["application"];
    assert_eq!(app["profile"], "ios26");
    assert_eq!(app["tries"][0]["plaintext"], 16_384);
    assert_eq!(
        app["tries"][0]["reply"]["reply"]
            .as_str()
            .map(|r| r == "closed" || r == "reset"),
        Some(true),
        "{app}"
    );
    assert_eq!(app["tries"][1]["plaintext"], 4_096);
    assert_eq!(app["tries"][1]["reply"]["reply"], "answered");
    let limits = report["records"]["limits"].as_array().unwrap();
    assert_eq!(limits[0]["extension"], "max_fragment_length");
    assert_eq!(limits[0]["honoured"], "no");
    assert_eq!(limits[1]["extension"], "record_size_limit");
    let report: serde_json::Value = serde_json::from_slice(&skipped.stdout).expect("JSON");
    assert!(report["records"].is_null(), "{report}");
}
