//! Starting the `omi-server` binary on a throwaway store, and running its other subcommands.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use tempfile::TempDir;

use crate::client::{new_reqwest_client, HttpClient, Response};
use crate::openapi::ResponseCheck;
use crate::postgres::{postgres_admin_url, TestDatabase, POSTGRES_URL_VAR};
use crate::Store;

/// Env var naming the server binary; overrides the default `<dir of the test exe>/../omi-server`.
pub const SERVER_BIN_VAR: &str = "OMI_SERVER_BIN";
/// With `OMI_TEST_SERVER_LOG=1`, the servers' output is also echoed to stderr as it comes.
pub const ECHO_LOG_VAR: &str = "OMI_TEST_SERVER_LOG";
/// The first part of the line the server prints on stdout once it is ready.
pub const LISTENING_PREFIX: &str = "omi-server listening on ";
/// How long a server may take to print its `listening on` line.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `run_cli` lets a subcommand run.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(300);
/// How many lines of server output are kept for failure reports.
pub const LOG_LINES: usize = 200;

const ETXTBSY: i32 = 26;

/// Where the server binary is: `explicit` (the value of `OMI_SERVER_BIN`) if given, else `omi-server` in the
/// parent of the directory of `current_exe` (test executables live in `target/<profile>/deps/`).
pub fn locate_server_bin(
    explicit: Option<OsString>,
    current_exe: &Path,
) -> Result<PathBuf, String> {
    let candidate = match explicit.filter(|value| !value.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            if path.is_file() {
                return Ok(path);
            }
            return Err(format!(
                "{SERVER_BIN_VAR} is set to {}, which is not a file",
                path.display()
            ));
        }
        None => current_exe
            .parent()
            .and_then(Path::parent)
            .map(|profile_dir| profile_dir.join("omi-server")),
    };
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => Err(format!(
            "the omi-server binary was not found at {}: build it with `cargo build -p omi-api` \
             (or run `cargo test --workspace`), or set {SERVER_BIN_VAR} to its path",
            path.display()
        )),
        None => Err(format!(
            "cannot derive the omi-server path from the test executable {}; set {SERVER_BIN_VAR}",
            current_exe.display()
        )),
    }
}

/// The server binary for this test run: `$OMI_SERVER_BIN`, else `<target>/<profile>/omi-server`. When that
/// is missing (`cargo test` builds a package's binaries only for that package's own integration tests), it is
/// built once per test process with `cargo build --workspace --bin omi-server` in the same profile.
///
/// # Panics
/// When it cannot be found or built, with a message saying how to build it.
pub fn server_bin() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let exe = std::env::current_exe().expect("the path of the test executable");
    let explicit = std::env::var_os(SERVER_BIN_VAR).filter(|value| !value.is_empty());
    match locate_server_bin(explicit.clone(), &exe) {
        Ok(path) => path,
        Err(missing) if explicit.is_some() => panic!("{missing}"),
        Err(missing) => match BUILT.get_or_init(|| build_server_bin(&exe)) {
            Ok(path) => path.clone(),
            Err(failure) => panic!("{missing}\n(building it from the test failed: {failure})"),
        },
    }
}

/// Runs `cargo build --workspace --bin omi-server` for the profile whose directory holds `test_exe`'s
/// `deps/`, and returns the binary's path.
fn build_server_bin(test_exe: &Path) -> Result<PathBuf, String> {
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("no profile directory above {}", test_exe.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    // `--workspace` unifies features as `cargo test --workspace` does, so the dependencies built for the
    // tests are reused.
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--workspace",
        "--bin",
        "omi-server",
    ]);
    match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    eprintln!(
        "omi-tests: {} is missing, building it: {command:?}",
        profile_dir.join("omi-server").display()
    );
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !status.success() {
        return Err(format!(
            "{command:?} exited with {status}; see its output above"
        ));
    }
    let built = profile_dir.join("omi-server");
    if built.is_file() {
        Ok(built)
    } else {
        Err(format!(
            "{command:?} succeeded but {} is still missing (another target directory?)",
            built.display()
        ))
    }
}

