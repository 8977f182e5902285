//! `accessory sim` as the real binary: startup information for people and for scripts, the files
//! it writes, bad scenarios and faults as exit status 3, a fleet manifest, and a clean stop on
//! SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use accessory_tests::provision::accessory_bin;
use accessory_tests::sim::curl;
use serde_json::Value;

/// Starts `accessory sim <args>` and returns it with its first line of stdout.
fn start(args: &[&str]) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(accessory_bin())
        .arg("sim")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running accessory sim");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    (child, line, out)
}

/// Sends SIGTERM and returns the exit code.
fn stop(mut child: Child) -> Option<i32> {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    child.wait().unwrap().code()
}

#[test]
fn sim_json_prints_one_line_with_everything_a_script_needs_then_serves() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let (child, line, _rest) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--out",
        &out,
        "--json",
        "--device-id",
        "PLUG-0042",
    ]);
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert_eq!(v["device_id"], "PLUG-0042");
    assert_eq!(v["profile"], "good-chain");
    assert!(v["pin"].as_str().unwrap().starts_with("sha256/"));
    let anchors = v["anchors"].as_str().unwrap().to_owned();
    assert!(std::path::Path::new(&anchors).is_file());
    let provision = v["provision"].as_str().unwrap();
    assert!(
        provision.starts_with("accessory provision --accessory 127.0.0.1:"),
        "{provision}"
    );
    assert!(
        provision.contains("--network-passphrase-file"),
        "{provision}"
    );
    assert!(
        !provision.contains("correct horse battery"),
        "a passphrase on the command line: {provision}"
    );
    let passphrase_file = v["networks"][0]["passphrase_file"].as_str().unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(passphrase_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the passphrase file is readable by others");
    if accessory_tests::skip::require_tool("curl") {
        let addr: std::net::SocketAddr = v["addr"].as_str().unwrap().parse().unwrap();
        let resolve = format!("PLUG-0042.accessory.local:{}:127.0.0.1", addr.port());
        let url = format!(
            "https://PLUG-0042.accessory.local:{}/v1/device",
            addr.port()
        );
        let r = curl(&["--cacert", &anchors, "--resolve", &resolve, &url]);
        assert_eq!(r.code, 0, "{}", r.text);
        r.assert_says("\"device_id\":\"PLUG-0042\"");
    }
    assert_eq!(stop(child), Some(0));
}

