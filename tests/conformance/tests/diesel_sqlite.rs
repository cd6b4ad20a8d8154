//! The conformance suite on the `diesel_sqlite` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::diesel_sqlite());
