//! Labels end to end, as the real binary: `certs mint` writes the label, zbarimg (a decoder we did
//! not write) reads its QR code back, `accessory sim --minted` serves the minted key, and
//! `provision --label label.png` provisions it; a label of another key, a corrupted label, a
//! payload on the command line and a contradicting flag are each refused before anything is sent.

use std::io::{BufRead, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use accessory_tests::provision::accessory_bin;
use accessory_tests::skip::require_tool;
use serde_json::Value;

/// A manufacturer CA and one minted unit, PLUG-0042.
struct Line {
    dir: tempfile::TempDir,
}

impl Line {
    fn new() -> Line {
        let dir = tempfile::tempdir().unwrap();
        let line = Line { dir };
        let ca = line.path("ca");
        ok(&run(&["certs", "ca", "init", "--out", &ca], None));
        line.mint("unit");
        line
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Mints PLUG-0042 (a fresh key each time) into `name`.
    fn mint(&self, name: &str) -> PathBuf {
        let out = self.path(name);
        let ca = self.path("ca");
        ok(&run(
            &[
                "certs",
                "mint",
                "--ca",
                &ca,
                "--device-id",
                "PLUG-0042",
                "--out",
                &out,
            ],
            None,
        ));
        PathBuf::from(out)
    }

    fn unit(&self, file: &str) -> String {
        self.path(&format!("unit/{file}"))
    }
}

/// `accessory sim --minted DIR` with the minted unit's PoP code (from the environment, not argv):
/// the process, its address and its directory of files.
struct Sim {
    child: Child,
    addr: String,
    passphrase: String,
    /// Its `-v` log: one `request` line per HTTP request, with `carried_credential`.
    log: PathBuf,
}

impl Sim {
    fn start(line: &Line) -> Sim {
        let pop = std::fs::read_to_string(line.unit("pop.txt")).unwrap();
        let out = line.path("sim");
        let log = PathBuf::from(line.path("sim.log"));
        let mut child = Command::new(accessory_bin())
            .args([
                "sim",
                "-v",
                "--minted",
                &line.path("unit"),
                "--device-id",
                "PLUG-0042",
            ])
            .args(["--listen", "127.0.0.1:0", "--out", &out, "--json"])
            .env("ACCESSORY_SIM_POP_CODE", pop.trim())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("running accessory sim");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let v: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first:?}"));
        assert_eq!(v["profile"], "minted", "{v}");
        Sim {
            child,
            addr: v["addr"].as_str().unwrap().to_owned(),
            passphrase: format!("{out}/Home.passphrase"),
            log,
        }
    }

    /// The requests the accessory logged so far.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter(|l| l.contains(" request"))
            .map(str::to_owned)
            .collect()
    }

    /// `accessory provision --accessory ADDR --network-ssid Home ... <extra>`, `--json`.
    fn provision(&self, line: &Line, extra: &[&str], stdin: Option<&[u8]>) -> Output {
        let ledger = line.path("ledger.sqlite3");
        let mut args = vec![
            "provision",
            "--accessory",
            &self.addr,
            "--network-ssid",
            "Home",
            "--network-passphrase-file",
            &self.passphrase,
            "--ledger",
            &ledger,
            "--json",
        ];
        args.extend_from_slice(extra);
        run(&args, stdin)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running accessory");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

#[track_caller]
fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The failure's exit status and its JSON (`--json` prints the failure on stdout).
#[track_caller]
fn failure(out: &Output) -> (i32, Value) {
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_minted_label_png_provisions_the_accessory_that_serves_the_minted_key() {
    let line = Line::new();
    let sim = Sim::start(&line);
    let out = sim.provision(&line, &["--label", &line.unit("label.png")], None);
    ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["device"]["device_id"], "PLUG-0042", "{v}");
    let label = std::fs::read_to_string(line.unit("label.txt")).unwrap();
    let pin = v["pin"].as_str().unwrap();
    assert!(label.contains(&format!("key={pin};")), "{v}\n{label}");
}

#[test]
fn a_label_on_standard_input_provisions_as_the_file_does() {
    let line = Line::new();
    let sim = Sim::start(&line);
    let text = std::fs::read(line.unit("label.txt")).unwrap();
    ok(&sim.provision(&line, &["--label", "-"], Some(&text)));
}

#[test]
fn the_minted_qr_code_reads_back_with_zbarimg_as_label_txt() {
    if !require_tool("zbarimg") {
        return;
    }
    let line = Line::new();
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", &line.unit("label.png")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(line.unit("label.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), text.trim());
}

