//! Choosing the home network from the list a verified accessory sees (`GET /v1/networks`), as
//! esp_prov does when no SSID is given: a numbered list, strongest first, and a number read back.
//! The reader and writer are handed in (the terminal in the binary, buffers in tests).

use std::io::{self, BufRead, Write};

use protocol::api::{NetworkEntry, NetworkList};

/// How many wrong answers are allowed before giving up.
const ATTEMPTS: usize = 3;

/// The list as shown: strongest first, then by SSID; hidden (empty) SSIDs left out.
pub fn choices(list: &NetworkList) -> Vec<NetworkEntry> {
    let mut v: Vec<NetworkEntry> = list
        .networks
        .iter()
        .filter(|n| !n.ssid.is_empty())
        .cloned()
        .collect();
    v.sort_by(|a, b| b.rssi.cmp(&a.rssi).then_with(|| a.ssid.cmp(&b.ssid)));
    // One row per SSID (several access points of one network): its strongest.
    let mut seen = std::collections::HashSet::new();
    v.retain(|n| seen.insert(n.ssid.clone()));
    v
}

/// Shows `list` on `output` and reads the choice from `input`: `Ok(None)` when the person gives up
/// (`q`, end of input, or `ATTEMPTS` (3) answers that are not a listed number) or the list is empty.
pub fn choose_network(
    list: &NetworkList,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> io::Result<Option<NetworkEntry>> {
    let choices = choices(list);
    if choices.is_empty() {
        writeln!(output, "The accessory sees no networks.")?;
        return Ok(None);
    }
    writeln!(output, "Networks the accessory sees:")?;
    let width = choices
        .iter()
        .map(|n| n.ssid.chars().count())
        .max()
        .unwrap_or(0);
    for (i, n) in choices.iter().enumerate() {
        writeln!(
            output,
            "  {:>2}  {:<width$}  {:>4} dBm  {}",
            i + 1,
            n.ssid,
            n.rssi,
            n.security
        )?;
    }
    for _ in 0..ATTEMPTS {
        write!(output, "Home network [1-{}, q to cancel]: ", choices.len())?;
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(output)?;
            return Ok(None);
        }
        let answer = line.trim();
        if answer.eq_ignore_ascii_case("q") {
            return Ok(None);
        }
        match answer.parse::<usize>() {
            Ok(n) if (1..=choices.len()).contains(&n) => return Ok(Some(choices[n - 1].clone())),
            _ => writeln!(
                output,
                "`{answer}` is not a number from 1 to {}",
                choices.len()
            )?,
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> NetworkList {
        let n = |ssid: &str, rssi, security: &str| NetworkEntry {
            ssid: ssid.into(),
            rssi,
            channel: 6,
            security: security.into(),
        };
        NetworkList {
            networks: vec![
                n("Cafe", -70, "open"),
                n("Home", -40, "wpa2-psk"),
                n("", -30, "wpa2-psk"),
                n("Home-5G", -55, "wpa3-sae"),
                n("Home", -60, "wpa2-psk"),
            ],
        }
    }

    fn pick(typed: &str) -> (Option<String>, String) {
        let mut out = Vec::new();
        let chosen = choose_network(&list(), &mut typed.as_bytes(), &mut out).unwrap();
        (chosen.map(|n| n.ssid), String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_list_is_strongest_first_without_hidden_or_repeated_ssids() {
        let (chosen, shown) = pick("2\n");
        assert_eq!(chosen.as_deref(), Some("Home-5G"));
        let rows: Vec<&str> = shown.lines().skip(1).take(3).collect();
        assert!(
            rows[0].contains(" 1  Home ") && rows[0].contains("-40 dBm  wpa2-psk"),
            "{shown}"
        );
        assert!(
            rows[1].contains(" 2  Home-5G") && rows[1].contains("wpa3-sae"),
            "{shown}"
        );
        assert!(
            rows[2].contains(" 3  Cafe") && rows[2].contains("open"),
            "{shown}"
        );
        assert!(!shown.contains(" 4 "), "{shown}");
    }

    #[test]
    fn a_wrong_answer_is_asked_again_and_q_or_the_end_of_input_cancels() {
        let (chosen, shown) = pick("7\nhome\n1\n");
        assert_eq!(chosen.as_deref(), Some("Home"));
        assert!(shown.contains("`7` is not a number from 1 to 3"), "{shown}");
        assert!(shown.contains("`home` is not a number"), "{shown}");
        assert_eq!(pick("q\n").0, None);
        assert_eq!(pick("").0, None);
        assert_eq!(pick("0\n9\nx\n1\n").0, None, "three wrong answers give up");
        let mut out = Vec::new();
        let empty = NetworkList { networks: vec![] };
        assert!(choose_network(&empty, &mut "1\n".as_bytes(), &mut out)
            .unwrap()
            .is_none());
    }
}
