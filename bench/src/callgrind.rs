//! The marker functions the callgrind examples (`instructions`,
//! `select_instructions`) put around the calls they count: callgrind is
//! told `--zero-before=strata_bench_measure_start` and
//! `--dump-before=strata_bench_measure_end`, so the symbols keep their
//! names and are never inlined.

/// Where callgrind zeroes its counters (`--zero-before`).
#[inline(never)]
#[no_mangle]
pub extern "C" fn strata_bench_measure_start() {
    std::hint::black_box(1);
}

/// Where callgrind dumps its counters (`--dump-before`).
#[inline(never)]
#[no_mangle]
pub extern "C" fn strata_bench_measure_end() {
    std::hint::black_box(2);
}
