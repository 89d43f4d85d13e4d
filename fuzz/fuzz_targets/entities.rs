#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_analyze::internal::fuzzing::extract(data);
});
