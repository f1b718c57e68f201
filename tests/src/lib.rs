//! Workspace-level end-to-end tests live in `tests/tests/`; this library only
//! exists so the folder is a crate.
#![forbid(unsafe_code)]
