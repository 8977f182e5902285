//! Namespace SoftAPs through the libraries: a real veth pair, a real dnsmasq, a real DHCP exchange,
//! the simulated accessory's HTTPS server inside the namespace, and provisioning bound to the joined
//! interface. Every test checks that nothing is left afterwards. Root only (skipped otherwise).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use accessory_sim::{LinkFault, SoftApConfig};
use accessory_tests::provision as p;
use accessory_tests::softap::{self as ap, assert_nothing_left, footprint, interface_here};
use provision::AccessoryAddress;

fn request_through(
    sim: &accessory_sim::RunningSim,
    joined: &provision::wifi::Joined,
    deadline: Duration,
) -> provision::Request {
    let mut req = p::request(sim, p::Mode::Pin, None);
    let router = joined.lease.router.expect("the lease names a router");
    req.accessory = AccessoryAddress::from_socket_addr(SocketAddr::from((router, 443)));
    req.bind_device = Some(joined.lease.interface.clone());
    req.deadline = deadline;
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_softap_namespace_is_built_advertised_and_removed_without_a_trace() {
    if !ap::root_or_skip("a_softap_namespace_is_built_advertised_and_removed_without_a_trace") {
        return;
    }
    let ssid = ap::unique_ssid("Lifecycle");
    let (softap, sim) = ap::start(SoftApConfig::open(&ssid), p::good("SIM-LIFE-0001")).await;
    let f = footprint(&softap);
    assert!(f.registry_entry.exists(), "the SoftAP is advertised");
    assert!(
        !interface_here(&f.station_interface),
        "the station end waits in the namespace until joined"
    );
    let listed = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&f.namespace));
    assert_eq!(
        sim.addr(),
        SocketAddr::from((Ipv4Addr::new(192, 168, 4, 1), 443))
    );
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_joins_by_dhcp_and_provisions_the_accessory_bound_to_the_softap_interface() {
    if !ap::root_or_skip(
        "a_station_joins_by_dhcp_and_provisions_the_accessory_bound_to_the_softap_interface",
    ) {
        return;
    }
    let ssid = ap::unique_ssid("Join");
    let config = SoftApConfig::wpa2(&ssid, "label passphrase 42");
    let (softap, sim) = ap::start(config, p::good("SIM-JOIN-0001")).await;
    let f = footprint(&softap);

    let (backend, joined) = ap::join(&ssid, Some("label passphrase 42")).await;
    let joined = joined.expect("the station joins with the right passphrase");
    assert_eq!(joined.lease.interface, f.station_interface);
    assert_eq!(joined.lease.router, Some(Ipv4Addr::new(192, 168, 4, 1)));
    let octets = joined.lease.address.octets();
    assert_eq!(
        &octets[..3],
        &[192, 168, 4],
        "an address from dnsmasq's range"
    );
    assert!((10..=100).contains(&octets[3]), "{}", joined.lease.address);
    assert!(softap.has_lease(), "dnsmasq recorded the lease");

    let outcome = provision::run(request_through(&sim, &joined, Duration::from_secs(30)))
        .await
        .expect("provisioning through the SoftAP succeeds");
    assert_eq!(outcome.device.device_id, "SIM-JOIN-0001");
    assert!(
        sim.received_credential(),
        "the accessory got the home network"
    );

    ap::leave(backend).await;
    assert!(
        !interface_here(&f.station_interface),
        "leaving hands the station end back"
    );
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_softap_passphrase_is_refused_at_join_and_no_link_comes_up() {
    if !ap::root_or_skip("a_wrong_softap_passphrase_is_refused_at_join_and_no_link_comes_up") {
        return;
    }
    let ssid = ap::unique_ssid("WrongPass");
    let config = SoftApConfig::wpa2(&ssid, "the right passphrase");
    let (softap, sim) = ap::start(config, p::good("SIM-WPA2-0001")).await;
    let f = footprint(&softap);

    let (backend, joined) = ap::join(&ssid, Some("not the passphrase")).await;
    let err = joined.expect_err("a wrong passphrase is refused");
    assert_eq!(err.code(), "wifi.auth_failed", "{err}");
    assert!(!interface_here(&f.station_interface), "no link came up");
    assert!(!softap.has_lease(), "no DHCP happened");

    let (backend2, missing) = ap::join(&ssid, None).await;
    assert_eq!(
        missing.expect_err("no passphrase").code(),
        "wifi.passphrase_required"
    );
    assert!(sim.requests().is_empty(), "the accessory was never reached");

    ap::leave(backend).await;
    ap::leave(backend2).await;
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eight_second_flap_two_seconds_after_join_is_survived_within_the_deadline() {
    if !ap::root_or_skip(
        "an_eight_second_flap_two_seconds_after_join_is_survived_within_the_deadline",
    ) {
        return;
    }
    let ssid = ap::unique_ssid("Flap");
    let mut config = SoftApConfig::open(&ssid);
    config.faults.push(LinkFault::Flap {
        down: Duration::from_secs(8),
        after: Duration::from_secs(2),
    });
    // The accessory takes 4 s to join the home network, so the session is open when the link drops.
    let scenario = p::good("SIM-FLAP-0001").with_connect_delay_ms(4_000);
    let (softap, sim) = ap::start(config, scenario).await;
    let f = footprint(&softap);

    let (backend, joined) = ap::join(&ssid, None).await;
    let joined = joined.expect("the station joins");
    let outcome = provision::run(request_through(&sim, &joined, Duration::from_secs(45)))
        .await
        .expect("provisioning survives the flap");
    assert_eq!(outcome.device.device_id, "SIM-FLAP-0001");
    assert_eq!(
        softap.flaps_completed(),
        1,
        "the link went down and up during provisioning"
    );

    ap::leave(backend).await;
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_on_the_softap_ends_in_a_diagnosis_naming_ehostunreach() {
    if !ap::root_or_skip("no_route_on_the_softap_ends_in_a_diagnosis_naming_ehostunreach") {
        return;
    }
    let ssid = ap::unique_ssid("NoRoute");
    let mut config = SoftApConfig::open(&ssid);
    config.faults.push(LinkFault::NoRoute);
    let (softap, sim) = ap::start(config, p::good("SIM-NORT-0001")).await;
    let f = footprint(&softap);

    let (backend, joined) = ap::join(&ssid, None).await;
    let joined = joined.expect("DHCP still works: its answers are broadcast");
    let failure = provision::run(request_through(&sim, &joined, Duration::from_secs(8)))
        .await
        .expect_err("the accessory cannot be reached");
    assert_eq!(
        failure.diagnosis.code, "net.no_route",
        "{}",
        failure.diagnosis
    );
    // The cause and the Apple name both say EHOSTUNREACH; the OS error is 113 (Linux).
    let text = serde_json::to_string(&failure.diagnosis).unwrap();
    assert!(text.contains("EHOSTUNREACH"), "{text}");
    assert!(
        failure.error.to_string().contains("os error 113"),
        "{}",
        failure.error
    );
    assert!(!failure.credentials_sent);
    assert!(sim.requests().is_empty());

    ap::leave(backend).await;
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_through_a_50ms_latency_relay_still_succeeds() {
    if !ap::root_or_skip("provisioning_through_a_50ms_latency_relay_still_succeeds") {
        return;
    }
    let ssid = ap::unique_ssid("Latency");
    let mut config = SoftApConfig::open(&ssid);
    config
        .faults
        .push(LinkFault::Latency(Duration::from_millis(50)));
    let (softap, sim) = ap::start(config, p::good("SIM-LAT-0001")).await;
    let f = footprint(&softap);
    let (backend, joined) = ap::join(&ssid, None).await;
    let joined = joined.expect("the station joins");
    let outcome = provision::run(request_through(&sim, &joined, Duration::from_secs(30)))
        .await
        .expect("provisioning through the relay succeeds");
    assert_eq!(outcome.device.device_id, "SIM-LAT-0001");
    ap::leave(backend).await;
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop())
        .await
        .unwrap();
    assert_nothing_left(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_softaps_on_the_same_subnet_are_joined_at_once_and_each_connection_reaches_its_own() {
    if !ap::root_or_skip(
        "two_softaps_on_the_same_subnet_are_joined_at_once_and_each_connection_reaches_its_own",
    ) {
        return;
    }
    let a_ssid = ap::unique_ssid("TwinA");
    let b_ssid = ap::unique_ssid("TwinB");
    let (a, sim_a) = ap::start(SoftApConfig::open(&a_ssid), p::good("SIM-TWIN-000A")).await;
    let (b, sim_b) = ap::start(SoftApConfig::open(&b_ssid), p::good("SIM-TWIN-000B")).await;
    let (fa, fb) = (footprint(&a), footprint(&b));
    let (ba, ja) = ap::join(&a_ssid, None).await;
    let (bb, jb) = ap::join(&b_ssid, None).await;
    let (ja, jb) = (ja.expect("joins A"), jb.expect("joins B"));
    // Both routes to 192.168.4.0/24 exist now; binding picks the right one for each.
    let oa = provision::run(request_through(&sim_a, &ja, Duration::from_secs(30)));
    let ob = provision::run(request_through(&sim_b, &jb, Duration::from_secs(30)));
    let (oa, ob) = tokio::join!(oa, ob);
    assert_eq!(oa.expect("A provisions").device.device_id, "SIM-TWIN-000A");
    assert_eq!(ob.expect("B provisions").device.device_id, "SIM-TWIN-000B");
    ap::leave(ba).await;
    ap::leave(bb).await;
    drop((sim_a, sim_b));
    tokio::task::spawn_blocking(move || {
        a.stop();
        b.stop();
    })
    .await
    .unwrap();
    assert_nothing_left(&fa);
    assert_nothing_left(&fb);
}
