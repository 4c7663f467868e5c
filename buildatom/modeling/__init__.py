"""Pure numeric core: regression, cross-validation and marketing transforms.

Nothing here imports Flask, pymongo or boto3, logs or touches I/O, so the
functions can be tested and reused on their own.
"""
