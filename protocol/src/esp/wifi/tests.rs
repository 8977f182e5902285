//! Wi-Fi endpoint codecs: client builders against device parsers and back.

use prost::Message;

use super::config::{self, ConfigRequest, ConnectedInfo, FailReason, WifiConfig, WifiStatus};
use super::scan::{self, AccessPoint, ScanOptions, ScanRequest, ScanStatus};
use super::CommandStatus;
use crate::esp::error::Error;
use crate::esp::messages::{wi_fi_config_payload::Payload, CmdSetConfig, WiFiConfigPayload};

#[test]
fn set_config_reaches_the_device_with_ssid_passphrase_bssid_and_channel() {
    let mut wanted = WifiConfig::new(b"MyAP", b"secret123").unwrap();
    wanted.bssid = Some([1, 2, 3, 4, 5, 6]);
    wanted.channel = 11;
    let ConfigRequest::SetConfig(cmd) = ConfigRequest::parse(&wanted.request().unwrap()).unwrap()
    else {
        panic!("not a set-config");
    };
    assert_eq!(WifiConfig::from_command(&cmd).unwrap(), wanted);
}

#[test]
fn set_config_encodes_exactly_like_python_protobuf() {
    // python: WiFiConfigPayload(msg=2, cmd_set_config=CmdSetConfig(ssid=b"MyAP", passphrase=b"pw"))
    let body = WifiConfig::new(b"MyAP", b"pw").unwrap().request().unwrap();
    assert_eq!(body, b"\x08\x02\x62\x0a\x0a\x04MyAP\x12\x02pw");
}

#[test]
fn over_long_ssid_or_passphrase_is_refused_before_sending_and_by_the_device() {
    assert!(matches!(
        WifiConfig::new(&[b'a'; 33], b""),
        Err(Error::InvalidField { field: "ssid", .. })
    ));
    assert!(matches!(
        WifiConfig::new(b"a", &[b'p'; 64]),
        Err(Error::InvalidField {
            field: "passphrase",
            ..
        })
    ));
    assert!(WifiConfig::new(b"", b"x").is_err());
    let cmd = CmdSetConfig {
        ssid: b"a".to_vec(),
        bssid: vec![1, 2, 3],
        ..Default::default()
    };
    assert!(matches!(
        WifiConfig::from_command(&cmd),
        Err(Error::InvalidField { field: "bssid", .. })
    ));
}

#[test]
fn invalid_argument_from_the_device_is_a_peer_status() {
    let resp = config::set_response(CommandStatus::InvalidArgument);
    assert_eq!(config::parse_set_response(&resp), Err(Error::PeerStatus(4)));
    assert_eq!(
        config::parse_set_response(&config::set_response(CommandStatus::Success)),
        Ok(())
    );
    let resp = config::apply_response(CommandStatus::InternalError);
    assert_eq!(
        config::parse_apply_response(&resp),
        Err(Error::PeerStatus(5))
    );
    assert_eq!(
        config::parse_apply_response(&config::apply_response(CommandStatus::Success)),
        Ok(())
    );
}

#[test]
fn apply_and_status_requests_are_recognised_by_the_device() {
    assert_eq!(
        ConfigRequest::parse(&config::apply_request()).unwrap(),
        ConfigRequest::ApplyConfig
    );
    assert_eq!(
        ConfigRequest::parse(&config::status_request()).unwrap(),
        ConfigRequest::GetStatus
    );
}

