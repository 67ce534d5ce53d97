//! The fuzz targets' quick form, on the stable toolchain and with no server: each committed seed
//! of `fuzz/corpus/<target>/` goes through its `tessera_server::fuzzing` entry point, then about
//! two seconds of cheap random mutations of them (bit flips, interesting bytes, truncations,
//! erased, inserted and repeated ranges, splices of two seeds). The full form is `scripts/fuzz`:
//! cargo-fuzz on nightly, coverage-guided, ten minutes per target by default.
//!
//! `TESSERA_FUZZ_SEED` replays one mutation sequence; `TESSERA_FUZZ_QUICK_SECONDS` changes the
//! time per target. An input that panics is written to `CARGO_TARGET_TMPDIR` and named in the
//! failure, ready for `cargo +nightly fuzz run <target> <file>` in `fuzz/`.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tessera_server::fuzzing;

/// The client's target lives in the fuzz crate (tessera-client is only a dev-dependency of
/// the server); its body is shared with this replay.
#[path = "../../../../fuzz/shared/jwt_client.rs"]
mod jwt_client;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus");

/// Bytes that move parsers: JSON and JWT punctuation, escapes, numbers at their limits,
/// invalid UTF-8, header and line separators.
const INTERESTING: [&[u8]; 24] = [
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b".",
    b"=",
    b";",
    b"\n",
    b" ",
    b"null",
    b"-1",
    b"0",
    b"9223372036854775807",
    b"1e999",
    b"\xff",
    b"\xc3\xa9",
    b"%00",
    b"\x00",
];

#[test]
fn request_bodies_never_panic() {
    quick("request_bodies", fuzzing::request_bodies);
}

#[test]
fn server_jwts_never_panic() {
    quick("jwt_server", fuzzing::jwt_server);
}

#[test]
fn client_jwts_never_panic() {
    quick("jwt_client", jwt_client::run);
}

#[test]
fn basic_auth_and_cookies_never_panic() {
    quick("basic_auth_and_cookies", fuzzing::basic_auth_and_cookies);
}

#[test]
fn addresses_never_panic() {
    quick("addresses", fuzzing::addresses);
}

#[test]
fn siwe_never_panics() {
    quick("siwe", fuzzing::siwe);
}

/// The committed seeds of `target`, in name order.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(CORPUS).join(target);
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no seeds in {}", dir.display());
    let read = |p: &std::path::PathBuf| (p.display().to_string(), fs::read(p).expect("seed"));
    paths.iter().map(read).collect()
}

/// The seeds, then mutations of them until the time is up.
fn quick(target: &str, run: fn(&[u8])) {
    let named = seeds(target);
    for (name, input) in &named {
        guarded(target, run, input, name);
    }
    let seeds: Vec<Vec<u8>> = named.into_iter().map(|(_, input)| input).collect();
    let seed = std::env::var("TESSERA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let seconds = std::env::var("TESSERA_FUZZ_QUICK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let mut rng = StdRng::seed_from_u64(seed);
    let until = Instant::now() + Duration::from_secs(seconds);
    let (origin, mut runs) = (format!("TESSERA_FUZZ_SEED={seed}"), 0u64);
    while Instant::now() < until {
        guarded(target, run, &mutate(&mut rng, &seeds), &origin);
        runs += 1;
    }
    eprintln!(
        "{target}: {} seeds, {runs} mutations ({origin})",
        seeds.len()
    );
}

/// Runs one input; a panic saves it and fails with where it is.
fn guarded(target: &str, run: fn(&[u8]), input: &[u8], origin: &str) {
    let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(input))) else {
        return;
    };
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-crash-{target}"));
    let saved = fs::write(&path, input).map_or_else(
        |e| format!("could not be saved ({e})"),
        |()| format!("saved to {}", path.display()),
    );
    eprintln!(
        "{target} panicked on an input from {origin}, {saved}: {:?}",
        String::from_utf8_lossy(&input[..input.len().min(512)])
    );
    resume_unwind(panic);
}

/// One to four mutations stacked on a random seed.
fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut out = seeds[rng.gen_range(0..seeds.len())].clone();
    for _ in 0..rng.gen_range(1..=4) {
        let len = out.len();
        let at = rng.gen_range(0..=len);
        let to = rng.gen_range(at..=len);
        match rng.gen_range(0..7) {
            0 if len > 0 => out[rng.gen_range(0..len)] ^= 1u8 << rng.gen_range(0..8u32),
            1 if len > 0 => out[rng.gen_range(0..len)] = rng.r#gen(),
            2 => out.truncate(at),
            3 => drop(out.drain(at..to)),
            4 => {
                let token = INTERESTING.choose(rng).copied().unwrap_or_default();
                insert(&mut out, at, token);
            }
            5 => {
                let other = &seeds[rng.gen_range(0..seeds.len())];
                let from = rng.gen_range(0..=other.len());
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            _ => {
                let range = out[at..to].to_vec();
                insert(&mut out, rng.gen_range(0..=len), &range);
            }
        }
    }
    out
}

fn insert(out: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let tail = out.split_off(at);
    out.extend_from_slice(bytes);
    out.extend_from_slice(&tail);
}
