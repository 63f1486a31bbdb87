"""Carrier modules behind one small interface (SPEC §5): where numbers come from and go back to."""
