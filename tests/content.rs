//! Secrets and PII in what a push adds, pushed with the real `git`, and `pushgate scan`.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::TestRemote;

/// A valid NHS number (mod-11 check digit 5) that is not in the 9xx test range.
const NHS: &str = "401 023 2137";

#[test]
fn pii_added_in_a_push_is_refused_and_masked() {
    let t = TestRemote::new("");
    t.commit("README.md", "hello\n", "docs");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\n"), "add export");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok, "{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[pii/uk-nhs-number]"), "{text}");
    assert!(text.contains("data/patients.csv:2"), "{text}");
    assert!(!text.contains(NHS) && !text.contains(&NHS.replace(' ', "")), "value leaked:\n{text}");
}

#[test]
fn content_present_before_the_push_is_not_judged_again() {
    let t = TestRemote::new("[pii]\nenabled = false\n");
    t.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\n"), "old export");
    assert!(t.push(&["HEAD:development"]).ok);
    t.set_policy("");
    t.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\nB,none\n"), "unrelated change");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn pii_added_and_removed_in_the_same_push_is_still_refused() {
    let t = TestRemote::new("");
    t.commit("a.txt", "x\n", "first");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("notes.md", &format!("patient NHS number {NHS}\n"), "oops");
    t.commit("notes.md", "clean\n", "remove it again");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("pii/uk-nhs-number"), "{}", p.stderr);
}

#[test]
fn scan_reports_files_with_paths_as_given() {
    let t = TestRemote::new("");
    let dir = t.home().join("tree");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/export.json"), format!("{{\"nhs_number\": \"{NHS}\"}}\n")).unwrap();
    std::fs::write(dir.join("clean.txt"), "nothing here 1700000000\n").unwrap();
    let out = t.pushgate(&t.home(), &["scan", "tree", "--format", "json"], b"", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "pii/uk-nhs-number");
    assert_eq!(f["path"], "tree/sub/export.json");
    assert_eq!(f["line"], 1);
    assert_eq!(f["commit"], serde_json::Value::Null);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("4010232137"));
    let out = t.pushgate(&t.home(), &["scan", "tree/clean.txt"], b"", &[]);
    assert_eq!(out.status.code(), Some(0));
}
