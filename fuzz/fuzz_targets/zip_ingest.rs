#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_case::internal::fuzzing::zip_ingest(data);
});
