//! Issue 10's refused chains, live: `accessory provision --anchors` against a hostile accessory that
//! is not our simulator (`tests/scripts/hostile_server.py`, Python's ssl) serving chains made by the
//! `openssl` command line, recording every byte it decrypts. Each refusal must come before a single
//! application byte, so no passphrase and no proof of possession can have left; a good chain
//! made the same way is provisioned, which shows the recording would have caught a leak.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use accessory_tests::hostile::HostileServer;
use accessory_tests::provision::accessory_bin;
use accessory_tests::skip::require_tool;

const PASSPHRASE: &str = "trust-hostile-sentinel-42";

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key: `ec:P-256`, `ec:P-521` or `rsa:BITS`.
fn key(dir: &Path, name: &str, kind: &str) -> String {
    let file = format!("{name}.key");
    match kind.split_once(':') {
        Some(("ec", curve)) => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
                "-out",
                &file,
            ],
        ),
        Some(("rsa", bits)) => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                &file,
            ],
        ),
        _ => panic!("unknown key kind {kind}"),
    }
    file
}

/// A self-signed certificate `name.pem` with `subject` and the extension lines `ext` (none: the
/// defaults of `openssl req -x509`, CA:TRUE without keyUsage).
fn self_signed(dir: &Path, name: &str, kind: &str, subject: &str, ext: &[&str]) -> String {
    let k = key(dir, name, kind);
    let cert = format!("{name}.pem");
    let mut args = vec![
        "req", "-x509", "-new", "-key", &k, "-out", &cert, "-days", "30", "-subj", subject,
    ];
    for e in ext {
        args.extend(["-addext", e]);
    }
    openssl(dir, &args);
    cert
}

/// `name.pem`, issued by `issuer` (its `.pem` and `.key`), with the extension lines `ext`.
fn issued(dir: &Path, name: &str, kind: &str, subject: &str, issuer: &str, ext: &[&str]) -> String {
    let k = key(dir, name, kind);
    let (csr, cert, extfile) = (
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("{name}.ext"),
    );
    openssl(
        dir,
        &["req", "-new", "-key", &k, "-out", &csr, "-subj", subject],
    );
    std::fs::write(dir.join(&extfile), format!("[e]\n{}\n", ext.join("\n"))).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            &extfile,
            "-extensions",
            "e",
            "-out",
            &cert,
        ],
    );
    cert
}

const CA: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
];

/// An accessory leaf's extensions for `id`.
fn leaf_ext(id: &str) -> Vec<String> {
    vec![
        "basicConstraints=critical,CA:FALSE".into(),
        "keyUsage=critical,digitalSignature".into(),
        "extendedKeyUsage=serverAuth".into(),
        format!("subjectAltName=DNS:{id}.accessory.local"),
    ]
}

/// The chain file a server sends: `certs` concatenated, leaf first.
fn chain(dir: &Path, certs: &[&str]) -> PathBuf {
    let path = dir.join("chain.pem");
    let text: String = certs
        .iter()
        .map(|c| std::fs::read_to_string(dir.join(c)).unwrap())
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

struct Ran {
    code: i32,
    json: serde_json::Value,
    text: String,
}

/// Serves `chain` with `leaf_key`, claiming `id`, and runs `accessory provision --anchors anchor
/// --device-id id` against it.
fn provision_against(
    dir: &Path,
    chain: &Path,
    leaf_key: &str,
    anchor: &str,
    id: &str,
) -> (Ran, HostileServer) {
    std::fs::write(dir.join("pass"), format!("{PASSPHRASE}\n")).unwrap();
    std::fs::write(dir.join("pop"), "LABEL-CODE\n").unwrap();
    let server = HostileServer::start(chain, &dir.join(leaf_key), id, dir);
    let out = Command::new(accessory_bin())
        .args([
            "provision",
            "--json",
            "--accessory",
            &server.addr().to_string(),
        ])
        .args([
            "--network-ssid",
            "Home",
            "--deadline",
            "20",
            "--device-id",
            id,
        ])
        .arg("--anchors")
        .arg(dir.join(anchor))
        .arg("--network-passphrase-file")
        .arg(dir.join("pass"))
        .arg("--pop-file")
        .arg(dir.join("pop"))
        .arg("--ledger")
        .arg(dir.join("ledger.sqlite3"))
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .env_remove("ACCESSORY_LEDGER")
        .stdin(Stdio::null())
        .output()
        .expect("the accessory binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let ran = Ran {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
        text: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    };
    (ran, server)
}

#[track_caller]
fn assert_refused_before_any_byte(ran: &Ran, server: &HostileServer, code: &str) {
    assert_eq!(ran.code, 4, "exit status: {}", ran.text);
    assert_eq!(ran.json["code"], code, "{}", ran.text);
    assert_eq!(ran.json["credentials_sent"], false, "{}", ran.text);
    server.assert_no_application_bytes();
    assert!(!server.received_text().contains(PASSPHRASE));
}

fn tools() -> bool {
    require_tool("openssl") && require_tool("python3")
}

#[test]
fn an_accessory_certificate_trusted_as_an_anchor_cannot_vouch_live_for_another_device() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // DEV-0001's own certificate as `openssl req -x509` makes it (CA:TRUE, no keyUsage), with a SAN.
    self_signed(
        dir,
        "dev-0001",
        "ec:P-256",
        "/CN=DEV-0001",
        &["subjectAltName=DNS:dev-0001.accessory.local"],
    );
    let ext = leaf_ext("dev-0002");
    let ext: Vec<&str> = ext.iter().map(String::as_str).collect();
    let leaf = issued(
        dir,
        "dev-0002",
        "ec:P-256",
        "/CN=DEV-0002",
        "dev-0001",
        &ext,
    );
    let (ran, server) = provision_against(
        dir,
        &chain(dir, &[&leaf]),
        "dev-0002.key",
        "dev-0001.pem",
        "DEV-0002",
    );
    assert_refused_before_any_byte(&ran, &server, "cert.anchor_not_issuer");
}

