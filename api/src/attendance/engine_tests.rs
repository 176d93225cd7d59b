//! Unit tests of [`super::decide`]: every rule of the tablet contract, on lookups built in memory.
