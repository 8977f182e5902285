//! The accessory to probe: `HOST:PORT` as the user wrote it, and the name each ClientHello carries.

use std::net::{IpAddr, SocketAddr};

use rustls::pki_types::ServerName;

use crate::Error;

/// A parsed `HOST:PORT` (`192.168.4.1:443`, `sim-0001.accessory.local:8443`, `[fe80::1]:443`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    input: String,
    host: String,
    port: u16,
}

impl Target {
    /// Parses `HOST:PORT`; the port is required (an accessory's is rarely 443 in a lab).
    pub fn parse(input: &str) -> Result<Self, Error> {
        let bad = |reason| Error::Target {
            input: input.to_owned(),
            reason,
        };
        let (host, port) = input.rsplit_once(':').ok_or(bad("no port"))?;
        let host = match host.strip_prefix('[') {
            Some(rest) => rest.strip_suffix(']').ok_or(bad("unclosed `[`"))?,
            None if host.contains(':') => return Err(bad("an IPv6 address must be in brackets")),
            None => host,
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port: u16 = port
            .parse()
            .map_err(|_| bad("the port is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
        if host.parse::<IpAddr>().is_err() && ServerName::try_from(host).is_err() {
            return Err(bad("the host is neither an IP address nor a DNS name"));
        }
        Ok(Self {
            input: input.to_owned(),
            host: host.to_owned(),
            port,
        })
    }

    /// The name in every ClientHello: an IP address sends no SNI (as a phone talking to
    /// 192.168.4.1 does), a DNS name does.
    pub fn server_name(&self) -> ServerName<'static> {
        match self.host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(self.host.clone()).expect("checked in parse"),
        }
    }

    /// Resolves the host (the first address wins: a probe compares profiles on one address).
    pub async fn resolve(&self) -> Result<SocketAddr, Error> {
        let resolve = |source| Error::Resolve {
            host: self.host.clone(),
            source,
        };
        tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(resolve)?
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
    fn bad_targets_say_what_is_wrong() {
        for (input, says) in [
            ("192.168.4.1", "no port"),
            ("192.168.4.1:https", "port"),
            ("::1:443", "brackets"),
            (":443", "no host"),
            ("192.168.4.1:0", "port"),
        ] {
            let e = Target::parse(input).unwrap_err().to_string();
            assert!(e.contains(says), "{input}: {e}");
        }
    }
}
