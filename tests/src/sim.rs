//! A simulated accessory for tests that drive it with clients nobody here wrote (curl, openssl
//! s_client, Python's `ssl`), and small wrappers that run those clients and capture what they say.
//!
//! The simulator runs on its own tokio runtime so that the tests themselves stay plain, blocking
//! code that shells out, as a QA script would.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use accessory_sim::{RunningSim, Scenario, Simulator};
use tempfile::TempDir;

/// A running simulated accessory with its anchors written to a file.
pub struct Served {
    runtime: tokio::runtime::Runtime,
    sim: Option<RunningSim>,
    dir: TempDir,
    /// The anchors file (PEM) an administrator would distribute for it.
    pub anchors: PathBuf,
}

impl Served {
    /// Starts `scenario` on 127.0.0.1 with a free port.
    #[track_caller]
    pub fn start(scenario: Scenario) -> Served {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sim = runtime
            .block_on(Simulator::start(scenario, "127.0.0.1:0".parse().unwrap()))
            .expect("the simulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let anchors = dir.path().join("anchors.pem");
        std::fs::write(&anchors, sim.anchors_pem()).expect("writing the anchors");
        Served {
            runtime,
            sim: Some(sim),
            dir,
            anchors,
        }
    }

    /// Starts a good accessory with these faults (`"expired"`, `"clienthello-limit=1024"`...).
    #[track_caller]
    pub fn with_faults(device_id: &str, faults: &[&str]) -> Served {
        let mut scenario = Scenario::good(device_id).with_connect_delay_ms(50);
        for f in faults {
            scenario = scenario.with_fault(f.parse().expect("a known fault"));
        }
        Served::start(scenario)
    }

    /// The simulator.
    pub fn sim(&self) -> &RunningSim {
        self.sim.as_ref().expect("running")
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.sim().addr()
    }

    /// The DNS name its certificate carries: `<device-id>.accessory.local`.
    pub fn host(&self) -> String {
        format!("{}.accessory.local", self.sim().device_id())
    }

    /// `https://<host>:<port><path>` (resolve it with [`Served::curl_resolve`]).
    pub fn url(&self, path: &str) -> String {
        format!("https://{}:{}{}", self.host(), self.addr().port(), path)
    }

    /// curl's `--resolve` value mapping the host to the loopback address.
    pub fn curl_resolve(&self) -> String {
        format!("{}:{}:127.0.0.1", self.host(), self.addr().port())
    }

    /// A scratch directory that lives as long as the accessory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a future on the simulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// What a client process did.
#[derive(Debug)]
pub struct Ran {
    /// Its exit code (-1 when killed by a signal).
    pub code: i32,
    /// Its stdout and stderr, concatenated.
    pub text: String,
}

impl Ran {
    fn of(output: Output) -> Ran {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Ran {
            code: output.status.code().unwrap_or(-1),
            text,
        }
    }

    /// Asserts that the output contains `needle`, showing everything when it does not.
    #[track_caller]
    pub fn assert_says(&self, needle: &str) -> &Self {
        assert!(
            self.text.contains(needle),
            "expected {needle:?} in the output (exit {}):\n{}",
            self.code,
            self.text
        );
        self
    }
}

/// Whether a tool is installed (tests that need it say so and return when it is not).
pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg(if tool == "openssl" {
            "version"
        } else {
            "--version"
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `curl -sS --max-time 20 <args>`.
pub fn curl(args: &[&str]) -> Ran {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running curl");
    Ran::of(output)
}

/// curl against `path` on `served`, trusting its anchors, naming it by its DNS name.
pub fn curl_anchors(served: &Served, path: &str, extra: &[&str]) -> Ran {
    let anchors = served.anchors.display().to_string();
    let resolve = served.curl_resolve();
    let url = served.url(path);
    let mut args = vec!["--cacert", &anchors, "--resolve", &resolve];
    args.extend_from_slice(extra);
    args.push(&url);
    curl(&args)
}

/// Runs `openssl s_client -connect <addr> <args>` with stdin closed (so it quits after the
/// handshake) and returns what it printed.
pub fn s_client(addr: SocketAddr, args: &[&str]) -> Ran {
    let output = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running openssl s_client");
    Ran::of(output)
}

/// `openssl s_client` trusting `served`'s anchors and checking its DNS name.
pub fn s_client_anchors(served: &Served, extra: &[&str]) -> Ran {
    let anchors = served.anchors.display().to_string();
    let host = served.host();
    let mut args = vec![
        "-CAfile",
        &anchors,
        "-servername",
        &host,
        "-verify_hostname",
        &host,
    ];
    args.extend_from_slice(extra);
    s_client(served.addr(), &args)
}

/// The Python client: one HTTPS request with `ssl.create_default_context(cafile=...)`.
/// Prints `OK <status line>`, `CERT <verify_code> <verify_message>`, `SSL <reason>` or `OS <error>`.
const PYTHON_CLIENT: &str = r#"
import socket, ssl, sys
host, port, cafile, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
alpn = int(sys.argv[5]) if len(sys.argv) > 5 else 0
ctx = ssl.create_default_context(cafile=cafile)
if alpn:
    ctx.set_alpn_protocols(["x-padding-%04d" % i for i in range(alpn)] + ["http/1.1"])
try:
    with socket.create_connection((host, port), timeout=20) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            t.sendall(b"GET /v1/device HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = t.recv(4096)
                if not chunk:
                    break
                data += chunk
            print("OK", data.split(b"\r\n")[0].decode(errors="replace"))
except ssl.SSLCertVerificationError as e:
    print("CERT", e.verify_code, e.verify_message)
except ssl.SSLError as e:
    print("SSL", e.reason, str(e))
except OSError as e:
    print("OS", type(e).__name__, e)
"#;

/// Python's `ssl` against `served`, naming it `name` (its DNS name or `192.168.4.1`);
/// `alpn_padding` adds that many ALPN names to grow the ClientHello.
pub fn python(served: &Served, name: &str, alpn_padding: usize) -> Ran {
    let output = Command::new("python3")
        .args(["-c", PYTHON_CLIENT, "127.0.0.1"])
        .arg(served.addr().port().to_string())
        .arg(&served.anchors)
        .arg(name)
        .arg(alpn_padding.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("running python3");
    Ran::of(output)
}

/// How a request proves possession of the label code.
#[derive(Debug, Clone, Copy)]
pub enum Pop<'a> {
    /// No `Authorization` header.
    None,
    /// A correct proof for this code, bound to this connection's exporter.
    Code(&'a str),
    /// This exact header value.
    Header(&'a str),
}

/// A rustls client configuration trusting `served`'s anchors (aws-lc-rs defaults; with this
/// workspace's features the first key share is X25519).
pub fn rustls_client(served: &Served) -> std::sync::Arc<rustls::ClientConfig> {
    rustls_client_with(served, rustls::crypto::aws_lc_rs::default_provider())
}

/// Like [`rustls_client`], but sending the post-quantum X25519MLKEM768 key share first, as iOS 26
/// does (a ClientHello of about 1.5 KB).
pub fn rustls_client_post_quantum(served: &Served) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls::crypto::aws_lc_rs::kx_group;
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = vec![
        kx_group::X25519MLKEM768,
        kx_group::X25519,
        kx_group::SECP256R1,
    ];
    rustls_client_with(served, provider)
}

fn rustls_client_with(
    served: &Served,
    provider: rustls::crypto::CryptoProvider,
) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(served.sim().anchors_pem().as_bytes())
    {
        roots.add(c.expect("PEM anchors")).expect("a usable anchor");
    }
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
            .with_safe_default_protocol_versions()
            .expect("default versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One handshake with `config`; the rustls error when it fails.
pub fn rustls_handshake(
    served: &Served,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> Result<(), std::io::Error> {
    let addr = served.addr();
    let name = rustls_pki_types::ServerName::try_from(served.host()).expect("a DNS name");
    served.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map(|_| ())
    })
}

/// One API request over a fresh verified TLS connection (`Connection: close`); returns the
/// status and the body.
#[track_caller]
pub fn api(
    served: &Served,
    method: &str,
    path: &str,
    body: Option<&str>,
    pop: Pop<'_>,
) -> (u16, String) {
    let raw = {
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            served.host(),
            body.len()
        );
        (head, body.to_owned())
    };
    let config = rustls_client(served);
    let addr = served.addr();
    let name = rustls_pki_types::ServerName::try_from(served.host()).expect("a DNS name");
    let pop = match pop {
        Pop::None => None,
        Pop::Code(c) => Some((true, c.to_owned())),
        Pop::Header(h) => Some((false, h.to_owned())),
    };
    let text = served.block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .expect("a verified handshake");
        let (head, body) = raw;
        let mut request = head;
        if let Some((is_code, value)) = pop {
            let header = if is_code {
                let exporter = tls
                    .get_ref()
                    .1
                    .export_keying_material(
                        [0u8; protocol::pop::EXPORTER_LEN],
                        protocol::pop::EXPORTER_LABEL,
                        None,
                    )
                    .expect("keying material");
                protocol::pop::authorization(&value, &exporter).to_string()
            } else {
                value
            };
            request.push_str(&format!("Authorization: {header}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        // Read while writing: an accessory may answer (413 on a declared oversize body) and close
        // before the body is all sent, and the client must still see that answer, not a broken pipe.
        let (mut reader, mut writer) = tokio::io::split(tls);
        let send = async move {
            let _ = writer.write_all(request.as_bytes()).await;
            writer
        };
        let receive = async move {
            let mut out = Vec::new();
            let _ = reader.read_to_end(&mut out).await;
            out
        };
        let (_writer, out) = tokio::join!(send, receive);
        String::from_utf8_lossy(&out).into_owned()
    });
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}
