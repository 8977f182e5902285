//! `trust fetch` against simulated accessories on loopback: it shows the chain, the pin and the Apple
//! lint, says plainly that nothing was trusted, and sends the accessory nothing.

use accessory_tests::admin::{arg, assert_status, json, run};
use accessory_tests::sim::Served;

#[test]
fn fetch_shows_the_chain_and_pin_trusts_nothing_and_sends_nothing() {
    let served = Served::with_faults("ADM-0010", &[]);
    let target = served.addr().to_string();
    let saved = served.dir().join("fetched.pem");
    let out = run(&["trust", "fetch", &target, "--save", arg(&saved), "--json"]);
    assert_status(&out, 0);
    let v = json(&out);
    assert_eq!(v["trusted"], false);
    assert_eq!(v["pin"], served.sim().pin().to_string());
    assert_eq!(v["lint"]["profile"], "apple");
    assert_eq!(v["lint"]["passed"], true, "{v:#}");

    let chain = trust::load_certificates(&saved).unwrap();
    assert_eq!(chain.len(), v["chain"].as_array().unwrap().len());
    assert_eq!(
        trust::Pin::of_certificate(&chain[0]).unwrap(),
        served.sim().pin()
    );
    assert!(
        served.sim().requests().is_empty(),
        "fetch sent the accessory a request"
    );

    let text = run(&["trust", "fetch", &target]);
    assert_status(&text, 0);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("NOTHING WAS TRUSTED"), "{stdout}");
    assert!(stdout.contains(&served.sim().pin().to_string()), "{stdout}");
    // --save refuses to overwrite without --force.
    let again = run(&["trust", "fetch", &target, "--save", arg(&saved)]);
    assert_status(&again, 8);
}

#[test]
fn fetch_lints_what_the_accessory_presents_against_apples_rules() {
    let served = Served::with_faults("ADM-0011", &["cn-only"]);
    let out = run(&["trust", "fetch", &served.addr().to_string(), "--json"]);
    assert_status(&out, 0);
    let v = json(&out);
    assert_eq!(v["lint"]["passed"], false);
    assert!(v["lint"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "apple.san_dns_name"));
}

#[test]
fn fetch_from_a_closed_port_exits_5_with_the_network_diagnosis() {
    // 127.0.0.3: no other test listens there, so a port freed on it stays closed.
    let port = std::net::TcpListener::bind("127.0.0.3:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(&["trust", "fetch", &format!("127.0.0.3:{port}")]);
    assert_status(&out, 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("[net.refused]"));
}
