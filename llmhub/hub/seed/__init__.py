"""The hub's seeders (`loaders`: the catalog, the tiers and their rules) over its test data
(`data`). `manage.py seed_test_data` (llmhub.ops) runs them with the other apps' seeders; the
types they share are in `llmhub.seeding`.
"""
