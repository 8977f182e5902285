//! Issue 10's verdicts, with certificates made by OpenSSL (`openssl req -x509`, `openssl x509 -req`,
//! `openssl ca`), through `accessory trust verify|add|show|list|lint` as the real binary and, where a
//! key type matters, through real handshakes against `openssl s_server`.
//!
//! Each test asserts the exact code. A missing `openssl` is reported as a skip, never a pass.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use accessory_tests::provision::accessory_bin;
use trust::{AccessoryVerifier, Anchors, Diagnosis, Identity, TrustPolicy};

/// A visible skip without openssl, a failure under CI (tests/src/skip.rs).
fn have_openssl() -> bool {
    accessory_tests::skip::require_tool("openssl")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Runs openssl in `dir` and insists that it succeeds.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A private key: `rsa:BITS` or an OpenSSL curve name (`P-256`, `P-521`, `secp256k1`,
/// `brainpoolP256r1`).
fn key(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let out = dir.join(format!("{name}.key"));
    match kind.strip_prefix("rsa:") {
        Some(bits) => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                s(&out),
            ],
        ),
        None => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{kind}"),
                "-out",
                s(&out),
            ],
        ),
    };
    out
}

/// `openssl req -x509 -key KEY -subj /CN=NAME [-addext …]`: a self-signed certificate with
/// OpenSSL's defaults (CA:TRUE, no keyUsage) plus `addext`.
fn self_signed(dir: &Path, name: &str, kind: &str, addext: &[&str]) -> (PathBuf, PathBuf) {
    let k = key(dir, name, kind);
    let cert = dir.join(format!("{name}.pem"));
    let subj = format!("/CN={name}");
    let mut args = vec![
        "req",
        "-x509",
        "-new",
        "-key",
        s(&k),
        "-subj",
        &subj,
        "-days",
        "30",
        "-out",
    ];
    args.push(s(&cert));
    for e in addext {
        args.extend(["-addext", e]);
    }
    openssl(dir, &args);
    (cert, k)
}

/// `openssl x509 -req`: a certificate for NAME signed by (`ca`, `ca_key`), with `ext` lines.
fn issue(
    dir: &Path,
    name: &str,
    kind: &str,
    (ca, ca_key): (&Path, &Path),
    ext: &str,
) -> (PathBuf, PathBuf) {
    let k = key(dir, name, kind);
    let csr = dir.join(format!("{name}.csr"));
    let cert = dir.join(format!("{name}.pem"));
    let extfile = dir.join(format!("{name}.ext"));
    std::fs::write(&extfile, ext).unwrap();
    let subj = format!("/CN={name}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            s(&k),
            "-subj",
            &subj,
            "-out",
            s(&csr),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            s(&csr),
            "-CA",
            s(ca),
            "-CAkey",
            s(ca_key),
            "-set_serial",
            "4242",
            "-days",
            "20",
            "-sha256",
            "-extfile",
            s(&extfile),
            "-out",
            s(&cert),
        ],
    );
    (cert, k)
}

fn leaf_ext(id: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:{id}.accessory.local\n"
    )
}

fn accessory(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .output()
        .expect("running the accessory binary")
}

