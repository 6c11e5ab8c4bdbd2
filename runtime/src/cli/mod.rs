//! (being written: the strata command line)
