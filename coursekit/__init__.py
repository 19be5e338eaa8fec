"""Support package for the course Demystifying Python Coroutines."""
