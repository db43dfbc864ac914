//! Reading run directories: partial and corrupted files.

use super::fixtures::{append, write_run, RunSpec};
use crate::report::load::read_jsonl;
use crate::report::{plot_compare, plot_run, ReportError, Run};
use crate::run::records::StepRecord;

#[test]
fn missing_run_json_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plots");
    match plot_run(tmp.path(), &out) {
        Err(ReportError::MissingRunInfo { dir }) => assert_eq!(dir, tmp.path()),
        other => panic!("expected MissingRunInfo, got {other:?}"),
    }
    let err = plot_compare(&[tmp.path().to_path_buf()], &out).unwrap_err();
    assert!(err.to_string().contains("run.json"), "{err}");
}

#[test]
fn a_truncated_last_line_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::newton("cut"));
    append(tmp.path(), "steps.jsonl", r#"{"step":101,"epoch":4.04,"lo"#);
    append(tmp.path(), "epochs.jsonl", r#"{"epoch":5,"#);
    let run = Run::load(tmp.path()).unwrap();
    assert_eq!(run.steps.len(), 100);
    assert_eq!(run.epochs.len(), 5);
    let written = plot_run(tmp.path(), &tmp.path().join("plots")).unwrap();
    assert!(written.iter().any(|p| p.ends_with("loss.png")));
}

#[test]
fn a_complete_last_line_without_newline_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::newton("nonl"));
    append(
        tmp.path(),
        "steps.jsonl",
        r#"{"step":101,"epoch":4.04,"loss":0.1,"lr":1.0,"wall_s":2.0}"#,
    );
    let steps: Vec<StepRecord> = read_jsonl(&tmp.path().join("steps.jsonl")).unwrap();
    assert_eq!(steps.len(), 101);
}

#[test]
fn a_corrupted_line_names_the_file_and_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::newton("bad"));
    let path = tmp.path().join("steps.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[6] = "{\"step\": 7, garbage";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    match Run::load(tmp.path()) {
        Err(ReportError::CorruptedLine { path: p, line, .. }) => {
            assert_eq!(p, path);
            assert_eq!(line, 7);
        }
        other => panic!("expected CorruptedLine, got {other:?}"),
    }
    let message = plot_run(tmp.path(), &tmp.path().join("plots"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("steps.jsonl, line 7"), "{message}");
}

#[test]
fn a_corrupted_last_line_with_its_newline_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::newton("bad-end"));
    append(tmp.path(), "epochs.jsonl", "{\"epoch\": 5}\n");
    match Run::load(tmp.path()) {
        Err(ReportError::CorruptedLine { line, .. }) => assert_eq!(line, 6),
        other => panic!("expected CorruptedLine, got {other:?}"),
    }
}

#[test]
fn a_run_that_just_started_has_no_records_yet() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::newton("fresh"));
    for file in ["steps.jsonl", "epochs.jsonl"] {
        std::fs::remove_file(tmp.path().join(file)).unwrap();
    }
    std::fs::remove_dir_all(tmp.path().join("hbar")).unwrap();
    let written = plot_run(tmp.path(), &tmp.path().join("plots")).unwrap();
    assert!(written.is_empty(), "{written:?}");
}

#[test]
fn resumed_runs_keep_the_last_record_of_each_step() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &RunSpec::newton("resumed"));
    append(
        tmp.path(),
        "steps.jsonl",
        "{\"step\":100,\"epoch\":4.0,\"loss\":null,\"lr\":1.0,\"wall_s\":9.0}\n",
    );
    let run = Run::load(tmp.path()).unwrap();
    assert_eq!(run.steps.len(), 100);
    assert!(run.steps[99].loss.is_nan());
    assert_eq!(run.wall_s(), Some(9.0));
}

#[test]
fn a_snapshot_of_the_wrong_size_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = RunSpec {
        hbar_epochs: vec![0],
        ..RunSpec::newton("wrong")
    };
    write_run(tmp.path(), &spec);
    let path = tmp.path().join("hbar/epoch-0000.json");
    std::fs::write(
        &path,
        r#"{"epoch":0,"step":0,"hbar":[[1.0,2.0],[2.0,1.0]]}"#,
    )
    .unwrap();
    match plot_run(tmp.path(), &tmp.path().join("plots")) {
        Err(ReportError::BadSnapshot { path: p, reason }) => {
            assert_eq!(p, path);
            assert!(reason.contains("4 groups"), "{reason}");
        }
        other => panic!("expected BadSnapshot, got {other:?}"),
    }
}
