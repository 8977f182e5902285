//! Client against device, in process, for both security schemes.

use prost::Message;
use rand_core::OsRng;

use super::messages::{sec1_payload, sec2_payload, session_data::Proto, SessionData};
use super::*;

fn sec1_pair(client_pop: &[u8], device_pop: &[u8]) -> Result<(Sec1Cipher, Sec1Device)> {
    let mut device = Sec1Device::new(device_pop);
    let client = Sec1Client::new(client_pop, &mut OsRng);
    let resp0 = device.handle(&client.command0(), &mut OsRng)?;
    let (verify, cmd1) = client.on_response0(&resp0)?;
    let resp1 = device.handle(&cmd1, &mut OsRng)?;
    Ok((verify.on_response1(&resp1)?, device))
}

fn sec2_pair(
    user: &[u8],
    password: &[u8],
    stored: &Sec2Verifier,
    client_patch: u32,
    device_patch: u32,
) -> Result<(Sec2Cipher, Sec2Device)> {
    let mut device = Sec2Device::new(stored.clone(), device_patch);
    let client = Sec2Client::new(user, password, client_patch, &mut OsRng)?;
    let resp0 = device.handle(&client.command0(), &mut OsRng)?;
    let (verify, cmd1) = client.on_response0(&resp0)?;
    let resp1 = device.handle(&cmd1, &mut OsRng)?;
    Ok((verify.on_response1(&resp1)?, device))
}

fn stored(user: &[u8], password: &[u8]) -> Sec2Verifier {
    generate_verifier(user, password, &mut OsRng).unwrap()
}

/// Three request/response exchanges in order; each side decrypts what the other encrypted.
#[track_caller]
fn exchange(client: &mut impl SessionCipher, device: &mut impl SessionCipher) {
    for i in 0..3u8 {
        let request = vec![i; 40];
        let wire = client.encrypt(&request).unwrap();
        assert_ne!(
            wire[..request.len()],
            request[..],
            "request {i} went out in clear"
        );
        assert_eq!(device.decrypt(&wire).unwrap(), request);
        let response = vec![i ^ 0xff; 17];
        let wire = device.encrypt(&response).unwrap();
        assert_eq!(client.decrypt(&wire).unwrap(), response);
    }
}

#[test]
fn sec1_client_and_device_with_the_same_pop_share_one_keystream() {
    let (mut client, mut device) = sec1_pair(b"abcd1234", b"abcd1234").unwrap();
    assert!(device.is_established());
    exchange(&mut client, device.cipher().unwrap());
}

#[test]
fn sec1_without_pop_on_both_sides_establishes_a_session() {
    let (mut client, mut device) = sec1_pair(b"", b"").unwrap();
    exchange(&mut client, device.cipher().unwrap());
}

#[test]
fn sec1_wrong_pop_is_rejected_by_the_device_and_the_session_is_not_established() {
    let err = sec1_pair(b"wrong", b"abcd1234").unwrap_err();
    assert_eq!(err, Error::ClientProofRejected);
    let err = sec1_pair(b"", b"abcd1234").unwrap_err();
    assert_eq!(err, Error::ClientProofRejected);
}

#[test]
fn sec1_device_without_the_pop_is_rejected_by_the_client() {
    // A device that answers Resp1 although its key differs: tamper with its verify data.
    let mut device = Sec1Device::new(b"abcd1234");
    let client = Sec1Client::new(b"abcd1234", &mut OsRng);
    let resp0 = device.handle(&client.command0(), &mut OsRng).unwrap();
    let (verify, cmd1) = client.on_response0(&resp0).unwrap();
    let mut resp1 = SessionData::decode(&device.handle(&cmd1, &mut OsRng).unwrap()[..]).unwrap();
    let Some(Proto::Sec1(ref mut p)) = resp1.proto else {
        panic!("sec1")
    };
    let Some(sec1_payload::Payload::Sr1(ref mut sr1)) = p.payload else {
        panic!("sr1")
    };
    sr1.device_verify_data[0] ^= 1;
    let err = verify.on_response1(&resp1.encode_to_vec()).unwrap_err();
    assert_eq!(err, Error::DeviceProofRejected);
}

#[test]
fn sec1_encrypted_data_before_the_handshake_is_refused() {
    let mut session = DeviceSession::new(&DeviceSecurity::Sec1 { pop: b"x".to_vec() });
    assert_eq!(session.decrypt(b"hello"), Err(Error::NoSession));
    assert!(!session.is_established());
}

#[test]
fn sec1_command1_before_command0_is_out_of_order() {
    let mut device = Sec1Device::new(b"pop");
    let client = Sec1Client::new(b"pop", &mut OsRng);
    let mut other = Sec1Device::new(b"pop");
    let resp0 = other.handle(&client.command0(), &mut OsRng).unwrap();
    let (_, cmd1) = client.on_response0(&resp0).unwrap();
    assert_eq!(device.handle(&cmd1, &mut OsRng), Err(Error::OutOfOrder));
}

