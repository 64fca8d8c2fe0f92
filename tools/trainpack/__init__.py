"""The training-pack builder behind tools/build_training_pack.py (see its docstring)."""
