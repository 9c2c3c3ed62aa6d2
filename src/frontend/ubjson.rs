//! UBJSON decoding: in progress.
