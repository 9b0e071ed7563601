"""Packaged data files (TOML). A regular package, so importlib.resources finds them the same way
in the checkout, in an editable install and in an installed wheel."""
