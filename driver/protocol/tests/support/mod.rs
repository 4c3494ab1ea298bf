//! Helpers shared by the integration tests.
pub(crate) mod fixtures;
pub(crate) mod rng;
