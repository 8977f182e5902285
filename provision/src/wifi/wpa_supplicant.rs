//! The `wpa_supplicant` backend: its control socket (`/run/wpa_supplicant/IFACE`, a Unix datagram
//! socket speaking text commands, the protocol `wpa_cli` uses).
//!
//! Join: `SCAN` / `SCAN_RESULTS`, then `ADD_NETWORK`, `SET_NETWORK id ssid|key_mgmt|psk`,
//! `SELECT_NETWORK id` (which disables the others), `STATUS` until `wpa_state=COMPLETED` (a network
//! that `LIST_NETWORKS` flags `[TEMP-DISABLED]` meanwhile refused the passphrase). wpa_supplicant does
//! no DHCP: the address comes from this crate's DHCP client on the interface. Leave: release,
//! `REMOVE_NETWORK id`. Restore: re-enable what was enabled and select what was current.
//!
//! The passphrase travels only over the control socket (root-only), never on a command line.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::dhcp::{self, Granted};
use super::{Lease, ScanResult, Security, WifiBackend, WifiError};

const NAME: &str = "wpa_supplicant";

/// One line of `SCAN_RESULTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WpaScanResult {
    /// The access point's MAC address.
    pub bssid: String,
    /// Its channel's centre frequency, in MHz.
    pub frequency_mhz: u32,
    /// Signal strength, in dBm.
    pub signal_dbm: i32,
    /// wpa_supplicant's capability flags (`[WPA2-PSK-CCMP][ESS]`): the security is read from them.
    pub flags: String,
    /// The network's name.
    pub ssid: String,
}

impl WpaScanResult {
    /// What the flags say about joining: `[WPA2-PSK-CCMP]` (or `[RSN-PSK...]`) is WPA2-Personal,
    /// `SAE` alone is WPA3, `EAP`/`WEP` are not joined here, no WPA/RSN/WEP flag is open.
    /// `None` for a kind this tool does not join.
    pub fn security(&self) -> Option<Security> {
        let f = self.flags.as_str();
        let psk = f.contains("-PSK");
        if f.contains("WEP") || (f.contains("EAP") && !psk) {
            None
        } else if psk {
            Some(Security::Wpa2Psk)
        } else if f.contains("SAE") {
            Some(Security::Wpa3Sae)
        } else if f.contains("WPA") || f.contains("RSN") || f.contains("OWE") {
            None
        } else {
            Some(Security::Open)
        }
    }
}

/// Parses a `SCAN_RESULTS` reply: a header line, then `bssid\tfreq\tsignal\tflags\tssid` lines.
/// SSIDs come escaped as wpa_supplicant's `printf_encode` writes them (`\xNN`, `\\`, `\"`, `\e`...).
pub fn parse_scan_results(text: &str) -> Vec<WpaScanResult> {
    text.lines()
        .filter(|l| !l.starts_with("bssid /"))
        .filter_map(|line| {
            let mut cols = line.splitn(5, '\t');
            Some(WpaScanResult {
                bssid: cols.next()?.to_owned(),
                frequency_mhz: cols.next()?.trim().parse().ok()?,
                signal_dbm: cols.next()?.trim().parse().ok()?,
                flags: cols.next()?.to_owned(),
                ssid: printf_decode(cols.next().unwrap_or("")),
            })
        })
        .collect()
}

/// The reverse of wpa_supplicant's `printf_encode`.
fn printf_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'\\' => out.push(b'\\'),
                b'"' => out.push(b'"'),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'e' => out.push(0x1b),
                b'x' if i + 3 < b.len() => {
                    // Two ASCII hex digits; bytes, not `&s[..]`, which panics when the two bytes
                    // end inside a multibyte character (found by the fuzz target
                    // `wpa_supplicant_reply`).
                    let digits = std::str::from_utf8(&b[i + 2..i + 4])
                        .ok()
                        .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                    if let Some(v) = digits.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        out.push(v);
                        i += 4;
                        continue;
                    }
                    out.push(b'\\');
                    i += 1;
                    continue;
                }
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fields of a `STATUS` reply this backend uses (`key=value` lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpaStatus {
    /// `wpa_state` (`COMPLETED` once associated and keyed); empty when the reply has none.
    pub wpa_state: String,
    /// The network it is on, if any.
    pub ssid: Option<String>,
    /// The access point it is on, if any.
    pub bssid: Option<String>,
    /// The network's id among the configured networks (`ADD_NETWORK` returns it).
    pub id: Option<u32>,
    /// The key management in use (`WPA2-PSK`, `NONE`).
    pub key_mgmt: Option<String>,
    /// The interface's IPv4 address, when it has one.
    pub ip_address: Option<String>,
    /// The interface's own MAC address.
    pub address: Option<String>,
}

/// Parses a `STATUS` reply; lines it does not use and lines without `=` are ignored.
pub fn parse_status(text: &str) -> WpaStatus {
    let mut s = WpaStatus::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k {
            "wpa_state" => s.wpa_state = v.to_owned(),
            "ssid" => s.ssid = Some(printf_decode(v)),
            "bssid" => s.bssid = Some(v.to_owned()),
            "id" => s.id = v.parse().ok(),
            "key_mgmt" => s.key_mgmt = Some(v.to_owned()),
            "ip_address" => s.ip_address = Some(v.to_owned()),
            "address" => s.address = Some(v.to_owned()),
            _ => {}
        }
    }
    s
}

