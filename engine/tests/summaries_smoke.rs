use jetnewton_engine::summaries::*;
use jetnewton_engine::{Graph, Tensor};

fn t(shape: Vec<usize>, seed: f64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec(
        shape,
        (0..n)
            .map(|i| ((i as f64 + 1.0) * seed).sin() * 0.7)
            .collect(),
    )
    .unwrap()
}

#[test]
fn jets_match_double_backward_on_mlp() {
    let g = Graph::<f64>::new();
    let x = g.constant(t(vec![4, 3], 0.37));
    let w0 = g.param("0.weight", t(vec![5, 3], 0.71));
    let b0 = g.param("0.bias", t(vec![5], 0.3));
    let w1 = g.param("1.weight", t(vec![4, 5], 1.3));
    let b1 = g.param("1.bias", t(vec![4], 0.9));
    let w2 = g.param("2.weight", t(vec![3, 4], 1.7));
    let h = x
        .matmul_t(w0)
        .unwrap()
        .add_bias(b0)
        .unwrap()
        .tanh()
        .unwrap();
    let h = h.matmul_t(w1).unwrap().add_bias(b1).unwrap().elu().unwrap();
    let loss = h
        .matmul_t(w2)
        .unwrap()
        .cross_entropy(&[0, 2, 1, 1])
        .unwrap();
    let groups = Groups::canonical(&g);
    let mut dir = Direction::new();
    for (i, (p, _)) in g.params().iter().enumerate() {
        dir.insert(*p, t(g.value(*p).shape().to_vec(), 0.5 + i as f64 * 0.21));
    }
    let opts = SummaryOptions { d3_slices: true };
    let a = jet_summaries(&g, loss.id(), &groups, &dir, opts).unwrap();
    let b = double_backward_summaries(&g, loss.id(), &groups, &dir, opts).unwrap();
    println!("{a:?}\n{b:?}");
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-10 * (1.0 + x.abs().max(y.abs()));
    assert!(close(a.loss, b.loss));
    for s in 0..groups.len() {
        assert!(close(a.gbar[s], b.gbar[s]), "gbar {s}");
        assert!(close(a.d3[s], b.d3[s]), "d3 {s}: {} {}", a.d3[s], b.d3[s]);
        for u in 0..groups.len() {
            assert!(
                close(a.hbar[s][u], b.hbar[s][u]),
                "hbar {s} {u}: {} {}",
                a.hbar[s][u],
                b.hbar[s][u]
            );
            let (sa, sb) = (a.d3_slices.as_ref().unwrap(), b.d3_slices.as_ref().unwrap());
            assert!(close(sa[s][u], sb[s][u]), "slice {s} {u}");
        }
    }
    let no_slices = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap();
    for s in 0..groups.len() {
        for u in 0..groups.len() {
            assert!(close(no_slices.hbar[s][u], b.hbar[s][u]));
        }
        assert!(close(no_slices.d3[s], b.d3[s]));
    }
}
