#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_anchor::internal::fuzzing::time_stamp_response(data);
});
