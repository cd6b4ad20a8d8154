//! Test support: fresh databases on the machine's PostgreSQL, MariaDB and SQLite, introspection
//! of what a migration created, and the generated ORM code of every plugin, compiled here.

#![allow(clippy::all)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/generated.rs"));
}

pub mod db;
