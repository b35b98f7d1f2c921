//! `baladiya-server staff add|disable|enable|reset|list`: accounts from a terminal, the password
//! on standard input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use baladiya_server::console::accounts;
use baladiya_server::Db;

fn staff(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baladiya-server"))
        .arg("--data-dir")
        .arg(dir)
        .arg("staff")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn password_of(dir: &std::path::Path, user: &str) -> Option<(accounts::Account, String)> {
    Db::open(dir).unwrap().with(|c| accounts::get(c, user)).unwrap()
}

#[test]
fn accounts_are_added_disabled_and_reset_from_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out =
        staff(d, &["add", "Amal", "--role", "department", "--department", "water"], "a-long-password-1\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (account, hash) = password_of(d, "amal").expect("stored under the lower-case name");
    assert_eq!(account.role, accounts::AccountRole::Department("water".into()));
    assert!(hash.starts_with("$argon2id$"));
    assert!(accounts::verify_password(Some(&hash), "a-long-password-1"));

    // Refusals: the same name, a short password, a role without its department, an unknown user.
    assert!(!staff(d, &["add", "amal", "--role", "verifier"], "another-password\n").status.success());
    assert!(!staff(d, &["add", "sami", "--role", "verifier"], "short\n").status.success());
    assert!(!staff(d, &["add", "sami", "--role", "department"], "a-long-password-2\n").status.success());
    assert!(!staff(d, &["disable", "nobody"], "").status.success());
    assert!(password_of(d, "sami").is_none());

    assert!(staff(d, &["disable", "amal"], "").status.success());
    let list = staff(d, &["list"], "");
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "amal\tdepartment water disabled");
    assert!(staff(d, &["enable", "amal"], "").status.success());
    assert!(!password_of(d, "amal").unwrap().0.disabled);

    assert!(staff(d, &["reset", "amal"], "a-new-password-3\n").status.success());
    let (_, hash) = password_of(d, "amal").unwrap();
    assert!(accounts::verify_password(Some(&hash), "a-new-password-3"));
    assert!(!accounts::verify_password(Some(&hash), "a-long-password-1"));
}