#[test]
fn an_intermediate_without_key_cert_sign_is_refused_live_before_any_byte() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    self_signed(dir, "root", "ec:P-256", "/CN=Maker-Root", CA);
    let ica = issued(
        dir,
        "ica",
        "ec:P-256",
        "/CN=Maker-ICA",
        "root",
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,digitalSignature",
        ],
    );
    let ext = leaf_ext("dev-0003");
    let ext: Vec<&str> = ext.iter().map(String::as_str).collect();
    let leaf = issued(dir, "leaf", "ec:P-256", "/CN=DEV-0003", "ica", &ext);
    let (ran, server) = provision_against(
        dir,
        &chain(dir, &[&leaf, &ica]),
        "leaf.key",
        "root.pem",
        "DEV-0003",
    );
    assert_refused_before_any_byte(&ran, &server, "cert.invalid_purpose");
}

#[test]
fn a_root_limited_to_client_auth_is_refused_live_before_any_byte() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut root_ext = CA.to_vec();
    root_ext.push("extendedKeyUsage=clientAuth");
    self_signed(dir, "root", "ec:P-256", "/CN=Maker-Root", &root_ext);
    let ext = leaf_ext("dev-0004");
    let ext: Vec<&str> = ext.iter().map(String::as_str).collect();
    let leaf = issued(dir, "leaf", "ec:P-256", "/CN=DEV-0004", "root", &ext);
    let (ran, server) = provision_against(
        dir,
        &chain(dir, &[&leaf]),
        "leaf.key",
        "root.pem",
        "DEV-0004",
    );
    assert_refused_before_any_byte(&ran, &server, "cert.invalid_purpose");
}

#[test]
fn a_root_whose_path_length_forbids_the_intermediate_is_refused_live_before_any_byte() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    self_signed(
        dir,
        "root",
        "ec:P-256",
        "/CN=Maker-Root",
        &[
            "basicConstraints=critical,CA:TRUE,pathlen:0",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    let ica = issued(dir, "ica", "ec:P-256", "/CN=Maker-ICA", "root", CA);
    let ext = leaf_ext("dev-0005");
    let ext: Vec<&str> = ext.iter().map(String::as_str).collect();
    let leaf = issued(dir, "leaf", "ec:P-256", "/CN=DEV-0005", "ica", &ext);
    let (ran, server) = provision_against(
        dir,
        &chain(dir, &[&leaf, &ica]),
        "leaf.key",
        "root.pem",
        "DEV-0005",
    );
    assert_refused_before_any_byte(&ran, &server, "cert.path_len_exceeded");
}

#[test]
fn a_p521_chain_made_by_openssl_is_provisioned_and_the_recording_sees_the_passphrase() {
    if !tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    self_signed(dir, "root", "ec:P-521", "/CN=Maker-Root", CA);
    let ext = leaf_ext("dev-0006");
    let ext: Vec<&str> = ext.iter().map(String::as_str).collect();
    let leaf = issued(dir, "leaf", "ec:P-521", "/CN=DEV-0006", "root", &ext);
    let (ran, server) = provision_against(
        dir,
        &chain(dir, &[&leaf]),
        "leaf.key",
        "root.pem",
        "DEV-0006",
    );
    assert_eq!(ran.code, 0, "{}", ran.text);
    // The control: the same recording that shows nothing above holds the passphrase here.
    assert!(
        server.received_text().contains(PASSPHRASE),
        "the recording works"
    );
}
