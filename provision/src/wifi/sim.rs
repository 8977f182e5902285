//! The `sim` backend: joins the namespace SoftAPs that `accessory sim softap` (crate
//! `accessory-sim`, module `softap`) builds and advertises in its registry directory.
//!
//! Joining is what a radio would do, in veth terms: check the passphrase against the AP's PSK (a
//! wrong one is refused before any link comes up, as the 4-way handshake refuses it), move the
//! station end of the SoftAP's veth pair into this process's network namespace, bring it up, and
//! get an address by a real DHCP exchange with the SoftAP's dnsmasq. Leaving releases the lease and
//! hands the station end back to the SoftAP's namespace; nothing else of the station changed (no
//! route was added), so there is nothing more to restore.
//!
//! The registry format (one JSON file per SoftAP) and the PSK derivation are `protocol`'s, shared
//! with the writer (`accessory-sim`'s `softap/registry.rs`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use protocol::softap::{self, RegistryEntry as Entry};

use super::dhcp::{self, Granted};
use super::{Lease, ScanResult, Security, WifiBackend, WifiError};

const NAME: &str = "sim";
/// Joins simulated SoftAPs (needs root: it moves interfaces between namespaces).
#[derive(Debug)]
pub struct SimBackend {
    dir: PathBuf,
    joined: Option<Entry>,
    granted: Option<Granted>,
}

impl Default for SimBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl SimBackend {
    /// Scans the registry in `$ACCESSORY_SOFTAP_DIR`, or `/run/accessory-softap`.
    pub fn new() -> Self {
        Self::with_registry(softap::dir(std::env::var_os(softap::DIR_ENV)))
    }

    /// Scans the registry in `dir`.
    pub fn with_registry(dir: PathBuf) -> Self {
        SimBackend {
            dir,
            joined: None,
            granted: None,
        }
    }

    fn entries(&self) -> Vec<Entry> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<Entry> = rd
            .flatten()
            .filter(|e| softap::is_entry_file(&e.path()))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter_map(|t| Entry::parse(&t))
            .filter(Entry::is_joinable)
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

fn ip(args: &[&str]) -> Result<String, WifiError> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| WifiError::Backend {
            backend: NAME,
            message: format!("cannot run ip: {e}"),
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if message.contains("Operation not permitted") {
            return Err(WifiError::NotPermitted {
                backend: NAME,
                message: format!("`ip {}`: {message}", args.join(" ")),
            });
        }
        Err(WifiError::Backend {
            backend: NAME,
            message: format!("`ip {}` failed: {message}", args.join(" ")),
        })
    }
}

