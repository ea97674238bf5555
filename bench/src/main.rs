//! `omi-bench`: the load generator and replay benchmark of omi-server (see `BENCHMARKS.md` and `bench/run.sh`).
//!
//! ```text
//! omi-bench p1  --url URL --tokens FILE [--clients 64] [--seconds 20] [--warmup 5] [--label p1]
//! omi-bench p2  --database-url URL --server BIN [--events 1000000] [--users 3000] [--copy-runs 3] [--seed 1]
//!               [--pg-pid PID] [--quiet-wait 300] [--breakdown true] [--tamper SQL]
//! omi-bench p3  --url URL --token TOKEN --uid UID --database-url URL [--conversations 10000] [--requests 500]
//!               [--warmup 50] [--limit 100] [--concurrency 8] [--server-pid PID] [--pg-pid PID] [--label p3]
//! omi-bench p4  --url URL --server BIN [--steps 100,250,500,1000,1500] [--seconds 30] [--settle 5]
//!               [--ramp-rate 100] [--server-pid PID] [--pg-pid PID] [--label p4]
//! omi-bench p5  --url URL --server BIN --server-pid PID --kind websocket|http --count N [--warmup 100]
//!               [--rate 250] [--settle 5] [--label p5] [--listen-query custom_stt=enabled]
//! omi-bench p6  --url URL --server BIN [--conversations 5000] [--year 2025] [--concurrency 8] [--requests 1000]
//!               [--warmup 50] [--as-of-runs 5] [--label p6]
//! omi-bench p7  --url URL --token TOKEN --uid UID --database-url URL [--other-token TOKEN] [--events 100000]
//!               [--clients 4] [--runs 3] [--subscribers 1000] [--appends 20] [--open-rate 200] [--label p7]
//! omi-bench p8  --url URL --token TOKEN --uid UID --database-url URL [--conversations 10000] [--segments 7]
//!               [--queries 50] [--requests 500] [--warmup 50] [--label p8]
//! omi-bench p10 --url URL --token TOKEN [--conversations 200] [--concurrency 8] [--label p10]
//! omi-bench cpu [--pg-pid PID] [--pid PID] [--label NAME] -- COMMAND [ARGS…]
//! omi-bench quiet [--max-wait 300]
//! ```
//!
//! Every result is printed as `name=value` lines (besides a human summary on stderr) so that `run.sh` can
//! collect them.

mod args;
mod cpu;
mod expected;
mod generate;
mod http1;
mod p1;
mod p10;
mod p2;
mod p3;
mod p4;
mod p5;
mod p6;
mod p7;
mod p8;
mod raw_db;
mod rng;
mod text;
mod verify;

use std::process::ExitCode;

use args::Args;

const USAGE: &str = "usage:
  omi-bench p1  --url URL --tokens FILE [--clients 64] [--seconds 20] [--warmup 5] [--label p1]
  omi-bench p2  --database-url URL --server BIN [--events 1000000] [--users 3000] [--copy-runs 3] [--seed 1] [--pg-pid PID]
  [--quiet-wait 300] [--breakdown true] [--tamper SQL]
  omi-bench p3  --url URL --token TOKEN --uid UID --database-url URL [--conversations 10000] [--requests 500] [--warmup 50] [--limit 100] [--concurrency 8] [--server-pid PID] [--pg-pid PID] [--label p3]
  omi-bench p4  --url URL --server BIN [--steps 100,250,500,1000,1500] [--seconds 30] [--settle 5] [--ramp-rate 100] [--server-pid PID] [--pg-pid PID] [--label p4]
  omi-bench p5  --url URL --server BIN --server-pid PID --kind websocket|http --count N [--warmup 100] [--rate 250] [--settle 5] [--label p5] [--listen-query custom_stt=enabled]
  omi-bench p6  --url URL --server BIN [--conversations 5000] [--year 2025] [--concurrency 8] [--requests 1000] [--warmup 50] [--as-of-runs 5] [--label p6]
  omi-bench p7  --url URL --token TOKEN --uid UID --database-url URL [--other-token TOKEN] [--events 100000] [--clients 4] [--runs 3] [--subscribers 1000] [--appends 20] [--open-rate 200] [--label p7]
  omi-bench p10 --url URL --token TOKEN [--conversations 200] [--concurrency 8] [--label p10]
  omi-bench p8  --url URL --token TOKEN --uid UID --database-url URL [--conversations 10000] [--segments 7] [--queries 50] [--requests 500] [--warmup 50] [--label p8]
  omi-bench cpu [--pg-pid PID] [--pid PID] [--label NAME] -- COMMAND [ARGS...]
  omi-bench quiet [--max-wait 300]";

fn main() -> ExitCode {
    let mut raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.is_empty() || raw[0] == "-h" || raw[0] == "--help" {
        eprintln!("{USAGE}");
        return if raw.is_empty() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let command = raw.remove(0);
    // P1's clients run on one thread: the load generator then takes as little as it can of the cores it shares
    // with the server and PostgreSQL, and never more than one of them.
    let mut builder = if command == "p1" {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("omi-bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command.as_str() {
        "p1" => Args::parse(raw).and_then(|args| runtime.block_on(p1::run(args))),
        "p2" => Args::parse(raw).and_then(|args| runtime.block_on(p2::run(args))),
        "p3" => Args::parse(raw).and_then(|args| runtime.block_on(p3::run(args))),
        "p4" => Args::parse(raw).and_then(|args| runtime.block_on(p4::run(args))),
        "p5" => Args::parse(raw).and_then(|args| runtime.block_on(p5::run(args))),
        "p6" => Args::parse(raw).and_then(|args| runtime.block_on(p6::run(args))),
        "p7" => Args::parse(raw).and_then(|args| runtime.block_on(p7::run(args))),
        "p10" => Args::parse(raw).and_then(|args| runtime.block_on(p10::run(args))),
        "p8" => Args::parse(raw).and_then(|args| runtime.block_on(p8::run(args))),
        "cpu" => cpu::run_command(raw),
        "quiet" => Args::parse(raw).and_then(|mut args| {
            let seconds: u64 = args.or("max-wait", 300)?;
            args.finish()?;
            cpu::wait_for_quiet(std::time::Duration::from_secs(seconds));
            Ok(())
        }),
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("omi-bench {command}: {error}");
            ExitCode::FAILURE
        }
    }
}
