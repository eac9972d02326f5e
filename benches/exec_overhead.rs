//! What `pinbench exec` costs a program: each program run directly (twice, an A/A pair) and
//! under `exec -w 2` with `-s per-worker` (every worker placed) and `-s none` (nothing placed:
//! the harness's own cost), by the preload library (`--placer preload`, the default) and by
//! ptrace (`--placer ptrace`), interleaved round after round in one run, so drift of a shared
//! machine falls on all of them: each round runs the program directly, then the other runs in
//! an order turned by one every round, then directly again, and each of them is set against
//! the geometric mean of its round's two direct runs. Prints every round, the medians, each
//! ratio to direct with its 95 % interval (paired by round where the rounds moved together, as
//! the summary pairs passes) and a verdict (a difference must stand out of the A/A's spread,
//! "no difference" needs the interval within 2 %), and the A/A ratio (the noise floor).
//!
//! Two more kinds of run say what no harness can go under. The program started directly with
//! an empty preload library (linked as pinbench's is): what loading any library through
//! `LD_PRELOAD` costs each process, paid by every preload placement before it does anything.
//! And, for the fork loop, its children pinning themselves to the CPU per-worker gives them:
//! under per-worker a fork-heavy program also pays its placement's own effect (each short child
//! moved to its slot's CPU), which a program pinning its own children pays as well.
//!
//! Beside the library, the other design that places exec'd processes without ptrace: each
//! program run under a supervisor that receives every `execve` of its tree through seccomp
//! user notification and lets it continue, placing nothing (that design's least cost; it
//! cannot reach a forked child that does not exec).
//!
//! The programs are the fork-heavy ones (a shell starting 200 `/bin/true`, Python running 200
//! `subprocess.run`, `make -j2` of 20 small C files, a C loop of 1000 forks), where every new
//! process pays for its placement, and a compute-bound Pool, where nothing should show.
//!
//! `cargo bench --bench exec_overhead`; `PINBENCH_OVERHEAD_ROUNDS` sets the rounds (default 5),
//! `PINBENCH_OVERHEAD_ONLY=make` runs only the programs whose label holds that text.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pinbench::exec::{Command as Program, DEFAULT_HELPERS, ExecSpec, Mode, Placer};
use pinbench::metrics::CountingMode;
use pinbench::plan::{Placement, plan};
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::runner::{Executor, Model, PinBy, Scenario};
use pinbench::stats::{Bands, NOISE_THRESHOLD, compare, compare_within, median};
use pinbench::strategy::Strategy;

/// Seconds of one run of `argv` started directly, with `preload` in `LD_PRELOAD` if given.
fn direct(argv: &[String], preload: Option<&str>) -> f64 {
    let start = Instant::now();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    if let Some(lib) = preload {
        cmd.env("LD_PRELOAD", lib);
    }
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the program runs");
    assert!(status.success(), "{argv:?} failed");
    start.elapsed().as_secs_f64()
}

/// A C source written to `dir` and compiled there with `flags`; returns the binary.
fn compile(dir: &Path, name: &str, source: &str, flags: &[&str]) -> String {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let bin = dir.join(name);
    let ok = Command::new("cc")
        .args(flags)
        .args(["-O2", "-o"])
        .arg(&bin)
        .arg(&c)
        .status()
        .expect("cc runs")
        .success();
    assert!(ok, "cc {name}.c failed");
    bin.display().to_string()
}

/// 1000 forks; with a CPU as its argument, each child first pins itself there (the placement
/// per-worker gives each of them, made by the program itself: its own cost, no harness).
const FORKS: &str = r#"#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    cpu_set_t own;
    CPU_ZERO(&own);
    if (argc > 1) CPU_SET(atoi(argv[1]), &own);
    for (int i = 0; i < 1000; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (argc > 1) sched_setaffinity(0, sizeof own, &own);
            _exit(0);
        }
        if (p < 0 || waitpid(p, 0, 0) != p) return 1;
    }
    return 0;
}
"#;

