//! Integration tests of the gateway over real HTTP, on a real SQLite file, with real
//! merchant endpoints on 127.0.0.1. One test binary (faster to link).

mod harness;

mod browser;
mod checkout;
mod flows;
mod ipn;
mod webdriver;
