//! The `outpost` binary.

fn main() {
    std::process::exit(outpost::cli::main());
}