impl WifiBackend for SimBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn lists_only_accessories(&self) -> bool {
        true
    }

    fn scan(&mut self) -> Result<Vec<ScanResult>, WifiError> {
        Ok(self
            .entries()
            .into_iter()
            .map(|e| ScanResult {
                security: Some(e.security),
                ssid: e.ssid,
                bssid: None,
                signal_dbm: e.signal_dbm,
                frequency_mhz: Some(2407 + 5 * e.channel),
                handle: e.id,
            })
            .collect())
    }

    fn join(&mut self, network: &ScanResult, passphrase: Option<&str>) -> Result<(), WifiError> {
        let entry = self
            .entries()
            .into_iter()
            .find(|e| e.id == network.handle)
            .ok_or_else(|| WifiError::NotFound {
                wanted: format!("SSID `{}`", network.ssid),
                seen: "it no longer in the registry".into(),
            })?;
        // A simulated SoftAP is open or WPA2-Personal; another kind is one this backend does not join.
        match entry.security {
            Security::Open => {}
            Security::Wpa2Psk => {
                let Some(pass) = passphrase else {
                    return Err(WifiError::PassphraseRequired {
                        ssid: entry.ssid.clone(),
                        security: Security::Wpa2Psk,
                    });
                };
                // The 4-way handshake's outcome: the station's PSK is the AP's, or it is refused.
                let expected = entry.psk.as_deref().and_then(protocol::Psk::from_hex);
                if expected != Some(protocol::wpa_psk(pass, &entry.ssid)) {
                    return Err(WifiError::AuthFailed {
                        ssid: entry.ssid.clone(),
                    });
                }
            }
            other => {
                return Err(WifiError::Unsupported {
                    ssid: entry.ssid.clone(),
                    security: Some(other),
                })
            }
        }
        let sta = entry.station_interface.clone();
        let pid = std::process::id().to_string();
        ip(&[
            "-n",
            &entry.namespace,
            "link",
            "set",
            "dev",
            &sta,
            "netns",
            &pid,
        ])?;
        self.joined = Some(entry);
        // A station end sharing 192.168.4.0/24 with another joined SoftAP must accept replies
        // whatever the route table's first choice is: strict reverse-path filtering is off for it.
        let _ = std::fs::write(format!("/proc/sys/net/ipv4/conf/{sta}/rp_filter"), "0");
        // No IPv6 chatter (router solicitations, DAD) on a link that only speaks IPv4.
        let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{sta}/disable_ipv6"), "1");
        ip(&["link", "set", "dev", &sta, "up"])?;
        wait_until_up(&sta, Duration::from_secs(3));
        Ok(())
    }

    fn address(&mut self, timeout: Duration) -> Result<Lease, WifiError> {
        let Some(entry) = &self.joined else {
            return Err(WifiError::Backend {
                backend: NAME,
                message: "not joined".into(),
            });
        };
        let sta = entry.station_interface.clone();
        let granted = dhcp::obtain(&sta, timeout)?;
        let cidr = format!("{}/{}", granted.lease.address, granted.lease.prefix_len);
        ip(&["addr", "add", &cidr, "dev", &sta])?;
        let lease = granted.lease.clone();
        self.granted = Some(granted);
        Ok(lease)
    }

    fn leave(&mut self) -> Result<(), WifiError> {
        let Some(entry) = self.joined.take() else {
            return Ok(());
        };
        if let Some(g) = self.granted.take() {
            dhcp::release(&g);
        }
        let sta = &entry.station_interface;
        if !std::path::Path::new("/sys/class/net").join(sta).exists() {
            // The SoftAP was torn down meanwhile: the pair is gone with it.
            return Ok(());
        }
        let _ = ip(&["addr", "flush", "dev", sta]);
        let _ = ip(&["link", "set", "dev", sta, "down"]);
        if std::path::Path::new("/run/netns")
            .join(&entry.namespace)
            .exists()
        {
            ip(&["link", "set", "dev", sta, "netns", &entry.namespace])?;
        } else {
            let _ = ip(&["link", "del", "dev", sta]);
        }
        Ok(())
    }

    fn restore(&mut self) -> Result<(), WifiError> {
        // Joining a simulated SoftAP changes nothing but its own station end (no default route, no
        // other interface), and `leave` handed that back.
        Ok(())
    }
}

/// Waits for the kernel to report the link up (`operstate`): until then the interface's queue is not
/// running and a DHCPDISCOVER would be dropped (the kernel's link watch can take up to a second).
/// DHCP clients wait for the link for the same reason.
fn wait_until_up(interface: &str, limit: Duration) {
    let path = format!("/sys/class/net/{interface}/operstate");
    let until = std::time::Instant::now() + limit;
    while std::time::Instant::now() < until {
        if std::fs::read_to_string(&path).is_ok_and(|s| s.trim() == "up") {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl Drop for SimBackend {
    fn drop(&mut self) {
        let _ = self.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_lists_ready_entries_and_skips_half_built_ones() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |id: &str, ready: bool| {
            serde_json::json!({
                "version": 1, "id": id, "ssid": format!("Accessory-{id}"), "security": "open",
                "psk": null, "signal_dbm": -50, "channel": 6, "namespace": format!("asap-{id}"),
                "accessory_interface": format!("as{id}a"), "station_interface": format!("as{id}s"),
                "accessory_address": "192.168.4.1", "prefix_len": 24, "port": 443,
                "owner_pid": 1, "owner_start": 0, "ready": ready
            })
        };
        std::fs::write(dir.path().join("a.json"), entry("a", true).to_string()).unwrap();
        std::fs::write(dir.path().join("b.json"), entry("b", false).to_string()).unwrap();
        let mut b = SimBackend::with_registry(dir.path().to_owned());
        let seen = b.scan().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].ssid, "Accessory-a");
        assert_eq!(seen[0].frequency_mhz, Some(2437));
    }
}
