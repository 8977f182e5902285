//! The `none` backend: the station is already on the accessory's network (joined by hand, by the
//! phone's settings, or it is a wired test rig). Given an interface, it reads the interface's address
//! and binds to it; given nothing, there is no lease and no binding, and the accessory address comes
//! from `--accessory`.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Lease, ScanResult, WifiBackend, WifiError};

const NAME: &str = "none";

/// Already joined.
#[derive(Debug, Default)]
pub struct NoneBackend {
    interface: Option<String>,
}

impl NoneBackend {
    /// Already joined on `interface` (its address is read and connections are bound to it), or,
    /// with `None`, on whatever route reaches the accessory.
    pub fn new(interface: Option<String>) -> Self {
        NoneBackend { interface }
    }
}

impl WifiBackend for NoneBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Nothing to scan: the network is whatever the station is on. Reports it under any name, so
    /// `--ssid` is not needed with this backend.
    fn scan(&mut self) -> Result<Vec<ScanResult>, WifiError> {
        Ok(Vec::new())
    }

    fn join(&mut self, _network: &ScanResult, _passphrase: Option<&str>) -> Result<(), WifiError> {
        Ok(())
    }

    fn address(&mut self, _timeout: Duration) -> Result<Lease, WifiError> {
        let Some(interface) = &self.interface else {
            return Err(WifiError::Interface {
                interface: String::new(),
                message: "the `none` backend needs --interface to know where it is joined".into(),
            });
        };
        let out = Command::new("ip")
            .args(["-4", "-o", "addr", "show", "dev", interface])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| WifiError::Interface {
                interface: interface.clone(),
                message: format!("cannot run ip: {e}"),
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        parse_ip_addr_line(interface, &text).ok_or_else(|| WifiError::Interface {
            interface: interface.clone(),
            message: if out.status.success() {
                "has no IPv4 address".into()
            } else {
                String::from_utf8_lossy(&out.stderr).trim().to_owned()
            },
        })
    }

    fn leave(&mut self) -> Result<(), WifiError> {
        Ok(())
    }

    fn restore(&mut self) -> Result<(), WifiError> {
        Ok(())
    }
}

/// `2: eth0    inet 192.168.4.23/24 brd 192.168.4.255 scope global eth0\ ...`
fn parse_ip_addr_line(interface: &str, text: &str) -> Option<Lease> {
    let mut words = text.split_whitespace();
    words.find(|w| *w == "inet")?;
    let (addr, prefix) = words.next()?.split_once('/')?;
    Some(Lease {
        interface: interface.to_owned(),
        address: addr.parse().ok()?,
        prefix_len: prefix.parse().ok()?,
        router: None,
        server: None,
        lease_time: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_from_ip_output() {
        let l = parse_ip_addr_line(
            "wlan0",
            "3: wlan0    inet 192.168.4.23/24 brd 192.168.4.255 scope global dynamic wlan0\\       valid_lft 3585sec preferred_lft 3585sec\n",
        )
        .unwrap();
        assert_eq!(l.address.to_string(), "192.168.4.23");
        assert_eq!(l.prefix_len, 24);
        assert!(parse_ip_addr_line("wlan0", "").is_none());
    }
}
