//! What each profile's ClientHello carries, read by a plain TCP listener that is not TLS at all: the
//! size the probe reports is the size that arrives, and the key shares are the ones each phone sends
//! (iOS 26: the X25519MLKEM768 hybrid *and* an X25519 share; the others: X25519 alone).

use probe::{ClientProfile, Target};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// The named group code points (IANA TLS Supported Groups).
const X25519MLKEM768: u16 = 0x11ec;
const X25519: u16 = 0x001d;

/// Reads one TLS record from a connection: header and body.
async fn first_record(socket: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut header = [0u8; 5];
    socket.read_exact(&mut header).await.unwrap();
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    socket.read_exact(&mut body).await.unwrap();
    [header.to_vec(), body].concat()
}

/// The (group, key length) of every key share in a ClientHello record.
fn key_shares(record: &[u8]) -> Vec<(u16, usize)> {
    let u16_at = |i: usize| u16::from_be_bytes([record[i], record[i + 1]]);
    assert_eq!(record[0], 22, "a handshake record");
    assert_eq!(record[5], 1, "a ClientHello");
    let mut i = 5 + 4 + 2 + 32; // record header, handshake header, legacy_version, random
    i += 1 + usize::from(record[i]); // legacy_session_id
    i += 2 + usize::from(u16_at(i)); // cipher_suites
    i += 1 + usize::from(record[i]); // legacy_compression_methods
    let end = i + 2 + usize::from(u16_at(i));
    i += 2;
    while i < end {
        let (kind, len) = (u16_at(i), usize::from(u16_at(i + 2)));
        if kind == 51 {
            let mut shares = Vec::new();
            let mut j = i + 6; // type, length, client_shares length
            while j < i + 4 + len {
                let (group, n) = (u16_at(j), usize::from(u16_at(j + 2)));
                shares.push((group, n));
                j += 4 + n;
            }
            return shares;
        }
        i += 4 + len;
    }
    Vec::new()
}

/// Probes a listener that keeps the first connection's first record and closes every connection
/// (the probe, finding no chain, goes on to try the other profiles; they are closed at once too).
async fn clienthello_of(name: &str) -> (Vec<u8>, probe::Report) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = Target::parse(&listener.local_addr().unwrap().to_string()).unwrap();
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(async move {
        let mut first_tx = Some(first_tx);
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            if let Some(tx) = first_tx.take() {
                let _ = tx.send(first_record(&mut socket).await);
            }
        }
    });
    let profiles = [ClientProfile::by_name(name).unwrap()];
    let report = probe::run(&target, &profiles).await.unwrap();
    server.abort();
    (first_rx.await.unwrap(), report)
}

#[tokio::test]
async fn ios26_sends_the_post_quantum_hybrid_share_and_an_x25519_share_and_reports_their_size() {
    let (record, report) = clienthello_of("ios26").await;
    assert_eq!(key_shares(&record), [(X25519MLKEM768, 1216), (X25519, 32)]);
    let reported = report.profile("ios26").unwrap().clienthello.unwrap();
    assert_eq!(reported.record_bytes, record.len());
    assert!(record.len() > 1024, "{}", record.len());
}

#[tokio::test]
async fn the_other_profiles_send_one_x25519_share_and_report_the_size_that_arrived() {
    for name in ["ios18", "android", "tls13-only"] {
        let (record, report) = clienthello_of(name).await;
        assert_eq!(key_shares(&record), [(X25519, 32)], "{name}");
        let reported = report.profile(name).unwrap().clienthello.unwrap();
        assert_eq!(reported.record_bytes, record.len(), "{name}");
    }
    // TLS 1.2 has no key_share extension: the group is chosen by the server later.
    let (record, _) = clienthello_of("tls12-only").await;
    assert!(key_shares(&record).is_empty());
}
