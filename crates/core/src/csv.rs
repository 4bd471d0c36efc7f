//! The series CSV contract of DESIGN.md (being written).
