//! Local JWT verification allocates nothing but its result (counted with a global allocator).

use std::alloc::System;
use std::time::Duration;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tessera_client::JwtVerifier;

mod common;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn verification_allocates_only_the_result() {
    let now = 1_800_000_000;
    let (jwk, jwt) = common::signed_jwt(now);
    let verifier = JwtVerifier::new(common::PROJECT_ID, Duration::from_secs(10));
    verifier.set_keys(&[jwk]);
    let region = Region::new(GLOBAL);
    let first = verifier.verify_at(&jwt, None, now).unwrap();
    let cold = region.change().allocations;

    let region = Region::new(GLOBAL);
    let session = verifier.verify_at(&jwt, None, now).unwrap();
    let during = region.change().allocations;

    let region = Region::new(GLOBAL);
    let copy = first.clone();
    let result = region.change().allocations;
    assert_eq!(session, copy);
    eprintln!("first verification: {cold} allocations; again: {during}; the result: {result}");
    assert_eq!(during, result, "a remembered JWT allocates only its result");
    // The first verification also keeps a copy, and ring allocates a few buffers for the RSA
    // key; nothing else (no header, payload or claim copies).
    assert!(
        cold <= 2 * result + 6,
        "first verification made {cold} allocations"
    );
}