/// One line of `LIST_NETWORKS`: `id\tssid\tbssid\tflags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedNetwork {
    pub id: u32,
    pub ssid: String,
    pub flags: String,
}

pub(crate) fn parse_list_networks(text: &str) -> Vec<ListedNetwork> {
    text.lines()
        .filter(|l| !l.starts_with("network id /"))
        .filter_map(|line| {
            let mut cols = line.splitn(4, '\t');
            Some(ListedNetwork {
                id: cols.next()?.parse().ok()?,
                ssid: printf_decode(cols.next()?),
                flags: cols.nth(1).unwrap_or("").to_owned(),
            })
        })
        .collect()
}

/// `SET_NETWORK id ssid ...`: quoted when printable ASCII without quotes, else hex (which
/// wpa_supplicant also accepts, for any bytes).
pub(crate) fn set_ssid_command(id: u32, ssid: &str) -> String {
    if ssid
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        format!("SET_NETWORK {id} ssid \"{ssid}\"")
    } else {
        format!("SET_NETWORK {id} ssid {}", hex::encode(ssid.as_bytes()))
    }
}

/// `SET_NETWORK id psk "passphrase"` (wpa_supplicant takes everything up to the last quote, so
/// quotes inside the passphrase are fine) or a 64-hex raw PSK unquoted. Zeroized on drop.
pub(crate) fn set_psk_command(id: u32, passphrase: &str) -> Zeroizing<String> {
    if passphrase.len() == 64 && passphrase.bytes().all(|b| b.is_ascii_hexdigit()) {
        Zeroizing::new(format!("SET_NETWORK {id} psk {passphrase}"))
    } else {
        Zeroizing::new(format!("SET_NETWORK {id} psk \"{passphrase}\""))
    }
}

/// The commands that configure a network to join, in order (the psk one separately, zeroized).
pub(crate) fn join_commands(id: u32, network: &ScanResult) -> Vec<String> {
    let mut cmds = vec![set_ssid_command(id, &network.ssid)];
    cmds.push(format!(
        "SET_NETWORK {id} key_mgmt {}",
        match network.security {
            Some(Security::Open) => "NONE",
            Some(Security::Wpa3Sae) => "SAE",
            _ => "WPA-PSK",
        }
    ));
    if network.security == Some(Security::Wpa3Sae) {
        cmds.push(format!("SET_NETWORK {id} ieee80211w 2"));
    }
    cmds
}

/// A control-socket connection: our own socket path, connected to wpa_supplicant's.
struct Control {
    socket: UnixDatagram,
    local: PathBuf,
}

impl Control {
    fn open(path: &Path) -> std::io::Result<Control> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let local = std::env::temp_dir().join(format!(
            "accessory-wpa-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&local);
        let socket = UnixDatagram::bind(&local)?;
        let ctl = Control { socket, local };
        ctl.socket.connect(path)?;
        ctl.socket.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(ctl)
    }

    /// Sends one command and returns its reply (unsolicited `<N>EVENT` messages are skipped).
    fn request(&self, command: &str) -> std::io::Result<String> {
        self.socket.send(command.as_bytes())?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.socket.recv(&mut buf)?;
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if text.starts_with('<') {
                continue;
            }
            return Ok(text);
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.local);
    }
}

/// Joins through a running wpa_supplicant.
pub struct WpaSupplicantBackend {
    interface: String,
    control: Control,
    added: Option<u32>,
    /// Networks enabled before we joined, and the one that was current.
    before: Option<(Vec<u32>, Option<u32>)>,
    granted: Option<Granted>,
}

