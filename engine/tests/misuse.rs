//! Mistakes a library user can make with the graph API are typed errors at the first call that can see them, not
//! silently wrong numbers: operands of two graphs, and a non-scalar node given where a loss is expected.

use jetnewton_engine::summaries::{
    double_backward_summaries, full_d3, gradient_direction, jet_summaries, taylor_terms, Direction,
    Groups, SummaryOptions,
};
use jetnewton_engine::{EngineError, Graph, NodeId, Tensor, Var};

fn t(shape: &[usize], data: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(shape.to_vec(), data.to_vec()).unwrap()
}

#[test]
fn operands_of_another_graph_are_refused_by_every_binary_op() {
    let g1 = Graph::<f64>::new();
    let g2 = Graph::<f64>::new();
    let a = g1.param("a", t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]));
    // Node 0 of g2: the same id as `a`, so before the check `a + b` silently computed `a + a`.
    let b = g2.param("b", t(&[2, 2], &[5.0, 6.0, 7.0, 8.0]));
    let attempts: Vec<(&str, Result<Var<'_, f64>, EngineError>)> = vec![
        ("add", a.add(b)),
        ("sub", a.sub(b)),
        ("mul", a.mul(b)),
        ("matmul", a.matmul(b)),
        ("matmul_t", a.matmul_t(b)),
        ("mse", a.mse(b)),
    ];
    for (what, result) in attempts {
        match result {
            Err(EngineError::ForeignVar { operand: 1, .. }) => {}
            other => panic!("{what}: expected ForeignVar, got {other:?}"),
        }
    }
    // Nothing was appended to either tape.
    assert_eq!((g1.len(), g2.len()), (1, 1));
    // Operands of the same graph still work.
    let c = g1.constant(t(&[2, 2], &[1.0; 4]));
    assert_eq!(a.add(c).unwrap().value().data(), &[2.0, 3.0, 4.0, 5.0]);
}

/// A graph whose output `y = tanh(w · x)` has two elements: not a loss.
fn two_outputs(g: &Graph<f64>) -> (NodeId, NodeId) {
    let x = g.constant(t(&[2, 3], &[0.1, -0.2, 0.3, 0.4, 0.5, -0.6]));
    let w = g.param("w", t(&[1, 3], &[0.5, -0.1, 0.2]));
    let y = x.matmul_t(w).unwrap().tanh().unwrap();
    assert_eq!(y.shape(), vec![2, 1]);
    (y.id(), w.id())
}

fn expect_not_scalar<T: std::fmt::Debug>(what: &str, result: Result<T, EngineError>, node: NodeId) {
    match result {
        Err(EngineError::NotScalar {
            node: n, ref shape, ..
        }) if n == node && shape == &[2, 1] => {
            let message = result.unwrap_err().to_string();
            assert!(message.contains("must be a scalar"), "{what}: {message}");
        }
        other => panic!("{what}: expected NotScalar for node {node}, got {other:?}"),
    }
}

#[test]
fn a_non_scalar_loss_is_refused_wherever_a_loss_is_expected() {
    let g = Graph::<f64>::new();
    let (y, w) = two_outputs(&g);
    let groups = Groups::new(&g, vec![vec![w]]).unwrap();
    let mut dir = Direction::new();
    dir.insert(w, t(&[1, 3], &[1.0, 0.5, -0.5]));
    let opts = SummaryOptions::default();
    expect_not_scalar("grad", g.grad(y, &[w]), y);
    expect_not_scalar("grad_nodes", g.grad_nodes(y, &[w]), y);
    expect_not_scalar("backward", g.backward(y, &[w], false), y);
    expect_not_scalar("gradient_direction", gradient_direction(&g, y, &groups), y);
    expect_not_scalar(
        "jet_summaries",
        jet_summaries(&g, y, &groups, &dir, opts),
        y,
    );
    let db = double_backward_summaries(&g, y, &groups, &dir, opts);
    expect_not_scalar("double_backward_summaries", db, y);
    expect_not_scalar("taylor_terms", taylor_terms(&g, y, &groups, &dir, 3), y);
    expect_not_scalar("full_d3", full_d3(&g, y, &groups, &dir), y);
    // Reduced to a scalar, the same graph is a loss.
    let loss = g.var(y).unwrap().sum().unwrap().id();
    assert_eq!(g.grad(loss, &[w]).unwrap()[0].shape(), &[1, 3]);
    assert!(jet_summaries(&g, loss, &groups, &dir, opts).is_ok());
}