/// The store of one or more server processes: a data directory, the PostgreSQL database (for
/// [`Store::Postgres`]) and the auth secret. Clones share them; the directory is removed and the database
/// dropped when the last clone goes away.
#[derive(Debug, Clone)]
pub struct TestData {
    store: Store,
    dir: Arc<TempDir>,
    database: Option<Arc<TestDatabase>>,
    auth_secret: Arc<str>,
}

fn temp_data_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("omi-test-")
        .tempdir()
        .expect("creating a temporary data directory")
}

impl TestData {
    /// A fresh data directory, and for PostgreSQL a fresh database on `OMI_TEST_POSTGRES_URL`.
    ///
    /// # Panics
    /// For PostgreSQL, when `OMI_TEST_POSTGRES_URL` is not set or the database cannot be created.
    pub async fn create(store: Store) -> TestData {
        let database = match store {
            Store::Sqlite => None,
            Store::Postgres => {
                let admin_url = postgres_admin_url().unwrap_or_else(|| {
                    panic!(
                        "Store::Postgres needs {POSTGRES_URL_VAR}, a PostgreSQL admin URL such as \
                         postgres://postgres@127.0.0.1:54329/postgres"
                    )
                });
                Some(Arc::new(TestDatabase::create(&admin_url).await))
            }
        };
        TestData {
            store,
            dir: Arc::new(temp_data_dir()),
            database,
            auth_secret: uuid::Uuid::new_v4().simple().to_string().into(),
        }
    }

    /// The same database and auth secret with a data directory of its own (for a second server process on
    /// one PostgreSQL database). On SQLite the database is a file in the data directory, so this is the same
    /// data.
    pub fn with_fresh_dir(&self) -> TestData {
        match self.store {
            Store::Sqlite => self.clone(),
            Store::Postgres => TestData {
                dir: Arc::new(temp_data_dir()),
                ..self.clone()
            },
        }
    }

    pub fn store(&self) -> Store {
        self.store
    }

    /// The data directory (`OMI_DATA_DIR`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `DATABASE_URL` for PostgreSQL.
    pub fn database_url(&self) -> Option<&str> {
        self.database.as_deref().map(TestDatabase::url)
    }

    /// The PostgreSQL database's name.
    pub fn database_name(&self) -> Option<&str> {
        self.database.as_deref().map(TestDatabase::name)
    }

    /// `OMI_AUTH_SECRET`.
    pub fn auth_secret(&self) -> &str {
        &self.auth_secret
    }
}

#[derive(Debug, Clone, Default)]
enum Reuse {
    #[default]
    Fresh,
    Data(TestData),
    Database(TestData),
}

/// How to start a server: extra env vars, reused data, another binary, another start timeout.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    env: Vec<(String, String)>,
    reuse: Reuse,
    bin: Option<PathBuf>,
    start_timeout: Option<Duration>,
    unchecked: bool,
}

impl StartOptions {
    pub fn new() -> StartOptions {
        StartOptions::default()
    }

    /// Sets an env var for the server (and its CLI); it overrides the harness's own (`OMI_BIND`, …).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> StartOptions {
        set_var(&mut self.env, key.into(), value.into());
        self
    }

    /// Runs on the same data directory, database and auth secret (restart on the same data, or a second
    /// process sharing everything).
    pub fn reuse_data(mut self, data: TestData) -> StartOptions {
        self.reuse = Reuse::Data(data);
        self
    }

    /// Runs on the same database and auth secret with a data directory of its own (a second process on one
    /// PostgreSQL database; on SQLite the same as [`StartOptions::reuse_data`]).
    pub fn reuse_database(mut self, data: TestData) -> StartOptions {
        self.reuse = Reuse::Database(data);
        self
    }

    /// Runs this binary instead of [`server_bin`]'s.
    pub fn bin(mut self, path: impl Into<PathBuf>) -> StartOptions {
        self.bin = Some(path.into());
        self
    }

    /// Does not check the answers against the server's OpenAPI document (see [`TestServer::client`]), for a
    /// test that means to receive what the document does not describe.
    pub fn unchecked_responses(mut self) -> StartOptions {
        self.unchecked = true;
        self
    }

    /// Waits this long for the `listening on` line instead of [`START_TIMEOUT`].
    pub fn start_timeout(mut self, timeout: Duration) -> StartOptions {
        self.start_timeout = Some(timeout);
        self
    }
}

