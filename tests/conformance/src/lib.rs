//! The conformance suite on every backend of yauth's workspace: [`setup`] opens a migrated
//! scratch database per backend, and each file under `tests/` instantiates the suite of
//! `yauth-conformance-suite` (re-exported here) for one backend with [`conformance_tests!`].

pub use yauth_conformance_suite::{Env, conformance_tests, rows, suite};

pub mod count;
pub mod setup;