#[test]
fn every_station_status_round_trips() {
    let statuses = [
        WifiStatus::Connected(ConnectedInfo {
            ip: "192.168.1.50".parse().unwrap(),
            ssid: b"MyAP".to_vec(),
            bssid: vec![0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
            channel: 6,
            auth_mode: 3,
        }),
        WifiStatus::Connecting {
            attempts_remaining: None,
        },
        WifiStatus::Connecting {
            attempts_remaining: Some(2),
        },
        WifiStatus::Failed(FailReason::AuthError),
        WifiStatus::Failed(FailReason::NetworkNotFound),
        WifiStatus::Disconnected,
    ];
    for status in statuses {
        let body = config::status_response(&status);
        assert_eq!(config::parse_status_response(&body).unwrap(), status);
    }
}

#[test]
fn auth_error_is_on_the_wire_although_it_is_the_enum_default() {
    // fail_reason = AuthError (0) in a oneof is written, as protobuf-c writes it.
    let body = config::status_response(&WifiStatus::Failed(FailReason::AuthError));
    let decoded = WiFiConfigPayload::decode(&body[..]).unwrap();
    let Some(Payload::RespGetStatus(r)) = decoded.payload else {
        panic!("status")
    };
    assert_eq!(r.sta_state, 3);
    assert!(r.state.is_some());
}

#[test]
fn a_status_answer_to_a_set_config_is_not_taken_for_a_status() {
    let body = config::set_response(CommandStatus::Success);
    assert!(matches!(
        config::parse_status_response(&body),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn connected_status_with_a_bad_address_is_an_error() {
    let mut body = WiFiConfigPayload::decode(
        &config::status_response(&WifiStatus::Connected(ConnectedInfo {
            ip: "10.0.0.2".parse().unwrap(),
            ssid: vec![],
            bssid: vec![],
            channel: 1,
            auth_mode: 0,
        }))[..],
    )
    .unwrap();
    if let Some(Payload::RespGetStatus(ref mut r)) = body.payload {
        if let Some(crate::esp::messages::resp_get_status::State::Connected(ref mut c)) = r.state {
            c.ip4_addr = "10.0.0.999".into();
        }
    }
    assert!(matches!(
        config::parse_status_response(&body.encode_to_vec()),
        Err(Error::InvalidField {
            field: "ip4_addr",
            ..
        })
    ));
}

fn aps() -> Vec<AccessPoint> {
    (0..3)
        .map(|i| AccessPoint {
            ssid: format!("net{i}").into_bytes(),
            channel: 1 + i,
            rssi: -40 - i as i32,
            bssid: vec![i as u8; 6],
            auth: 3,
        })
        .collect()
}

#[test]
fn scan_start_status_and_result_pages_round_trip() {
    let start = ScanRequest::Start(ScanOptions::default());
    assert_eq!(ScanRequest::parse(&start.request()).unwrap(), start);
    assert_eq!(
        scan::parse_start_response(&scan::start_response(CommandStatus::Success)),
        Ok(())
    );
    assert_eq!(
        ScanRequest::parse(&ScanRequest::Status.request()).unwrap(),
        ScanRequest::Status
    );
    let st = ScanStatus {
        finished: true,
        result_count: 3,
    };
    assert_eq!(
        scan::parse_status_response(&scan::status_response(st)).unwrap(),
        st
    );
    let page = ScanRequest::Result {
        start_index: 1,
        count: 2,
    };
    assert_eq!(ScanRequest::parse(&page.request()).unwrap(), page);
    let got = scan::parse_result_response(&scan::result_response(&aps(), 1, 2)).unwrap();
    assert_eq!(got, aps()[1..3].to_vec());
}

#[test]
fn scan_page_past_the_end_is_an_internal_error_like_esp_idf() {
    let body = scan::result_response(&aps(), 2, 5);
    assert_eq!(
        scan::parse_result_response(&body),
        Err(Error::PeerStatus(5))
    );
}

#[test]
fn unknown_config_or_scan_command_is_an_error_for_the_device() {
    let body = WiFiConfigPayload {
        msg: 1,
        payload: None,
    }
    .encode_to_vec();
    assert!(ConfigRequest::parse(&body).is_err());
    assert!(ScanRequest::parse(&[0x08, 0x05]).is_err());
    assert!(ConfigRequest::parse(&[0xff, 0xff]).is_err());
}
