use jetnewton_engine::{Graph, Tensor};

#[test]
fn mlp_gradient_matches_finite_differences() {
    let x = Tensor::from_vec(
        vec![3, 4],
        (0..12).map(|i| (i as f64 * 0.37).sin()).collect(),
    )
    .unwrap();
    let w0 = Tensor::from_vec(
        vec![5, 4],
        (0..20).map(|i| (i as f64 * 0.71).cos() * 0.5).collect(),
    )
    .unwrap();
    let b0 = Tensor::from_vec(vec![5], (0..5).map(|i| i as f64 * 0.1).collect()).unwrap();
    let w1 = Tensor::from_vec(
        vec![3, 5],
        (0..15).map(|i| (i as f64 * 1.3).sin() * 0.5).collect(),
    )
    .unwrap();
    let labels = [0usize, 2, 1];
    let loss_of = |w0: &Tensor<f64>| {
        let g = Graph::new();
        let xv = g.constant(x.clone());
        let p0 = g.param("0.weight", w0.clone());
        let p1 = g.param("0.bias", b0.clone());
        let p2 = g.param("1.weight", w1.clone());
        let l = xv
            .matmul_t(p0)
            .unwrap()
            .add_bias(p1)
            .unwrap()
            .tanh()
            .unwrap()
            .matmul_t(p2)
            .unwrap()
            .cross_entropy(&labels)
            .unwrap();
        let gr = g.grad(l.id(), &[p0.id()]).unwrap();
        (l.value().item().unwrap(), gr[0].clone())
    };
    let (_, grad) = loss_of(&w0);
    let h = 1e-6;
    for i in 0..20 {
        let mut wp = w0.clone();
        wp.data_mut()[i] += h;
        let mut wm = w0.clone();
        wm.data_mut()[i] -= h;
        let fd = (loss_of(&wp).0 - loss_of(&wm).0) / (2.0 * h);
        assert!(
            (fd - grad.data()[i]).abs() < 1e-8,
            "{i}: {fd} vs {}",
            grad.data()[i]
        );
    }
}
