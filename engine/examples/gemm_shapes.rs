use std::time::Instant;
use jetnewton_engine::cpu::gemm::{matmul, Layout};
fn main() {
    for &(m, n, k, ta, tb) in &[(1000usize, 1024usize, 784usize, false, true), (1000, 200, 1024, false, true), (1000, 1024, 200, false, false), (200, 1024, 1000, true, false), (1024, 784, 1000, true, false), (1000,100,200,false,true)] {
        let a = vec![0.5f32; m * k];
        let b = vec![0.25f32; k * n];
        let mut c = vec![0f32; m * n];
        let la = if ta { Layout::Transposed } else { Layout::Normal };
        let lb = if tb { Layout::Transposed } else { Layout::Normal };
        matmul(m, n, k, &a, la, &b, lb, &mut c, false, true);
        let t = Instant::now();
        let reps = 10;
        for _ in 0..reps { matmul(m, n, k, &a, la, &b, lb, &mut c, false, true); }
        let dt = t.elapsed().as_secs_f64() / reps as f64;
        println!("{m}x{n}x{k} ta={ta} tb={tb}: {:.2} ms {:.0} GFLOP/s", dt * 1e3, 2.0 * (m * n * k) as f64 / dt / 1e9);
    }
}
