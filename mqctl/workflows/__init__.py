"""The workflows (validate, plan, apply, export) as library code: the CLI parses flags, calls these,
renders what they return and maps it to exit codes."""
