//! End-to-end tests of the `cunzheng` binary: one test binary, one module per topic.

mod it;
