//! The crate's examples run as tests, so CI proves they work as documented.

#[allow(dead_code)]
#[path = "../examples/solver.rs"]
mod solver;

#[test]
fn solver_example_finds_a_minimiser() {
    solver::main().unwrap();
}
