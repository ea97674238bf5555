//! Where CPU time went during a measurement, from `/proc`: the whole machine, the PostgreSQL instance (the
//! postmaster, its live children, and the children it already reaped), one other process (the server), and
//! the children this process waited for (a load generator or `omi-server replay`).

use std::time::Instant;

/// `USER_HZ`: the unit of `/proc` CPU times, 100 on every mainstream Linux architecture.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU counters at one moment.
pub struct Snapshot {
    at: Instant,
    machine_busy: u64,
    machine_idle: u64,
    machine_iowait: u64,
    postgres: Option<u64>,
    process: Option<u64>,
    children: u64,
}

/// Which processes to account for besides the machine and our own children.
#[derive(Clone, Copy, Default)]
pub struct Watch {
    /// The postmaster of the PostgreSQL instance under test.
    pub postgres: Option<u32>,
    /// Another process (the server).
    pub process: Option<u32>,
}

/// (utime + stime, cutime + cstime, ppid) of a process.
fn process_ticks(pid: u32) -> Option<(u64, u64, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; the fields after it start with the state.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    let own = field(14)? + field(15)?;
    let reaped = field(16)? + field(17)?;
    Some((own, reaped, field(4)? as u32))
}

/// All CPU the PostgreSQL instance of `postmaster` used so far: its own, its live children's, and that of the
/// children it reaped (backends of closed connections).
fn postgres_ticks(postmaster: u32) -> Option<u64> {
    let (own, reaped, _) = process_ticks(postmaster)?;
    let mut total = own + reaped;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some((own, reaped, parent)) = process_ticks(pid) {
            if parent == postmaster {
                total += own + reaped;
            }
        }
    }
    Some(total)
}

fn machine_ticks() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or_default();
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let get = |i: usize| v.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
    (busy, get(3), get(4))
}

impl Snapshot {
    pub fn take(watch: Watch) -> Self {
        let (machine_busy, machine_idle, machine_iowait) = machine_ticks();
        let children = process_ticks(std::process::id())
            .map(|(_, reaped, _)| reaped)
            .unwrap_or(0);
        Self {
            at: Instant::now(),
            machine_busy,
            machine_idle,
            machine_iowait,
            postgres: watch.postgres.and_then(postgres_ticks),
            process: watch
                .process
                .and_then(|pid| process_ticks(pid).map(|(own, _, _)| own)),
            children,
        }
    }

    /// The CPU used between `self` and `later`, as `prefix.name=value` lines (cores = CPU seconds per second).
    pub fn report(
        &self,
        later: &Snapshot,
        prefix: &str,
        process_name: &str,
        children_name: &str,
    ) -> String {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let cores = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / wall;
        let mut lines = vec![
            format!("{prefix}.wall_s={wall:.2}"),
            format!(
                "{prefix}.cores={}",
                std::thread::available_parallelism().map_or(0, |n| n.get())
            ),
            format!(
                "{prefix}.machine_busy_cores={:.2}",
                cores(later.machine_busy.saturating_sub(self.machine_busy))
            ),
            format!(
                "{prefix}.machine_idle_cores={:.2}",
                cores(later.machine_idle.saturating_sub(self.machine_idle))
            ),
            format!(
                "{prefix}.machine_iowait_cores={:.2}",
                cores(later.machine_iowait.saturating_sub(self.machine_iowait))
            ),
        ];
        if let (Some(a), Some(b)) = (self.postgres, later.postgres) {
            lines.push(format!(
                "{prefix}.postgres_cores={:.2}",
                cores(b.saturating_sub(a))
            ));
        }
        if let (Some(a), Some(b)) = (self.process, later.process) {
            lines.push(format!(
                "{prefix}.{process_name}_cores={:.2}",
                cores(b.saturating_sub(a))
            ));
        }
        let mut accounted = 0;
        if let (Some(a), Some(b)) = (self.postgres, later.postgres) {
            accounted += b.saturating_sub(a);
        }
        if let (Some(a), Some(b)) = (self.process, later.process) {
            accounted += b.saturating_sub(a);
        }
        let children = later.children.saturating_sub(self.children);
        accounted += children;
        if children > 0 {
            lines.push(format!(
                "{prefix}.{children_name}_cores={:.2}",
                cores(children)
            ));
        }
        // Everything else that ran meanwhile: the kernel's network stack, and anything else on the machine.
        let busy = later.machine_busy.saturating_sub(self.machine_busy);
        lines.push(format!(
            "{prefix}.other_cores={:.2}",
            cores(busy.saturating_sub(accounted))
        ));
        lines.join("\n")
    }
}

/// `omi-bench cpu [--pg-pid PID] [--pid PID] [--label NAME] -- COMMAND [ARGS…]`: runs the command and prints
/// how the machine's CPU was shared while it ran.
pub fn run_command(raw: Vec<String>) -> Result<(), String> {
    let split = raw
        .iter()
        .position(|a| a == "--")
        .ok_or("cpu: put the command to run after `--`")?;
    let (options, command) = raw.split_at(split);
    let command = &command[1..];
    let mut args = crate::args::Args::parse(options.to_vec())?;
    let watch = Watch {
        postgres: args.optional("pg-pid")?,
        process: args.optional("pid")?,
    };
    let label: String = args.or("label", "cpu".to_string())?;
    args.finish()?;
    let (program, rest) = command.split_first().ok_or("cpu: no command given")?;
    let before = Snapshot::take(watch);
    let status = std::process::Command::new(program)
        .args(rest)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    // Let the postmaster reap the backends of the command's connections, so that their CPU is counted.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after = Snapshot::take(watch);
    println!("{}", before.report(&after, &label, "server", "command"));
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} exited with {status}"))
    }
}

/// Waits (at most `max`) until the machine has been nearly idle — under 10 % busy — for 6 seconds, so that a
/// measurement does not start in the middle of someone else's compile; says so when it gives up.
pub fn wait_for_quiet(max: std::time::Duration) {
    let deadline = Instant::now() + max;
    let mut quiet = 0;
    let mut last = 0.0;
    while Instant::now() < deadline {
        let (busy_a, idle_a, wait_a) = machine_ticks();
        std::thread::sleep(std::time::Duration::from_secs(2));
        let (busy_b, idle_b, wait_b) = machine_ticks();
        let busy = busy_b.saturating_sub(busy_a) as f64;
        let all =
            busy + idle_b.saturating_sub(idle_a) as f64 + wait_b.saturating_sub(wait_a) as f64;
        last = if all > 0.0 { busy / all } else { 0.0 };
        if last < 0.10 {
            quiet += 1;
            if quiet >= 3 {
                return;
            }
        } else {
            quiet = 0;
        }
    }
    eprintln!(
        "omi-bench: the machine is still {:.0} % busy with other work after {}s; measuring anyway \
         (see the `other` CPU in the results)",
        last * 100.0,
        max.as_secs()
    );
}
