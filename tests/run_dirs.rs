//! Run directories belong to one process and to one run: nothing is deleted that jetnewton did not create, two
//! processes never share a directory, `--resume` refuses records and checkpoints that are not this run's, a
//! signal stops a run with a checkpoint, and a finite blow-up is not a success.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
}

fn jetnewton(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small, fast run on the embedded digits.
const SMALL: &[&str] = &[
    "--threads",
    "2",
    "train",
    "--model",
    "mlp:64-16-10:tanh",
    "--summary-batch-size",
    "200",
    "--no-plots",
    "--quiet",
];

fn train(dir: &Path, extra: &[&str]) -> Output {
    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--run-dir", dir.to_str().unwrap()]);
    args.extend_from_slice(extra);
    jetnewton(&args)
}

fn resume(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--resume",
        dir.to_str().unwrap(),
        "--quiet",
        "--no-plots",
    ];
    args.extend_from_slice(extra);
    jetnewton(&args)
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

fn refused(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
}

fn status(dir: &Path) -> String {
    let info: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap();
    info["status"].as_str().unwrap().to_string()
}

/// The steps of `steps.jsonl`, in file order.
fn steps(dir: &Path) -> Vec<u64> {
    fs::read_to_string(dir.join("steps.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

fn write_config(root: &Path, file: &str, name: &str) -> PathBuf {
    let path = root.join(file);
    let text = format!(
        "name = {name:?}\nmodel = \"mlp:64-16-10:tanh\"\noptimizer = \"adam\"\nepochs = 1\nthreads = 2\n"
    );
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn compare_never_deletes_what_it_did_not_create() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let out = r.join("out");
    // A user's folder that happens to have a run's name, holding no checkpoint.
    let mine = out.join("digits-adam");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "precious").unwrap();
    let config = write_config(r, "a.toml", "digits-adam");
    for force in [false, true] {
        let mut args = vec![
            "compare",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log",
            "quiet",
        ];
        if force {
            args.push("--force");
        }
        refused(
            &jetnewton(&args),
            &["digits-adam", "not a jetnewton run directory"],
        );
        assert_eq!(fs::read(mine.join("notes.txt")).unwrap(), b"precious");
    }
    // Names that are path components of their own (`.`, `..`) become ordinary directory names.
    for (file, name) in [("dot.toml", "."), ("dotdot.toml", "..")] {
        let config = write_config(r, file, name);
        let out = r.join(format!("out-{file}"));
        ok(&jetnewton(&[
            "compare",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log",
            "quiet",
        ]));
        assert_eq!(status(&out.join("run")), "completed");
        // `--force` retrains only what it made.
        ok(&jetnewton(&[
            "compare",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log",
            "quiet",
            "--force",
        ]));
        assert_eq!(status(&out.join("run")), "completed");
    }
    assert_eq!(fs::read(mine.join("notes.txt")).unwrap(), b"precious");
}

#[test]
fn a_non_empty_folder_is_never_a_run_directory() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mine");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("config.toml"), "my own").unwrap();
    refused(
        &train(&dir, &["--epochs", "1"]),
        &["mine", "not a jetnewton run directory"],
    );
    assert_eq!(fs::read(dir.join("config.toml")).unwrap(), b"my own");
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        2,
        "the lock file and the user's file only"
    );
    // A file where the directory should be: named, and left as it is.
    let file = root.path().join("a-file");
    fs::write(&file, "mine").unwrap();
    refused(
        &train(&file, &["--epochs", "1"]),
        &["a-file", "is not a directory"],
    );
    let config = write_config(root.path(), "c.toml", "x");
    let out = jetnewton(&[
        "compare",
        config.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    refused(&out, &["--out", "a-file", "is not a directory"]);
    assert_eq!(fs::read(&file).unwrap(), b"mine");
}

fn spawn_train(dir: &Path, extra: &[&str]) -> Child {
    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--run-dir", dir.to_str().unwrap()]);
    args.extend_from_slice(extra);
    bin()
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn two_trains_into_one_new_directory_never_mix_or_delete() {
    let root = tempfile::tempdir().unwrap();
    // Repeated, since a race may go either way; each round is two short runs.
    for round in 0..4 {
        let dir = root.path().join(format!("run-{round}"));
        let children = [
            spawn_train(&dir, &["--epochs", "2"]),
            spawn_train(&dir, &["--epochs", "2"]),
        ];
        let outs: Vec<Output> = children.map(|c| c.wait_with_output().unwrap()).into();
        let wins = outs.iter().filter(|o| o.status.success()).count();
        assert_eq!(
            wins,
            1,
            "round {round}: {:?}",
            outs.iter().map(stderr).collect::<Vec<_>>()
        );
        let loser = outs.iter().find(|o| !o.status.success()).unwrap();
        let err = stderr(loser);
        assert_eq!(loser.status.code(), Some(2), "{err}");
        assert!(
            err.contains("in use by another jetnewton process")
                || err.contains("already holds a run"),
            "{err}"
        );
        assert_eq!(status(&dir), "completed");
        assert!(dir.join("final.safetensors").exists());
        let s = steps(&dir);
        assert_eq!(s, (1..=s.len() as u64).collect::<Vec<_>>(), "round {round}");
    }
}

#[test]
fn two_resumes_at_once_never_duplicate_steps() {
    let root = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let dir = root.path().join(format!("run-{round}"));
        ok(&train(&dir, &["--epochs", "1"]));
        let spawn = || {
            bin()
                .args(["train", "--resume", dir.to_str().unwrap(), "--epochs", "3"])
                .args(["--quiet", "--no-plots"])
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let outs: Vec<Output> = [spawn(), spawn()]
            .map(|c| c.wait_with_output().unwrap())
            .into();
        for o in outs.iter().filter(|o| !o.status.success()) {
            refused(o, &["in use by another jetnewton process"]);
        }
        assert!(outs.iter().any(|o| o.status.success()));
        let s = steps(&dir);
        assert_eq!(s, (1..=s.len() as u64).collect::<Vec<_>>(), "round {round}");
        assert_eq!(status(&dir), "completed");
    }
}

#[test]
fn resume_refuses_short_records_and_other_runs_checkpoints_before_writing() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    ok(&train(&a, &["--epochs", "1"]));
    ok(&train(&b, &["--epochs", "1", "--seed", "5"]));
    let config = fs::read(a.join("config.toml")).unwrap();
    let ck = fs::read(a.join("checkpoint.safetensors")).unwrap();

    // A checkpoint of another run of the same model (another seed).
    fs::copy(
        b.join("checkpoint.safetensors"),
        a.join("checkpoint.safetensors"),
    )
    .unwrap();
    refused(
        &resume(&a, &["--epochs", "2"]),
        &["checkpoint", "another run"],
    );
    assert_eq!(
        fs::read(a.join("config.toml")).unwrap(),
        config,
        "config rewritten"
    );
    // ... even with its run.json too: the settings differ.
    let run_json = fs::read(a.join("run.json")).unwrap();
    fs::copy(b.join("run.json"), a.join("run.json")).unwrap();
    refused(&resume(&a, &["--epochs", "2"]), &["checkpoint", "seed"]);
    assert_eq!(
        fs::read(a.join("config.toml")).unwrap(),
        config,
        "config rewritten"
    );
    fs::write(a.join("run.json"), &run_json).unwrap();
    fs::write(a.join("checkpoint.safetensors"), &ck).unwrap();

    // Records shorter than the checkpoint says: refused, not padded.
    let records = fs::read(a.join("steps.jsonl")).unwrap();
    let cut = &records[..records.len() / 2];
    fs::write(a.join("steps.jsonl"), cut).unwrap();
    refused(&resume(&a, &["--epochs", "2"]), &["steps.jsonl", "shorter"]);
    assert_eq!(fs::read(a.join("steps.jsonl")).unwrap(), cut);
    assert_eq!(
        fs::read(a.join("config.toml")).unwrap(),
        config,
        "config rewritten"
    );
    fs::write(a.join("steps.jsonl"), &records).unwrap();
    ok(&resume(&a, &["--epochs", "2"]));
    assert_eq!(status(&a), "completed");
}

#[test]
fn a_run_stopped_before_its_first_checkpoint_starts_again_in_place() {
    let root = tempfile::tempdir().unwrap();
    let reference = root.path().join("reference");
    ok(&train(&reference, &["--epochs", "1"]));
    let want = fs::read(reference.join("final.safetensors")).unwrap();
    for how in ["train", "resume"] {
        // What a kill before the first checkpoint leaves: the marker, config, run.json "running", records.
        let dir = root.path().join(how);
        ok(&train(&dir, &["--epochs", "1"]));
        for f in ["checkpoint.safetensors", "final.safetensors"] {
            fs::remove_file(dir.join(f)).unwrap();
        }
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let out = if how == "train" {
            train(&dir, &["--epochs", "1"])
        } else {
            resume(&dir, &[])
        };
        ok(&out);
        assert_eq!(
            fs::read(dir.join("final.safetensors")).unwrap(),
            want,
            "{how}"
        );
        assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    }
}

/// Sends `signal` to `child` once its first checkpoint exists, and waits for it.
fn signal_after_checkpoint(mut child: Child, dir: &Path, signal: &str) -> Output {
    let started = Instant::now();
    while !dir.join("checkpoint.safetensors").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    let _ = child.stdout.take();
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_signal_stops_a_run_with_a_checkpoint_and_resume_continues_it_exactly() {
    let root = tempfile::tempdir().unwrap();
    let long = ["--epochs", "200", "--batch-size", "20"];
    let reference = root.path().join("reference");
    ok(&train(&reference, &long));
    let want = fs::read(reference.join("final.safetensors")).unwrap();
    let mut interrupted = 0;
    for signal in ["-INT", "-TERM", "-HUP"] {
        let dir = root.path().join(format!("run{signal}"));
        let out = signal_after_checkpoint(spawn_train(&dir, &long), &dir, signal);
        let err = stderr(&out);
        if out.status.success() {
            // The run ended before the signal arrived (a fast machine): nothing to check for this signal.
            continue;
        }
        assert_eq!(out.status.code(), Some(130), "{signal}: {err}");
        assert!(
            err.contains("interrupted") && err.contains("--resume"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(status(&dir), "interrupted");
        interrupted += 1;
        ok(&resume(&dir, &[]));
        assert_eq!(
            fs::read(dir.join("final.safetensors")).unwrap(),
            want,
            "{signal}"
        );
    }
    // The run lasts seconds and the signal comes 0.3 s after its first checkpoint: most must land mid-run.
    assert!(
        interrupted >= 2,
        "only {interrupted} signals landed before the run ended"
    );
}

#[test]
fn a_finite_blow_up_is_not_a_success() {
    let root = tempfile::tempdir().unwrap();
    for (optimizer, lr) in [("adam", "1e6"), ("sgd", "1e6")] {
        let dir = root.path().join(optimizer);
        let out = train(
            &dir,
            &["--epochs", "2", "--optimizer", optimizer, "--lr", lr],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{optimizer}: {err}");
        assert!(err.contains("diverged"), "{err}");
        assert_eq!(status(&dir), "diverged");
    }
}
