//! Link faults on a simulated SoftAP: what a phone's Wi-Fi does to a provisioning session.
//!
//! - `flap=DOWN@AFTER` (default `flap=2s@8s`): the accessory end of the link goes down for DOWN,
//!   AFTER the first DHCP lease. The default follows the one field report found (Apple Developer
//!   Forums, network tag, iOS 17: after re-enabling Wi-Fi, NWPathMonitor reported `.satisfied` at
//!   T+0 s and `.unsatisfied` / `.notAvailable` at T+8 s, T+9-10 s cut off): the path goes away about
//!   8 s AFTER joining. How long it stays down (2 s here) and whether a SoftAP without internet
//!   does the same are unverified.
//!   Done with `ip link set ... down/up` on the accessory end, so the station sees a real carrier loss.
//! - `no-route`: the accessory end never answers ARP (`arp_ignore=8`), as when the AP's client
//!   isolation or a crashed accessory leaves the station resolving 192.168.4.1 in vain: the
//!   station's kernel gives up after its neighbour probes and `connect` fails with EHOSTUNREACH
//!   ("No route to host", errno 113 on Linux, 65 on Apple). It starts at once, which is deterministic:
//!   DHCP still works because its replies are broadcast, and nothing asks the station to ARP the
//!   accessory before the first connect.
//! - `latency=D`: a user-space relay in front of the HTTPS server that holds every chunk for D in each
//!   direction (so a round trip costs 2·D), pipelined like a real link. The kernel here has no netem.
//!   The TCP handshake itself is answered by the relay without delay; data is delayed.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// One link fault. Parsed from `flap`, `flap=8s@2s`, `no-route`, `latency=50ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkFault {
    /// The accessory end goes down for `down`, starting `after` the first lease.
    Flap {
        /// How long the link stays down.
        down: Duration,
        /// How long after the first lease it goes down.
        after: Duration,
    },
    /// The accessory never answers ARP: the station's connects fail with EHOSTUNREACH.
    NoRoute,
    /// Every chunk is delayed by this much in each direction.
    Latency(Duration),
}

impl LinkFault {
    /// The names accepted by [`FromStr`], for help texts and errors.
    pub const NAMES: &'static [&'static str] = &["flap[=DOWN@AFTER]", "no-route", "latency=DELAY"];
}

/// A link fault that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown link fault `{0}`: expected flap[=DOWN@AFTER] (e.g. flap=8s@2s), no-route or latency=DELAY (e.g. latency=50ms)")]
pub struct ParseLinkFaultError(pub String);

impl FromStr for LinkFault {
    type Err = ParseLinkFaultError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseLinkFaultError(s.to_owned());
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (s, None),
        };
        match (name, value) {
            ("flap", None) => Ok(LinkFault::Flap {
                down: Duration::from_secs(2),
                after: Duration::from_secs(8),
            }),
            ("flap", Some(v)) => {
                let (down, after) = match v.split_once('@') {
                    Some((d, a)) => (parse_duration(d), parse_duration(a)),
                    None => (parse_duration(v), Some(Duration::from_secs(8))),
                };
                Ok(LinkFault::Flap {
                    down: down.ok_or_else(err)?,
                    after: after.ok_or_else(err)?,
                })
            }
            ("no-route", None) => Ok(LinkFault::NoRoute),
            ("latency", Some(v)) => Ok(LinkFault::Latency(parse_duration(v).ok_or_else(err)?)),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for LinkFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkFault::Flap { down, after } => {
                write!(f, "flap={}ms@{}ms", down.as_millis(), after.as_millis())
            }
            LinkFault::NoRoute => f.write_str("no-route"),
            LinkFault::Latency(d) => write!(f, "latency={}ms", d.as_millis()),
        }
    }
}

/// `500ms`, `8s`, `1.5s`, or a bare number of seconds.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse::<u64>().ok().map(Duration::from_millis);
    }
    let secs = s.strip_suffix('s').unwrap_or(s);
    let v: f64 = secs.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v))
}

/// Accepts on `front` and relays each connection to `back`, holding every chunk for `delay` in each
/// direction. Runs until the task is dropped.
pub(crate) async fn latency_relay(front: TcpListener, back: SocketAddr, delay: Duration) {
    loop {
        let Ok((client, _)) = front.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(back).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::join!(delayed_copy(cr, sw, delay), delayed_copy(sr, cw, delay));
        });
    }
}

/// Copies `from` to `to`, each chunk released `delay` after it was read; a chunk read while an
/// earlier one waits is not held up behind it more than the link would (the queue is a delay line).
async fn delayed_copy<R, W>(mut from: R, mut to: W, delay: Duration)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        // Dropping `tx` tells the writer the stream ended (after the chunks still in flight).
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_faults_parse_from_their_command_line_spelling() {
        assert_eq!(
            "flap".parse(),
            Ok(LinkFault::Flap {
                down: Duration::from_secs(2),
                after: Duration::from_secs(8)
            })
        );
        assert_eq!(
            "flap=3s@500ms".parse(),
            Ok(LinkFault::Flap {
                down: Duration::from_secs(3),
                after: Duration::from_millis(500)
            })
        );
        assert_eq!("no-route".parse(), Ok(LinkFault::NoRoute));
        assert_eq!(
            "latency=50ms".parse(),
            Ok(LinkFault::Latency(Duration::from_millis(50)))
        );
        assert!("latency".parse::<LinkFault>().is_err());
        assert!("flap=soon".parse::<LinkFault>().is_err());
        assert!("jitter=5ms".parse::<LinkFault>().is_err());
    }

    #[tokio::test]
    async fn the_latency_relay_delivers_bytes_both_ways_and_delays_them() {
        let back = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let back_addr = back.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = back.accept().await.unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front_addr = front.local_addr().unwrap();
        let relay = tokio::spawn(latency_relay(front, back_addr, Duration::from_millis(30)));
        let mut c = TcpStream::connect(front_addr).await.unwrap();
        let start = std::time::Instant::now();
        c.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        // One round trip through the relay is at least two one-way delays.
        assert!(start.elapsed() >= Duration::from_millis(60));
        relay.abort();
    }
}
