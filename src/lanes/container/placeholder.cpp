// The container lane lives here (see ARCHITECTURE.md).
