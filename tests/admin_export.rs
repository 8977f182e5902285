//! `trust export` checked by parsers and clients nobody here wrote: the configuration profile by
//! Python's `plistlib` (plutil is macOS-only), the Android network security config by `xml.etree`
//! against the element and attribute names AOSP's parser accepts, and the curl pins by curl itself
//! against a simulated accessory on loopback.

use std::path::Path;

use accessory_sim::Scenario;
use accessory_tests::admin::{arg, assert_status, python, run, write_profile};
use accessory_tests::sim::{curl, Served};

const DEVICE: &str = "ADM-0002";

/// Loads the profile with plistlib and prints what a device would act on, as JSON.
const PLIST_CHECK: &str = r#"
import json, plistlib, sys
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
ders = [bytes.fromhex(h) for h in sys.argv[2].split(",")]
out = {
    "type": p["PayloadType"], "version": p["PayloadVersion"], "uuid": p["PayloadUUID"],
    "identifier": p["PayloadIdentifier"], "name": p["PayloadDisplayName"], "payloads": [],
}
for q in p["PayloadContent"]:
    missing = [k for k in ("PayloadContent", "PayloadCertificateFileName", "PayloadIdentifier",
                           "PayloadUUID", "PayloadType", "PayloadVersion", "PayloadDisplayName") if k not in q]
    out["payloads"].append({
        "type": q["PayloadType"], "version": q["PayloadVersion"], "missing": missing,
        "content_is_bytes": isinstance(q["PayloadContent"], bytes),
        "matches_der": q["PayloadContent"] in ders,
        "file": q["PayloadCertificateFileName"], "uuid": q["PayloadUUID"],
    })
print(json.dumps(out))
"#;

/// Parses the XML and checks every element and attribute against what AOSP's XmlConfigSource reads.
const NSC_CHECK: &str = r#"
import base64, json, os, re, sys
import xml.etree.ElementTree as ET
allowed = {
    "network-security-config": set(), "base-config": {"cleartextTrafficPermitted"},
    "domain-config": {"cleartextTrafficPermitted"}, "domain": {"includeSubdomains"},
    "trust-anchors": set(), "certificates": {"src", "overridePins"},
    "pin-set": {"expiration"}, "pin": {"digest"}, "debug-overrides": set(),
}
path, res = sys.argv[1], sys.argv[2]
root = ET.parse(path).getroot()
problems, raws, pins, domains = [], [], [], []
if root.tag != "network-security-config":
    problems.append("root is " + root.tag)
for el in root.iter():
    if el.tag not in allowed:
        problems.append("unknown element " + el.tag)
        continue
    for a in el.attrib:
        if a not in allowed[el.tag]:
            problems.append("unknown attribute %s on %s" % (a, el.tag))
    if el.tag == "certificates":
        src = el.attrib["src"]
        m = re.fullmatch(r"@raw/([a-z][a-z0-9_]*)", src)
        if not m:
            problems.append("bad src " + src)
        else:
            name = m.group(1)
            files = [f for f in os.listdir(os.path.join(res, "raw")) if os.path.splitext(f)[0] == name]
            if len(files) != 1:
                problems.append("no raw file for " + name)
            raws.append(name)
    if el.tag == "pin":
        if el.attrib.get("digest") != "SHA-256":
            problems.append("digest " + str(el.attrib.get("digest")))
        if len(base64.b64decode(el.text.strip(), validate=True)) != 32:
            problems.append("pin is not 32 bytes")
        pins.append(el.text.strip())
    if el.tag == "domain":
        domains.append(el.text.strip())
    if el.tag == "domain-config" and el.find("domain") is None:
        problems.append("domain-config without domain")
print(json.dumps({"problems": problems, "raws": raws, "pins": pins, "domains": domains}))
"#;

