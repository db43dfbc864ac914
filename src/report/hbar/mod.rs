//! `hbar-epoch-NNNN.png`: hbar and hbar⁻¹ at initialisation and at the best epoch (the paper's figures 1 and
//! 3a), and `probe-hbar-step-NNNNNN.png` of the first and last probes, weights first then biases, cut into
//! weight-weight, weight-bias and bias-bias blocks.

pub mod blocks;
mod heatmap;
pub(crate) mod symlog;

use std::path::{Path, PathBuf};

use super::canvas::render_png;
use super::error::ReportError;
use super::load::Run;
use crate::run::records::{GroupInfo, GroupKind, HbarSnapshot};
use blocks::Panels;
use heatmap::{draw, layout, widest_label, Heatmap};

/// Groups are named on the axes up to this many; beyond, they are numbered.
const MAX_NAMED: usize = 12;

/// Draws the snapshots of initialisation and of the best epoch (see [`best_epoch`]); nothing for a run without
/// snapshots.
pub(crate) fn plot_hbar(run: &Run, label: &str, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut chosen = Vec::new();
    if run.hbar_epochs.contains(&0) {
        chosen.push((0, "initialisation".to_string()));
    }
    if let Some(best) = best_epoch(run).filter(|b| b.0 != 0) {
        chosen.push(best);
    }
    let mut written = Vec::new();
    for (epoch, why) in chosen {
        let snapshot = run.load_hbar(epoch)?;
        check_snapshot(run, &snapshot, &run.hbar_path(epoch))?;
        let title = format!(
            "{label}: hbar at epoch {epoch}, step {} ({why})",
            snapshot.step
        );
        let file = format!("hbar-epoch-{epoch:04}.png");
        written.push(draw_snapshot(run, &snapshot, &file, title, out)?);
    }
    Ok(written)
}

/// Draws hbar and hbar⁻¹ of the first and the last probe (`probe-hbar-step-NNNNNN.png`: the paper's figure 1
/// along any optimiser's training, on the fixed probe set); nothing for a run without probes.
pub(crate) fn plot_probe_hbar(
    run: &Run,
    label: &str,
    out: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut chosen: Vec<_> = run.probes.first().into_iter().collect();
    chosen.extend(run.probes.last().filter(|_| run.probes.len() > 1));
    let mut written = Vec::new();
    for probe in chosen {
        let snapshot = HbarSnapshot {
            epoch: 0,
            step: probe.step,
            hbar: probe.hbar.clone(),
            hbar_inv: probe.hbar_inv.clone(),
        };
        check_snapshot(
            run,
            &snapshot,
            &run.dir.join(crate::run::dir::files::PROBES),
        )?;
        let title = format!(
            "{label}: hbar on the probe set ({} samples, {} direction) after step {}",
            probe.samples, probe.direction, probe.step
        );
        let file = format!("probe-hbar-step-{:06}.png", probe.step);
        written.push(draw_snapshot(run, &snapshot, &file, title, out)?);
    }
    Ok(written)
}

/// The epoch to show besides initialisation, with the reason: among the epochs with a snapshot, the one with
/// the lowest validation loss, else (no validation split) the lowest train loss; the last snapshot when no such
/// epoch has a finite loss recorded.
pub(crate) fn best_epoch(run: &Run) -> Option<(u32, String)> {
    let recorded = |epoch: u32| run.epochs.iter().find(|e| e.epoch == epoch);
    let lowest = |split: &str, loss: &dyn Fn(u32) -> Option<f64>| {
        run.hbar_epochs
            .iter()
            .filter_map(|&e| loss(e).filter(|l| l.is_finite()).map(|l| (e, l)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, l)| {
                (
                    e,
                    format!("lowest {split} loss, {}", super::axis::format_sig(l, 4)),
                )
            })
    };
    lowest("validation", &|e| {
        recorded(e).and_then(|r| r.validation).map(|m| m.loss)
    })
    .or_else(|| lowest("train", &|e| recorded(e).map(|r| r.train.loss)))
    .or_else(|| run.hbar_epochs.last().map(|&e| (e, "last snapshot".into())))
}

/// An error unless the snapshot's matrices are S×S for the run's S groups.
fn check_snapshot(run: &Run, snapshot: &HbarSnapshot, path: &Path) -> Result<(), ReportError> {
    let s = run.info.groups.len();
    let bad = |reason: String| {
        Err(ReportError::BadSnapshot {
            path: path.to_path_buf(),
            reason,
        })
    };
    if s == 0 {
        return bad("run.json lists no groups".into());
    }
    let matrices = std::iter::once(("hbar", &snapshot.hbar))
        .chain(snapshot.hbar_inv.iter().map(|m| ("hbar_inv", m)));
    for (name, m) in matrices {
        if m.len() != s || m.iter().any(|row| row.len() != s) {
            let cols = m.first().map_or(0, Vec::len);
            return bad(format!(
                "{name} is {}×{cols} (or ragged), but the run has {s} groups",
                m.len()
            ));
        }
    }
    Ok(())
}

/// The axis label of each group: its name when there are few groups, its index otherwise.
fn group_labels(groups: &[GroupInfo]) -> Vec<String> {
    let named = groups.len() <= MAX_NAMED;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if named {
                g.label.clone()
            } else {
                i.to_string()
            }
        })
        .collect()
}

/// Draws one snapshot to `out/file`.
fn draw_snapshot(
    run: &Run,
    snapshot: &HbarSnapshot,
    file: &str,
    title: String,
    out: &Path,
) -> Result<PathBuf, ReportError> {
    let kinds: Vec<GroupKind> = run.info.groups.iter().map(|g| g.kind).collect();
    let panels = Panels::of(&kinds);
    let named = kinds.len() <= MAX_NAMED;
    let labels = group_labels(&run.info.groups);
    super::font::ensure_registered()?;
    let mut matrices = vec![("hbar", snapshot.hbar.as_slice())];
    if let Some(inv) = &snapshot.hbar_inv {
        matrices.push(("hbar⁻¹", inv.as_slice()));
    }
    let map = Heatmap {
        title,
        panels: &panels,
        labels,
        named,
        matrices,
    };
    let layout = layout(
        &panels,
        map.matrices.len(),
        named,
        widest_label(&map.labels),
    );
    let path = out.join(file);
    render_png(&path, layout.size, |root| draw(root, &map, &layout))
}

/// The size of the picture of a snapshot of a run with these groups, with `matrices` matrices.
#[cfg(test)]
pub(crate) fn picture_size(
    groups: &[crate::run::records::GroupInfo],
    matrices: usize,
) -> (u32, u32) {
    let kinds: Vec<GroupKind> = groups.iter().map(|g| g.kind).collect();
    let labels = group_labels(groups);
    super::font::ensure_registered().unwrap();
    layout(
        &Panels::of(&kinds),
        matrices,
        groups.len() <= MAX_NAMED,
        widest_label(&labels),
    )
    .size
}
