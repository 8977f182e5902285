//! The accessory to probe: `HOST:PORT` as the user wrote it (parsed by `protocol::AccessoryAddress`),
//! and the name each ClientHello carries.

use std::net::SocketAddr;

use protocol::{AccessoryAddress, Host};
use rustls::pki_types::ServerName;

use crate::Error;

/// A parsed `HOST:PORT` (`192.168.4.1:443`, `sim-0001.accessory.local:8443`, `[fe80::1]:443`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    input: String,
    address: AccessoryAddress,
}

impl Target {
    /// Parses `HOST[:PORT]`; the port defaults to 443, as `provision --accessory` does.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let bad = |reason| Error::Target {
            input: input.to_owned(),
            reason,
        };
        let address = input
            .parse::<AccessoryAddress>()
            .map_err(|e| bad(e.as_str()))?;
        if let Host::Name(name) = &address.host {
            if ServerName::try_from(name.as_str()).is_err() {
                return Err(bad("the host is neither an IP address nor a DNS name"));
            }
        }
        Ok(Self {
            input: input.to_owned(),
            address,
        })
    }

    /// The name in every ClientHello: an IP address sends no SNI (as a phone talking to
    /// 192.168.4.1 does), a DNS name does.
    pub fn server_name(&self) -> ServerName<'static> {
        match &self.address.host {
            Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
            Host::Name(name) => ServerName::try_from(name.clone()).expect("checked in parse"),
        }
    }

    /// The name sent as SNI: the host when it is a DNS name, none for an address.
    pub fn sni(&self) -> Option<String> {
        match self.server_name() {
            ServerName::DnsName(d) => Some(d.as_ref().to_owned()),
            _ => None,
        }
    }

    /// Resolves the host (the first address wins: a probe compares profiles on one address).
    pub async fn resolve(&self) -> Result<SocketAddr, Error> {
        if let Some(addr) = self.address.socket_addr() {
            return Ok(addr);
        }
        let resolve = |source| Error::Resolve {
            host: self.address.host.to_string(),
            source,
        };
        let host = self.address.host.to_string();
        let mut addrs = tokio::net::lookup_host((host, self.address.port))
            .await
            .map_err(resolve)?;
        addrs
            .next()
            .ok_or_else(|| resolve(std::io::Error::other("no address")))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_ip_name_and_bracketed_v6() {
        assert!(matches!(
            Target::parse("192.168.4.1:443").unwrap().server_name(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            Target::parse("sim.accessory.local:8443")
                .unwrap()
                .server_name(),
            ServerName::DnsName(_)
        ));
        assert!(matches!(
            Target::parse("[::1]:8443").unwrap().server_name(),
            ServerName::IpAddress(_)
        ));
    }

    #[test]
    fn a_target_without_a_port_is_on_443_like_provision() {
        let t = Target::parse("192.168.4.1").unwrap();
        assert_eq!(t.address.port, 443);
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        for (input, says) in [
            ("192.168.4.1:https", "port"),
            ("[::1", "missing ']'"),
            (":443", "no host"),
            ("192.168.4.1:0", "port"),
        ] {
            let e = Target::parse(input).unwrap_err().to_string();
            assert!(e.contains(says), "{input}: {e}");
        }
    }
}
