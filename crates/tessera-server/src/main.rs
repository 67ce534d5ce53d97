//! The `tessera` binary: parse the command line and hand over to the library.

/// mimalloc: the request path allocates many small strings; glibc's malloc was ~15 % of the
/// server's CPU in the profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tessera_server::cli::main()
}
