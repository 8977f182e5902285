//! Faithful ClientHellos (a real phone's capture, refreshed) sent as Wi-Fi delivers them: the probe
//! no longer says "iOS 26 passes" for an accessory a real iPhone fails.

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use accessory_sim::{Fault, Scenario, Simulator};
use accessory_tests::provision::accessory_bin;
use probe::{Answer, ClientProfile, Platform, Report, Segmentation, Target, Template};

async fn probe_sim(faults: &[&str]) -> Report {
    let mut scenario = Scenario::good("SIM-PROBE-FIDELITY");
    for f in faults {
        scenario = scenario.with_fault(f.parse::<Fault>().unwrap());
    }
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target = Target::parse(&sim.addr().to_string()).unwrap();
    let chosen: Vec<&'static ClientProfile> = probe::profiles().iter().collect();
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

/// The real iOS 26 hello as the probe sends it to an IP address (no SNI).
fn ios26_record() -> Vec<u8> {
    Template::of("ios26")
        .unwrap()
        .captured()
        .refreshed(None)
        .unwrap()
        .to_record()
}

#[tokio::test]
async fn an_accessory_that_reads_the_clienthello_with_one_recv_fails_ios26_and_passes_ios18() {
    let report = probe_sim(&["single-read"]).await;
    let ios26 = report.profile("ios26").unwrap();
    // rustls's own 1,444-byte hello fits one segment and gets through: the old false pass.
    assert!(ios26.completed, "{ios26:?}");
    let real = ios26.faithful.as_ref().expect("a faithful hello for ios26");
    assert_eq!(real.bytes, 1514);
    assert_eq!(real.segments, 2);
    assert_eq!(real.whole, Answer::ServerHello, "{real:?}");
    assert_eq!(real.split, Some(Answer::Reset), "{real:?}");
    let v = report.verdict(Platform::Ios26).unwrap();
    assert!(!v.passed, "{v:?}");
    assert!(
        v.reasons
            .iter()
            .any(|r| r.code == "tls.split_clienthello_refused"),
        "{v:?}"
    );
    assert!(report.to_string().contains(
        "accepted whole (ServerHello), reset when split into 2 segments of at most 1460 bytes"
    ));

    let ios18 = report.profile("ios18").unwrap();
    let real18 = ios18.faithful.as_ref().unwrap();
    assert_eq!((real18.bytes, real18.segments), (517, 1));
    assert_eq!(real18.whole, Answer::ServerHello);
    assert!(report.verdict(Platform::Ios18).unwrap().passed);
    assert!(report.verdict(Platform::Android).unwrap().passed);
}

#[tokio::test]
async fn clienthello_limits_of_1460_and_1505_fail_ios26_whose_real_hello_is_larger_than_both() {
    let size = ios26_record().len();
    assert!(size > 1505, "the real iOS 26 hello is {size} bytes");
    for limit in [1460, 1505] {
        let report = probe_sim(&[&format!("clienthello-limit={limit}")]).await;
        let real = report.profile("ios26").unwrap().faithful.clone().unwrap();
        assert_eq!(real.bytes, size);
        assert!(!real.whole.accepted(), "limit {limit}: {real:?}");
        // mbedTLS's answer, the fault's default: the connection closed, no alert.
        assert_eq!(real.whole, Answer::Closed, "{real:?}");
        assert!(!report.verdict(Platform::Ios26).unwrap().passed, "{limit}");
        assert!(report.verdict(Platform::Ios18).unwrap().passed, "{limit}");
    }
}

#[tokio::test]
async fn the_faithful_ios26_hello_is_accepted_by_a_good_accessory_whole_and_split() {
    let report = probe_sim(&[]).await;
    let real = report.profile("ios26").unwrap().faithful.clone().unwrap();
    assert_eq!(real.whole, Answer::ServerHello);
    assert_eq!(real.split, Some(Answer::ServerHello));
    assert!(report.passed());
}

/// A plain TCP listener of the test's own: records every byte of `connections` connections, each
/// until the client stops sending for a moment, then closes it.
fn recording_listener(
    connections: usize,
) -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut all = Vec::new();
        for _ in 0..connections {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            all.push(got);
        }
        all
    });
    (addr, handle)
}

