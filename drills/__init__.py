"""Failure drills: real servers, real faults, one JSON verdict (see each module)."""
