//! The training observers of the command line: an indicatif progress bar with one line per epoch, JSON Lines on
//! stdout for scripts, or silence.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::train::summary_row;
use crate::run::records::{EpochRecord, RunInfo, StepRecord};
use crate::train::Observer;

/// How `jetnewton train` reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogMode {
    /// A progress bar on stderr (loss, step rate), one line per epoch on stdout, a summary table at the end.
    Bar,
    /// One JSON object per step and per epoch on stdout (`"event": "step" | "epoch" | "note" | "done"`).
    Json,
    /// Nothing but errors.
    Quiet,
}

/// The observer behind each [`LogMode`].
pub struct TrainProgress {
    mode: LogMode,
    bar: Option<ProgressBar>,
    /// Running mean of the step losses shown in the bar.
    shown_loss: Option<f64>,
}

impl TrainProgress {
    /// An observer for `mode`.
    pub fn new(mode: LogMode) -> Self {
        Self {
            mode,
            bar: None,
            shown_loss: None,
        }
    }

    /// Prints a line to stdout without tearing the bar.
    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }
}

impl Observer for TrainProgress {
    fn start(&mut self, info: &RunInfo, total: u64, done: u64) {
        if self.mode != LogMode::Bar {
            return;
        }
        println!(
            "training {} on {} with {}: {} steps ({} per epoch){}",
            info.model,
            info.dataset,
            info.optimizer,
            total,
            info.steps_per_epoch,
            if done > 0 {
                format!(", resuming at step {done}")
            } else {
                String::new()
            }
        );
        println!(
            "{:>5} {:>7} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7} {:>9} {:>8}",
            "epoch", "step", "train", "acc", "valid", "acc", "test", "acc", "lr", "time s"
        );
        let bar = ProgressBar::new(total).with_position(done);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} steps  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        self.bar = Some(bar);
    }

    fn step(&mut self, r: &StepRecord) {
        match self.mode {
            LogMode::Bar => {
                if r.loss.is_finite() {
                    self.shown_loss = Some(match self.shown_loss {
                        Some(m) => 0.95 * m + 0.05 * r.loss,
                        None => r.loss,
                    });
                }
                if let Some(bar) = &self.bar {
                    bar.set_position(r.step);
                    bar.set_message(format!(
                        "epoch {:.2}  loss {:.4}  lr {:.2e}",
                        r.epoch,
                        self.shown_loss.unwrap_or(f64::NAN),
                        r.lr
                    ));
                }
            }
            LogMode::Json => {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["event"] = "step".into();
                println!("{v}");
            }
            LogMode::Quiet => {}
        }
    }

    fn epoch(&mut self, r: &EpochRecord) {
        match self.mode {
            LogMode::Bar => self.line(&summary_row(r)),
            LogMode::Json => {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["event"] = "epoch".into();
                println!("{v}");
            }
            LogMode::Quiet => {}
        }
    }

    fn note(&mut self, message: &str) {
        match self.mode {
            LogMode::Bar => match &self.bar {
                Some(bar) => bar.suspend(|| eprintln!("{message}")),
                None => eprintln!("{message}"),
            },
            LogMode::Json => println!(
                "{}",
                serde_json::json!({"event": "note", "message": message})
            ),
            LogMode::Quiet => {}
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
