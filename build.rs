//! Build script: bind the module to the exact Kamailio core it will be loaded into.
//!
//! 1. Runs `kamailio -v` ($KAMAILIO_BIN, else `kamailio` on PATH or in /usr/sbin) and
//!    bakes its version string and compile-flags line into `module_version` and
//!    `module_flags`: the core refuses modules whose strings differ from its own.
//! 2. Generates Rust declarations with bindgen from the hand-written
//!    `kamailio-headers/kamailio_abi.h` (with the layout-relevant flags of that core)
//!    and from libsctp's `<netinet/sctp.h>`.
//! 3. Compiles the C helpers in `csrc/` (function forms of core macros).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Core ABI versions that `kamailio-headers/` declares.
const SUPPORTED_SERIES: &[&str] = &["5.6."];

/// Compile flags of the core that change the layout of declared structs or the
/// signature of declared functions.
const LAYOUT_FLAGS: &[&str] = &["USE_MCAST", "USE_COMP", "DBG_SR_MEMORY"];

/// Compile flags the declarations assume (the core's lock is a futex word).
const REQUIRED_FLAGS: &[&str] = &["USE_FUTEX", "USE_SCTP"];

struct CoreInfo {
    full_version: String,
    flags: String,
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}

fn find_kamailio() -> PathBuf {
    if let Some(bin) = env::var_os("KAMAILIO_BIN") {
        return PathBuf::from(bin);
    }
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("kamailio"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            fail(
                "no Kamailio found (looked at $KAMAILIO_BIN, PATH, /usr/sbin, /usr/local/sbin); \
                 this module builds against an installed Kamailio 5.6 core \
                 (apt-get install kamailio, or set KAMAILIO_BIN)",
            )
        })
}

fn core_info(bin: &Path) -> CoreInfo {
    let out = Command::new(bin)
        .arg("-v")
        .output()
        .unwrap_or_else(|e| fail(&format!("could not run `{} -v`: {e}", bin.display())));
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let full_version = field("version:").unwrap_or_else(|| {
        fail(&format!("`{} -v` printed no `version:` line", bin.display()))
    });
    let flags = field("flags:").unwrap_or_else(|| {
        fail(&format!("`{} -v` printed no `flags:` line", bin.display()))
    });
    let supported = full_version
        .strip_prefix("kamailio ")
        .is_some_and(|v| SUPPORTED_SERIES.iter().any(|s| v.starts_with(s)));
    if !supported {
        fail(&format!(
            "found `{full_version}` at {}, but kamailio-headers/ declares the core ABI of \
             Kamailio {} only",
            bin.display(),
            SUPPORTED_SERIES.iter().map(|s| format!("{s}x")).collect::<Vec<_>>().join(", ")
        ));
    }
    let has = |f: &str| flags.split(',').map(str::trim).any(|x| x == f || x.starts_with(&format!("{f}-")));
    if let Some(missing) = REQUIRED_FLAGS.iter().find(|f| !has(f)) {
        fail(&format!(
            "`{full_version}` at {} was built without {missing}; kamailio-headers/ declares the \
             core ABI of builds with {}",
            bin.display(),
            REQUIRED_FLAGS.join(" and ")
        ));
    }
    if !has("FAST_LOCK") {
        fail(&format!("`{full_version}` at {} was built without FAST_LOCK; this module needs its futex locks", bin.display()));
    }
    CoreInfo { full_version, flags }
}

fn layout_defines(flags: &str) -> Vec<String> {
    flags
        .split(',')
        .map(str::trim)
        .filter(|f| LAYOUT_FLAGS.contains(f))
        .map(|f| format!("-D{f}"))
        .collect()
}

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let headers = root.join("kamailio-headers");
    let include = root.join("include");

    println!("cargo:rerun-if-env-changed=KAMAILIO_BIN");
    println!("cargo:rerun-if-env-changed=PATH");
    for p in ["kamailio-headers", "include", "csrc"] {
        println!("cargo:rerun-if-changed={p}");
    }

    let bin = find_kamailio();
    println!("cargo:rerun-if-changed={}", bin.display());
    let core = core_info(&bin);
    println!("cargo:rustc-env=KAMAILIO_FULL_VERSION={}", core.full_version);
    println!("cargo:rustc-env=KAMAILIO_COMPILE_FLAGS={}", core.flags);
    let defines = layout_defines(&core.flags);

    // Kamailio core ABI (hand-written declarations).
    bindgen::Builder::default()
        .header(headers.join("kamailio_abi.h").to_string_lossy())
        .clang_args(&defines)
        .allowlist_file(".*kamailio_abi\\.h")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .layout_tests(true)
        .generate()
        .unwrap_or_else(|e| fail(&format!("bindgen on kamailio_abi.h failed: {e}")))
        .write_to_file(out.join("kamailio_sys.rs"))
        .expect("write kamailio_sys.rs");

    // libsctp / kernel SCTP API.
    bindgen::Builder::default()
        .header_contents("sctp_wrapper.h", "#include <netinet/sctp.h>\n")
        .allowlist_type("sctp_.*")
        // packed + aligned(4): bindgen cannot express it; declared by hand in
        // src/sctp/options.rs
        .blocklist_type("sctp_paddrparams")
        .allowlist_var("SCTP_.*|SPP_.*")
        .allowlist_function("sctp_bindx")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .layout_tests(true)
        .generate()
        .unwrap_or_else(|e| {
            fail(&format!(
                "bindgen on <netinet/sctp.h> failed ({e}); install libsctp-dev"
            ))
        })
        .write_to_file(out.join("sctp_sys.rs"))
        .expect("write sctp_sys.rs");

    let mut build = cc::Build::new();
    build.file(root.join("csrc/ksr_shim.c")).include(&headers).include(&include);
    for d in &defines {
        build.define(d.trim_start_matches("-D"), None);
    }
    build.warnings(true).compile("ksr_shim");

    println!("cargo:rustc-link-lib=sctp");
    // The core's symbols resolve when Kamailio loads the cdylib. The unit-test
    // binary links the same objects but never calls into the core: let those
    // symbols stay unresolved there too (a no-op for the shared object).
    println!("cargo:rustc-link-arg=-Wl,--unresolved-symbols=ignore-all");
}