#[test]
fn a_replayed_capture_arrives_byte_identical_at_a_plain_listener_whole_and_split() {
    // A capture nobody refreshed: testssl's Safari 26.4 bytes, as hex text.
    let hex = include_str!("../probe/data/ios26.hex");
    let capture: Vec<u8> = (0..hex.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex.trim()[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(capture.len(), 1533);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("iphone.hex");
    std::fs::write(&file, hex).unwrap();
    // Whole, then split: two connections.
    let (addr, listener) = recording_listener(2);
    let out = Command::new(accessory_bin())
        .args([
            "probe",
            &addr.to_string(),
            "--timeout",
            "2",
            "--client-hello",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let received = listener.join().unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0], capture, "the whole write is the capture");
    assert_eq!(
        received[1], capture,
        "the split writes add up to the capture"
    );
    // The listener said nothing: the probe reports that, and exits with the verdict status.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1533 bytes, 2 segment(s) at MSS 1460"),
        "{stdout}"
    );
    assert!(stdout.contains("closed without an answer"), "{stdout}");
}

#[tokio::test]
async fn a_split_hello_leaves_in_mss_sized_writes_that_a_single_read_sees_only_the_first_of() {
    // What the first read() of a listener returns when the hello is split: at most one segment.
    let record = ios26_record();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let (mut s, _) = listener.accept().await.unwrap();
        // Let every segment arrive before the one read, as a slow firmware loop would.
        let mut buf = vec![0u8; 16_384];
        let n = s.read(&mut buf).await.unwrap();
        n
    });
    let seg = Segmentation {
        mss: 1000,
        gap: Duration::from_millis(50),
    };
    let _ = probe::send(addr, &record, Some(seg), Duration::from_millis(500)).await;
    let first_read = reader.await.unwrap();
    assert_eq!(first_read, 1000, "the first read holds exactly one segment");
}

#[test]
fn docs_client_profiles_states_the_sizes_the_probe_sends() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/client-profiles.md"),
    )
    .unwrap();
    for name in ["ios26", "ios18", "android"] {
        let t = Template::of(name).unwrap();
        let sent = t.captured().refreshed(None).unwrap().to_record().len();
        let captured = t.captured().to_record().len();
        let fmt = |n: usize| {
            if n >= 1000 {
                format!("{},{:03}", n / 1000, n % 1000)
            } else {
                n.to_string()
            }
        };
        let row = format!("{} captured; **{}** sent", fmt(captured), fmt(sent));
        assert!(doc.contains(&row), "{name}: docs should say `{row}`");
        let segments = Segmentation::default().segments(sent);
        assert!(
            doc.contains(&format!("| {name} |")) && (segments == 1 || doc.contains("| **2** |")),
            "{name}"
        );
    }
}

async fn sweep_sim(fault: &str) -> probe::Sweep {
    let scenario = Scenario::good("SIM-PROBE-SWEEP").with_fault(fault.parse::<Fault>().unwrap());
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let result = probe::sweep(
        sim.addr(),
        None,
        Segmentation::default(),
        Duration::from_secs(2),
    )
    .await
    .unwrap();
    sim.shutdown().await;
    println!("{fault}: {result}");
    result
}

#[tokio::test]
async fn sweep_finds_the_clienthello_limit_the_simulator_was_given_to_the_byte() {
    for limit in [1000, 1460, 1505] {
        let s = sweep_sim(&format!("clienthello-limit={limit}")).await;
        assert_eq!(s.whole, Some(limit), "{s:?}");
        assert_eq!(s.split, Some(limit), "{s:?}");
        assert_eq!(s.ios26_bytes, 1514);
        assert!(s
            .to_string()
            .contains(&format!("accepts up to {limit} bytes")));
        assert!(s.to_string().contains("iOS 26 sends 1514 bytes"));
        assert!(s.to_string().contains("REFUSED"));
    }
}

#[tokio::test]
async fn sweep_of_a_single_read_accessory_finds_the_mss_split_and_the_read_size_whole() {
    let s = sweep_sim("single-read=4096").await;
    assert_eq!(s.whole, Some(4096), "{s:?}");
    assert_eq!(s.split, Some(1460), "{s:?}");
}

#[test]
fn a_replayed_pcap_sends_the_reassembled_record_byte_identical() {
    // curl_cffi's safari270_ios hello in a pcap of two TCP segments, and the same record as hex.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../probe/data");
    let pcap = root.join("curl_cffi_safari270_ios_ip.pcap");
    let hex = std::fs::read_to_string(root.join("curl_cffi_safari270_ios_ip.hex")).unwrap();
    let expected: Vec<u8> = (0..hex.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex.trim()[i..i + 2], 16).unwrap())
        .collect();
    let (addr, listener) = recording_listener(2);
    let out = Command::new(accessory_bin())
        .args([
            "probe",
            &addr.to_string(),
            "--timeout",
            "2",
            "--client-hello",
        ])
        .arg(&pcap)
        .output()
        .unwrap();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    let received = listener.join().unwrap();
    assert_eq!(received, vec![expected.clone(), expected]);
}

