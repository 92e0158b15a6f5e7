"""Geography: distances, radius search, coarsening for privacy, geocoding."""
