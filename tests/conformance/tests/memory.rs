//! The conformance suite on the `memory` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::memory());
