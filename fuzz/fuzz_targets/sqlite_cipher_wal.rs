#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cunzheng_sqlite::internal::fuzzing::sqlite_cipher_wal(data);
});