impl std::fmt::Debug for WpaSupplicantBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WpaSupplicantBackend")
            .field("interface", &self.interface)
            .finish_non_exhaustive()
    }
}

impl WpaSupplicantBackend {
    /// Connects to `/run/wpa_supplicant/IFACE` (`IFACE` defaults to `wlan0`), or to the directory in
    /// `$WPA_CTRL_DIR`.
    pub fn new(interface: Option<&str>) -> Result<Self, WifiError> {
        let interface = interface.unwrap_or("wlan0").to_owned();
        let dir = std::env::var_os("WPA_CTRL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/run/wpa_supplicant"));
        Self::with_control_path(&interface, &dir.join(&interface))
    }

    /// Connects to the control socket at `path`, for `interface`.
    pub fn with_control_path(interface: &str, path: &Path) -> Result<Self, WifiError> {
        let control = Control::open(path).map_err(|e| WifiError::Backend {
            backend: NAME,
            message: format!(
                "cannot reach wpa_supplicant's control socket {}: {e} (is wpa_supplicant running for {interface}, with ctrl_interface set?)",
                path.display()
            ),
        })?;
        Ok(WpaSupplicantBackend {
            interface: interface.to_owned(),
            control,
            added: None,
            before: None,
            granted: None,
        })
    }

    /// Sends a command; `FAIL`/`UNKNOWN COMMAND` replies are errors.
    pub fn command(&self, command: &str) -> Result<String, WifiError> {
        let verb = command.split(' ').take(2).collect::<Vec<_>>().join(" ");
        let reply = self
            .control
            .request(command)
            .map_err(|e| WifiError::Backend {
                backend: NAME,
                message: format!("{verb}: {e}"),
            })?;
        if reply.starts_with("FAIL") || reply.starts_with("UNKNOWN COMMAND") {
            return Err(WifiError::Backend {
                backend: NAME,
                message: format!("{verb}: {}", reply.trim()),
            });
        }
        Ok(reply)
    }

    /// Asks for `STATUS`.
    pub fn status(&self) -> Result<WpaStatus, WifiError> {
        Ok(parse_status(&self.command("STATUS")?))
    }

    fn ok(&self, command: &str) -> Result<(), WifiError> {
        let reply = self.command(command)?;
        if reply.trim() == "OK" {
            Ok(())
        } else {
            Err(WifiError::Backend {
                backend: NAME,
                message: format!("unexpected reply to a command: {}", reply.trim()),
            })
        }
    }

    /// Adds and configures a network without selecting it; returns its id.
    pub fn add_network(
        &mut self,
        network: &ScanResult,
        passphrase: Option<&str>,
    ) -> Result<u32, WifiError> {
        let id: u32 =
            self.command("ADD_NETWORK")?
                .trim()
                .parse()
                .map_err(|_| WifiError::Backend {
                    backend: NAME,
                    message: "ADD_NETWORK did not answer with an id".into(),
                })?;
        self.added = Some(id);
        for cmd in join_commands(id, network) {
            self.ok(&cmd)?;
        }
        if let Some(security) = network.security.filter(|s| s.needs_passphrase()) {
            let Some(pass) = passphrase else {
                return Err(WifiError::PassphraseRequired {
                    ssid: network.ssid.clone(),
                    security,
                });
            };
            self.ok(&set_psk_command(id, pass))?;
        }
        Ok(id)
    }

    fn remember_state(&mut self) -> Result<(), WifiError> {
        let listed = parse_list_networks(&self.command("LIST_NETWORKS")?);
        let enabled = listed
            .iter()
            .filter(|n| !n.flags.contains("[DISABLED]"))
            .map(|n| n.id)
            .collect();
        let current = listed
            .iter()
            .find(|n| n.flags.contains("[CURRENT]"))
            .map(|n| n.id);
        self.before = Some((enabled, current));
        Ok(())
    }
}

