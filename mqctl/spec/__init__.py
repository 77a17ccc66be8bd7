"""Desired state: spec files parsed into frozen value objects, validated with every error collected."""
