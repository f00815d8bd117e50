//! Every input the fuzzer was seeded with or found, run through the same checks the fuzz
//! targets run (`liveview_core::fuzzing`): the seeds in `fuzz/seeds/<target>/` so every
//! target is exercised by a plain `cargo test`, the findings in
//! `fuzz/regressions/<target>/` so nothing the fuzzer once broke breaks again.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use liveview_core::fuzzing::TARGETS;

/// `fuzz/`, beside this crate.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; none when the directory is missing.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every input of `kind` through its target's check; names each one that failed,
/// with its check's panic message.
fn replay(kind: &str) -> Vec<String> {
    let mut failed = Vec::new();
    for (target, check) in TARGETS {
        for path in inputs(kind, target) {
            let data = std::fs::read(&path).expect("a readable input");
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failed.push(format!("{}: {message}", path.display()));
            }
        }
    }
    failed
}

#[test]
fn every_target_has_seeds_and_every_seed_passes_its_check() {
    for (target, _) in TARGETS {
        assert!(!inputs("seeds", target).is_empty(), "no seeds for {target}");
    }
    let failed = replay("seeds");
    assert_eq!(failed, Vec::<String>::new());
}

#[test]
fn every_finding_of_the_fuzzer_passes_its_check() {
    let failed = replay("regressions");
    assert_eq!(failed, Vec::<String>::new());
}
