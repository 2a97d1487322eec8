//! kamailio-headers/kamailio_abi.h, compiled for each core series it declares,
//! against the layouts measured on that series' own headers
//! (kamailio-headers/abi-layouts.txt, written by scripts/abi-measure.sh).
//! The build's own series is also checked through bindgen (src/kam/sys.rs).
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles and runs the probe of every item against kamailio_abi.h for one series,
/// with the flags the measurements were taken with.
fn probe(series: &str, dir: &Path) -> String {
    let gen = Command::new("sh")
        .arg(root().join("scripts/abi-probe-gen.sh"))
        .arg("kamailio_abi.h")
        .output()
        .expect("run scripts/abi-probe-gen.sh");
    assert!(gen.status.success(), "abi-probe-gen.sh failed");
    let src = dir.join(format!("probe-{series}.c"));
    let exe = dir.join(format!("probe-{series}"));
    std::fs::write(&src, gen.stdout).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(cc)
        .args(["-w", "-DUSE_MCAST", "-DDBG_SR_MEMORY"])
        .arg(format!("-DKSR_ABI_VERSION={series}"))
        .arg("-I")
        .arg(root().join("kamailio-headers"))
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "kamailio_abi.h does not compile for series {series}");
    let out = Command::new(&exe).output().expect("run the probe");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_series_matches_its_measured_layouts() {
    let measured = std::fs::read_to_string(root().join("kamailio-headers/abi-layouts.txt")).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let mut series: Vec<&str> =
        measured.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_whitespace().next()).collect();
    series.dedup();
    assert_eq!(series, ["50600", "50700", "50800", "60000", "60100", "60200"]);
    for s in series {
        let want: Vec<&str> =
            measured.lines().filter_map(|l| l.strip_prefix(s).and_then(|r| r.strip_prefix(' '))).collect();
        let got = probe(s, &dir);
        let got: Vec<&str> = got.lines().collect();
        let diff: Vec<String> = want
            .iter()
            .zip(&got)
            .filter(|(w, g)| w != g)
            .map(|(w, g)| format!("measured `{w}`, declared `{g}`"))
            .collect();
        assert!(diff.is_empty() && want.len() == got.len(), "series {s}:\n{}", diff.join("\n"));
    }
}

#[test]
fn a_series_outside_5_6_to_6_2_does_not_compile() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for s in ["50500", "60300"] {
        let src = dir.join("outside.c");
        std::fs::write(&src, "#include \"kamailio_abi.h\"\n").unwrap();
        let status = Command::new("cc")
            .args(["-fsyntax-only", &format!("-DKSR_ABI_VERSION={s}"), "-I"])
            .arg(root().join("kamailio-headers"))
            .arg(&src)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "kamailio_abi.h accepted series {s}");
    }
}
