"""API tokens: the model, its services and cache, its admin and `manage.py tokens`.

A Django app of its own (label `tokens`) so that the API platform, which every app uses, owns
the credential it checks; its table keeps the name it was created with (`flags_apitoken`).
"""
