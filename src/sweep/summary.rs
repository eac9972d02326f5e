//! Turns a run's rows into `summary.csv` rows: statistics per scenario and the speedup of each
//! strategy over `none` for the same workload, model, worker count and antagonist.

use std::collections::BTreeMap;

use crate::stats::{Summary, speedup};
use crate::store::{RunRow, ScenarioKey, Status, SummaryRow};

fn median_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    crate::stats::median(&v).ok()
}

/// Summaries of one run's rows (`runs` all share one run_id), in the rows' scenario order;
/// also marks each row's `outlier` flag.
pub fn summarise(runs: &mut [RunRow], threshold: f64, seed: u64) -> Vec<SummaryRow> {
    let mut order: Vec<ScenarioKey> = Vec::new();
    let mut groups: BTreeMap<ScenarioKey, Vec<usize>> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        let k = r.key.clone();
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(i);
    }
    let ok_values = |idx: &[usize], runs: &[RunRow]| -> Vec<f64> {
        idx.iter()
            .filter(|&&i| runs[i].status.is_ok())
            .filter_map(|&i| runs[i].throughput_ops_s)
            .collect()
    };
    let mut out = Vec::new();
    for key in order {
        let idx = &groups[&key];
        let first = &runs[idx[0]];
        let values = ok_values(idx, runs);
        let failed = idx.iter().filter(|&&i| !runs[i].status.is_ok()).count();
        let mut row = SummaryRow {
            run_id: first.run_id.clone(),
            profile_id: first.profile_id.clone(),
            key: key.clone(),
            placement: first.placement.clone(),
            status: if values.is_empty() {
                Status::Failed
            } else {
                Status::Ok
            },
            reason: idx
                .iter()
                .map(|&i| &runs[i].reason)
                .find(|r| !r.is_empty())
                .cloned()
                .unwrap_or_default(),
            n: values.len(),
            failed_reps: failed,
            ..Default::default()
        };
        if let Ok(s) = Summary::of(&values, seed) {
            let ok_rows: Vec<usize> = idx
                .iter()
                .copied()
                .filter(|&i| runs[i].status.is_ok() && runs[i].throughput_ops_s.is_some())
                .collect();
            for (i, flag) in ok_rows.into_iter().zip(&s.outliers) {
                runs[i].outlier = *flag;
            }
            row.median_throughput_ops_s = Some(s.median);
            row.ci_low_throughput_ops_s = Some(s.ci_low);
            row.ci_high_throughput_ops_s = Some(s.ci_high);
            row.mean_throughput_ops_s = Some(s.mean);
            row.sd_throughput_ops_s = Some(s.sd);
            row.cv = Some(s.cv);
            row.min_throughput_ops_s = Some(s.min);
            row.max_throughput_ops_s = Some(s.max);
            row.outliers = s.outlier_count();
            row.noisy = s.noisy();
            let ok = || idx.iter().filter(|&&i| runs[i].status.is_ok());
            row.median_ns_per_op = median_of(ok().filter_map(|&i| runs[i].ns_per_op));
            row.median_migrations =
                median_of(ok().filter_map(|&i| runs[i].migrations.map(|m| m as f64)));
            row.median_involuntary_switches =
                median_of(ok().filter_map(|&i| runs[i].involuntary_switches.map(|m| m as f64)));
        }
        let base = key.baseline();
        if !key.strategy.is_baseline()
            && let Some(bidx) = groups.get(&base)
        {
            let b = ok_values(bidx, runs);
            if let Ok(sp) = speedup(&b, &values, threshold, seed) {
                row.speedup_vs_none = Some(sp.ratio);
                row.speedup_ci_low = Some(sp.ci_low);
                row.speedup_ci_high = Some(sp.ci_high);
                row.verdict = Some(sp.verdict);
            }
        }
        out.push(row);
    }
    out
}