/// A preload library that does nothing, linked as pinbench's is (build.rs): what loading any
/// library through `LD_PRELOAD` costs a process, the floor under every preload placement.
const EMPTY_LIBRARY: &str = "__attribute__((constructor)) static void start(void) {}\n";

/// The other design for placing exec'd processes without ptrace, measured beside the library:
/// a supervisor that receives every `execve` of the tree through seccomp user notification and
/// lets it continue (`seccomp-exec PROGRAM ARGS...`). It stops each exec for one round trip
/// and places nothing, so it is that design's least cost; it cannot reach a forked child that
/// does not exec (the notification comes before the call, in the caller), which is why it is
/// not pinbench's placer.
const SECCOMP_EXEC: &str = r#"#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 126;
    char byte = 0;
    struct iovec io = {&byte, 1};
    union { char c[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } u;
    struct msghdr m = {0};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = u.c;
    m.msg_controllen = sizeof u.c;
    pid_t root = fork();
    if (root == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_fprog prog = {4, f};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (l < 0) _exit(126);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &l, sizeof l);
        if (sendmsg(sv[0], &m, 0) != 1) _exit(126);
        close(l);
        close(sv[0]);
        close(sv[1]);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    close(sv[0]);
    if (recvmsg(sv[1], &m, 0) != 1) return 126;
    int l;
    memcpy(&l, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof l);
    struct seccomp_notif_sizes sz;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz)) return 126;
    struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
    struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
    for (;;) {
        struct pollfd p = {l, POLLIN, 0};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (!(p.revents & POLLIN)) break;
        memset(req, 0, sz.seccomp_notif);
        if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) continue;
        memset(resp, 0, sz.seccomp_notif_resp);
        resp->id = req->id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, resp);
    }
    int st;
    if (waitpid(root, &st, 0) != root) return 126;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
"#;

/// One kind of run in a round.
enum Run<'a> {
    /// Under `pinbench exec`.
    Placed(&'a ExecSpec, &'a Placement),
    /// Started directly, with a preload library or other arguments than the program's own.
    Direct {
        argv: Vec<String>,
        preload: Option<&'a str>,
    },
}

