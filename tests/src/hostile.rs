//! A hostile accessory that is not our simulator (`tests/scripts/hostile_server.py`: Python's ssl
//! and a few lines of HTTP), recording every decrypted byte it receives, and certificates made by
//! OpenSSL for it to serve.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `hostile_server.py`; killed when dropped.
pub struct HostileServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl HostileServer {
    /// Serves `chain` (PEM, leaf first) with `key` on 127.0.0.1, claiming `device_id` in
    /// `GET /v1/device`; its log files go in `dir`.
    pub fn start(chain: &Path, key: &Path, device_id: &str, dir: &Path) -> Self {
        let log = dir.join(format!("hostile-{device_id}-{}.log", unique()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/hostile_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--cert")
            .arg(chain)
            .arg("--key")
            .arg(key)
            .arg("--device-id")
            .arg(device_id)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs hostile_server.py");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut first)
            .expect("the hostile server prints its port");
        let port = first
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("hostile server did not start: {first:?}"));
        HostileServer { child, port, log }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Every decrypted byte it received, in order, over all connections.
    pub fn received(&self) -> Vec<u8> {
        std::fs::read(&self.log).unwrap_or_default()
    }

    /// The same, as text (lossy), for searching.
    pub fn received_text(&self) -> String {
        String::from_utf8_lossy(&self.received()).into_owned()
    }

    /// Its event lines: `accepted`, `handshake ok ...`, `handshake failed: ...`, `request M P`.
    pub fn events(&self) -> Vec<String> {
        let path = PathBuf::from(format!("{}.events", self.log.display()));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The requests it parsed, as `METHOD PATH`.
    pub fn requests(&self) -> Vec<String> {
        self.events()
            .iter()
            .filter_map(|e| e.strip_prefix("request ").map(str::to_owned))
            .collect()
    }

    /// Asserts it received nothing secret: no network request, no `secret` bytes, no
    /// `Authorization` header (the proof of possession), no request but `GET /v1/device`.
    #[track_caller]
    pub fn assert_nothing_secret(&self, secret: &str) {
        let text = self.received_text();
        let lower = text.to_ascii_lowercase();
        assert!(
            !text.contains(secret),
            "the passphrase reached the hostile server:\n{text}"
        );
        assert!(
            !lower.contains("authorization:") && !lower.contains("pop "),
            "a proof of possession reached the hostile server:\n{text}"
        );
        assert!(
            !lower.contains("/v1/network"),
            "a network request reached the hostile server:\n{text}"
        );
        for r in self.requests() {
            assert_eq!(r, "GET /v1/device", "unexpected request: {text}");
        }
    }

    /// Asserts it received no application byte at all (a refused handshake).
    #[track_caller]
    pub fn assert_no_application_bytes(&self) {
        let got = self.received();
        assert!(
            got.is_empty(),
            "{} application bytes reached the hostile server: {}",
            got.len(),
            String::from_utf8_lossy(&got)
        );
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A certificate and its key, as PEM files made by OpenSSL.
#[derive(Debug, Clone)]
pub struct OpensslCert {
    /// The certificate, PEM.
    pub cert: PathBuf,
    /// Its private key, PEM.
    pub key: PathBuf,
}

impl OpensslCert {
    /// The certificate's SPKI pin, `sha256/BASE64`.
    pub fn pin(&self) -> String {
        let der = trust::load_certificates(&self.cert).expect("an OpenSSL-made certificate");
        trust::Pin::of_certificate(&der[0])
            .expect("a certificate with a key")
            .to_string()
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A root CA made by `openssl req -x509`: `CN=<cn>`, no SAN, CA:TRUE, keyCertSign.
pub fn openssl_root(dir: &Path, cn: &str) -> OpensslCert {
    let (cert, key) = (dir.join(format!("{cn}.pem")), dir.join(format!("{cn}.key")));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        s(&key),
        "-out",
        s(&cert),
        "-days",
        "30",
        "-subj",
        &format!("/CN={cn}"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    OpensslCert { cert, key }
}

/// An accessory leaf: `subject` (`/CN=SIM-0001`, or `/O=Acme` for none) and `san`
/// (`DNS:x,IP:y`, or empty for none), CA:FALSE, serverAuth; signed by `issuer` with
/// `openssl x509 -req`, or self-signed by `openssl req -x509` when `issuer` is `None`.
pub fn openssl_leaf(
    dir: &Path,
    name: &str,
    subject: &str,
    san: &str,
    issuer: Option<&OpensslCert>,
) -> OpensslCert {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    let mut ext = vec![
        "basicConstraints=critical,CA:FALSE".to_owned(),
        "keyUsage=critical,digitalSignature".to_owned(),
        "extendedKeyUsage=serverAuth".to_owned(),
    ];
    if !san.is_empty() {
        ext.push(format!("subjectAltName={san}"));
    }
    match issuer {
        None => {
            let mut args = vec![
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                s(&key),
                "-out",
                s(&cert),
                "-days",
                "30",
                "-subj",
                subject,
            ];
            for e in &ext {
                args.push("-addext");
                args.push(e);
            }
            openssl(&args);
        }
        Some(ca) => {
            let csr = dir.join(format!("{name}.csr"));
            let extfile = dir.join(format!("{name}.ext"));
            std::fs::write(&extfile, ext.join("\n") + "\n").expect("write the extensions");
            openssl(&[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                s(&key),
                "-out",
                s(&csr),
                "-subj",
                subject,
            ]);
            openssl(&[
                "x509",
                "-req",
                "-in",
                s(&csr),
                "-CA",
                s(&ca.cert),
                "-CAkey",
                s(&ca.key),
                "-CAcreateserial",
                "-out",
                s(&cert),
                "-days",
                "30",
                "-extfile",
                s(&extfile),
            ]);
        }
    }
    OpensslCert { cert, key }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}
