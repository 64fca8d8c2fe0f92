"""Publishing: score files, reports, exports. Computes no grades."""
