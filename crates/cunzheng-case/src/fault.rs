//! Named points where a test can stop the process, to prove crash safety with a real SIGKILL.
//!
//! When the environment variable `CUNZHENG_FAULT_POINT` names a point, the process prints
//! `cunzheng-fault-point: NAME` to stderr on reaching it and waits there until it is killed.
//! Without the variable this is one cached lookup.

use std::sync::OnceLock;

/// Stops here if the environment asks to.
pub fn point(name: &str) {
    static WANTED: OnceLock<Option<String>> = OnceLock::new();
    let wanted = WANTED.get_or_init(|| std::env::var("CUNZHENG_FAULT_POINT").ok());
    if wanted.as_deref() == Some(name) {
        eprintln!("cunzheng-fault-point: {name}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
