//! Integration tests across crates: one test binary, one module per room (as ripgrep does).
