//! Small things that cost trust (issue 13 item 10): logs without escape codes off a terminal,
//! completions that offer names, reads that never create a ledger, `certs ca init --out`, and a
//! refused proof of possession that says which credentials were sent.

use std::process::{Command, Output, Stdio};

use accessory_tests::provision::{accessory_bin, good};
use accessory_tests::sim::Served;

fn run(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_LEDGER")
        .env_remove("ACCESSORY_LOG")
        .env_remove("ACCESSORY_CA_DIR")
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .expect("the accessory binary runs")
}

/// Provisions the PoP-requiring `served` with `pop` as the label code (or none), `-vv`.
fn provision_with_pop(served: &Served, pop: Option<&str>) -> Output {
    let dir = served.dir();
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let pop_file = dir.join("pop.txt");
    let (addr, pin) = (served.addr().to_string(), served.sim().pin().to_string());
    let ledger = dir.join("ledger.sqlite3").display().to_string();
    let mut args = vec![
        "-vv",
        "provision",
        "--accessory",
        &addr,
        "--pin",
        &pin,
        "--device-id",
        "SIM-0001",
        "--network-ssid",
        "Home",
        "--network-passphrase-file",
        pass.to_str().unwrap(),
        "--ledger",
        &ledger,
    ];
    if let Some(code) = pop {
        std::fs::write(&pop_file, format!("{code}\n")).unwrap();
        args.extend(["--pop-file", pop_file.to_str().unwrap()]);
    }
    run(&args)
}

#[test]
fn verbose_logs_written_to_a_pipe_carry_no_ansi_escape_codes() {
    let served = Served::start(good("SIM-0001").with_pop_code("LABEL-1234"));
    let out = provision_with_pop(&served, Some("LABEL-1234"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("DEBUG"),
        "-vv logged nothing to check: {stderr}"
    );
    assert!(
        !stderr.contains('\x1b'),
        "escape codes in a pipe: {stderr:?}"
    );
}

#[test]
fn a_refused_pop_proof_says_which_credentials_were_sent() {
    let served = Served::start(good("SIM-0001").with_pop_code("LABEL-1234"));
    let wrong = provision_with_pop(&served, Some("LABEL-9999"));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(
            "credentials sent: yes: the passphrase and the PoP proof, which the accessory refused"
        ),
        "{stderr}"
    );
    let none = provision_with_pop(&served, None);
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(
        stderr.contains("credentials sent: yes: the passphrase; no PoP proof was given"),
        "{stderr}"
    );
}

#[test]
fn completions_offer_fault_format_and_profile_names_instead_of_file_names() {
    let out = run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8_lossy(&out.stdout);
    for name in [
        "slow-status",
        "reboot-after-apply",
        "curl-pins",
        "android-nsc",
        "ios26",
        "good-chain",
        "webpki",
    ] {
        assert!(script.contains(name), "bash completions lack {name}");
    }
}

#[test]
fn ledger_reads_never_create_a_ledger_and_say_so_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("ledgr.sqlite3");
    for args in [
        vec!["ledger", "list", "--ledger", typo.to_str().unwrap()],
        vec![
            "ledger",
            "show",
            "SIM-0001",
            "--ledger",
            typo.to_str().unwrap(),
        ],
        vec![
            "ledger",
            "forget",
            "SIM-0001",
            "--ledger",
            typo.to_str().unwrap(),
        ],
    ] {
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(8), "{args:?}: {stderr}");
        assert!(stderr.contains("[ledger.not_found]"), "{stderr}");
        assert!(stderr.contains("no ledger at"), "{stderr}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
}

