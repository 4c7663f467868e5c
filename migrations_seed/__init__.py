"""Demo data for Build Atom: two scopes and their CSV files, and their loader.

``demo_data`` builds them without I/O; ``seed`` writes them to MongoDB and S3.
"""
