"""Demo data for a French chocolatier-and-coffee shop: reference tables and the generator.

`people`, `places`, `catalogue` and `seasons` hold the reference data (names, cities,
products, the French commercial calendar); `generate` turns a seed and a day into
platform-neutral records, lazily, so a million customers never sit in memory at once.
Storing them goes through ingest (sync.demo_data), exactly as a platform sync would.
"""
