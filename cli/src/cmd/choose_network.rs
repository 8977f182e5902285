//! `accessory provision` without `--network-ssid`, on a terminal: the networks the accessory sees
//! (the API profile's networks list, `GET /v1/networks` for the built-in one, asked only of an
//! accessory verified as the run verifies it) as a numbered list, and the person's choice, as
//! esp_prov does. With `--wifi`, asked after the join, on the joined SoftAP. Not on a terminal,
//! with `--json`, with `--protocol esp|auto`, or under a profile without a networks list: an error
//! asking for --network-ssid. The list and the choice are `provision::choose`.

use std::io::IsTerminal as _;

use protocol::api::NetworkEntry;

use crate::exit::{codes, fail};

/// Whether the home network can be chosen here; else `usage.no_network`, saying why.
pub fn check(json: bool, esp: bool, api: &provision::LoadedProfile) -> anyhow::Result<()> {
    let interactive = !json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let why = if esp {
        "choosing from the accessory's list is not done for --protocol esp|auto (ESP-IDF's prov-scan)".to_owned()
    } else if !api.lists_networks() {
        format!(
            "the API profile {:?} has no networks list ([networks] in docs/api-profiles.md) to choose from",
            api.api().name
        )
    } else if !interactive {
        "choosing from the accessory's list needs a terminal (and no --json)".to_owned()
    } else {
        return Ok(());
    };
    fail(
        codes::USAGE_NO_NETWORK,
        anyhow::anyhow!("give the home network with --network-ssid SSID; {why}"),
    )
}

/// Lists the networks the accessory `listing` names sees (verified as the run verifies it, asked
/// through `api`; the request's network is not used) and returns the one the person chose. A
/// network whose security the list does not say (a profile without a `security` member) is
/// returned with `""`: the caller keeps `--network-security`.
pub async fn choose(
    listing: &provision::Request,
    api: &provision::LoadedProfile,
) -> anyhow::Result<NetworkEntry> {
    let list = match provision::networks(listing, api).await {
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
    if !network.security.is_empty() && network.security.parse::<provision::Security>().is_err() {
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
