//! The `omi-server` command line. Being an integration test of this package, it also makes
//! `cargo test --workspace` build the binary that the black-box tests in `tests/` start.

use std::process::Command;

fn omi_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_omi-server"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("OMI_AUTH_SECRET");
    command
}

#[test]
fn help_lists_the_subcommands() {
    let output = omi_server().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for subcommand in ["serve", "token", "migrate", "replay"] {
        assert!(
            help.contains(subcommand),
            "{subcommand} missing from:\n{help}"
        );
    }
}

#[test]
fn token_prints_one_line_and_keeps_the_secret_in_the_data_dir() {
    let dir = tempfile_dir();
    let first = omi_server()
        .args(["token", "--uid", "alice"])
        .env("OMI_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let token = String::from_utf8(first.stdout).unwrap();
    assert_eq!(token.lines().count(), 1);
    assert_eq!(token.trim().split('.').count(), 3, "a JWT: {token}");
    assert!(dir.join("auth_secret").exists());
    let blank = omi_server()
        .args(["token", "--uid", " "])
        .env("OMI_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(!blank.status.success(), "an empty uid is refused");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_setting_is_named_and_the_process_fails() {
    let output = omi_server()
        .arg("migrate")
        .env("OMI_DB_MAX_CONNECTIONS", "lots")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("OMI_DB_MAX_CONNECTIONS"));
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("omi-cli-test-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