#[test]
fn sim_tells_a_person_exactly_how_to_provision_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let (child, first, mut rest) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--out",
        &out,
        "--pop-code",
        "4711",
    ]);
    let mut text = first;
    for _ in 0..20 {
        let mut line = String::new();
        if rest.read_line(&mut line).unwrap() == 0 || line.starts_with("Serving") {
            break;
        }
        text.push_str(&line);
    }
    assert!(text.contains("pin:      sha256/"), "{text}");
    assert!(
        text.contains("accessory provision --accessory 127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("--pop-file"), "{text}");
    assert!(text.contains("--network-passphrase-file"), "{text}");
    assert!(!text.contains("correct horse battery"), "{text}");
    assert_eq!(stop(child), Some(0));
}

#[test]
fn unknown_fault_and_bad_scenario_exit_3_naming_the_problem() {
    let out = Command::new(accessory_bin())
        .args(["sim", "--fault", "expird"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown fault `expird`") && err.contains("[sim.unknown_fault]"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("qa.toml");
    std::fs::write(&file, "id = \"SIM-1\"\nprofle = \"expired\"\n").unwrap();
    let out = Command::new(accessory_bin())
        .arg("sim")
        .arg("--scenario")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("qa.toml") && err.contains("profle") && err.contains("[sim.bad_scenario]"),
        "{err}"
    );

    let out = Command::new(accessory_bin())
        .args(["sim", "--fault", "clienthello-limit=big"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = Command::new(accessory_bin())
        .args(["sim", "--profile", "nonesuch"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_busy_port_is_local_state_exit_8() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = Command::new(accessory_bin())
        .args(["sim", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[sim.bind]"));
}

#[test]
fn scenario_file_with_faults_and_networks_is_served_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plug.toml");
    std::fs::write(
        &file,
        r#"
id = "PLUG-7"
model = "Plug Mini"
faults = ["slow-status=0.1"]

[timings]
connect_delay_ms = 100

[[networks]]
ssid = "Lab"
passphrase = "lab passphrase"
security = "wpa3-sae"
"#,
    )
    .unwrap();
    let out = dir.path().display().to_string();
    let scenario = file.display().to_string();
    let (child, line, _rest) = start(&[
        "--scenario",
        &scenario,
        "--listen",
        "127.0.0.1:0",
        "--out",
        &out,
        "--json",
    ]);
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["device_id"], "PLUG-7");
    assert_eq!(v["faults"][0], "slow-status=100ms");
    assert_eq!(v["networks"][0]["ssid"], "Lab");
    assert!(v["provision"]
        .as_str()
        .unwrap()
        .contains("--network-security wpa3-sae"));
    assert_eq!(stop(child), Some(0));
}

#[test]
fn fleet_writes_a_manifest_of_distinct_accessories() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let manifest = dir.path().join("fleet.json").display().to_string();
    let (child, line, _rest) = start(&[
        "fleet",
        "--count",
        "4",
        "--out",
        &out,
        "--manifest",
        &manifest,
        "--json",
    ]);
    let v: Value = serde_json::from_str(&line).unwrap();
    let from_file: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(v, from_file);
    let list = v["accessories"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[3]["id"], "SIM-0004");
    let addrs: std::collections::BTreeSet<_> =
        list.iter().map(|a| a["addr"].as_str().unwrap()).collect();
    assert_eq!(addrs.len(), 4);
    assert!(std::path::Path::new(v["anchors"].as_str().unwrap()).is_file());
    assert_eq!(stop(child), Some(0));
}

/// Starts `accessory sim <args>` with `TMPDIR=tmp` and no `XDG_RUNTIME_DIR`, so its private
/// directory is `tmp/accessory-sim-<uid>`.
fn start_in_tmp(
    tmp: &std::path::Path,
    args: &[&str],
) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(accessory_bin())
        .arg("sim")
        .args(args)
        .env("TMPDIR", tmp)
        .env_remove("XDG_RUNTIME_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running accessory sim");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    (child, line, out)
}

fn my_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid()
}

#[track_caller]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// Issue 12 item 3: the README's second simulator once overwrote the first one's files, and the
/// first one's printed command then failed with `cert.bad_signature`.
#[test]
fn two_simulators_with_the_same_id_write_separate_private_files_and_remove_them_at_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join(format!("accessory-sim-{}", my_uid()));
    let args = ["--listen", "127.0.0.1:0", "--json", "--pop-code", "4711"];
    let (first, line1, _r1) = start_in_tmp(tmp.path(), &args);
    let (second, line2, _r2) = start_in_tmp(tmp.path(), &args);
    let (v1, v2): (Value, Value) = (
        serde_json::from_str(&line1).unwrap_or_else(|e| panic!("{e}: {line1:?}")),
        serde_json::from_str(&line2).unwrap_or_else(|e| panic!("{e}: {line2:?}")),
    );
    let dir_of = |v: &Value| {
        std::path::Path::new(v["anchors"].as_str().unwrap())
            .parent()
            .unwrap()
            .to_owned()
    };
    let (d1, d2) = (dir_of(&v1), dir_of(&v2));
    assert_ne!(d1, d2, "two runs share a directory");
    assert_eq!(d1.parent().unwrap(), base);
    assert_eq!(mode(&base), 0o700);
    for d in [&d1, &d2] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
        for secret in ["key.pem", "pop.txt", "Home.passphrase"] {
            assert_eq!(mode(&d.join(secret)), 0o600, "{secret}");
        }
        assert_eq!(mode(&d.join("anchors.pem")), 0o644);
    }
    // Each one's anchors are its own.
    assert_ne!(
        std::fs::read(d1.join("anchors.pem")).unwrap(),
        std::fs::read(d2.join("anchors.pem")).unwrap()
    );
    assert!(v1["provision"]
        .as_str()
        .unwrap()
        .contains(&format!("--anchors {}", d1.join("anchors.pem").display())));
    // SIGTERM removes the first run's files and leaves the second's.
    assert_eq!(stop(first), Some(0));
    assert!(!d1.exists(), "{} left behind", d1.display());
    assert!(d2.join("key.pem").exists());
    // Ctrl-C (SIGINT) too.
    let mut second = second;
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(second.id().to_string())
        .status();
    assert_eq!(second.wait().unwrap().code(), Some(0));
    assert!(!d2.exists(), "{} left behind", d2.display());
    assert_eq!(
        std::fs::read_dir(&base).unwrap().count(),
        0,
        "keys left in the base directory"
    );
}

/// Runs `accessory sim` until it exits (it should refuse to start); its exit code and stderr.
fn refused_in_tmp(tmp: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(accessory_bin())
        .arg("sim")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("TMPDIR", tmp)
        .env_remove("XDG_RUNTIME_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_symbolic_link_or_another_users_directory_in_place_of_the_private_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join(format!("accessory-sim-{}", my_uid()));
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &base).unwrap();
    let (code, err) = refused_in_tmp(tmp.path(), &[]);
    assert_eq!(code, Some(8), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    std::fs::remove_file(&base).unwrap();

    if !accessory_tests::skip::require_root() {
        return;
    }
    std::fs::create_dir(&base).unwrap();
    std::os::unix::fs::chown(&base, Some(65534), Some(65534)).unwrap();
    let (code, err) = refused_in_tmp(tmp.path(), &[]);
    assert_eq!(code, Some(8), "{err}");
    assert!(err.contains("belongs to uid 65534"), "{err}");
    assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0);
}

#[test]
fn a_file_another_user_made_or_a_link_planted_in_the_out_directory_is_not_written() {
    if !accessory_tests::skip::require_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Another user's world-readable file where the test passphrase goes.
    let planted = out.join("Home.passphrase");
    std::fs::write(&planted, "planted").unwrap();
    std::fs::set_permissions(
        &planted,
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
    let out_arg = out.display().to_string();
    let (code, err) = refused_in_tmp(tmp.path(), &["--out", &out_arg]);
    assert_eq!(code, Some(8), "{err}");
    assert!(err.contains("Home.passphrase"), "{err}");
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), "planted");
    // A link to a root-owned file where the key goes (a fresh directory: the refused run above
    // wrote the files before the passphrase's).
    let out = tmp.path().join("out2");
    std::fs::create_dir(&out).unwrap();
    let out_arg = out.display().to_string();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "root's").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("key.pem")).unwrap();
    let (code, err) = refused_in_tmp(tmp.path(), &["--out", &out_arg]);
    assert_eq!(code, Some(8), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's");
}

