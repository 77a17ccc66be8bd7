"""mqctl: keep a Kafka cluster in the state that files in a git repository describe."""

__version__ = "0.1.0"
