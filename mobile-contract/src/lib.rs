//! The tablet contract, version 1 (`shared/mobile-contract-v1.md`): request and response types
//! shared by the server and the tablet app. It depends on no server or database crate.