fn set_var(vars: &mut Vec<(String, String)>, key: String, value: String) {
    match vars.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => vars.push((key, value)),
    }
}

/// Everything a server process or a CLI run gets: the binary, the data and the env vars.
#[derive(Debug, Clone)]
pub struct ServerEnv {
    bin: PathBuf,
    data: TestData,
    vars: Vec<(String, String)>,
    start_timeout: Duration,
    check_responses: bool,
}

impl ServerEnv {
    /// Prepares data (fresh or reused) and env without starting anything, e.g. to run `migrate` first.
    ///
    /// The env is `OMI_BIND=127.0.0.1:0`, `OMI_DATA_DIR`, `OMI_AUTH_SECRET`, `DATABASE_URL` (PostgreSQL),
    /// `RUST_LOG` (inherited, else `info`), `NO_COLOR=1`, `OMI_TEST_CLOCK_START=2026-01-01T00:00:00Z`, then the
    /// options' vars. Inherited `OMI_*` vars and
    /// `DATABASE_URL` are not passed on.
    ///
    /// # Panics
    /// When the binary is missing, PostgreSQL is not configured, or reused data is of another store.
    pub async fn prepare(store: Store, options: StartOptions) -> ServerEnv {
        let bin = options.bin.clone().unwrap_or_else(server_bin);
        let data = match options.reuse {
            Reuse::Fresh => TestData::create(store).await,
            Reuse::Data(data) => data,
            Reuse::Database(data) => data.with_fresh_dir(),
        };
        assert_eq!(data.store(), store, "reused data belongs to another store");
        let mut vars = vec![
            ("OMI_BIND".to_string(), "127.0.0.1:0".to_string()),
            (
                "OMI_DATA_DIR".to_string(),
                data.dir().to_string_lossy().into_owned(),
            ),
            (
                "OMI_AUTH_SECRET".to_string(),
                data.auth_secret().to_string(),
            ),
            (
                "RUST_LOG".to_string(),
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string()),
            ),
            ("NO_COLOR".to_string(), "1".to_string()),
            // The daily summary schedule's clock stands at midnight of a day no test writes conversations on, so
            // it writes nothing a test did not ask for; the suites of the schedule set their own.
            (
                "OMI_TEST_CLOCK_START".to_string(),
                "2026-01-01T00:00:00Z".to_string(),
            ),
        ];
        if let Some(url) = data.database_url() {
            vars.push(("DATABASE_URL".to_string(), url.to_string()));
        }
        for (key, value) in options.env {
            set_var(&mut vars, key, value);
        }
        ServerEnv {
            bin,
            data,
            vars,
            start_timeout: options.start_timeout.unwrap_or(START_TIMEOUT),
            check_responses: !options.unchecked,
        }
    }

    pub fn store(&self) -> Store {
        self.data.store()
    }

    pub fn data(&self) -> &TestData {
        &self.data
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// The env vars the process gets (on top of the inherited env minus `OMI_*` and `DATABASE_URL`).
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    /// One env var's value.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A command for the binary with `args` and this env.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(&self.bin);
        command.args(args);
        for (key, _) in std::env::vars_os() {
            let inherited = key.to_string_lossy();
            if inherited.starts_with("OMI_") || inherited == "DATABASE_URL" {
                command.env_remove(&key);
            }
        }
        command.envs(self.vars.iter().map(|(k, v)| (k, v)));
        command.stdin(Stdio::null());
        command
    }
}

