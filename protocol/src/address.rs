//! Where an accessory is: `HOST[:PORT]` as a person types it, the port 443 unless given (DESIGN.md:
//! "default port 443 on the SoftAP address").

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The HTTPS port of the accessory API when none is given.
pub const DEFAULT_PORT: u16 = 443;

/// The host part of an [`AccessoryAddress`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IPv4 or IPv6 address (a SoftAP's `192.168.4.1`).
    Ip(IpAddr),
    /// A DNS name (`plug.local`), not resolved here.
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => ip.fmt(f),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 address; the port defaults to
/// [`DEFAULT_PORT`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccessoryAddress {
    /// The host.
    pub host: Host,
    /// The TCP port.
    pub port: u16,
}

/// Why a `HOST[:PORT]` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// Nothing was given.
    Empty,
    /// No host before the port.
    NoHost,
    /// A port was required ([`AccessoryAddress::parse_with_port`]) and none was given.
    NoPort,
    /// The port is not 1 to 65535.
    BadPort,
    /// `[` without `]`.
    UnclosedBracket,
    /// Text after `]` that is not `:PORT`.
    AfterBracket,
    /// An IPv6 address with a port, not in brackets.
    UnbracketedV6,
    /// Neither an IP address nor a DNS name.
    BadHost,
}

impl AddressError {
    /// What is wrong, in plain words.
    pub const fn as_str(self) -> &'static str {
        match self {
            AddressError::Empty => "empty",
            AddressError::NoHost => "no host name",
            AddressError::NoPort => "no port",
            AddressError::BadPort => "the port must be a number from 1 to 65535",
            AddressError::UnclosedBracket => "missing ']'",
            AddressError::AfterBracket => "unexpected text after ']'",
            AddressError::UnbracketedV6 => "an IPv6 address must be in brackets to carry a port",
            AddressError::BadHost => "the host is neither an IP address nor a DNS name",
        }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for AddressError {}

impl AccessoryAddress {
    /// An address a join step found (`192.168.4.1:443` on the SoftAP).
    pub fn from_socket_addr(addr: SocketAddr) -> Self {
        AccessoryAddress {
            host: Host::Ip(addr.ip()),
            port: addr.port(),
        }
    }

    /// The socket address, when the host is an IP address (a DNS name needs resolving first).
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self.host {
            Host::Ip(ip) => Some(SocketAddr::new(ip, self.port)),
            Host::Name(_) => None,
        }
    }

    /// `host:port` as the `Host` header carries it (an IPv6 address in brackets).
    pub fn authority(&self) -> String {
        match self.host {
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }

    /// Parses `HOST:PORT`, refusing an address without a port (a lab tool naming a port it
    /// cannot guess).
    pub fn parse_with_port(s: &str) -> Result<Self, AddressError> {
        parse(s, false)
    }
}

impl fmt::Display for AccessoryAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.authority())
    }
}

impl FromStr for AccessoryAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        parse(s, true)
    }
}

fn parse(s: &str, port_optional: bool) -> Result<AccessoryAddress, AddressError> {
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        if addr.port() == 0 {
            return Err(AddressError::BadPort);
        }
        return Ok(AccessoryAddress::from_socket_addr(addr));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return match (port_optional, ip) {
            (true, _) => Ok(AccessoryAddress::from_socket_addr(SocketAddr::new(
                ip,
                DEFAULT_PORT,
            ))),
            (false, IpAddr::V6(_)) => Err(AddressError::UnbracketedV6),
            (false, IpAddr::V4(_)) => Err(AddressError::NoPort),
        };
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(AddressError::UnclosedBracket)?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(AddressError::AfterBracket),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => return Err(AddressError::UnbracketedV6),
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or(AddressError::BadPort)?,
        None if port_optional => DEFAULT_PORT,
        None => return Err(AddressError::NoPort),
    };
    if host.is_empty() {
        return Err(AddressError::NoHost);
    }
    let host = match host.parse::<IpAddr>() {
        Ok(ip) => Host::Ip(ip),
        Err(_) if is_dns_name(host) => Host::Name(host.to_owned()),
        Err(_) => return Err(AddressError::BadHost),
    };
    Ok(AccessoryAddress { host, port })
}

/// A DNS name as a TLS client would send it: labels of 1 to 63 letters, digits, `-` or `_`,
/// separated by dots, at most 253 characters.
fn is_dns_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_a_port_uses_443() {
        let a: AccessoryAddress = "192.168.4.1".parse().unwrap();
        assert_eq!(a.authority(), "192.168.4.1:443");
        let a: AccessoryAddress = "plug.local".parse().unwrap();
        assert_eq!(a.host, Host::Name("plug.local".into()));
        assert_eq!((a.port, a.socket_addr()), (443, None));
        let a: AccessoryAddress = "[::1]".parse().unwrap();
        assert_eq!(a.authority(), "[::1]:443");
        let a: AccessoryAddress = "fe80::1".parse().unwrap();
        assert_eq!(a.authority(), "[fe80::1]:443");
    }

    #[test]
    fn ports_and_bracketed_ipv6_are_read() {
        let a: AccessoryAddress = "[::1]:8443".parse().unwrap();
        assert_eq!(a.authority(), "[::1]:8443");
        assert_eq!(a.socket_addr(), Some("[::1]:8443".parse().unwrap()));
        let a: AccessoryAddress = "sim-0001.accessory.local:8443".parse().unwrap();
        assert_eq!(a.to_string(), "sim-0001.accessory.local:8443");
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        for (input, err) in [
            ("", AddressError::Empty),
            ("host:0", AddressError::BadPort),
            ("192.168.4.1:0", AddressError::BadPort),
            ("[::1]:0", AddressError::BadPort),
            ("host:https", AddressError::BadPort),
            ("host:65536", AddressError::BadPort),
            (":443", AddressError::NoHost),
            ("[::1", AddressError::UnclosedBracket),
            ("[::1]x", AddressError::AfterBracket),
            ("fe80::1::2:443", AddressError::UnbracketedV6),
            ("bad host", AddressError::BadHost),
            ("a..b", AddressError::BadHost),
        ] {
            assert_eq!(input.parse::<AccessoryAddress>(), Err(err), "{input:?}");
        }
    }

    #[test]
    fn a_required_port_is_required() {
        assert_eq!(
            AccessoryAddress::parse_with_port("192.168.4.1"),
            Err(AddressError::NoPort)
        );
        assert_eq!(
            AccessoryAddress::parse_with_port("plug.local"),
            Err(AddressError::NoPort)
        );
        assert_eq!(
            AccessoryAddress::parse_with_port("::1:443"),
            Err(AddressError::UnbracketedV6)
        );
        assert_eq!(
            AccessoryAddress::parse_with_port("[::1]:443").unwrap().port,
            443
        );
    }
}
