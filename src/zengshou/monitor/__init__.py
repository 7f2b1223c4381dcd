"""Monitoring and early warning (M02–M05): alert rules, the alert workflow, monitoring objects, groups.

Import the submodules: ``rules`` (batch alerts), ``workflow`` (ORM steps), ``groups`` (counts by area),
``feeds`` (department feeds from the database).
"""
