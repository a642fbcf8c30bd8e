//! Bytes → `Monitor::restore` with the builtin pack (a snapshot is a state file a deployment
//! reads back). A monitor that restores is snapshotted again, observes one record and advances.
#![no_main]

use early_signal::{Monitor, Observation};
use early_signal_fuzz::{builtin_engine, ts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut monitor) = Monitor::restore(builtin_engine().clone(), text) else {
        return;
    };
    let again = monitor.snapshot();
    let _ = Monitor::restore(builtin_engine().clone(), &again)
        .expect("a monitor's own snapshot restores");
    let _ = monitor.flags();
    let _ = monitor.pending();
    let at = monitor.clock().unwrap_or_else(|| ts("2026-03-02T21:00:00+01:00"));
    let _ = monitor.observe("y-1", Observation::new("fuzz-o", at, "disclosure"));
    if let Some(c) = monitor.clock() {
        if let Some(later) = c.checked_add_signed(early_signal::Duration::days(40).as_delta()) {
            let _ = monitor.advance_to(later);
        }
    }
    let _ = monitor.snapshot();
    let _ = monitor.take_warnings();
});
