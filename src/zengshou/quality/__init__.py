"""Data-quality checks before the yearly freeze (数据封库前核查): declared rules, exemptions, runs, reports."""
