//! Where the probe's connections go: the accessory's address and, with `--interface`, the one
//! interface they must leave by, as a phone's leave by its Wi-Fi.
//!
//! A machine on the SoftAP and on a wired LAN at once has two ways out; a connection that leaves by
//! the wrong one never reaches 192.168.4.1, and what the user sees ("no route", a timeout) reads
//! like an accessory out of range. So before any connection, an interface is checked: the
//! accessory's address must be on one of its subnets (`ip -o addr show dev IFACE`), else the probe
//! says "wrong interface" and connects nowhere. Then every connection is bound to it
//! (`SO_BINDTODEVICE`, Linux).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;

use tokio::net::{TcpSocket, TcpStream};

use crate::Error;

/// The accessory's address and the interface connections must use, if one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The accessory.
    pub addr: SocketAddr,
    /// The interface every connection is bound to (`wlan0`); `None`: the system's routing decides.
    pub interface: Option<String>,
}

impl From<SocketAddr> for Route {
    fn from(addr: SocketAddr) -> Self {
        Route {
            addr,
            interface: None,
        }
    }
}

impl Route {
    /// `addr` through `interface`, checked: the accessory must be on one of the interface's
    /// subnets ([`Error::WrongInterface`] otherwise, before anything is sent).
    pub fn via(addr: SocketAddr, interface: Option<String>) -> Result<Self, Error> {
        let route = Route { addr, interface };
        if let Some(name) = &route.interface {
            let subnets = subnets(name).map_err(|reason| Error::WrongInterface {
                interface: name.clone(),
                target: addr,
                reason,
            })?;
            if !subnets
                .iter()
                .any(|(net, len)| contains(*net, *len, addr.ip()))
            {
                let have = if subnets.is_empty() {
                    "no address".to_owned()
                } else {
                    subnets
                        .iter()
                        .map(|(ip, len)| format!("{ip}/{len}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(Error::WrongInterface {
                    interface: name.clone(),
                    target: addr,
                    reason: format!(
                        "{} is not on its subnets ({have}): the connection would not reach the \
                         accessory through it; join the accessory's SoftAP on this interface, or \
                         give the interface that joined it",
                        addr.ip()
                    ),
                });
            }
        }
        Ok(route)
    }

    /// A TCP connection to the accessory, bound to the interface when one was given.
    pub(crate) async fn connect(&self) -> io::Result<TcpStream> {
        let Some(device) = &self.interface else {
            return TcpStream::connect(self.addr).await;
        };
        let socket = if self.addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        bind(&socket, device)?;
        socket.connect(self.addr).await
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn bind(socket: &TcpSocket, device: &str) -> io::Result<()> {
    socket.bind_device(Some(device.as_bytes()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn bind(_socket: &TcpSocket, _device: &str) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "binding to an interface needs Linux (SO_BINDTODEVICE)",
    ))
}

/// The addresses of `interface` with their prefix lengths, from iproute2.
fn subnets(interface: &str) -> Result<Vec<(IpAddr, u8)>, String> {
    let out = Command::new("ip")
        .args(["-o", "addr", "show", "dev", interface])
        .output()
        .map_err(|e| format!("cannot run `ip` to read its addresses: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "no such interface ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(parse_ip_addr(&String::from_utf8_lossy(&out.stdout)))
}

/// `2: eth0    inet 10.0.2.15/24 brd … scope global eth0` -> (10.0.2.15, 24), per line.
fn parse_ip_addr(text: &str) -> Vec<(IpAddr, u8)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            words.find(|w| *w == "inet" || *w == "inet6")?;
            let (ip, len) = words.next()?.split_once('/')?;
            Some((ip.parse().ok()?, len.parse().ok()?))
        })
        .collect()
}

fn contains(net: IpAddr, len: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(len.min(32)))
                .unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(len.min(128)))
                .unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addr_lines_are_read_as_subnets_and_membership_is_by_prefix() {
        let text = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n\
                    2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\n\
                    2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever\n";
        let nets = parse_ip_addr(text);
        assert_eq!(nets.len(), 3);
        let (net, len) = nets[1];
        assert!(contains(net, len, "10.0.2.200".parse().unwrap()));
        assert!(!contains(net, len, "192.168.4.1".parse().unwrap()));
        assert!(contains(nets[0].0, nets[0].1, "127.9.9.9".parse().unwrap()));
        assert!(!contains(
            nets[2].0,
            nets[2].1,
            "192.168.4.1".parse().unwrap()
        ));
    }

    #[test]
    fn an_accessory_off_the_interfaces_subnets_is_a_wrong_interface_not_a_connection_failure() {
        let err = Route::via("192.0.2.1:443".parse().unwrap(), Some("lo".into())).unwrap_err();
        assert_eq!(err.code(), "net.wrong_interface");
        assert!(
            err.to_string().contains("not on its subnets (127.0.0.1/8"),
            "{err}"
        );
        let ok = Route::via("127.0.0.1:443".parse().unwrap(), Some("lo".into())).unwrap();
        assert_eq!(ok.interface.as_deref(), Some("lo"));
        let none = Route::via("127.0.0.1:443".parse().unwrap(), Some("nosuch0".into()));
        assert!(none.unwrap_err().to_string().contains("no such interface"));
    }
}