/// Python's `ssl` module serving a good certificate on loopback (a TLS server we did not write);
/// killed on drop.
struct PythonServer {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PYTHON_SERVER: &str = r#"
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def serve(c):
    try:
        with ctx.wrap_socket(c, server_side=True) as t:
            t.recv(1)
    except Exception:
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

fn python_server() -> Option<PythonServer> {
    if !accessory_tests::skip::require_tool("python3") {
        return None;
    }
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let material = certs::generate("good-chain", &certs::Options::new("SIM-PYTHON-0001")).unwrap();
    let chain = dir.path().join("chain.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&chain, material.chain_pem()).unwrap();
    std::fs::write(&key, material.key_pem()).unwrap();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(PYTHON_SERVER)
        .arg(&chain)
        .arg(&key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the server prints its port");
    Some(PythonServer {
        child,
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        _dir: dir,
    })
}

#[tokio::test]
async fn pythons_ssl_server_answers_every_faithful_hello_whole_and_split_with_a_serverhello() {
    let Some(server) = python_server() else {
        return;
    };
    for name in ["ios26", "ios18", "android"] {
        let record = Template::of(name)
            .unwrap()
            .captured()
            .refreshed(None)
            .unwrap()
            .to_record();
        let r = probe::try_hello(
            server.addr,
            name.into(),
            &record,
            Segmentation::default(),
            Duration::from_secs(5),
        )
        .await;
        println!("{name}: {}", r.summary());
        assert_eq!(r.whole, Answer::ServerHello, "{name}");
        assert!(
            r.split.as_ref().is_none_or(|a| *a == Answer::ServerHello),
            "{name}"
        );
    }
    // A stack that buffers records accepts every size, split or not.
    let s = probe::sweep(
        server.addr,
        None,
        Segmentation::default(),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    println!("{s}");
    assert_eq!(s.whole, Some(probe::MAX_RECORD));
    assert_eq!(s.split, Some(probe::MAX_RECORD));
}

async fn accessory_probe_sim(faults: &[&str], extra: &[&str]) -> std::process::Output {
    let mut scenario = Scenario::good("SIM-PROBE-FIDELITY-CLI");
    for f in faults {
        scenario = scenario.with_fault(f.parse::<Fault>().unwrap());
    }
    let sim = Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut args = vec!["probe".to_owned(), sim.addr().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = tokio::task::spawn_blocking(move || {
        Command::new(accessory_bin())
            .args(&args)
            .env_remove("ACCESSORY_PROBE_PROFILES")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    sim.shutdown().await;
    out
}

#[tokio::test]
async fn probe_sweep_as_the_binary_says_the_limit_and_that_ios26_is_refused() {
    let out = accessory_probe_sim(&["clienthello-limit=1460,reset"], &["--sweep"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("whole (one write): accepts up to 1460 bytes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("iOS 26 sends 1514 bytes (2 segments at MSS 1460): REFUSED"),
        "{stdout}"
    );
}

#[tokio::test]
async fn probe_json_carries_the_real_hello_per_profile_and_mss_changes_the_split() {
    let out = accessory_probe_sim(
        &["single-read"],
        &[
            "--profile",
            "ios18,ios26",
            "--mss",
            "1000",
            "--segment-gap-ms",
            "5",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ios18 = &v["profiles"][0]["faithful"];
    // 517 bytes fit one 1,000-byte segment; 1,514 take two, and single-read resets the split one.
    assert_eq!(ios18["bytes"], 517);
    assert_eq!(ios18["segments"], 1);
    let ios26 = &v["profiles"][1]["faithful"];
    assert_eq!(ios26["bytes"], 1514);
    assert_eq!(ios26["segments"], 2);
    assert_eq!(ios26["segmentation"]["mss"], 1000);
    assert_eq!(ios26["segmentation"]["gap"], 5);
    assert_eq!(ios26["whole"]["answer"], "server_hello");
    assert_eq!(ios26["split"]["answer"], "reset");
}

#[test]
fn a_client_hello_file_that_is_not_one_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.txt");
    std::fs::write(&file, "this is not a ClientHello").unwrap();
    let out = Command::new(accessory_bin())
        .args(["probe", "127.0.0.1:9", "--client-hello"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("probe.bad_client_hello"), "{stderr}");
}

#[test]
fn the_simulators_fault_list_has_single_read_and_rejects_a_bad_size() {
    let out = Command::new(accessory_bin())
        .args(["sim", "--list-faults"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().next() == Some("single-read[=16384]")),
        "{stdout}"
    );
    let e = "single-read=tiny".parse::<Fault>().unwrap_err();
    assert!(e.to_string().contains("read size in bytes"), "{e}");
}
