//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and the crash inputs kept as
//! regressions (`fuzz/regressions/<target>/`) through the harness, on stable, without libFuzzer.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Runs `target` on every file of `fuzz/<dir>/<name>/`; returns how many there were. Every file is
/// run even after a failure, and the failing ones are listed together.
fn replay(dir: &str, name: &str, target: fn(&[u8])) -> usize {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir).join(name);
    let Ok(entries) = std::fs::read_dir(&root) else {
        return 0;
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory").path())
        .filter(|p| {
            p.is_file() && !p.file_name().is_some_and(|n| n == "README.md" || n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("readable file");
            catch_unwind(AssertUnwindSafe(|| target(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} inputs failed in {}:\n{}",
        failed.len(),
        files.len(),
        root.display(),
        failed.join("\n")
    );
    files.len()
}

macro_rules! replay_target {
    ($target:ident, $corpus:ident, $regressions:ident) => {
        #[test]
        fn $corpus() {
            let n = replay("corpus", stringify!($target), herald_fuzz_harness::$target);
            assert!(n > 0, "no corpus for {}", stringify!($target));
        }

        #[test]
        fn $regressions() {
            replay("regressions", stringify!($target), herald_fuzz_harness::$target);
        }
    };
}

replay_target!(adapters, corpus_adapters, regressions_adapters);
replay_target!(address, corpus_address, regressions_address);
replay_target!(template, corpus_template, regressions_template);
replay_target!(message, corpus_message, regressions_message);
replay_target!(signatures, corpus_signatures, regressions_signatures);
replay_target!(retry_after, corpus_retry_after, regressions_retry_after);
replay_target!(duplicates, corpus_duplicates, regressions_duplicates);
replay_target!(multipart, corpus_multipart, regressions_multipart);
