use std::time::Instant;

use jetnewton_engine::summaries::*;
use jetnewton_engine::{Graph, Tensor};

fn t(shape: Vec<usize>, seed: f64, scale: f32) -> Tensor<f32> {
    let n: usize = shape.iter().product();
    Tensor::from_vec(
        shape,
        (0..n)
            .map(|i| ((i as f64 + 1.0) * seed).sin() as f32 * scale)
            .collect(),
    )
    .unwrap()
}

fn main() {
    let widths = [784usize, 1024, 200, 100, 10];
    let b = 1000;
    let x = t(vec![b, 784], 0.37, 1.0);
    let labels: Vec<usize> = (0..b).map(|i| i % 10).collect();
    let ws: Vec<Tensor<f32>> = (0..4)
        .map(|l| {
            t(
                vec![widths[l + 1], widths[l]],
                0.7 + l as f64,
                1.0 / (widths[l] as f32).sqrt(),
            )
        })
        .collect();
    fn build<'g>(
        g: &'g Graph<f32>,
        x: &Tensor<f32>,
        ws: &[Tensor<f32>],
        widths: &[usize],
        labels: &[usize],
    ) -> jetnewton_engine::Var<'g, f32> {
        let mut h = g.constant(x.clone());
        for l in 0..4 {
            let w = g.param(format!("{l}.weight"), ws[l].clone());
            let bb = g.param(format!("{l}.bias"), Tensor::zeros(&[widths[l + 1]]));
            h = h.matmul_t(w).unwrap().add_bias(bb).unwrap();
            if l < 3 {
                h = h.tanh().unwrap();
            }
        }
        h.cross_entropy(labels).unwrap()
    }
    for _ in 0..3 {
        let t0 = Instant::now();
        let g = Graph::new();
        let loss = build(&g, &x, &ws, &widths, &labels);
        let params: Vec<usize> = g.params().iter().map(|p| p.0).collect();
        let _ = g.grad(loss.id(), &params).unwrap();
        let tg = t0.elapsed();
        let g = Graph::new();
        let loss = build(&g, &x, &ws, &widths, &labels);
        let groups = Groups::canonical(&g);
        let dir = gradient_direction(&g, loss.id(), &groups).unwrap();
        let t1 = Instant::now();
        let s = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap();
        let ts = t1.elapsed();
        let t2 = Instant::now();
        let skip_db = std::env::args().any(|a| a == "jet");
        let s2 = if skip_db {
            s.clone()
        } else {
            double_backward_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default())
                .unwrap()
        };
        let td = t2.elapsed();
        println!(
            "grad {:?} summaries {:?} ratio {:.2} double-backward {:?} ratio {:.2}  d3[0] {} {}",
            tg,
            ts,
            ts.as_secs_f64() / tg.as_secs_f64(),
            td,
            td.as_secs_f64() / tg.as_secs_f64(),
            s.d3[0],
            s2.d3[0]
        );
    }
}
