//! The stable codes, as constants, for the code that produces them. Scripts, the ledger and field
//! reports match on these strings; each has one entry in [`super::CATALOGUE`].
#![allow(missing_docs)]

// Certificates, TLS and the network, as `trust` diagnoses them.
pub const EXPIRED: &str = "cert.expired";
pub const NOT_YET_VALID: &str = "cert.not_yet_valid";
pub const WRONG_NAME: &str = "cert.wrong_name";
pub const UNKNOWN_ISSUER: &str = "cert.unknown_issuer";
pub const CA_USED_AS_END_ENTITY: &str = "cert.ca_used_as_end_entity";
pub const END_ENTITY_USED_AS_CA: &str = "cert.end_entity_used_as_ca";
pub const INVALID_PURPOSE: &str = "cert.invalid_purpose";
pub const UNSUPPORTED_CRITICAL_EXTENSION: &str = "cert.unsupported_critical_extension";
pub const WEAK_SIGNATURE: &str = "cert.weak_signature";
pub const WEAK_KEY: &str = "cert.weak_key";
pub const UNSUPPORTED_KEY: &str = "cert.unsupported_key";
pub const ANCHOR_NOT_ISSUER: &str = "cert.anchor_not_issuer";
pub const BAD_SIGNATURE: &str = "cert.bad_signature";
pub const BAD_ENCODING: &str = "cert.bad_encoding";
pub const NAME_CONSTRAINT_VIOLATION: &str = "cert.name_constraint_violation";
pub const PATH_LEN_EXCEEDED: &str = "cert.path_len_exceeded";
pub const PATH_TOO_COMPLEX: &str = "cert.path_too_complex";
pub const REVOKED: &str = "cert.revoked";
pub const NONE_PRESENTED: &str = "cert.none_presented";
pub const CERT_OTHER: &str = "cert.other";
pub const PIN_MISMATCH: &str = "cert.pin_mismatch";
pub const KEY_CHANGED: &str = "tofu.key_changed";
pub const CAPTURED: &str = "capture.refused";
pub const BAD_HANDSHAKE_SIGNATURE: &str = "tls.bad_handshake_signature";
pub const NO_COMMON_VERSION: &str = "tls.no_common_version";
pub const INCOMPATIBLE: &str = "tls.incompatible";
pub const PEER_MISBEHAVED: &str = "tls.peer_misbehaved";
pub const NOT_TLS: &str = "tls.not_tls";
pub const TLS_OTHER: &str = "tls.other";
pub const PEER_ALERT_UNKNOWN: &str = "tls.peer_alert.unknown";
pub const NO_ROUTE: &str = "net.no_route";
pub const WRONG_INTERFACE: &str = "net.wrong_interface";
pub const NET_UNREACHABLE: &str = "net.unreachable";
pub const REFUSED: &str = "net.refused";
pub const RESET: &str = "net.reset";
pub const CLOSED: &str = "net.closed";
pub const TIMEOUT: &str = "net.timeout";
pub const NET_OTHER: &str = "net.other";

// What only a provisioning flow has: what the accessory reported or answered, first-use
// confirmation, and local problems.
pub const AUTH_FAILED: &str = "accessory.auth_failed";
pub const NETWORK_NOT_FOUND: &str = "accessory.network_not_found";
pub const DHCP_FAILED: &str = "accessory.dhcp_failed";
pub const JOIN_TIMEOUT: &str = "accessory.timeout";
pub const JOIN_FAILED: &str = "accessory.join_failed";
pub const DEVICE_ID_MISMATCH: &str = "accessory.device_id_mismatch";
pub const DEVICE_ID_UNPROVEN: &str = "accessory.device_id_unproven";
pub const POP_REJECTED: &str = "accessory.pop_rejected";
pub const POP_REQUIRED: &str = "accessory.pop_required";
pub const HEADER_REJECTED: &str = "accessory.header_rejected";
pub const HTTP_ERROR: &str = "accessory.http_error";
pub const MALFORMED_RESPONSE: &str = "accessory.malformed_response";
pub const CONNECTION_LOST: &str = "accessory.connection_lost";
pub const FIRST_USE_UNCONFIRMED: &str = "tofu.first_use_unconfirmed";
pub const FINGERPRINT_MISMATCH: &str = "tofu.fingerprint_mismatch";
pub const DEADLINE: &str = "provision.deadline";
pub const INVALID_REQUEST: &str = "provision.invalid_request";
pub const BIND_DEVICE: &str = "provision.bind_device";
pub const CLIENT_IDENTITY: &str = "provision.client_identity";
pub const RESOLVE: &str = "provision.resolve";
pub const LEDGER: &str = "ledger.unusable";
pub const LEDGER_TOO_NEW: &str = "ledger.too_new";