#[test]
fn a_label_whose_key_is_not_the_accessorys_is_refused_before_anything_is_sent() {
    let line = Line::new();
    let sim = Sim::start(&line);
    // The same device id and CA, another key: a label swapped between two units.
    let other = line.mint("other");
    let label = other.join("label.png").display().to_string();
    let (status, v) = failure(&sim.provision(&line, &["--label", &label], None));
    assert_eq!(status, 4, "{v}");
    assert_eq!(v["credentials_sent"], false, "{v}");
    // The accessory's own log: not one HTTP request (the handshake was abandoned).
    assert_eq!(sim.requests(), Vec::<String>::new());
    // The log does show credentials when they come: the right label's run.
    ok(&sim.provision(&line, &["--label", &line.unit("label.png")], None));
    let requests = sim.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("carried_credential=true")),
        "{requests:?}"
    );
}

#[test]
fn a_corrupted_label_file_exits_3_with_label_checksum() {
    let line = Line::new();
    let text = std::fs::read_to_string(line.unit("label.txt")).unwrap();
    let bad = line.path("bad.txt");
    std::fs::write(
        &bad,
        text.replacen("ssid=Accessory-0042", "ssid=Accessory-0043", 1),
    )
    .unwrap();
    // No accessory listens here: the label is refused before any connection.
    let out = run(
        &[
            "provision",
            "--accessory",
            "127.0.0.1:9",
            "--label",
            &bad,
            "--network-ssid",
            "Home",
            "--json",
        ],
        None,
    );
    let (status, v) = failure(&out);
    assert_eq!(
        (status, v["code"].as_str()),
        (3, Some("label.checksum")),
        "{v}"
    );
}

#[test]
fn a_label_payload_on_the_command_line_is_refused_and_never_echoed() {
    let line = Line::new();
    let text = std::fs::read_to_string(line.unit("label.txt")).unwrap();
    let pop = std::fs::read_to_string(line.unit("pop.txt")).unwrap();
    let out = run(
        &[
            "provision",
            "--accessory",
            "127.0.0.1:9",
            "--label",
            text.trim(),
            "--network-ssid",
            "Home",
            "--json",
        ],
        None,
    );
    let (status, v) = failure(&out);
    assert_eq!(
        (status, v["code"].as_str()),
        (2, Some("label.on_command_line")),
        "{v}"
    );
    assert!(
        !all_output(&out).contains(pop.trim()),
        "{}",
        all_output(&out)
    );
}

#[test]
fn a_flag_that_contradicts_the_label_is_refused_naming_the_flag() {
    let line = Line::new();
    let label = line.unit("label.txt");
    let other_pop = line.path("other-pop.txt");
    std::fs::write(&other_pop, "ZZZZZZZZZZZZZZZZ\n").unwrap();
    let other_key = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let cases: [(&[&str], &str); 4] = [
        (&["--device-id", "PLUG-0043"], "--device-id"),
        (&["--expect-fingerprint", other_key], "--expect-fingerprint"),
        (&["--pop-file", &other_pop], "--pop-file"),
        // The SoftAP to join (no joining happens: the label is read first).
        (&["--wifi", "sim", "--ssid", "Accessory-9999"], "--ssid"),
    ];
    for (flags, names) in cases {
        let mut args = vec![
            "provision",
            "--label",
            &label,
            "--network-ssid",
            "Home",
            "--json",
        ];
        if !flags.contains(&"--wifi") {
            args.extend(["--accessory", "127.0.0.1:9"]);
        }
        args.extend_from_slice(flags);
        let out = run(&args, None);
        let (status, v) = failure(&out);
        assert_eq!(
            (status, v["code"].as_str()),
            (2, Some("label.conflict")),
            "{flags:?}: {v}"
        );
        assert!(v["error"].as_str().unwrap().contains(names), "{v}");
        assert!(
            !all_output(&out).contains("ZZZZZZZZZZZZZZZZ"),
            "{}",
            all_output(&out)
        );
    }
}

#[test]
fn an_image_without_a_qr_code_exits_3_with_label_no_qr_code() {
    let line = Line::new();
    // A PNG of the label's size, all white.
    let png = std::fs::read(line.unit("label.png")).unwrap();
    let img = image_blank_like(&png);
    let path = line.path("blank.png");
    std::fs::write(&path, img).unwrap();
    let out = run(
        &[
            "provision",
            "--accessory",
            "127.0.0.1:9",
            "--label",
            &path,
            "--network-ssid",
            "Home",
            "--json",
        ],
        None,
    );
    let (status, v) = failure(&out);
    assert_eq!(
        (status, v["code"].as_str()),
        (3, Some("label.no_qr_code")),
        "{v}"
    );
}

/// A white square PNG as wide as `png` (its IHDR width), written by python3's zlib and struct.
fn image_blank_like(png: &[u8]) -> Vec<u8> {
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let script = format!(
        "import sys,zlib,struct\n\
         w={width}\n\
         raw=b''.join(b'\\x00'+b'\\xff'*w for _ in range(w))\n\
         def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d))\n\
         sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,w,8,0,0,0,0))+chunk(b'IDAT',zlib.compress(raw))+chunk(b'IEND',b''))\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    out.stdout
}
