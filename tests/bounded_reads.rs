//! Issue 12, defect 2: every file we read is read with a bound, whatever its metadata says.
//! `/dev/zero` reports a size of 0 and never ends; each flag that names an input file must refuse
//! it with a clear error and a code, quickly, instead of reading until memory runs out.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use accessory_tests::provision::accessory_bin;

const PIN: &str = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// Runs `accessory ARGS` with a watchdog; returns (exit status, stderr).
fn run(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the accessory binary runs");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("accessory {args:?} was still reading after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn dev_zero_is_refused_for_every_secret_scenario_capture_and_inventory_flag() {
    let base = [
        "provision",
        "--accessory",
        "127.0.0.1:1",
        "--pin",
        PIN,
        "--network-ssid",
        "Home",
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&base[..], &["--network-passphrase-file", "/dev/zero"]].concat(),
            "input.too_large",
        ),
        (
            [
                &base[..],
                &[
                    "--network-passphrase-file",
                    "/etc/hostname",
                    "--pop-file",
                    "/dev/zero",
                ],
            ]
            .concat(),
            "input.too_large",
        ),
        (
            [
                &base[..],
                &[
                    "--network-passphrase-file",
                    "/etc/hostname",
                    "--wifi",
                    "sim",
                    "--ssid",
                    "Acc",
                    "--softap-passphrase-file",
                    "/dev/zero",
                ],
            ]
            .concat(),
            "input.too_large",
        ),
        (
            vec!["sim", "--scenario", "/dev/zero", "--listen", "127.0.0.1:0"],
            "sim.read_scenario",
        ),
        (
            vec!["probe", "127.0.0.1:1", "--client-hello", "/dev/zero"],
            "probe.client_hello_unreadable",
        ),
        (
            vec!["provision", "fleet", "--inventory", "/dev/zero"],
            "input.inventory",
        ),
        (vec!["trust", "inspect", "/dev/zero"], "input.too_large"),
    ];
    for (args, code) in cases {
        let (status, stderr) = run(&args);
        assert!(
            status.is_some_and(|s| s != 0),
            "{args:?}: {status:?}\n{stderr}"
        );
        assert!(stderr.contains(&format!("[{code}]")), "{args:?}:\n{stderr}");
        assert!(
            stderr.contains("too large") || stderr.contains("larger than"),
            "{args:?} does not say the file is too large:\n{stderr}"
        );
    }
}
