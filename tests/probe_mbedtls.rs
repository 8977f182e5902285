//! `probe`'s record-size checks against a running mbedTLS 2.28 (Debian's libmbedtls, built with the
//! default 16 KB input buffer): `tests/scripts/mbedtls_server.c`, compiled here with gcc, one
//! handshake and one `mbedtls_ssl_read` per connection. A stack nobody here wrote shows two things
//! the simulator cannot: mbedTLS echoes `max_fragment_length` in its TLS 1.2 ServerHello but sends
//! its Certificate in one record over the limit (it fragments only application data over TCP:
//! 2.28.10 `library/ssl_msg.c` line 2494, "We deliberately do not check for the MTU or MFL here"),
//! and it reads a full 16,384-byte application record. Skipped (visibly) without gcc or
//! libmbedtls-dev.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use accessory_tests::skip::{skip, Missing};
use probe::{ClientProfile, Honoured, Target, Version};

struct MbedtlsServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl MbedtlsServer {
    fn start() -> Option<MbedtlsServer> {
        let dir = tempfile::tempdir().unwrap();
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mbedtls_server.c");
        let binary = dir.path().join("mbedtls_server");
        let built = Command::new("gcc")
            .arg("-o")
            .arg(&binary)
            .arg(source)
            .args(["-lmbedtls", "-lmbedx509", "-lmbedcrypto"])
            .output();
        match built {
            Ok(out) if out.status.success() => {}
            _ => {
                skip(
                    Missing::Dependency,
                    "gcc with libmbedtls-dev (mbedTLS 2.28; `make deps` installs them) is needed to build tests/scripts/mbedtls_server.c",
                );
                return None;
            }
        }
        let material =
            certs::generate("good-chain", &certs::Options::new("SIM-MBEDTLS-0001")).unwrap();
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
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new(&binary)
            .arg(port.to_string())
            .arg(&chain)
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the mbedTLS server starts");
        let server = MbedtlsServer {
            child,
            addr,
            _dir: dir,
        };
        // Wait until it listens (startup, not a timed assertion).
        for _ in 0..100 {
            if TcpStream::connect(addr).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the mbedTLS server never listened on {addr}");
    }
}

impl Drop for MbedtlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn mbedtls_228_reads_a_16_kb_record_and_echoes_max_fragment_length_without_fragmenting_its_certificate(
) {
    let Some(server) = MbedtlsServer::start() else {
        return;
    };
    let target = Target::parse(&server.addr.to_string()).unwrap();
    let chosen: Vec<&'static ClientProfile> = ["ios26", "ios18"]
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
    let text = report.to_string();
    println!("{text}");
    let records = report.records.as_ref().unwrap();
    let app = records.application.as_ref().unwrap();
    assert!(app.reads_full_records(), "{:?}", app.tries);
    assert!(
        text.contains("reads a 16384-byte application record: yes (answered \"HTTP/1.0 200 ok\")"),
        "{text}"
    );
    let mfl = records.limit("max_fragment_length").unwrap();
    assert_eq!(mfl.version, Some(Version::Tls12));
    assert_eq!(mfl.acknowledged, Some(true));
    assert_eq!(mfl.honoured, Honoured::No, "{}", mfl.why);
    assert!(
        text.contains(
            "honours max_fragment_length 512 (RFC 6066): no (TLS 1.2: echoed in the ServerHello, yet a record of "
        ),
        "{text}"
    );
    let rsl = records.limit("record_size_limit").unwrap();
    assert_eq!(rsl.acknowledged, Some(false));
}