fn parse(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn der_hex(pem_path: &Path) -> Vec<String> {
    trust::load_certificates(pem_path)
        .unwrap()
        .iter()
        .map(|c| c.as_ref().iter().map(|b| format!("{b:02x}")).collect())
        .collect()
}

#[test]
fn the_mobileconfig_export_is_a_profile_plistlib_reads_with_one_root_payload_per_anchor() {
    if !accessory_tests::skip::require_tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, maker_root, _) = write_profile(dir.path(), "good-chain", DEVICE);
    let (_, self_signed, _) = write_profile(dir.path(), "good-self-signed", DEVICE);
    let store = dir.path().join("store");
    for f in [&maker_root, &self_signed] {
        assert_status(&run(&["trust", "add", arg(f), "--store", arg(&store)]), 0);
    }
    let out_dir = dir.path().join("profile");
    let out = run(&[
        "trust",
        "export",
        "--format",
        "mobileconfig",
        "--store",
        arg(&store),
        "--out",
        arg(&out_dir),
    ]);
    assert_status(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Certificate Trust Settings"), "{stderr}");
    let readme = std::fs::read_to_string(out_dir.join("README.txt")).unwrap();
    assert!(readme.contains("Settings > General > About > Certificate Trust Settings"));

    let profile = out_dir.join("accessory-trust.mobileconfig");
    let mut ders = der_hex(&maker_root);
    ders.extend(der_hex(&self_signed));
    let (code, text) = python(PLIST_CHECK, &[arg(&profile), &ders.join(",")]);
    assert_eq!(code, 0, "{text}");
    let v = parse(&text);
    assert_eq!(v["type"], "Configuration");
    assert_eq!(v["version"], 1);
    let payloads = v["payloads"].as_array().unwrap();
    assert_eq!(payloads.len(), 2);
    for p in payloads {
        assert_eq!(p["type"], "com.apple.security.root");
        assert_eq!(p["version"], 1);
        assert_eq!(p["missing"], serde_json::json!([]));
        assert_eq!(p["content_is_bytes"], true);
        assert_eq!(
            p["matches_der"], true,
            "PayloadContent decodes to the anchor's DER"
        );
    }
    assert_ne!(payloads[0]["uuid"], payloads[1]["uuid"]);

    // Re-exporting gives the same bytes (stable UUIDs): a phone sees the same profile, not a second one.
    let again = run(&[
        "trust",
        "export",
        "--format",
        "mobileconfig",
        "--store",
        arg(&store),
    ]);
    assert_status(&again, 0);
    assert_eq!(again.stdout, std::fs::read(&profile).unwrap());
}

#[test]
fn the_android_export_is_a_network_security_config_with_the_names_aosp_accepts() {
    if !accessory_tests::skip::require_tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, anchors, m) = write_profile(dir.path(), "good-chain", DEVICE);
    let res = dir.path().join("res");
    let out = run(&[
        "trust",
        "export",
        "--format",
        "android-nsc",
        "--anchors",
        arg(&anchors),
        "--pin",
        &m.pin,
        "--pin-expiration",
        "2027-06-01",
        "--domain",
        "192.168.4.1",
        "--out",
        arg(&res),
    ]);
    // --anchors and --pin together: both go in.
    assert_status(&out, 0);
    let (code, text) = python(
        NSC_CHECK,
        &[arg(&res.join("xml/network_security_config.xml")), arg(&res)],
    );
    assert_eq!(code, 0, "{text}");
    let v = parse(&text);
    assert_eq!(v["problems"], serde_json::json!([]), "{text}");
    assert_eq!(v["domains"], serde_json::json!(["192.168.4.1"]));
    assert_eq!(v["raws"].as_array().unwrap().len(), 1);
    assert_eq!(v["pins"][0], m.pin.trim_start_matches("sha256/"));
    let raw = std::fs::read_dir(res.join("raw"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        trust::load_certificates(&raw).unwrap(),
        trust::load_certificates(&anchors).unwrap()
    );

    // Without --out there is nowhere to put several files: a usage error, not a half export.
    let out = run(&[
        "trust",
        "export",
        "--format",
        "android-nsc",
        "--anchors",
        arg(&anchors),
    ]);
    assert_status(&out, 2);
}

#[test]
fn curl_with_the_exported_pins_reaches_the_accessory_and_with_another_keys_pin_fails_with_90() {
    if !accessory_tests::skip::require_tool("curl") {
        return;
    }
    // A self-signed accessory: its anchor is its own certificate, so the anchor's key is the pin.
    let served = Served::start(Scenario::good(DEVICE).with_profile("good-self-signed"));
    let pins = run(&[
        "trust",
        "export",
        "--format",
        "curl-pins",
        "--anchors",
        arg(&served.anchors),
    ]);
    assert_status(&pins, 0);
    let pins = String::from_utf8(pins.stdout).unwrap().trim().to_owned();
    assert_eq!(pins, served.sim().pin().to_curl());

    let bundle = served.dir().join("bundle.pem");
    let out = run(&[
        "trust",
        "export",
        "--format",
        "pem-bundle",
        "--anchors",
        arg(&served.anchors),
        "--out",
        arg(&served.dir().join("b")),
    ]);
    assert_status(&out, 0);
    std::fs::copy(served.dir().join("b/accessory-anchors.pem"), &bundle).unwrap();

    let resolve = served.curl_resolve();
    let url = served.url("/v1/device");
    let ok = curl(&[
        "--cacert",
        arg(&bundle),
        "--resolve",
        &resolve,
        "--pinnedpubkey",
        &pins,
        &url,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.text);
    assert!(ok.text.contains(DEVICE), "{}", ok.text);

    let other = certs::generate("good-self-signed", &certs::Options::new("ADM-0099")).unwrap();
    let other_pin = format!("sha256//{}", other.pin.trim_start_matches("sha256/"));
    let refused = curl(&[
        "--cacert",
        arg(&bundle),
        "--resolve",
        &resolve,
        "--pinnedpubkey",
        &other_pin,
        &url,
    ]);
    assert_eq!(
        refused.code, 90,
        "CURLE_SSL_PINNEDPUBKEYNOTMATCH expected: {}",
        refused.text
    );

    // Two pins, one right: curl accepts any of them (the rotation case).
    let both = format!("{other_pin};{pins}");
    let ok = curl(&[
        "--cacert",
        arg(&bundle),
        "--resolve",
        &resolve,
        "--pinnedpubkey",
        &both,
        &url,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.text);
}

#[test]
fn curl_pins_of_a_ca_only_store_are_refused_with_a_pointer_to_the_pem_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let (_, maker_root, _) = write_profile(dir.path(), "good-chain", DEVICE);
    let out = run(&[
        "trust",
        "export",
        "--format",
        "curl-pins",
        "--anchors",
        arg(&maker_root),
    ]);
    assert_status(&out, 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pem-bundle") && stderr.contains("[export.unsuitable]"),
        "{stderr}"
    );
}
