"""Schedule files: TOML in, validated frozen dataclasses out (see `loader` and `model`)."""
