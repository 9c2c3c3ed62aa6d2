//! Where each piece of evidence lives inside a bundle. One place, so the
//! writer (`certify`), the verifier (`audit verify`), the report and the
//! JSON Schemas in audit/ agree on every path.
//!
//! All paths are relative to the bundle root and use `/`.

/// sha256 of every other file of the bundle (see `manifest`).
pub const MANIFEST: &str = "manifest.json";
/// The DSSE signature envelope over manifest.json (optional; not listed
/// in the manifest it signs). See `sign`.
pub const SIGNATURE: &str = "manifest.dsse.json";
/// The certification record: model, profile, options, verdict and the
/// requirement table ([`super::record::Certification`]).
pub const CERTIFICATION: &str = "certification.json";
/// The canonical IR of the model (`Ensemble::to_canonical_json`).
pub const IR: &str = "ir.json";
/// Directory of the generated C sources, byte for byte as `timber compile`
/// writes them (model.h, model.c, model_data.c, model_data.h).
pub const SOURCES_DIR: &str = "src";
/// The rule check report as SARIF 2.1.0.
pub const CHECK_SARIF: &str = "check/report.sarif";
/// The Guideline Compliance Summary and the deviations applied (JSON).
pub const CHECK_SUMMARY: &str = "check/compliance.json";
/// The MISRA review record the misra row counts (TOML, byte for byte as
/// given to `certify --review`, or timber's shipped record).
pub const CHECK_REVIEW: &str = "check/review.toml";
/// The effective guideline plan of the profile: enforced guidelines and
/// their categories after re-categorisation.
pub const CHECK_PLAN: &str = "check/plan.json";
/// Verification per target: `verify/<target>.json`.
pub const VERIFY_DIR: &str = "verify";
/// The test vectors every target ran (input float bits, row-major) and the
/// reference output bits, as JSON.
pub const VECTORS: &str = "verify/vectors.json";
/// The output bits of every vector per target:
/// `verify/outputs/<target>.txt` (layout in [`super::outputs`]).
pub const OUTPUTS_DIR: &str = "verify/outputs";
/// The verification harness every target ran (qemu/harness.c).
pub const HARNESS_C: &str = "verify/harness/harness.c";
/// The generated vector source for all rows, as the targets that run the
/// whole set in one image compiled it (boards with little flash or RAM
/// compile consecutive slices of the same rows).
pub const HARNESS_VECTORS_C: &str = "verify/harness/vectors.c";
/// The coverage driver the host coverage run compiled with the sources.
pub const COVERAGE_DRIVER: &str = "coverage/driver.c";
/// The warning builds of the generated C on every target (flag sets,
/// command lines, what each compiler printed): `build:<target>` rows.
pub const WARNINGS: &str = "build/warnings.json";
/// Structural coverage of the generated C on the host.
pub const COVERAGE: &str = "coverage/coverage.json";
/// Object-code branch coverage of the bare-metal targets' traced images.
pub const OBJECT_COVERAGE: &str = "coverage/object.json";
/// Stack and size per target, estimate vs measured.
pub const RESOURCES: &str = "resources.json";
/// Compiler and QEMU versions, template / rule-set / target hashes, timber
/// version and binary hash.
pub const TOOLCHAIN: &str = "toolchain.json";
/// Execution time per target: the static bound (bare-metal), measured
/// instructions per call of every vector, the cycle model and clock.
pub const TIMING: &str = "timing.json";
/// Tree/node -> generated file and line.
pub const TRACEABILITY: &str = "traceability.json";
/// in-toto Statement v1 with a SLSA provenance v1 predicate.
pub const PROVENANCE: &str = "attestations/provenance.intoto.json";
/// in-toto Statement v1 with a test-result predicate.
pub const TEST_RESULT: &str = "attestations/test-result.intoto.json";
/// The `timber qualify` report this run was checked against (optional).
pub const QUALIFICATION: &str = "qualification/qualification.json";
/// The TOML text of a custom profile (built-in profiles are embedded in
/// timber and not copied): what `audit verify` re-derives the rows under.
pub const PROFILE: &str = "profile/profile.toml";
/// The framework's own predictions of the verification vectors, as given
/// to `certify --oracle` (written by scripts/oracle.py; optional).
pub const ORACLE_PREDICTIONS: &str = "oracle/predictions.csv";
/// Their comparison with the reference evaluator (optional).
pub const ORACLE_COMPARISON: &str = "oracle/comparison.json";
/// The assumptions of use, machine-readable (see `super::assumptions`).
pub const ASSUMPTIONS_JSON: &str = "assumptions.json";
/// The assumptions of use for a human reader (Markdown).
pub const ASSUMPTIONS_MD: &str = "assumptions.md";
/// Present only in a partial bundle (`certify --partial`, one shard of a
/// sharded run): the shard's targets. `audit verify` refuses such a
/// bundle; `audit merge` joins the shards (see `merge`).
pub const PARTIAL: &str = "partial.json";
/// The self-contained HTML report for humans.
pub const REPORT_HTML: &str = "report.html";

/// The per-target verification file of `target`.
pub fn verify_file(target: &str) -> String {
    format!("{VERIFY_DIR}/{target}.json")
}

/// The output bits file of `target`.
pub fn outputs_file(target: &str) -> String {
    format!("{OUTPUTS_DIR}/{target}.txt")
}

/// The bundle path of a generated source file.
pub fn source_file(name: &str) -> String {
    format!("{SOURCES_DIR}/{name}")
}