#[test]
fn certs_ca_init_takes_out_like_every_command_that_writes_and_keeps_ca_as_a_hidden_alias() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("factory-ca");
    let out = run(&["certs", "ca", "init", "--out", ca.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(ca.join("intermediate.pem").exists());
    let old = dir.path().join("old-ca");
    let out = run(&["certs", "ca", "init", "--ca", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(old.join("intermediate.pem").exists());
    let help =
        String::from_utf8_lossy(&run(&["certs", "ca", "init", "--help"]).stdout).into_owned();
    assert!(
        help.contains("--out <DIR>") && !help.contains("--ca <DIR>"),
        "{help}"
    );
    // A missing CA names the spelling that works.
    let mint = run(&[
        "certs",
        "mint",
        "--ca",
        dir.path().join("none").to_str().unwrap(),
        "--device-id",
        "X-1",
    ]);
    assert!(
        String::from_utf8_lossy(&mint.stderr).contains("certs ca init --out"),
        "{mint:?}"
    );
}

#[test]
fn probe_against_plain_http_says_tls_not_tls_like_provision() {
    if !accessory_tests::skip::require_tool("python3") {
        return;
    }
    // Python's http.server: a plain HTTP server nobody here wrote, on a free port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let probe = run(&["probe", &addr, "--profile", "ios18"]);
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite3");
    let provision = run(&[
        "provision",
        "--accessory",
        &addr,
        "--pin",
        &"0".repeat(64),
        "--network-ssid",
        "Home",
        "--network-security",
        "open",
        "--ledger",
        ledger.to_str().unwrap(),
        "--deadline",
        "5",
    ]);
    let _ = server.kill();
    let _ = server.wait();
    for (what, out) in [("probe", probe), ("provision", provision)] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{what}: {stderr}");
        assert!(stderr.contains("[tls.not_tls]"), "{what}: {stderr}");
    }
}

#[test]
fn trust_add_of_an_openssl_req_x509_device_certificate_prints_a_note_for_its_ca_true() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("key.pem"), dir.path().join("device.pem"));
    // What README.md supports: a device's own self-signed certificate, CA:TRUE as openssl makes it.
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
            "-days",
            "365",
        ])
        .args([
            "-subj",
            "/CN=SIM-0042",
            "-addext",
            "subjectAltName=DNS:sim-0042.accessory.local",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let store = dir.path().join("store");
    let out = run(&[
        "trust",
        "add",
        cert.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let note = stderr
        .lines()
        .find(|l| l.contains("webpki.ca_as_end_entity"))
        .expect("the CA:TRUE finding is mentioned");
    assert!(note.starts_with("accessory: note: "), "{stderr}");
    assert!(note.contains("endpoint anchor"), "{note}");
    assert!(!stderr.contains(": error "), "{stderr}");
}

#[test]
fn the_android_line_names_the_host_that_was_checked_not_always_192_168_4_1() {
    let served = Served::start(good("SIM-0001"));
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let ledger = dir.path().join("l.sqlite3");
    let addr = served.addr().to_string();
    let provision = |identity: &[&str]| {
        let mut args = vec![
            "provision",
            "--accessory",
            &addr,
            "--anchors",
            served.anchors.to_str().unwrap(),
            "--network-ssid",
            "Home",
            "--network-passphrase-file",
            pass.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
        ];
        args.extend_from_slice(identity);
        String::from_utf8_lossy(&run(&args).stderr).into_owned()
    };
    let dns = provision(&["--dns", "plug.example"]);
    assert!(
        dns.contains(
            "Android: javax.net.ssl.SSLPeerUnverifiedException: Hostname plug.example not verified"
        ),
        "{dns}"
    );
    let id = provision(&["--device-id", "SIM-0009"]);
    assert!(id.contains("Hostname 127.0.0.1 not verified"), "{id}");
    assert!(!dns.contains("192.168.4.1 not verified") && !id.contains("192.168.4.1 not verified"));

    let chain = dir.path().join("chain.pem");
    std::fs::write(&chain, served.sim().chain_pem()).unwrap();
    let verify = run(&[
        "trust",
        "verify",
        "--anchors",
        served.anchors.to_str().unwrap(),
        "--ip",
        "10.0.0.7",
        chain.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{text}");
    assert!(text.contains("Hostname 10.0.0.7 not verified"), "{text}");
}

#[test]
fn certificates_from_certs_mint_lint_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, unit) = (dir.path().join("ca"), dir.path().join("unit"));
    assert_eq!(
        run(&["certs", "ca", "init", "--out", ca.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let mint = run(&[
        "certs",
        "mint",
        "--ca",
        ca.to_str().unwrap(),
        "--device-id",
        "PLUG-0042",
        "--out",
        unit.to_str().unwrap(),
    ]);
    assert_eq!(mint.status.code(), Some(0), "{mint:?}");
    let lint = run(&[
        "trust",
        "lint",
        unit.join("chain.pem").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(lint.status.code(), Some(0), "{lint:?}");
    let report: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    let findings = report["findings"].as_array().expect("findings");
    let above_note: Vec<_> = findings
        .iter()
        .filter(|f| f["severity"] != "note")
        .collect();
    assert!(above_note.is_empty(), "{above_note:?}");
    // The device id is still proven: serialNumber and the DNS SAN name it.
    let verify = run(&[
        "trust",
        "verify",
        "--anchors",
        ca.join("root.pem").to_str().unwrap(),
        "--device-id",
        "PLUG-0042",
        unit.join("chain.pem").to_str().unwrap(),
    ]);
    assert_eq!(verify.status.code(), Some(0), "{verify:?}");
}
