// The in-process lane lives here (see ARCHITECTURE.md).
