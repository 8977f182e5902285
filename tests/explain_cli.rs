//! `accessory explain CODE` as the real binary: every field code issue 16 names is explained, text
//! and JSON, and every simulator command it prints parses (its faults and personalities exist).

use std::process::Command;

use accessory_sim::{Fault, Personality};
use accessory_tests::provision::accessory_bin;

fn explain(args: &[&str]) -> std::process::Output {
    Command::new(accessory_bin())
        .arg("explain")
        .args(args)
        .output()
        .expect("accessory runs")
}

const CODES: &[&str] = &[
    "-9825",
    "-9802",
    "-9806",
    "-9807",
    "-9808",
    "-9813",
    "-9816",
    "-9824",
    "-9858",
    "65",
    "CertPathValidatorException",
    "SSLPeerUnverifiedException",
    "SSLHandshakeException",
];

#[test]
fn every_field_code_is_explained_with_ranked_causes_a_reproduction_and_a_way_to_tell_them_apart() {
    for code in CODES {
        let out = explain(&[code]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{code}: {text}");
        assert!(text.starts_with(code), "{code}: {text}");
        assert!(text.contains("1. "), "{code}: {text}");
        assert!(text.contains("tell apart:  "), "{code}");
        assert!(text.contains("source:"), "{code}");

        let out = explain(&[code, "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["code"], *code);
        assert!(!json["causes"].as_array().unwrap().is_empty(), "{code}");
    }
    let t = String::from_utf8_lossy(&explain(&["-9858"]).stdout).into_owned();
    assert!(t.contains("errSSLHandshakeFail"), "{t}");
    let t = String::from_utf8_lossy(&explain(&["65"]).stdout).into_owned();
    assert!(t.contains("local network privacy"), "{t}");
    assert!(t.contains("another interface"), "{t}");
}

#[test]
fn every_simulator_command_an_explanation_prints_names_real_faults_and_personalities() {
    let mut checked = 0;
    for e in trust::diagnosis::EXPLANATIONS {
        for c in e.causes {
            let words: Vec<&str> = c.reproduce.split_whitespace().collect();
            for pair in words.windows(2) {
                // "(or --fault single-read)": prose around a command, not part of it.
                let value = pair[1].trim_end_matches([')', ',']);
                match pair[0] {
                    "--fault" => {
                        value
                            .parse::<Fault>()
                            .unwrap_or_else(|err| panic!("{}: {}: {err}", e.code, c.reproduce));
                        checked += 1;
                    }
                    "--personality" => {
                        value
                            .parse::<Personality>()
                            .unwrap_or_else(|err| panic!("{}: {}: {err}", e.code, c.reproduce));
                        checked += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(checked > 15, "{checked}");
}

#[test]
fn an_unknown_code_is_a_usage_error_that_says_how_to_list_the_known_ones() {
    let out = explain(&["-1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("explain.unknown_code"), "{err}");
    assert!(err.contains("--list"), "{err}");
}
