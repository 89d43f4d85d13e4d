#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_sources::internal::fuzzing::parse_format("telegram-html", data);
});
