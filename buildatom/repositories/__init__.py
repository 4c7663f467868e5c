"""MongoDB access: one client per process and one repository per collection."""
