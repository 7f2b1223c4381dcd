"""Rules as data: the engine that knows no policy, and the facts every part reads.

- :mod:`zengshou.rules.dsl` — the expression language, its polars compiler and the parameter
  :class:`~zengshou.rules.dsl.Env`; :mod:`zengshou.rules.spark` compiles the same trees to PySpark.
- :mod:`zengshou.rules.text` — how a fact's value and a ``{parameter}`` placeholder read in Chinese.
- :mod:`zengshou.rules.facts` — the catalogue's working definitions, each defined once (age,
  labourer, in scope L00, dropout, unsafe housing …) with its label, unit and entity.
- :mod:`zengshou.rules.compute` — the facts of a population for one period, computed once per run;
  tiers, alerts, measures, pairing and the model read them.
"""
