#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_case::internal::fuzzing::acquisition_record(data);
});
