//! (Table of contents to come.)
#![forbid(unsafe_code)]