#[test]
fn sec1_device_refuses_a_sec2_message_and_a_short_public_key() {
    let mut device = Sec1Device::new(b"pop");
    let sec2 = Sec2Client::new(b"u", b"p", 1, &mut OsRng).unwrap();
    assert!(matches!(
        device.handle(&sec2.command0(), &mut OsRng),
        Err(Error::SchemeMismatch {
            expected: 1,
            got: 2
        })
    ));
    let mut cmd0 =
        SessionData::decode(&Sec1Client::new(b"pop", &mut OsRng).command0()[..]).unwrap();
    let Some(Proto::Sec1(ref mut p)) = cmd0.proto else {
        panic!("sec1")
    };
    let Some(sec1_payload::Payload::Sc0(ref mut sc0)) = p.payload else {
        panic!("sc0")
    };
    sc0.client_pubkey.truncate(31);
    assert!(matches!(
        device.handle(&cmd0.encode_to_vec(), &mut OsRng),
        Err(Error::BadLength {
            field: "client_pubkey",
            ..
        })
    ));
}

#[test]
fn sec1_device_session_runs_through_the_common_interface() {
    let security = DeviceSecurity::Sec1 {
        pop: b"abcd1234".to_vec(),
    };
    let mut session = DeviceSession::new(&security);
    let client = Sec1Client::new(b"abcd1234", &mut OsRng);
    let resp0 = session
        .handle_session(&client.command0(), &mut OsRng)
        .unwrap();
    let (verify, cmd1) = client.on_response0(&resp0).unwrap();
    let resp1 = session.handle_session(&cmd1, &mut OsRng).unwrap();
    let mut client = Cipher::Sec1(verify.on_response1(&resp1).unwrap());
    exchange(&mut client, &mut session);
}

#[test]
fn sec2_client_and_device_with_the_right_password_exchange_gcm_messages() {
    let v = stored(b"wifiprov", b"abcd1234");
    let (mut client, mut device) = sec2_pair(b"wifiprov", b"abcd1234", &v, 1, 1).unwrap();
    exchange(&mut client, device.cipher().unwrap());
}

#[test]
fn sec2_wrong_password_or_username_is_rejected_by_the_device() {
    let v = stored(b"wifiprov", b"abcd1234");
    let err = sec2_pair(b"wifiprov", b"abcd1235", &v, 1, 1).unwrap_err();
    assert_eq!(err, Error::ClientProofRejected);
    let err = sec2_pair(b"wifiprow", b"abcd1234", &v, 1, 1).unwrap_err();
    assert_eq!(err, Error::ClientProofRejected);
}

#[test]
fn sec2_device_without_the_verifier_is_rejected_by_the_client() {
    let v = stored(b"wifiprov", b"abcd1234");
    let mut device = Sec2Device::new(v, 1);
    let client = Sec2Client::new(b"wifiprov", b"abcd1234", 1, &mut OsRng).unwrap();
    let resp0 = device.handle(&client.command0(), &mut OsRng).unwrap();
    let (verify, cmd1) = client.on_response0(&resp0).unwrap();
    let mut resp1 = SessionData::decode(&device.handle(&cmd1, &mut OsRng).unwrap()[..]).unwrap();
    let Some(Proto::Sec2(ref mut p)) = resp1.proto else {
        panic!("sec2")
    };
    let Some(sec2_payload::Payload::Sr1(ref mut sr1)) = p.payload else {
        panic!("sr1")
    };
    sr1.device_proof[63] ^= 0x80;
    let err = verify.on_response1(&resp1.encode_to_vec()).unwrap_err();
    assert_eq!(err, Error::DeviceProofRejected);
}

#[test]
fn sec2_patched_nonce_counts_every_message_and_starts_at_one() {
    let v = stored(b"u", b"p");
    let (mut client, mut device) = sec2_pair(b"u", b"p", &v, 1, 1).unwrap();
    let a = client.encrypt(b"same").unwrap();
    let b = client.encrypt(b"same").unwrap();
    assert_ne!(a, b, "a counting nonce never repeats");
    assert_eq!(device.cipher().unwrap().decrypt(&a).unwrap(), b"same");
    assert_eq!(device.cipher().unwrap().decrypt(&b).unwrap(), b"same");
}

#[test]
fn sec2_unpatched_firmware_keeps_one_fixed_nonce() {
    let v = stored(b"u", b"p");
    let (mut client, mut device) = sec2_pair(b"u", b"p", &v, 0, 0).unwrap();
    let a = client.encrypt(b"same").unwrap();
    let b = client.encrypt(b"same").unwrap();
    assert_eq!(a, b, "old firmware reuses the nonce");
    exchange(&mut client, device.cipher().unwrap());
}

#[test]
fn sec2_client_and_device_disagreeing_on_the_patch_version_fail_on_the_second_message() {
    let v = stored(b"u", b"p");
    let (mut client, mut device) = sec2_pair(b"u", b"p", &v, 1, 0).unwrap();
    let first = client.encrypt(b"one").unwrap();
    assert_eq!(device.cipher().unwrap().decrypt(&first).unwrap(), b"one");
    let reply = device.cipher().unwrap().encrypt(b"two").unwrap();
    assert_eq!(client.decrypt(&reply), Err(Error::DecryptFailed));
}

