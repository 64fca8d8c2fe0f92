"""rightsindex: an open, automated, evidence-first accountability index for technology companies."""

__version__ = "0.1.0"