// Inputs and the command line: what a person gave.
pub const INPUT_NOT_FOUND: &str = "input.not_found";
pub const INPUT_IS_A_DIRECTORY: &str = "input.is_a_directory";
pub const INPUT_TOO_LARGE: &str = "input.too_large";
pub const INPUT_EMPTY: &str = "input.empty";
pub const INPUT_NOT_A_CERTIFICATE: &str = "input.not_a_certificate";
pub const INPUT_TRUNCATED_DER: &str = "input.truncated_der";
pub const INPUT_PRIVATE_KEY_ONLY: &str = "input.private_key_only";
pub const INPUT_UNREADABLE: &str = "input.unreadable";
pub const INPUT_BAD_CERTIFICATE: &str = "input.bad_certificate";
pub const INPUT_INVALID_PIN: &str = "input.invalid_pin";
pub const INPUT_NOT_UTF8: &str = "input.not_utf8";
pub const INPUT_INVENTORY: &str = "input.inventory";
pub const INPUT_NO_PASSPHRASE: &str = "input.no_passphrase";
pub const INPUT_BAD_KEY: &str = "input.bad_key";
pub const INPUT_BAD_TARGET: &str = "input.bad_target";
pub const INPUT_BAD_SERVER_NAME: &str = "input.bad_server_name";
pub const POLICY_EMPTY: &str = "policy.empty";
pub const USAGE_NO_ACCESSORY: &str = "usage.no_accessory";
pub const USAGE_NO_SSID: &str = "usage.no_ssid";
pub const USAGE_NO_NETWORK: &str = "usage.no_network";
pub const USAGE_SSID_WITHOUT_WIFI: &str = "usage.ssid_without_wifi";
pub const USAGE_WIFI: &str = "usage.wifi";
pub const USAGE_OUT_REQUIRED: &str = "usage.out_required";
// Command lines clap refused (the binary's `exit::report_usage`).
pub const USAGE_UNKNOWN_ARGUMENT: &str = "usage.unknown_argument";
pub const USAGE_UNKNOWN_COMMAND: &str = "usage.unknown_command";
pub const USAGE_INVALID_VALUE: &str = "usage.invalid_value";
pub const USAGE_MISSING_ARGUMENT: &str = "usage.missing_argument";
pub const USAGE_CONFLICT: &str = "usage.conflict";
pub const USAGE_INVALID: &str = "usage.invalid";
pub const INTERRUPTED: &str = "interrupted";
pub const INTERNAL: &str = "internal";

// The trust store, exports and captured chains.
pub const STORE_IO: &str = "store.io";
pub const STORE_CORRUPT: &str = "store.corrupt";
pub const STORE_LEAF_REFUSED: &str = "store.leaf_refused";
pub const STORE_LABEL_TAKEN: &str = "store.label_taken";
pub const STORE_INVALID_LABEL: &str = "store.invalid_label";
pub const STORE_NOT_FOUND: &str = "store.not_found";
pub const STORE_AMBIGUOUS: &str = "store.ambiguous";
pub const STORE_NO_HOME: &str = "store.no_home";
pub const STORE_LABEL_FOR_MANY: &str = "store.label_for_many";
pub const EXPORT_EMPTY: &str = "export.empty";
pub const EXPORT_UNSUITABLE: &str = "export.unsuitable";
pub const EXPORT_INVALID_VALUE: &str = "export.invalid_value";
pub const EXPORT_PLIST: &str = "export.plist";
pub const EXPORT_EXISTS: &str = "export.exists";
pub const EXPORT_WRITE: &str = "export.write";
pub const FETCH_EXISTS: &str = "fetch.exists";
pub const FETCH_WRITE: &str = "fetch.write";
/// A file the command was asked to write as it runs (`--events PATH`) cannot be created.
pub const OUTPUT_WRITE: &str = "output.write";
pub const NET_RESOLVE: &str = "net.resolve";

// The ledger.
pub const LEDGER_NO_DEFAULT: &str = "ledger.no_default";
/// `accessory ledger list|show|forget` on a ledger file that does not exist (reading never creates one).
pub const LEDGER_NOT_FOUND: &str = "ledger.not_found";
pub const LEDGER_UNKNOWN_ACCESSORY: &str = "ledger.unknown_accessory";

