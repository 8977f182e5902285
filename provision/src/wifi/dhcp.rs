//! The station's DHCP client: DISCOVER, OFFER, REQUEST, ACK (and RELEASE on leaving), RFC 2131,
//! encoded and parsed by `dhcproto`.
//!
//! It speaks over an ordinary UDP socket on port 68 bound to the joined interface
//! (`SO_BINDTODEVICE`), with the BROADCAST flag set so the server answers to 255.255.255.255: the
//! interface has no address yet, and a broadcast reaches a device-bound socket without one. (A raw
//! `AF_PACKET` socket would need unsafe code to build its address; this does not.) Several clients on
//! several interfaces can run at once: sockets bound to different devices may share port 68.
//!
//! The client does not touch routes: it returns the lease, and the caller puts the address on the
//! interface. The router from the lease is the accessory's address; no default route is installed, so
//! the station's own network stays as it was.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use socket2::{Domain, Protocol, Socket, Type};

use super::{Lease, WifiError};

/// The first retransmission interval; doubled up to [`MAX_RETRY`] (RFC 2131 4.1 suggests 4 s, then
/// doubling; a SoftAP is one hop away, so this starts sooner).
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(4);

/// A lease with the hardware address it was given to (needed to release it).
#[derive(Debug, Clone)]
pub(crate) struct Granted {
    pub lease: Lease,
    pub mac: [u8; 6],
}

/// Runs the four-message exchange on `interface` until `timeout` passes.
pub(crate) fn obtain(interface: &str, timeout: Duration) -> Result<Granted, WifiError> {
    let mac = hardware_address(interface)?;
    let socket = client_socket(interface).map_err(|source| WifiError::Dhcp {
        interface: interface.to_owned(),
        message: format!("cannot open the DHCP client socket: {source}"),
    })?;
    let deadline = Instant::now() + timeout;
    let xid: u32 = rand_xid();
    let dhcp_err = |message: String| WifiError::Dhcp {
        interface: interface.to_owned(),
        message,
    };

    let discover = discover(xid, &mac);
    let offer = exchange(&socket, &discover, xid, deadline, |m| {
        m.opts().msg_type() == Some(MessageType::Offer)
    })
    .map_err(|e| dhcp_err(format!("no DHCPOFFER: {e}")))?;
    let offered = offer.yiaddr();
    let server = match offer.opts().get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(s)) => *s,
        _ => return Err(dhcp_err("the DHCPOFFER has no server identifier".into())),
    };

    let request = request(xid, &mac, offered, server);
    let ack = exchange(&socket, &request, xid, deadline, |m| {
        matches!(
            m.opts().msg_type(),
            Some(MessageType::Ack) | Some(MessageType::Nak)
        )
    })
    .map_err(|e| dhcp_err(format!("no DHCPACK: {e}")))?;
    if ack.opts().msg_type() == Some(MessageType::Nak) {
        return Err(dhcp_err(format!(
            "the server {server} refused {offered} (DHCPNAK)"
        )));
    }
    Ok(Granted {
        lease: lease_from(interface, &ack, server),
        mac,
    })
}

/// Tells the server the address is free again (best effort: a RELEASE has no answer).
pub(crate) fn release(granted: &Granted) {
    let Some(server) = granted.lease.server else {
        return;
    };
    let Ok(socket) = client_socket(&granted.lease.interface) else {
        return;
    };
    let mut msg = Message::new_with_id(
        rand_xid(),
        granted.lease.address,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        &granted.mac,
    );
    msg.set_opcode(Opcode::BootRequest);
    msg.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Release));
    msg.opts_mut().insert(DhcpOption::ServerIdentifier(server));
    if let Ok(bytes) = encode(&msg) {
        let _ = socket.send_to(&bytes, SocketAddr::from((server, 67)));
    }
}

pub(crate) fn discover(xid: u32, mac: &[u8; 6]) -> Message {
    let mut msg = base(xid, mac);
    msg.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Discover));
    msg
}

pub(crate) fn request(xid: u32, mac: &[u8; 6], offered: Ipv4Addr, server: Ipv4Addr) -> Message {
    let mut msg = base(xid, mac);
    msg.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Request));
    msg.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(offered));
    msg.opts_mut().insert(DhcpOption::ServerIdentifier(server));
    msg
}

fn base(xid: u32, mac: &[u8; 6]) -> Message {
    let mut msg = Message::new_with_id(
        xid,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        mac,
    );
    msg.set_opcode(Opcode::BootRequest);
    msg.set_flags(Flags::default().set_broadcast());
    let mut client_id = vec![1u8]; // hardware type 1: Ethernet
    client_id.extend_from_slice(mac);
    msg.opts_mut()
        .insert(DhcpOption::ClientIdentifier(client_id));
    msg.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::Router,
        OptionCode::AddressLeaseTime,
        OptionCode::ServerIdentifier,
    ]));
    msg
}

/// What the station learns from a DHCPACK.
pub(crate) fn lease_from(interface: &str, ack: &Message, server: Ipv4Addr) -> Lease {
    let prefix_len = match ack.opts().get(OptionCode::SubnetMask) {
        Some(DhcpOption::SubnetMask(mask)) => u32::from(*mask).count_ones() as u8,
        _ => 24,
    };
    let router = match ack.opts().get(OptionCode::Router) {
        Some(DhcpOption::Router(r)) => r.first().copied(),
        _ => None,
    };
    let lease_time = match ack.opts().get(OptionCode::AddressLeaseTime) {
        Some(DhcpOption::AddressLeaseTime(s)) => Some(Duration::from_secs(u64::from(*s))),
        _ => None,
    };
    Lease {
        interface: interface.to_owned(),
        address: ack.yiaddr(),
        prefix_len,
        router,
        server: Some(server),
        lease_time,
    }
}