/// What a CLI run printed and how it ended.
#[derive(Debug, Clone)]
pub struct CliOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics with both outputs unless the exit status is 0.
    #[track_caller]
    pub fn assert_success(&self) -> &CliOutput {
        assert!(
            self.success(),
            "omi-server exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

fn spawn_retrying(command: &mut Command) -> std::io::Result<Child> {
    // A freshly written executable can be briefly busy (ETXTBSY) while another thread forks.
    let mut attempt = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && attempt < 20 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Runs the binary with `args` (`["migrate"]`, `["replay", "--projection", "memories"]`, …) and `env`.
///
/// # Panics
/// When it cannot be started or runs longer than [`CLI_TIMEOUT`].
pub async fn run_cli<S: AsRef<std::ffi::OsStr>>(env: &ServerEnv, args: &[S]) -> CliOutput {
    let mut command = env.command(args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let shown = format!("{} {}", env.bin.display(), shown.join(" "));
    let mut attempt = 0;
    let child = loop {
        let mut tokio_command = tokio::process::Command::from(command);
        tokio_command.kill_on_drop(true);
        match tokio_command.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                command = env.command(args);
                command.stdout(Stdio::piped()).stderr(Stdio::piped());
            }
            Err(e) => panic!("cannot run `{shown}`: {e}"),
            Ok(child) => break child,
        }
    };
    match tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => CliOutput {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        },
        Ok(Err(e)) => panic!("`{shown}`: waiting for it failed: {e}"),
        Err(_) => panic!("`{shown}` did not finish within {CLI_TIMEOUT:?}"),
    }
}

#[derive(Debug, Default)]
struct LogInner {
    lines: VecDeque<String>,
    dropped: usize,
    reported: bool,
}

/// The last [`LOG_LINES`] lines of a server's stdout and stderr.
#[derive(Debug, Clone, Default)]
struct ServerLog(Arc<Mutex<LogInner>>);

impl ServerLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, LogInner> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, line: String) {
        let mut inner = self.lock();
        if inner.lines.len() == LOG_LINES {
            inner.lines.pop_front();
            inner.dropped += 1;
        }
        inner.lines.push_back(line);
    }

    fn lines(&self) -> Vec<String> {
        self.lock().lines.iter().cloned().collect()
    }

    fn tail(&self) -> String {
        let inner = self.lock();
        let mut text = String::new();
        if inner.dropped > 0 {
            text.push_str(&format!("[… {} earlier lines not kept]\n", inner.dropped));
        }
        for line in &inner.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn mark_reported(&self) {
        self.lock().reported = true;
    }

    fn reported(&self) -> bool {
        self.lock().reported
    }
}

fn spawn_reader(
    stream: impl Read + Send + 'static,
    prefix: &'static str,
    log: ServerLog,
    mut ready: Option<tokio::sync::oneshot::Sender<String>>,
) -> JoinHandle<()> {
    let echo = std::env::var(ECHO_LOG_VAR).is_ok_and(|v| v == "1");
    std::thread::Builder::new()
        .name(format!("omi-server-{}", prefix.trim()))
        .spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if echo {
                    eprintln!("[omi-server] {prefix}{line}");
                }
                log.push(format!("{prefix}{line}"));
                if let Some(url) = line.strip_prefix(LISTENING_PREFIX) {
                    if let Some(sender) = ready.take() {
                        let _ = sender.send(url.trim().trim_end_matches('/').to_string());
                    }
                }
            }
        })
        .expect("spawning a log reader thread")
}

/// A running server process.
#[derive(Debug)]
struct Running {
    child: Child,
    base_url: String,
    readers: Vec<JoinHandle<()>>,
}

fn join_readers(readers: Vec<JoinHandle<()>>, within: Duration) {
    let deadline = Instant::now() + within;
    for reader in readers {
        while !reader.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if reader.is_finished() {
            let _ = reader.join();
        }
    }
}

fn wait_for_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

fn kill(child: &mut Child) -> Option<ExitStatus> {
    let _ = child.kill();
    child.wait().ok()
}

