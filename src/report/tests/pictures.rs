//! The pictures: which files are written, their sizes, and that they are not blank.

use std::path::{Path, PathBuf};

use super::check_png;
use super::fixtures::{canonical, group, write_run, RunSpec};
use crate::report::lines::PANEL_SIZE;
use crate::report::{metrics, plot_compare, plot_run};

fn names(written: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The size the hbar picture of a run should have.
fn hbar_size(spec: &RunSpec, matrices: usize) -> (u32, u32) {
    crate::report::hbar::picture_size(&spec.groups, matrices)
}

#[test]
fn one_newton_run_gets_every_picture() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = RunSpec::newton("mlp-newton");
    write_run(tmp.path(), &spec);
    let out = tmp.path().join("plots");
    let written = plot_run(tmp.path(), &out).unwrap();
    assert_eq!(
        names(&written),
        [
            "accuracy.png",
            "eta.png",
            "hbar-epoch-0000.png",
            "hbar-epoch-0002.png",
            "loss.png"
        ]
    );
    for path in &written {
        assert!(path.starts_with(&out), "{}", path.display());
        assert!(path.exists());
    }
    assert_eq!(check_png(&out.join("loss.png"), 20), PANEL_SIZE);
    assert_eq!(check_png(&out.join("accuracy.png"), 20), metrics::SIZE);
    assert_eq!(check_png(&out.join("eta.png"), 20), PANEL_SIZE);
    let size = hbar_size(&spec, 2);
    assert_eq!(check_png(&out.join("hbar-epoch-0000.png"), 20), size);
    assert_eq!(check_png(&out.join("hbar-epoch-0002.png"), 20), size);
    // No temporary files left behind by the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_run_without_eta_or_snapshots_gets_loss_and_accuracy_only() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::adam("mlp-adam"));
    let written = plot_run(tmp.path(), &tmp.path().join("plots")).unwrap();
    assert_eq!(names(&written), ["accuracy.png", "loss.png"]);
}

#[test]
fn many_groups_are_numbered_and_a_partition_without_biases_is_one_panel() {
    let tmp = tempfile::tempdir().unwrap();
    // 15 layers: 30 groups, more than can be named on the axes.
    let spec = RunSpec {
        groups: canonical(15),
        hbar_epochs: vec![0, 3],
        ..RunSpec::newton("deep")
    };
    write_run(&tmp.path().join("deep"), &spec);
    let written = plot_run(&tmp.path().join("deep"), &tmp.path().join("deep-plots")).unwrap();
    let hbar: Vec<_> = written
        .iter()
        .filter(|p| names(&[p.to_path_buf()])[0].starts_with("hbar"))
        .collect();
    assert_eq!(hbar.len(), 2);
    for path in hbar {
        assert_eq!(check_png(path, 20), hbar_size(&spec, 2));
    }
    // Mixed groups only (a blocks partition without the weight/bias split), no inverse.
    let spec = RunSpec {
        groups: vec![
            group(&["0.weight", "0.bias"]),
            group(&["2.weight", "2.bias", "4.weight"]),
        ],
        hbar_inv: false,
        hbar_epochs: vec![0],
        ..RunSpec::newton("mixed")
    };
    write_run(&tmp.path().join("mixed"), &spec);
    let out = tmp.path().join("mixed-plots");
    plot_run(&tmp.path().join("mixed"), &out).unwrap();
    let size = check_png(&out.join("hbar-epoch-0000.png"), 10);
    assert_eq!(size, hbar_size(&spec, 1));
}

