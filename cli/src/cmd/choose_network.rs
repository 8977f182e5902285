//! `accessory provision` without `--network-ssid`, on a terminal: the networks the accessory sees
//! (`GET /v1/networks`, asked only of an accessory verified as the run verifies it) as a numbered
//! list, and the person's choice, as esp_prov does. Not on a terminal, or with `--json`: an error
//! asking for --network-ssid, as before. The list and the choice are `provision::choose`.

use std::io::IsTerminal as _;

use crate::exit::{codes, fail};

/// Fills `--network-ssid` (and `--network-security`, from the accessory's list) when it is missing.
/// `label_pop`: the PoP code `--label` carried (the listing sends its proof, as the run will).
pub async fn fill(
    args: &mut super::provision::Args,
    label_pop: Option<&provision::Secret>,
) -> anyhow::Result<()> {
    if args.network_ssid.is_some() {
        return Ok(());
    }
    let interactive =
        !args.json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !interactive || args.wifi.wifi.is_some() || args.esp.is_esp() {
        let why = if args.wifi.wifi.is_some() || args.esp.is_esp() {
            "choosing from the accessory's list needs --accessory (not --wifi or --protocol esp yet)"
        } else {
            "choosing from the accessory's list needs a terminal (and no --json)"
        };
        return fail(
            codes::USAGE_NO_NETWORK,
            anyhow::anyhow!("give the home network with --network-ssid SSID; {why}"),
        );
    }
    // The listing request carries no passphrase: it is read once the network is chosen.
    let mut request = super::provision::build_request(args)?;
    if let Some(pop) = label_pop {
        request.pop = Some(pop.clone());
    }
    let list = match provision::networks(&request).await {
        Ok(list) => list,
        Err(failure) => {
            eprint!("{}", failure.explanation());
            let code = failure.diagnosis.code;
            return fail(code, anyhow::anyhow!("{}", failure.error));
        }
    };
    let chosen = tokio::task::spawn_blocking(move || {
        provision::choose::choose_network(
            &list,
            &mut std::io::stdin().lock(),
            &mut std::io::stderr(),
        )
    })
    .await??;
    let Some(network) = chosen else {
        return fail(
            codes::USAGE_NO_NETWORK,
            anyhow::anyhow!("no home network chosen; give --network-ssid SSID"),
        );
    };
    if network.security.parse::<provision::Security>().is_err() {
        return fail(
            codes::USAGE_NO_NETWORK,
            anyhow::anyhow!(
                "{} uses `{}` security, which this tool cannot send; choose another network",
                network.ssid,
                network.security
            ),
        );
    }
    args.network_security = network.security;
    args.network_ssid = Some(network.ssid);
    Ok(())
}
