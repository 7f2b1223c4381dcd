"""The web app: Chinese pages and a JSON API over the registry, scoped to each user's area.

Roles and scope rules live in :mod:`.roles` and :mod:`.scope`; every view and API call goes through
:mod:`.scope` so nothing outside a user's area can be read by changing an ID in a URL.
"""