/// Issue 13 item 8: `--fault expired --fault sha1` once served a valid SHA-1 certificate under a
/// banner naming both.
#[test]
fn two_certificate_faults_that_one_certificate_cannot_carry_are_refused_naming_both() {
    let out = Command::new(accessory_bin())
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--fault",
            "expired",
            "--fault",
            "sha1",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("`expired` and `sha1`"), "{err}");
    assert!(out.stdout.is_empty(), "it started anyway");
}

/// Issue 13 item 9: `--help` points at qa/plug.toml; every shipped example serves as written.
#[test]
fn every_shipped_qa_scenario_serves_as_written() {
    let qa = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../qa"));
    let mut seen = 0;
    for entry in std::fs::read_dir(qa).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("id = "))
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let p = path.display().to_string();
        let (child, line, _rest) = start(&["--scenario", &p, "--listen", "127.0.0.1:0", "--json"]);
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{p}: {e}: {line:?}"));
        assert_eq!(v["device_id"], id.as_str(), "{p}");
        assert_eq!(stop(child), Some(0), "{p}");
    }
    assert!(seen >= 5, "{seen} scenarios in qa/");
    assert!(qa.join("plug.toml").is_file());
}

#[test]
fn list_faults_gives_each_fault_a_description_in_text_and_in_json() {
    let out = Command::new(accessory_bin())
        .args(["sim", "--list-faults"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    let expired = text.lines().find(|l| l.starts_with("expired ")).unwrap();
    assert!(
        expired.contains("certificate") && expired.contains("expired 30 days ago"),
        "{expired}"
    );
    let json = Command::new(accessory_bin())
        .args(["sim", "--list-faults", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let faults = v["faults"].as_array().unwrap();
    assert_eq!(faults.len(), text.lines().count());
    assert!(faults
        .iter()
        .all(|f| f["description"].as_str().is_some_and(|d| !d.is_empty())));
    assert!(faults
        .iter()
        .any(|f| f["fault"] == "clienthello-limit=N[,reset|,ALERT]"));
}

#[test]
fn a_typo_in_a_fault_name_suggests_the_nearest_one() {
    let out = Command::new(accessory_bin())
        .args(["sim", "--fault", "clienthelo-limit=1024"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("did you mean `clienthello-limit`?"), "{err}");
}

/// Issue 13 item 9: the curl line printed for require-client-cert lacked the client certificate.
#[test]
fn the_printed_curl_line_for_require_client_cert_presents_the_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let (child, first, mut rest) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--out",
        &out,
        "--fault",
        "require-client-cert",
    ]);
    let mut text = first;
    loop {
        let mut line = String::new();
        if rest.read_line(&mut line).unwrap() == 0 || line.starts_with("Serving") {
            break;
        }
        text.push_str(&line);
    }
    let curl_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        curl_line.contains("--cert ") && curl_line.contains("--key "),
        "{curl_line}"
    );
    if accessory_tests::skip::require_tool("curl") {
        let args: Vec<&str> = curl_line.split_whitespace().skip(1).collect();
        let r = curl(&args);
        assert_eq!(r.code, 0, "{}", r.text);
        r.assert_says("\"device_id\":\"SIM-0001\"");
    }
    assert_eq!(stop(child), Some(0));
}

/// Issue 13 item 10: the simulator leaves no keys in /tmp after it exits; a fleet without `--out`
/// neither.
#[test]
fn a_fleet_without_out_writes_into_a_private_run_directory_removed_at_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join(format!("accessory-sim-{}", my_uid()));
    let (child, line, _rest) = start_in_tmp(tmp.path(), &["fleet", "--count", "2", "--json"]);
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let anchors = std::path::PathBuf::from(v["anchors"].as_str().unwrap());
    assert!(anchors.is_file());
    let run = anchors.parent().unwrap().to_owned();
    assert_eq!(run.parent().unwrap(), base);
    assert_eq!(mode(&run), 0o700);
    assert_eq!(stop(child), Some(0));
    assert!(!run.exists(), "{} left behind", run.display());
    assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0);
}

#[test]
fn sim_detach_json_returns_to_a_caller_capturing_both_streams_and_names_the_process_to_stop() {
    // `Command::output` reads stdout and stderr to their end: it returns only if the detached
    // simulator holds neither open (as `out=$(accessory sim --detach --json 2>&1)` in a script).
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out_dir = dir.path().join("sim");
    std::thread::spawn(move || {
        let out = Command::new(accessory_bin())
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--detach",
                "--json",
                "--out",
            ])
            .arg(&out_dir)
            .stdin(Stdio::null())
            .output()
            .expect("accessory sim --detach runs");
        let _ = tx.send(out);
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("sim --detach returned while the simulator serves");
    assert!(out.status.success(), "{out:?}");
    let startup: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    let pid = startup["pid"]
        .as_u64()
        .expect("the startup line names the process");
    let addr = startup["addr"].as_str().or(startup["listen"].as_str());
    assert!(
        addr.is_some() || startup["provision"].is_string(),
        "{startup}"
    );
    let killed = Command::new("kill").arg(pid.to_string()).status().unwrap();
    assert!(killed.success(), "the named process was running");
}