#[test]
fn newton_against_its_diagonal_approximation() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["newton", "diag", "adam"]
        .iter()
        .map(|d| tmp.path().join(d))
        .collect();
    write_run(&dirs[0], &RunSpec::newton("lenet"));
    let diag = RunSpec {
        optimizer: "newton-diag".into(),
        rate: 0.8,
        ..RunSpec::newton("lenet")
    };
    write_run(&dirs[1], &diag);
    let adam = RunSpec {
        validation: false,
        ..RunSpec::adam("lenet-adam")
    };
    write_run(&dirs[2], &adam);
    let out = tmp.path().join("compare");
    let written = plot_compare(&dirs, &out).unwrap();
    assert_eq!(names(&written), ["accuracy.png", "loss.png", "summary.md"]);
    assert_eq!(check_png(&out.join("loss.png"), 20), PANEL_SIZE);
    assert_eq!(check_png(&out.join("accuracy.png"), 20), metrics::SIZE);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.starts_with("| lenet"))
        .collect();
    assert_eq!(rows.len(), 3, "{summary}");
    assert!(
        rows[0].starts_with("| lenet (newton) | newton |"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("| lenet (newton-diag) | newton-diag |"),
        "{}",
        rows[1]
    );
    // The Adam run has no validation split: a dash, not a number.
    assert!(rows[2].contains("| — |"), "{}", rows[2]);
}

/// λ_t gets a picture when it moved: for one adaptive run, and in a comparison, where only Method 1 runs are drawn
/// (the Adam run's learning rate would be another quantity on the same axis).
#[test]
fn a_moving_step_size_gets_its_picture() {
    let tmp = tempfile::tempdir().unwrap();
    let adaptive = RunSpec {
        moving_lr: true,
        ..RunSpec::newton("adaptive")
    };
    let dirs = [tmp.path().join("adaptive"), tmp.path().join("adam")];
    write_run(&dirs[0], &adaptive);
    write_run(&dirs[1], &RunSpec::adam("adam"));
    let out = tmp.path().join("plots");
    let written = plot_run(&dirs[0], &out).unwrap();
    assert!(names(&written).contains(&"step-size.png".to_string()));
    assert_eq!(check_png(&out.join("step-size.png"), 20), PANEL_SIZE);
    let out = tmp.path().join("compare");
    let written = plot_compare(&dirs, &out).unwrap();
    assert_eq!(
        names(&written),
        ["accuracy.png", "loss.png", "step-size.png", "summary.md"]
    );
    assert_eq!(check_png(&out.join("step-size.png"), 20), PANEL_SIZE);
}

#[test]
fn compare_needs_runs() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(plot_compare(&[], tmp.path()).is_err());
}

/// Writes the pictures of the fixtures to `JETNEWTON_REPORT_DEMO` for a person to look at.
#[test]
fn demo_pictures_for_a_person() {
    let Some(dir) = std::env::var_os("JETNEWTON_REPORT_DEMO") else {
        return;
    };
    let dir = Path::new(&dir);
    write_run(&dir.join("newton"), &RunSpec::newton("mlp-newton"));
    let diag = RunSpec {
        optimizer: "newton-diag".into(),
        rate: 0.8,
        best: 3,
        ..RunSpec::newton("mlp")
    };
    write_run(&dir.join("diag"), &diag);
    let deep = RunSpec {
        groups: canonical(15),
        hbar_epochs: vec![0, 3],
        ..RunSpec::newton("deep")
    };
    write_run(&dir.join("deep"), &deep);
    let mixed = RunSpec {
        groups: vec![
            group(&["0.weight", "0.bias"]),
            group(&["2.weight", "2.bias"]),
            group(&["4.weight", "4.bias"]),
        ],
        ..RunSpec::newton("blocks")
    };
    write_run(&dir.join("mixed"), &mixed);
    write_run(
        &dir.join("adam"),
        &RunSpec {
            rate: 1.1,
            ..RunSpec::adam("mlp-adam")
        },
    );
    for run in ["newton", "deep", "mixed"] {
        plot_run(&dir.join(run), &dir.join(run).join("plots")).unwrap();
    }
    let compared = ["newton", "diag", "adam"].map(|r| dir.join(r));
    plot_compare(&compared, &dir.join("compare")).unwrap();
}
