"""The cloud description: one YAML schema, validated into frozen dataclasses."""