/// `accessory trust verify --json --anchors ANCHORS --device-id ID CHAIN…`: (status, JSON).
fn verify(anchors: &Path, id: &str, chain: &[&Path]) -> (i32, serde_json::Value) {
    let mut args = vec!["trust", "verify", "--json", "--anchors", s(anchors)];
    args.extend(["--device-id", id]);
    args.extend(chain.iter().map(|p| s(p)));
    let out = accessory(&args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

#[track_caller]
fn assert_refused(verdict: (i32, serde_json::Value), code: &str) -> String {
    let (status, json) = verdict;
    assert_eq!(status, 1, "{json}");
    assert_eq!(json["verdict"], "refuse", "{json}");
    assert_eq!(json["diagnosis"]["code"], code, "{json}");
    json["diagnosis"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[track_caller]
fn assert_accepted(verdict: (i32, serde_json::Value)) {
    let (status, json) = verdict;
    assert_eq!(status, 0, "{json}");
    assert_eq!(json["verdict"], "accept", "{json}");
}

/// Concatenates PEM files (a root and an intermediate as one anchors file, a chain).
fn cat(dir: &Path, name: &str, parts: &[&Path]) -> PathBuf {
    let out = dir.join(name);
    let mut f = std::fs::File::create(&out).unwrap();
    for p in parts {
        f.write_all(&std::fs::read(p).unwrap()).unwrap();
    }
    out
}

#[test]
fn an_accessory_certificate_trusted_as_an_anchor_cannot_issue_a_certificate_for_another_device() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The README's accessory certificate: `openssl req -x509` makes it CA:TRUE by default.
    let dev1 = self_signed(
        d,
        "dev-0001",
        "rsa:2048",
        &["subjectAltName=DNS:dev-0001.accessory.local"],
    );
    assert!(openssl(d, &["x509", "-in", s(&dev1.0), "-noout", "-text"]).contains("CA:TRUE"));
    // Whoever extracted dev-0001's key signs a certificate for dev-0002.
    let dev2 = issue(
        d,
        "dev-0002",
        "rsa:2048",
        (&dev1.0, &dev1.1),
        &leaf_ext("dev-0002"),
    );
    let why = assert_refused(
        verify(&dev1.0, "dev-0002", &[&dev2.0]),
        "cert.anchor_not_issuer",
    );
    assert!(why.contains("the trust anchor \"CN=dev-0001\""), "{why}");
    assert!(why.contains("DNS:dev-0001.accessory.local"), "{why}");

    // dev-0001 itself, trusted directly, is still accepted.
    assert_accepted(verify(&dev1.0, "dev-0001", &[&dev1.0]));

    // A manufacturer root (no subjectAltName) still issues.
    let root = self_signed(d, "Maker-Root", "rsa:2048", &[]);
    let dev3 = issue(
        d,
        "dev-0003",
        "P-256",
        (&root.0, &root.1),
        &leaf_ext("dev-0003"),
    );
    assert_accepted(verify(&root.0, "dev-0003", &[&dev3.0]));

    // With both anchors, the chain signed by dev-0001 is still refused (no other anchor issued it).
    let both = cat(d, "both.pem", &[&root.0, &dev1.0]);
    assert_refused(
        verify(&both, "dev-0002", &[&dev2.0]),
        "cert.anchor_not_issuer",
    );

    // A serverAuth EKU alone (no subjectAltName) also makes an accessory's own certificate.
    let dev4 = self_signed(d, "dev-0004", "P-256", &["extendedKeyUsage=serverAuth"]);
    let dev5 = issue(
        d,
        "dev-0005",
        "P-256",
        (&dev4.0, &dev4.1),
        &leaf_ext("dev-0005"),
    );
    assert_refused(
        verify(&dev4.0, "dev-0005", &[&dev5.0]),
        "cert.anchor_not_issuer",
    );
}

#[test]
fn trust_add_show_list_and_lint_say_which_role_each_anchor_plays() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store");
    let dev1 = self_signed(
        d,
        "dev-0001",
        "P-256",
        &["subjectAltName=DNS:dev-0001.accessory.local"],
    );
    let root = self_signed(d, "Maker-Root", "P-256", &[]);

    let add = |file: &Path| {
        let out = accessory(&["trust", "add", "--json", "--store", s(&store), s(file)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let added = add(&dev1.0);
    assert_eq!(added[0]["outcome"], "added");
    assert_eq!(added[0]["anchor"]["role"], "endpoint", "{added}");
    assert!(added[0]["anchor"]["role_reason"]
        .as_str()
        .unwrap()
        .contains("DNS:dev-0001.accessory.local"));
    let added = add(&root.0);
    assert_eq!(added[0]["anchor"]["role"], "issuer", "{added}");

    let out = accessory(&["trust", "add", "--store", s(&store), s(&root.0)]);
    assert_eq!(out.status.code(), Some(0));

    let out = accessory(&["trust", "list", "--json", "--store", s(&store)]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let role_of = |label: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["label"] == label)
            .map(|a| a["role"].clone())
            .unwrap()
    };
    assert_eq!(role_of("dev-0001"), "endpoint");
    assert_eq!(role_of("Maker-Root"), "issuer");
    let out = accessory(&["trust", "list", "--store", s(&store)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("dev-0001") && l.contains("endpoint")),
        "{text}"
    );

    let out = accessory(&["trust", "show", "--json", "--store", s(&store), "dev-0001"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["role"], "endpoint", "{shown}");
    assert!(shown["pem"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    let out = accessory(&["trust", "show", "--store", s(&store), "Maker-Root"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("role         issuer: may issue certificates for any accessory"),
        "{text}"
    );

    let out = accessory(&["trust", "lint", "--json", s(&dev1.0)]);
    let lint: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lint["certificates"][0]["anchor_role"], "endpoint", "{lint}");
    let out = accessory(&["trust", "lint", s(&root.0)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("as a trust anchor: issuer"), "{text}");
}

#[test]
fn an_intermediate_whose_key_usage_lacks_key_cert_sign_is_refused_naming_it() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(
        d,
        "Maker-Root",
        "P-256",
        &["keyUsage=critical,keyCertSign,cRLSign"],
    );
    let ica = issue(
        d,
        "Maker-ICA",
        "P-256",
        (&root.0, &root.1),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n",
    );
    let leaf = issue(
        d,
        "dev-0001",
        "P-256",
        (&ica.0, &ica.1),
        &leaf_ext("dev-0001"),
    );
    let why = assert_refused(
        verify(&root.0, "dev-0001", &[&leaf.0, &ica.0]),
        "cert.invalid_purpose",
    );
    assert!(why.contains("the intermediate \"CN=Maker-ICA\""), "{why}");
    assert!(why.contains("keyCertSign"), "{why}");
    // OpenSSL agrees.
    let out = Command::new("openssl")
        .args(["verify", "-x509_strict", "-CAfile", s(&root.0)])
        .args(["-untrusted", s(&ica.0), s(&leaf.0)])
        .output()
        .unwrap();
    assert!(!out.status.success());

    // The same intermediate with keyCertSign is accepted: the refusal is about that bit.
    let good = issue(
        d,
        "Maker-ICA-2",
        "P-256",
        (&root.0, &root.1),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n",
    );
    let leaf = issue(
        d,
        "dev-0002",
        "P-256",
        (&good.0, &good.1),
        &leaf_ext("dev-0002"),
    );
    assert_accepted(verify(&root.0, "dev-0002", &[&leaf.0, &good.0]));
}

#[test]
fn a_root_whose_eku_is_client_auth_only_is_refused_for_a_server() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(d, "Client-Root", "P-256", &["extendedKeyUsage=clientAuth"]);
    let leaf = issue(
        d,
        "dev-0001",
        "P-256",
        (&root.0, &root.1),
        &leaf_ext("dev-0001"),
    );
    let why = assert_refused(
        verify(&root.0, "dev-0001", &[&leaf.0]),
        "cert.invalid_purpose",
    );
    assert!(why.contains("the trust anchor \"CN=Client-Root\""), "{why}");
    assert!(why.contains("serverAuth"), "{why}");

    // A root whose EKU allows serverAuth (and asserts keyCertSign: a CA made on purpose) issues.
    let root = self_signed(
        d,
        "Server-Root",
        "P-256",
        &[
            "extendedKeyUsage=serverAuth,clientAuth",
            "keyUsage=critical,keyCertSign",
        ],
    );
    let leaf = issue(
        d,
        "dev-0002",
        "P-256",
        (&root.0, &root.1),
        &leaf_ext("dev-0002"),
    );
    assert_accepted(verify(&root.0, "dev-0002", &[&leaf.0]));
}

#[test]
fn an_rsa_1024_root_is_a_weak_key_naming_the_root_not_a_bad_signature() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(d, "Weak-Root", "rsa:1024", &[]);
    let leaf = issue(
        d,
        "dev-0001",
        "rsa:2048",
        (&root.0, &root.1),
        &leaf_ext("dev-0001"),
    );
    let why = assert_refused(verify(&root.0, "dev-0001", &[&leaf.0]), "cert.weak_key");
    assert!(why.contains("the trust anchor \"CN=Weak-Root\""), "{why}");
    assert!(why.contains("1024 bits"), "{why}");

    // And an RSA-1024 intermediate under a good root, named as the intermediate.
    let good = self_signed(d, "Good-Root", "rsa:2048", &[]);
    let ica = issue(
        d,
        "Weak-ICA",
        "rsa:1024",
        (&good.0, &good.1),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n",
    );
    let leaf = issue(
        d,
        "dev-0002",
        "rsa:2048",
        (&ica.0, &ica.1),
        &leaf_ext("dev-0002"),
    );
    let why = assert_refused(
        verify(&good.0, "dev-0002", &[&leaf.0, &ica.0]),
        "cert.weak_key",
    );
    assert!(why.contains("the intermediate \"CN=Weak-ICA\""), "{why}");
}

/// `openssl s_server -www` serving `chain` with `key` on a free loopback port; killed on drop.
struct SServer {
    child: Child,
    addr: SocketAddr,
}

impl SServer {
    fn start(chain: &Path, key: &Path) -> SServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(addr.to_string())
            .args(["-cert", s(chain), "-key", s(key)])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let server = SServer { child, addr };
        // Startup, not a timed assertion: the test fails only if it never listens.
        for _ in 0..100 {
            if TcpStream::connect(addr).is_ok() {
                return server;
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

/// The live verdict: a handshake with the accessory verifier (anchors `root`, device `id`)
/// against `server`, sending a request only once trusted. `Ok` is the server's reply.
async fn live(root: &Path, id: &str, server: &SServer) -> Result<String, Diagnosis> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let policy = TrustPolicy::builder()
        .anchors(Anchors::from_pem_file(root).unwrap())
        .identity(Identity::DeviceId(id.into()))
        .build()
        .unwrap();
    let config = trust::client_config(AccessoryVerifier::new(policy));
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from(format!("{id}.accessory.local")).unwrap();
    let run = async {
        let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await?;
        tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
        let mut reply = String::new();
        tls.read_to_string(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    run.await.map_err(|e| Diagnosis::from_io(&e))
}

#[tokio::test]
async fn a_p521_leaf_is_accepted_offline_and_completes_a_live_handshake() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(d, "Maker-Root", "P-521", &[]);
    let leaf = issue(
        d,
        "dev-0521",
        "P-521",
        (&root.0, &root.1),
        &leaf_ext("dev-0521"),
    );
    assert_accepted(verify(&root.0, "dev-0521", &[&leaf.0]));

    let server = SServer::start(&leaf.0, &leaf.1);
    let reply = live(&root.0, "dev-0521", &server)
        .await
        .unwrap_or_else(|d| panic!("live handshake with a P-521 key refused: {d:#}"));
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
}

#[tokio::test]
async fn secp256k1_and_brainpool_leaves_are_refused_offline_as_live_with_an_unsupported_key() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(d, "Maker-Root", "P-256", &[]);
    for (i, curve) in ["secp256k1", "brainpoolP256r1"].into_iter().enumerate() {
        let id = format!("dev-000{i}");
        let leaf = issue(d, &id, curve, (&root.0, &root.1), &leaf_ext(&id));
        let why = assert_refused(verify(&root.0, &id, &[&leaf.0]), "cert.unsupported_key");
        assert!(why.contains(curve), "{curve}: {why}");

        // Live: the same certificate served by OpenSSL is refused too, and nothing is sent.
        let server = SServer::start(&leaf.0, &leaf.1);
        let refused = live(&root.0, &id, &server).await;
        let diagnosis = refused.expect_err(curve);
        println!("{curve} live: {diagnosis:#}");
        assert!(
            diagnosis.code == "cert.unsupported_key" || diagnosis.code.starts_with("tls."),
            "{curve}: {diagnosis:#}"
        );
    }
}

#[test]
fn a_pem_file_with_text_before_the_boundary_is_read_by_trust_and_certs_mint() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A CA run by `openssl ca`, which writes a text dump before `-----BEGIN CERTIFICATE-----`.
    let root = self_signed(
        d,
        "Maker-Root",
        "P-256",
        &["keyUsage=critical,keyCertSign,cRLSign"],
    );
    std::fs::create_dir(d.join("newcerts")).unwrap();
    std::fs::write(d.join("index.txt"), b"").unwrap();
    std::fs::write(d.join("serial"), b"1000\n").unwrap();
    let conf = format!(
        "[ca]\ndefault_ca=CA_default\n[CA_default]\ndir={dir}\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/newcerts\nserial=$dir/serial\ncertificate={ca}\nprivate_key={key}\ndefault_md=sha256\ndefault_days=20\npolicy=policy_any\nunique_subject=no\ncopy_extensions=none\nx509_extensions=leaf\n[policy_any]\ncommonName=supplied\n[leaf]\n{ext}",
        dir = s(d),
        ca = s(&root.0),
        key = s(&root.1),
        ext = leaf_ext("dev-0001"),
    );
    std::fs::write(d.join("ca.cnf"), conf).unwrap();
    let k = key(d, "dev-0001", "P-256");
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            s(&k),
            "-subj",
            "/CN=dev-0001",
            "-out",
            "dev-0001.csr",
        ],
    );
    openssl(
        d,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-in",
            "dev-0001.csr",
            "-out",
            "dev-0001.pem",
        ],
    );
    let leaf = d.join("dev-0001.pem");
    let text = std::fs::read_to_string(&leaf).unwrap();
    assert!(
        !text.starts_with("-----BEGIN") && text.contains("\n-----BEGIN CERTIFICATE-----"),
        "openssl ca wrote text before the PEM: {text}"
    );
    // The root, as `openssl x509 -text` prints it: text before the boundary too.
    let root_text = d.join("root-text.pem");
    std::fs::write(
        &root_text,
        openssl(d, &["x509", "-in", s(&root.0), "-text"]),
    )
    .unwrap();
    assert!(!std::fs::read_to_string(&root_text)
        .unwrap()
        .starts_with("-----BEGIN"));

    assert_accepted(verify(&root_text, "dev-0001", &[&leaf]));
    let out = accessory(&["trust", "inspect", "--json", s(&leaf)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = d.join("store");
    let out = accessory(&["trust", "add", "--store", s(&store), s(&root_text)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `certs mint` reads its CA's certificates by the same rule: an intermediate rewritten as
    // `openssl x509 -text` prints it still mints, and the minted chain verifies.
    let ca = d.join("ca");
    let out = accessory(&["certs", "ca", "init", "--ca", s(&ca)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["root.pem", "intermediate.pem"] {
        let file = ca.join(name);
        let dumped = openssl(d, &["x509", "-in", s(&file), "-text"]);
        assert!(!dumped.starts_with("-----BEGIN"));
        std::fs::write(&file, dumped).unwrap();
    }
    let unit = d.join("unit");
    let out = accessory(&[
        "certs",
        "mint",
        "--ca",
        s(&ca),
        "--device-id",
        "PLUG-0001",
        "--out",
        s(&unit),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_accepted(verify(
        &ca.join("root.pem"),
        "PLUG-0001",
        &[&unit.join("chain.pem")],
    ));
}

#[test]
fn provision_reads_anchors_that_openssl_printed_with_text_before_the_pem() {
    if !have_openssl() {
        return;
    }
    let served = accessory_tests::sim::Served::start(accessory_tests::provision::good("SIM-0001"));
    // The simulator's manufacturer root, as `openssl x509 -text` prints it (a dump, then the PEM).
    let dumped = openssl(served.dir(), &["x509", "-in", s(&served.anchors), "-text"]);
    assert!(!dumped.starts_with("-----BEGIN"));
    let anchors = served.dir().join("anchors-text.pem");
    std::fs::write(&anchors, dumped).unwrap();
    let pass = served.dir().join("pass.txt");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let out = Command::new(accessory_bin())
        .args(["provision", "--accessory", &served.addr().to_string()])
        .args(["--device-id", "SIM-0001", "--network-ssid", "Home"])
        .args(["--anchors", s(&anchors)])
        .args(["--network-passphrase-file", s(&pass)])
        .args(["--ledger", s(&served.dir().join("ledger.sqlite3"))])
        .args(["--deadline", "20", "--json"])
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .env_remove("ACCESSORY_LEDGER")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["device"]["device_id"], "SIM-0001");
}

#[tokio::test]
async fn a_live_accessory_presenting_a_certificate_signed_by_another_accessory_is_refused_in_the_handshake(
) {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dev1 = self_signed(
        d,
        "dev-0001",
        "P-256",
        &["subjectAltName=DNS:dev-0001.accessory.local"],
    );
    let dev2 = issue(
        d,
        "dev-0002",
        "P-256",
        (&dev1.0, &dev1.1),
        &leaf_ext("dev-0002"),
    );
    // The impostor serves dev-0002's certificate (and dev-0001's, as its "intermediate").
    let chain = cat(d, "impostor-chain.pem", &[&dev2.0, &dev1.0]);
    let server = SServer::start(&chain, &dev2.1);
    let diagnosis = live(&dev1.0, "dev-0002", &server)
        .await
        .expect_err("an accessory vouched for by another accessory is refused");
    assert_eq!(diagnosis.code, "cert.anchor_not_issuer", "{diagnosis:#}");

    // dev-0001 itself, serving its own certificate, is accepted live.
    let server = SServer::start(&dev1.0, &dev1.1);
    let reply = live(&dev1.0, "dev-0001", &server)
        .await
        .unwrap_or_else(|d| panic!("dev-0001 trusted directly was refused: {d:#}"));
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
}
