//! The simulator under connection pressure (issue 12 item 5): under a low descriptor limit, idle
//! connections are shed before they block a real client, and the repeated accept failure is logged
//! at most once a second.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use accessory_tests::provision::accessory_bin;
use serde_json::Value;

#[test]
fn eleven_hundred_idle_connections_under_a_low_descriptor_limit_do_not_block_a_real_provisioning() {
    if !accessory_tests::skip::require_tool("prlimit") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sim");
    // 256 descriptors, soft and hard: the simulator cannot raise it, and caps itself below it.
    let mut sim = Command::new("prlimit")
        .arg("--nofile=256:256")
        .arg(accessory_bin())
        .args(["sim", "--listen", "127.0.0.1:0", "--json", "--out"])
        .arg(&out)
        .env("TMPDIR", tmp.path())
        .env_remove("ACCESSORY_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let addr: SocketAddr = v["addr"].as_str().unwrap().parse().unwrap();

    // 1,100 connections that never send a byte, all held open by this process.
    let mut idle = Vec::new();
    for _ in 0..1100 {
        if let Ok(c) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            idle.push(c);
        }
    }
    assert!(idle.len() >= 1000, "only {} connected", idle.len());

    // The printed command, with a ledger of its own and a deadline well under the 60 s an idle
    // connection used to hold its place.
    let provision = v["provision"].as_str().unwrap();
    let args: Vec<&str> = provision.split_whitespace().skip(1).collect();
    let ran = Command::new(accessory_bin())
        .args(&args)
        .arg("--ledger")
        .arg(tmp.path().join("ledger.sqlite3"))
        .args(["--deadline", "15"])
        .env_remove("ACCESSORY_LEDGER")
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(ran.status.code(), Some(0), "{text}");
    drop(idle);

    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(sim.id().to_string())
        .status();
    let mut log = String::new();
    sim.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert_eq!(sim.wait().unwrap().code(), Some(0), "{log}");
    let accept_failures = log.matches("accept failed").count();
    assert!(
        accept_failures <= 30,
        "{accept_failures} accept-failure lines: not rate-limited\n{log}"
    );
}
