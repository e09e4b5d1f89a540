//! The `outpost` binary.

// sled copies tree nodes on write; mimalloc makes those many small allocations cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(outpost::cli::main());
}