/// Sends `msg` (broadcast) and waits for an answer with our `xid` that `wanted` accepts, resending
/// with backoff until `deadline`.
fn exchange(
    socket: &UdpSocket,
    msg: &Message,
    xid: u32,
    deadline: Instant,
    wanted: impl Fn(&Message) -> bool,
) -> io::Result<Message> {
    let bytes = encode(msg)?;
    let to: SocketAddr = SocketAddrV4::new(Ipv4Addr::BROADCAST, 67).into();
    let mut retry = FIRST_RETRY;
    let mut buf = [0u8; 1500];
    loop {
        socket.send_to(&bytes, to)?;
        let resend_at = Instant::now() + retry;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no answer from a DHCP server before the deadline",
                ));
            }
            if now >= resend_at {
                break;
            }
            socket.set_read_timeout(Some(resend_at.min(deadline) - now))?;
            match socket.recv_from(&mut buf) {
                Ok((n, _from)) => {
                    let Ok(reply) = Message::decode(&mut Decoder::new(&buf[..n])) else {
                        continue;
                    };
                    if reply.opcode() == Opcode::BootReply && reply.xid() == xid && wanted(&reply) {
                        return Ok(reply);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        retry = (retry * 2).min(MAX_RETRY);
    }
}

fn encode(msg: &Message) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(300);
    msg.encode(&mut Encoder::new(&mut out))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    Ok(out)
}

fn client_socket(interface: &str) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_broadcast(true)?;
    socket.bind_device(Some(interface.as_bytes()))?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 68)).into())?;
    Ok(socket.into())
}

/// The interface's MAC address, from sysfs.
pub(crate) fn hardware_address(interface: &str) -> Result<[u8; 6], WifiError> {
    let path = format!("/sys/class/net/{interface}/address");
    let text = std::fs::read_to_string(&path).map_err(|e| WifiError::Interface {
        interface: interface.to_owned(),
        message: format!("cannot read {path}: {e}"),
    })?;
    parse_mac(text.trim()).ok_or_else(|| WifiError::Interface {
        interface: interface.to_owned(),
        message: format!("`{}` is not an Ethernet address", text.trim()),
    })
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut mac {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// A transaction id: not a secret, only needs to differ between clients.
fn rand_xid() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discover_asks_for_a_broadcast_answer_and_the_router() {
        let mac = [0x02, 0, 0, 0, 0, 1];
        let bytes = encode(&discover(0x1234_5678, &mac)).unwrap();
        let m = Message::decode(&mut Decoder::new(&bytes)).unwrap();
        assert_eq!(m.xid(), 0x1234_5678);
        assert!(m.flags().broadcast());
        assert_eq!(&m.chaddr()[..6], &mac);
        assert_eq!(m.opts().msg_type(), Some(MessageType::Discover));
        match m.opts().get(OptionCode::ParameterRequestList) {
            Some(DhcpOption::ParameterRequestList(l)) => assert!(l.contains(&OptionCode::Router)),
            other => panic!("no parameter request list: {other:?}"),
        }
    }

    #[test]
    fn a_request_names_the_offered_address_and_the_server() {
        let mac = [0x02, 0, 0, 0, 0, 1];
        let offered = Ipv4Addr::new(192, 168, 4, 23);
        let server = Ipv4Addr::new(192, 168, 4, 1);
        let m = request(7, &mac, offered, server);
        assert_eq!(
            m.opts().get(OptionCode::RequestedIpAddress),
            Some(&DhcpOption::RequestedIpAddress(offered))
        );
        assert_eq!(
            m.opts().get(OptionCode::ServerIdentifier),
            Some(&DhcpOption::ServerIdentifier(server))
        );
    }

    #[test]
    fn a_lease_takes_its_prefix_router_and_time_from_the_ack() {
        let mut ack = Message::default();
        ack.set_opcode(Opcode::BootReply)
            .set_yiaddr(Ipv4Addr::new(192, 168, 4, 57));
        ack.opts_mut()
            .insert(DhcpOption::MessageType(MessageType::Ack));
        ack.opts_mut()
            .insert(DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)));
        ack.opts_mut()
            .insert(DhcpOption::Router(vec![Ipv4Addr::new(192, 168, 4, 1)]));
        ack.opts_mut().insert(DhcpOption::AddressLeaseTime(3600));
        let lease = lease_from("sta0", &ack, Ipv4Addr::new(192, 168, 4, 1));
        assert_eq!(lease.address, Ipv4Addr::new(192, 168, 4, 57));
        assert_eq!(lease.prefix_len, 24);
        assert_eq!(lease.router, Some(Ipv4Addr::new(192, 168, 4, 1)));
        assert_eq!(lease.lease_time, Some(Duration::from_secs(3600)));
    }

    #[test]
    fn mac_addresses_parse_from_sysfs_text() {
        assert_eq!(
            parse_mac("02:ab:00:00:00:ff"),
            Some([2, 0xab, 0, 0, 0, 0xff])
        );
        assert_eq!(parse_mac("02:ab:00"), None);
    }
}
