//! The picture of a case in a real browser: `tests/browser/run.sh` renders the example report in
//! headless Chromium, takes a screenshot and dumps the DOM, and checks that the page is not blank
//! and holds a mark per observation, a window per flag and the flags' text.
//!
//! Chromium is installed by the script when it is missing and it can be (root with apt-get).
//! When it cannot, the test prints why and passes: a machine without a browser cannot run it,
//! and that is no failure of the crate. A page that renders blank or lacks an element fails.
#![cfg(all(feature = "cli", unix))]

use std::process::Command;

/// The script's exit status for "skipped".
const SKIPPED: i32 = 77;

#[test]
fn the_example_report_renders_in_headless_chromium() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let run = Command::new("bash")
        .arg(format!("{root}/tests/browser/run.sh"))
        .arg(&out)
        .current_dir(root)
        .env("EARLY_SIGNAL_BIN", env!("CARGO_BIN_EXE_early-signal"))
        .output();
    let o = match run {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIP: cannot run bash for the browser test: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => println!("{stdout}"),
        Some(SKIPPED) => eprintln!("{}", stderr.trim()),
        _ => panic!(
            "the browser test failed ({}):\n{stdout}\n{stderr}",
            o.status
        ),
    }
}
