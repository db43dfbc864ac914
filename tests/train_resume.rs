//! Interrupted runs: `kill -9` at random moments of training and checkpointing never leaves a checkpoint that
//! fails to load, and `--resume` ends with exactly the weights of an uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jetnewton::run::checkpoint::Checkpoint;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A small run that still has many checkpoints (every 2 steps and at each epoch's end), so kills land in every
/// phase: steps, evaluations, checkpoint writes, the final weights.
const ARGS: &[&str] = &[
    "--threads",
    "2",
    "train",
    "--model",
    "mlp:64-48-10:tanh",
    "--epochs",
    "12",
    "--checkpoint-every",
    "2",
    "--summary-batch-size",
    "400",
    "--no-plots",
    "--quiet",
];

fn jetnewton() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
}

fn train(dir: &Path) {
    let status = jetnewton()
        .args(ARGS)
        .arg("--run-dir")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "training into {}", dir.display());
}

fn resume(dir: &Path) {
    let out = jetnewton()
        .args(["train", "--resume"])
        .arg(dir)
        .args(["--quiet", "--no-plots"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "resume {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The losses of every step, in order: the trajectory.
fn losses(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("steps.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{} {}", v["step"], v["loss"])
        })
        .collect()
}

#[test]
fn kill_nine_then_resume_gives_the_uninterrupted_weights() {
    let root = tempfile::tempdir().unwrap();
    let reference = root.path().join("reference");
    let started = Instant::now();
    train(&reference);
    let full = started.elapsed();
    let want = std::fs::read(reference.join("final.safetensors")).unwrap();
    let want_losses = losses(&reference);

    // Kill times spread over the whole run, start-up included (seeded, so a failure can be replayed).
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let trials = 20;
    let mut killed_with_checkpoint = 0;
    for trial in 0..trials {
        let dir: PathBuf = root.path().join(format!("trial-{trial}"));
        let mut child = jetnewton()
            .args(ARGS)
            .arg("--run-dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let at = full.mul_f64(rng.random_range(0.0..1.1));
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let checkpoint = dir.join("checkpoint.safetensors");
        if checkpoint.exists() {
            // Whatever the moment of the kill, the checkpoint on disk is whole.
            Checkpoint::<f32>::load(&checkpoint)
                .unwrap_or_else(|e| panic!("trial {trial} (killed at {at:?}): {e}"));
            killed_with_checkpoint += 1;
            resume(&dir);
        } else if trial % 2 == 0 {
            // Killed before the first checkpoint: the run starts again in place, into the same directory.
            train(&dir);
        } else {
            // ... or `--resume` starts it again from its config.
            if dir.join("config.toml").exists() {
                resume(&dir);
            } else {
                train(&dir);
            }
        }
        let got = std::fs::read(dir.join("final.safetensors")).unwrap();
        assert!(
            got == want,
            "trial {trial} (killed at {at:?}): other final weights"
        );
        assert_eq!(losses(&dir), want_losses, "trial {trial}: other trajectory");
    }
    assert!(
        killed_with_checkpoint >= trials / 2,
        "only {killed_with_checkpoint} of {trials} kills hit a run with a checkpoint"
    );
    // Bounded in time: the whole test is ~25 short runs.
    assert!(started.elapsed() < Duration::from_secs(600));
}

#[test]
fn same_seed_and_threads_give_bit_identical_runs() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    train(&a);
    train(&b);
    assert_eq!(
        std::fs::read(a.join("final.safetensors")).unwrap(),
        std::fs::read(b.join("final.safetensors")).unwrap()
    );
    assert_eq!(losses(&a), losses(&b));
}
