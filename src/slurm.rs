//! The batch scheduler a run was started by (Slurm), read from its environment, so every run of
//! a cluster job can be traced back to its job, array task, node and allocation, and so a
//! reader knows whether the CPUs pinbench placed workers on were Slurm's binding.

use serde::{Deserialize, Serialize};

use crate::cpuset::CpuSet;

/// One run's Slurm context, as `profile.json` records it (one entry per run started by Slurm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerRun {
    /// The run (`run_id` in the CSV files) this context belongs to.
    pub run_id: String,
    /// `slurm`: the only scheduler read so far.
    pub scheduler: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `SLURM_JOB_ID`: for an array task, the task's own job id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_task_id: Option<String>,
    /// `SLURM_STEP_ID`: absent when pinbench runs in the batch step itself rather than `srun`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `SLURM_CPUS_ON_NODE`: the CPUs this job (or step) holds on the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus_on_node: Option<String>,
    /// `SLURM_JOB_CPUS_PER_NODE`: the job's allocation, `2` or `64(x3)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_cpus_per_node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus_per_task: Option<String>,
    /// `SLURM_CPU_BIND`, `SLURM_CPU_BIND_TYPE`, `SLURM_CPU_BIND_LIST` as Slurm set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_bind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_bind_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_bind_list: Option<String>,
    /// Whether the run was held to fewer CPUs than the node has, or bound by `--cpu-bind`
    /// (other than `none`): then the CPUs pinbench could use, `allowed`, are Slurm's binding
    /// or allocation, measured as the inherited mask, and every strategy placed its workers
    /// within it. A batch step is bound to its allocation without any `SLURM_CPU_BIND`.
    pub bound: bool,
    /// The CPUs this run was allowed, read at its start.
    pub allowed: CpuSet,
}

