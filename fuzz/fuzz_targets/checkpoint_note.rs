#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_tlog::internal::fuzzing::checkpoint_note(data);
});
