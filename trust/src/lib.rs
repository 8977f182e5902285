//! (Table of contents to come.)
#![forbid(unsafe_code)]

// Admin tools (lint, store, export): owned by the "admin" room.
pub mod lint;
pub mod store;
