use super::*;
use crate::api::{DeviceInfo, Reason, State};

const SHELLY: &str = include_str!("../../../profiles/shelly-gen2-like.toml");
const PLUG: &str = include_str!("../../../profiles/setup-cgi-plug.toml");
const BEARER: &str = include_str!("../../../profiles/bearer-token.toml");

fn err(text: &str) -> ProfileError {
    ApiProfile::parse("bad.toml", text).expect_err("refused")
}

/// A valid profile with one line replaced (`line` is 1-based).
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = MINIMAL.lines().collect();
    lines[line - 1] = text;
    lines.join("\n")
}

const MINIMAL: &str = r#"format = 1
name = "minimal"
[device]
path = "/info"
id = "/id"
[set_network]
method = "POST"
path = "/wifi"
body_kind = "json"
body = '{"s": "{ssid}", "p": "{passphrase}"}'
[status]
path = "/state"
state = "/s"
connected = ["up"]
connecting = ["joining"]
"#;

#[test]
fn every_shipped_profile_and_the_built_in_one_parse() {
    for (name, text) in [
        ("v1", V1_TEXT),
        ("shelly", SHELLY),
        ("plug", PLUG),
        ("bearer", BEARER),
        ("minimal", MINIMAL),
    ] {
        ApiProfile::parse(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_built_in_v1_profile_writes_exactly_the_network_body_of_the_v1_api() {
    let v1 = ApiProfile::v1();
    let mut body = Vec::new();
    v1.set_network.body.render(
        &template::Values {
            ssid: "Home",
            passphrase: "12345678",
            security: "wpa2-psk",
            hidden: false,
            device_id: "SIM-1",
        },
        &mut body,
    );
    let today = crate::api::NetworkRequest {
        ssid: "Home".into(),
        passphrase: Some("12345678".into()),
        security: Some("wpa2-psk".into()),
        hidden: false,
        apply: true,
    };
    assert_eq!(body, serde_json::to_vec(&today).unwrap());
    assert_eq!(v1.status_path("SIM-1", 7), "/v1/status?wait=7");
    assert_eq!(v1.device.path, crate::api::DEVICE);
}

#[test]
fn the_v1_profile_reads_every_v1_status_as_the_v1_types_do() {
    let v1 = ApiProfile::v1();
    for text in [
        r#"{"state":"connected","ip":"192.168.1.50"}"#,
        r#"{"state":"connecting"}"#,
        r#"{"state":"configured"}"#,
        r#"{"state":"idle"}"#,
        r#"{"state":"failed","reason":"auth_failed"}"#,
        r#"{"state":"failed","reason":"network_not_found"}"#,
        r#"{"state":"failed","reason":"dhcp_failed"}"#,
        r#"{"state":"failed","reason":"radio_off"}"#,
    ] {
        let typed: Status = serde_json::from_str(text).unwrap();
        let mut want = typed.clone();
        if want.state == State::Configured {
            want.state = State::Connecting;
        }
        let got = v1.read_status(&serde_json::from_str(text).unwrap());
        assert_eq!(got, Some(Reading::Status(want.clone())), "{text}");
        // And the simulator's answer for it reads back the same.
        let answer = v1.status_answer(&typed);
        assert_eq!(
            v1.read_status(&answer),
            Some(Reading::Status(want)),
            "{text}"
        );
    }
    assert_eq!(
        v1.read_status(&serde_json::json!({"state": "sleeping"})),
        Some(Reading::Unmapped("sleeping".into()))
    );
}

#[test]
fn numeric_states_are_compared_as_their_text_and_answered_as_numbers() {
    let plug = ApiProfile::parse("plug", PLUG).unwrap();
    let failed = Status {
        state: State::Failed,
        reason: Some(Reason::AuthFailed),
        ip: None,
    };
    let answer = plug.status_answer(&failed);
    assert!(
        answer.pointer(&plug.status.state).unwrap().is_number(),
        "{answer}"
    );
    assert_eq!(plug.read_status(&answer), Some(Reading::Status(failed)));
}

#[test]
fn a_device_answer_reads_back_through_its_pointers() {
    let shelly = ApiProfile::parse("shelly", SHELLY).unwrap();
    let info = DeviceInfo {
        device_id: "SIM-0001".into(),
        model: "Plug".into(),
        firmware: "1.2.3".into(),
        api: serde_json::Value::Null,
        capabilities: vec![],
    };
    let answer = shelly.device_answer(&info);
    assert_eq!(shelly.read_device(&answer), Some(info));
    assert_eq!(shelly.read_device(&serde_json::json!({"x": 1})), None);
}

#[test]
fn bad_toml_is_refused_with_profile_syntax_and_its_line() {
    let e = err(&with_line(5, "id = /id"));
    assert_eq!((e.code, e.line), (codes::SYNTAX, 5), "{e}");
    assert!(e.to_string().starts_with("bad.toml:5:"), "{e}");
    let e = err(&with_line(5, "idd = \"/id\""));
    assert_eq!((e.code, e.line), (codes::SYNTAX, 5), "{e}");
}

#[test]
fn an_unknown_placeholder_is_refused_naming_it_and_its_line() {
    let e = err(&with_line(
        10,
        r#"body = '{"s": "{ssid}", "p": "{passphrase}", "x": "{pasphrase}"}'"#,
    ));
    assert_eq!((e.code, e.line), (codes::UNKNOWN_PLACEHOLDER, 10), "{e}");
    assert!(e.message.contains("{pasphrase}"), "{e}");
    assert_eq!(e.column, 52, "{e}");
    // In a multi-line body, the line of the placeholder itself.
    let text = MINIMAL.replace(
        r#"body = '{"s": "{ssid}", "p": "{passphrase}"}'"#,
        "body = '''\n{\"s\": \"{ssid}\",\n \"p\": \"{passphrase}\",\n \"d\": \"{devce_id}\"}'''",
    );
    let e = err(&text);
    assert_eq!((e.code, e.line), (codes::UNKNOWN_PLACEHOLDER, 13), "{e}");
    let e = err(&with_line(8, r#"path = "/wifi/{serial}""#));
    assert_eq!((e.code, e.line), (codes::UNKNOWN_PLACEHOLDER, 8), "{e}");
}

#[test]
fn the_passphrase_anywhere_but_the_body_is_refused() {
    let e = err(&with_line(8, r#"path = "/wifi?pass={passphrase}""#));
    assert_eq!((e.code, e.line), (codes::PASSPHRASE_OUTSIDE_BODY, 8), "{e}");
    let e = err(&with_line(12, r#"path = "/state/{passphrase}""#));
    assert_eq!(
        (e.code, e.line),
        (codes::PASSPHRASE_OUTSIDE_BODY, 12),
        "{e}"
    );
}

#[test]
fn a_profile_that_cannot_work_is_refused_with_profile_invalid_and_its_line() {
    for (line, text) in [
        (1, "format = 2"),
        (5, r#"id = "device.id""#),
        (10, r#"body = '{"s": "{ssid}"}'"#),
        (10, r#"body = '{"s": "net-{ssid}", "p": "{passphrase}"}'"#),
        (10, r#"body = '{"s": "{ssid}", "p": "{passphrase}"'"#),
        (4, r#"path = "/info/{device_id}""#),
    ] {
        let e = err(&with_line(line, text));
        assert_eq!((e.code, e.line), (codes::INVALID, line), "{text}: {e}");
    }
}

#[test]
fn a_networks_list_is_read_back_through_the_profiles_members_as_the_accessory_writes_it() {
    use crate::api::{NetworkEntry, NetworkList};
    let list = NetworkList {
        networks: vec![
            NetworkEntry {
                ssid: "Home".into(),
                rssi: -40,
                channel: 6,
                security: "wpa2-psk".into(),
            },
            NetworkEntry {
                ssid: "Cafe \"2\"".into(),
                rssi: -71,
                channel: 11,
                security: "open".into(),
            },
        ],
    };
    // Every member named (bearer-token: `signal` for the strength): read back whole.
    let bearer = ApiProfile::parse("bearer-token.toml", BEARER).unwrap();
    let n = bearer.networks.as_ref().unwrap();
    let answer = n.answer(&list);
    assert_eq!(answer["results"][0]["signal"], -40, "{answer}");
    assert_eq!(n.read(&answer).unwrap(), list);
    // No security member (shelly-gen2-like): the security is unknown (""), the rest read.
    let shelly = ApiProfile::parse("shelly-gen2-like.toml", SHELLY).unwrap();
    let n = shelly.networks.as_ref().unwrap();
    let answer = serde_json::json!({"results": [
        {"ssid": "Home", "rssi": -40, "auth": 3},
        {"bssid": "no ssid here"},
        {"ssid": 7}
    ]});
    let read = n.read(&answer).unwrap();
    assert_eq!(read.networks.len(), 1, "{read:?}");
    assert_eq!(
        (
            read.networks[0].ssid.as_str(),
            read.networks[0].rssi,
            read.networks[0].security.as_str()
        ),
        ("Home", -40, "")
    );
    // No array at `list`: nothing to read.
    assert_eq!(n.read(&serde_json::json!({"results": {}})), None);
    // A profile without [networks] has none.
    assert!(ApiProfile::parse("plug.toml", PLUG)
        .unwrap()
        .networks
        .is_none());
}
