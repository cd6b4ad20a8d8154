//! The routes every app gets, whatever plugins are on.

pub mod core;
