"""What calmcoach says and guides: tips, breathing patterns and stretch routines, as data."""
