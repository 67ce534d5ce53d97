#![no_main]

use libfuzzer_sys::fuzz_target;

// Shared with the stable replay in crates/tessera-server/tests/api/fuzz_corpus.rs.
#[path = "../shared/jwt_client.rs"]
mod jwt_client;

fuzz_target!(|data: &[u8]| jwt_client::run(data));
