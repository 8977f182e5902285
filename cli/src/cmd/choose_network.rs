//! `accessory provision` without `--network-ssid`, on a terminal: the networks the accessory sees
//! (`GET /v1/networks`, asked only of an accessory verified as the run verifies it) as a numbered
//! list, and the person's choice, as esp_prov does. Not on a terminal, or with `--json`: an error
//! asking for --network-ssid, as before. The list and the choice are `provision::choose`.

use std::io::IsTerminal as _;

use protocol::api::NetworkEntry;

use crate::exit::{codes, fail};

/// Whether the home network can be chosen here; else `usage.no_network`, saying why.
pub fn check(json: bool, joins_or_esp: bool) -> anyhow::Result<()> {
    let interactive = !json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive && !joins_or_esp {
        return Ok(());
    }
    let why = if joins_or_esp {
        "choosing from the accessory's list needs --accessory and the /v1 API (not --wifi, --protocol esp|auto or --api-profile yet)"
    } else {
        "choosing from the accessory's list needs a terminal (and no --json)"
    };
    fail(
        codes::USAGE_NO_NETWORK,
        anyhow::anyhow!("give the home network with --network-ssid SSID; {why}"),
    )
}

/// Lists the networks the accessory `listing` names sees (verified as the run verifies it; the
/// request's network is not used) and returns the one the person chose.
pub async fn choose(listing: &provision::Request) -> anyhow::Result<NetworkEntry> {
    let list = match provision::networks(listing).await {
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
    Ok(network)
}
