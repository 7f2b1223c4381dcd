"""The batch a county or region office starts for its area: the pipeline over the database, the
household plans (W02) and the risk model's scoring (M02), run in the background with progress.

:mod:`zengshou.batch.run` holds the work itself (``zengshou pipeline`` calls it directly), a
:class:`~zengshou.batch.models.BatchRun` row per run holds its progress for the web page, and
:mod:`zengshou.batch.tasks` puts a run on the django-tasks queue that ``zengshou worker`` (started
by ``zengshou serve``) works through.
"""
