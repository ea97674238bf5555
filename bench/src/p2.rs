//! P2: `omi-server replay` of a large log into all read models, against PostgreSQL's own floor for reading the
//! same rows, `COPY (SELECT * FROM events) TO '/dev/null'`, on the same data in the same run. The read models
//! are then checked against what the generator says they must hold: a fast wrong replay is worth nothing.

use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection};

use crate::args::Args;
use crate::cpu::{Snapshot, Watch};
use crate::generate::{self, COPY_COLUMNS};
use crate::verify::verify;

/// Events per `COPY … FROM STDIN` statement (and so per transaction).
const LOAD_BATCH: usize = 50_000;

fn sql_error(context: &str) -> impl Fn(sqlx::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("database-url")?;
    let server: String = args.required("server")?;
    let events: u64 = args.or("events", 1_000_000)?;
    let users: usize = args.or("users", 3_000)?;
    let copy_runs: usize = args.or("copy-runs", 3)?;
    let seed: u64 = args.or("seed", 1)?;
    let quiet_wait = Duration::from_secs(args.or("quiet-wait", 300)?);
    let breakdown: bool = args.or("breakdown", true)?;
    // A database that already holds exactly this data set (same events, users, seed) from an earlier run: the
    // generator still runs (the check needs its expectations), the load is skipped.
    let reuse: bool = args.or("reuse", false)?;
    // After loading, keep a file copy of the database as loaded under this name, for later `--reuse` runs.
    let keep_loaded: Option<String> = args.optional("keep-loaded")?;
    // One SQL statement run on the rebuilt read models before they are checked: a wrong field planted on
    // purpose, to see the check fail (it must; see BENCHMARKS.md).
    let tamper: Option<String> = args.optional("tamper")?;
    let watch = Watch {
        postgres: args.optional("pg-pid")?,
        process: None,
    };
    args.finish()?;

    // The schema, as the server creates it.
    let status = std::process::Command::new(&server)
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .status()
        .map_err(|e| format!("cannot run {server} migrate: {e}"))?;
    if !status.success() {
        return Err(format!("{server} migrate exited with {status}"));
    }
    let mut conn = PgConnection::connect(&url)
        .await
        .map_err(sql_error("connect"))?;
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events")
        .fetch_one(&mut conn)
        .await
        .map_err(sql_error("count events"))?;
    let reused = reuse && existing as u64 == events;
    if existing != 0 && !reused {
        return Err(format!(
            "the events table already holds {existing} events; use a fresh database{}",
            if reuse {
                " or one loaded with the same --events"
            } else {
                ""
            }
        ));
    }

    let started = Instant::now();
    let mut set = generate::generate(events, users, seed).await;
    let generate_s = started.elapsed().as_secs_f64();
    eprintln!(
        "P2: generated {} events ({} memory, {} action item, {} conversation, {} API key) in {generate_s:.1}s",
        set.rows.len(),
        set.memory_events,
        set.action_item_events,
        set.conversation_events,
        set.api_key_events,
    );

    let started = Instant::now();
    let rows = std::mem::take(&mut set.rows);
    if reused {
        // The same count is not enough: a database kept by an earlier version of the generator holds another log.
        let loaded: Vec<(String, i64)> =
            sqlx::query_as("SELECT aggregate_type, COUNT(*) FROM events GROUP BY aggregate_type")
                .fetch_all(&mut conn)
                .await
                .map_err(sql_error("count events by type"))?;
        for (aggregate_type, generated) in set.events_by_type() {
            let found = loaded
                .iter()
                .find(|(t, _)| t == aggregate_type)
                .map_or(0, |(_, n)| *n);
            if found as u64 != generated {
                return Err(format!(
                    "the reused database holds {found} {aggregate_type} events, this data set {generated}: it \
                     was loaded from another data set (an earlier generator?); delete the kept copy"
                ));
            }
        }
        eprintln!("P2: reusing the {existing} events already loaded (--reuse)");
    } else {
        load(&mut conn, rows).await?;
    }
    let load_s = started.elapsed().as_secs_f64();
    eprintln!("P2: loaded in {load_s:.1}s; VACUUM ANALYZE and CHECKPOINT");
    // Both contenders read a settled table: hint bits set, statistics fresh, nothing dirty in shared buffers.
    conn.execute("VACUUM (ANALYZE) events")
        .await
        .map_err(sql_error("vacuum"))?;
    conn.execute("CHECKPOINT")
        .await
        .map_err(sql_error("checkpoint"))?;
    let (count, table_bytes, total_bytes, avg_row, avg_json): (i64, i64, i64, f64, f64) =
        sqlx::query_as(
            "SELECT COUNT(*), pg_relation_size('events'), pg_total_relation_size('events'),
                AVG(pg_column_size(e.*))::float8,
                AVG(octet_length(payload::text) + octet_length(metadata::text))::float8
         FROM events e",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(sql_error("table size"))?;
    if count as u64 != events {
        return Err(format!(
            "expected {events} events in the table, found {count}"
        ));
    }
    if let (Some(name), false) = (&keep_loaded, reused) {
        conn.close().await.map_err(sql_error("close"))?;
        copy_database(&url, &database_name(&url), name).await?;
        eprintln!("P2: kept a copy of the loaded database as {name}");
        conn = PgConnection::connect(&url)
            .await
            .map_err(sql_error("connect"))?;
    }
    // For the breakdown: a copy of the database as loaded, so that each projection can later be replayed alone
    // into fresh, never-analysed read-model tables, exactly as the full replay finds them.
    let pristine = format!("{}_pristine", database_name(&url));
    if breakdown {
        conn.close().await.map_err(sql_error("close"))?;
        copy_database(&url, &database_name(&url), &pristine).await?;
        conn = PgConnection::connect(&url)
            .await
            .map_err(sql_error("connect"))?;
    }

    // The floor: PostgreSQL reading and formatting every row, writing nothing anyone reads. One warm-up run,
    // then the median of `copy_runs`.
    let mut copies = Vec::with_capacity(copy_runs);
    let mut copy_cpu = String::new();
    for run in 0..=copy_runs {
        if run > 0 {
            wait_for_quiet(quiet_wait).await;
        }
        let before = Snapshot::take(watch);
        let started = Instant::now();
        conn.execute("COPY (SELECT * FROM events) TO '/dev/null'")
            .await
            .map_err(sql_error("COPY TO /dev/null (needs a superuser)"))?;
        let seconds = started.elapsed().as_secs_f64();
        let after = Snapshot::take(watch);
        if run > 0 {
            copies.push(seconds);
            copy_cpu = before.report(&after, "p2.copy_cpu", "server", "children");
        }
        eprintln!(
            "P2: COPY TO /dev/null {}: {seconds:.2}s",
            if run == 0 { "(warm-up)" } else { "" }
        );
    }
    conn.close().await.map_err(sql_error("close"))?;
    let mut sorted = copies.clone();
    sorted.sort_by(f64::total_cmp);
    let copy_s = sorted[sorted.len() / 2];

    wait_for_quiet(quiet_wait).await;
    let (replay_s, replay_cpu) = timed_replay(&server, &url, None, watch, "p2.replay_cpu").await?;

    let mut conn = PgConnection::connect(&url)
        .await
        .map_err(sql_error("connect"))?;
    if let Some(sql) = &tamper {
        let done = conn
            .execute(sql.as_str())
            .await
            .map_err(|e| format!("--tamper {sql}: {e}"))?;
        eprintln!(
            "P2: tampered with the read models before the check ({} rows): {sql}",
            done.rows_affected()
        );
    }
    let started = Instant::now();
    let verified = verify(&mut conn, &set).await;
    let verify_s = started.elapsed().as_secs_f64();
    conn.close().await.map_err(sql_error("close"))?;

    let copy_eps = events as f64 / copy_s;
    let replay_eps = events as f64 / replay_s;
    println!("p2.events={events}");
    println!("p2.users={users}");
    println!("p2.memory_streams={}", set.memories.len());
    println!("p2.action_item_streams={}", set.action_items.len());
    println!("p2.memory_events={}", set.memory_events);
    println!("p2.action_item_events={}", set.action_item_events);
    println!("p2.conversation_events={}", set.conversation_events);
    println!("p2.api_key_events={}", set.api_key_events);
    println!("p2.conversation_streams={}", set.conversations.len());
    println!("p2.api_key_streams={}", set.api_keys.len());
    println!("p2.live_memories={}", set.live_memories());
    println!("p2.live_action_items={}", set.live_action_items());
    println!(
        "p2.live_action_items_of_conversations={}",
        set.action_items_of_conversations()
    );
    println!(
        "p2.live_memories_of_conversations={}",
        set.memories_of_conversations()
    );
    println!("p2.live_conversations={}", set.live_conversations());
    println!("p2.live_api_keys={}", set.live_api_keys());
    println!("p2.generate_s={generate_s:.2}");
    println!("p2.reused_database={reused}");
    println!("p2.load_s={load_s:.2}");
    println!("p2.load_eps={:.0}", events as f64 / load_s);
    println!("p2.table_mb={:.1}", table_bytes as f64 / 1e6);
    println!("p2.table_with_indexes_mb={:.1}", total_bytes as f64 / 1e6);
    println!("p2.avg_row_bytes={avg_row:.0}");
    println!("p2.avg_payload_plus_metadata_bytes={avg_json:.0}");
    println!(
        "p2.copy_runs_s={}",
        copies
            .iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    println!("p2.copy_s={copy_s:.2}");
    println!("p2.copy_eps={copy_eps:.0}");
    println!("{copy_cpu}");
    println!("p2.replay_s={replay_s:.2}");
    println!("p2.replay_eps={replay_eps:.0}");
    println!("{replay_cpu}");
    println!("p2.ratio={:.3}", replay_eps / copy_eps);
    match verified {
        Ok(summary) => {
            println!("p2.verified=yes");
            println!("p2.verify_s={verify_s:.2}");
            eprintln!("P2: read models verified: {summary}");
        }
        Err(problem) => {
            println!("p2.verified=NO");
            return Err(format!("the read models are wrong after replay: {problem}"));
        }
    }
    if breakdown {
        breakdown_by_projection(&server, &url, &pristine, events, watch, quiet_wait).await?;
    }
    Ok(())
}

/// Runs `omi-server replay` (of one projection, or of all) and returns its wall time and CPU split.
async fn timed_replay(
    server: &str,
    url: &str,
    projection: Option<&str>,
    watch: Watch,
    label: &str,
) -> Result<(f64, String), String> {
    let mut command = tokio::process::Command::new(server);
    command.arg("replay");
    if let Some(name) = projection {
        command.args(["--projection", name]);
    }
    eprintln!(
        "P2: {server} replay{}",
        projection
            .map(|n| format!(" --projection {n}"))
            .unwrap_or_default()
    );
    let before = Snapshot::take(watch);
    let started = Instant::now();
    let output = command
        .env("DATABASE_URL", url)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run {server} replay: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let after = Snapshot::take(watch);
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Err(format!("{server} replay exited with {}", output.status));
    }
    Ok((seconds, before.report(&after, label, "server", "replay")))
}

/// Where the replay's time goes: each projection replayed alone, each time into a fresh copy of the database
/// as it was loaded (so its read-model tables are new and never analysed, as in the full replay). A projection
/// that reads none of the generated events (if the server has one) measures reading and decoding the log alone.
async fn breakdown_by_projection(
    server: &str,
    url: &str,
    pristine: &str,
    events: u64,
    watch: Watch,
    quiet_wait: Duration,
) -> Result<(), String> {
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(sql_error("connect"))?;
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM projection_checkpoints ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .map_err(sql_error("projection names"))?;
    conn.close().await.map_err(sql_error("close"))?;
    let scratch = format!("{}_only", database_name(url));
    for (name,) in names {
        copy_database(url, pristine, &scratch).await?;
        wait_for_quiet(quiet_wait).await;
        let label = format!("p2.only.{name}.cpu");
        let scratch_url = with_database(url, &scratch);
        let (seconds, cpu) = timed_replay(server, &scratch_url, Some(&name), watch, &label).await?;
        println!("p2.only.{name}.s={seconds:.2}");
        println!("p2.only.{name}.eps={:.0}", events as f64 / seconds);
        println!("{cpu}");
    }
    admin(url, &format!("DROP DATABASE IF EXISTS \"{scratch}\"")).await?;
    admin(url, &format!("DROP DATABASE IF EXISTS \"{pristine}\"")).await
}

/// The database name at the end of a `postgres://…/name` URL.
fn database_name(url: &str) -> String {
    let path = url.rsplit('/').next().unwrap_or_default();
    path.split('?').next().unwrap_or_default().to_string()
}

/// The same URL naming another database on the same server.
fn with_database(url: &str, name: &str) -> String {
    match url.rfind('/') {
        Some(at) => format!("{}/{name}", &url[..at]),
        None => url.to_string(),
    }
}

/// Runs one maintenance statement from the `postgres` database of the same server.
async fn admin(url: &str, sql: &str) -> Result<(), String> {
    let mut conn = PgConnection::connect(&with_database(url, "postgres"))
        .await
        .map_err(sql_error("connect to the postgres database"))?;
    conn.execute(sql).await.map_err(|e| format!("{sql}: {e}"))?;
    conn.close().await.map_err(sql_error("close"))
}

/// (Re)creates database `to` as a file copy of `from` (which nobody may be connected to).
async fn copy_database(url: &str, from: &str, to: &str) -> Result<(), String> {
    admin(url, &format!("DROP DATABASE IF EXISTS \"{to}\"")).await?;
    admin(
        url,
        &format!("CREATE DATABASE \"{to}\" TEMPLATE \"{from}\" STRATEGY = FILE_COPY"),
    )
    .await
}

async fn wait_for_quiet(max: Duration) {
    let _ = tokio::task::spawn_blocking(move || crate::cpu::wait_for_quiet(max)).await;
}

/// Appends the rows in order, `LOAD_BATCH` per `COPY` statement (each its own transaction, so the log has
/// several writing transactions, as the commit-order reader expects).
async fn load(conn: &mut PgConnection, rows: Vec<generate::Row>) -> Result<(), String> {
    let statement = format!("COPY events ({COPY_COLUMNS}) FROM STDIN");
    for chunk in rows.chunks(LOAD_BATCH) {
        let mut copy = conn
            .copy_in_raw(&statement)
            .await
            .map_err(sql_error("COPY FROM STDIN"))?;
        let mut buffer: Vec<u8> = Vec::with_capacity(1 << 20);
        for row in chunk {
            buffer.extend_from_slice(row.line.as_bytes());
            if buffer.len() >= 1 << 20 {
                copy.send(std::mem::replace(&mut buffer, Vec::with_capacity(1 << 20)))
                    .await
                    .map_err(sql_error("COPY send"))?;
            }
        }
        if !buffer.is_empty() {
            copy.send(buffer).await.map_err(sql_error("COPY send"))?;
        }
        copy.finish().await.map_err(sql_error("COPY finish"))?;
    }
    Ok(())
}