/// Starts `serve` and waits for the `listening on` line.
async fn launch(env: &ServerEnv, log: &ServerLog) -> Running {
    let mut command = env.command(&["serve"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn_retrying(&mut command)
        .unwrap_or_else(|e| panic!("cannot start {} serve: {e}", env.bin.display()));
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let readers = vec![
        spawn_reader(stdout, "[stdout] ", log.clone(), Some(sender)),
        spawn_reader(stderr, "", log.clone(), None),
    ];
    let failure = match tokio::time::timeout(env.start_timeout, receiver).await {
        Ok(Ok(url)) if url.starts_with("http://") => {
            return Running {
                child,
                base_url: url,
                readers,
            }
        }
        Ok(Ok(url)) => {
            let status = kill(&mut child);
            format!("printed `{LISTENING_PREFIX}{url}`, which is not an http:// URL (then killed: {status:?})")
        }
        Ok(Err(_)) => match wait_for_exit(&mut child, Duration::from_secs(10)) {
            Some(status) => format!("exited before it was ready ({status})"),
            None => {
                let status = kill(&mut child);
                format!("closed its stdout without printing `{LISTENING_PREFIX}…` (then killed: {status:?})")
            }
        },
        Err(_) => {
            let status = kill(&mut child);
            format!(
                "did not print `{LISTENING_PREFIX}…` within {:?} (then killed: {status:?})",
                env.start_timeout
            )
        }
    };
    join_readers(readers, Duration::from_secs(5));
    log.mark_reported();
    panic!(
        "omi-server ({store}, data dir {dir}) {failure}\n----- last lines of its output -----\n{tail}----- end -----",
        store = env.store(),
        dir = env.data().dir().display(),
        tail = log.tail()
    );
}

/// A running `omi-server serve` on a throwaway store.
///
/// Dropping it kills the process; when the test is panicking, the last [`LOG_LINES`] lines of the server's
/// output are printed to stderr. The data directory and the database go away with the last
/// [`TestData`] clone.
#[derive(Debug)]
pub struct TestServer {
    env: ServerEnv,
    running: Option<Running>,
    base_url: String,
    http: reqwest::Client,
    log: ServerLog,
    check: Option<Arc<ResponseCheck>>,
}

impl TestServer {
    /// Starts a server on fresh data.
    pub async fn start(store: Store) -> TestServer {
        TestServer::start_with(store, StartOptions::new()).await
    }

    /// Starts a server with options (extra env, reused data, …).
    pub async fn start_with(store: Store, options: StartOptions) -> TestServer {
        TestServer::start_in(ServerEnv::prepare(store, options).await).await
    }

    /// Starts a server on a prepared env.
    pub async fn start_in(env: ServerEnv) -> TestServer {
        let log = ServerLog::default();
        let running = launch(&env, &log).await;
        let check = ResponseCheck::from_env()
            .filter(|_| env.check_responses)
            .map(Arc::new);
        TestServer {
            base_url: running.base_url.clone(),
            running: Some(running),
            env,
            http: new_reqwest_client(),
            log,
            check,
        }
    }

    pub fn store(&self) -> Store {
        self.env.store()
    }

    pub fn env(&self) -> &ServerEnv {
        &self.env
    }

    /// The data (directory, database, secret), to start another server on it.
    pub fn data(&self) -> TestData {
        self.env.data().clone()
    }

    /// `http://127.0.0.1:PORT` of the current (or last) process.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The port of the current (or last) process.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.base_url))
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        self.client().url(path)
    }

    /// The `ws://` URL of `path`, for WebSocket tests.
    pub fn ws_url(&self, path: &str) -> String {
        let url = self.url(path);
        match url.strip_prefix("http://") {
            Some(rest) => format!("ws://{rest}"),
            None => url,
        }
    }

    /// The process id of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.running.as_ref().map(|running| running.child.id())
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.running.as_mut() {
            Some(running) => matches!(running.child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The kept lines of the server's output (stdout lines are prefixed `[stdout] `).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lines()
    }

    /// Whether a kept line of the server's output contains `needle`.
    pub fn log_contains(&self, needle: &str) -> bool {
        self.log.lines().iter().any(|line| line.contains(needle))
    }

    /// Waits until a kept line of the server's output contains `needle`; false after `timeout`. Output is
    /// read by background threads, so a line the server wrote may show up a moment later.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log_contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A bearer token for `uid` from `omi-server token --uid <uid>`.
    ///
    /// # Panics
    /// When the command fails or prints nothing.
    pub async fn token(&self, uid: &str) -> String {
        let output = run_cli(&self.env, &["token", "--uid", uid]).await;
        output.assert_success();
        match output
            .stdout
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
        {
            Some(token) => token.to_string(),
            None => panic!(
                "omi-server token --uid {uid} printed no token; stderr:\n{}",
                output.stderr
            ),
        }
    }

    /// Runs another subcommand with this server's env (the server keeps running; stop it first if the
    /// command needs the store alone).
    pub async fn cli<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> CliOutput {
        run_cli(&self.env, args).await
    }

    /// Kills the process and waits for it.
    pub async fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let status = kill(&mut running.child);
            join_readers(running.readers, Duration::from_secs(2));
            self.log.push(format!(
                "----- omi-tests: server stopped ({status:?}) -----"
            ));
        }
    }

    /// Sends the process SIGTERM (as an orchestrator stopping it would) and waits up to `within` for it to exit.
    /// Returns its exit status and how long it took, or `None` if it was still running after `within` (it is then
    /// killed, so the test can go on).
    ///
    /// # Panics
    /// When no process is running or the signal cannot be sent.
    pub async fn terminate(&mut self, within: Duration) -> Option<(ExitStatus, Duration)> {
        let mut running = self.running.take().expect("a running server to terminate");
        let pid = running.child.id().to_string();
        let sent = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM {pid} failed: {status}");
        let deadline = sent + within;
        let exited = loop {
            match running.child.try_wait() {
                Ok(Some(status)) => break Some((status, sent.elapsed())),
                Ok(None) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                _ => break None,
            }
        };
        let outcome = match exited {
            Some((status, _)) => format!("exited after SIGTERM ({status})"),
            None => format!(
                "still running {within:?} after SIGTERM, killed ({:?})",
                kill(&mut running.child)
            ),
        };
        join_readers(running.readers, Duration::from_secs(2));
        self.log
            .push(format!("----- omi-tests: server {outcome} -----"));
        exited
    }

    /// Stops the process and starts a new one on the same env (data, database, secret); the port changes
    /// unless `OMI_BIND` names one.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.log
            .push("----- omi-tests: server restarting -----".to_string());
        let running = launch(&self.env, &self.log).await;
        self.base_url = running.base_url.clone();
        self.running = Some(running);
    }

    /// An HTTP client for this server's current address. Unless the server was started with
    /// [`StartOptions::unchecked_responses`] or `OMI_TEST_CHECK_RESPONSES=0` is set, it checks every answer
    /// against the server's OpenAPI document (operations of routers not yet converted are skipped) and panics
    /// on one the document does not describe.
    pub fn client(&self) -> HttpClient {
        HttpClient::with_client(self.http.clone(), self.base_url.clone())
            .checking(self.check.clone())
    }

    /// The server's OpenAPI document, as the response check fetched it (fetched now if it was not).
    pub async fn api_document(&self) -> crate::openapi::ApiDocument {
        let check = self.check.clone().unwrap_or_default();
        check.document(&self.http, &self.base_url).await.clone()
    }

    /// Sends `method path`, with a bearer `token` (none if empty) and an optional JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        self.client().request(method, path, token, body).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client().get(path, token).await
    }

    pub async fn post(&self, path: &str, token: &str, json: Value) -> Response {
        self.client().post(path, token, json).await
    }

    pub async fn put(&self, path: &str, token: &str, json: Value) -> Response {
        self.client().put(path, token, json).await
    }

    pub async fn patch(&self, path: &str, token: &str, json: Value) -> Response {
        self.client().patch(path, token, json).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.client().delete(path, token).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            kill(&mut running.child);
            join_readers(running.readers, Duration::from_millis(500));
        }
        if std::thread::panicking() && !self.log.reported() {
            self.log.mark_reported();
            eprintln!(
                "----- omi-server log ({}, {}, data dir {}) -----\n{}----- end of omi-server log -----",
                self.store(),
                self.base_url,
                self.env.data().dir().display(),
                self.log.tail()
            );
        }
    }
}
