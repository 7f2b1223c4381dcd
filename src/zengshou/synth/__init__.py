"""The synthetic region: a seeded panel of households with explicit shocks (docs/synthetic-data.md)."""

from zengshou.synth.files import XLSX_MAX_ROWS, write
from zengshou.synth.generate import SHOCK_CODES, SynthRegion, calibration, generate

__all__ = ["SHOCK_CODES", "XLSX_MAX_ROWS", "SynthRegion", "calibration", "generate", "write"]
