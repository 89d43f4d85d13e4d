#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_seal::internal::fuzzing::bagit_manifest(data);
});
