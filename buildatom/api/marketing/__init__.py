"""Marketing mix modeling endpoints (13 to 18) and their schemas."""
