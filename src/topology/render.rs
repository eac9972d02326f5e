//! A text tree of the machine in the spirit of `lstopo --of console`: packages, caches, cores
//! and CPUs nested by which CPUs they share, NUMA nodes attached where they fit.

use std::fmt::Write;

use super::Topology;
use crate::cpuset::CpuSet;

struct Node {
    depth: u8,
    label: String,
    cpus: CpuSet,
}

/// Renders the topology; CPUs outside `allowed` are marked so a restricted run is visible.
pub fn render_tree(topo: &Topology, allowed: &CpuSet) -> String {
    let mut nodes: Vec<Node> = Vec::new();
    for p in &topo.packages {
        nodes.push(Node {
            depth: 1,
            label: format!("Package P#{}", p.id),
            cpus: p.cpus.clone(),
        });
    }
    for n in topo.numa_nodes.iter().filter(|n| !n.cpus.is_empty()) {
        let mem = n
            .memory_bytes
            .map(|b| format!(" ({})", crate::size::human_size(b)))
            .unwrap_or_default();
        nodes.push(Node {
            depth: 2,
            label: format!("NUMANode P#{}{mem}", n.id),
            cpus: n.cpus.clone(),
        });
    }
    for c in topo.caches.iter().filter(|c| c.holds_data()) {
        let size = c
            .size_bytes
            .map(|b| format!(" ({})", crate::size::human_size(b)))
            .unwrap_or_default();
        nodes.push(Node {
            depth: 10 - c.level.min(7),
            label: format!("{}{size}", c.name()),
            cpus: c.cpus.clone(),
        });
    }
    let hybrid = topo.core_kinds.len() > 1;
    for core in &topo.cores {
        let kind = match topo.kind_of(core.cpus.first().unwrap_or(0)) {
            Some(k) if hybrid => format!(" kind={}", k.name),
            _ => String::new(),
        };
        nodes.push(Node {
            depth: 11,
            label: format!("Core{kind}"),
            cpus: core.cpus.clone(),
        });
    }
    for cpu in topo.online.iter() {
        let mark = if allowed.contains(cpu) {
            ""
        } else {
            " (not allowed)"
        };
        nodes.push(Node {
            depth: 12,
            label: format!("PU P#{cpu}{mark}"),
            cpus: CpuSet::single(cpu),
        });
    }
    let mut out = String::new();
    let model = topo.cpu_model.as_deref().unwrap_or("unknown CPU model");
    let _ = writeln!(
        out,
        "Machine ({model}; {} CPUs online, allowed {allowed})",
        topo.online.len()
    );
    // Each object's parent is the closest object that contains its CPUs: the smallest such
    // set, and among equal sets the one drawn just above it.
    let contains = |outer: &Node, inner: &Node| {
        inner.cpus.is_subset(&outer.cpus)
            && (outer.cpus.len() > inner.cpus.len() || outer.depth < inner.depth)
    };
    let parent: Vec<Option<usize>> = (0..nodes.len())
        .map(|i| {
            (0..nodes.len())
                .filter(|&j| j != i && contains(&nodes[j], &nodes[i]))
                .min_by_key(|&j| (nodes[j].cpus.len(), std::cmp::Reverse(nodes[j].depth)))
        })
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    let key = |&i: &usize| (nodes[i].depth, nodes[i].cpus.first());
    roots.sort_by_key(key);
    for c in &mut children {
        c.sort_by_key(key);
    }
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 1)).collect();
    while let Some((i, level)) = stack.pop() {
        let _ = writeln!(out, "{}{}", "  ".repeat(level), nodes[i].label);
        stack.extend(children[i].iter().rev().map(|&c| (c, level + 1)));
    }
    if !topo.offline.is_empty() {
        let _ = writeln!(out, "Offline CPUs: {}", topo.offline);
    }
    for w in &topo.warnings {
        let _ = writeln!(out, "Ambiguous: {w}");
    }
    out
}
