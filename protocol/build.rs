//! Generates the ESP-IDF provisioning message types from the vendored .proto files with protox
//! (a pure-Rust .proto compiler), so building needs no `protoc`.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "protocomm/constants.proto",
    "protocomm/sec0.proto",
    "protocomm/sec1.proto",
    "protocomm/sec2.proto",
    "protocomm/session.proto",
    "wifi_provisioning/wifi_constants.proto",
    "wifi_provisioning/wifi_config.proto",
    "wifi_provisioning/wifi_scan.proto",
    "wifi_provisioning/wifi_ctrl.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto/esp");
    let files: Vec<PathBuf> = PROTOS.iter().map(|p| root.join(p)).collect();
    // Imports are bare file names (`import "constants.proto"`), so each directory is an include root.
    let includes = [root.join("protocomm"), root.join("wifi_provisioning")];
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, &includes)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("esp");
    std::fs::create_dir_all(&out)?;
    prost_build::Config::new()
        .out_dir(&out)
        .compile_fds(descriptors)?;
    Ok(())
}