#[test]
fn sec2_tampered_ciphertext_is_refused() {
    let v = stored(b"u", b"p");
    let (mut client, mut device) = sec2_pair(b"u", b"p", &v, 1, 1).unwrap();
    let mut wire = client.encrypt(b"credentials").unwrap();
    wire[0] ^= 1;
    assert_eq!(
        device.cipher().unwrap().decrypt(&wire),
        Err(Error::DecryptFailed)
    );
}

#[test]
fn sec2_device_refuses_a_public_key_that_is_not_384_bytes() {
    let mut device = Sec2Device::new(stored(b"u", b"p"), 1);
    let client = Sec2Client::new(b"u", b"p", 1, &mut OsRng).unwrap();
    let mut cmd0 = SessionData::decode(&client.command0()[..]).unwrap();
    let Some(Proto::Sec2(ref mut p)) = cmd0.proto else {
        panic!("sec2")
    };
    let Some(sec2_payload::Payload::Sc0(ref mut sc0)) = p.payload else {
        panic!("sc0")
    };
    sc0.client_pubkey.remove(0);
    let err = device
        .handle(&cmd0.encode_to_vec(), &mut OsRng)
        .unwrap_err();
    assert_eq!(
        err,
        Error::BadLength {
            field: "client_pubkey",
            got: 383,
            expected: 384
        }
    );
}

#[test]
fn sec2_client_public_key_is_always_exactly_384_bytes() {
    for _ in 0..20 {
        let client = Sec2Client::new(b"u", b"p", 1, &mut OsRng).unwrap();
        let cmd0 = SessionData::decode(&client.command0()[..]).unwrap();
        let Some(Proto::Sec2(p)) = cmd0.proto else {
            panic!("sec2")
        };
        let Some(sec2_payload::Payload::Sc0(sc0)) = p.payload else {
            panic!("sc0")
        };
        assert_eq!(sc0.client_pubkey.len(), 384);
    }
}

#[test]
fn generated_salts_are_sixteen_bytes_that_never_start_with_zero() {
    for _ in 0..200 {
        let v = generate_verifier(b"wifiprov", b"abcd1234", &mut OsRng).unwrap();
        assert_eq!(v.salt.len(), SALT_LEN);
        assert_ne!(v.salt[0], 0);
    }
    assert!(generate_verifier(b"", b"p", &mut OsRng).is_err());
}

#[test]
fn sec2_device_session_established_only_after_the_proof() {
    let security = DeviceSecurity::Sec2 {
        verifier: stored(b"u", b"p"),
        sec_patch_ver: 1,
    };
    let mut session = DeviceSession::new(&security);
    let client = Sec2Client::new(b"u", b"p", 1, &mut OsRng).unwrap();
    let resp0 = session
        .handle_session(&client.command0(), &mut OsRng)
        .unwrap();
    assert!(!session.is_established());
    assert_eq!(session.encrypt(b"x"), Err(Error::NoSession));
    let (verify, cmd1) = client.on_response0(&resp0).unwrap();
    let resp1 = session.handle_session(&cmd1, &mut OsRng).unwrap();
    assert!(session.is_established());
    let mut client = Cipher::Sec2(verify.on_response1(&resp1).unwrap());
    exchange(&mut client, &mut session);
}

#[test]
fn sec2_password_whose_inner_hash_starts_with_zero_works_between_our_client_and_device() {
    // SHA-512("wifiprov:pw69") starts with 0x00; Espressif's Python client fails here, we must not.
    let v = stored(b"wifiprov", b"pw69");
    let (mut client, mut device) = sec2_pair(b"wifiprov", b"pw69", &v, 1, 1).unwrap();
    exchange(&mut client, device.cipher().unwrap());
}

#[test]
fn security_zero_session_messages_are_refused_by_both_device_schemes() {
    use super::messages::{sec0_payload, S0SessionCmd, Sec0Payload};
    let sec0 = SessionData {
        sec_ver: 0,
        proto: Some(Proto::Sec0(Sec0Payload {
            msg: 0,
            payload: Some(sec0_payload::Payload::Sc(S0SessionCmd {})),
        })),
    }
    .encode_to_vec();
    let sec1 = DeviceSecurity::Sec1 { pop: Vec::new() };
    let sec2 = DeviceSecurity::Sec2 {
        verifier: stored(b"u", b"p"),
        sec_patch_ver: 1,
    };
    for security in [sec1, sec2] {
        let mut session = DeviceSession::new(&security);
        let err = session.handle_session(&sec0, &mut OsRng).unwrap_err();
        assert!(
            matches!(err, Error::SchemeMismatch { got: 0, .. }),
            "{err:?}"
        );
        assert!(!session.is_established());
    }
}
