//! `--protocol auto`: which provisioning protocol an accessory speaks, asked with ESP-IDF's
//! `proto-ver` (the one protocomm endpoint that carries nothing secret and needs no session).
//!
//! Two questions, in this order, each on a connection of its own:
//!
//! 1. Plain HTTP: `POST /proto-ver` with ESP-IDF's `---` body. A device that answers 200 with
//!    protocomm's version JSON is an ESP-IDF device over HTTP (protocomm_httpd). Security 0 in that
//!    answer is refused here, as it is by `--protocol esp`.
//! 2. Otherwise, when the trust policy can decide (pins or anchors; not `--tofu`, which ESP-IDF
//!    provisioning does not offer): a TLS session whose certificate the policy accepts — nothing is
//!    sent to a peer it refuses — then the same `POST /proto-ver`. 200 with the version JSON is
//!    ESP-IDF over HTTPS; anything else (our API answers 404) is the accessory API.
//!
//! Whatever is not detected as ESP-IDF is left to the accessory API's run, which diagnoses it as
//! usual (a refused connection, a certificate the policy refuses, plain HTTP: `tls.not_tls`).
//! Detection costs one or two extra connections (two TCP and one TLS round trip at most).

use std::time::Duration;

use protocol::esp::{endpoint, ProtoVersion, PROTO_VER_REQUEST};
use tokio::time::Instant;

use super::{verified_tls, Conn, EspTransport};
use crate::error::Error;
use crate::outcome::RoundTrips;
use crate::request::Request;
use crate::step::Step;

/// Where ESP-IDF's protocomm_httpd listens by default.
const ESP_HTTP_PORT: u16 = 80;

/// The longest detection may take, whatever the run's deadline.
const DETECT_DEADLINE: Duration = Duration::from_secs(10);

/// What `--protocol auto` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// ESP-IDF provisioning.
    Esp {
        /// How it is carried.
        transport: EspTransport,
        /// The port it answered on.
        port: u16,
        /// Its `proto-ver` answer.
        version: ProtoVersion,
    },
    /// Not ESP-IDF: the accessory API (its run diagnoses anything else).
    Accessory,
}

/// Asks the accessory of `request` which protocol it speaks (see the module's documentation).
/// Plain HTTP is asked on port 80 when the address has the HTTPS default port (443, as when
/// joining a SoftAP), else on the port given.
pub async fn detect(request: &Request) -> Result<Detected, Error> {
    let deadline = Instant::now() + request.deadline.min(DETECT_DEADLINE);
    let Ok(addr) = crate::flow::resolve(request).await else {
        return Ok(Detected::Accessory);
    };
    let mut round_trips = RoundTrips::default();
    let bind = request.bind_device.as_deref();

    // 1. Plain HTTP.
    let http_port = match addr.port() {
        crate::DEFAULT_PORT => ESP_HTTP_PORT,
        port => port,
    };
    let http = std::net::SocketAddr::new(addr.ip(), http_port);
    if let Ok(tcp) = crate::connect::connect(http, bind, deadline, &mut round_trips).await {
        let mut conn = Conn::new(Box::new(tcp));
        if let Some(version) = ask(&mut conn, deadline).await? {
            return Ok(Detected::Esp {
                transport: EspTransport::Http,
                port: http_port,
                version,
            });
        }
    }

    // 2. TLS, verified by the policy before anything is sent.
    if request.trust.tofu {
        return Ok(Detected::Accessory);
    }
    let Ok(policy) = crate::flow::trust_policy(request) else {
        return Ok(Detected::Accessory);
    };
    let Ok(tcp) = crate::connect::connect(addr, bind, deadline, &mut round_trips).await else {
        return Ok(Detected::Accessory);
    };
    let session = tokio::time::timeout_at(deadline, verified_tls(request, policy, tcp, addr)).await;
    let Ok(Ok((tls, _key))) = session else {
        return Ok(Detected::Accessory);
    };
    let mut conn = Conn::new(tls);
    Ok(match ask(&mut conn, deadline).await? {
        Some(version) => Detected::Esp {
            transport: EspTransport::Https,
            port: addr.port(),
            version,
        },
        None => Detected::Accessory,
    })
}

/// `POST /proto-ver` on `conn`: the ESP-IDF device's version, or `None` for any other answer.
async fn ask(conn: &mut Conn, deadline: Instant) -> Result<Option<ProtoVersion>, Error> {
    let answer =
        tokio::time::timeout_at(deadline, conn.post(endpoint::PROTO_VER, PROTO_VER_REQUEST));
    let Ok(Ok(body)) = answer.await else {
        return Ok(None);
    };
    match ProtoVersion::parse(&body) {
        Ok(version) => Ok(Some(version)),
        Err(protocol::esp::Error::SecurityZeroRefused) => Err(Error::Esp {
            step: Step::Handshake,
            source: protocol::esp::Error::SecurityZeroRefused,
        }),
        Err(_) => Ok(None),
    }
}

/// `--protocol auto`: detects the protocol, then provisions as `--protocol esp` (with `srp`, or
/// else the request's PoP, as the proof) or as the accessory API (observed by `observer`).
/// `shutdown` resolving first ends the run as interrupted.
pub async fn run_detected(
    mut request: Request,
    srp: Option<super::EspProof>,
    observer: &crate::event::Observer,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<crate::outcome::Outcome, crate::outcome::Failure> {
    let found = match detect(&request).await {
        Ok(found) => found,
        Err(error) => return Err(super::refused(&request, error)),
    };
    match found {
        Detected::Accessory => crate::flow::run_observed(request, observer, shutdown).await,
        Detected::Esp {
            transport,
            port,
            version,
        } => {
            request.accessory.port = port;
            tracing::info!(
                esp = %version.ver,
                sec_ver = version.scheme.sec_ver(),
                transport = ?transport,
                "detected an ESP-IDF device"
            );
            let proof = match (srp, request.pop.take()) {
                (Some(srp), _) => srp,
                (None, Some(pop)) => super::EspProof::Pop(pop),
                (None, None) => {
                    let error = Error::InvalidRequest(format!(
                        "the accessory speaks ESP-IDF provisioning (security {}); give its proof: --pop-file (security 1) or --esp-password-file (security 2)",
                        version.scheme.sec_ver()
                    ));
                    return Err(super::refused(&request, error));
                }
            };
            super::run(request, transport, proof, shutdown).await
        }
    }
}
