"""Build Atom: model building over scopes stored in MongoDB and MinIO.

The Flask application lives in :mod:`buildatom.app`; importing this package
alone loads nothing else, so :mod:`buildatom.modeling` stays free of Flask.
"""

__version__ = "1.0.0"