impl SchedulerRun {
    /// The Slurm context from an environment lookup (`std::env::var` at the edge, a map in
    /// tests), given the CPUs this run may use and the node's online CPUs; `None` outside a
    /// Slurm job.
    pub fn from_env(
        run_id: &str,
        allowed: &CpuSet,
        online: &CpuSet,
        var: impl Fn(&str) -> Option<String>,
    ) -> Option<Self> {
        let get = |k: &str| {
            var(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let job_id = get("SLURM_JOB_ID").or_else(|| get("SLURM_JOBID"));
        job_id.as_ref()?;
        let cpu_bind_type = get("SLURM_CPU_BIND_TYPE");
        let bind_flag = cpu_bind_type
            .as_deref()
            .is_some_and(|t| !t.split(',').all(|p| p == "none" || p.is_empty()));
        let bound = bind_flag || allowed.len() < online.len();
        Some(Self {
            run_id: run_id.to_string(),
            scheduler: "slurm".to_string(),
            cluster: get("SLURM_CLUSTER_NAME"),
            job_id,
            job_name: get("SLURM_JOB_NAME"),
            array_job_id: get("SLURM_ARRAY_JOB_ID"),
            array_task_id: get("SLURM_ARRAY_TASK_ID"),
            step_id: get("SLURM_STEP_ID").or_else(|| get("SLURM_STEPID")),
            node: get("SLURMD_NODENAME"),
            partition: get("SLURM_JOB_PARTITION"),
            cpus_on_node: get("SLURM_CPUS_ON_NODE"),
            job_cpus_per_node: get("SLURM_JOB_CPUS_PER_NODE"),
            cpus_per_task: get("SLURM_CPUS_PER_TASK"),
            cpu_bind: get("SLURM_CPU_BIND"),
            cpu_bind_type,
            cpu_bind_list: get("SLURM_CPU_BIND_LIST"),
            bound,
            allowed: allowed.clone(),
        })
    }

    /// `<array job>_<task>`, as squeue names an array task; `None` outside an array.
    pub fn array_task(&self) -> Option<String> {
        Some(format!(
            "{}_{}",
            self.array_job_id.as_ref()?,
            self.array_task_id.as_ref()?
        ))
    }

    /// The job as a user finds it in squeue or the logs: its array task, else its job id.
    pub fn job_label(&self) -> String {
        self.array_task()
            .or_else(|| self.job_id.clone())
            .unwrap_or_else(|| "?".into())
    }

    /// One line for the terminal and the report: which job, where, and what the CPUs were.
    pub fn describe(&self) -> String {
        let mut job = format!("Slurm job {}", self.job_id.as_deref().unwrap_or("?"));
        if let Some(task) = self.array_task() {
            job.push_str(&format!(" (array {task})"));
        }
        if let Some(s) = &self.step_id {
            job.push_str(&format!(" step {s}"));
        }
        if let Some(n) = &self.node {
            job.push_str(&format!(" on {n}"));
        }
        if let Some(p) = &self.partition {
            job.push_str(&format!(", partition {p}"));
        }
        let cpus = match (&self.cpu_bind_type, self.bound) {
            (Some(t), true) if t != "none" => format!(
                "bound by --cpu-bind={} to CPUs {}: every strategy placed its workers within that binding (the inherited mask)",
                t.trim_end_matches(':'),
                self.allowed
            ),
            (_, true) => format!(
                "held by Slurm to CPUs {}: every strategy placed its workers within them (the inherited mask)",
                self.allowed
            ),
            (_, false) => format!("not bound by Slurm; allowed CPUs {}", self.allowed),
        };
        format!("{job}; {cpus}")
    }
}

impl SchedulerRun {
    /// A warning when Slurm gave this job fewer CPUs than the run may use: an unbound step
    /// (`--cpu-bind=none`) of a partial allocation sees CPUs other jobs may be given.
    pub fn warning(&self) -> Option<String> {
        let held: usize = self.cpus_on_node.as_deref()?.parse().ok()?;
        (!self.bound && held < self.allowed.len()).then(|| {
            format!(
                "Slurm gave this job {held} CPU(s) on {} but the step is not bound, so pinbench may use all {} it sees ({}), where other jobs may run: bind the step (srun --cpu-bind=cores) or take the whole node (--exclusive)",
                self.node.as_deref().unwrap_or("this node"),
                self.allowed.len(),
                self.allowed
            )
        })
    }
}

/// Adds `fresh` to `runs`, replacing an entry of the same run.
pub fn merge(runs: &mut Vec<SchedulerRun>, fresh: &[SchedulerRun]) {
    runs.retain(|r| !fresh.iter().any(|f| f.run_id == r.run_id));
    runs.extend_from_slice(fresh);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn cpus(list: &str) -> CpuSet {
        list.parse().unwrap()
    }

    #[test]
    fn outside_slurm_there_is_no_context() {
        let all = cpus("0-1");
        assert_eq!(
            SchedulerRun::from_env("r", &all, &all, env(&[("HOME", "/root")])),
            None
        );
    }

    #[test]
    fn a_bound_array_step_is_read_whole() {
        // The variables a one-node cluster set for `srun -n1 -c1 --cpu-bind=cores` in task 0.
        let ctx = SchedulerRun::from_env(
            "run1",
            &cpus("0"),
            &cpus("0-1"),
            env(&[
                ("SLURM_JOB_ID", "2"),
                ("SLURM_ARRAY_JOB_ID", "1"),
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_STEP_ID", "0"),
                ("SLURMD_NODENAME", "vm"),
                ("SLURM_JOB_PARTITION", "local"),
                ("SLURM_CPUS_ON_NODE", "1"),
                ("SLURM_JOB_CPUS_PER_NODE", "2"),
                ("SLURM_CPU_BIND", "quiet,mask_cpu:0x1"),
                ("SLURM_CPU_BIND_TYPE", "mask_cpu:"),
                ("SLURM_CPU_BIND_LIST", "0x1"),
            ]),
        )
        .unwrap();
        assert!(ctx.bound);
        assert_eq!(ctx.job_id.as_deref(), Some("2"));
        assert_eq!(ctx.array_task_id.as_deref(), Some("0"));
        assert_eq!(ctx.cpu_bind_list.as_deref(), Some("0x1"));
        assert_eq!(ctx.job_label(), "1_0");
        let line = ctx.describe();
        assert!(line.contains("Slurm job 2 (array 1_0) step 0 on vm, partition local"));
        assert!(line.contains("--cpu-bind=mask_cpu to CPUs 0"), "{line}");
        assert_eq!(ctx.warning(), None);
    }

    #[test]
    fn a_batch_step_held_to_its_allocation_is_bound_without_cpu_bind() {
        // `sbatch -c 1`: the batch step's mask is its one CPU, no SLURM_CPU_BIND is set.
        let vars = [("SLURM_JOB_ID", "1"), ("SLURM_CPUS_ON_NODE", "1")];
        let ctx = SchedulerRun::from_env("r", &cpus("0"), &cpus("0-1"), env(&vars)).unwrap();
        assert!(ctx.bound);
        assert!(
            ctx.describe().contains("held by Slurm to CPUs 0"),
            "{}",
            ctx.describe()
        );
        assert_eq!(ctx.warning(), None);
    }

    #[test]
    fn the_whole_node_unbound_is_unbound_and_a_partial_unbound_step_is_warned() {
        let all = cpus("0-1");
        for vars in [
            vec![("SLURM_JOB_ID", "7"), ("SLURM_CPU_BIND_TYPE", "none")],
            vec![("SLURM_JOBID", "7"), ("SLURM_CPUS_ON_NODE", "2")],
        ] {
            let ctx = SchedulerRun::from_env("r", &all, &all, env(&vars)).unwrap();
            assert!(!ctx.bound);
            assert_eq!(ctx.job_id.as_deref(), Some("7"));
            assert!(ctx.describe().contains("not bound by Slurm"));
            assert_eq!(ctx.warning(), None);
        }
        // `srun -c 1 --cpu-bind=none` where the mask is still the node's: other jobs' CPUs.
        let vars = [
            ("SLURM_JOB_ID", "8"),
            ("SLURM_CPUS_ON_NODE", "1"),
            ("SLURM_CPU_BIND_TYPE", "none"),
            ("SLURMD_NODENAME", "n1"),
        ];
        let ctx = SchedulerRun::from_env("r", &all, &all, env(&vars)).unwrap();
        let w = ctx.warning().expect("warned");
        assert!(
            w.contains("1 CPU(s) on n1") && w.contains("--cpu-bind=cores"),
            "{w}"
        );
    }

    #[test]
    fn merge_keeps_other_runs_and_replaces_its_own() {
        let one = cpus("0");
        let ctx = |run: &str, job: &str| {
            SchedulerRun::from_env(run, &one, &one, env(&[("SLURM_JOB_ID", job)])).unwrap()
        };
        let mut all = vec![ctx("a", "1"), ctx("b", "2")];
        merge(&mut all, &[ctx("b", "3"), ctx("c", "4")]);
        let jobs: Vec<_> = all
            .iter()
            .map(|r| (r.run_id.as_str(), r.job_id.as_deref().unwrap()))
            .collect();
        assert_eq!(jobs, vec![("a", "1"), ("b", "3"), ("c", "4")]);
    }
}
