//! Our ESP-IDF client's bytes read by the protobuf classes Espressif's own client carries
//! (`*_pb2` in rmaker_tools, esp-rainmaker-cli 1.14.1): every message decodes to the fields we
//! meant, and re-serializes to the same bytes (no unknown fields, canonical encoding).

use std::io::Write;
use std::process::{Command, Stdio};

use protocol::esp::wifi::{config, ctrl::CtrlCommand, ScanOptions, ScanRequest, WifiConfig};
use protocol::esp::{generate_verifier, DeviceSecurity, DeviceSession, Sec1Client, Sec2Client};
use rand_core::OsRng;
use serde_json::{json, Value};

use accessory_tests::esp::{python, script};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes `(kind, bytes)` with Espressif's pb2 classes; `None` after a recorded skip.
fn decode(messages: &[(&str, Vec<u8>)]) -> Option<Vec<Value>> {
    let python = python()?;
    let input = Value::Array(
        messages
            .iter()
            .map(|(kind, bytes)| json!({"kind": kind, "hex": hex(bytes)}))
            .collect(),
    );
    let mut child = Command::new(python)
        .arg(script("decode_with_pb2.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run decode_with_pb2.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    for (r, (kind, _)) in results.iter().zip(messages) {
        assert_eq!(r["roundtrip"], true, "{kind}: {r}");
    }
    Some(results.into_iter().map(|r| r["fields"].clone()).collect())
}

#[test]
fn our_security_1_session_messages_decode_with_espressifs_session_pb2() {
    let pop = b"abcd1234";
    let client = Sec1Client::new(pop, &mut OsRng);
    let command0 = client.command0();
    let mut device = DeviceSession::new(&DeviceSecurity::Sec1 { pop: pop.to_vec() });
    let response0 = device.handle_session(&command0, &mut OsRng).unwrap();
    let (_verify, command1) = client.on_response0(&response0).unwrap();
    let Some(d) = decode(&[("session", command0.clone()), ("session", command1)]) else {
        return;
    };
    assert_eq!(d[0]["sec_ver"], "SecScheme1", "{}", d[0]);
    assert_eq!(d[0]["sec1"]["msg"], "Session_Command0", "{}", d[0]);
    let pubkey = d[0]["sec1"]["sc0"]["client_pubkey"].as_str().unwrap();
    assert_eq!(pubkey.len(), 64, "an X25519 key is 32 bytes");
    assert!(hex(&command0).contains(pubkey));
    assert_eq!(d[1]["sec1"]["msg"], "Session_Command1", "{}", d[1]);
    let verify = d[1]["sec1"]["sc1"]["client_verify_data"].as_str().unwrap();
    assert_eq!(verify.len(), 64, "the encrypted device key is 32 bytes");
}

#[test]
fn our_security_2_session_messages_decode_with_espressifs_session_pb2() {
    let (user, password) = (b"wifiprov".as_slice(), b"a long test password".as_slice());
    let client = Sec2Client::new(user, password, 1, &mut OsRng).unwrap();
    let command0 = client.command0();
    let verifier = generate_verifier(user, password, &mut OsRng).unwrap();
    let mut device = DeviceSession::new(&DeviceSecurity::Sec2 {
        verifier,
        sec_patch_ver: 1,
    });
    let response0 = device.handle_session(&command0, &mut OsRng).unwrap();
    let (_verify, command1) = client.on_response0(&response0).unwrap();
    let Some(d) = decode(&[("session", command0), ("session", command1)]) else {
        return;
    };
    assert_eq!(d[0]["sec_ver"], "SecScheme2", "{}", d[0]);
    assert_eq!(d[0]["sec2"]["msg"], "S2Session_Command0", "{}", d[0]);
    assert_eq!(d[0]["sec2"]["sc0"]["client_username"], hex(user));
    let a = d[0]["sec2"]["sc0"]["client_pubkey"].as_str().unwrap();
    assert_eq!(a.len(), 2 * 384, "A is 384 bytes");
    assert_eq!(d[1]["sec2"]["msg"], "S2Session_Command1", "{}", d[1]);
    let proof = d[1]["sec2"]["sc1"]["client_proof"].as_str().unwrap();
    assert_eq!(proof.len(), 2 * 64, "M is a SHA-512");
}

#[test]
fn our_wifi_config_scan_and_ctrl_requests_decode_with_espressifs_wifi_pb2() {
    let set = WifiConfig::new(b"Home", b"correct horse battery")
        .unwrap()
        .request()
        .unwrap();
    let options = ScanOptions {
        blocking: true,
        passive: false,
        group_channels: 5,
        period_ms: 120,
    };
    let messages = [
        ("wifi_config", set),
        ("wifi_config", config::apply_request()),
        ("wifi_config", config::status_request()),
        ("wifi_scan", ScanRequest::Start(options).request()),
        ("wifi_scan", ScanRequest::Status.request()),
        (
            "wifi_scan",
            ScanRequest::Result {
                start_index: 4,
                count: 4,
            }
            .request(),
        ),
        ("wifi_ctrl", CtrlCommand::Reset.request()),
        ("wifi_ctrl", CtrlCommand::Reprov.request()),
    ];
    let Some(d) = decode(&messages) else {
        return;
    };
    assert_eq!(d[0]["msg"], "TypeCmdSetConfig", "{}", d[0]);
    assert_eq!(d[0]["cmd_set_config"]["ssid"], hex(b"Home"));
    assert_eq!(
        d[0]["cmd_set_config"]["passphrase"],
        hex(b"correct horse battery")
    );
    assert_eq!(d[1]["msg"], "TypeCmdApplyConfig", "{}", d[1]);
    assert_eq!(d[2]["msg"], "TypeCmdGetStatus", "{}", d[2]);
    assert_eq!(d[3]["msg"], "TypeCmdScanStart", "{}", d[3]);
    assert_eq!(d[3]["cmd_scan_start"]["blocking"], true, "{}", d[3]);
    assert_eq!(d[3]["cmd_scan_start"]["group_channels"], 5, "{}", d[3]);
    assert_eq!(d[3]["cmd_scan_start"]["period_ms"], 120, "{}", d[3]);
    assert_eq!(d[4]["msg"], "TypeCmdScanStatus", "{}", d[4]);
    assert_eq!(d[5]["msg"], "TypeCmdScanResult", "{}", d[5]);
    assert_eq!(d[5]["cmd_scan_result"]["start_index"], 4, "{}", d[5]);
    assert_eq!(d[5]["cmd_scan_result"]["count"], 4, "{}", d[5]);
    assert_eq!(d[6]["msg"], "TypeCmdCtrlReset", "{}", d[6]);
    assert_eq!(d[7]["msg"], "TypeCmdCtrlReprov", "{}", d[7]);
}
