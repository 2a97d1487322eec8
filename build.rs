//! Build script: bind the module to the exact Kamailio core it will be loaded into.
//!
//! 1. Runs `kamailio -v` ($KAMAILIO_BIN, else `kamailio` on PATH or in /usr/sbin) and
//!    bakes the version and compile-flags strings that core compares into
//!    `module_version` and `module_flags` (build/core_version.rs): the core refuses
//!    modules whose strings differ from its own. Cores outside 5.6 to 6.2 are refused.
//! 2. Generates Rust declarations with bindgen from the hand-written
//!    `kamailio-headers/kamailio_abi.h` (for that core's series, KSR_ABI_VERSION,
//!    and its layout-relevant flags) and from libsctp's `<netinet/sctp.h>`; writes
//!    unit tests pinning the layouts measured for that series.
//! 3. Compiles the C helpers in `csrc/` (function forms of core macros).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "build/core_version.rs"]
mod core_version;
use core_version::*;

/// Compile flags of the core that change the layout of declared structs or the
/// signature of declared functions.
const LAYOUT_FLAGS: &[&str] = &["USE_MCAST", "USE_COMP", "DBG_SR_MEMORY"];

/// Compile flags the declarations assume (the core's lock is a futex word:
/// lock_ops.h picks the futex first when USE_FUTEX is set, FAST_LOCK or not).
const REQUIRED_FLAGS: &[&str] = &["USE_FUTEX", "USE_SCTP"];

struct CoreInfo {
    /// `module_version`: the core's SER_FULL_VERSION, e.g. `kamailio 6.1.5 (x86_64/Linux)`.
    full_version: String,
    /// `module_flags`: the compile-flags string the core compares with.
    flags: String,
    /// The series, (major, minor).
    series: (u32, u32),
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
                 this module builds against an installed Kamailio 5.6 to 6.2 core \
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
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string());
    let version_line =
        field("version:").unwrap_or_else(|| fail(&format!("`{} -v` printed no `version:` line", bin.display())));
    let flags_line =
        field("flags:").unwrap_or_else(|| fail(&format!("`{} -v` printed no `flags:` line", bin.display())));
    let (full_version, series) = parse_version_line(&version_line).unwrap_or_else(|| {
        fail(&format!("`{} -v` printed `version: {version_line}`, not `kamailio X.Y.Z (ARCH/OS)`", bin.display()))
    });
    if !SUPPORTED_SERIES.contains(&series) {
        let (first, last) = (SUPPORTED_SERIES[0], SUPPORTED_SERIES[SUPPORTED_SERIES.len() - 1]);
        fail(&format!(
            "found `{full_version}` at {}, but this module supports Kamailio {}.{} to {}.{} only",
            bin.display(),
            first.0,
            first.1,
            last.0,
            last.1
        ));
    }
    let has = |f: &str| flag_items(&flags_line).any(|x| x == f || x.starts_with(&format!("{f}-")));
    if let Some(missing) = REQUIRED_FLAGS.iter().find(|f| !has(f)) {
        fail(&format!(
            "`{full_version}` at {} was built without {missing}; kamailio-headers/ declares the \
             core ABI of builds with {}",
            bin.display(),
            REQUIRED_FLAGS.join(" and ")
        ));
    }
    let flags = compared_flags(&flags_line, series);
    CoreInfo { full_version, flags, series }
}

/// Preprocessor defines for kamailio_abi.h: the series and the layout flags.
fn layout_defines(core: &CoreInfo) -> Vec<String> {
    let (major, minor) = core.series;
    std::iter::once(format!("-DKSR_ABI_VERSION={}", abi_version(major, minor)))
        .chain(flag_items(&core.flags).filter(|f| LAYOUT_FLAGS.contains(f)).map(|f| format!("-D{f}")))
        .collect()
}

/// Unit tests pinning the bindgen output to the layouts measured on the core's own
/// headers for this series (kamailio-headers/abi-layouts.txt).
fn write_pinned_layout_tests(layouts: &Path, core: &CoreInfo, out: &Path) {
    let series = abi_version(core.series.0, core.series.1).to_string();
    let mcast = flag_items(&core.flags).any(|f| f == "USE_MCAST");
    let comp = flag_items(&core.flags).any(|f| f == "USE_COMP");
    let text = std::fs::read_to_string(layouts).expect("read kamailio-headers/abi-layouts.txt");
    let mut tests = String::new();
    let mut current = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [s, ty, member, a, b] = cols[..] else {
            continue;
        };
        // measured with USE_MCAST and without USE_COMP; their members are checked
        // only for a core built the same way
        if s != series || ty == "const" || (member == "mcast" && !mcast) {
            continue;
        }
        if comp && matches!(ty, "receive_info_t" | "dest_info_t") {
            continue;
        }
        if ty == "socket_info_t" && member == "-" && !mcast {
            continue;
        }
        let rty = match ty {
            "str" => "str_".to_string(),
            t => t.strip_prefix("struct_").unwrap_or(t).to_string(),
        };
        if ty != current {
            if !current.is_empty() {
                tests.push_str("}\n");
            }
            tests.push_str(&format!("#[test]\nfn {}() {{\n", rty.to_lowercase()));
            current = ty.to_string();
        }
        if member == "-" {
            tests.push_str(&format!(
                "    assert_eq!(core::mem::size_of::<{rty}>(), {a}, \"size of {ty}\");\n    \
                 assert_eq!(core::mem::align_of::<{rty}>(), {b}, \"alignment of {ty}\");\n"
            ));
        } else {
            let rmember = if member == "type" { "type_" } else { member };
            tests.push_str(&format!(
                "    assert_eq!(core::mem::offset_of!({rty}, {rmember}), {a}, \"offset of {ty}.{member}\");\n"
            ));
        }
    }
    if !current.is_empty() {
        tests.push_str("}\n");
    }
    if tests.is_empty() {
        fail(&format!("kamailio-headers/abi-layouts.txt has no layouts for series {series}"));
    }
    std::fs::write(out.join("abi_pins.rs"), tests).expect("write abi_pins.rs");
}

fn main() {
    // the repository: this package's directory, or for fuzz/lib (the same
    // sources built as an rlib for the fuzz targets) the one holding it
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest
        .ancestors()
        .find(|d| d.join("kamailio-headers").is_dir())
        .unwrap_or_else(|| fail("kamailio-headers/ not found above the package"))
        .to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let headers = root.join("kamailio-headers");
    let include = root.join("include");

    println!("cargo:rerun-if-env-changed=KAMAILIO_BIN");
    println!("cargo:rerun-if-env-changed=PATH");
    for p in ["kamailio-headers", "include", "csrc"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }

    let bin = find_kamailio();
    println!("cargo:rerun-if-changed={}", bin.display());
    let core = core_info(&bin);
    println!("cargo:rustc-env=KAMAILIO_FULL_VERSION={}", core.full_version);
    println!("cargo:rustc-env=KAMAILIO_COMPILE_FLAGS={}", core.flags);
    // from 6.2 the core's counter_add is inline code that picks an atomic add
    // for threaded processes: the module calls the core's counter_add_atomic
    println!("cargo:rustc-check-cfg=cfg(ksr_counter_add_atomic)");
    if core.series >= (6, 2) {
        println!("cargo:rustc-cfg=ksr_counter_add_atomic");
    }
    let defines = layout_defines(&core);
    write_pinned_layout_tests(&headers.join("abi-layouts.txt"), &core, &out);

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
        .unwrap_or_else(|e| fail(&format!("bindgen on <netinet/sctp.h> failed ({e}); install libsctp-dev")))
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
