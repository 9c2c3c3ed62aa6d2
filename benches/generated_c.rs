//! Benchmarks of the generated C: filled in with the C backend.
fn main() {}
