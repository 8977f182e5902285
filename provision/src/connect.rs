//! Reaching the accessory: a TCP connection, optionally bound to the joined Wi-Fi interface, retried
//! with backoff while the error is one a SoftAP produces for a moment (the link is still coming up,
//! the accessory is rebooting) and the deadline allows.
//!
//! Binding matters on a machine with two networks: the accessory's SoftAP address (192.168.4.1) may
//! also exist on the wired LAN, and only `SO_BINDTODEVICE` makes sure the credentials go out of the
//! interface that joined the accessory.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use crate::error::Error;
use crate::outcome::RoundTrips;

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Whether an error is one that goes away by itself on a SoftAP: refused (the accessory's server is
/// not up yet, or it is rebooting), unreachable (the link or the route is not up yet), reset or
/// aborted (a link flap).
pub(crate) fn is_transient(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused
            | ConnectionReset
            | ConnectionAborted
            | HostUnreachable
            | NetworkUnreachable
            | NetworkDown
            | AddrNotAvailable
            | TimedOut
    )
}

/// Connects to `addr`, bound to `bind_device` when given, retrying transient errors with backoff
/// until `deadline`. Every attempt counts as one TCP round trip.
pub(crate) async fn connect(
    addr: SocketAddr,
    bind_device: Option<&str>,
    deadline: Instant,
    round_trips: &mut RoundTrips,
) -> Result<TcpStream, Error> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempts = 0u32;
    // When the deadline cuts an attempt short, the error of the attempt before it says more than
    // "timed out" (an unanswered ARP takes ~3 s to become EHOSTUNREACH: the last one is often cut).
    let mut last_error: Option<io::Error> = None;
    loop {
        attempts += 1;
        round_trips.tcp += 1;
        let result = match tokio::time::timeout_at(deadline, connect_once(addr, bind_device)).await
        {
            Ok(r) => r,
            Err(_) => Err(ConnectError::Io(last_error.take().unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the deadline passed while connecting",
                )
            }))),
        };
        match result {
            Ok(stream) => {
                tracing::debug!(%addr, attempts, "connected");
                return Ok(stream);
            }
            Err(ConnectError::Bind(source)) => {
                return Err(Error::BindDevice {
                    device: bind_device.unwrap_or_default().to_owned(),
                    source,
                })
            }
            Err(ConnectError::Io(source)) => {
                let now = Instant::now();
                if !is_transient(&source) || now + backoff >= deadline {
                    return Err(Error::Connect {
                        addr,
                        attempts,
                        source,
                    });
                }
                tracing::debug!(%addr, attempts, error = %source, ?backoff, "transient; retrying");
                if source.kind() != io::ErrorKind::TimedOut {
                    last_error = Some(source);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

enum ConnectError {
    Bind(io::Error),
    Io(io::Error),
}

impl From<io::Error> for ConnectError {
    fn from(e: io::Error) -> Self {
        ConnectError::Io(e)
    }
}

async fn connect_once(
    addr: SocketAddr,
    bind_device: Option<&str>,
) -> Result<TcpStream, ConnectError> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(device) = bind_device {
        bind(&socket, device).map_err(ConnectError::Bind)?;
    }
    socket.set_nonblocking(true)?;
    // Requests are small and each one waits for its answer: Nagle would only add delay.
    socket.set_tcp_nodelay(true)?;
    let socket = TcpSocket::from_std_stream(socket.into());
    Ok(socket.connect(addr).await?)
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
fn bind(socket: &Socket, device: &str) -> io::Result<()> {
    socket.bind_device(Some(device.as_bytes()))
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
fn bind(_socket: &Socket, device: &str) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("binding to interface {device} needs SO_BINDTODEVICE (Linux)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_port_is_retried_until_the_deadline_then_reported_with_the_attempt_count() {
        // Bind then drop a listener: the port is now (almost certainly) closed.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut rt = RoundTrips::default();
        let deadline = Instant::now() + Duration::from_millis(300);
        match connect(addr, None, deadline, &mut rt).await {
            Err(Error::Connect {
                attempts, source, ..
            }) => {
                assert!(attempts > 1, "a refusal is transient and retried");
                assert_eq!(source.kind(), io::ErrorKind::ConnectionRefused);
                assert_eq!(rt.tcp, attempts);
            }
            other => panic!("expected a connect error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_server_that_comes_up_late_is_reached_within_the_deadline() {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let l = tokio::net::TcpListener::bind(addr).await.unwrap();
            let _ = l.accept().await;
        });
        let mut rt = RoundTrips::default();
        let deadline = Instant::now() + Duration::from_secs(10);
        connect(addr, None, deadline, &mut rt).await.unwrap();
        assert!(rt.tcp >= 2);
        late.await.unwrap();
    }

    #[tokio::test]
    async fn a_connection_bound_to_the_loopback_interface_reaches_a_loopback_server() {
        if !is_root() {
            eprintln!("skipped: SO_BINDTODEVICE needs CAP_NET_RAW (run as root, as CI does)");
            return;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
        let mut rt = RoundTrips::default();
        let deadline = Instant::now() + Duration::from_secs(5);
        connect(addr, Some("lo"), deadline, &mut rt).await.unwrap();
        accept.await.unwrap().unwrap();
        assert_eq!(rt.tcp, 1);
    }

    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .map(|l| l.split_whitespace().nth(2) == Some("0"))
            })
            .unwrap_or(false)
    }

    #[tokio::test]
    async fn binding_to_a_missing_interface_is_a_clear_error() {
        let mut rt = RoundTrips::default();
        let deadline = Instant::now() + Duration::from_secs(1);
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        match connect(addr, Some("nosuchif0"), deadline, &mut rt).await {
            Err(Error::BindDevice { device, .. }) => assert_eq!(device, "nosuchif0"),
            // Without CAP_NET_RAW the kernel may refuse the bind before the name is looked up;
            // either way it is the bind that fails, not the connect.
            other => panic!("expected a bind error, got {other:?}"),
        }
    }
}