// Certificates made by `certs`.
pub const CERTS_UNKNOWN_PROFILE: &str = "certs.unknown_profile";
pub const CERTS_INVALID_DEVICE_ID: &str = "certs.invalid_device_id";
pub const CERTS_INVALID_VALIDITY: &str = "certs.invalid_validity";
pub const CERTS_GENERATE: &str = "certs.generate";
pub const CERTS_EXISTS: &str = "certs.exists";
pub const CERTS_IO: &str = "certs.io";
pub const CERTS_BAD_CA: &str = "certs.bad_ca";
pub const CERTS_ROOT_KEY_NEEDED: &str = "certs.root_key_needed";
pub const CERTS_UNUSABLE_KEY: &str = "certs.unusable_key";
pub const CERTS_NO_CA: &str = "certs.no_ca";
pub const CERTS_INVALID_LABEL: &str = "certs.invalid_label";

// The accessory's label (`protocol::label`) and reading it (`provision --label`).
pub const LABEL_NOT_A_LABEL: &str = "label.not_a_label";
pub const LABEL_UNSUPPORTED_VERSION: &str = "label.unsupported_version";
pub const LABEL_CHECKSUM: &str = "label.checksum";
pub const LABEL_MISSING_FIELD: &str = "label.missing_field";
pub const LABEL_UNEXPECTED_FIELD: &str = "label.unexpected_field";
pub const LABEL_INVALID_FIELD: &str = "label.invalid_field";
pub const LABEL_NO_QR_CODE: &str = "label.no_qr_code";
pub const LABEL_UNREADABLE: &str = "label.unreadable";
pub const LABEL_ON_COMMAND_LINE: &str = "label.on_command_line";
pub const LABEL_CONFLICT: &str = "label.conflict";

// The simulated accessory and its SoftAP.
pub const SIM_READ_SCENARIO: &str = "sim.read_scenario";
pub const SIM_BAD_SCENARIO: &str = "sim.bad_scenario";
pub const SIM_UNKNOWN_FAULT: &str = "sim.unknown_fault";
pub const SIM_BAD_FAULT_VALUE: &str = "sim.bad_fault_value";
pub const SIM_CERTIFICATE: &str = "sim.certificate";
pub const SIM_MINTED: &str = "sim.minted";
pub const SIM_TLS_CONFIG: &str = "sim.tls_config";
pub const SIM_BIND: &str = "sim.bind";
pub const SIM_WRITE: &str = "sim.write";
pub const SOFTAP_NOT_ROOT: &str = "softap.not_root";
pub const SOFTAP_CONFIG: &str = "softap.config";
pub const SOFTAP_MISSING_TOOL: &str = "softap.missing_tool";
pub const SOFTAP_SETUP: &str = "softap.setup";

// API profiles (`protocol::profile`, docs/api-profiles.md): the same spellings as
// `protocol::profile::codes`, which has no dependency on this crate.
pub const PROFILE_SYNTAX: &str = "profile.syntax";
pub const PROFILE_UNKNOWN_PLACEHOLDER: &str = "profile.unknown_placeholder";
pub const PROFILE_PASSPHRASE_OUTSIDE_BODY: &str = "profile.passphrase_outside_body";
pub const PROFILE_INVALID: &str = "profile.invalid";

// Joining the accessory's SoftAP from this machine (`provision::wifi`).
pub const WIFI_NOT_FOUND: &str = "wifi.not_found";
pub const WIFI_AMBIGUOUS: &str = "wifi.ambiguous";
pub const WIFI_PASSPHRASE_REQUIRED: &str = "wifi.passphrase_required";
pub const WIFI_AUTH_FAILED: &str = "wifi.auth_failed";
pub const WIFI_UNSUPPORTED_SECURITY: &str = "wifi.unsupported_security";
pub const WIFI_DHCP_FAILED: &str = "wifi.dhcp_failed";
pub const WIFI_INTERFACE: &str = "wifi.interface";
pub const WIFI_BACKEND: &str = "wifi.backend";
pub const WIFI_NOT_PERMITTED: &str = "wifi.not_permitted";

// Probing client profiles (`probe`).
pub const PROBE_NO_TARGET: &str = "probe.no_target";
pub const PROBE_BAD_TARGET: &str = "probe.bad_target";
pub const PROBE_UNKNOWN_PROFILE: &str = "probe.unknown_profile";
pub const PROBE_UNREADABLE_CERTIFICATE: &str = "probe.unreadable_certificate";
pub const PROBE_CLIENT_HELLO_UNREADABLE: &str = "probe.client_hello_unreadable";
pub const PROBE_BAD_CLIENT_HELLO: &str = "probe.bad_client_hello";
pub const PROBE_INTERNAL: &str = "probe.internal";
pub const PROBE_PROFILE: &str = "probe.profile";
pub const PROBE_REPORT_WRITE: &str = "probe.report_write";

// Explaining a field code (`accessory explain`).
pub const EXPLAIN_UNKNOWN_CODE: &str = "explain.unknown_code";