impl WifiBackend for WpaSupplicantBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn scan(&mut self) -> Result<Vec<ScanResult>, WifiError> {
        // FAIL-BUSY means a scan is already running: its results will do.
        match self.command("SCAN") {
            Ok(_) => {}
            Err(WifiError::Backend { message, .. }) if message.contains("FAIL-BUSY") => {}
            Err(e) => return Err(e),
        }
        // Results appear when the scan ends (CTRL-EVENT-SCAN-RESULTS); a scan takes 2-4 s.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut results = Vec::new();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(500));
            results = parse_scan_results(&self.command("SCAN_RESULTS")?);
            if !results.is_empty() && Instant::now() + Duration::from_secs(2) > deadline {
                break;
            }
        }
        Ok(results
            .into_iter()
            .map(|r| ScanResult {
                security: r.security(),
                ssid: r.ssid,
                bssid: Some(r.bssid.clone()),
                signal_dbm: r.signal_dbm,
                frequency_mhz: Some(r.frequency_mhz),
                handle: r.bssid,
            })
            .collect())
    }

    fn join(&mut self, network: &ScanResult, passphrase: Option<&str>) -> Result<(), WifiError> {
        if network.security.is_none() {
            return Err(WifiError::Unsupported {
                ssid: network.ssid.clone(),
                security: None,
            });
        }
        self.remember_state()?;
        let id = self.add_network(network, passphrase)?;
        self.ok(&format!("SELECT_NETWORK {id}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = self.status()?;
            if status.wpa_state == "COMPLETED" && status.id == Some(id) {
                return Ok(());
            }
            let listed = parse_list_networks(&self.command("LIST_NETWORKS")?);
            if listed
                .iter()
                .any(|n| n.id == id && n.flags.contains("[TEMP-DISABLED]"))
            {
                return Err(WifiError::AuthFailed {
                    ssid: network.ssid.clone(),
                });
            }
            if Instant::now() > deadline {
                return Err(WifiError::Backend {
                    backend: NAME,
                    message: format!(
                        "not associated with {} after 20 s (wpa_state={})",
                        network.ssid, status.wpa_state
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn address(&mut self, timeout: Duration) -> Result<Lease, WifiError> {
        let granted = dhcp::obtain(&self.interface, timeout)?;
        let cidr = format!("{}/{}", granted.lease.address, granted.lease.prefix_len);
        let status = std::process::Command::new("ip")
            .args(["addr", "add", &cidr, "dev", &self.interface])
            .status()
            .map_err(|e| WifiError::Interface {
                interface: self.interface.clone(),
                message: format!("cannot run ip: {e}"),
            })?;
        if !status.success() {
            return Err(WifiError::Interface {
                interface: self.interface.clone(),
                message: format!("`ip addr add {cidr}` failed"),
            });
        }
        let lease = granted.lease.clone();
        self.granted = Some(granted);
        Ok(lease)
    }

    fn leave(&mut self) -> Result<(), WifiError> {
        if let Some(g) = self.granted.take() {
            dhcp::release(&g);
            let cidr = format!("{}/{}", g.lease.address, g.lease.prefix_len);
            let _ = std::process::Command::new("ip")
                .args(["addr", "del", &cidr, "dev", &self.interface])
                .status();
        }
        if let Some(id) = self.added.take() {
            self.ok(&format!("REMOVE_NETWORK {id}"))?;
        }
        Ok(())
    }

    fn restore(&mut self) -> Result<(), WifiError> {
        let Some((enabled, current)) = self.before.take() else {
            return Ok(());
        };
        if let Some(id) = current {
            self.ok(&format!("SELECT_NETWORK {id}"))?;
        }
        for id in enabled {
            self.ok(&format!("ENABLE_NETWORK {id}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hex_escape_cut_by_a_multibyte_character_is_kept_as_text_not_a_panic() {
        // `\xa` then `é` (two bytes): the two "hex digits" end in the middle of a character.
        assert_eq!(printf_decode("\\xa\u{e9}"), "\\xa\u{e9}");
        assert_eq!(printf_decode("\\x\u{e9}1"), "\\x\u{e9}1");
        assert_eq!(printf_decode("Home\\x20\\xc3\\xa9"), "Home \u{e9}");
        let line = "02:00:00:00:01:00\t2437\t-42\t[ESS]\tCaf\\xa\u{e9}";
        assert_eq!(parse_scan_results(line)[0].ssid, "Caf\\xa\u{e9}");
    }

    #[test]
    fn ssids_are_quoted_when_plain_and_hex_otherwise() {
        assert_eq!(
            set_ssid_command(0, "Acme-3F2A"),
            "SET_NETWORK 0 ssid \"Acme-3F2A\""
        );
        assert_eq!(
            set_ssid_command(1, "Café \"x\""),
            format!("SET_NETWORK 1 ssid {}", hex::encode("Café \"x\""))
        );
    }

    #[test]
    fn a_passphrase_is_quoted_and_a_raw_psk_is_not() {
        assert_eq!(
            set_psk_command(2, "correct horse").as_str(),
            "SET_NETWORK 2 psk \"correct horse\""
        );
        let raw = "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e";
        assert_eq!(
            set_psk_command(2, raw).as_str(),
            format!("SET_NETWORK 2 psk {raw}")
        );
    }

    #[test]
    fn escaped_ssids_are_decoded() {
        assert_eq!(printf_decode(r"caf\xc3\xa9"), "café");
        assert_eq!(printf_decode(r#"a\\b\"c"#), r#"a\b"c"#);
    }

    // Replies recorded from a real wpa_supplicant 2.10 (see testdata/README.md).
    const STATUS_DISCONNECTED: &str = include_str!("testdata/status-disconnected.txt");
    const STATUS_ASSOCIATED: &str = include_str!("testdata/status-associated-wpa2.txt");
    const STATUS_COMPLETED: &str = include_str!("testdata/status-completed-open-escaped-ssid.txt");
    const LIST_DISABLED: &str = include_str!("testdata/list-networks-disabled.txt");
    const LIST_CURRENT: &str = include_str!("testdata/list-networks-current-escaped.txt");
    const SCAN_EMPTY: &str = include_str!("testdata/scan-results-empty.txt");

    #[test]
    fn recorded_status_replies_parse() {
        let s = parse_status(STATUS_DISCONNECTED);
        assert_eq!(s.wpa_state, "DISCONNECTED");
        assert_eq!(s.id, None);
        assert_eq!(s.address.as_deref(), Some("12:9d:f7:59:65:56"));

        let s = parse_status(STATUS_ASSOCIATED);
        assert_eq!(s.wpa_state, "ASSOCIATED");
        assert_eq!(s.ssid.as_deref(), Some("Acme-3F2A"));
        assert_eq!(s.id, Some(0));
        assert_eq!(s.key_mgmt.as_deref(), Some("WPA2-PSK"));

        let s = parse_status(STATUS_COMPLETED);
        assert_eq!(s.wpa_state, "COMPLETED");
        assert_eq!(
            s.ssid.as_deref(),
            Some("Acé"),
            "the escaped SSID is decoded"
        );
    }

    #[test]
    fn recorded_list_networks_replies_parse_with_their_flags() {
        let l = parse_list_networks(LIST_DISABLED);
        assert_eq!(
            l,
            vec![ListedNetwork {
                id: 0,
                ssid: "Acme-3F2A".into(),
                flags: "[DISABLED]".into()
            }]
        );
        let l = parse_list_networks(LIST_CURRENT);
        assert_eq!(l[0].ssid, "Acé");
        assert_eq!(l[0].flags, "[CURRENT]");
    }

    #[test]
    fn an_empty_recorded_scan_has_no_results() {
        assert!(parse_scan_results(SCAN_EMPTY).is_empty());
    }

    #[test]
    fn scan_lines_in_wpa_supplicant_2_10_format_give_ssid_signal_and_security() {
        // Written in the format of ctrl_iface.c (not recorded: there is no radio here).
        let text = "bssid / frequency / signal level / flags / ssid\n\
            02:00:00:3f:2a:01\t2437\t-41\t[WPA2-PSK-CCMP][ESS]\tAcme-3F2A\n\
            02:00:00:9b:01:01\t2412\t-67\t[ESS]\tAcme-9B01\n\
            0c:80:63:00:00:0c\t2422\t-83\t[WPA-PSK-CCMP+TKIP][WPA2-PSK-CCMP+TKIP][WPS][ESS]\tOld Router\n\
            0c:80:63:00:00:0d\t5180\t-58\t[WPA2-SAE-CCMP][ESS]\tHome 6E\n\
            0c:80:63:00:00:0e\t5200\t-60\t[WPA2-EAP-CCMP][ESS]\tCorp\n\
            0c:80:63:00:00:0f\t2462\t-70\t[ESS]\tCaf\\xc3\\xa9 \\\"Free\\\"\n";
        let r = parse_scan_results(text);
        assert_eq!(r.len(), 6);
        assert_eq!(r[0].ssid, "Acme-3F2A");
        assert_eq!(r[0].signal_dbm, -41);
        assert_eq!(r[0].frequency_mhz, 2437);
        assert_eq!(r[0].security(), Some(Security::Wpa2Psk));
        assert_eq!(r[1].security(), Some(Security::Open));
        assert_eq!(r[2].security(), Some(Security::Wpa2Psk));
        assert_eq!(r[3].security(), Some(Security::Wpa3Sae));
        assert_eq!(r[4].security(), None);
        assert_eq!(r[5].ssid, "Café \"Free\"");
    }
}