/// 20 small C files and a Makefile that builds them into one program.
fn make_tree(dir: &Path) {
    let mut objs = Vec::new();
    for i in 0..20 {
        std::fs::write(
            dir.join(format!("f{i}.c")),
            format!(
                "#include <stdio.h>\n#include <string.h>\nint f{i}(int x) {{ char b[64]; snprintf(b, sizeof b, \"%d\", x * {i}); return (int)strlen(b) + x; }}\n"
            ),
        )
        .unwrap();
        objs.push(format!("f{i}.o"));
    }
    let decls: String = (0..20).map(|i| format!("int f{i}(int);\n")).collect();
    let calls: String = (0..20).map(|i| format!("s += f{i}(s);\n")).collect();
    std::fs::write(
        dir.join("main.c"),
        format!("{decls}int main(void) {{ int s = 1;\n{calls}return s == 0; }}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("Makefile"),
        format!(
            "prog: main.o {objs}\n\tcc -o $@ $^\n%.o: %.c\n\tcc -O1 -c -o $@ $<\n",
            objs = objs.join(" ")
        ),
    )
    .unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--test") || std::env::args().all(|a| a != "--bench") {
        return;
    }
    let rounds: usize = std::env::var("PINBENCH_OVERHEAD_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let allowed = pinbench::affinity::startup_allowed().expect("allowed set");
    let profile =
        read_profile(Path::new("/"), AllowedSource::Live, Some(&allowed)).expect("profile");
    let tmp = std::env::temp_dir().join(format!("pinbench-overhead-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let script = tmp.join("children.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ni=0\nwhile [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let forks = compile(&tmp, "forks", FORKS, &[]);
    let seccomp_exec = compile(&tmp, "seccomp-exec", SECCOMP_EXEC, &[]);
    let seccomp_works = Command::new(&seccomp_exec)
        .arg("/bin/true")
        .status()
        .is_ok_and(|s| s.success());
    if !seccomp_works {
        println!("seccomp user notification does not work here: its runs are left out");
    }
    let empty = compile(
        &tmp,
        "empty.so",
        EMPTY_LIBRARY,
        &[
            "-shared",
            "-fPIC",
            "-Wl,-z,noseparate-code",
            "-Wl,-z,norelro",
        ],
    );
    let build = tmp.join("build");
    std::fs::create_dir_all(&build).unwrap();
    make_tree(&build);
    let pool = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/pool.py");
    let workers = 2.min(allowed.len());
    // The interpreter itself, past any wrapper (pyenv's shim starts ~45 processes first).
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into());
    let programs: Vec<(&str, Vec<String>)> = vec![
        (
            "200 children (sh, /bin/true)",
            vec![script.display().to_string()],
        ),
        (
            "200 children (python3 subprocess.run)",
            vec![
                python.clone(),
                "-c".into(),
                "import subprocess\nfor _ in range(200): subprocess.run(['/bin/true'])".into(),
            ],
        ),
        (
            "make -j2, 20 small C files",
            vec![
                "make".into(),
                "-s".into(),
                "-B".into(),
                "-j2".into(),
                "-C".into(),
                build.display().to_string(),
            ],
        ),
        ("1000 forks (C, fork + waitpid)", vec![forks.clone()]),
        (
            "compute-bound pool (python3 examples/python/pool.py)",
            vec![
                python.clone(),
                pool.display().to_string(),
                "--workers".into(),
                workers.to_string(),
                "--tasks".into(),
                (8 * workers).to_string(),
                "--size".into(),
                "1000000".into(),
            ],
        ),
    ];
    let helpers = regex::Regex::new(DEFAULT_HELPERS).unwrap();
    let only = std::env::var("PINBENCH_OVERHEAD_ONLY").unwrap_or_default();
    let placement = plan(&Strategy::PerWorker, &profile.topology, &allowed, workers).unwrap();
    let unplaced = plan(&Strategy::None, &profile.topology, &allowed, workers).unwrap();
    for (label, argv) in programs
        .into_iter()
        .filter(|(l, _)| l.contains(only.as_str()))
    {
        let spec = ExecSpec {
            command: Program::resolve(argv.iter().map(Into::into).collect()).expect("program"),
            mode: Mode::Processes,
            pin_by: PinBy::Tracer,
            metric: None,
            timeout: Some(Duration::from_secs(120)),
            grace: Duration::from_secs(2),
            helpers: helpers.clone(),
            show_output: false,
            placer: Placer::Preload,
        };
        let scenario = Scenario {
            pin_by: PinBy::Tracer,
            counting: CountingMode::Procfs,
            allow_mismatch: true,
            ..Scenario::new(
                "cmd:overhead".parse().unwrap(),
                Model::Processes,
                workers,
                Duration::ZERO,
            )
        };
        // The same program placed by ptrace (every task traced), and under `none` by each (the
        // harness's own cost with nothing placed: what per-worker costs on top of it is the
        // placement's, which a program pinning its own workers pays too), in the same rounds.
        let traced_spec = ExecSpec {
            placer: Placer::Ptrace,
            ..spec.clone()
        };
        // Beside them, what no harness can go under: the program started directly with an
        // empty preload library (what loading any library costs each process), and for the
        // fork loop its children pinning themselves where per-worker puts them (slot 0's CPU:
        // each child takes the lowest free slot, its predecessor reaped), the placement's own
        // cost.
        let mut variants: Vec<(&str, Run)> = vec![
            (
                "per-worker, --placer preload",
                Run::Placed(&spec, &placement),
            ),
            (
                "per-worker, --placer ptrace",
                Run::Placed(&traced_spec, &placement),
            ),
            ("none, --placer preload", Run::Placed(&spec, &unplaced)),
            (
                "none, --placer ptrace",
                Run::Placed(&traced_spec, &unplaced),
            ),
            (
                "direct, empty preload library",
                Run::Direct {
                    argv: argv.clone(),
                    preload: Some(&empty),
                },
            ),
        ];
        if seccomp_works {
            variants.push((
                "direct, each exec stopped by a seccomp supervisor (placing nothing)",
                Run::Direct {
                    argv: std::iter::once(seccomp_exec.clone())
                        .chain(argv.iter().cloned())
                        .collect(),
                    preload: None,
                },
            ));
        }
        let slot0 = placement.workers[0]
            .cpus
            .as_ref()
            .and_then(|c| c.iter().next());
        if let (true, Some(cpu)) = (argv[0] == forks, slot0) {
            variants.push((
                "direct, each child pins itself to slot 0's CPU",
                Run::Direct {
                    argv: vec![forks.clone(), cpu.to_string()],
                    preload: None,
                },
            ));
        }
        let once = |run: &Run| match run {
            Run::Placed(s, p) => s.measure(&scenario, p).expect("placed run").total.seconds,
            Run::Direct { argv, preload } => direct(argv, *preload),
        };
        // One of each first, uncounted.
        direct(&argv, None);
        for (_, run) in &variants {
            once(run);
        }
        let mut a = Vec::new();
        let mut a2 = Vec::new();
        let mut others: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
        // The columns of each round, one per line: the labels are long.
        println!("\n{label}, -w {workers}: seconds per run, each round's columns in this order:");
        println!("  direct A");
        for (name, _) in &variants {
            println!("  {name}");
        }
        println!("  direct A'");
        for r in 0..rounds {
            a.push(direct(&argv, None));
            // The other runs between the two direct ones, their order turned by one each
            // round: none of them always runs right after a direct run, or after ptrace's.
            for i in 0..variants.len() {
                let v = (i + r) % variants.len();
                others[v].push(once(&variants[v].1));
            }
            a2.push(direct(&argv, None));
            let row: Vec<String> = others.iter().map(|v| format!("{:.4}", v[r])).collect();
            println!(
                "  round {r:2}: {:.4} / {} / {:.4}",
                a[r],
                row.join(" / "),
                a2[r]
            );
        }
        let rate = |v: &[f64]| v.iter().map(|s| 1.0 / s).collect::<Vec<f64>>();
        // Each round's runs side by side: compared round by round where they moved together.
        let pairs = |x: &[f64], y: &[f64]| -> Vec<(f64, f64)> {
            rate(x).into_iter().zip(rate(y)).collect()
        };
        let (aa, _) =
            compare(&rate(&a), &rate(&a2), &pairs(&a, &a2), NOISE_THRESHOLD, 0.0).unwrap();
        let floor = (aa.ratio - 1.0).abs();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        // Each round's direct time: the geometric mean of the runs before and after its other
        // ones, so a drift within the round falls on both sides alike.
        let bracket: Vec<f64> = a.iter().zip(&a2).map(|(x, y)| (x * y).sqrt()).collect();
        // A difference must stand out of the A/A's spread; "no difference" needs the interval
        // inside the threshold itself, never a band a noisy A/A widened.
        let bands = Bands {
            difference: NOISE_THRESHOLD.max(floor),
            equivalence: NOISE_THRESHOLD,
        };
        for ((name, _), runs) in variants.iter().zip(&others) {
            let (ab, paired) =
                compare_within(&rate(&bracket), &rate(runs), &pairs(&bracket, runs), bands)
                    .unwrap();
            let interval = match ab.ci {
                Some((l, h)) => format!(
                    "95 % interval {:.3}-{:.3}, {}",
                    1.0 / h,
                    1.0 / l,
                    if paired.is_some() {
                        "paired by round"
                    } else {
                        "unpaired: the rounds did not move together"
                    }
                ),
                None => format!("no interval: {} rounds are too few", runs.len()),
            };
            println!(
                "  {name}: median direct {:.4} s, its runs {:.4} s: {:.3}x as long ({interval}); verdict {}",
                median(&bracket).unwrap(),
                median(runs).unwrap(),
                1.0 / ab.ratio,
                ab.verdict.as_str()
            );
        }
        println!(
            "  A/A: direct A' over A {:.3}x, verdict {} (noise floor {:.1} %); load average {}",
            1.0 / aa.ratio,
            aa.verdict.as_str(),
            floor * 100.0,
            load.join(" ")
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
